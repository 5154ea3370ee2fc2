"""The activity log: fills, new, cancelled and rejected orders, connection and session changes."""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.events import Activity, ActivityKind

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


class ActivityModel(QAbstractTableModel):
    """Newest first; bounded so a long session cannot grow without limit."""

    HEADERS = ("Time", "Event", "Account", "Details")

    def __init__(self, capacity: int = 2000, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: deque[tuple[Activity, str]] = deque()
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
        activity, account = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{activity.at.astimezone():%H:%M:%S}"
            if column == 1:
                return _KIND_TEXT.get(activity.kind, activity.kind.value)
            if column == 2:
                return account
            return activity.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{activity.at.astimezone():%Y-%m-%d %H:%M:%S %Z} — {activity.text}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            if activity.kind is ActivityKind.FILL:
                return QColor(palette.gain())
            if activity.kind in (ActivityKind.REJECTED, ActivityKind.WARNING):
                return QColor(palette.loss())
        return None

    def add(self, activity: Activity, account: str = "") -> None:
        if len(self._rows) >= self._capacity:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.appendleft((activity, account))
        self.endInsertRows()

    def activity_at(self, row: int) -> Activity:
        return self._rows[row][0]


class ActivityLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ActivityModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)

    def add(self, activity: Activity, account: str = "") -> None:
        self.model.add(activity, account)
