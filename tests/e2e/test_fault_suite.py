"""The fault suite (issue 5): every fault below goes through the trading desk against the
simulator, and each test counts at the simulator that the order exists exactly once — 0
duplicated, 0 lost — and checks the journal's final word on it. Backoff pauses are recorded,
not slept; nothing waits on a fixed sleep.

    timeout after commit        the answer never came back, the order was placed → looked up
    connection reset after      the connection was cut after the commit         → looked up
    5xx burst                   500s on the place and on the lookups             → looked up
    429 storm                   429s with Retry-After on the place and lookups   → waited, once
    token expiry mid-submit     the sign-in was revoked before the send → absent → reconnect,
                                sent again once (same id)
    killed before the send      the journal holds a PENDING/SENT intent → absent → sent once
    killed after the send       the journal says SENT, Webull has it → placed, not resent
    double submit               two submits of one preview → one request
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.events import EventBus, SessionState
from app.core.journal import IntentState
from app.core.order_request import OrderRequest
from app.core.reconcile import SETTLE
from app.core.terminal import Terminal
from app.core.trading import (
    DeskState,
    SubmitRefused,
    TradeEvent,
    TradeResult,
    TradingDesk,
)
from app.demo import demo_connection
from app.sim import SimServer
from app.webull.ratelimit import RateLimiter
from app.webull.transport import RetryPolicy, Transport
from tests.e2e.trading_rig import (
    PLACE,
    QUICK,
    Rig,
    Wire,
    limit_buy,
    no_sleep,
    started,
)
from tests.fakes import Recorder, until

LOOKUP = "/trading/orders/get"
HISTORY = "/trading/orders/historical-orders/list"


async def send_again(desk: TradingDesk, key: str) -> TradeResult:
    """The trader's Send again: a fresh preview of the journaled order (same ids), its warnings
    acknowledged (a limit of 1.00 is far from AAPL's last price), then send."""
    return await desk.resubmit(key, await desk.preview_resubmit(key), acknowledged=True)


async def submitted(rig: Rig, desk: TradingDesk) -> tuple[str, IntentState]:
    request = OrderRequest(rig.margin, (limit_buy(),))
    preview = await desk.preview(request, None, None, ("Buy 1 AAPL limit 1.00",))
    result = await desk.submit(preview, acknowledged=False)
    return request.key, result.state


def final(rig: Rig, key: str) -> IntentState:
    intent = rig.journal.get(key)
    assert intent is not None
    return intent.state


async def settled(rig: Rig, key: str) -> IntentState:
    await until(lambda: not rig.journal.get(key).unresolved)  # type: ignore[union-attr]
    return final(rig, key)


# ------------------------------------------------------------------ lost answers


async def test_timeout_after_commit(rig: Rig, recorder: Recorder) -> None:
    desk = await started(rig)
    rig.wire.timeouts_after_commit = 1
    key, state = await submitted(rig, desk)
    assert state is IntentState.UNKNOWN
    assert await settled(rig, key) is IntentState.PLACED
    assert rig.at_sim(key) == 1 and rig.wire.places == 1
    assert [(e.action, e.state) for e in recorder.of(TradeEvent)] == [
        ("place", IntentState.UNKNOWN), ("resolve", IntentState.PLACED)]


async def test_connection_reset_after_commit(rig: Rig, sim: SimServer) -> None:
    desk = await started(rig)
    sim.faults.drop(PLACE, after=True)
    key, state = await submitted(rig, desk)
    assert state is IntentState.UNKNOWN
    assert await settled(rig, key) is IntentState.PLACED
    assert rig.at_sim(key) == 1 and rig.wire.places == 1


@pytest.mark.parametrize("committed", [True, False], ids=["after-commit", "before-commit"])
async def test_5xx_burst(rig: Rig, sim: SimServer, recorder: Recorder, committed: bool) -> None:
    desk = await started(rig)
    sim.faults.server_error(PLACE, after=committed)
    sim.faults.server_error(LOOKUP, times=9)  # two lookups' worth of retries, and more
    sim.faults.server_error(HISTORY, times=2)
    key, state = await submitted(rig, desk)
    assert state is IntentState.UNKNOWN
    if committed:
        assert await settled(rig, key) is IntentState.PLACED
        assert rig.at_sim(key) == 1 and rig.wire.places == 1
        return
    assert await settled(rig, key) is IntentState.ABSENT  # Webull never had it
    assert rig.at_sim(key) == 0
    resolved = [e for e in recorder.of(TradeEvent) if e.action == "resolve"]
    assert "send it again (same id)" in resolved[-1].message
    assert (await send_again(desk, key)).state is IntentState.ACCEPTED
    assert rig.at_sim(key) == 1 and rig.wire.places == 2 and final(rig, key) is \
        IntentState.ACCEPTED


async def test_429_storm(rig: Rig, sim: SimServer) -> None:
    desk = await started(rig)
    sim.faults.rate_limited(PLACE, times=2, retry_after=3)
    key, state = await submitted(rig, desk)
    assert state is IntentState.ABSENT and rig.at_sim(key) == 0  # turned away: not placed
    assert (await desk.resubmit(key)).state is IntentState.ABSENT  # the storm goes on
    assert (await send_again(desk, key)).state is IntentState.ACCEPTED
    assert rig.at_sim(key) == 1 and rig.wire.places == 3

    # an answer lost after the commit, then every lookup is told to slow down for a while
    sim.faults.drop(PLACE, after=True)
    sim.faults.rate_limited(LOOKUP, times=10, retry_after=4)
    sim.faults.rate_limited(HISTORY, times=4, retry_after=4)
    second, state = await submitted(rig, desk)
    assert state is IntentState.UNKNOWN
    assert await settled(rig, second) is IntentState.PLACED
    assert rig.at_sim(second) == 1 and rig.wire.places == 4
    assert max(rig.sleeps.asked) >= 4  # the desk waited at least as long as Webull asked


# ------------------------------------------------------------------ the sign-in ends


async def sign_in(terminal: Terminal) -> None:
    request = terminal.session.begin_login()
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(request.url)
    await terminal.session.complete_login(answer.headers["location"])


async def test_token_expiry_mid_submit(sim: SimServer, rig: Rig, bus: EventBus) -> None:
    env, creds = demo_connection(sim)
    wire = Wire()
    http = httpx.AsyncClient(transport=wire, trust_env=False, timeout=httpx.Timeout(10.0))
    limiter = RateLimiter(QUICK)
    transport = Transport(env, creds.signing_key, http=http, limiter=limiter,
                          retry=RetryPolicy(sleep=no_sleep))
    terminal = Terminal(env, creds, keychain=None, transport=transport, journal=rig.journal)
    desk = terminal.desk
    assert desk is not None
    try:
        await sign_in(terminal)
        await until(lambda: desk.state is DeskState.READY
                    and terminal.portfolio.balance(rig.margin) is not None)
        request = OrderRequest(rig.margin, (limit_buy(),))
        preview = await desk.preview(request, None, None, ())
        sim.revoke_user_tokens("demo")  # the sign-in ends between preview and send
        result = await desk.submit(preview, acknowledged=False)
        assert result.state is IntentState.ABSENT and "sign-in" in result.message
        await until(lambda: terminal.session.state is SessionState.EXPIRED)
        assert desk.state is DeskState.READ_ONLY
        with pytest.raises(SubmitRefused, match="reconnect"):
            await desk.resubmit(request.key)
        await sign_in(terminal)  # reconnect: the desk checks the journal, then trades
        await until(lambda: desk.state is DeskState.READY)
        assert [i.client_order_id for i in desk.absent()] == [request.key]
        assert (await send_again(desk, request.key)).state is IntentState.ACCEPTED
        assert rig.at_sim(request.key) == 1 and wire.places == 2
        assert final(rig, request.key) is IntentState.ACCEPTED
    finally:
        await terminal.close()
        await http.aclose()


# ------------------------------------------------------------------ the app dies


@pytest.mark.parametrize("left_as", [IntentState.PENDING, IntentState.SENT])
async def test_killed_between_journal_write_and_send(rig: Rig, left_as: IntentState) -> None:
    request = OrderRequest(rig.margin, (limit_buy(),))
    died = datetime.now(UTC) - SETTLE - timedelta(seconds=1)  # started again a while later
    rig.journal.record("demo", rig.margin, request.key, "place", request.body(), died)
    if left_as is IntentState.SENT:  # marked sent, died before the request left
        rig.journal.move(request.key, IntentState.SENT, died)
    desk = await started(rig)  # Pennant starts again: reconcile first
    assert final(rig, request.key) is IntentState.ABSENT and rig.wire.places == 0
    assert [i.client_order_id for i in desk.absent()] == [request.key]
    assert "never reached Webull" in desk.why
    assert (await send_again(desk, request.key)).state is IntentState.ACCEPTED
    assert rig.at_sim(request.key) == 1 and rig.wire.places == 1
    assert final(rig, request.key) is IntentState.ACCEPTED


async def test_started_again_at_once_waits_until_webull_could_have_shown_it(rig: Rig) -> None:
    # marked sent moments ago: Webull may hold it without showing it yet, so the desk neither
    # calls it absent nor lets trading start until the settling time has passed
    request = OrderRequest(rig.margin, (limit_buy(),))
    rig.journal.record("demo", rig.margin, request.key, "place", request.body(),
                       datetime.now(UTC))
    rig.journal.move(request.key, IntentState.SENT, datetime.now(UTC))
    desk = rig.new_desk()
    await desk.start()
    assert desk.state is DeskState.BLOCKED and "no record of it yet" in desk.why
    assert final(rig, request.key) is IntentState.UNKNOWN
    await until(lambda: desk.state is DeskState.READY)  # the pauses move the desk's clock on
    assert rig.sleeps.slept >= SETTLE
    assert final(rig, request.key) is IntentState.ABSENT and rig.wire.places == 0
    assert (await send_again(desk, request.key)).state is IntentState.ACCEPTED
    assert rig.at_sim(request.key) == 1 and rig.wire.places == 1


async def test_an_answer_lost_while_webull_is_still_working_is_not_called_absent(
        rig: Rig) -> None:
    # the request reached Webull, the answer was lost, and Webull commits the order only after
    # the first lookups found nothing: the desk must find it PLACED, never ABSENT
    desk = await started(rig)
    order = limit_buy()
    request = OrderRequest(rig.margin, (order,))
    rig.wire.lose_answers_before_commit = 1
    result = await desk.submit(await desk.preview(request, None, None, ()), acknowledged=False)
    assert result.state is IntentState.UNKNOWN and rig.at_sim(request.key) == 0
    await until(lambda: len(rig.sleeps.asked) >= 2)  # looked up, found nothing, twice
    assert final(rig, request.key) is IntentState.UNKNOWN
    await rig.wire.commit_held()  # Webull finishes the order it received
    await until(lambda: final(rig, request.key) is IntentState.PLACED)
    assert rig.at_sim(request.key) == 1 and desk.absent() == []


async def test_killed_after_send(rig: Rig) -> None:
    order = limit_buy()
    request = OrderRequest(rig.margin, (order,))
    rig.journal.record("demo", rig.margin, request.key, "place", request.body(),
                       datetime.now(UTC))
    rig.journal.move(request.key, IntentState.SENT, datetime.now(UTC))
    await rig.client.place_order(rig.margin, [order])  # it left and Webull took it; then death
    assert rig.wire.places == 1
    desk = await started(rig)
    assert final(rig, request.key) is IntentState.PLACED and desk.absent() == []
    with pytest.raises(SubmitRefused, match="only an order Webull never received"):
        await desk.resubmit(request.key)
    assert rig.at_sim(request.key) == 1 and rig.wire.places == 1


async def test_killed_while_the_answer_was_unknown_and_webull_is_still_failing(
        rig: Rig, sim: SimServer) -> None:
    first = await started(rig)
    sim.faults.drop(PLACE, after=True)
    sim.faults.server_error(LOOKUP, times=10_000)
    key, state = await submitted(rig, first)
    assert state is IntentState.UNKNOWN
    await first.aclose()  # the app dies while still looking
    second = rig.new_desk()
    await second.start()
    assert second.state is DeskState.BLOCKED
    assert second.why.startswith("1 order from your last session could not be checked yet")
    sim.faults.clear()
    await until(lambda: second.state is DeskState.READY)
    assert final(rig, key) is IntentState.PLACED and rig.at_sim(key) == 1
    assert rig.wire.places == 1


# ------------------------------------------------------------------ impatience


async def test_double_submit(rig: Rig) -> None:
    desk = await started(rig)
    request = OrderRequest(rig.margin, (limit_buy(),))
    preview = await desk.preview(request, None, None, ())
    results = await asyncio.gather(desk.submit(preview, acknowledged=False),
                                   desk.submit(preview, acknowledged=False),
                                   return_exceptions=True)
    assert sum(isinstance(r, SubmitRefused) for r in results) == 1
    (sent,) = [r for r in results if not isinstance(r, BaseException)]
    assert sent.state is IntentState.ACCEPTED
    assert rig.at_sim(request.key) == 1 and rig.wire.places == 1



# ------------------------------------------------------------------ Pennant's own trouble


async def test_a_closed_desk_sends_nothing(rig: Rig) -> None:
    desk = await started(rig)
    request = OrderRequest(rig.margin, (limit_buy(),))
    preview = await desk.preview(request, None, None, ())
    await desk.aclose()  # its Terminal closed (another environment opened); a ticket remains
    assert desk.state is DeskState.READ_ONLY and "open a new ticket" in desk.why
    with pytest.raises(SubmitRefused):
        await desk.submit(preview, acknowledged=False)
    assert rig.wire.places == 0 and rig.journal.get(request.key) is None


async def test_a_failure_inside_pennant_while_sending_is_looked_up(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = await started(rig)
    request = OrderRequest(rig.margin, (limit_buy(),))
    preview = await desk.preview(request, None, None, ())

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("Cannot send a request, as the client has been closed.")

    monkeypatch.setattr(rig.client, "place_order", broken)  # not a WebullError: Pennant's own
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.UNKNOWN and "Pennant failed while sending" in result.message
    assert rig.at_sim(request.key) == 0


async def test_a_second_pennant_on_the_same_journal_does_not_void_an_order_in_flight(
        rig: Rig) -> None:
    first = await started(rig)
    arrived, release = asyncio.Event(), asyncio.Event()
    inner = rig.wire.inner.handle_async_request

    async def slow_place(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(PLACE):
            arrived.set()
            await release.wait()  # Webull is slow to answer
        return await inner(request)

    rig.wire.inner.handle_async_request = slow_place  # type: ignore[method-assign]
    request = OrderRequest(rig.margin, (limit_buy(),))
    sending = asyncio.ensure_future(
        first.submit(await first.preview(request, None, None, ()), acknowledged=False))
    await arrived.wait()
    second = rig.new_desk()  # another Pennant starts on the same journal meanwhile
    await second.start()
    assert final(rig, request.key) is IntentState.UNKNOWN  # in flight: not called absent
    release.set()
    result = await sending  # Webull's acceptance reaches the first: said, not an error
    assert "Accepted by Webull" in result.message
    await until(lambda: final(rig, request.key) is IntentState.PLACED)
    assert rig.at_sim(request.key) == 1 and rig.wire.places == 1


async def test_another_sign_ins_unresolved_order_does_not_block_trading(rig: Rig) -> None:
    alice = rig.sim.state.registry.user("alice")
    theirs = alice.accounts[0].account_id  # Webull answers lookups of it only to alice
    request = OrderRequest(theirs, (limit_buy(),))
    rig.journal.record("demo", theirs, request.key, "place", request.body(), datetime.now(UTC))
    rig.journal.move(request.key, IntentState.SENT, datetime.now(UTC))  # alice's Pennant died
    desk = rig.new_desk()  # demo signs in on the same computer
    await desk.start()
    assert desk.state is DeskState.READY and "another Webull sign-in" in desk.why
    assert final(rig, request.key) is IntentState.SENT  # kept for alice's next sign-in
