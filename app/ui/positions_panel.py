"""The positions pane: filter bar, the positions tree (legs under their position) and its header.

Double-clicking a position (or one of its legs) asks for a ticket prefilled to close it; the
window opens the ticket, which is never sent without a preview.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.core.diff import KeyedDiff, snapshot_diff
from app.webull.models import Position

from .freshness import PanelHeader
from .positions_model import PositionsModel
from .tables import make_table


class PositionsPanel(QWidget):
    #: the trader double-clicked this position: open a ticket to close it (a Position)
    close_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = PanelHeader("Positions")
        self.model = PositionsModel(parent=self)
        box, self.view, self.proxy = make_table(self.model, tree=True, parent=self)
        # a double-click means "close this position", not "fold its legs" (the arrow folds)
        self.view.setExpandsOnDoubleClick(False)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.setToolTip("Double-click a position to open a ticket that closes it")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.header)
        layout.addWidget(box)

    def apply(self, diff: KeyedDiff[str, Position]) -> None:
        self.model.apply(diff)

    def show_all(self, positions: Mapping[str, Position]) -> None:
        """Replace the rows (another account was chosen)."""
        self.model.apply(snapshot_diff(positions))

    def position_at(self, proxy_index: QModelIndex) -> Position | None:
        """The position a row of the view shows (a leg row: the position it belongs to)."""
        if not proxy_index.isValid():
            return None
        index = self.proxy.mapToSource(proxy_index)
        while index.parent().isValid():
            index = index.parent()
        value = self.model.value_at(index)
        return value if isinstance(value, Position) else None

    def _double_clicked(self, proxy_index: QModelIndex) -> None:
        position = self.position_at(proxy_index)
        if position is not None:
            self.close_requested.emit(position)
