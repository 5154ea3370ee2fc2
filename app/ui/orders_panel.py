"""Orders: open orders, order history over a date range, and the detail of the selected order;
and, on the selected open order, Modify…, Cancel and Cancel all working orders… (the window
opens the dialogs; each action is disabled with its reason shown when it cannot be done)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from PySide6.QtCore import QDate, QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.diff import KeyedDiff
from app.core.rows import OrderRow
from app.core.ticket import ModifyRules, modify_rules
from app.webull.models import OrderGroup, OrderItem

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


@dataclass(frozen=True)
class OrderActionState:
    """Why each order action cannot be done now ("" = it can)."""

    modify: str
    cancel: str
    cancel_all: str


NO_TRADING = "Trading is not available: connect to Webull first."


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
    #: the trader asked to modify / cancel this open order (an OrderRow)
    modify_requested = Signal(object)
    cancel_requested = Signal(object)
    #: the trader asked to cancel every working order of the shown account
    cancel_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: why no order can be changed now ("" = the desk is ready), and why none can be
        #: cancelled (cancelling stays possible while the desk is blocked); set by the window
        self.trading_block = NO_TRADING
        self.cancel_block = NO_TRADING
        #: what a replace may change (the core's rules; a seam for tests)
        self.rules_for: Callable[[OrderItem], ModifyRules] = modify_rules
        self.open_header = PanelHeader("Open orders")
        self.open_model = OrdersModel(parent=self)
        open_box, self.open_view, self.open_proxy = make_table(self.open_model, parent=self)
        self._build_order_actions()
        self.history_header = PanelHeader("Order history")
        self.history_model = HistoryModel(parent=self)
        history_box, self.history_view, self.history_proxy = make_table(self.history_model,
                                                                         parent=self)
        # the newest order first, as in any log (the trader may sort by another column)
        self.history_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
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
        ol.addLayout(self._actions_bar)

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
        self.open_view.selectionModel().selectionChanged.connect(self.update_actions)
        for signal in (self.open_model.dataChanged, self.open_model.rowsRemoved,
                       self.open_model.rowsInserted, self.open_model.modelReset):
            signal.connect(self.update_actions)
        self.update_actions()

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
        self.update_actions()

    # ------------------------------------------------------------------ order actions
    def _build_order_actions(self) -> None:
        self.modify_action = QAction("Modify…", self)
        self.modify_action.triggered.connect(lambda: self._request("modify"))
        self.cancel_action = QAction("Cancel order", self)
        self.cancel_action.triggered.connect(lambda: self._request("cancel"))
        self.cancel_all_action = QAction("Cancel all working orders…", self)
        self.cancel_all_action.triggered.connect(self.cancel_all_requested)
        self.modify_button = QPushButton("Modify…")
        self.cancel_button = QPushButton("Cancel order")
        self.cancel_all_button = QPushButton("Cancel all…")
        for button, act in ((self.modify_button, self.modify_action),
                            (self.cancel_button, self.cancel_action),
                            (self.cancel_all_button, self.cancel_all_action)):
            button.clicked.connect(act.trigger)
        self.action_reason = QLabel("")
        self.action_reason.setObjectName("dataAge")
        self.action_reason.setWordWrap(True)
        self._actions_bar = QHBoxLayout()
        self._actions_bar.addWidget(self.modify_button)
        self._actions_bar.addWidget(self.cancel_button)
        self._actions_bar.addWidget(self.cancel_all_button)
        self._actions_bar.addWidget(self.action_reason, 1)
        self.open_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.open_view.customContextMenuRequested.connect(self._show_menu)
        self.open_view.doubleClicked.connect(lambda _index: self.modify_action.trigger())

    def set_trading_block(self, reason: str, cancel_reason: str | None = None) -> None:
        """"" when the desk is ready for orders; else why no order can be changed (and, if
        different, why none can be cancelled)."""
        self.trading_block = reason
        self.cancel_block = reason if cancel_reason is None else cancel_reason
        self.update_actions()

    def selected_open_row(self) -> OrderRow | None:
        """The open order the actions apply to (the current row of the open table)."""
        rows = self.open_view.selectionModel().selectedRows()
        if not rows:
            return None
        index = self.open_model.row_of(self.open_proxy.data(rows[0], KEY_ROLE))
        return self.open_model.row_value(index) if index is not None else None

    def select_open(self, client_order_id: str) -> bool:
        row = self.open_model.row_of(client_order_id)
        if row is None:
            return False
        proxy_index = self.open_proxy.mapFromSource(self.open_model.index(row, 0))
        self.open_view.setCurrentIndex(proxy_index)
        return True

    def working_orders(self) -> list[OrderItem]:
        return [r.item for r in self.open_model.values() if not r.is_final]

    def action_state(self) -> OrderActionState:
        row = self.selected_open_row()
        if row is None:
            per_order = "Select an open order first."
        elif row.is_final:
            per_order = (f"This order is {fmt.status(row.item.status).lower()} already: it can "
                         "no longer be changed or cancelled.")
        else:
            per_order = ""
        cancel = self.cancel_block or per_order
        modify = self.trading_block or per_order
        if not modify and row is not None:
            modify = self.rules_for(row.item).why_not
        cancel_all = self.cancel_block or ("" if self.working_orders() else
                                           "There are no working orders to cancel.")
        return OrderActionState(modify, cancel, cancel_all)

    def update_actions(self, *_args: object) -> None:
        state = self.action_state()
        for act, button, reason, tip in (
                (self.modify_action, self.modify_button, state.modify,
                 "Change the selected order's quantity, prices or time in force"),
                (self.cancel_action, self.cancel_button, state.cancel,
                 "Cancel the selected order (asks first)"),
                (self.cancel_all_action, self.cancel_all_button, state.cancel_all,
                 "Cancel every working order of this account (asks you to type a "
                 "confirmation)")):
            act.setEnabled(not reason)
            button.setEnabled(not reason)
            act.setToolTip(reason or tip)
            button.setToolTip(reason or tip)
        # next to the buttons, the reason that is not obvious: trading paused, or this
        # order cannot be modified although it can be cancelled
        self.action_reason.setText(self.trading_block
                                   or (state.modify if not state.cancel else ""))

    def _request(self, what: str) -> None:
        row = self.selected_open_row()
        state = self.action_state()
        if row is None:
            return
        if what == "modify" and not state.modify:
            self.modify_requested.emit(row)
        elif what == "cancel" and not state.cancel:
            self.cancel_requested.emit(row)

    def context_menu(self) -> QMenu:
        """The open table's menu: the order actions (a disabled one says why), then copy."""
        self.update_actions()
        menu = QMenu(self.open_view)
        menu.setToolTipsVisible(True)
        menu.addAction(self.modify_action)
        menu.addAction(self.cancel_action)
        menu.addAction(self.cancel_all_action)
        state = self.action_state()
        reasons = dict.fromkeys(r for r in (state.modify, state.cancel) if r)
        for reason in reasons:
            note = menu.addAction(reason)
            note.setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.open_view.copy_action)
        menu.addAction(self.open_view.copy_all_action)
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        index = self.open_view.indexAt(pos)
        if index.isValid():
            self.open_view.setCurrentIndex(index)
        menu = self.context_menu()
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.open_view.viewport().mapToGlobal(pos))

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

