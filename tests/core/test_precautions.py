"""Precautionary checks: what blocks, what only advises, and the words shown."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.core.precautions import (
    Limits,
    OrderFacts,
    Severity,
    blocking,
    check,
    order_value,
)
from app.webull.models import OrderType, Side


def facts(**kw: object) -> OrderFacts:
    base: dict[str, object] = {"side": Side.BUY, "order_type": OrderType.LIMIT,
                               "quantity": D("10"), "limit_price": D("100"),
                               "last_price": D("100"), "tick": D("0.01")}
    base.update(kw)
    return OrderFacts(**base)  # type: ignore[arg-type]


def names(found: list) -> set[str]:
    return {f.check for f in found}


def test_an_ordinary_order_trips_nothing() -> None:
    assert check(facts()) == []


def test_order_value_limit_blocks_and_counts_the_multiplier() -> None:
    found = check(facts(quantity=D("11"), multiplier=D("100"), limit_price=D("100")))
    assert names(found) == {"max_order_value"} and blocking(found)
    assert "110,000.00" in found[0].message
    assert order_value(facts(amount=D("250"))) == D("250")


def test_quantity_limit_only_advises_by_default() -> None:
    found = check(facts(quantity=D("20000"), limit_price=D("1"), last_price=D("1")))
    assert names(found) == {"max_quantity"} and not blocking(found)


def test_price_far_from_the_last_advises_in_percent_and_ticks() -> None:
    found = check(facts(limit_price=D("125")), Limits(max_deviation_ticks=500))
    assert names(found) == {"price_deviation"}
    assert "25.0%" in found[0].message and "2,500 ticks" in found[0].message
    assert found[0].severity is Severity.ADVISE


def test_stop_on_the_wrong_side_of_the_market_blocks() -> None:
    buy = check(facts(order_type=OrderType.STOP_LOSS, limit_price=None, stop_price=D("99")))
    assert names(buy) == {"wrong_side_stop"} and blocking(buy)
    sell = check(facts(side=Side.SELL, order_type=OrderType.STOP_LOSS_LIMIT,
                       stop_price=D("101"), limit_price=D("100.5")))
    assert "wrong_side_stop" in names(sell)
    fine = check(facts(side=Side.SELL, order_type=OrderType.STOP_LOSS, limit_price=None,
                       stop_price=D("95")))
    assert fine == []


def test_closing_more_than_the_position_blocks() -> None:
    found = check(facts(side=Side.SELL, quantity=D("15"), position_quantity=D("10"),
                        closing=True))
    assert names(found) == {"oversized_close"} and "new short position" in found[0].message
    assert check(facts(side=Side.SELL, quantity=D("10"), position_quantity=D("10"),
                       closing=True)) == []


def test_settings_turn_checks_off_or_change_their_severity() -> None:
    off = Limits(max_order_value=None, max_deviation_pct=None)
    assert check(facts(quantity=D("5000"), limit_price=D("150")), off) == []
    strict = Limits(deviation_severity=Severity.BLOCK)
    assert blocking(check(facts(limit_price=D("150")), strict))


@given(st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2),
       st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2),
       st.integers(min_value=1, max_value=100_000))
def test_findings_are_sorted_blocking_first_and_never_crash(last: D, limit: D, qty: int) -> None:
    found = check(facts(quantity=D(qty), limit_price=limit, last_price=last))
    severities = [f.severity for f in found]
    assert severities == sorted(severities, key=lambda s: s is not Severity.BLOCK)
    assert all(f.message for f in found)


def test_closing_a_position_is_never_kept_back_by_the_size_limits() -> None:
    big = facts(side=Side.SELL, quantity=D("20000"), limit_price=D("100"), last_price=D("100"),
                position_quantity=D("20000"), closing=True)
    assert check(big) == []  # $2M and 20,000 shares, but it only reduces what is held
    more = facts(side=Side.SELL, quantity=D("20001"), limit_price=D("100"),
                 last_price=D("100"), position_quantity=D("20000"), closing=True)
    assert {"max_order_value", "max_quantity", "oversized_close"} <= names(check(more))


def test_futures_are_measured_against_their_own_notional_limit() -> None:
    es = facts(quantity=D("2"), multiplier=D("50"), limit_price=D("6875.25"),
               last_price=D("6875.25"), tick=D("0.25"), futures=True)
    assert check(es) == []  # $687,525 notional: under the futures limit of $2,000,000
    six = facts(quantity=D("6"), multiplier=D("50"), limit_price=D("6875.25"),
                last_price=D("6875.25"), tick=D("0.25"), futures=True)
    found = check(six)
    assert names(found) == {"max_order_value"} and blocking(found)
    assert "futures limit of 2,000,000.00" in found[0].message
    assert check(facts(quantity=D("2"), multiplier=D("50"), limit_price=D("6875.25"),
                       last_price=D("6875.25")))  # the same figures as a stock order: blocked
