"""The views every table shares: sortable, filterable, copyable as spreadsheet-ready TSV.

One view class serves flat tables and the positions tree; the filter bar above it narrows
rows as the user types (debounced, so a 10,000-row table stays responsive).
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from . import fmt
from .models import SortFilterProxy

#: typing pauses this long before the filter runs over every row
FILTER_DELAY_MS = 150


def _clean(text: object) -> str:
    """A cell as a spreadsheet reads it: ASCII minus, no tabs or line breaks inside."""
    value = "" if text is None else str(text)
    return value.replace(fmt.MINUS, "-").replace("\t", " ").replace("\r", " ").replace("\n", " ")


class DataView(QTreeView):
    """A table (or, with ``tree=True``, the positions tree) with copy to the clipboard."""

    def __init__(self, parent: QWidget | None = None, *, tree: bool = False) -> None:
        super().__init__(parent)
        self._tree = tree
        self._fitted = False
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        # unsorted (arrival order) until the user clicks a header; Qt's default is column 0
        # descending
        self.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setRootIsDecorated(tree)
        self.setItemsExpandable(tree)
        self.setAllColumnsShowFocus(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setSortIndicatorShown(True)
        self.copy_action = QAction("Copy", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.copy_all_action = QAction("Copy all", self)
        self.copy_all_action.triggered.connect(self.copy_all)
        self.addAction(self.copy_action)
        self.addAction(self.copy_all_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # -------------------------------------------------------------- model hook-up

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802 - Qt override
        old = self.model()
        if old is not None:
            for signal in (old.rowsInserted, old.modelReset):
                signal.disconnect(self._on_rows)
        super().setModel(model)
        self._fitted = False
        if model is not None:
            model.rowsInserted.connect(self._on_rows)
            model.modelReset.connect(self._on_rows)
            self._on_rows()

    def _on_rows(self, parent: QModelIndex | None = None, first: int = 0,
                 last: int = -1) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        if self._tree:
            if parent is None or last < 0:
                self.expandAll()
            elif not parent.isValid():
                for row in range(first, last + 1):
                    index = model.index(row, 0)
                    if model.hasChildren(index):
                        self.expand(index)
        if not self._fitted:  # size columns to the first data; the user resizes after that
            self._fitted = True
            for column in range(model.columnCount()):
                self.resizeColumnToContents(column)

    # -------------------------------------------------------------- copying

    def _columns(self) -> list[int]:
        header = self.header()
        logical = (header.logicalIndex(v) for v in range(header.count()))
        return [c for c in logical if not header.isSectionHidden(c)]

    def _rows(self, parent: QModelIndex | None = None) -> Iterator[QModelIndex]:
        """Every row in display order, children after their parent."""
        model = self.model()
        parent = parent or QModelIndex()
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            yield index
            if model.hasChildren(index):
                yield from self._rows(index)

    def _tsv(self, rows: list[QModelIndex | QPersistentModelIndex]) -> str:
        model = self.model()
        columns = self._columns()
        lines = ["\t".join(_clean(model.headerData(c, Qt.Orientation.Horizontal))
                           for c in columns)]
        for index in rows:
            lines.append("\t".join(_clean(index.siblingAtColumn(c).data()) for c in columns))
        return "\n".join(lines) + "\n"

    def selected_tsv(self) -> str:
        """The selected rows (in display order) with a header line, as tab-separated text."""
        if self.model() is None:
            return ""
        selection = self.selectionModel()
        chosen = [i for i in self._rows() if selection.isRowSelected(i.row(), i.parent())]
        return self._tsv(chosen) if chosen else ""

    def all_tsv(self) -> str:
        """Every row the view shows (after filtering), with a header line."""
        if self.model() is None:
            return ""
        return self._tsv(list(self._rows()))

    def copy_selection(self) -> None:
        text = self.selected_tsv()
        if text:
            QGuiApplication.clipboard().setText(text)

    def copy_all(self) -> None:
        text = self.all_tsv()
        if text:
            QGuiApplication.clipboard().setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):  # whole rows, not just one cell
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)


class FilterBar(QWidget):
    """A filter line bound to a proxy; Ctrl+F (within ``scope``) puts the cursor in it."""

    def __init__(self, proxy: SortFilterProxy, parent: QWidget | None = None, *,
                 scope: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Filter…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("Show only rows containing this text (Ctrl+F)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.apply_now)
        self.edit.textChanged.connect(self._timer.start)
        self.edit.returnPressed.connect(self.apply_now)
        self.shortcut = QShortcut(QKeySequence.StandardKey.Find, scope or self)
        self.shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.shortcut.activated.connect(self.focus_filter)
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.edit)
        clear.setContext(Qt.ShortcutContext.WidgetShortcut)
        clear.activated.connect(self.edit.clear)

    def focus_filter(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def apply_now(self) -> None:
        """Filter immediately (the timer does it after a typing pause)."""
        self._timer.stop()
        self.proxy.set_filter_text(self.edit.text())


def make_table(model: QAbstractItemModel, *, tree: bool = False,
               parent: QWidget | None = None) -> tuple[QWidget, DataView, SortFilterProxy]:
    """A filter bar over a sortable view of ``model``: (container, view, proxy)."""
    container = QWidget(parent)
    proxy = SortFilterProxy(container)
    proxy.setSourceModel(model)
    view = DataView(container, tree=tree)
    view.setModel(proxy)
    bar = FilterBar(proxy, container, scope=container)
    layout = QVBoxLayout(container)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    layout.addWidget(bar)
    layout.addWidget(view)
    container.setFocusProxy(view)
    return container, view, proxy
