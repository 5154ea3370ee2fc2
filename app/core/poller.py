"""Keeps every account's balance, positions and open orders fresh within Webull's rate limits.

Scheduling. Each (data kind, account) is a *job* with its own due time: the account on screen
every 2 s, the others every 10 s (5 s each when no account has the focus), the account list
every 60 s; all five times slower while the window is hidden. Jobs of one rate-limit group
(balances, positions, open_orders, …) never overlap: at most one request per group is in
flight, and a request starts only when the group's sliding window has room. The transport would
wait for a slot anyway, but a queue inside it would decide the order instead of us. When
several jobs of a group are due, the focused account goes first, then the longest overdue —
so the other accounts share what is left of the limit round-robin.

Failures. A failed job keeps its old data, publishes ``Freshness(stale=True, error=…)`` and is
retried with exponential backoff and jitter (1 s doubling to 60 s, never sooner than a 429's
Retry-After). Health is OFFLINE when the last few requests all failed on the network, DEGRADED
while any panel is stale through an error, else CONNECTED. A refused sign-in goes to
``on_auth_error``: False pauses everything (nothing more is published) until ``resume()``;
True retries once, and a second refusal marks that account inaccessible.

Sleep and resume. The loop wakes at least every few seconds; when the wall clock moved much
further than the monotonic clock (the machine slept) or a wake came very late, every panel is
marked stale and everything is refreshed at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from app.webull.errors import AuthError, WebullError
from app.webull.models import Account, Balance, OrderGroup, Position
from app.webull.ratelimit import WEBULL_LIMITS, Limit

from .events import (
    AccountsUpdated,
    Activity,
    ActivityKind,
    BalanceUpdated,
    DataKind,
    EventBus,
    Freshness,
    Health,
    HistoryLoaded,
    NetLiquidationPoint,
    OpenOrdersUpdated,
    PositionsUpdated,
)
from .history import NlvHistory
from .poller_jobs import (
    BACKOFF_CAP,
    DETAIL_GROUP,
    HISTORY_GROUP,
    INACCESSIBLE,
    LOOKUP_ATTEMPTS,
    MAX_TICK,
    RESUME_JUMP,
    RECENT_OVERLAP_S,
    RESUMED,
    _Groups,
    _Job,
    _Lookup,
    _Paused,
    _Status,
    backoff,
    describe,
)
from .portfolio import Portfolio, activity_for_final, fill_text, new_order_text
from .rows import FINAL_STATUSES, OrderRow, order_rows

log = logging.getLogger(__name__)

def utcnow() -> datetime:
    return datetime.now(UTC)


class ReadClient(Protocol):
    """The part of WebullClient the poller reads with."""

    async def list_accounts(self) -> tuple[Account, ...]: ...
    async def get_balance(self, account_id: str) -> Balance: ...
    async def list_positions(self, account_id: str) -> tuple[Position, ...]: ...
    def iter_open_orders(self, account_id: str) -> AsyncIterator[OrderGroup]: ...
    def iter_order_history(self, account_id: str, start: datetime | None = None,
                           end: datetime | None = None) -> AsyncIterator[OrderGroup]: ...
    async def get_order(self, account_id: str, client_order_id: str) -> OrderGroup: ...


#: Session.handle_auth_error: True when a retry may succeed, False when the sign-in is gone
AuthHandler = Callable[[WebullError], Awaitable[bool]]


class Poller:
    """Polls one signed-in client and publishes what changed on the bus (see the module
    docstring for the schedule). ``clock``, ``wall``, ``sleep`` and ``rng`` are injectable so
    tests run on virtual time."""

    def __init__(
        self,
        client: ReadClient,
        bus: EventBus,
        *,
        portfolio: Portfolio | None = None,
        history: NlvHistory | None = None,
        environment: str = "demo",
        on_auth_error: AuthHandler | None = None,
        limits: Mapping[str, Limit] = WEBULL_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._bus = bus
        self.portfolio = portfolio if portfolio is not None else Portfolio()
        self._history = history
        self.environment = environment
        self._on_auth_error = on_auth_error
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self._rng = rng or random.Random()
        self._status = _Status(bus, wall)
        self._focus: str | None = None
        self._visible = True
        self._paused = False
        self._jobs: dict[tuple[DataKind, str | None], _Job] = {
            (DataKind.ACCOUNTS, None): _Job(DataKind.ACCOUNTS, None)}
        self._lookups: dict[tuple[str, str], _Lookup] = {}
        self._groups = _Groups(limits, clock, sleep)
        self._auth_generation = 0
        self._auth_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._accounts_seen = False
        # the recent-orders sweep: when each account was first polled, where the next sweep
        # starts, orders ever seen open (their end is reported by a lookup) and orders whose
        # final status was reported already
        self._first_seen: dict[str, datetime] = {}
        self._sweep_from: dict[str, datetime] = {}
        self._seen_open: dict[str, set[str]] = {}
        self._reported: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Start polling on the running loop (idempotent; also resumes after a pause)."""
        self.resume()
        if self._task is not None and not self._task.done():
            return
        for job in self._jobs.values():
            job.forced = True
        self._accounts_seen = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="poller")

    def resume(self) -> None:
        """After a pause for a refused sign-in: refresh everything now."""
        if self._paused:
            self._paused = False
            for job in self._jobs.values():
                job.forced, job.failures, job.inaccessible = True, 0, False
        self._wake.set()

    async def stop(self) -> None:
        """Cancel and await everything this poller started."""
        tasks = [t for t in (self._task, *self._tasks) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # tasks cancelled before they ran never released their group
        self._groups.reserved.clear()

    def set_focus(self, account_id: str | None) -> None:
        """That account refreshes first and most often."""
        self._focus = account_id
        self._wake.set()

    def set_visible(self, visible: bool) -> None:
        """Hidden: everything polls ~5× less often."""
        self._visible = visible
        self._wake.set()

    def refresh_now(self, account_id: str | None = None) -> None:
        """The user pressed Refresh: that account (or everything) is due now."""
        for job in self._jobs.values():
            if account_id is None or job.account_id == account_id:
                job.forced = True
        self._wake.set()

    def mark_stale_and_refresh(self, reason: str) -> None:
        """Resumed from sleep or the network came back: every panel is stale until refreshed."""
        for job in self._jobs.values():
            job.forced, job.failures = True, 0
        for lookup in self._lookups.values():
            lookup.retry_at = 0.0
        self._wake.set()
        if self._paused:
            return
        self._bus.publish(Activity(self._wall(), ActivityKind.INFO,
                                   f"Refreshing everything: {reason}"))
        for job in self._jobs.values():
            self._status.mark(job.kind, job.account_id, error=reason)

    def freshness(self, kind: DataKind, account_id: str | None) -> Freshness:
        return self._status.freshness(kind, account_id)

    @property
    def health(self) -> Health:
        """CONNECTED, DEGRADED or OFFLINE, as last published (see the module docstring)."""
        return self._status.health

    # ------------------------------------------------------------------ on-demand reads

    async def load_history(self, account_id: str, start: datetime,
                           end: datetime) -> tuple[OrderGroup, ...]:
        """Every order between ``start`` and ``end``, all pages; publishes HistoryLoaded."""

        async def pages() -> tuple[OrderGroup, ...]:
            out: list[OrderGroup] = []
            async for group in self._client.iter_order_history(account_id, start=start, end=end):
                out.append(group)
                if len(out) % 200 == 0:
                    await asyncio.sleep(0)  # long histories: let the window breathe
            return tuple(out)

        try:
            groups = await self._direct(HISTORY_GROUP, pages)
        except WebullError as exc:
            self._status.mark(DataKind.HISTORY, account_id, error=describe(exc))
            raise
        at = self._wall()
        self._bus.publish(HistoryLoaded(account_id, groups, start, end, at))
        self._status.mark(DataKind.HISTORY, account_id, fetched_at=at)
        return groups

    async def fetch_order(self, account_id: str, client_order_id: str) -> OrderGroup:
        return await self._direct(DETAIL_GROUP,
                                  lambda: self._client.get_order(account_id, client_order_id))

    async def _direct(self, group: str, call: Callable[[], Awaitable[Any]]) -> Any:
        generation = self._auth_generation
        async with self._groups.gate(group):
            try:
                return await self._request(group, call, generation, recover=True)
            except _Paused as paused:
                raise paused.error from None

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        last_m, last_w, expected = self._clock(), self._wall(), 0.0
        while True:
            now_m, now_w = self._clock(), self._wall()
            slept_m = now_m - last_m
            unexplained = (now_w - last_w).total_seconds() - slept_m
            if unexplained > RESUME_JUMP or slept_m > expected + RESUME_JUMP:
                log.info("resume detected (%.0f s unexplained)", max(unexplained, slept_m))
                self.mark_stale_and_refresh(RESUMED)
            last_m, last_w = now_m, now_w
            self._wake.clear()
            delay = MAX_TICK if self._paused else self._launch_due(now_m)
            expected = min(max(delay, 0.01), MAX_TICK)
            await self._nap(expected)

    async def _nap(self, delay: float) -> None:
        if self._wake.is_set():
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    def _launch_due(self, now: float) -> float:
        """Start the most urgent due job of every idle group; seconds until the next wake."""
        wake_at = now + MAX_TICK
        best: dict[str, tuple[tuple[int, float], Callable[[], Awaitable[None]]]] = {}
        candidates: list[tuple[str, float, int, Callable[[], Awaitable[None]]]] = []
        for job in self._jobs.values():
            focused = 0 if job.account_id is None or job.account_id == self._focus else 1
            candidates.append((job.group, job.due(self._focus, self._visible), focused,
                               lambda job=job: self._run_job(job)))
        for lookup in self._lookups.values():
            candidates.append((DETAIL_GROUP, lookup.retry_at, 1,
                               lambda lookup=lookup: self._run_lookup(lookup)))
        for group, due, focused, work in candidates:
            if group in self._groups.reserved or self._groups.gate(group).locked():
                continue
            if due > now:
                wake_at = min(wake_at, due)
                continue
            rank = (focused, due)
            if group not in best or rank < best[group][0]:
                best[group] = (rank, work)
        for group, (_, work) in best.items():
            free_at = self._groups.free_at(group, now)
            if free_at > now:
                wake_at = min(wake_at, free_at)
                continue
            self._groups.reserved.add(group)
            task = asyncio.get_running_loop().create_task(self._guarded(group, work))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
        return wake_at - now

    async def _guarded(self, group: str, work: Callable[[], Awaitable[None]]) -> None:
        try:
            async with self._groups.gate(group):
                self._groups.reserved.discard(group)
                await work()
        finally:
            self._groups.reserved.discard(group)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a polling task failed", exc_info=task.exception())
        self._wake.set()

    # ------------------------------------------------------------------ requests

    async def _request(self, group: str, call: Callable[[], Awaitable[Any]], generation: int,
                       *, recover: bool) -> Any:
        """One read; a refused sign-in goes to on_auth_error and is retried once."""
        retried = False
        while True:
            try:
                async with self._groups.slot(group):
                    result = await call()
            except AuthError as exc:
                if retried or not recover:
                    raise
                retried = True
                if not await self._auth_recovers(exc, generation):
                    raise _Paused(exc) from None
                continue
            except WebullError as exc:
                self._status.failed(exc)
                raise
            self._status.succeeded()
            return result

    async def _auth_recovers(self, exc: WebullError, generation: int) -> bool:
        async with self._auth_lock:
            if self._paused:
                return False
            if self._auth_generation != generation or self._on_auth_error is None:
                return True  # someone else already renewed the sign-in (or nobody can)
            if await self._on_auth_error(exc):
                self._auth_generation += 1
                return True
            log.info("the sign-in was refused; polling pauses until it is renewed")
            self._paused = True
            return False

    # ------------------------------------------------------------------ jobs

    async def _run_job(self, job: _Job) -> None:
        job.forced = False
        key = (job.kind, job.account_id)
        try:
            result = await self._request(job.group, lambda: self._fetch(job),
                                         self._auth_generation, recover=not job.inaccessible)
            if self._paused or self._jobs.get(key) is not job:
                return
            if job.kind is DataKind.POSITIONS:
                # large accounts are compared in slices: the loop keeps running meanwhile
                result = await self.portfolio.apply_positions_sliced(job.account_id or "",
                                                                     result)
                if result is None or self._paused or self._jobs.get(key) is not job:
                    return
            self._apply(job, result)
        except _Paused:
            return
        except Exception as exc:
            if self._paused or self._jobs.get(key) is not job:
                return
            if not isinstance(exc, WebullError):
                log.exception("reading %s failed unexpectedly", job.kind.value)
            self._failed(job, exc)
            return
        job.failures, job.inaccessible, job.done_at = 0, False, self._clock()
        self._status.mark(job.kind, job.account_id, fetched_at=self._wall())
        self._status.update_health(self._jobs.values())

    async def _fetch(self, job: _Job) -> Any:
        account = job.account_id or ""
        if job.kind is DataKind.ACCOUNTS:
            return await self._client.list_accounts()
        if job.kind is DataKind.BALANCE:
            return await self._client.get_balance(account)
        if job.kind is DataKind.POSITIONS:
            return await self._client.list_positions(account)
        if job.kind is DataKind.RECENT_ORDERS:
            started = self._wall()
            since = self._sweep_from.get(account, self._first_seen.get(account, started)
                                         - timedelta(seconds=RECENT_OVERLAP_S))
            groups = [group async for group in self._client.iter_order_history(
                account, start=since, end=started + timedelta(minutes=1))]
            return started, groups
        return [group async for group in self._client.iter_open_orders(account)]

    def _failed(self, job: _Job, exc: BaseException) -> None:
        job.failures += 1
        if isinstance(exc, AuthError):
            job.inaccessible = True
            delay = BACKOFF_CAP
            words = INACCESSIBLE if job.account_id else "Webull refused to list the accounts"
        else:
            delay = backoff(job.failures, exc, self._rng)
            words = f"{describe(exc)}; retrying in {delay:.0f} s"
        job.retry_at = self._clock() + delay
        log.info("%s of %s failed (%s)", job.kind.value, job.account_id or "all accounts", exc)
        self._status.mark(job.kind, job.account_id, error=words)
        self._status.update_health(self._jobs.values())

    def _apply(self, job: _Job, result: Any) -> None:
        at, account = self._wall(), job.account_id or ""
        if job.kind is DataKind.ACCOUNTS:
            self._apply_accounts(tuple(result), at)
        elif job.kind is DataKind.BALANCE:
            self.portfolio.apply_balance(account, result)
            self._bus.publish(BalanceUpdated(account, result, at))
            value = result.total_net_liquidation_value
            if value is not None:
                recorded = True
                if self._history is not None:
                    try:
                        # False: the same value as the last point under a minute ago
                        recorded = self._history.record(self.environment, account, at, value)
                    except Exception:
                        log.exception("could not store a net liquidation point")
                if recorded:
                    self._bus.publish(NetLiquidationPoint(account, at, value))
        elif job.kind is DataKind.POSITIONS:
            diff = result  # applied to the portfolio already, in slices (_run_job)
            if not diff.empty:
                self._bus.publish(PositionsUpdated(account, diff, at))
        elif job.kind is DataKind.RECENT_ORDERS:
            started, groups = result
            self._apply_sweep(account, groups, at)
            self._sweep_from[account] = started - timedelta(seconds=RECENT_OVERLAP_S)
        else:
            self._apply_orders(account, result, at)

    def _apply_sweep(self, account: str, groups: list[OrderGroup], at: datetime) -> None:
        """Report orders that were placed and finished between two open-order polls: they
        were never listed as open, so no lookup will report them."""
        first_seen = self._first_seen.get(account)
        seen_open = self._seen_open.setdefault(account, set())
        reported = self._reported.setdefault(account, set())
        for row in order_rows(groups):
            key, item = row.key, row.item
            if (item.status not in FINAL_STATUSES or key in reported or key in seen_open
                    or (account, key) in self._lookups
                    or first_seen is None or item.place_time_at < first_seen):
                continue  # still working, told already, a lookup's, or from before we looked
            reported.add(key)
            # nothing of it was reported before: the line covers the whole fill
            unseen = OrderRow(item.model_copy(update={"filled_quantity": None}),
                              row.combo_type, row.combo_order_id, row.group_client_order_id)
            activity = activity_for_final(unseen, item, at, self.portfolio.label(account))
            self._bus.publish(dataclasses.replace(activity, account_id=account))

    def _apply_accounts(self, accounts: tuple[Account, ...], at: datetime) -> None:
        changed = accounts != self.portfolio.accounts
        self.portfolio.set_accounts(accounts)
        ids = {a.account_id for a in accounts}
        for key in [k for k in self._jobs if k[1] is not None and k[1] not in ids]:
            del self._jobs[key]
        for key in [k for k in self._lookups if k[0] not in ids]:
            del self._lookups[key]
        for account_id in ids:
            self._first_seen.setdefault(account_id, at)
            for kind in (DataKind.BALANCE, DataKind.POSITIONS, DataKind.OPEN_ORDERS,
                         DataKind.RECENT_ORDERS):
                self._jobs.setdefault((kind, account_id), _Job(kind, account_id))
        if changed or not self._accounts_seen:
            self._accounts_seen = True
            self._bus.publish(AccountsUpdated(accounts, at))

    def _apply_orders(self, account: str, groups: list[OrderGroup], at: datetime) -> None:
        change = self.portfolio.apply_open_orders(account, groups)
        self._seen_open.setdefault(account, set()).update(self.portfolio.open_orders(account))
        if not change.diff.empty:
            self._bus.publish(OpenOrdersUpdated(account, change.diff, at))
        label = f" — {self.portfolio.label(account)}"
        for row in change.appeared:
            self._bus.publish(Activity(at, ActivityKind.NEW, new_order_text(row) + label,
                                       account, row.key))
        for row, quantity in change.fills:
            self._bus.publish(Activity(at, ActivityKind.FILL, fill_text(row, quantity) + label,
                                       account, row.key))
        for row in change.vanished:
            self._lookups[(account, row.key)] = _Lookup(account, row)
        for key, _ in change.diff.added:
            self._lookups.pop((account, key), None)  # listed as open again

    async def _run_lookup(self, lookup: _Lookup) -> None:
        key = (lookup.account_id, lookup.row.key)
        try:
            group = await self._request(
                DETAIL_GROUP, lambda: self._client.get_order(*key), self._auth_generation,
                recover=True)
        except _Paused:
            return
        except Exception as exc:
            if self._paused or self._lookups.get(key) is not lookup:
                return
            self._lookup_retry(lookup, f"its status could not be looked up: {describe(exc)}")
            return
        if self._paused or self._lookups.get(key) is not lookup:
            return
        item = next((o for o in group.orders if o.client_order_id == key[1]), None)
        if item is None or item.status not in FINAL_STATUSES:
            if key[1] in self.portfolio.open_orders(key[0]):
                del self._lookups[key]  # listed as open again
            else:
                self._lookup_retry(lookup, "Webull does not report a final status yet")
            return
        del self._lookups[key]
        self._reported.setdefault(key[0], set()).add(key[1])
        activity = activity_for_final(lookup.row, item, self._wall(),
                                      self.portfolio.label(key[0]))
        self._bus.publish(dataclasses.replace(activity, account_id=key[0]))

    def _lookup_retry(self, lookup: _Lookup, why: str) -> None:
        lookup.attempts += 1
        if lookup.attempts < LOOKUP_ATTEMPTS:
            lookup.retry_at = self._clock() + backoff(lookup.attempts, None, self._rng)
            return
        del self._lookups[(lookup.account_id, lookup.row.key)]
        item = lookup.row.item
        self._bus.publish(Activity(
            self._wall(), ActivityKind.WARNING,
            f"{item.side.value} {item.symbol} left the open orders but {why}; "
            f"check the order history — {self.portfolio.label(lookup.account_id)}",
            lookup.account_id, item.client_order_id))
