"""Qt tests: one qasync event loop for the whole process (ENVIRONMENT.md's working pattern).

Tests start coroutines with ``loop.create_task`` (or by clicking an async slot) and wait with
``qtbot.waitUntil`` / ``qtbot.waitSignal`` from the synchronous test body — never ``qtbot.wait*``
inside a coroutine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

# QtWebEngine must be imported before the QApplication exists.
import PySide6.QtWebEngineWidgets  # noqa: F401
import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="session")
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)

