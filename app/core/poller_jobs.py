"""The poller's bookkeeping, apart from its loop: the jobs it schedules and when each is due, the
orders whose final status it still has to learn, the freshness of every panel and the health of
the connection. Nothing here talks to Webull; poller.py drives it (its docstring has the schedule).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime

from app.webull.errors import AuthError, RateLimitedError, TransportError, WebullError
from app.webull.ratelimit import Limit

from .events import (
    Activity,
    ActivityKind,
    DataKind,
    EventBus,
    Freshness,
    Health,
    HealthChanged,
)
from .failure_words import read_failure
from .rows import OrderRow

FOCUS_INTERVAL = 2.0
OTHER_INTERVAL = 10.0
UNFOCUSED_INTERVAL = 5.0  # every account, when none has the focus
ACCOUNTS_INTERVAL = 60.0
#: the sweep of recent order history (orders placed and finished between two open-order polls)
RECENT_FOCUS_INTERVAL = 10.0
RECENT_OTHER_INTERVAL = 30.0
#: the sweep re-reads this much before its last start, so an order is never missed at the seam
RECENT_OVERLAP_S = 120.0
HIDDEN_FACTOR = 5.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
MAX_TICK = 5.0  # the loop looks at the clocks at least this often
RESUME_JUMP = 30.0  # seconds of unexplained time that mean the machine slept
OFFLINE_AFTER = 3  # network failures in a row
#: Webull counts requests when they arrive, somewhere between start and answer, so a request's
#: place in a window is counted from its answer, as the transport's rate limiter counts it; this
#: margin (more than the limiter's) keeps the poller from ever waiting inside the transport
WINDOW_MARGIN = 0.1
LOOKUP_ATTEMPTS = 8
INACCESSIBLE = "this account is not accessible with the current sign-in"
RESUMED = "the computer woke from sleep or the clock jumped"

DETAIL_GROUP = "order_detail"
HISTORY_GROUP = "order_history"
_GROUPS = {DataKind.ACCOUNTS: "accounts", DataKind.BALANCE: "balances",
           DataKind.POSITIONS: "positions", DataKind.OPEN_ORDERS: "open_orders",
           DataKind.RECENT_ORDERS: HISTORY_GROUP}


def describe(exc: BaseException) -> str:
    """Why a refresh failed, in a trader's words."""
    common = read_failure(exc, "this data")
    if common is not None:
        return common
    if isinstance(exc, AuthError):
        return INACCESSIBLE
    if isinstance(exc, WebullError):
        return f"the request failed: {exc.message}"
    return "an unexpected problem occurred while reading this data"


def backoff(failures: int, exc: BaseException | None, rng: random.Random) -> float:
    """Equal jitter: between half and all of 1 s·2^(n-1), capped; a 429's Retry-After wins."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(failures - 1, 16))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if isinstance(exc, RateLimitedError) and exc.retry_after:
        delay = max(delay, exc.retry_after)
    return delay


class _Paused(Exception):
    """on_auth_error said the sign-in is gone: everything stops quietly."""

    def __init__(self, error: WebullError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclasses.dataclass(eq=False)
class _Job:
    kind: DataKind
    account_id: str | None
    done_at: float | None = None  # monotonic time of the last success
    forced: bool = True  # due now (never fetched, Refresh pressed, resumed)
    failures: int = 0
    retry_at: float = 0.0
    inaccessible: bool = False

    @property
    def group(self) -> str:
        return _GROUPS[self.kind]

    def interval(self, focus: str | None, visible: bool) -> float:
        if self.kind is DataKind.ACCOUNTS:
            base = ACCOUNTS_INTERVAL
        elif self.kind is DataKind.RECENT_ORDERS:
            others = focus is not None and self.account_id != focus
            base = RECENT_OTHER_INTERVAL if others else RECENT_FOCUS_INTERVAL
        elif focus is None:
            base = UNFOCUSED_INTERVAL
        else:
            base = FOCUS_INTERVAL if self.account_id == focus else OTHER_INTERVAL
        return base if visible else base * HIDDEN_FACTOR

    def due(self, focus: str | None, visible: bool) -> float:
        """The monotonic time this job is next due (minus infinity: now)."""
        if self.forced or self.done_at is None and not self.failures:
            return float("-inf")
        if self.failures:
            return self.retry_at
        return self.done_at + self.interval(focus, visible)  # type: ignore[operator]


@dataclasses.dataclass(eq=False)
class _Lookup:
    """An order that left the open list; its final status is still to be learned."""

    account_id: str
    row: OrderRow
    attempts: int = 0
    retry_at: float = 0.0


@dataclasses.dataclass
class _Panel:
    fetched_at: datetime | None = None
    stale: bool = False
    error: str | None = None


class _Groups:
    """Per rate-limit group: a gate so at most one request is in flight, the groups a task is
    about to take the gate of, and a sliding window of recent request times."""

    def __init__(self, limits: Mapping[str, Limit], clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self._limits = dict(limits)
        self._clock, self._sleep = clock, sleep
        self._windows: dict[str, deque[float]] = {}
        self._gates: dict[str, asyncio.Lock] = {}
        self.reserved: set[str] = set()

    def gate(self, group: str) -> asyncio.Lock:
        gate = self._gates.get(group)
        if gate is None:
            gate = self._gates[group] = asyncio.Lock()
        return gate

    def free_at(self, group: str, now: float) -> float:
        """When the group's window has room for one more request (``now`` if it has)."""
        limit = self._limits.get(group)
        if limit is None:
            return now
        period = limit.period_s + WINDOW_MARGIN
        window = self._windows.setdefault(group, deque())
        while window and window[0] <= now - period:
            window.popleft()
        return now if len(window) < limit.limit else window[0] + period

    @asynccontextmanager
    async def slot(self, group: str) -> AsyncIterator[None]:
        """Wait until the group's window has room, then count one request for the block, from
        the moment the block ends (its answer). The gate keeps it the group's only request in
        flight, so it is the newest entry of the window."""
        while (free_at := self.free_at(group, now := self._clock())) > now:
            await self._sleep(free_at - now)
        if group not in self._limits:
            yield
            return
        window = self._windows[group]
        window.append(now)
        try:
            yield
        finally:
            answered = self._clock()
            if window:  # (a request longer than the period may have aged out meanwhile)
                window[-1] = answered
            else:
                window.append(answered)


class _Status:
    """Every panel's freshness and the connection's health, published on the bus as they
    change; fed with the outcome of every request."""

    def __init__(self, bus: EventBus, wall: Callable[[], datetime]) -> None:
        self._bus, self._wall = bus, wall
        self.health = Health.CONNECTED
        self._panels: dict[tuple[DataKind, str | None], _Panel] = {}
        self._outcomes: deque[str] = deque(maxlen=OFFLINE_AFTER)
        self._last_error = ""

    def freshness(self, kind: DataKind, account_id: str | None) -> Freshness:
        panel = self._panels.get((kind, account_id)) or _Panel()
        return Freshness(kind, account_id, panel.fetched_at, panel.stale, panel.error)

    def mark(self, kind: DataKind, account_id: str | None, *,
             fetched_at: datetime | None = None, error: str | None = None) -> None:
        """Fresh as of ``fetched_at``, or else stale because of ``error``; published."""
        panel = self._panels.setdefault((kind, account_id), _Panel())
        if fetched_at is not None:
            panel.fetched_at, panel.stale, panel.error = fetched_at, False, None
        else:
            panel.stale, panel.error = True, error
        self._bus.publish(self.freshness(kind, account_id))

    def succeeded(self) -> None:
        self._outcomes.append("ok")

    def failed(self, exc: WebullError) -> None:
        self._outcomes.append("net" if isinstance(exc, TransportError) else "error")
        self._last_error = describe(exc)

    def update_health(self, jobs: Iterable[_Job]) -> None:
        outcomes = self._outcomes
        if len(outcomes) == OFFLINE_AFTER and all(o == "net" for o in outcomes):
            health, message = Health.OFFLINE, (
                f"Webull cannot be reached: the last {OFFLINE_AFTER} requests failed")
        elif (outcomes and outcomes[-1] != "ok") or any(
                job.failures and not job.inaccessible for job in jobs):
            health, message = Health.DEGRADED, f"some data is out of date: {self._last_error}"
        else:
            health, message = Health.CONNECTED, ""
        if health is self.health:
            return
        before, self.health = self.health, health
        self._bus.publish(HealthChanged(health, message))
        if health is Health.OFFLINE:
            self._bus.publish(Activity(self._wall(), ActivityKind.WARNING, message))
        elif before is Health.OFFLINE:
            self._bus.publish(Activity(self._wall(), ActivityKind.INFO,
                                       "Webull can be reached again"))
