"""The positions pane: filter bar, the positions tree (legs under their position) and its header."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.core.diff import KeyedDiff, snapshot_diff
from app.webull.models import Position

from .freshness import PanelHeader
from .positions_model import PositionsModel
from .tables import make_table


class PositionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = PanelHeader("Positions")
        self.model = PositionsModel(parent=self)
        box, self.view, self.proxy = make_table(self.model, tree=True, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.header)
        layout.addWidget(box)

    def apply(self, diff: KeyedDiff[str, Position]) -> None:
        self.model.apply(diff)

    def show_all(self, positions: Mapping[str, Position]) -> None:
        """Replace the rows (another account was chosen)."""
        self.model.apply(snapshot_diff(positions))

