"""The poller with the real client against the real simulator over loopback: every panel
fills, Webull's limits hold, injected faults make panels stale and health degraded, a stopped
server makes it offline, orders become activity, a revoked sign-in pauses polling."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.events import (
    Activity,
    ActivityKind,
    DataKind,
    EventBus,
    Health,
    HealthChanged,
)
from app.core.poller import Poller
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.errors import WebullError
from app.webull.models import NewOrder
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, RateLimiter
from app.webull.transport import RetryPolicy, Transport
from tests.fakes import Recorder, until

GROUP_OF = {"list_accounts": "accounts", "get_balance": "balances",
            "list_positions": "positions", "iter_open_orders": "open_orders",
            "get_order": "order_detail", "iter_order_history": "order_history"}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture(scope="module")
def limiter() -> Iterator[RateLimiter]:
    """One limiter for the module: the server counts per app key across the tests."""
    limiter = RateLimiter(WEBULL_LIMITS)
    yield limiter


class CountingClient:
    """The real client, recording when each read started (monotonic seconds)."""

    def __init__(self, client: WebullClient) -> None:
        self.client = client
        self.calls: list[tuple[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if name not in GROUP_OF:
            return target

        def call(*args: Any, **kw: Any) -> Any:
            self.calls.append((name, time.monotonic()))
            return target(*args, **kw)

        return call


@dataclass
class Rig:
    sim: SimServer
    transport: Transport
    tokens: TokenManager
    flow: AuthorizationFlow
    client: WebullClient
    counting: CountingClient
    bus: EventBus = field(default_factory=EventBus)

    def poller(self, **kw: Any) -> Poller:
        return Poller(self.counting, self.bus, **kw)


@pytest.fixture
async def rig(sim: SimServer, limiter: RateLimiter) -> AsyncIterator[Rig]:
    sim.faults.clear()
    env, creds = demo_connection(sim)
    # no retries inside the transport: the poller's own backoff is under test
    transport = Transport(env, creds.signing_key, limiter=limiter,
                          retry=RetryPolicy(attempts=1))
    tokens = TokenManager(transport, creds)
    flow = AuthorizationFlow(env, creds)
    await auto_sign_in(flow, tokens)
    client = WebullClient(transport, tokens.access_token)
    yield Rig(sim, transport, tokens, flow, client, CountingClient(client))
    sim.faults.clear()
    await transport.aclose()


def all_fetched(poller: Poller) -> bool:
    accounts = poller.portfolio.accounts
    return bool(accounts) and all(
        poller.freshness(kind, a.account_id).fetched_at is not None
        for a in accounts for kind in (DataKind.BALANCE, DataKind.POSITIONS,
                                       DataKind.OPEN_ORDERS))


def margin_account(poller: Poller) -> str:
    return next(a.account_id for a in poller.portfolio.accounts
                if a.account_class == "INDIVIDUAL_MARGIN")


async def test_every_account_arrives_within_the_limits(rig: Rig) -> None:
    recorder = Recorder(rig.bus)
    poller = rig.poller()
    poller.start()
    try:
        await until(lambda: bool(poller.portfolio.accounts))
        focus = margin_account(poller)
        poller.set_focus(focus)
        await until(lambda: all_fetched(poller))
        assert len(poller.portfolio.accounts) >= 4
        assert poller.portfolio.positions(focus)  # the demo user holds positions
        assert poller.portfolio.balance(focus).total_net_liquidation_value > 0
        focused = sum(1 for m, _ in rig.counting.calls if m == "get_balance")
        await until(lambda: sum(1 for m, _ in rig.counting.calls
                                if m == "get_balance") >= focused + 2)
    finally:
        await poller.stop()
    by_group: dict[str, list[float]] = {}
    for method, t in rig.counting.calls:
        by_group.setdefault(GROUP_OF[method], []).append(t)
    for name, starts in by_group.items():
        limit = WEBULL_LIMITS[name]
        for i in range(len(starts) - limit.limit):
            # the poller never starts more than the limit within a window
            assert starts[i + limit.limit] - starts[i] >= limit.period_s, name
    assert poller.health is Health.CONNECTED and not recorder.of(HealthChanged)


async def test_server_errors_make_a_panel_stale_then_it_recovers(rig: Rig) -> None:
    recorder = Recorder(rig.bus)
    poller = rig.poller()
    poller.start()
    try:
        await until(lambda: all_fetched(poller))
        focus = margin_account(poller)
        poller.set_focus(focus)
        before = poller.portfolio.balance(focus)
        rig.sim.faults.server_error("/trading/assets/balances/get", times=2)
        await until(lambda: poller.freshness(DataKind.BALANCE, focus).stale
                    or any(poller.freshness(DataKind.BALANCE, a.account_id).stale
                           for a in poller.portfolio.accounts))
        assert poller.health is Health.DEGRADED
        stale = [f for f in (poller.freshness(DataKind.BALANCE, a.account_id)
                             for a in poller.portfolio.accounts) if f.stale]
        assert "server problem (HTTP 500)" in (stale[0].error or "")
        assert stale[0].fetched_at is not None  # the old data's age is kept
        assert poller.portfolio.balance(focus) is not None and before is not None
        await until(lambda: poller.health is Health.CONNECTED)
        assert not any(poller.freshness(DataKind.BALANCE, a.account_id).stale
                       for a in poller.portfolio.accounts)
    finally:
        await poller.stop()
    healths = [e.health for e in recorder.of(HealthChanged)]
    assert healths[0] is Health.DEGRADED and healths[-1] is Health.CONNECTED


async def test_stopped_server_is_offline_until_it_is_back(rig: Rig) -> None:
    poller = rig.poller()
    poller.start()
    try:
        await until(lambda: all_fetched(poller))
        poller.set_focus(margin_account(poller))
        rig.sim.stop()
        try:
            await until(lambda: poller.health is Health.OFFLINE)
            focus = margin_account(poller)
            await until(lambda: poller.freshness(DataKind.BALANCE, focus).stale)
            stale = poller.freshness(DataKind.BALANCE, focus)
            assert "could not be reached" in (stale.error or "")
        finally:
            rig.sim.start()
        await until(lambda: poller.health is Health.CONNECTED, timeout=40)
    finally:
        await poller.stop()


@pytest.mark.timeout(120)
async def test_orders_become_activity(rig: Rig) -> None:
    recorder = Recorder(rig.bus)
    poller = rig.poller()
    poller.start()
    try:
        await until(lambda: all_fetched(poller))
        account = margin_account(poller)
        poller.set_focus(account)
        resting = NewOrder(client_order_id=uuid.uuid4().hex, symbol="AAPL",
                           instrument_type="EQUITY", order_type="LIMIT", limit_price="1.00",
                           quantity="1", side="BUY", time_in_force="DAY",
                           support_trading_session="CORE")
        # 8000 shares fill 1000 a second in the simulator: seen open, then filled
        big = NewOrder(client_order_id=uuid.uuid4().hex, symbol="F", instrument_type="EQUITY",
                       order_type="MARKET", quantity="8000", side="BUY", time_in_force="DAY",
                       support_trading_session="CORE")
        await rig.client.place_order(account, [resting])
        await rig.client.place_order(account, [big])
        poller.refresh_now(account)

        def kinds(coid: str) -> list[ActivityKind]:
            return [a.kind for a in recorder.of(Activity) if a.client_order_id == coid]

        await until(lambda: ActivityKind.NEW in kinds(resting.client_order_id))
        await rig.client.cancel_order(account, resting.client_order_id)
        await until(lambda: ActivityKind.CANCELLED in kinds(resting.client_order_id))
        # the final line: the whole order, or the rest after reported partial fills
        # 8 s of fills, then the polls that see them; on a loaded 2-core machine (the whole
        # suite, servers of other tests winding down) this took over 20 s
        await until(lambda: any(a.kind is ActivityKind.FILL and a.text.startswith("Filled:")
                                and (a.text.startswith("Filled: BUY 8000 F @")
                                     or "(8000 of 8000 done)" in a.text)
                                for a in recorder.of(Activity)), timeout=45)
        assert ActivityKind.NEW in kinds(big.client_order_id)
        assert all(a.account_id == account for a in recorder.of(Activity)
                   if a.client_order_id in (resting.client_order_id, big.client_order_id))
        history = await poller.load_history(account, datetime.now(UTC) - timedelta(days=1),
                                            datetime.now(UTC) + timedelta(minutes=1))
        ids = {o.client_order_id for g in history for o in g.orders}
        assert {resting.client_order_id, big.client_order_id} <= ids
    finally:
        await poller.stop()


async def test_revoked_sign_in_pauses_until_signed_in_again(rig: Rig) -> None:
    refused: list[WebullError] = []

    async def handle(error: WebullError) -> bool:
        try:
            await rig.tokens.refresh()
        except WebullError:
            refused.append(error)
            return False
        return True

    poller = rig.poller(on_auth_error=handle)
    poller.start()
    try:
        await until(lambda: all_fetched(poller))
        rig.sim.revoke_user_tokens("demo")
        await until(lambda: bool(refused))
        calls = len(rig.counting.calls)
        await auto_sign_in(rig.flow, rig.tokens)  # meanwhile the poller sends nothing new
        assert len(rig.counting.calls) <= calls + 2  # at most requests already in flight
        paused_at = len(rig.counting.calls)
        poller.resume()
        await until(lambda: len(rig.counting.calls) > paused_at + 3)
        await until(lambda: not poller.freshness(DataKind.BALANCE,
                                                 margin_account(poller)).stale)
    finally:
        await poller.stop()
