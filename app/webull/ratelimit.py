"""Client-side rate limits per endpoint group, shared per app key (API.md §10).

Webull counts requests per app key, so every client in the process that signs with the same app
key shares one set of buckets. Each group is an exact sliding-window log (pyrate-limiter): never
more than ``limit`` requests start within any ``period``. Callers wait for a slot instead of
provoking a 429.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pyrate_limiter import (
    BucketFactory,
    Duration,
    InMemoryBucket,
    Limiter,
    Rate,
    RateItem,
    SingleBucketFactory,
)


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


class _GroupBuckets(BucketFactory):
    """One bucket per group, all leaked by this factory's single background leaker."""

    def __init__(self, limits: Mapping[str, Limit]) -> None:
        self._buckets = {
            group: self.create(
                InMemoryBucket, [Rate(lim.limit, Duration.SECOND * lim.period_s)]
            )
            for group, lim in limits.items()
        }

    def wrap_item(self, name: str, weight: int = 1) -> RateItem:
        return RateItem(name, self._buckets[name].now(), weight=weight)

    def get(self, item: RateItem) -> InMemoryBucket:
        return self._buckets[item.name]


class RateLimiter:
    """Waits until a request of a group may start without breaching the group's limit.

    A slot is granted 200 ms after the window strictly allows it: Webull counts arrival times,
    and network jitter must not push a request into the previous window.

    Each group has its own pyrate Limiter (a Limiter holds one lock while a caller waits), so
    a saturated group — paging instruments, say — never holds up another, such as a cancel.
    """

    def __init__(self, limits: Mapping[str, Limit] = WEBULL_LIMITS) -> None:
        self.limits = MappingProxyType(dict(limits))
        self._buckets = _GroupBuckets(self.limits)
        self._limiters = {
            group: Limiter(SingleBucketFactory(self._buckets.get(self._buckets.wrap_item(group)),
                                               schedule_leak=False), buffer_ms=200)
            for group in self.limits
        }

    def _limiter(self, group: str) -> Limiter:
        try:
            return self._limiters[group]
        except KeyError:
            raise KeyError(f"no rate limit configured for group {group!r}") from None

    async def acquire(self, group: str) -> None:
        await self._limiter(group).try_acquire_async(group)

    async def try_acquire(self, group: str) -> bool:
        """Take a slot only if one is free now (never waits)."""
        return await self._limiter(group).try_acquire_async(group, blocking=False)

    def close(self) -> None:
        self._buckets.close()


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def limiter_for_app_key(app_key: str) -> RateLimiter:
    """The process-wide limiter for one app key (limits are counted per app key)."""
    with _shared_lock:
        limiter = _shared.get(app_key)
        if limiter is None:
            limiter = _shared[app_key] = RateLimiter()
        return limiter
