"""Sending orders exactly once, against the simulator's faults: every outcome is journaled,
nothing is sent twice, and an ambiguous answer is left UNKNOWN for a lookup."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.core.journal import IntentState, OrderJournal
from app.core.order_request import OrderRequest
from app.core.order_sender import OrderSender, SubmitInFlight
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.models import NewOrder
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import RateLimiter
from app.webull.transport import RetryPolicy, Transport

PLACE = "/trading/orders/place"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
async def client(sim: SimServer) -> AsyncIterator[WebullClient]:
    sim.faults.clear()
    env, creds = demo_connection(sim)

    async def no_sleep(_: float) -> None:
        return None

    transport = Transport(env, creds.signing_key, limiter=RateLimiter(),
                          retry=RetryPolicy(sleep=no_sleep))
    tokens = TokenManager(transport, creds)
    await auto_sign_in(AuthorizationFlow(env, creds), tokens)
    yield WebullClient(transport, tokens.access_token)
    await transport.aclose()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[OrderJournal]:
    j = OrderJournal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


_MARGIN: dict[str, str] = {}  # the account list is read once: it is limited to 10 per 30 s


async def margin(client: WebullClient) -> str:
    if "id" not in _MARGIN:
        accounts = await client.list_accounts()
        _MARGIN["id"] = next(a.account_id for a in accounts
                             if a.account_class == "INDIVIDUAL_MARGIN")
    return _MARGIN["id"]


def limit_buy(price: str = "1.00") -> NewOrder:
    return NewOrder(client_order_id=uuid.uuid4().hex, symbol="AAPL", instrument_type="EQUITY",
                    order_type="LIMIT", limit_price=price, quantity="1", side="BUY",
                    time_in_force="DAY", support_trading_session="CORE")


def one(account: str, order: NewOrder) -> OrderRequest:
    return OrderRequest(account, (order,))


async def orders_with(client: WebullClient, account: str, coid: str) -> int:
    return len([o async for g in client.iter_open_orders(account)
                for o in g.orders if o.client_order_id == coid])


async def test_accepted_and_never_sent_again(client: WebullClient,
                                             journal: OrderJournal) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    outcome = await sender.place(one(account, order))
    assert outcome.state is IntentState.ACCEPTED and outcome.intent.order_id
    with pytest.raises(SubmitInFlight, match="not sent again"):
        await sender.place(one(account, order))
    assert await orders_with(client, account, order.client_order_id) == 1


async def test_a_double_submit_sends_once(client: WebullClient, journal: OrderJournal) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    results = await asyncio.gather(sender.place(one(account, order)),
                                   sender.place(one(account, order)), return_exceptions=True)
    assert sum(isinstance(r, SubmitInFlight) for r in results) == 1
    assert await orders_with(client, account, order.client_order_id) == 1


@pytest.mark.parametrize("fault", ["drop_after", "server_error_after"])
async def test_a_lost_answer_after_commit_is_unknown(client: WebullClient, journal: OrderJournal,
                                                     sim: SimServer, fault: str) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    if fault == "drop_after":
        sim.faults.drop(PLACE, after=True)
    else:
        sim.faults.server_error(PLACE, after=True)
    outcome = await sender.place(one(account, order))
    assert outcome.state is IntentState.UNKNOWN
    assert [i.client_order_id for i in journal.unresolved("demo")] == [order.client_order_id]
    # it was committed: the lookup will find it (and nothing re-sent it)
    assert await orders_with(client, account, order.client_order_id) == 1


async def test_a_refused_request_is_absent_and_resent_with_the_same_id(
        client: WebullClient, journal: OrderJournal, sim: SimServer) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    sim.faults.rate_limited(PLACE)
    first = await sender.place(one(account, order))
    assert first.state is IntentState.ABSENT and "slow down" in first.message
    again = await sender.place(one(account, order))
    assert again.state is IntentState.ACCEPTED
    assert await orders_with(client, account, order.client_order_id) == 1


async def test_a_rejection_keeps_webulls_code_and_words(client: WebullClient,
                                                        journal: OrderJournal) -> None:
    sender, account = OrderSender(client, journal, "demo"), await margin(client)
    order = NewOrder(client_order_id=uuid.uuid4().hex, symbol="NOSUCHSYM",
                     instrument_type="EQUITY", order_type="LIMIT", limit_price="1.00",
                     quantity="1", side="BUY", time_in_force="DAY",
                     support_trading_session="CORE")
    outcome = await sender.place(one(account, order))
    assert outcome.state is IntentState.REJECTED and outcome.message.startswith("Rejected [")
    assert journal.audit("demo")[-1]["payload"]["response"]["error_code"]


async def test_abandoning_the_wait_leaves_it_unknown(client: WebullClient,
                                                     journal: OrderJournal,
                                                     sim: SimServer) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    sim.faults.delay(PLACE, seconds=2.0)
    task = asyncio.ensure_future(sender.place(one(account, order)))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    intent = journal.get(order.client_order_id)
    assert intent is not None and intent.state is IntentState.UNKNOWN
    assert not sender.in_flight(order.client_order_id)


def bracket(account: str) -> OrderRequest:
    """A buy with its take-profit and stop-loss: three orders, one place call."""
    def leg(**fields: str) -> NewOrder:
        return NewOrder(client_order_id=uuid.uuid4().hex, symbol="AAPL",
                        instrument_type="EQUITY", quantity="1", time_in_force="DAY",
                        support_trading_session="CORE", **fields)  # type: ignore[arg-type]

    return OrderRequest(account, (
        leg(combo_type="MASTER", side="BUY", order_type="LIMIT", limit_price="1.00"),
        leg(combo_type="STOP_PROFIT", side="SELL", order_type="LIMIT", limit_price="2.00"),
        leg(combo_type="STOP_LOSS", side="SELL", order_type="STOP_LOSS", stop_price="0.50"),
    ), uuid.uuid4().hex)


async def test_a_combo_is_journaled_by_its_key_and_placed_in_one_call(
        client: WebullClient, journal: OrderJournal, sim: SimServer) -> None:
    from app.core.reconcile import reconcile

    account = await margin(client)
    request = bracket(account)
    sim.faults.drop(PLACE, after=True)  # Webull committed the combo; the answer was lost
    outcome = await OrderSender(client, journal, "demo").place(request)
    assert outcome.state is IntentState.UNKNOWN
    intent = journal.get(request.key)
    assert intent is not None and OrderRequest.from_body(account, intent.request) == request
    (resolution,) = await reconcile(journal, client, "demo")
    assert resolution.intent.state is IntentState.PLACED
    groups = [g for g in sim.orders.groups(account)
              if any(o.client_order_id == request.key for o in g)]
    assert len(groups) == 1 and len(groups[0]) == 3


async def test_a_resubmit_with_other_terms_is_refused(client: WebullClient,
                                                      journal: OrderJournal,
                                                      sim: SimServer) -> None:
    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    sim.faults.rate_limited(PLACE)
    assert (await sender.place(one(account, order))).state is IntentState.ABSENT
    changed = order.model_copy(update={"limit_price": order.limit_price * 2})  # type: ignore[operator]
    with pytest.raises(SubmitInFlight, match="other terms"):
        await sender.place(one(account, changed))
    assert await orders_with(client, account, order.client_order_id) == 0


# ------------------------------------------------------------------ reconciliation


async def test_an_unknown_order_is_found_placed(client: WebullClient, journal: OrderJournal,
                                                sim: SimServer) -> None:
    from app.core.reconcile import reconcile

    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    sim.faults.drop(PLACE, after=True)
    assert (await sender.place(one(account, order))).state is IntentState.UNKNOWN
    (resolution,) = await reconcile(journal, client, "demo")
    assert resolution.intent.state is IntentState.PLACED and resolution.intent.order_id
    assert journal.unresolved("demo") == []


async def test_killed_before_the_request_left_is_absent_and_resent_once(
        client: WebullClient, journal: OrderJournal) -> None:
    from datetime import UTC, datetime, timedelta

    from app.core.reconcile import SETTLE, reconcile

    account, order = await margin(client), limit_buy()
    # the app wrote the intent and marked it sent, then died before the request left
    died = datetime.now(UTC) - SETTLE - timedelta(seconds=1)
    journal.record("demo", account, order.client_order_id, "place", one(account, order).body(),
                   died)
    journal.move(order.client_order_id, IntentState.SENT, died)
    (resolution,) = await reconcile(journal, client, "demo")  # on the next start
    assert resolution.intent.state is IntentState.ABSENT and "sent again" in resolution.message
    outcome = await OrderSender(client, journal, "demo").place(one(account, order))
    assert outcome.state is IntentState.ACCEPTED
    assert await orders_with(client, account, order.client_order_id) == 1


async def test_a_failed_lookup_decides_nothing(client: WebullClient, journal: OrderJournal,
                                               sim: SimServer) -> None:
    from app.core.reconcile import reconcile

    sender, account, order = OrderSender(client, journal, "demo"), await margin(client), limit_buy()
    sim.faults.drop(PLACE, after=True)
    await sender.place(one(account, order))
    sim.faults.server_error("/trading/orders/get", times=20)
    (resolution,) = await reconcile(journal, client, "demo")
    assert resolution.intent.state is IntentState.UNKNOWN and "look again" in resolution.message
    sim.faults.clear()
    (resolution,) = await reconcile(journal, client, "demo")
    assert resolution.intent.state is IntentState.PLACED
