"""Garbage-collector policy for a terminal that holds tens of thousands of live objects.

Python's cyclic collector periodically scans every tracked object; with 20 accounts of 2,000
positions each that full scan took 60 ms and more, long enough to freeze the window (measured by
``make bench``). Snapshots are replaced wholesale on every poll and freed by reference counting,
so they never need the cyclic collector. The policy: every couple of seconds, collect the young
generations (cheap) and move everything that survived into the permanent generation
(``gc.freeze``), which full collections skip. Because objects frozen while part of a garbage
cycle are only reclaimed after ``gc.unfreeze``, everything is released back to the collector
once every half hour — one full collection at a moment the user is least likely to notice.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer


class GcPolicy(QObject):
    def __init__(self, parent: QObject | None = None, *, freeze_every_ms: int = 2000,
                 release_every_s: float = 1800.0) -> None:
        super().__init__(parent)
        self.release_every_s = release_every_s
        self._released_at = time.monotonic()
        self.freezes = 0
        self._timer = QTimer(self)
        self._timer.setInterval(freeze_every_ms)
        self._timer.timeout.connect(self.settle)

    def start(self) -> None:
        self.settle()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def settle(self) -> None:
        """Collect the young generations, then freeze what survived (or, every half hour,
        hand everything back to a full collection)."""
        now = time.monotonic()
        if now - self._released_at >= self.release_every_s:
            self._released_at = now
            gc.unfreeze()
            gc.collect()
            return
        gc.collect(1)
        gc.freeze()
        self.freezes += 1
