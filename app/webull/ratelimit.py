"""Client-side rate limits per endpoint group, shared per app key (API.md §10).

Webull counts requests per app key as they arrive, so every client in the process that signs
with the same app key shares one log per endpoint group, and callers wait for a slot instead of
provoking a 429.

A request's arrival is somewhere between the moment it was sent and the moment its answer came
back; the client cannot know where. So a request holds its place in the window from the moment it
starts until it is answered, and it leaves the window ``period`` after its answer. Then never more
than ``limit`` requests of a group can have *arrived* within any ``period``, whatever the network
or the scheduler delayed: a new request starts only once the one it displaces was answered a whole
period ago, and it cannot arrive before it starts. A request that ended without an answer may
still be travelling, so its place is held a little longer (UNANSWERED_S); one that never left
(no connection) gives its place back at once.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Limit:
    limit: int
    period_s: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.period_s:g}s"


#: Published limits per app key. Instruments use the stricter 10/30 s of the G2 overview
#: (contradiction C12); the option chain and the OAuth token endpoint have no published limit
#: and get the instrument and 2FA-token figures respectively.
WEBULL_LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "accounts": Limit(10, 30),
        "balances": Limit(2, 2),
        "positions": Limit(2, 2),
        "open_orders": Limit(2, 2),
        "order_history": Limit(2, 2),
        "order_detail": Limit(2, 2),
        "preview": Limit(150, 10),
        "order_write": Limit(600, 60),
        "instruments": Limit(10, 30),
        "token": Limit(10, 30),
    }
)

#: How long a caller waits before looking again when every place in its window is held by a
#: request still waiting for its answer (the earliest moment a place frees is then unknown).
IN_FLIGHT_POLL_S = 0.05
#: A request that ended without an answer (cancelled, timed out, connection lost after sending)
#: may still be on its way to Webull: its place counts as if it were answered this much later.
UNANSWERED_S = 1.0
#: Never sleep less than this: timers are millisecond-grained and may fire a little early.
MIN_SLEEP_S = 0.001


class Slot:
    """One request's place in its group's window: open while it runs, then closed at its answer."""

    __slots__ = ("answered_at",)

    def __init__(self) -> None:
        self.answered_at: float | None = None


class Window:
    """One group's log of the requests that still count against its limit (not thread-safe)."""

    def __init__(self, limit: Limit, margin_s: float) -> None:
        if limit.limit < 1 or limit.period_s <= 0:
            raise ValueError(f"a rate limit needs at least one request per positive period: {limit}")
        self.limit = limit
        self.margin_s = margin_s
        self._slots: list[Slot] = []

    def delay(self, now: float) -> float | None:
        """Seconds until a request may start (0: now); None while only answers can free a place."""
        keep_after = now - self.limit.period_s - self.margin_s
        self._slots = [s for s in self._slots if s.answered_at is None or s.answered_at > keep_after]
        if len(self._slots) < self.limit.limit:
            return 0.0
        answered = [s.answered_at for s in self._slots if s.answered_at is not None]
        if not answered:
            return None
        return max(0.0, min(answered) - keep_after)

    def begin(self) -> Slot:
        slot = Slot()
        self._slots.append(slot)
        return slot

    def in_window(self) -> int:
        return len(self._slots)


class RateLimiter:
    """Grants each request a slot in its group's window, waiting while the window is full.

    ``margin_s`` is added to every period, for a server that stamps arrival a little after the
    request reached it. Groups are independent: a saturated group (paging instruments, say) never
    holds up another, such as a cancel. Safe to share between threads and event loops.
    """

    def __init__(self, limits: Mapping[str, Limit] = WEBULL_LIMITS, *, margin_s: float = 0.05,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = MappingProxyType(dict(limits))
        self._clock = clock
        self._lock = threading.Lock()
        self._windows = {group: Window(lim, margin_s) for group, lim in self.limits.items()}

    def _window(self, group: str) -> Window:
        try:
            return self._windows[group]
        except KeyError:
            raise KeyError(f"no rate limit configured for group {group!r}") from None

    def try_begin(self, group: str) -> Slot | None:
        """A slot if one is free now (never waits); the caller must ``finish`` or ``withdraw``
        it, or the place stays taken for good."""
        window = self._window(group)
        with self._lock:
            return window.begin() if window.delay(self._clock()) == 0 else None

    def finish(self, slot: Slot, *, answered: bool = True) -> None:
        """The request is over: its place frees one period after its answer, or, if it ended
        without one (it may still reach Webull), one period after UNANSWERED_S from now."""
        with self._lock:
            if slot.answered_at is None:
                slot.answered_at = self._clock() + (0.0 if answered else UNANSWERED_S)

    def withdraw(self, slot: Slot) -> None:
        """The request never left this machine: its place is free at once."""
        with self._lock:
            slot.answered_at = -math.inf

    async def begin(self, group: str) -> Slot:
        """Wait for a slot; the caller must ``finish`` it when the request is over."""
        window = self._window(group)
        while True:
            with self._lock:
                delay = window.delay(self._clock())
                if delay == 0:
                    return window.begin()
            await asyncio.sleep(IN_FLIGHT_POLL_S if delay is None else max(delay, MIN_SLEEP_S))

    @asynccontextmanager
    async def slot(self, group: str) -> AsyncIterator[Slot]:
        """Hold a slot of ``group`` for one request: answered when the block ends normally,
        unanswered if it raises (unless the caller withdrew the slot first)."""
        taken = await self.begin(group)
        try:
            yield taken
        except BaseException:
            self.finish(taken, answered=False)
            raise
        self.finish(taken)


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def limiter_for_app_key(app_key: str) -> RateLimiter:
    """The process-wide limiter for one app key (limits are counted per app key)."""
    with _shared_lock:
        limiter = _shared.get(app_key)
        if limiter is None:
            limiter = _shared[app_key] = RateLimiter()
        return limiter
