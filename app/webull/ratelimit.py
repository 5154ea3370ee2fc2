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

from pyrate_limiter import BucketFactory, Duration, InMemoryBucket, Limiter, Rate, RateItem


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
    """Routes each acquisition to the bucket of its group (the item name)."""

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
    """Waits until a request of a group may start without breaching the group's limit."""

    def __init__(self, limits: Mapping[str, Limit] = WEBULL_LIMITS) -> None:
        self.limits = MappingProxyType(dict(limits))
        self._limiter = Limiter(_GroupBuckets(self.limits), buffer_ms=20)

    async def acquire(self, group: str) -> None:
        if group not in self.limits:
            raise KeyError(f"no rate limit configured for group {group!r}")
        await self._limiter.try_acquire_async(group)

    async def try_acquire(self, group: str) -> bool:
        """Take a slot only if one is free now (never waits)."""
        if group not in self.limits:
            raise KeyError(f"no rate limit configured for group {group!r}")
        return await self._limiter.try_acquire_async(group, blocking=False)

    def close(self) -> None:
        self._limiter.close()


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def limiter_for_app_key(app_key: str) -> RateLimiter:
    """The process-wide limiter for one app key (limits are counted per app key)."""
    with _shared_lock:
        limiter = _shared.get(app_key)
        if limiter is None:
            limiter = _shared[app_key] = RateLimiter()
        return limiter
