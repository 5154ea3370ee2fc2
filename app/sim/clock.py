"""Injectable time for the simulator.

Everything in the simulator that depends on time (code, token and nonce expiry, rate-limit
windows, the market's random walk, trading sessions) asks one ``Clock`` for ``now()``. Demo runs
on ``SystemClock``; tests use ``ManualClock`` and move it forward instead of sleeping.

``SkewedClock`` wraps either and runs ahead of (or behind) it by a settable number of seconds:
``SimServer`` always gives its state one, so tests and the admin endpoint can make the server's
clock disagree with its callers' (signed ``x-timestamp`` outside the window, tokens and codes
expiring early or late) while the server runs.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

#: The "now" of examples.json: a Monday, 10:35 ET, inside the regular session.
DEFAULT_MANUAL_START = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to. Thread-safe: tests move it while the server runs."""

    def __init__(self, start: datetime = DEFAULT_MANUAL_START) -> None:
        self._now = _aware(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float | timedelta) -> datetime:
        step = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if step < timedelta(0):
            raise ValueError("a ManualClock only moves forward; use set() to go back")
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = _aware(when)

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"


class SkewedClock:
    """``base``'s time plus a skew (seconds; negative runs behind). Thread-safe: the skew may be
    changed while the server runs."""

    def __init__(self, base: Clock, skew_s: float = 0.0) -> None:
        self.base = base
        self._lock = threading.Lock()
        self._skew = _step(skew_s)

    @property
    def skew_s(self) -> float:
        with self._lock:
            return self._skew.total_seconds()

    def set_skew(self, seconds: float | timedelta) -> None:
        step = _step(seconds)
        with self._lock:
            self._skew = step

    def now(self) -> datetime:
        with self._lock:
            skew = self._skew
        return self.base.now() + skew

    def __repr__(self) -> str:
        return f"SkewedClock({self.base!r}, skew_s={self.skew_s:g})"


def _step(seconds: float | timedelta) -> timedelta:
    if isinstance(seconds, timedelta):
        return seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not math.isfinite(seconds):
        raise ValueError("a clock skew must be a finite number of seconds")
    return timedelta(seconds=seconds)


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return when.astimezone(UTC)
