"""US Eastern time, trading sessions and trading calendars (API.md §7).

US Eastern time is computed from the US daylight-saving rule in force since 2007 (second Sunday
of March to first Sunday of November, both at 02:00 local), so the simulator needs no time-zone
database. Exchange holidays are not modelled: every weekday is a trading day.

Stock sessions (``support_trading_session``): CORE 09:30–16:00 ET; ALL = pre-market 04:00–09:30 +
CORE + after-hours 16:00–20:00; NIGHT 20:00–04:00 (Sunday to Thursday nights). Futures trade
Sunday 18:00 to Friday 17:00 ET with a daily break 17:00–18:00; crypto and event contracts
trade around the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

_STANDARD = timedelta(hours=-5)
_DAYLIGHT = timedelta(hours=-4)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


def et_offset(when: datetime) -> timedelta:
    """UTC offset of US Eastern time at the UTC instant ``when``."""
    utc = when.astimezone(UTC).replace(tzinfo=None)
    start = datetime.combine(_nth_sunday(utc.year, 3, 2), time(7))  # 02:00 EST = 07:00 UTC
    end = datetime.combine(_nth_sunday(utc.year, 11, 1), time(6))  # 02:00 EDT = 06:00 UTC
    return _DAYLIGHT if start <= utc < end else _STANDARD


def to_et(when: datetime) -> datetime:
    """The naive US Eastern wall-clock time of a UTC instant."""
    return (when.astimezone(UTC) + et_offset(when)).replace(tzinfo=None)


def et_to_utc(local: datetime) -> datetime:
    """The UTC instant of a naive US Eastern wall-clock time (not meant for 01:00–03:00)."""
    guess = (local - _STANDARD).replace(tzinfo=UTC)
    if et_offset(guess) == _DAYLIGHT:
        guess = (local - _DAYLIGHT).replace(tzinfo=UTC)
    return guess


def et_date(when: datetime) -> date:
    return to_et(when).date()


class Session(StrEnum):
    PRE = "PRE"
    CORE = "CORE"
    AFTER = "AFTER"
    NIGHT = "NIGHT"
    CLOSED = "CLOSED"


def stock_session(when: datetime) -> Session:
    """Which US equity session ``when`` falls in."""
    local = to_et(when)
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()  # Monday 0 … Sunday 6
    if weekday < 5:
        if 240 <= minute < 570:
            return Session.PRE
        if 570 <= minute < 960:
            return Session.CORE
        if 960 <= minute < 1200:
            return Session.AFTER
        if minute < 240 or (minute >= 1200 and weekday < 4):
            return Session.NIGHT
        return Session.CLOSED  # Friday after 20:00
    if weekday == 6 and minute >= 1200:
        return Session.NIGHT  # Sunday night opens the week
    return Session.CLOSED


# Weekly trading windows as minutes after local midnight, per weekday (Monday 0 … Sunday 6).
Windows = Sequence[Sequence[tuple[int, int]]]
_DAY = [(0, 1440)]
#: stocks trade from Sunday 20:00 (overnight) to Friday 20:00 (end of after-hours)
EQUITY_WINDOWS: Windows = [_DAY, _DAY, _DAY, _DAY, [(0, 1200)], [], [(1200, 1440)]]
#: CME Globex: Sunday 18:00 to Friday 17:00, with a daily 17:00–18:00 maintenance break
FUTURES_WINDOWS: Windows = [[(0, 1020), (1080, 1440)]] * 4 + [[(0, 1020)], [], [(1080, 1440)]]
ALWAYS_WINDOWS: Windows = [_DAY] * 7


def in_windows(windows: Windows, when: datetime) -> bool:
    local = to_et(when)
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in windows[local.weekday()])


def open_seconds(windows: Windows, start: datetime, end: datetime) -> float:
    """Seconds of [start, end) that fall inside the weekly windows (negative if end < start)."""
    if end < start:
        return -open_seconds(windows, end, start)
    if windows is ALWAYS_WINDOWS:
        return (end - start).total_seconds()
    total = 0.0
    day = et_date(start) - timedelta(days=1)
    last = et_date(end) + timedelta(days=1)
    while day <= last:
        midnight = datetime.combine(day, time())
        for a, b in windows[day.weekday()]:
            w_start = et_to_utc(midnight + timedelta(minutes=a))
            w_end = et_to_utc(midnight + timedelta(minutes=b))
            lo, hi = max(start, w_start), min(end, w_end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def previous_close(when: datetime, close: time) -> datetime:
    """The latest weekday ``close`` (ET) on a date before the ET date of ``when``.

    This is the reference for day P&L: Monday's P&L is measured from Friday's close, and after
    the close (and over the weekend) the day's move still counts as the day's P&L.
    """
    day = et_date(when) - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return et_to_utc(datetime.combine(day, close))


def start_of_et_day(when: datetime) -> datetime:
    return et_to_utc(datetime.combine(et_date(when), time()))


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def add_business_days(day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    while n:
        day += timedelta(days=step)
        if day.weekday() < 5:
            n -= step
    return day


def last_business_day(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return add_business_days(nxt, -1)


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1
