"""The trading desk's state machine and its exactly-once submit, against a scripted broker:
reconcile before trading, BLOCKED while anything stays unknown, read-only without a session,
one request per preview, unknown answers looked up, absent orders sent again only on request."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

import pytest

from app.core.events import EventBus, SessionChanged, SessionState
from app.core.journal import IntentState, OrderJournal
from app.core.precautions import OrderFacts
from app.core.trading import (
    DeskChanged,
    DeskState,
    PreviewError,
    SubmitRefused,
    TradeEvent,
    TradingDesk,
)
from app.webull.errors import (
    AuthError,
    BusinessRejectionError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from app.webull.models import OrderType, Side
from tests.core.trading_fakes import (
    ACCOUNT,
    T0,
    Broker,
    Clock,
    Committed,
    Sleeps,
    fake_estimate,
    filled_portfolio,
    group,
    stock,
)
from tests.fakes import Recorder, until

LOST = OutcomeUnknownError("no answer arrived (ReadTimeout)",
                           cause=TransportError("timeout", request_sent=True))


def sent_before(journal: OrderJournal, state: IntentState = IntentState.SENT) -> str:
    """An intent a previous session wrote (and maybe sent) without learning the outcome."""
    request = stock()
    journal.record("demo", ACCOUNT, request.key, "place", request.body(), T0)
    if state is not IntentState.PENDING:
        journal.move(request.key, IntentState.SENT, T0)
    return request.key


async def ready(desk: TradingDesk) -> TradingDesk:
    """Started and READY (an order sent moments before a crash waits out Webull's settling
    time first; the test's pauses move the clock on)."""
    await desk.start()
    await until(lambda: desk.state is DeskState.READY)
    return desk


# ------------------------------------------------------------------ start-up


async def test_an_empty_journal_is_ready_at_once(desk: TradingDesk, recorder: Recorder) -> None:
    assert desk.state is DeskState.READ_ONLY  # nothing may be sent before start()
    await desk.start()
    assert [e.state for e in recorder.of(DeskChanged)] == [DeskState.RECONCILING,
                                                            DeskState.READY]
    await desk.start()  # started already: nothing happens
    assert len(recorder.of(DeskChanged)) == 2


async def test_last_sessions_orders_are_checked_before_trading(
        desk: TradingDesk, broker: Broker, journal: OrderJournal, recorder: Recorder) -> None:
    placed = sent_before(journal)  # Webull has it
    broker.orders[placed] = group(placed)
    never = sent_before(journal, IntentState.PENDING)  # the app died before sending it
    await ready(desk)
    assert journal.get(placed).state is IntentState.PLACED  # type: ignore[union-attr]
    assert [i.client_order_id for i in desk.absent()] == [never]
    assert broker.count("place_order") == 0  # nothing is sent again by itself
    assert "1 order never reached Webull" in desk.why
    events = {e.key: e for e in recorder.of(TradeEvent)}
    assert events[placed].state is IntentState.PLACED and events[placed].action == "resolve"
    assert "send it again" in events[never].message


async def test_blocked_while_an_order_stays_unknown_then_ready(
        desk: TradingDesk, broker: Broker, journal: OrderJournal, sleeps: Sleeps,
        recorder: Recorder) -> None:
    key = sent_before(journal)
    broker.fail("get_order", ServerError("Internal Server Error", status=500),
                RateLimitedError("Rate limit exceeded", status=429, retry_after=7.0),
                ServerError("Internal Server Error", status=500))
    await desk.start()
    assert desk.state is DeskState.BLOCKED
    assert desk.why.startswith("1 order from your last session could not be checked yet: "
                               "the lookup failed (Internal Server Error); Pennant keeps looking")
    with pytest.raises(PreviewError, match="could not be checked yet"):
        await desk.preview(stock(), None, None, ())
    await until(lambda: desk.state is DeskState.READY)
    assert journal.get(key).state is IntentState.ABSENT  # type: ignore[union-attr]
    assert max(sleeps.asked) >= 7.0  # Webull's Retry-After was honoured
    assert all(s > 0 for s in sleeps.asked)  # backoff between rounds, never a busy loop
    states = [e.state for e in recorder.of(DeskChanged)]
    assert states[0] is DeskState.RECONCILING and states[-1] is DeskState.READY
    assert DeskState.BLOCKED in states


async def test_without_a_session_the_desk_is_read_only(desk: TradingDesk, bus: EventBus,
                                                       broker: Broker,
                                                       journal: OrderJournal) -> None:
    sent_before(journal)
    broker.fail("get_order", *[ServerError("down", status=500)] * 50)
    await desk.start()
    assert desk.state is DeskState.BLOCKED
    bus.publish(SessionChanged(SessionState.EXPIRED, "refresh refused"))
    assert desk.state is DeskState.READ_ONLY and "reconnect" in desk.why
    broker.queued.clear()  # lookups would now succeed, but the session is gone
    for _ in range(20):
        await asyncio.sleep(0)
    assert desk.state is DeskState.READ_ONLY
    with pytest.raises(PreviewError, match="reconnect"):
        await desk.preview(stock(), None, None, ())
    bus.publish(SessionChanged(SessionState.CONNECTED))
    assert desk.state is DeskState.READ_ONLY  # the Terminal starts it on connect
    await ready(desk)


async def test_a_quick_reconnect_starts_a_fresh_check(desk: TradingDesk, bus: EventBus,
                                                      broker: Broker,
                                                      journal: OrderJournal) -> None:
    sent_before(journal)
    broker.fail("get_order", *[ServerError("down", status=500)] * 50)
    await desk.start()
    assert desk.state is DeskState.BLOCKED
    bus.publish(SessionChanged(SessionState.EXPIRED))
    await desk.start()  # at once, while the old check is still winding down
    assert desk.state is DeskState.BLOCKED and "keeps looking" in desk.why
    broker.queued.clear()
    await until(lambda: desk.state is DeskState.READY)


# ------------------------------------------------------------------ submit


async def test_a_preview_is_sent_once(desk: TradingDesk, broker: Broker, journal: OrderJournal,
                                      recorder: Recorder) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ("Buy 10 AAPL limit 187.25",))
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.ACCEPTED and "Accepted by Webull" in result.message
    (event,) = recorder.of(TradeEvent)
    assert (event.action, event.key, event.state) == ("place", preview.request.key,
                                                      IntentState.ACCEPTED)
    with pytest.raises(SubmitRefused, match="submitted already"):
        await desk.submit(preview, acknowledged=False)
    assert broker.count("place_order") == 1


async def test_a_double_submit_sends_one_request(desk: TradingDesk, broker: Broker) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.hold = asyncio.Event()
    first = asyncio.ensure_future(desk.submit(preview, acknowledged=False))
    second = asyncio.ensure_future(desk.submit(preview, acknowledged=False))
    await until(lambda: second.done())
    with pytest.raises(SubmitRefused, match="being sent already"):
        second.result()
    broker.hold.set()
    assert (await first).state is IntentState.ACCEPTED
    assert broker.count("place_order") == 1


async def test_nothing_is_sent_without_a_current_unblocked_acknowledged_preview(
        desk: TradingDesk, broker: Broker, clock: Clock) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    changed = dataclasses.replace(preview, request=stock(qty="11"))
    with pytest.raises(SubmitRefused, match="changed since it was previewed"):
        await desk.submit(changed, acknowledged=True)
    clock.advance(31)
    with pytest.raises(SubmitRefused, match="31 s old"):
        await desk.submit(preview, acknowledged=True)
    wrong_stop = OrderFacts(Side.BUY, OrderType.STOP_LOSS, Decimal(1), stop_price=Decimal(100),
                            last_price=Decimal(187))
    blocked = await desk.preview(stock(), wrong_stop, None, ())
    assert blocked.blocked
    with pytest.raises(SubmitRefused, match="trigger at once"):
        await desk.submit(blocked, acknowledged=True)
    far = OrderFacts(Side.BUY, OrderType.LIMIT, Decimal(1), limit_price=Decimal(250),
                     last_price=Decimal(187))
    advised = await desk.preview(stock(), far, None, ())
    assert advised.advisories and not advised.blocked
    with pytest.raises(SubmitRefused, match="Acknowledge the warnings first"):
        await desk.submit(advised, acknowledged=False)
    assert broker.count("place_order") == 0
    assert (await desk.submit(advised, acknowledged=True)).state is IntentState.ACCEPTED


async def test_an_unknown_answer_is_looked_up_not_resent(
        desk: TradingDesk, broker: Broker, journal: OrderJournal, recorder: Recorder) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.fail("place_order", Committed(LOST))
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.UNKNOWN and "looking the order up" in result.message
    key = preview.request.key
    settled = await desk.resolve(key)  # joins the lookup the submit started
    assert settled.state is IntentState.PLACED
    assert [e.action for e in recorder.of(TradeEvent)] == ["place", "resolve"]
    assert broker.count("place_order") == 1 and desk.state is DeskState.READY


async def test_an_order_webull_never_got_is_offered_again_with_the_same_id(
        desk: TradingDesk, broker: Broker, journal: OrderJournal, recorder: Recorder) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.fail("place_order", LOST)  # lost before Webull committed anything
    await desk.submit(preview, acknowledged=False)
    key = preview.request.key
    await until(lambda: journal.get(key).state is IntentState.ABSENT)  # type: ignore[union-attr]
    await until(lambda: any(e.action == "resolve" for e in recorder.of(TradeEvent)))
    resolved = [e for e in recorder.of(TradeEvent) if e.action == "resolve"][-1]
    assert "send it again (same id)" in resolved.message
    assert [d.absent for d in recorder.of(DeskChanged)][-1] == 1
    with pytest.raises(SubmitRefused, match="preview it again"):  # its preview is too old now
        await desk.resubmit(key)
    again = await desk.resubmit(key, await desk.preview_resubmit(key))
    assert again.state is IntentState.ACCEPTED and key in broker.orders
    assert [c[1] for c in broker.calls if c[0] == "place_order"] == [[key], [key]]
    assert desk.absent() == [] and desk.why == ""
    with pytest.raises(SubmitRefused, match="only an order Webull never received"):
        await desk.resubmit(key)


async def test_a_rate_limited_submit_is_absent_and_can_be_dismissed(
        desk: TradingDesk, broker: Broker, journal: OrderJournal) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.fail("place_order", RateLimitedError("Rate limit exceeded", status=429))
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.ABSENT and "send it again (same id)" in result.message
    with pytest.raises(SubmitRefused, match="send it again"):
        await desk.submit(preview, acknowledged=False)
    dismissed = desk.dismiss(preview.request.key)
    assert dismissed.state is IntentState.DISMISSED and desk.absent() == []
    with pytest.raises(ValueError, match="only an order Webull never received"):
        desk.dismiss(preview.request.key)
    assert broker.count("place_order") == 1
    assert journal.audit("demo")[-1]["event"] == "dismissed"


async def test_a_rejection_keeps_webulls_code_words_and_links(desk: TradingDesk,
                                                              broker: Broker) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.fail("place_order", BusinessRejectionError(
        "Sign the options agreement at https://www.webull.com/agreement/options.",
        status=417, error_code="OAUTH_OPENAPI_NO_AGREEMENT"))
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.REJECTED
    assert "[OAUTH_OPENAPI_NO_AGREEMENT]" in result.message
    assert result.links == ("https://www.webull.com/agreement/options",)


async def test_a_refused_sign_in_is_absent_and_the_session_is_asked_to_renew(
        broker: Broker, journal: OrderJournal, bus: EventBus, clock: Clock,
        sleeps: Sleeps) -> None:
    renewals: list[object] = []

    async def renew(exc: object) -> bool:
        renewals.append(exc)
        return False

    desk = TradingDesk(broker, journal, bus, "demo", portfolio=filled_portfolio(),
                       estimator=fake_estimate, now=clock, sleep=sleeps, on_auth_error=renew)
    try:
        await ready(desk)
        preview = await desk.preview(stock(), None, None, ())
        broker.fail("place_order", AuthError("token expired", status=401))
        result = await desk.submit(preview, acknowledged=False)
        assert result.state is IntentState.ABSENT and len(renewals) == 1
    finally:
        await desk.aclose()


async def test_an_abandoned_submit_is_looked_up(desk: TradingDesk, broker: Broker,
                                                journal: OrderJournal) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.hold = asyncio.Event()
    task = asyncio.ensure_future(desk.submit(preview, acknowledged=False))
    await until(lambda: broker.count("place_order") == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    key = preview.request.key
    await until(lambda: journal.get(key).state is IntentState.ABSENT)  # type: ignore[union-attr]
    assert broker.count("get_order") >= 1


async def test_closing_stops_the_lookups(desk: TradingDesk, broker: Broker,
                                         journal: OrderJournal) -> None:
    await ready(desk)
    preview = await desk.preview(stock(), None, None, ())
    broker.fail("place_order", LOST)
    broker.fail("get_order", *[ServerError("down", status=500)] * 10_000)
    await desk.submit(preview, acknowledged=False)
    waiting = asyncio.ensure_future(desk.resolve(preview.request.key))
    await until(lambda: broker.count("get_order") >= 3)
    await desk.aclose()
    result = await waiting
    assert result.state is IntentState.UNKNOWN and "stopped" in result.message
    seen = broker.count("get_order")
    for _ in range(10):
        await asyncio.sleep(0)
    assert broker.count("get_order") == seen
