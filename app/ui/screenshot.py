"""``--screenshot PATH``: sign in through the real embedded login flow (the Demo simulator
auto-approves), wait until accounts, balances, positions, open orders and history are shown, and
save a PNG of the main window.

``--screenshot-ticket PATH``: the same sign-in, then an order ticket filled with a Demo order
(a limit buy of a stock the margin account holds) saved to PATH, and its preview — Webull's
(the simulator's) quote — saved to PATH with "-preview" before the suffix. Nothing is sent."""

from __future__ import annotations

import asyncio
import logging
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.events import SessionState

if TYPE_CHECKING:
    from app.core.ticket import TicketDraft

    from .main_window import MainWindow
    from .ticket_window import TicketWindow

log = logging.getLogger(__name__)

def preview_path(path: Path) -> Path:
    """``ticket.png`` → ``ticket-preview.png``."""
    return path.with_name(f"{path.stem}-preview{path.suffix or '.png'}")


class ScreenshotError(RuntimeError):
    pass


async def _until(predicate: object, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise ScreenshotError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def capture(window: MainWindow, path: Path, timeout_s: float = 90.0, *,
                  ticket: bool = False) -> int:
    """Shoot the main window, or (``ticket``) an order ticket and its preview."""
    try:
        if ticket:
            await _signed_in(window, timeout_s)
            await _capture_ticket(window, path, timeout_s)
            print(f"Saved {path}")
            print(f"Saved {preview_path(path)}")
            return 0
        await _capture(window, path, timeout_s)
    except ScreenshotError as exc:
        print(f"pennant: screenshot failed: {exc}", file=sys.stderr)
        return 1
    print(f"Saved {path}")
    return 0


async def _capture(window: MainWindow, path: Path, timeout_s: float) -> None:
    await _signed_in(window, timeout_s)
    # one more poll cycle for the charts and ages, then let the layout settle
    await asyncio.sleep(1.5)
    window.select_first_order()
    await asyncio.sleep(0.2)
    _save(window, path)


def _save(widget: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path), "PNG"):  # type: ignore[attr-defined]
        raise ScreenshotError(f"could not write {path}")


async def _signed_in(window: MainWindow, timeout_s: float) -> None:
    """Open the environment, sign in and wait until every panel has data."""
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


# ------------------------------------------------------------------------------ the ticket

def demo_draft(window: MainWindow) -> TicketDraft:
    """A limit buy of 10 shares of a stock the margin account holds, at its last price (a
    plain AAPL order when it holds none)."""
    from app.core.ticket import TicketDraft
    from app.webull.models import AccountClass, InstrumentType, TradingSession

    terminal = window.terminal
    assert terminal is not None
    accounts = terminal.portfolio.accounts
    account = next((a for a in accounts if a.account_class in (
        AccountClass.INDIVIDUAL_MARGIN, AccountClass.INDIVIDUAL_MRGN)), None) or next(
        (a for a in accounts if a.account_class is AccountClass.INDIVIDUAL_CASH), None)
    if account is None:
        raise ScreenshotError("the Demo user has no stock account to fill a ticket for")
    held = [p for p in terminal.portfolio.positions(account.account_id).values()
            if p.instrument_type is InstrumentType.EQUITY and p.last_price >= 1]
    symbol, price = ("AAPL", Decimal("100.00")) if not held else (
        held[0].symbol, held[0].last_price.quantize(Decimal("0.01"), ROUND_HALF_UP))
    return TicketDraft(account_id=account.account_id, instrument=InstrumentType.EQUITY,
                       symbol=symbol, quantity="10", limit_price=format(price, "f"),
                       session=TradingSession.CORE)


async def _capture_ticket(window: MainWindow, path: Path, timeout_s: float) -> None:
    from app.core.trading import DeskState

    await _until(lambda: window.desk() is not None and window.desk().state  # type: ignore[union-attr]
                 is DeskState.READY, timeout_s, "the trading desk to be ready")
    draft = demo_draft(window)
    if window.account_id != draft.account_id:  # the ticket opens for the account shown
        window.show_account(draft.account_id)
    ticket: TicketWindow | None = window.new_order(draft)  # type: ignore[assignment]
    if ticket is None:
        raise ScreenshotError("the order ticket did not open")
    try:
        await _until(lambda: ticket.preview_button.isEnabled() or bool(ticket.area.lookup_error),
                     timeout_s, f"the ticket to look up {draft.symbol}")
        if not ticket.preview_button.isEnabled():
            raise ScreenshotError(f"the ticket cannot preview: {ticket.why_not_preview()}")
        await asyncio.sleep(0.2)
        _save(ticket, path)
        ticket.preview()
        await _until(lambda: ticket.preview_dialog is not None or ticket.status.kind == "error",
                     timeout_s, "Webull's preview")
        dialog = ticket.preview_dialog
        if dialog is None:
            raise ScreenshotError(f"the preview failed: {ticket.status.plain}")
        await asyncio.sleep(0.3)
        _save(dialog, preview_path(path))
        dialog.reject()  # nothing is sent
    finally:
        ticket.close()
