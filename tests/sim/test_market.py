"""The market and its calendar, without a server: ET time, sessions, walks, option prices."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.sim import ManualClock
from app.sim import calendar as cal
from app.sim.instruments import Catalog
from app.sim.market import Market, black_scholes
from app.sim.wire import java_double, money, plain

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_1035_ET = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)


def _market(start: datetime = MONDAY_1035_ET, always_open: bool = True,
            seed: int = 7) -> tuple[Market, ManualClock]:
    clock = ManualClock(start)
    return Market(Catalog(seed, start), clock, seed, always_open=always_open), clock


def test_eastern_time_matches_the_tz_database() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    while when < datetime(2028, 1, 1, tzinfo=UTC):
        expected = when.astimezone(NEW_YORK).replace(tzinfo=None)
        assert cal.to_et(when) == expected, when
        if not 1 <= expected.hour <= 3:  # the ambiguous/nonexistent hours are never asked
            assert cal.et_to_utc(expected) == when, when
        when += timedelta(hours=7, minutes=13)


@pytest.mark.parametrize("local, session", [
    ("2026-09-21 10:00", "CORE"), ("2026-09-21 09:29", "PRE"), ("2026-09-21 04:00", "PRE"),
    ("2026-09-21 16:00", "AFTER"), ("2026-09-21 19:59", "AFTER"), ("2026-09-21 20:00", "NIGHT"),
    ("2026-09-22 03:59", "NIGHT"), ("2026-09-25 21:00", "CLOSED"), ("2026-09-26 12:00", "CLOSED"),
    ("2026-09-27 19:59", "CLOSED"), ("2026-09-27 20:00", "NIGHT"), ("2026-03-09 09:30", "CORE"),
    ("2026-11-02 15:59", "CORE"),
])
def test_stock_sessions(local: str, session: str) -> None:
    when = datetime.fromisoformat(local).replace(tzinfo=NEW_YORK).astimezone(UTC)
    assert cal.stock_session(when) == session


def test_market_can_follow_real_hours() -> None:
    market, clock = _market(always_open=False)
    assert market.is_open("EQUITY", "CORE") and market.is_open("OPTION")
    assert not market.is_open("EQUITY", "NIGHT")
    saturday = datetime(2026, 9, 26, 16, 0, tzinfo=UTC)
    assert not market.is_open("EQUITY", "ALL", saturday)
    assert not market.is_open("FUTURES", at=saturday)
    assert market.is_open("CRYPTO", at=saturday) and market.is_open("EVENT", at=saturday)
    # prices of closed markets stand still; crypto trades through the weekend
    friday_close = datetime(2026, 9, 25, 20, 0, tzinfo=UTC) + timedelta(hours=4)  # Fri 20:00 ET
    sunday = datetime(2026, 9, 27, 20, 0, tzinfo=UTC)  # Sunday 16:00 ET
    assert market.price("AAPL", friday_close) == market.price("AAPL", sunday)
    assert market.price("BTCUSD", friday_close) != market.price("BTCUSD", sunday)
    always, _ = _market(always_open=True)
    assert always.is_open("EQUITY", "NIGHT", saturday)


def test_switching_hours_keeps_prices_continuous() -> None:
    market, clock = _market(always_open=True)
    clock.advance(3600)
    before = market.price("TSLA")
    market.always_open = False
    assert market.price("TSLA") == before
    clock.advance(7200)
    assert market.price("TSLA") != before  # Monday afternoon: still trading
    assert not market.always_open


def test_prices_are_a_pure_function_of_seed_and_time() -> None:
    times = [MONDAY_1035_ET + timedelta(seconds=s) for s in (0, 1, 59, 3600, 86400 * 20)]
    symbols = ["AAPL", "BTCUSD", "ESZ6", "KXRATECUTCOUNT-26DEC31-T3"]
    forward, _ = _market()
    backward, _ = _market()
    a = {(s, t): forward.price(s, t) for t in times for s in symbols}
    b = {(s, t): backward.price(s, t) for t in reversed(times) for s in symbols}
    assert a == b
    other, _ = _market(seed=8)
    assert other.price("AAPL", times[3]) != forward.price("AAPL", times[3])
    assert forward.price("AAPL", times[0]) == forward.catalog.stocks["AAPL"].start_price


def test_price_ranges_and_steps() -> None:
    market, clock = _market()
    for _ in range(30):
        clock.advance(timedelta(hours=13))
        for symbol in market.catalog.events:
            assert Decimal("0.01") <= market.price(symbol) <= Decimal("0.99")
        for contract in market.catalog.futures.values():
            assert market.price(contract.symbol) % contract.tick == 0
        assert market.price("SHIBUSD") > 0
        assert market.price("AAPL") == market.price("AAPL").quantize(Decimal("0.01"))


def test_options_follow_their_underlying() -> None:
    market, clock = _market()
    chain = market.catalog
    call_ = chain.option_at("AAPL", 25, 0, "CALL")
    put = chain.option_at("AAPL", 25, 0, "PUT")
    spot, strike = float(market.price("AAPL")), float(call_.strike)
    years = (call_.expires_at - clock.now()).total_seconds() / (365.25 * 86400)
    parity = spot - strike * math.exp(-0.04 * years)
    assert abs(float(market.price(call_.symbol) - market.price(put.symbol)) - parity) < 0.02
    deep = chain.option_at("AAPL", 25, -12, "CALL")
    assert market.price(deep.symbol) >= market.price("AAPL") - deep.strike
    # at expiry only intrinsic value is left
    clock.set(call_.expires_at + timedelta(minutes=1))
    assert market.price(call_.symbol) == max(market.price("AAPL") - call_.strike,
                                             Decimal("0.01"))
    assert black_scholes(100, 90, 0, 0.3, True) == 10 and black_scholes(100, 90, 1, 0.3, False) > 0


def test_day_reference_prices() -> None:
    market, clock = _market()
    monday = clock.now()
    friday_close = datetime(2026, 9, 18, 20, 0, tzinfo=UTC)  # 16:00 ET
    assert market.previous_close("AAPL", monday) == market.price("AAPL", friday_close)
    midnight = datetime(2026, 9, 21, 4, 0, tzinfo=UTC)  # 00:00 ET
    assert market.previous_close("BTCUSD", monday) == market.price("BTCUSD", midnight)


def test_catalogue_dates_follow_the_start_date() -> None:
    winter = Catalog(7, datetime(2027, 12, 20, 15, 0, tzinfo=UTC))
    assert all(o.expiration > datetime(2027, 12, 20).date() for o in winter.options.values())
    assert any(s.startswith("KXRATECUTCOUNT-28DEC31") for s in winter.events)
    assert all(f.last_trading >= datetime(2027, 12, 20).date() for f in winter.futures.values())


def test_number_formats() -> None:
    assert java_double(Decimal("232435219.00")) == "2.32435219E8"
    assert java_double(Decimal("-10000000")) == "-1.0E7"
    assert money(Decimal("232435219"), java_style=True) == "2.32435219E8"
    assert money(Decimal("9999999.994"), java_style=True) == "9999999.99"
    assert money(Decimal("0.005")) == "0.01" and money(Decimal("-1.5")) == "-1.50"
    assert plain(Decimal("2.500")) == "2.5" and plain(Decimal("1E+2")) == "100"
    assert plain(Decimal("-0.0")) == "0"
