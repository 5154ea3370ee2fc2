"""The Qt stack the app runs on: PySide6 under a qasync event loop.

PySide6 6.12.0 on Python 3.11 dies with ``none_dealloc`` after a few thousand loop callbacks
(ENVIRONMENT.md); this test drives tens of thousands of them so that a bad pin fails here.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import PySide6
import qasync
from PySide6.QtCore import QTimer

from .support import run


def test_pyside6_pin_excludes_the_crashing_release() -> None:
    if sys.version_info[:2] == (3, 11):
        assert PySide6.__version__ != "6.12.0"


def test_qasync_loop_survives_many_callbacks(loop: asyncio.AbstractEventLoop,
                                             qtbot: Any) -> None:
    # the session's shared loop: a loop of its own run to completion here would leave no
    # running loop behind for the tests after this one
    assert isinstance(loop, qasync.QEventLoop)
    fired = []

    async def churn() -> int:
        for i in range(30_000):
            await asyncio.sleep(0)
            if i % 10_000 == 0:
                QTimer.singleShot(0, lambda: fired.append(1))
        while len(fired) < 3:  # the Qt timers fire while asyncio runs
            await asyncio.sleep(0)
        return i

    assert run(loop, qtbot, churn(), timeout_ms=60_000) == 29_999
    assert len(fired) == 3
