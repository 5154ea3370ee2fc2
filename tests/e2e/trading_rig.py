"""The rig for the trading desk's tests against the simulator (tests/e2e/conftest.py makes its
fixtures available): a signed-in client whose HTTP wire counts the order placements that left
and can lose an answer after the server committed it, a journal, a portfolio and a desk."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.core.events import EventBus
from app.core.journal import OrderJournal
from app.core.portfolio import Portfolio
from app.core.trading import DeskState, TradingDesk
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.models import NewOrder
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import RetryPolicy, Transport
from tests.core.trading_fakes import Sleeps, fake_estimate

PLACE = "/trading/orders/place"
#: client-side limits loose enough for a quick test (the simulator's own are switched off)
QUICK = {**WEBULL_LIMITS, **{group: Limit(100, 1) for group in (
    "accounts", "balances", "positions", "open_orders", "order_history", "order_detail",
    "preview", "order_write", "token")}}


async def no_sleep(_: float) -> None:
    return None


class Wire(httpx.AsyncBaseTransport):
    """The real HTTP transport, counting the order placements that left; it can also turn the
    next placements' answers into a read timeout after the server has committed them, or hold
    a placement back (Webull received it, still working) and time out before it commits."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.places = 0
        self.timeouts_after_commit = 0
        self.lose_answers_before_commit = 0
        self._held: list[httpx.Request] = []

    async def commit_held(self) -> None:
        """Let Webull finish the placements it was holding."""
        while self._held:
            response = await self.inner.handle_async_request(self._held.pop(0))
            await response.aread()
            await response.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        placing = request.method == "POST" and request.url.path.endswith(PLACE)
        if placing:
            self.places += 1
            if self.lose_answers_before_commit:
                self.lose_answers_before_commit -= 1
                await request.aread()
                self._held.append(request)
                raise httpx.ReadTimeout("no answer within the read timeout", request=request)
        response = await self.inner.handle_async_request(request)
        if placing and self.timeouts_after_commit:
            self.timeouts_after_commit -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadTimeout("no answer within the read timeout", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Rig:
    sim: SimServer
    client: WebullClient
    wire: Wire
    journal: OrderJournal
    bus: EventBus
    portfolio: Portfolio
    accounts: dict[str, str]  # account class → id
    sleeps: Sleeps = field(default_factory=Sleeps)
    desks: list[TradingDesk] = field(default_factory=list)

    @property
    def margin(self) -> str:
        return self.accounts["INDIVIDUAL_MARGIN"]

    def new_desk(self) -> TradingDesk:
        """A desk on this journal (a second one is Pennant started again after a crash)."""
        desk = TradingDesk(self.client, self.journal, self.bus, "demo",
                           portfolio=self.portfolio, estimator=fake_estimate,
                           sleep=self.sleeps, now=self.now)
        self.desks.append(desk)
        return desk

    def now(self) -> datetime:
        """The desk's clock: real time plus every pause it asked for (pauses return at once,
        but time passes for the code under test)."""
        return datetime.now(UTC) + self.sleeps.slept

    def at_sim(self, client_order_id: str) -> int:
        """How many orders with this id the simulator holds (1: placed once; 0: not placed)."""
        return sum(1 for o in self.sim.orders.orders if o.client_order_id == client_order_id)

    def status(self, client_order_id: str) -> str:
        (order,) = [o for o in self.sim.orders.orders if o.client_order_id == client_order_id]
        return str(order.status)

    async def refresh_open_orders(self, account_id: str) -> None:
        groups = [g async for g in self.client.iter_open_orders(account_id)]
        self.portfolio.apply_open_orders(account_id, groups)


@pytest.fixture(scope="module")
def _server() -> Iterator[SimServer]:
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def sim(_server: SimServer) -> Iterator[SimServer]:
    """Fresh state for every test, its own rate limits off (the client keeps QUICK ones)."""
    _server.reset(rate_limits=None)
    yield _server
    _server.faults.clear()


@pytest.fixture
async def rig(sim: SimServer, tmp_path: Path, bus: EventBus) -> AsyncIterator[Rig]:
    env, creds = demo_connection(sim)
    wire = Wire()
    http = httpx.AsyncClient(transport=wire, trust_env=False, timeout=httpx.Timeout(10.0))
    limiter = RateLimiter(QUICK)
    transport = Transport(env, creds.signing_key, http=http, limiter=limiter,
                          retry=RetryPolicy(sleep=no_sleep))
    tokens = TokenManager(transport, creds)
    await auto_sign_in(AuthorizationFlow(env, creds), tokens)
    client = WebullClient(transport, tokens.access_token)
    portfolio = Portfolio()
    accounts = await client.list_accounts()
    portfolio.set_accounts(accounts)
    ids = {a.account_class.value: a.account_id for a in accounts}
    for account_id in ids.values():
        portfolio.apply_balance(account_id, await client.get_balance(account_id))
        portfolio.apply_positions(account_id, await client.list_positions(account_id))
    journal = OrderJournal(tmp_path / "journal.sqlite3")
    made = Rig(sim, client, wire, journal, bus, portfolio, ids)
    try:
        yield made
    finally:
        for desk in made.desks:
            await desk.aclose()
        journal.close()
        await http.aclose()


def limit_buy(price: str = "1.00", qty: str = "1", symbol: str = "AAPL") -> NewOrder:
    return NewOrder(client_order_id=uuid.uuid4().hex, symbol=symbol, instrument_type="EQUITY",
                    order_type="LIMIT", limit_price=price, quantity=qty, side="BUY",
                    time_in_force="DAY", support_trading_session="CORE")


async def started(rig: Rig) -> TradingDesk:
    desk = rig.new_desk()
    await desk.start()
    assert desk.state is DeskState.READY, desk.why
    return desk
