"""The activity log: fills, new, cancelled and rejected orders, what the trading desk did (placed,
rejected with Webull's code and message, being checked, resolved), connection and session
changes. Links Webull's messages carry (an agreement to accept…) open from the Link column."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.events import Activity, ActivityKind
from app.core.journal import IntentState
from app.core.trading import TradeEvent

from . import palette

Index = QModelIndex | QPersistentModelIndex

_KIND_TEXT = {
    ActivityKind.NEW: "New order",
    ActivityKind.FILL: "Fill",
    ActivityKind.CANCELLED: "Cancelled",
    ActivityKind.REJECTED: "Rejected",
    ActivityKind.INFO: "Info",
    ActivityKind.WARNING: "Warning",
}

#: (desk action, intent state) → the Event column's words
_TRADE_TEXT: dict[tuple[str, IntentState], str] = {
    ("place", IntentState.PENDING): "Sending",
    ("place", IntentState.SENT): "Sent",
    ("place", IntentState.ACCEPTED): "Order placed",
    ("place", IntentState.REJECTED): "Rejected",
    ("place", IntentState.PLACED): "Order placed",
    ("place", IntentState.ABSENT): "Not placed",
    ("resubmit", IntentState.ACCEPTED): "Order placed",
    ("resubmit", IntentState.REJECTED): "Rejected",
    ("resubmit", IntentState.PLACED): "Order placed",
    ("resubmit", IntentState.ABSENT): "Not placed",
    ("dismiss", IntentState.DISMISSED): "Dismissed",
    ("modify", IntentState.ACCEPTED): "Change sent",
    ("modify", IntentState.REJECTED): "Change rejected",
    ("modify", IntentState.PLACED): "Change confirmed",
    ("modify", IntentState.ABSENT): "Change not made",
    ("cancel", IntentState.ACCEPTED): "Cancel sent",
    ("cancel", IntentState.REJECTED): "Cancel refused",
    ("cancel", IntentState.PLACED): "Cancel confirmed",
    ("cancel", IntentState.ABSENT): "Cancel not made",
    ("resolve", IntentState.PLACED): "Resolved: placed",
    ("resolve", IntentState.ABSENT): "Resolved: not at Webull",
}
_CHECKING = frozenset({IntentState.PENDING, IntentState.SENT, IntentState.UNKNOWN})


def trade_label(event: TradeEvent) -> str:
    """The Event column for a desk event: unknown outcomes read "Checking…"."""
    if event.state is IntentState.UNKNOWN or (event.action == "resolve"
                                              and event.state in _CHECKING):
        return "Checking…"
    return _TRADE_TEXT.get((event.action, event.state)) or event.state.value.capitalize()


def trade_kind(event: TradeEvent) -> ActivityKind:
    """The activity kind of a desk event (for the tray: a rejection is worth a notification)."""
    if event.state is IntentState.REJECTED:
        return ActivityKind.REJECTED
    if event.state in _CHECKING or event.state is IntentState.ABSENT:
        return ActivityKind.WARNING
    return ActivityKind.INFO


@dataclass(frozen=True)
class LogRow:
    activity: Activity
    account: str
    label: str  # the Event column
    tone: str  # "gain" | "loss" | "stale" | ""
    links: tuple[str, ...] = ()


def _tone(activity: Activity) -> str:
    if activity.kind is ActivityKind.FILL:
        return "gain"
    if activity.kind in (ActivityKind.REJECTED, ActivityKind.WARNING):
        return "loss"
    return ""


class ActivityModel(QAbstractTableModel):
    """Newest first; bounded so a long session cannot grow without limit."""

    HEADERS = ("Time", "Event", "Account", "Details", "Link")
    LINK_COLUMN = 4

    def __init__(self, capacity: int = 2000, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: deque[LogRow] = deque()
        self._capacity = capacity

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        activity, column = row.activity, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{activity.at.astimezone():%H:%M:%S}"
            if column == 1:
                return row.label
            if column == 2:
                return row.account
            if column == 3:
                return activity.text
            return row.links[0] if row.links else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.LINK_COLUMN and row.links:
                return "Click to open in your browser:\n" + "\n".join(row.links)
            return f"{activity.at.astimezone():%Y-%m-%d %H:%M:%S %Z} — {activity.text}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 1 and row.tone:
                return QColor({"gain": palette.gain, "loss": palette.loss,
                               "stale": palette.stale}[row.tone]())
            if column == self.LINK_COLUMN and row.links:
                return QColor("#6cb6ff" if palette.is_dark() else "#0b5cad")
        if role == Qt.ItemDataRole.FontRole and column == self.LINK_COLUMN and row.links:
            font = QFont()
            font.setUnderline(True)
            return font
        return None

    def _insert(self, row: LogRow) -> None:
        if len(self._rows) >= self._capacity:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.appendleft(row)
        self.endInsertRows()

    def add(self, activity: Activity, account: str = "") -> None:
        self._insert(LogRow(activity, account, _KIND_TEXT.get(activity.kind,
                                                               activity.kind.value),
                            _tone(activity)))

    def add_trade(self, event: TradeEvent, account: str = "",
                  at: datetime | None = None) -> Activity:
        """A line for what the desk did; returns it as an Activity (for notifications)."""
        activity = Activity(at or datetime.now(UTC), trade_kind(event), event.message,
                            event.account_id, event.key)
        tone = ("loss" if event.state is IntentState.REJECTED else
                "stale" if activity.kind is ActivityKind.WARNING else
                "gain" if event.state in (IntentState.ACCEPTED, IntentState.PLACED) else "")
        self._insert(LogRow(activity, account, trade_label(event), tone, tuple(event.links)))
        return activity

    def activity_at(self, row: int) -> Activity:
        return self._rows[row].activity

    def row_at(self, row: int) -> LogRow:
        return self._rows[row]

    def rows_for(self, client_order_id: str) -> list[LogRow]:
        """Every line about one order, newest first."""
        return [r for r in self._rows if r.activity.client_order_id == client_order_id]


class ActivityLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: how a clicked link is opened (the system browser; tests replace it)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.model = ActivityModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.setMouseTracking(True)
        header = self.view.horizontalHeader()
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 180)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.clicked.connect(self._clicked)
        self.view.entered.connect(self._hover)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)

    def add(self, activity: Activity, account: str = "") -> None:
        self.model.add(activity, account)

    def add_trade(self, event: TradeEvent, account: str = "") -> Activity:
        return self.model.add_trade(event, account)

    def links_at(self, row: int) -> Sequence[str]:
        return self.model.row_at(row).links

    def open_link(self, row: int) -> bool:
        """Open the first link of a line in the browser; False if it has none."""
        links = self.links_at(row)
        if not links:
            return False
        self.open_url(QUrl(links[0]))
        return True

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() == ActivityModel.LINK_COLUMN:
            self.open_link(index.row())

    def _hover(self, index: QModelIndex) -> None:
        link = index.column() == ActivityModel.LINK_COLUMN and bool(self.links_at(index.row()))
        if link:
            self.view.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.view.viewport().unsetCursor()
