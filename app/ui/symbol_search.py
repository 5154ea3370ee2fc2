"""Symbol search for the order ticket: type a few letters, pick an instrument from a list.

The search runs after a typing pause (debounced), so a fast typist sends one request rather
than one per key, and an answer to an older text is dropped, so the list always belongs to
what the field shows. The field's text is the trader's: the list never overwrites it while
they type (only picking an entry puts its symbol there), and lower-case letters are merely
*shown* as capitals (a font setting), never rewritten.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.core.catalogue import CatalogueError, SearchHit
from app.core.ticket_input import InputError, parse_symbol
from app.webull.models import InstrumentType

from .instrument_pickers import mono_font, restyle

log = logging.getLogger(__name__)

#: typing pauses this long before a search is sent
SEARCH_DELAY_MS = 200
#: the list shows this many rows before it scrolls
MAX_VISIBLE_ROWS = 8
_MAX_POPUP_WIDTH = 720

Search = Callable[[str, Sequence[InstrumentType]], Awaitable[list[SearchHit]]]
Index = QModelIndex | QPersistentModelIndex

_KIND_WORDS = {
    InstrumentType.EQUITY: "stocks & ETFs",
    InstrumentType.OPTION: "option underlyings",
    InstrumentType.FUTURES: "futures",
    InstrumentType.CRYPTO: "crypto",
    InstrumentType.EVENT: "event markets",
}


class HitsModel(QAbstractTableModel):
    """Search results as rows: symbol (fixed-width), name, detail."""

    HEADERS = ("Symbol", "Name", "Detail")
    HIT_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._mono = mono_font()

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        self.beginResetModel()  # a new answer replaces the whole list
        self._hits = list(hits)
        self.endResetModel()

    def hits(self) -> list[SearchHit]:
        return list(self._hits)

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        hit = self.hit(index.row()) if index.isValid() else None
        if hit is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (hit.symbol, hit.name, hit.detail)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            extra = f" ({hit.detail})" if hit.detail else ""
            return f"{hit.symbol} — {hit.name}{extra}" if hit.name else hit.symbol + extra
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QFont(self._mono)
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QPalette().color(QPalette.ColorRole.PlaceholderText)
        if role == self.HIT_ROLE:
            return hit
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None


class _Popup(QFrame):
    """The result list under the field. It floats inside the field's window (a child drawn
    above the other widgets, not a window of its own) and never takes the keyboard, so the
    trader keeps typing while it shows; the field forwards Up/Down/Enter/Escape to it."""

    def __init__(self, model: HitsModel, owner: QWidget) -> None:
        super().__init__(owner)  # moved into the owner's window when first shown
        self.setObjectName("symbolPopup")
        self.setFrameShape(QFrame.Shape.Box)
        self.setFrameShadow(QFrame.Shadow.Plain)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view = QTreeView(self)
        self.view.setModel(model)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.setRootIsDecorated(False)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setStyleSheet("QTreeView::item { padding: 2px 6px; }")
        self.view.header().setStretchLastSection(True)
        self.view.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.status = QLabel(self)
        self.status.setObjectName("dataAge")  # muted; "fieldError" while it shows an error
        self.status.setWordWrap(True)
        self.status.setContentsMargins(6, 4, 6, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.view)
        layout.addWidget(self.status)


class SymbolSearch(QWidget):
    """A symbol field with a debounced search list; ``chosen`` carries the picked SearchHit."""

    chosen = Signal(object)

    def __init__(self, search: Search, parent: QWidget | None = None, *,
                 delay_ms: int = SEARCH_DELAY_MS) -> None:
        super().__init__(parent)
        self._search = search
        self._types: tuple[InstrumentType, ...] = (InstrumentType.EQUITY,)
        self._generation = 0  # bumped by every edit: an answer for an older one is stale
        self._answered = -1  # the generation the list and status belong to
        self._task: asyncio.Future[list[SearchHit]] | None = None
        self._enter_pending = False  # Enter was pressed before the answer came
        self._watched: QWidget | None = None
        self.edit = QLineEdit(self)
        self.edit.setClearButtonEnabled(True)
        font = QFont(self.edit.font())
        font.setCapitalization(QFont.Capitalization.AllUppercase)  # shown, not rewritten
        self.edit.setFont(font)
        self.edit.installEventFilter(self)
        self.edit.textEdited.connect(self._on_edited)
        self.setFocusProxy(self.edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.model = HitsModel(self)
        self.popup = _Popup(self.model, self)
        self.popup.hide()
        self.popup.view.clicked.connect(self._on_clicked)
        self.destroyed.connect(self.popup.deleteLater)  # it lives in the window, not in here
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.search_now)
        self._update_placeholder()

    # ------------------------------------------------------------------ public API
    def set_instruments(self, types: Sequence[InstrumentType]) -> None:
        """The instrument classes to search (the ticket's asset class)."""
        self._types = tuple(types)
        self._update_placeholder()
        if self.edit.text().strip() and self.popup.isVisible():
            self._on_edited(self.edit.text())

    def set_text(self, text: str) -> None:
        """Fill the field (a prefilled ticket) without searching."""
        self._forget()
        self.edit.setText(text)

    def text(self) -> str:
        return self.edit.text()

    def hits(self) -> list[SearchHit]:
        return self.model.hits()

    def status_text(self) -> str:
        return self.popup.status.text() if not self.popup.status.isHidden() else ""

    def popup_visible(self) -> bool:
        return self.popup.isVisible()

    def current_hit(self) -> SearchHit | None:
        """The highlighted row of the list, if any."""
        selected = self.popup.view.selectionModel().selectedRows()
        return self.model.hit(selected[0].row()) if selected else None

    def search_now(self) -> None:
        """Search for the field's text at once (the timer does this after a typing pause)."""
        self._timer.stop()
        self._cancel()
        text = self.edit.text().strip()
        if not text:
            self.hide_popup()
            return
        problem = _symbol_problem(text)
        if problem:
            self._answered = self._generation
            self._enter_pending = False
            self.model.set_hits([])
            self._show(problem, error=True)
            return
        self._show("Searching…")
        generation = self._generation
        # called from inside the task, so the search runs on the loop whoever triggered it
        task = asyncio.ensure_future(self._searching(text, self._types))
        self._task = task
        task.add_done_callback(partial(self._search_done, generation, text))

    async def _searching(self, text: str, types: tuple[InstrumentType, ...]) -> list[SearchHit]:
        return await self._search(text, types)

    def hide_popup(self) -> None:
        self.popup.hide()
        if self._watched is not None:
            self._watched.removeEventFilter(self)
            self._watched = None

    # ------------------------------------------------------------------ searching
    def _on_edited(self, text: str) -> None:
        self._generation += 1
        self._enter_pending = False
        self._cancel()
        self.popup.view.clearSelection()  # a row of the old list must not be Enter's pick
        if not text.strip():
            self._timer.stop()
            self.model.set_hits([])
            self.hide_popup()
            return
        self._timer.start()

    def _search_done(self, generation: int, text: str,
                     task: asyncio.Future[list[SearchHit]]) -> None:
        if task is self._task:
            self._task = None
        if task.cancelled():
            return
        exc = task.exception()  # retrieved even when dropped: asyncio logs unretrieved ones
        if not shiboken6.isValid(self) or generation != self._generation:
            return  # the widget is gone, or the trader typed on: this answer is stale
        self._answered = generation
        shown = text.upper()
        if exc is not None:
            self.model.set_hits([])
            self._enter_pending = False
            if isinstance(exc, CatalogueError):
                self._show(str(exc) or "The instrument lists could not be read.", error=True)
            else:
                log.error("symbol search failed: %s", type(exc).__name__, exc_info=exc)
                self._show(f"Search failed ({type(exc).__name__}); try again in a moment.",
                           error=True)
            return
        hits = list(task.result())
        self.model.set_hits(hits)
        exact = _exact(hits, text)
        if self._enter_pending:
            self._enter_pending = False
            if exact is not None:
                self._choose(hits[exact])
                return
        if not hits:
            self._show(f"No instrument matches ‘{shown}’")
            return
        self._show("")
        if exact is not None:
            self.popup.view.setCurrentIndex(self.model.index(exact, 0))

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def _forget(self) -> None:
        """Drop pending work and the list: the field now holds a settled value."""
        self._generation += 1
        self._enter_pending = False
        self._timer.stop()
        self._cancel()
        self.model.set_hits([])
        self.hide_popup()

    def _choose(self, hit: SearchHit) -> None:
        self._forget()
        self.edit.setText(hit.symbol)
        self.chosen.emit(hit)

    # ------------------------------------------------------------------ the list
    def _show(self, status: str, *, error: bool = False) -> None:
        label = self.popup.status
        restyle(label, "fieldError" if error else "dataAge")
        label.setText(status)
        self.popup.status.setVisible(bool(status))
        self.popup.view.setVisible(self.model.rowCount() > 0)
        if not self.isVisible() or not self.edit.hasFocus():
            return  # an answer that lands after the trader moved on waits for Down
        window = self.window()
        if self.popup.parentWidget() is not window:
            self.popup.setParent(window)  # floats over the window's other widgets
        if self._watched is not window:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)  # follow the window's size, hide with it
            self._watched = window
        self._place()
        self.popup.show()
        self.popup.raise_()

    def _reshow(self) -> None:
        """Show the list again (Down or Enter after Escape) with its status as it was."""
        label = self.popup.status
        self._show(label.text(), error=label.objectName() == "fieldError")

    def _place(self) -> None:
        """Size the list to its rows and put it under the field, inside the window."""
        window = self.window()
        view = self.popup.view
        status = self.popup.status
        rows = self.model.rowCount()
        origin = self.edit.mapTo(window, QPoint(0, self.edit.height()))
        room_x = max(self.edit.width(), window.width() - origin.x() - 4)
        room_y = max(0, window.height() - origin.y() - 4)
        width = self.edit.width()
        if rows:
            for column in range(self.model.columnCount()):
                view.resizeColumnToContents(column)
            columns = sum(view.columnWidth(c) for c in range(self.model.columnCount()))
            scroll = view.verticalScrollBar().sizeHint().width()
            width = max(width, min(columns + scroll + 8, _MAX_POPUP_WIDTH, room_x))
        status_height = status.heightForWidth(width - 2) if not status.isHidden() else 0
        if rows:
            row_height = max(1, view.sizeHintForRow(0))
            fit = max(1, (room_y - status_height - 4) // row_height)
            view.setFixedHeight(row_height * min(rows, MAX_VISIBLE_ROWS, fit) + 2)
        height = (view.height() if rows else 0) + status_height + 2
        self.popup.setFixedSize(width, height)
        self.popup.move(origin)

    def _move(self, step: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        if not self.popup.isVisible():
            self._reshow()
            return
        current = self.popup.view.currentIndex()
        selected = bool(self.popup.view.selectionModel().selectedRows())
        row = (0 if step > 0 else rows - 1) if not (current.isValid() and selected) else \
            max(0, min(rows - 1, current.row() + step))
        self.popup.view.setCurrentIndex(self.model.index(row, 0))

    def _on_clicked(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self._choose(hit)

    def _on_enter(self) -> None:
        if self.popup.isVisible():
            hit = self.current_hit()
            if hit is not None:
                self._choose(hit)
                return
        text = self.edit.text().strip()
        if not text:
            return
        settled = self._answered == self._generation and not self._timer.isActive()
        if settled:
            exact = _exact(self.model.hits(), text)
            if exact is not None:
                self._choose(self.model.hits()[exact])
            elif not self.popup.isVisible():
                self._reshow()
            return
        self._enter_pending = True  # choose the exact symbol as soon as the answer comes
        if self._task is None:
            self.search_now()

    # ------------------------------------------------------------------ events
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                return self._key(event)
            if event.type() == QEvent.Type.FocusOut:
                self.hide_popup()
        elif watched is self._watched and self.popup.isVisible():
            if event.type() == QEvent.Type.Resize:
                self._place()
            elif event.type() in (QEvent.Type.Hide, QEvent.Type.WindowDeactivate):
                self.hide_popup()
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        page = MAX_VISIBLE_ROWS - 1
        steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: page,
                 Qt.Key.Key_PageUp: -page}
        if key in steps:
            self._move(steps[key])
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._on_enter()
            return True
        if key == Qt.Key.Key_Escape and self.popup.isVisible():
            self.hide_popup()
            return True
        return False

    def hideEvent(self, event: Any) -> None:
        self.hide_popup()
        super().hideEvent(event)

    def _update_placeholder(self) -> None:
        words = [_KIND_WORDS.get(t, str(t).lower()) for t in self._types]
        self.edit.setPlaceholderText("Symbol or name" + (f" — {', '.join(words)}"
                                                         if words else ""))


def _exact(hits: Sequence[SearchHit], text: str) -> int | None:
    wanted = text.strip().upper()
    return next((i for i, hit in enumerate(hits) if hit.symbol.upper() == wanted), None)


def _symbol_problem(text: str) -> str:
    """Why the text cannot be a symbol or a name (an invisible or look-alike character)."""
    if all(ord(c) < 128 for c in text):
        return ""
    try:
        parse_symbol(text)
    except InputError as exc:
        return exc.message
    return ""
