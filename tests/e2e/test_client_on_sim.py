"""The real client against the real simulator over loopback: sign-in, tokens, every read
endpoint, pagination, retries through injected faults, and Webull's limits respected."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.environments import Environment
from app.webull.errors import AuthError, ServerError
from app.webull.oauth import AuthorizationFlow, ConnectCredentials, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import RetryPolicy, Transport


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    # the system clock, as in Demo: its rate-limit windows and our limiter see the same time
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def env(sim: SimServer) -> Environment:
    return demo_connection(sim)[0]


@pytest.fixture
def creds(sim: SimServer) -> ConnectCredentials:
    return demo_connection(sim)[1]


@pytest.fixture(scope="module")
def limiter() -> Iterator[RateLimiter]:
    """One limiter for the module, as the app has one per app key for the whole process.

    Webull's limits, except instruments at the 60/60 s each reference page states (the
    simulator's figure) rather than the stricter 10/30 s the app uses (C12), so that walking
    whole option chains does not make this suite slow."""
    limiter = RateLimiter({**WEBULL_LIMITS, "instruments": Limit(60, 60)})
    yield limiter


class Session:
    def __init__(self, env: Environment, creds: ConnectCredentials, limiter: RateLimiter) -> None:
        self.sleeps: list[float] = []
        self.now = datetime.now(UTC)
        self.transport = Transport(env, creds.signing_key, limiter=limiter,
                                   retry=RetryPolicy(sleep=self._sleep))
        self.tokens = TokenManager(self.transport, creds, now=lambda: self.now)
        self.client = WebullClient(self.transport, self.tokens.access_token)
        self.flow = AuthorizationFlow(env, creds)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def sign_in(self) -> None:
        await auto_sign_in(self.flow, self.tokens)

    async def close(self) -> None:
        await self.transport.aclose()


@pytest.fixture
async def session(env: Environment, creds: ConnectCredentials, sim: SimServer,
                  limiter: RateLimiter) -> AsyncIterator[Session]:
    sim.faults.clear()
    s = Session(env, creds, limiter)
    await s.sign_in()
    yield s
    await s.close()


async def test_accounts_balances_positions(session: Session) -> None:
    client = session.client
    accounts = await client.list_accounts()
    classes = {a.account_class for a in accounts}
    assert {"INDIVIDUAL_MARGIN", "FUTURES", "CRYPTO", "EVENTS_CASH"} <= classes
    saw_legs = False
    for account in accounts:
        balance = await client.get_balance(account.account_id)
        positions = await client.list_positions(account.account_id)
        assert balance.total_asset_currency == "USD"
        for p in positions:
            assert isinstance(p.quantity, Decimal) and p.last_price >= 0
            saw_legs |= bool(p.legs)
        if account.account_class != "EVENTS_CASH" and balance.total_net_liquidation_value:
            assert balance.total_net_liquidation_value > 0
    assert saw_legs, "the demo user holds a multi-leg option position"


async def test_instruments_of_every_class(session: Session) -> None:
    client = session.client
    stocks = [s async for s in client.iter_stock_instruments()]
    assert len(stocks) >= 20 and len({s.symbol for s in stocks}) == len(stocks)
    aapl = [s async for s in client.iter_stock_instruments(symbols=["AAPL"])]
    assert [s.symbol for s in aapl] == ["AAPL"]
    crypto = [c async for c in client.iter_crypto_instruments()]
    assert any(c.symbol == "BTCUSD" for c in crypto)
    es = await client.list_futures_contracts(code="ES")
    assert es and all(c.code == "ES" for c in es)
    chain = [o async for o in client.iter_option_contracts(underlying_symbols=["AAPL"])]
    assert len(chain) > 100  # several pages
    assert len({o.symbol for o in chain}) == len(chain)
    calls = [o async for o in client.iter_option_contracts(
        underlying_symbols=["AAPL"], option_type="CALL",
        start_date=date.today(), end_date=date.today() + timedelta(days=400))]
    assert calls and {o.option_type for o in calls} == {"CALL"}
    markets = [m async for m in client.iter_event_markets()]
    assert markets and all(m.price_ranges for m in markets)


async def test_access_token_refreshed_ahead_of_expiry(session: Session) -> None:
    first = session.tokens.tokens
    assert first is not None
    session.now += timedelta(seconds=1800 - 60)  # inside the refresh margin
    accounts = await session.client.list_accounts()
    assert accounts
    second = session.tokens.tokens
    assert second is not None and second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token


CRYPTO = "/trading/instruments/crypto/profiles/list"


async def crypto(session: Session) -> list[Any]:
    return [c async for c in session.client.iter_crypto_instruments()]


async def test_gets_are_retried_through_faults(session: Session, sim: SimServer) -> None:
    sim.faults.server_error(CRYPTO, times=2)
    assert await crypto(session)
    sim.faults.drop(CRYPTO, times=1)
    assert await crypto(session)
    sim.faults.rate_limited(CRYPTO, times=1, retry_after=3)
    assert await crypto(session)
    assert len(session.sleeps) == 4 and session.sleeps[-1] >= 3


async def test_persistent_failure_surfaces_after_capped_retries(session: Session,
                                                                sim: SimServer) -> None:
    sim.faults.server_error(CRYPTO, times=10)
    with pytest.raises(ServerError):
        await crypto(session)
    assert len(session.sleeps) == 3
    sim.faults.clear()


async def test_revoked_tokens_are_an_auth_error(session: Session, sim: SimServer) -> None:
    sim.revoke_user_tokens("demo")
    with pytest.raises(AuthError):
        await crypto(session)


async def test_client_limits_keep_the_simulator_from_answering_429(session: Session) -> None:
    """Balance polls in a row: the client spaces them, the simulator never says 429."""
    account = (await session.client.list_accounts())[0].account_id
    # the limiter admits 2 per 2 s: the third call waits instead of failing
    started = time.monotonic()
    for _ in range(3):
        await session.client.get_balance(account)
    assert time.monotonic() - started >= 1.9
