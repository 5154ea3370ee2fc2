"""Request items: built in Python, checked at construction, serialised to Webull's JSON."""

from __future__ import annotations

import copy
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.webull.models import (
    AlgoType,
    BatchOrder,
    ComboType,
    EntrustType,
    EventOutcome,
    EventTradeMode,
    InstrumentType,
    ModifyLeg,
    ModifyOrder,
    NewOrder,
    NewOrderLeg,
    OptionStrategy,
    OptionType,
    OrderType,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

from .openapi_support import load_examples, request_body_validator, validation_errors

EXAMPLES = load_examples()["trading"]
NEW_ORDER_EXAMPLES = sorted(
    k for k, v in EXAMPLES.items()
    if isinstance(v, dict) and "new_orders" in v.get("request", {}).get("body", {}))


def request_body(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name]["request"]["body"])


def envelope(account_id: str, key: str, items: list[Any],
             combo: str | None = None) -> dict[str, Any]:
    """What the client sends around the items."""
    out: dict[str, Any] = {"account_id": account_id}
    if combo is not None:
        out["client_combo_order_id"] = combo
    out[key] = [item.to_wire() for item in items]
    return out


def problems(exc: pytest.ExceptionInfo[ValidationError]) -> dict[tuple[Any, ...], str]:
    return {e["loc"]: e["msg"] for e in exc.value.errors()}


def stock(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(client_order_id="abc123", symbol="AAPL",
                                instrument_type=InstrumentType.EQUITY, side=Side.BUY,
                                order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
                                quantity=Decimal(10), limit_price=Decimal("180.00"))
    base.update(over)
    return base


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("name", NEW_ORDER_EXAMPLES)
def test_new_orders_from_wire_values_round_trip(name: str) -> None:
    body = request_body(name)
    orders = [NewOrder(**item) for item in body["new_orders"]]
    assert envelope(body["account_id"], "new_orders", orders,
                    body.get("client_combo_order_id")) == body
    assert validation_errors(request_body_validator("CommonOrderPreview", place=True), body) == []
    if body["new_orders"][0]["instrument_type"] != "CRYPTO":  # crypto has no preview (§6.6)
        assert validation_errors(request_body_validator("CommonOrderPreview"), body) == []


def test_typed_construction_matches_the_examples() -> None:
    # the same orders as the examples, built the way the application builds them
    limit = NewOrder(client_order_id="0KGOHL4PR2SLC0DKIND4TI0002", symbol="AAPL",
                     instrument_type=InstrumentType.EQUITY, side=Side.BUY,
                     order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
                     quantity=Decimal(10), limit_price=Decimal("180.00"),
                     support_trading_session=TradingSession.CORE)
    assert limit.to_wire() == request_body("place_stock_limit")["new_orders"][0]
    fractional = NewOrder(client_order_id="3c9f1a7e5b2d4c6e8f0a1b2c3d4e5f60", symbol="AAPL",
                          instrument_type=InstrumentType.EQUITY, side=Side.BUY,
                          order_type=OrderType.MARKET, time_in_force=TimeInForce.DAY,
                          entrust_type=EntrustType.AMOUNT, total_cash_amount=Decimal("100.00"),
                          support_trading_session=TradingSession.CORE)
    assert fractional.to_wire() == request_body("place_stock_fractional_amount")["new_orders"][0]
    twap = NewOrder(client_order_id="c0ffee00112233445566778899aabbcc", symbol="AAPL",
                    instrument_type=InstrumentType.EQUITY, side=Side.BUY,
                    order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
                    quantity=300, limit_price=Decimal("235.00"),
                    support_trading_session=TradingSession.CORE, algo_type=AlgoType.TWAP,
                    max_target_percent=10, algo_start_time=time(10), algo_end_time=time(15, 30))
    assert twap.to_wire() == request_body("place_stock_algo_twap")["new_orders"][0]
    covered = NewOrder(
        client_order_id="f6a7b8c9d0e10112233445566778899c", symbol="AAPL",
        instrument_type=InstrumentType.OPTION, side=Side.BUY, order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.DAY, quantity=Decimal(1), limit_price=Decimal("202.65"),
        option_strategy=OptionStrategy.COVERED_STOCK,
        position_intent=PositionIntent.BUY_TO_OPEN,
        legs=(NewOrderLeg(side=Side.BUY, quantity=Decimal(100),
                          instrument_type=InstrumentType.EQUITY, symbol="AAPL"),
              NewOrderLeg(side=Side.SELL, quantity=Decimal(1),
                          instrument_type=InstrumentType.OPTION, symbol="AAPL",
                          strike_price=Decimal(330), option_expire_date=date(2026, 11, 20),
                          option_type=OptionType.CALL)),
    )
    assert covered.to_wire() == request_body("place_option_covered_stock")["new_orders"][0]
    event = NewOrder(client_order_id="3c4d5e6f708192a3b4c5d6e7f8091a2b",
                     symbol="KXRATECUTCOUNT-26DEC31-T3", instrument_type=InstrumentType.EVENT,
                     side=Side.BUY, order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
                     quantity=5, limit_price=Decimal("0.30"), event_outcome=EventOutcome.YES)
    assert event.to_wire() == request_body("place_event")["new_orders"][0]


@pytest.mark.parametrize("name", ["replace_stock", "replace_option_vertical", "replace_futures"])
def test_modify_orders_round_trip(name: str) -> None:
    body = request_body(name)
    mods = [ModifyOrder(**item) for item in body["modify_orders"]]
    assert envelope(body["account_id"], "modify_orders", mods) == body
    assert validation_errors(request_body_validator("CommonOrderReplace"), body) == []


def test_typed_modify_with_legs() -> None:
    mod = ModifyOrder(client_order_id="e5f6a7b8c9d00112233445566778899b", quantity=Decimal(2),
                      limit_price=Decimal("2.55"),
                      legs=[ModifyLeg(id="G2JAJPOR4KUA0F5I9LONH8J83A", quantity=Decimal(2)),
                            ModifyLeg(id="H3KBKQPS5LVB1G6J0MPOI9K94B", quantity=2)])
    assert mod.to_wire() == request_body("replace_option_vertical")["modify_orders"][0]
    assert isinstance(mod.legs, tuple)


def test_batch_orders_round_trip() -> None:
    body = request_body("batch_place")
    orders = [BatchOrder(**item) for item in body["batch_orders"]]
    assert envelope(body["account_id"], "batch_orders", orders) == body
    assert validation_errors(request_body_validator("OrderBatchPlace"), body) == []
    typed = BatchOrder(client_order_id="5e6f708192a3b4c5d6e7f8091a2b3c4d", symbol="TSLA",
                       side=Side.BUY, order_type=OrderType.LIMIT, quantity=Decimal(1),
                       limit_price=Decimal("390.00"), support_trading_session="CORE")
    assert typed.to_wire() == body["batch_orders"][1]


def test_schema_check_is_not_vacuous() -> None:
    body = request_body("batch_place")
    body["batch_orders"][0]["time_in_force"] = "GTC"
    assert validation_errors(request_body_validator("OrderBatchPlace"), body) != []


# ------------------------------------------------------------------ numbers on the wire


@pytest.mark.parametrize(
    ("value", "wire"),
    [(Decimal("1E+2"), "100"), (Decimal("0.00000001"), "0.00000001"), (Decimal("1E-8"),
     "0.00000001"), (Decimal("180.00"), "180.00"), ("2.5E3", "2500"), (7, "7"),
     (Decimal("12345678901234567890.5"), "12345678901234567890.5")],
)
def test_decimals_serialise_in_plain_notation(value: Any, wire: str) -> None:
    order = NewOrder(**stock(limit_price=value))
    assert order.to_wire()["limit_price"] == wire


def test_wire_has_only_strings_and_lists() -> None:
    wire = NewOrder(**stock(support_trading_session="ALL")).to_wire()
    assert wire == {"client_order_id": "abc123", "combo_type": "NORMAL", "symbol": "AAPL",
                    "instrument_type": "EQUITY", "market": "US", "side": "BUY",
                    "order_type": "LIMIT", "time_in_force": "DAY", "entrust_type": "QTY",
                    "support_trading_session": "ALL", "quantity": "10",
                    "limit_price": "180.00"}
    assert all(type(v) is str for v in wire.values())


def test_request_models_are_frozen() -> None:
    order = NewOrder(**stock())
    with pytest.raises(ValidationError):
        order.quantity = Decimal(1)  # type: ignore[misc]


# ------------------------------------------------------------------ structural checks


@pytest.mark.parametrize(
    ("over", "loc", "text"),
    [
        (dict(limit_price=None), "limit_price", "required for LIMIT"),
        (dict(order_type=OrderType.MARKET), "limit_price", "not used by MARKET"),
        (dict(order_type=OrderType.STOP_LOSS, limit_price=None), "stop_price", "required"),
        (dict(order_type=OrderType.STOP_LOSS_LIMIT), "stop_price", "required"),
        (dict(stop_price=Decimal(1)), "stop_price", "not used by LIMIT"),
        (dict(quantity=None), "quantity", "required when entrust_type is QTY"),
        (dict(total_cash_amount=Decimal(5)), "total_cash_amount", "only when entrust_type"),
        (dict(entrust_type="AMOUNT"), "total_cash_amount", "required when entrust_type is AMOUNT"),
        (dict(entrust_type="AMOUNT", total_cash_amount=5), "quantity", "not used"),
        (dict(order_type="TRAILING_STOP_LOSS", limit_price=None), "trailing_type",
         "required for TRAILING_STOP_LOSS"),
        (dict(order_type="TRAILING_STOP_LOSS", limit_price=None, trailing_type="AMOUNT"),
         "trailing_stop_step", "required for TRAILING_STOP_LOSS"),
        (dict(trailing_type="AMOUNT"), "trailing_type", "only for TRAILING_STOP_LOSS"),
        (dict(order_type="TRAILING_STOP_LOSS", limit_price=None, trailing_type="PERCENTAGE",
              trailing_stop_step=Decimal(5)), "trailing_stop_step", "at most 1"),
        (dict(time_in_force="GTD"), "expire_date", "required for GTD"),
        (dict(expire_date=date(2026, 12, 1)), "expire_date", "only for GTD orders"),
        (dict(legs=[]), "legs", "only for OPTION"),
        (dict(instrument_type="OPTION", option_strategy="SINGLE", legs=[]), "legs",
         "at least one leg"),
        (dict(option_strategy="SINGLE"), "option_strategy", "only for OPTION"),
        (dict(position_intent="BUY_TO_OPEN"), "position_intent", "only for OPTION"),
        (dict(instrument_type="OPTION"), "legs", "required for OPTION"),
        (dict(instrument_type="EVENT"), "event_outcome", "required for EVENT"),
        (dict(event_outcome="yes"), "event_outcome", "only for EVENT"),
        (dict(max_target_percent=10), "max_target_percent", "needs algo_type"),
        (dict(algo_type="POV", target_vol_percent=25), "target_vol_percent", "1 to 20"),
        (dict(algo_type="TWAP", algo_start_time="15:00:00", algo_end_time="10:00:00"),
         "algo_end_time", "after algo_start_time"),
        (dict(side="BUY_IT_ALL"), "side", "must be one of BUY, SELL, SHORT"),
        (dict(order_type="TOUCH_LMT"), "order_type", "must be one of"),
        (dict(client_order_id="has-dash"), "client_order_id", "ASCII letters or digits"),
        (dict(client_order_id="x" * 33), "client_order_id", "1 to 32"),
        (dict(client_order_id=""), "client_order_id", "1 to 32"),
        (dict(client_order_id="ünïcode"), "client_order_id", "ASCII"),
        (dict(symbol="AA PL"), "symbol", "without spaces"),
        (dict(symbol="A,B"), "symbol", "commas"),
        (dict(quantity=Decimal(0)), "quantity", "greater than zero"),
        (dict(quantity=Decimal(-1)), "quantity", "greater than zero"),
        (dict(quantity=1.5), "quantity", "floats are not accepted"),
        (dict(quantity=True), "quantity", "boolean"),
        (dict(limit_price=Decimal("NaN")), "limit_price", "NaN"),
        (dict(limit_price=Decimal("Infinity")), "limit_price", "infinity"),
        (dict(limit_price="1e"), "limit_price", "not a decimal"),
        (dict(current_bid=Decimal(-1)), "current_bid", "greater than zero"),
        (dict(max_target_percent=1.5, algo_type="VWAP"), "max_target_percent", "whole number"),
        (dict(algo_start_time="9:30"), "algo_start_time", "HH:mm:ss"),
        (dict(colour="red"), "colour", "Extra inputs"),
    ],
)
def test_structural_errors_name_the_field(over: dict[str, Any], loc: str, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(**over))
    found = problems(info)
    assert (loc,) in found, found
    assert text in found[(loc,)]


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(limit_price=None, quantity=None, instrument_type="EVENT"))
    assert set(problems(info)) == {("limit_price",), ("quantity",), ("event_outcome",)}


def test_unknown_values_never_reach_the_wire() -> None:
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(instrument_type="BOND", time_in_force="FOREVER"))
    assert set(problems(info)) == {("instrument_type",), ("time_in_force",)}


def test_fractional_and_event_trade_mode_orders() -> None:
    cash = NewOrder(**stock(order_type="MARKET", limit_price=None, quantity=None,
                            entrust_type="AMOUNT", total_cash_amount="100.00"))
    assert cash.to_wire()["total_cash_amount"] == "100.00" and "quantity" not in cash.to_wire()
    by_amount = NewOrder(**stock(instrument_type="EVENT", event_outcome="no", limit_price=None,
                                 time_in_force="FOK", entrust_type="AMOUNT", quantity=None,
                                 total_cash_amount=Decimal(10),
                                 event_trade_mode=EventTradeMode.TRADE_IN_AMOUNT))
    assert by_amount.event_trade_mode is EventTradeMode.TRADE_IN_AMOUNT
    assert "limit_price" not in by_amount.to_wire()
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(instrument_type="EVENT", event_outcome="no", limit_price=None,
                         quantity=None, event_trade_mode="TRADE_IN_CONTRACT"))
    assert ("quantity",) in problems(info)


def test_trailing_stop() -> None:
    order = NewOrder(**stock(order_type=OrderType.TRAILING_STOP_LOSS, limit_price=None,
                             trailing_type=TrailingType.PERCENTAGE,
                             trailing_stop_step=Decimal("0.05")))
    assert order.to_wire()["trailing_stop_step"] == "0.05"
    assert order.to_wire()["trailing_type"] == "PERCENTAGE"


def test_option_leg_errors_are_located_in_the_leg() -> None:
    legs = [{"side": "BUY", "quantity": "1", "instrument_type": "OPTION", "symbol": "AAPL",
             "strike_price": "330", "option_expire_date": "2026-11-20", "option_type": "CALL"},
            {"side": "SELL", "quantity": "x", "instrument_type": "OPTION", "symbol": "AAPL",
             "option_expire_date": "2026-11-20", "option_type": "CALL"}]
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(instrument_type="OPTION", option_strategy="VERTICAL", legs=legs))
    assert set(problems(info)) == {("legs", 1, "quantity")}
    legs[1]["quantity"] = "1"
    with pytest.raises(ValidationError) as info:
        NewOrder(**stock(instrument_type="OPTION", option_strategy="VERTICAL", legs=legs))
    assert problems(info) == {("legs", 1, "strike_price"): "required for an OPTION leg"}


def test_leg_rules() -> None:
    with pytest.raises(ValidationError) as info:
        NewOrderLeg(side="BUY", instrument_type="EQUITY", symbol="AAPL", strike_price=5)
    assert problems(info) == {("strike_price",): "only OPTION legs name a contract"}
    with pytest.raises(ValidationError) as info:
        NewOrderLeg(side="BUY", instrument_type="FUTURES", symbol="ESZ6")
    assert "EQUITY, OPTION" in problems(info)[("instrument_type",)]


def test_modify_order_rules() -> None:
    with pytest.raises(ValidationError) as info:
        ModifyOrder(client_order_id="abc")
    assert "at least one field" in problems(info)[("client_order_id",)]
    with pytest.raises(ValidationError) as info:
        ModifyOrder(client_order_id="abc", legs=[{"id": "L1", "quantity": "0"}])
    assert problems(info) == {("legs", 0, "quantity"): "Value error, must be greater than zero"}
    with pytest.raises(ValidationError) as info:
        ModifyOrder(client_order_id="abc", symbol="AAPL")  # replace never sends symbol & co
    assert set(problems(info)) == {("symbol",)}
    with pytest.raises(ValidationError) as info:
        ModifyOrder(client_order_id="abc", order_type="LIMIT_IF_TOUCHED", legs=[])
    assert set(problems(info)) == {("order_type",), ("legs",)}
    with pytest.raises(ValidationError) as info:
        ModifyLeg(id="", quantity=1)
    assert ("id",) in problems(info)


@pytest.mark.parametrize(
    ("over", "loc"),
    [(dict(instrument_type="OPTION"), "instrument_type"), (dict(combo_type="OTO"), "combo_type"),
     (dict(entrust_type="AMOUNT"), "entrust_type"), (dict(order_type="STOP_LOSS"), "order_type"),
     (dict(side="SHORT"), "side"), (dict(time_in_force="GTC"), "time_in_force"),
     (dict(limit_price=None), "limit_price"), (dict(quantity=None), "quantity"),
     (dict(support_trading_session=None), "support_trading_session")],
)
def test_batch_order_restrictions(over: dict[str, Any], loc: str) -> None:
    item = {**request_body("batch_place")["batch_orders"][1], **over}
    with pytest.raises(ValidationError) as info:
        BatchOrder(**item)
    assert (loc,) in problems(info)


def test_batch_market_order_takes_no_limit_price() -> None:
    item = {**request_body("batch_place")["batch_orders"][0], "limit_price": "1"}
    with pytest.raises(ValidationError) as info:
        BatchOrder(**item)
    assert problems(info) == {("limit_price",): "not used by MARKET orders"}
    assert BatchOrder(**request_body("batch_place")["batch_orders"][0]).combo_type is (
        ComboType.NORMAL)


def test_request_models_dump_without_warnings() -> None:
    for name in NEW_ORDER_EXAMPLES:
        for item in request_body(name)["new_orders"]:
            NewOrder(**item).model_dump_json()
    ModifyOrder(client_order_id="a1", algo_start_time="10:00:00", quantity=1).model_dump_json()
