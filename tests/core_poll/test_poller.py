"""The poller on a fake client and virtual time: scheduling, limits, failures, health, resume,
sign-in refusals and activity. Deterministic: time only moves through VirtualTime.run."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from app.core.events import (
    AccountsUpdated,
    Activity,
    ActivityKind,
    BalanceUpdated,
    DataKind,
    EventBus,
    Freshness,
    Health,
    HealthChanged,
    HistoryLoaded,
    NetLiquidationPoint,
    OpenOrdersUpdated,
    PositionsUpdated,
)
from app.core.history import NlvHistory
from app.core.poller import INACCESSIBLE, RESUMED, Poller
from app.webull.errors import (
    AuthError,
    RateLimitedError,
    ServerError,
    TransportError,
    WebullError,
)
from app.webull.ratelimit import WEBULL_LIMITS
from tests.fakes import Recorder

from .conftest import (
    EPOCH,
    FakeClient,
    VirtualTime,
    account,
    balance,
    group,
    item,
    position,
)

GROUP_OF = {"list_accounts": "accounts", "get_balance": "balances",
            "list_positions": "positions", "iter_open_orders": "open_orders",
            "get_order": "order_detail", "iter_order_history": "order_history"}


def server_error() -> ServerError:
    return ServerError("Internal Server Error", status=500, error_code="SYSTEM_ERROR")


def network_error() -> TransportError:
    return TransportError("network failure (ConnectError)", request_sent=False)


def make(vt: VirtualTime, bus: EventBus, client: FakeClient, **kw: Any) -> Poller:
    return Poller(client, bus, clock=vt.clock, wall=vt.wall, sleep=vt.sleep,
                  rng=random.Random(1), **kw)


@asynccontextmanager
async def running(poller: Poller) -> AsyncIterator[Poller]:
    poller.start()
    try:
        yield poller
    finally:
        await poller.stop()


def times(client: FakeClient, method: str, account_id: str | None = None) -> list[float]:
    return [t for m, a, t in client.calls if m == method and (account_id is None or a == account_id)]


async def test_first_poll_fills_every_panel(vt: VirtualTime, bus: EventBus,
                                            recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("B", "ACC0005678")])
    client.positions["A"] = [position("P1")]
    poller = make(vt, bus, client)
    async with running(poller):
        await vt.run(1)
    assert [e.accounts for e in recorder.of(AccountsUpdated)] == [tuple(client.accounts)]
    assert {e.account_id for e in recorder.of(BalanceUpdated)} == {"A", "B"}
    pos = {e.account_id: e.diff for e in recorder.of(PositionsUpdated)}
    assert pos["A"].reset and [k for k, _ in pos["A"].added] == ["P1"]
    assert {e.account_id for e in recorder.of(OpenOrdersUpdated)} == {"A", "B"}
    for kind in (DataKind.BALANCE, DataKind.POSITIONS, DataKind.OPEN_ORDERS):
        fresh = poller.freshness(kind, "A")
        assert fresh.fetched_at == EPOCH and not fresh.stale and fresh.error is None
    assert poller.portfolio.balance("B") == balance()
    assert poller.health is Health.CONNECTED and not recorder.of(HealthChanged)


async def test_focused_account_first_and_most_often(vt: VirtualTime, bus: EventBus) -> None:
    ids = ["A", "B", "C", "D"]
    client = FakeClient(vt, [account(i) for i in ids])
    poller = make(vt, bus, client)
    poller.set_focus("C")
    async with running(poller):
        await vt.run(60)
    first = [a for m, a, _ in client.calls if m == "get_balance"][0]
    assert first == "C"
    counts = {i: client.count("get_balance", i) for i in ids}
    assert counts["C"] >= 28  # every 2 s
    assert all(5 <= counts[i] <= 8 for i in ("A", "B", "D")), counts  # every 10 s


async def test_never_more_than_the_limit_per_window(vt: VirtualTime, bus: EventBus) -> None:
    ids = [f"A{i}" for i in range(12)]
    client = FakeClient(vt, [account(i) for i in ids])
    client.latency = 0.05
    poller = make(vt, bus, client)
    poller.set_focus("A3")
    async with running(poller):
        await vt.run(90)
    by_group: dict[str, list[float]] = {}
    for method, _, t in client.calls:
        by_group.setdefault(GROUP_OF[method], []).append(t)
    assert len(by_group["balances"]) >= 80  # the limit is used, not wasted
    for name, starts in by_group.items():
        limit = WEBULL_LIMITS[name]
        for i in range(len(starts) - limit.limit):
            assert starts[i + limit.limit] - starts[i] >= limit.period_s - 1e-9, (name, i)
    # the others share what is left round-robin: everyone got several refreshes
    assert min(client.count("get_balance", i) for i in ids) >= 3


async def test_a_place_in_the_window_counts_from_the_answer(vt: VirtualTime,
                                                            bus: EventBus) -> None:
    # Webull counts a request when it arrives, which may be as late as its answer: a slow answer
    # keeps its place longer, as the transport's limiter counts it (so nothing queues there)
    client = FakeClient(vt, [account(i) for i in ("A", "B", "C")])
    client.latency = 0.5
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(40)
    starts = times(client, "get_balance")
    assert len(starts) >= 20
    limit = WEBULL_LIMITS["balances"]
    for i in range(len(starts) - limit.limit):
        answered = starts[i] + client.latency
        assert starts[i + limit.limit] - answered >= limit.period_s - 1e-9, i


async def test_hidden_window_polls_five_times_less(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(60)
        visible = client.count("get_balance")
        poller.set_visible(False)
        await vt.run(60)
        hidden = client.count("get_balance") - visible
        poller.set_visible(True)
        await vt.run(4)
        back = client.count("get_balance") - visible - hidden
    assert visible >= 29 and 5 <= hidden <= 7 and back >= 2


async def test_failure_keeps_data_marks_stale_backs_off_and_recovers(
        vt: VirtualTime, bus: EventBus, recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A")])
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(3)
        good = poller.freshness(DataKind.BALANCE, "A")
        broke_at = vt.t
        client.broken[("get_balance", None)] = server_error()
        client.balances["A"] = balance("2000")
        recorder.clear()
        await vt.run(150)
        stale = [e for e in recorder.of(Freshness) if e.kind is DataKind.BALANCE]
        assert stale and all(e.stale for e in stale)
        assert "server problem (HTTP 500)" in stale[0].error and "retrying in" in stale[0].error
        assert stale[-1].fetched_at == good.fetched_at
        assert poller.portfolio.balance("A") == balance()  # old data kept
        failing = [t for t in times(client, "get_balance") if t >= broke_at]
        gaps = [b - a for a, b in zip(failing, failing[1:], strict=False)]
        assert len(gaps) >= 7
        for n, gap in enumerate(gaps, start=1):
            ceiling = min(60.0, 2.0 ** (n - 1))
            assert ceiling / 2 - 1e-6 <= gap <= ceiling + 1e-6, (n, gaps)
        assert max(gaps) > 30  # reached the cap region
        assert [e.health for e in recorder.of(HealthChanged)] == [Health.DEGRADED]
        assert poller.health is Health.DEGRADED
        del client.broken[("get_balance", None)]
        await vt.run(61)
    assert poller.portfolio.balance("A") == balance("2000")
    assert not poller.freshness(DataKind.BALANCE, "A").stale
    assert [e.health for e in recorder.of(HealthChanged)] == [Health.DEGRADED, Health.CONNECTED]


async def test_rate_limited_waits_for_retry_after(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(1)
        client.fail("get_balance", RateLimitedError("slow down", status=429, retry_after=30.0))
        await vt.run(40)
    calls = times(client, "get_balance")
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert 30.0 <= max(gaps) < 31.0
    assert not poller.freshness(DataKind.BALANCE, "A").stale


async def test_offline_then_reachable_again(vt: VirtualTime, bus: EventBus,
                                            recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("B")])
    poller = make(vt, bus, client)
    async with running(poller):
        await vt.run(1)
        for method in GROUP_OF:
            client.broken[(method, None)] = network_error()
        await vt.run(20)
        assert poller.health is Health.OFFLINE
        stale = poller.freshness(DataKind.POSITIONS, "B")
        assert stale.stale and "could not be reached" in (stale.error or "")
        client.broken.clear()
        await vt.run(70)
    assert poller.health is Health.CONNECTED
    healths = [e.health for e in recorder.of(HealthChanged)]
    assert Health.OFFLINE in healths and healths[-1] is Health.CONNECTED
    texts = [a.text for a in recorder.of(Activity)]
    assert any("cannot be reached" in t for t in texts)
    assert any("can be reached again" in t for t in texts)
    assert all(not poller.freshness(k, i).stale for i in "AB"
               for k in (DataKind.BALANCE, DataKind.POSITIONS, DataKind.OPEN_ORDERS))


async def test_resume_from_sleep_marks_everything_stale_and_refreshes(
        vt: VirtualTime, bus: EventBus, recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("B")])
    poller = make(vt, bus, client)
    poller.set_visible(False)
    async with running(poller):
        await vt.run(3)
        before = client.count("get_balance")
        recorder.clear()
        vt.wall_offset += timedelta(hours=2)  # slept two hours
        await vt.run(6)
    stale = [e for e in recorder.of(Freshness) if e.stale]
    panels = {(e.kind, e.account_id) for e in stale}
    assert (DataKind.ACCOUNTS, None) in panels and len(panels) == 9  # 2 accounts x 4 + list
    assert all(e.error == RESUMED for e in stale)
    assert any(a.kind is ActivityKind.INFO and RESUMED in a.text for a in recorder.of(Activity))
    assert client.count("get_balance") - before >= 2  # hidden: would not be due for 25 s
    assert not poller.freshness(DataKind.BALANCE, "A").stale


async def test_refresh_now_makes_an_account_due(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A"), account("B")])
    poller = make(vt, bus, client)
    poller.set_visible(False)
    async with running(poller):
        await vt.run(5)
        before = {i: client.count("list_positions", i) for i in "AB"}
        poller.refresh_now("B")
        await vt.run(0.1)
    assert client.count("list_positions", "B") == before["B"] + 1
    assert client.count("list_positions", "A") == before["A"]


async def test_refused_sign_in_pauses_until_resumed(vt: VirtualTime, bus: EventBus,
                                                    recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A")])
    seen: list[WebullError] = []

    async def expired(error: WebullError) -> bool:
        seen.append(error)
        return False

    poller = make(vt, bus, client, on_auth_error=expired)
    async with running(poller):
        await vt.run(1)
        client.broken[("get_balance", None)] = AuthError("token expired", status=401)
        await vt.run(5)
        assert len(seen) == 1
        calls, events = len(client.calls), len(recorder.events)
        await vt.run(60)
        assert len(client.calls) == calls and len(recorder.events) == events
        del client.broken[("get_balance", None)]
        poller.resume()
        await vt.run(1)
    assert len(client.calls) > calls
    assert not poller.freshness(DataKind.BALANCE, "A").stale


async def test_renewed_sign_in_retries_once(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    renewals: list[WebullError] = []

    async def renew(error: WebullError) -> bool:
        renewals.append(error)
        return True

    poller = make(vt, bus, client, on_auth_error=renew)
    client.fail("get_balance", AuthError("token expired", status=401))
    async with running(poller):
        await vt.run(1)
    assert len(renewals) == 1 and client.count("get_balance") == 2
    fresh = poller.freshness(DataKind.BALANCE, "A")
    assert fresh.fetched_at is not None and not fresh.stale


async def test_account_of_another_user_is_marked_inaccessible(vt: VirtualTime, bus: EventBus,
                                                              recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("X")])
    client.broken[("get_balance", "X")] = AuthError("not your account", status=401)
    renewals: list[WebullError] = []

    async def renew(error: WebullError) -> bool:
        renewals.append(error)
        return True

    poller = make(vt, bus, client, on_auth_error=renew)
    async with running(poller):
        await vt.run(200)
    x = poller.freshness(DataKind.BALANCE, "X")
    assert x.stale and x.error == INACCESSIBLE
    assert len(renewals) == 1  # later retries do not renew the sign-in again
    assert 3 <= client.count("get_balance", "X") <= 6  # retried slowly
    assert not poller.freshness(DataKind.BALANCE, "A").stale
    assert poller.health is Health.CONNECTED


async def test_order_activity_new_fill_cancel_reject(vt: VirtualTime, bus: EventBus,
                                                     recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A")])
    client.open["A"] = [group(item("X1"))]
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(1)
        assert not recorder.of(Activity)  # the first snapshot is not news
        client.open["A"] = [group(item("X1", status="PARTIAL_FILLED", filled="4",
                                       price="187.25")), group(item("X2")), group(item("X3"))]
        await vt.run(2)
        client.details[("A", "X1")] = group(item("X1", status="FILLED", filled="10",
                                                 price="187.25"))
        client.details[("A", "X2")] = group(item("X2", status="CANCELLED"))
        client.details[("A", "X3")] = group(item("X3", status="FAILED"))
        client.fail("get_order", server_error())  # the first lookup fails: retried
        client.open["A"] = []
        await vt.run(20)
    acts = [(a.kind, a.text, a.client_order_id, a.account_id) for a in recorder.of(Activity)]
    kinds = {(k, c) for k, _, c, _ in acts}
    assert (ActivityKind.NEW, "X2") in kinds and (ActivityKind.NEW, "X3") in kinds
    texts = [t for _, t, _, _ in acts]
    assert "Partly filled: BUY 4 AAPL @ 187.25 (4 of 10 done) — Margin ·1234" in texts
    # the final line adds only what the partial fill did not report: 4 + 6 = 10
    assert "Filled: BUY 6 AAPL @ 187.25 (10 of 10 done) — Margin ·1234" in texts
    assert (ActivityKind.CANCELLED, "X2") in kinds and (ActivityKind.REJECTED, "X3") in kinds
    assert all(a == "A" for *_, a in acts)
    assert len(acts) == 6


async def test_orders_that_finish_between_two_polls_are_reported_once(
        vt: VirtualTime, bus: EventBus, recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A")])
    poller = make(vt, bus, client)
    poller.set_focus("A")
    async with running(poller):
        await vt.run(1)
        soon = (vt.wall() + timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
        before = (vt.wall() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        # S1 was placed and filled between two open-order polls: never listed as open
        client.history["A"] = [
            group(item("S1", status="FILLED", filled="10", price="187.25", placed=soon)),
            group(item("OLD", status="FILLED", filled="10", price="1.00", placed=before)),
        ]
        # S2 is seen open first: its end is the lookup's to report, not the sweep's
        client.open["A"] = [group(item("S2", placed=soon))]
        await vt.run(3)
        client.open["A"] = []
        client.details[("A", "S2")] = group(item("S2", status="CANCELLED", placed=soon))
        client.history["A"].append(group(item("S2", status="CANCELLED", placed=soon)))
        await vt.run(60)
    acts = [(a.kind, a.client_order_id) for a in recorder.of(Activity)]
    assert acts.count((ActivityKind.FILL, "S1")) == 1  # reported, and only once
    assert acts.count((ActivityKind.CANCELLED, "S2")) == 1  # by the lookup only
    assert not [a for a in acts if a[1] == "OLD"]  # finished before Pennant looked
    fill = next(a for a in recorder.of(Activity) if a.client_order_id == "S1")
    assert fill.text.startswith("Filled: BUY 10 AAPL @ 187.25") and fill.account_id == "A"
    assert client.count("iter_order_history", "A") >= 5  # swept every ~10 s


async def test_balance_records_net_liquidation(vt: VirtualTime, bus: EventBus,
                                               recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("E", cls="EVENTS_CASH")])
    client.balances["E"] = balance(None)
    history = NlvHistory(":memory:")
    poller = make(vt, bus, client, history=history, environment="demo")
    async with running(poller):
        await vt.run(1)
    points = recorder.of(NetLiquidationPoint)
    assert [(p.account_id, p.value) for p in points] == [("A", Decimal("1000.50"))]
    assert history.series("demo", "A") == [(points[0].at, Decimal("1000.50"))]
    assert history.series("demo", "E") == []
    history.close()


async def test_history_and_order_lookup_on_demand(vt: VirtualTime, bus: EventBus,
                                                  recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A")])
    client.history["A"] = [group(item(f"H{i}", status="FILLED")) for i in range(450)]
    client.details[("A", "H1")] = group(item("H1", status="FILLED"))
    poller = make(vt, bus, client)
    start, end = vt.wall() - timedelta(days=7), vt.wall()
    groups = await poller.load_history("A", start, end)
    assert len(groups) == 450
    loaded = recorder.of(HistoryLoaded)
    assert len(loaded) == 1 and loaded[0].groups == groups and loaded[0].start == start
    assert not poller.freshness(DataKind.HISTORY, "A").stale
    assert (await poller.fetch_order("A", "H1")).orders[0].client_order_id == "H1"
    client.fail("iter_order_history", server_error())
    try:
        await poller.load_history("A", start, end)
    except ServerError:
        pass
    else:
        raise AssertionError("the failure must reach the caller")
    assert poller.freshness(DataKind.HISTORY, "A").stale


async def test_accounts_that_disappear_stop_being_polled(vt: VirtualTime, bus: EventBus,
                                                         recorder: Recorder) -> None:
    client = FakeClient(vt, [account("A"), account("B")])
    poller = make(vt, bus, client)
    async with running(poller):
        await vt.run(1)
        client.accounts = [client.accounts[0]]
        poller.refresh_now()
        await vt.run(1)
        before = client.count("get_balance", "B")
        await vt.run(30)
    assert client.count("get_balance", "B") == before
    assert [len(e.accounts) for e in recorder.of(AccountsUpdated)] == [2, 1]
    assert poller.portfolio.balance("B") is None


async def test_stop_cancels_everything_and_start_again(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    client.latency = 5.0  # requests in flight when stopped
    poller = make(vt, bus, client)
    poller.start()
    poller.start()  # idempotent
    await vt.run(1)
    await poller.stop()
    calls = len(client.calls)
    await vt.run(30)
    assert len(client.calls) == calls
    client.latency = 0.0
    async with running(poller):
        await vt.run(1)
    assert client.count("get_balance") >= 1


async def test_concurrent_refusals_renew_the_sign_in_once(vt: VirtualTime, bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    client.latency = 0.5  # balance, positions and open orders are in flight together
    renewals: list[WebullError] = []

    async def renew(error: WebullError) -> bool:
        renewals.append(error)
        return True

    poller = make(vt, bus, client, on_auth_error=renew)
    async with running(poller):
        await vt.run(1)
        for method in ("get_balance", "list_positions", "iter_open_orders"):
            client.fail(method, AuthError("token expired", status=401))
        poller.refresh_now("A")
        await vt.run(3)
    assert len(renewals) == 1
    assert not any(poller.freshness(k, "A").stale
                   for k in (DataKind.BALANCE, DataKind.POSITIONS, DataKind.OPEN_ORDERS))


async def test_stopped_right_after_launch_polls_again_after_start(vt: VirtualTime,
                                                                  bus: EventBus) -> None:
    client = FakeClient(vt, [account("A")])
    poller = make(vt, bus, client)
    poller.start()
    await vt.run(1)
    poller.refresh_now()
    # let the loop launch its requests, then stop before they run
    while not poller._tasks:
        await asyncio.sleep(0)
    await poller.stop()
    before = len(client.calls)
    async with running(poller):
        await vt.run(1)
    assert client.count("get_balance") >= 2 and len(client.calls) > before
