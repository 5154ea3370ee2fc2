"""``--screenshot PATH``: sign in through the real embedded login flow (the Demo simulator
auto-approves), wait until accounts, balances, positions, open orders and history are shown, and
save a PNG of the main window."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.events import SessionState

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)


class ScreenshotError(RuntimeError):
    pass


async def _until(predicate: object, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise ScreenshotError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def capture(window: MainWindow, path: Path, timeout_s: float = 90.0) -> int:
    try:
        await _capture(window, path, timeout_s)
    except ScreenshotError as exc:
        print(f"pennant: screenshot failed: {exc}", file=sys.stderr)
        return 1
    print(f"Saved {path}")
    return 0


async def _capture(window: MainWindow, path: Path, timeout_s: float) -> None:
    populated = asyncio.get_running_loop().create_future()
    window.populated.connect(lambda: populated.done() or populated.set_result(None))
    await _until(lambda: window.terminal is not None
                 and window.terminal.session.state is not SessionState.CONNECTING
                 or window.startup_failed, timeout_s, "the environment to open")
    if window.terminal is None:
        raise ScreenshotError(window.welcome.message.text() or "the environment did not open")
    if window.terminal.session.state is not SessionState.CONNECTED:
        window.connect_webull()
    await _until(lambda: window.terminal is not None and (
        window.terminal.session.state is SessionState.CONNECTED or window.login_error()),
        timeout_s, "the sign-in")
    if window.login_error():
        raise ScreenshotError(f"sign-in failed: {window.login_error()}")
    try:
        await asyncio.wait_for(populated, timeout_s)
    except TimeoutError:
        raise ScreenshotError("timed out waiting for accounts, balances, positions and orders"
                              ) from None
    # one more poll cycle for the charts and ages, then let the layout settle
    await asyncio.sleep(1.5)
    window.select_first_order()
    await asyncio.sleep(0.2)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise ScreenshotError(f"could not write {path}")
