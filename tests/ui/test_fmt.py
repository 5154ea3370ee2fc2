"""Formatting and position arithmetic (no Qt): exact quantities, signs, rounding, buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from app.core.rows import order_rows
from app.ui import fmt
from app.webull.models import (
    EntrustType,
    OrderGroup,
    OrderType,
    Position,
    Side,
    TimeInForce,
    TrailingType,
)
from tests.ui.test_models import example_groups, example_positions, position, spread

M = "\u2212"


@pytest.mark.parametrize(("value", "signed", "text"), [
    (None, False, "—"),
    (D("1234.56"), False, "1,234.56"),
    (D("1234.5"), False, "1,234.50"),
    (D("-1234.5"), False, f"{M}1,234.50"),
    (D("12.3"), True, "+12.30"),
    (D("-12.3"), True, f"{M}12.30"),
    (D("0"), True, "0.00"),
    (D("-0.001"), True, "0.00"),  # rounds to zero: no sign on nothing
    (D("0.005"), False, "0.01"),  # half up, like a statement
    (D("2.32435219E8"), False, "232,435,219.00"),
    (D("123456789012.345"), False, "123,456,789,012.35"),
    (D("1E+40"), False, f"{10**40:,}.00"),
])
def test_money(value: D | None, signed: bool, text: str) -> None:
    assert fmt.money(value, signed=signed) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, "—"),
    (D("1200"), "1,200"),
    (D("1.2E+3"), "1,200"),
    (D("100.000"), "100"),
    (D("0.00012345"), "0.00012345"),
    (D("0.000000000000000001"), "0.000000000000000001"),
    (D("-3"), f"{M}3"),
    (D("-0.5"), f"{M}0.5"),
    (D("1234567.123456789"), "1,234,567.123456789"),
    (D("0"), "0"),
    (D("1234567890123456789012345.123456789"), "1,234,567,890,123,456,789,012,345.123456789"),
])
def test_quantity_is_exact(value: D | None, text: str) -> None:
    assert fmt.quantity(value) == text
    if value is not None:  # the text is the value, nothing rounded away
        assert D(text.replace(",", "").replace(M, "-")) == value


@pytest.mark.parametrize(("value", "text"), [
    (None, "—"),
    (D("180"), "180.00"),
    (D("400.0"), "400.00"),
    (D("2.6125"), "2.6125"),
    (D("0.30000"), "0.30"),
    (D("1234.5"), "1,234.50"),
    (D("0.0001"), "0.0001"),
    (D("-1.5"), f"{M}1.50"),
    (D("1E+30"), "1,000,000,000,000,000,000,000,000,000,000.00"),
])
def test_price_keeps_its_precision(value: D | None, text: str) -> None:
    assert fmt.price(value) == text


@pytest.mark.parametrize(("value", "signed", "text"), [
    (None, True, "—"),
    (D("1.234"), True, "+1.23%"),
    (D("-1.235"), True, f"{M}1.24%"),
    (D("0"), True, "0.00%"),
    (D("5"), False, "5.00%"),
    (D("1234.5"), True, "+1,234.50%"),
])
def test_percent(value: D | None, signed: bool, text: str) -> None:
    assert fmt.percent(value, signed=signed) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "—"), (-3, "just now"), (0, "just now"), (4.9, "just now"), (12.7, "12 s ago"),
    (59, "59 s ago"), (60, "1 min ago"), (200, "3 min ago"), (3600, "1 h ago"),
    (86399, "23 h ago"), (3 * 86400, "3 d ago"),
])
def test_age(seconds: float | None, text: str) -> None:
    assert fmt.age(seconds) == text


def test_local_time_shows_the_zone() -> None:
    at = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)
    eastern = timezone(timedelta(hours=-4), "EDT")
    assert fmt.local_time(at, tz=eastern, zone=True) == "2026-09-21 10:35:12 EDT"
    assert fmt.local_time(at, tz=UTC) == "2026-09-21 14:35:12"
    assert fmt.local_time(None) == "—"


# ------------------------------------------------------------------ positions


def test_market_value_and_pnl_percent() -> None:
    stock, vertical, event = example_positions()
    assert fmt.multiplier(stock) == 1 and fmt.market_value(stock) == D("23145.00")
    assert fmt.pnl_percent(stock) == D("1213.00") / D("21932.00") * 100
    assert fmt.multiplier(vertical) == 100 and fmt.market_value(vertical) == D("263.00")
    assert fmt.pnl_percent(vertical) == D("2.30") / D("261.00") * 100
    assert fmt.multiplier(event) == 1 and fmt.market_value(event) == D("12.00")
    assert fmt.description(stock) == "Stock/ETF"
    assert fmt.description(vertical) == "VERTICAL · 2 legs"
    assert fmt.description(event) == "YES"


def test_option_without_multiplier_defaults_to_100_and_short_is_negative() -> None:
    short = position("X", "AAPL", qty="-2", last="1.5", cost="2", pnl="100",
                     instrument_type="OPTION", option_strategy="SINGLE",
                     legs=[{"leg_id": "L", "symbol": "AAPL", "quantity": "-2"}])
    assert fmt.multiplier(short) == 100
    assert fmt.market_value(short) == D("-300.0")
    assert fmt.pnl_percent(short) == D(25)  # gain on a short: positive
    free = position("F", "GIFT", cost="0")
    assert fmt.pnl_percent(free) is None
    crypto = position("C", "BTCUSD", qty="0.00012345", last="65000", instrument_type="CRYPTO")
    assert fmt.market_value(crypto) == D("8.02425")
    assert fmt.quantity(crypto.quantity) == "0.00012345"


def test_allocation_by_symbol_has_an_other_bucket() -> None:
    positions = [position(f"P{i}", f"S{i:02}", qty="1", last=str(100 - i)) for i in range(12)]
    positions.append(position("dup", "S00", qty="-1", last="10"))  # same label: summed, abs
    positions.append(spread("V"))
    positions.append(position("Z", "ZERO", last="0"))  # nothing to show
    bars = fmt.allocation_by_symbol(positions, top=8)
    assert len(bars) == 9 and bars[:2] == [("TSLA vertical", D("263.00")), ("S00", D(110))]
    assert [label for label, _ in bars[2:8]] == ["S01", "S02", "S03", "S04", "S05", "S06"]
    assert bars[-1] == ("Other", D(93 + 92 + 91 + 90 + 89))
    assert all(isinstance(v, D) for _, v in bars)
    assert sum(v for _, v in bars) == sum(abs(fmt.market_value(p)) for p in positions)
    assert fmt.allocation_by_symbol(positions[:3]) == [("S00", D(100)), ("S01", D(99)),
                                                       ("S02", D(98))]
    assert fmt.allocation_by_symbol([]) == []


def test_allocation_by_class() -> None:
    positions = example_positions() + [
        position("C", "BTCUSD", qty="0.5", last="60000", instrument_type="CRYPTO"),
        position("F", "ESZ6", qty="-1", last="5000", instrument_type="FUTURES")]
    assert fmt.allocation_by_class(positions) == [
        ("Crypto", D("30000.0")), ("Stocks/ETFs", D("23145.00")), ("Futures", D(5000)),
        ("Options", D("263.00")), ("Events", D("12.00"))]
    assert fmt.allocation_by_class([]) == []


def test_leg_descriptions() -> None:
    vertical = example_positions()[1]
    assert [fmt.position_leg(leg) for leg in vertical.legs] == [
        "TSLA 2026-10-16 400 CALL", "TSLA 2026-10-16 410 CALL"]
    assert [fmt.leg_side(leg) for leg in vertical.legs] == ["Long call", "Short call"]
    assert fmt.position_label(vertical) == "TSLA vertical"
    assert fmt.position_label(example_positions()[2]) == "KXRATECUTCOUNT-26DEC31-T3 YES"


# ------------------------------------------------------------------ orders


def test_order_summaries() -> None:
    rows = order_rows(example_groups("open_orders"))
    assert [fmt.order_summary(r) for r in rows] == [
        "BUY 10 AAPL LIMIT 180.00 DAY",
        "BUY 10 AAPL LIMIT 229.50 DAY",
        "SELL 10 AAPL LIMIT 245.00 DAY",
        "SELL 10 AAPL STOP 218.00 DAY",
    ]
    item = rows[0].item.model_copy(update={
        "order_type": OrderType.STOP_LOSS_LIMIT, "stop_price": D("179"),
        "time_in_force": TimeInForce.GTC})
    assert fmt.order_summary(item) == "BUY 10 AAPL STOP LIMIT stop 179.00 limit 180.00 GTC"
    trail = rows[0].item.model_copy(update={
        "order_type": OrderType.TRAILING_STOP_LOSS, "limit_price": None,
        "trailing_type": TrailingType.PERCENTAGE, "trailing_stop_step": D("0.05"),
        "side": Side.SELL})
    assert fmt.order_summary(trail) == "SELL 10 AAPL TRAILING STOP 5.00% DAY"
    amount = rows[0].item.model_copy(update={
        "entrust_type": EntrustType.AMOUNT, "total_quantity": None,
        "total_cash_amount": D("500"), "order_type": OrderType.MARKET, "limit_price": None})
    assert fmt.order_summary(amount) == "BUY $500.00 AAPL MARKET DAY"


def _detail(name: str) -> OrderGroup:
    from tests.webull.openapi_support import load_examples
    body = load_examples()["trading"][name]["response"]["body"]
    return OrderGroup.model_validate(body)


def test_order_detail_of_a_partial_fill() -> None:
    eastern = timezone(timedelta(hours=-4), "EDT")
    lines = dict(fmt.order_detail_lines(_detail("order_detail_stock"), tz=eastern))
    assert lines["Status"] == "Partially filled"
    assert lines["Side"] == "Buy"
    assert lines["Quantity"] == "10" and lines["Filled quantity"] == "4"
    assert lines["Average fill price"] == "179.98"
    assert lines["Limit price"] == "180.00"
    assert lines["Time in force"] == "Day"
    assert lines["Session"] == "Regular hours"
    assert lines["Placed"] == "2026-09-21 10:35:12 EDT"
    assert lines["Last fill"] == "2026-09-21 10:36:45 EDT"
    assert lines["Commission"] == "0.00"
    assert lines["Fee: FINRA CAT regulatory fee"] == "0.01"
    assert fmt.fee_name("SEC_FEE") == "SEC fee" and fmt.fee_name("OTHER_FEE") == "Other fee"
    assert lines["Order ID"] == "80HG7CPSFDPCAL3TP66LKBAS69"
    assert "Combo" not in lines


def test_order_detail_of_a_spread_and_a_combo() -> None:
    lines = fmt.order_detail_lines(_detail("order_detail_option_vertical"), tz=UTC)
    legs = [v for k, v in lines if k.startswith("Leg ")]
    assert legs == ["BUY 1 TSLA 2026-10-16 400.00 CALL", "SELL 1 TSLA 2026-10-16 410.00 CALL"]
    assert dict(lines)["Average fill price"] == "—"  # nothing filled yet
    assert dict(lines)["Strategy"] == "Vertical"
    master = example_groups("open_orders")[1]
    second = master.orders[1].client_order_id
    lines = fmt.order_detail_lines(order_rows([master]), selected=second, tz=UTC)
    assert dict(lines)["Order"] == "SELL 10 AAPL LIMIT 245.00 DAY"
    assert dict(lines)["Combo"] == "MASTER (combo id OBJOAD3OV65I6UDLO1N70GOO78)"
    others = [v for k, v in lines if k == "Other order in combo"]
    assert others == ["BUY 10 AAPL LIMIT 229.50 DAY · Submitted",
                      "SELL 10 AAPL STOP 218.00 DAY · Pending"]
    assert fmt.order_detail_lines([]) == [("Order", "No order selected")]


def test_position_model_payloads_are_real() -> None:
    # the helpers build through pydantic: a bad payload would fail here, not in a view
    assert isinstance(position("A", "AAPL"), Position)
    with pytest.raises(ValueError):
        position("A", "AAPL", qty="ten")


def test_fmt_imports_no_qt() -> None:
    import subprocess
    import sys
    code = "import sys, app.ui.fmt; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=30).returncode == 0
