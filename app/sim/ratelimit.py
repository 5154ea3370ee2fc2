"""Server-side rate limits per app key and endpoint group (API.md §10): a sliding-window log on
the simulator's clock. A refused request is not counted. Tests may change or disable limits
while the server runs."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta

from .clock import Clock
from .errors import TOO_MANY_REQUESTS, SimError


class RateLimiter:
    def __init__(self, clock: Clock, limits: Mapping[str, tuple[int, float]] | None) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._limits: dict[str, tuple[int, float]] = dict(limits or {})
        self.enabled = limits is not None
        self._log: dict[tuple[str, str], deque[datetime]] = {}

    def set_limit(self, group: str, count: int, window_s: float) -> None:
        with self._lock:
            self._limits[group] = (count, window_s)
            self.enabled = True

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def reset(self) -> None:
        with self._lock:
            self._log.clear()

    def limit(self, group: str) -> tuple[int, float] | None:
        return self._limits.get(group)

    def check(self, app_key: str, group: str) -> None:
        """Count one request, or raise 429 TOO_MANY_REQUESTS."""
        if not self.enabled:
            return
        with self._lock:
            spec = self._limits.get(group)
            if spec is None:
                return
            count, window_s = spec
            now = self.clock.now()
            window = timedelta(seconds=window_s)
            log = self._log.setdefault((app_key, group), deque())
            while log and log[0] <= now - window:
                log.popleft()
            if len(log) >= count:
                # no Retry-After: Webull documents none (API.md §9.1)
                raise SimError(429, TOO_MANY_REQUESTS,
                               f"Rate limit exceeded: {count} requests per {window_s:g}s")
            log.append(now)
