"""Orders: open orders, order history over a date range, and the detail of the selected order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from PySide6.QtCore import QDate, QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.diff import KeyedDiff
from app.core.rows import OrderRow
from app.webull.models import OrderGroup

from . import fmt
from .freshness import PanelHeader
from .models import KEY_ROLE, HistoryModel, OrdersModel, SortFilterProxy
from .tables import DataView, make_table

#: Webull keeps order history queries to a bounded window; longer ranges are refused here
MAX_HISTORY_DAYS = 90


def history_range(start: QDate, end: QDate) -> tuple[datetime, datetime]:
    """Local calendar days [start, end] → an aware UTC interval covering both whole days."""
    first = datetime.combine(start.toPython(), time.min).astimezone()
    last = datetime.combine(end.toPython() + timedelta(days=1), time.min).astimezone()
    return first.astimezone(UTC), last.astimezone(UTC)


class OrderDetail(QScrollArea):
    """Label/value lines of the selected order (and the other orders of its combo)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._body = QWidget()
        self._form = QFormLayout(self._body)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._form.setHorizontalSpacing(12)
        self.setWidget(self._body)
        self.show_rows(())

    def show_rows(self, rows: Sequence[OrderRow], selected: str | None = None) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        if not rows:
            hint = QLabel("Select an order to see its fills, fees, legs and combo.")
            hint.setObjectName("emptyState")
            hint.setWordWrap(True)
            self._form.addRow(hint)
            return
        for label, value in fmt.order_detail_lines(list(rows), selected=selected):
            text = QLabel(value)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setWordWrap(True)
            self._form.addRow(QLabel(label), text)

    def lines(self) -> list[tuple[str, str]]:
        out = []
        for row in range(self._form.rowCount()):
            label = self._form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self._form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None:
                out.append((label.widget().text(), field.widget().text()))  # type: ignore[union-attr]
        return out


class OrdersPanel(QWidget):
    #: the user asked for history between two aware UTC datetimes
    history_requested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_header = PanelHeader("Open orders")
        self.open_model = OrdersModel(parent=self)
        open_box, self.open_view, self.open_proxy = make_table(self.open_model, parent=self)
        self.history_header = PanelHeader("Order history")
        self.history_model = HistoryModel(parent=self)
        history_box, self.history_view, self.history_proxy = make_table(self.history_model,
                                                                         parent=self)
        today = QDate.currentDate()
        self.start_date = QDateEdit(today.addDays(-7))
        self.end_date = QDateEdit(today)
        for edit in (self.start_date, self.end_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMaximumDate(today)
        self.load_button = QPushButton("Load")
        self.load_button.setToolTip("Load the orders placed between these dates (local days)")
        self.range_error = QLabel("")
        self.range_error.setObjectName("fieldError")
        self.load_button.clicked.connect(self.request_history)

        open_tab = QWidget()
        ol = QVBoxLayout(open_tab)
        ol.setContentsMargins(4, 4, 4, 4)
        ol.addWidget(self.open_header)
        ol.addWidget(open_box)

        history_tab = QWidget()
        hl = QVBoxLayout(history_tab)
        hl.setContentsMargins(4, 4, 4, 4)
        hl.addWidget(self.history_header)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.start_date)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.end_date)
        for label, days in (("7 days", 7), ("30 days", 30), ("90 days", 89)):
            quick = QPushButton(label)
            quick.setFlat(True)
            quick.clicked.connect(lambda _=False, d=days: self._quick_range(d))
            bar.addWidget(quick)
        bar.addWidget(self.load_button)
        bar.addWidget(self.range_error, 1)
        hl.addLayout(bar)
        hl.addWidget(history_box)

        self.tabs = QTabWidget()
        self.tabs.addTab(open_tab, "Open")
        self.tabs.addTab(history_tab, "History")
        self.detail = OrderDetail()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self._connect_selection(self.open_view, self.open_proxy, self.open_model)
        self._connect_selection(self.history_view, self.history_proxy, self.history_model)

    # ------------------------------------------------------------------ data in
    def apply_open(self, diff: KeyedDiff[str, OrderRow]) -> None:
        self.open_model.apply(diff)
        self._refresh_detail()

    def show_history(self, groups: Sequence[OrderGroup]) -> None:
        self.history_model.set_groups(groups)
        self._refresh_detail()

    def select_first_open(self) -> None:
        if self.open_proxy.rowCount() > 0:
            self.open_view.setCurrentIndex(self.open_proxy.index(0, 0))

    def clear(self) -> None:
        self.open_model.clear()
        self.history_model.clear()
        self.detail.show_rows(())

    # ------------------------------------------------------------------ history range
    def _quick_range(self, days: int) -> None:
        today = QDate.currentDate()
        self.end_date.setDate(today)
        self.start_date.setDate(today.addDays(-days))
        self.request_history()

    def request_history(self) -> None:
        start, end = self.start_date.date(), self.end_date.date()
        if start > end:
            self.range_error.setText("The start date is after the end date.")
            return
        if start.daysTo(end) > MAX_HISTORY_DAYS:
            self.range_error.setText(f"Choose at most {MAX_HISTORY_DAYS} days at a time.")
            return
        self.range_error.setText("")
        self.history_requested.emit(*history_range(start, end))

    # ------------------------------------------------------------------ detail
    def _connect_selection(self, view: DataView, proxy: SortFilterProxy,
                           model: OrdersModel) -> None:
        def changed(_selected: QItemSelection, _deselected: QItemSelection) -> None:
            self._selected = (view, proxy, model)
            self._refresh_detail()

        view.selectionModel().selectionChanged.connect(changed)

    _selected: tuple[DataView, SortFilterProxy, OrdersModel] | None = None

    def selected_row(self) -> OrderRow | None:
        if self._selected is None:
            return None
        view, proxy, model = self._selected
        rows = view.selectionModel().selectedRows()
        if not rows:
            return None
        key = proxy.data(rows[0], KEY_ROLE)
        index = model.row_of(key)
        return model.row_value(index) if index is not None else None

    def _refresh_detail(self) -> None:
        row = self.selected_row()
        if row is None:
            self.detail.show_rows(())
            return
        model = self._selected[2] if self._selected else self.open_model
        combo = model.combo_rows(row.key)
        self.detail.show_rows(combo, selected=row.key)

