"""Each panel says how old its data is, and wears a STALE badge when its last refresh failed."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.core.events import Freshness

from . import fmt


class PanelHeader(QWidget):
    """Title, data age ("updated 4 s ago") and a stale badge whose tooltip says why."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("panelTitle")
        self.age = QLabel("")
        self.age.setObjectName("dataAge")
        self.badge = QLabel("STALE")
        self.badge.setObjectName("staleBadge")
        self.badge.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.addWidget(self.title)
        layout.addStretch(1)
        layout.addWidget(self.badge)
        layout.addWidget(self.age, 0, Qt.AlignmentFlag.AlignRight)
        self._freshness: Freshness | None = None

    @property
    def freshness(self) -> Freshness | None:
        return self._freshness

    def set_freshness(self, freshness: Freshness | None) -> None:
        self._freshness = freshness
        self.tick()

    def is_stale(self) -> bool:
        return not self.badge.isHidden()

    def tick(self, now: datetime | None = None) -> None:
        f = self._freshness
        if f is None:
            self.age.setText("")
            self.badge.hide()
            return
        now = now or datetime.now(UTC)
        if f.fetched_at is None:
            self.age.setText("loading…" if not f.stale else "no data")
        else:
            self.age.setText("updated " + fmt.age((now - f.fetched_at).total_seconds()))
        self.age.setToolTip(f"Last good answer: {f.fetched_at.astimezone():%Y-%m-%d %H:%M:%S %Z}"
                            if f.fetched_at else "No answer yet")
        self.badge.setVisible(f.stale)
        self.badge.setToolTip(f.error or "The last refresh failed; the data shown may be out of date")
