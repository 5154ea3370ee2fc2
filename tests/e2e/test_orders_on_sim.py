"""Our order endpoints against the simulator over loopback: preview, place, detail, open
orders, history, replace, cancel, batch place — and a lost answer resolved by looking the order
up by its client_order_id instead of sending it again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.errors import BusinessRejectionError, OutcomeUnknownError
from app.webull.models import BatchOrder, ModifyOrder, NewOrder
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import RetryPolicy, Transport


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture(scope="module")
def limiter() -> Iterator[RateLimiter]:
    limiter = RateLimiter({**WEBULL_LIMITS, "instruments": Limit(60, 60)})
    yield limiter


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def client(sim: SimServer, limiter: RateLimiter) -> AsyncIterator[WebullClient]:
    sim.faults.clear()
    env, creds = demo_connection(sim)
    transport = Transport(env, creds.signing_key, limiter=limiter,
                          retry=RetryPolicy(sleep=_no_sleep))
    tokens = TokenManager(transport, creds)
    await auto_sign_in(AuthorizationFlow(env, creds), tokens)
    yield WebullClient(transport, tokens.access_token)
    await transport.aclose()


async def margin_account(client: WebullClient) -> str:
    accounts = await client.list_accounts()
    return next(a.account_id for a in accounts if a.account_class == "INDIVIDUAL_MARGIN")


def limit_buy(price: str = "1.00", qty: str = "1") -> NewOrder:
    return NewOrder(client_order_id=uuid.uuid4().hex, symbol="AAPL", instrument_type="EQUITY",
                    order_type="LIMIT", limit_price=price, quantity=qty, side="BUY",
                    time_in_force="DAY", support_trading_session="CORE")


async def status_of(client: WebullClient, account: str, coid: str) -> str:
    group = await client.get_order(account, coid)
    return group.orders[0].status.value


async def test_order_lifecycle_through_our_client(client: WebullClient) -> None:
    account = await margin_account(client)
    order = limit_buy()
    preview = await client.preview_order(account, [order])
    assert preview.estimated_cost >= Decimal("1.00")
    placed = await client.place_order(account, [order])
    assert placed.client_order_id == order.client_order_id and placed.order_id
    assert await status_of(client, account, order.client_order_id) in ("PENDING", "SUBMITTED")
    open_ids = {o.client_order_id async for g in client.iter_open_orders(account) for o in g.orders}
    assert order.client_order_id in open_ids
    replaced = await client.replace_order(account, [ModifyOrder(
        client_order_id=order.client_order_id, limit_price=Decimal("1.05"))])
    assert replaced.client_order_id == order.client_order_id
    detail = (await client.get_order(account, order.client_order_id)).orders[0]
    assert detail.limit_price == Decimal("1.05")
    await client.cancel_order(account, order.client_order_id)
    assert await status_of(client, account, order.client_order_id) == "CANCELLED"
    now = datetime.now(UTC)
    history = {o.client_order_id async for g in client.iter_order_history(
        account, now - timedelta(days=1), now + timedelta(minutes=1)) for o in g.orders}
    assert order.client_order_id in history


async def test_duplicate_client_order_id_is_refused(client: WebullClient) -> None:
    account = await margin_account(client)
    order = limit_buy()
    await client.place_order(account, [order])
    with pytest.raises(BusinessRejectionError) as info:
        await client.place_order(account, [order])
    assert info.value.error_code and info.value.error_code.startswith("OAUTH_")
    await client.cancel_order(account, order.client_order_id)


async def test_batch_place(client: WebullClient) -> None:
    account = await margin_account(client)
    orders = [BatchOrder(client_order_id=uuid.uuid4().hex, symbol=s, order_type="LIMIT",
                         limit_price="1.00", quantity="1", side="BUY",
                         support_trading_session="CORE") for s in ("AAPL", "MSFT")]
    result = await client.batch_place(account, orders)
    assert (result.total, result.success, result.failed) == (2, 2, 0)
    for o in orders:
        await client.cancel_order(account, o.client_order_id)


async def test_lost_answer_is_outcome_unknown_and_found_by_lookup(client: WebullClient,
                                                                  sim: SimServer) -> None:
    account = await margin_account(client)
    order = limit_buy()
    sim.faults.drop("/trading/orders/place", after=True)  # commit, then cut the connection
    with pytest.raises(OutcomeUnknownError):
        await client.place_order(account, [order])
    # the order exists: reconcile by looking it up, never by sending it again
    assert await status_of(client, account, order.client_order_id) in ("PENDING", "SUBMITTED")
    await client.cancel_order(account, order.client_order_id)
