"""The Terminal wires session and poller: polling follows the sign-in, and a disconnect that
is quickly followed by a new sign-in leaves polling running."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.events import SessionState
from app.core.poller import Poller
from app.core.terminal import Terminal
from app.demo import demo_connection
from app.sim import SimServer
from tests.fakes import until


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(auto_approve=True) as server:
        yield server


async def sign_in(terminal: Terminal) -> None:
    request = terminal.session.begin_login()
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(request.url)
    await terminal.session.complete_login(answer.headers["location"])


class SlowStop(Poller):
    """A poller whose stop waits for the test's go-ahead (a slow clean-up)."""

    release: asyncio.Event

    async def stop(self) -> None:
        await self.release.wait()
        await super().stop()


async def test_polling_follows_the_sign_in(sim: SimServer) -> None:
    env, creds = demo_connection(sim)
    release = asyncio.Event()
    release.set()

    def factory(*args: object, **kwargs: object) -> Poller:
        poller = SlowStop(*args, **kwargs)  # type: ignore[arg-type]
        poller.release = release
        return poller

    terminal = Terminal(env, creds, keychain=None, poller_factory=factory)
    try:
        assert not await terminal.start()  # nothing stored: not connected, nothing polled
        await sign_in(terminal)
        await until(lambda: bool(terminal.portfolio.accounts))
        release.clear()
        await terminal.session.disconnect()
        # a quick new sign-in, while the disconnect's clean-up is still running
        await sign_in(terminal)
        release.set()
        assert terminal.session.state is SessionState.CONNECTED
        await until(lambda: bool(terminal.portfolio.accounts)
                    and all(terminal.portfolio.balance(a.account_id) is not None
                            for a in terminal.portfolio.accounts))
    finally:
        await terminal.close()


async def test_disconnect_stops_polling_and_forgets_the_data(sim: SimServer) -> None:
    env, creds = demo_connection(sim)
    terminal = Terminal(env, creds, keychain=None)
    try:
        await terminal.start()
        await sign_in(terminal)
        await until(lambda: bool(terminal.portfolio.accounts))
        await terminal.session.disconnect()
        await until(lambda: not terminal.portfolio.accounts)
        assert terminal.session.tokens is None
    finally:
        await terminal.close()


async def test_with_a_journal_the_desk_checks_the_last_session_before_trading(
        sim: SimServer, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from app.core.journal import IntentState, OrderJournal
    from app.core.trading import DeskState

    env, creds = demo_connection(sim)
    journal = OrderJournal(tmp_path / "journal.sqlite3")
    body = {"new_orders": [{"client_order_id": "a" * 32, "symbol": "AAPL",
                            "instrument_type": "EQUITY", "side": "BUY", "order_type": "LIMIT",
                            "limit_price": "1.00", "quantity": "1", "time_in_force": "DAY",
                            "combo_type": "NORMAL", "market": "US", "entrust_type": "QTY"}]}
    terminal = Terminal(env, creds, keychain=None, journal=journal)
    desk = terminal.desk
    assert desk is not None and terminal.catalogue is not None
    try:
        await terminal.start()
        assert desk.state is DeskState.READ_ONLY  # not signed in: nothing may be sent
        await sign_in(terminal)
        account = next(a.account_id for a in await terminal.session.client.list_accounts()
                       if a.account_class == "INDIVIDUAL_MARGIN")
        # an intent the last session wrote and never sent, found when trading starts
        journal.record(env.name, account, "a" * 32, "place", body, datetime.now(UTC))
        await terminal.session.disconnect()
        assert desk.state is DeskState.READ_ONLY
        await sign_in(terminal)
        await until(lambda: desk.state is DeskState.READY)
        assert [i.client_order_id for i in desk.absent()] == ["a" * 32]
        assert journal.get("a" * 32).state is IntentState.ABSENT  # type: ignore[union-attr]
    finally:
        await terminal.close()
        journal.close()


async def test_without_a_journal_there_is_no_desk(sim: SimServer) -> None:
    env, creds = demo_connection(sim)
    terminal = Terminal(env, creds, keychain=None)
    try:
        assert terminal.desk is None  # nothing may be sent that was not written down first
    finally:
        await terminal.close()
