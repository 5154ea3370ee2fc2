"""Helpers for the Qt tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(loop: asyncio.AbstractEventLoop, qtbot: Any, coro: Coroutine[Any, Any, T],
        timeout_ms: int = 15_000) -> T:
    """Run ``coro`` on the qasync loop from a synchronous test and return its result."""
    task = loop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout_ms)
    return task.result()
