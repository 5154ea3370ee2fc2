"""Response models against the example payloads and Webull's published (patched) schemas."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.webull.models import (
    UNLIMITED_DAY_TRADES,
    AccountClass,
    AccountType,
    Balance,
    BatchPlaceResult,
    ComboType,
    CryptoInstrument,
    Currency,
    DayTradesLeft,
    EntrustType,
    EventMarket,
    EventOutcome,
    InstrumentType,
    MarginCall,
    OptionCategory,
    OptionContract,
    OptionStrategy,
    OptionType,
    OrderGroup,
    OrderStatus,
    OrderType,
    Page,
    Position,
    PositionIntent,
    PreviewResult,
    Side,
    StockInstrument,
    SubCategory,
    TimeInForce,
    TradableStatus,
    TradingSession,
    WriteResult,
    decode_accounts,
    decode_balance,
    decode_futures_contracts,
    decode_order_group,
    decode_positions,
)

from .openapi_support import load_examples, response_validator, validation_errors

EXAMPLES = load_examples()["trading"]


def body(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name]["response"]["body"])


def loc_of(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[Any, ...]:
    return exc.value.errors()[0]["loc"]


# ------------------------------------------------------------------ the examples are valid

#: every example response with a published schema: (example, operation file)
SCHEMA_CHECKED = [
    ("account_list", "hk/accountList"),
    ("balance", "accountBalance"),
    ("balance_events_cash", "accountBalance"),
    ("positions", "accountPosition"),
    ("positions_events_account", "accountPosition"),
    ("instruments_stock", "instrumentList"),
    ("instruments_crypto", "cryptoInstrumentList"),
    ("instruments_futures", "futuresInstrumentList"),
    ("instruments_event_markets", "eventMarketList"),
    ("preview_stock", "CommonOrderPreview"),
    ("preview_futures", "CommonOrderPreview"),
    ("batch_place", "OrderBatchPlace"),
    ("replace_stock", "CommonOrderReplace"),
    ("replace_option_vertical", "CommonOrderReplace"),
    ("replace_futures", "CommonOrderReplace"),
    ("order_detail_stock", "orderDetail"),
    ("order_detail_option_vertical", "orderDetail"),
]


@pytest.mark.parametrize(("name", "op"), SCHEMA_CHECKED)
def test_example_responses_match_the_published_schema(name: str, op: str) -> None:
    assert validation_errors(response_validator(op), body(name)) == []


@pytest.mark.parametrize("name", ["open_orders", "order_history"])
def test_order_list_groups_match_the_order_detail_schema(name: str) -> None:
    # no published block for the lists; their groups have the order-detail shape (§6.11)
    validator = response_validator("orderDetail")
    for group in body(name)["data"]:
        assert validation_errors(validator, group) == []


def test_the_schema_check_is_not_vacuous() -> None:
    bad = body("positions")
    bad[0]["instrument_type"] = "BOND"
    del bad[1]["symbol"]
    assert len(validation_errors(response_validator("accountPosition"), bad)) == 2


# ------------------------------------------------------------------ accounts and assets


def test_accounts() -> None:
    accounts = decode_accounts(body("account_list"))
    assert [a.account_class for a in accounts] == [
        AccountClass.INDIVIDUAL_MARGIN, AccountClass.FUTURES, AccountClass.CRYPTO,
        AccountClass.EVENTS_CASH]
    margin = accounts[0]
    assert margin.account_id == "LOJOQITOD49R6G9BPQM489CISA"
    assert margin.account_number == "5MV06064"
    assert margin.account_type is AccountType.MARGIN and accounts[2].account_type == "CASH"
    assert accounts[3].account_label == "Events Cash"
    (hk,) = decode_accounts([{"account_id": "A", "account_number": "1", "account_type": "CASH",
                              "account_class": "INSTITUTIONAL_MRGN"}])
    assert hk.account_label is None and hk.account_class.known


def test_balance() -> None:
    bal = decode_balance(body("balance"))
    assert bal.total_asset_currency is Currency.USD
    assert bal.total_cash_balance == Decimal("98250.40")
    assert bal.total_day_profit_loss == Decimal("-132.75")
    assert bal.total_net_liquidation_value == Decimal("124662.90")
    assert bal.day_trades_left == UNLIMITED_DAY_TRADES and bal.day_trades_left.unlimited
    assert str(bal.day_trades_left) == "UNLIMITED"
    assert bal.open_margin_calls == ()
    assert bal.margin_ratio == Decimal("0.89")
    (usd,) = bal.account_currency_assets
    assert bal.currency_assets("USD") is usd and bal.currency_assets("HKD") is None
    assert usd.day_buying_power == Decimal("445826.60")
    assert usd.overnight_buying_power == Decimal("222913.30")
    assert usd.held_amount == Decimal("0.00")


def test_balance_of_an_events_cash_account_has_empty_amounts() -> None:
    bal = decode_balance(body("balance_events_cash"))
    assert bal.total_cash_balance is None and bal.total_net_liquidation_value is None
    assert bal.total_market_value == Decimal("12.00")
    assert bal.day_trades_left is None and bal.maintenance_margin is None
    (usd,) = bal.account_currency_assets
    assert usd.cash_balance is None and usd.buying_power == Decimal("488.00")
    assert usd.day_buying_power is None


def test_balance_scientific_notation() -> None:
    raw = body("balance")
    raw["margin_excess"] = "2.32435219E8"
    raw["account_currency_assets"][0]["available_withdrawal"] = "3.0558743194E8"
    bal = decode_balance(raw)
    assert bal.margin_excess == Decimal("232435219") and str(bal.margin_excess) == "232435219"
    assert bal.account_currency_assets[0].available_withdrawal == Decimal("305587431.94")


@pytest.mark.parametrize(
    ("wire", "expected"),
    [([], ()), (["EM"], (MarginCall.EM,)), (["EM", "DT"], (MarginCall.EM, MarginCall.DT)),
     ("['EM']", (MarginCall.EM,)), ("['EM', 'RT']", (MarginCall.EM, MarginCall.RT)),
     ("[]", ()), ("", ()), ("EM", (MarginCall.EM,)), (None, ())],
)
def test_open_margin_calls_array_or_string(wire: Any, expected: tuple[MarginCall, ...]) -> None:
    bal = decode_balance({**body("balance"), "open_margin_calls": wire})
    assert bal.open_margin_calls == expected
    assert all(isinstance(c, MarginCall) for c in bal.open_margin_calls)


def test_open_margin_calls_keep_unknown_codes_and_refuse_junk() -> None:
    (call,) = decode_balance({**body("balance"), "open_margin_calls": ["XM"]}).open_margin_calls
    assert call == "XM" and call.known is False
    with pytest.raises(ValidationError) as info:
        decode_balance({**body("balance"), "open_margin_calls": [1]})
    assert loc_of(info) == ("open_margin_calls",)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("UNLIMITED", DayTradesLeft(None)), ("unlimited", DayTradesLeft(None)),
     ("3", DayTradesLeft(3)), (2, DayTradesLeft(2)), (Decimal("1"), DayTradesLeft(1)),
     ("0", DayTradesLeft(0)), ("", None), (None, None)],
)
def test_day_trades_left(wire: Any, expected: DayTradesLeft | None) -> None:
    got = decode_balance({**body("balance"), "day_trades_left": wire}).day_trades_left
    assert got == expected
    if got is not None and not got.unlimited:
        assert got.count == int(wire) and str(got) == str(int(wire))


@pytest.mark.parametrize("bad", ["1.5", "-1", "lots", 1.0, True])
def test_day_trades_left_refuses_non_counts(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        decode_balance({**body("balance"), "day_trades_left": bad})
    assert loc_of(info) == ("day_trades_left",)


def test_positions() -> None:
    stock, spread = decode_positions(body("positions"))
    assert isinstance(stock, Position)
    assert stock.symbol == "AAPL" and stock.instrument_type is InstrumentType.EQUITY
    assert stock.quantity == Decimal("100") and stock.cost_price == Decimal("219.32")
    assert stock.option_strategy is None and stock.legs == () and stock.event_outcome is None
    assert stock.currency is Currency.USD
    assert spread.option_strategy is OptionStrategy.VERTICAL
    assert spread.unrealized_profit_loss == Decimal("2.30")
    long_leg, short_leg = spread.legs
    assert long_leg.leg_id == "G2JAJPOR4KUA0F5I9LONH8J83A"
    assert (long_leg.quantity, short_leg.quantity) == (Decimal(1), Decimal(-1))
    assert long_leg.option_type is OptionType.CALL
    assert long_leg.option_expire_date == date(2026, 10, 16)
    assert short_leg.option_exercise_price == Decimal("410")
    assert long_leg.option_contract_multiplier == Decimal(100)
    assert long_leg.expiration_type == "PM"


def test_event_position() -> None:
    (pos,) = decode_positions(body("positions_events_account"))
    assert pos.instrument_type is InstrumentType.EVENT and pos.event_outcome is EventOutcome.YES
    assert pos.event_outcome == "yes" and pos.cost_price == Decimal("0.2625")


def test_positions_keep_unknown_values() -> None:
    raw = body("positions")
    raw[0]["instrument_type"] = "BOND"
    raw[1]["option_strategy"] = "JADE_LIZARD"
    raw[1]["legs"][0]["option_type"] = "BINARY"
    stock, spread = decode_positions(raw)
    assert stock.instrument_type == "BOND" and not stock.instrument_type.known
    assert stock.instrument_type is InstrumentType("BOND")
    assert spread.option_strategy == "JADE_LIZARD" and not spread.option_strategy.known
    assert spread.legs[0].option_type == "BINARY"


@pytest.mark.parametrize(
    ("path", "value", "loc"),
    [((0, "quantity"), "abc", (0, "quantity")),
     ((0, "last_price"), "NaN", (0, "last_price")),
     ((0, "cost_price"), 1.5, (0, "cost_price")),
     ((0, "unrealized_profit_loss"), True, (0, "unrealized_profit_loss")),
     ((1, "legs", 0, "quantity"), "x", (1, "legs", 0, "quantity")),
     ((1, "legs", 1, "option_expire_date"), "16/10/2026", (1, "legs", 1, "option_expire_date")),
     ((0, "instrument_type"), "", (0, "instrument_type")),
     ((0, "quantity"), "", (0, "quantity"))],
)
def test_bad_position_fields_are_located(path: tuple[Any, ...], value: Any,
                                         loc: tuple[Any, ...]) -> None:
    raw = body("positions")
    target = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as info:
        decode_positions(raw)
    assert loc_of(info) == loc
    assert info.value.error_count() == 1


def test_missing_required_position_field() -> None:
    raw = body("positions")
    del raw[1]["symbol"]
    with pytest.raises(ValidationError) as info:
        decode_positions(raw)
    assert loc_of(info) == (1, "symbol") and info.value.errors()[0]["type"] == "missing"


def test_null_legs_and_empty_list() -> None:
    raw = body("positions")
    raw[0]["legs"] = None
    assert decode_positions(raw)[0].legs == ()
    assert decode_positions([]) == ()


# ------------------------------------------------------------------ instruments


def test_stock_instruments_page() -> None:
    page = TypeAdapter(Page[StockInstrument]).validate_python(body("instruments_stock"))
    assert page.pagination_key is None
    aapl, tsla = page.data
    assert aapl.symbol == "AAPL" and aapl.instrument_id == "913256135"
    assert aapl.status is TradableStatus.OC and aapl.sub_category is SubCategory.COMMON_STOCK
    assert aapl.fractionable is True and aapl.crypto_etf is False
    assert aapl.maintenance_margin_long == Decimal("0.25")
    assert tsla.maintenance_margin_long == Decimal("0.3")
    assert aapl.lot_size == Decimal(1) and aapl.etf_leveraged_factor == Decimal(0)


@pytest.mark.parametrize(("wire", "expected"), [({}, None), ({"pagination_key": ""}, None),
                                                ({"pagination_key": "k2"}, "k2")])
def test_page_keys(wire: dict[str, Any], expected: str | None) -> None:
    page = TypeAdapter(Page[CryptoInstrument]).validate_python({"data": [], **wire})
    assert page.data == () and page.pagination_key == expected
    assert TypeAdapter(Page[CryptoInstrument]).validate_python({}).data == ()


def test_crypto_instruments() -> None:
    (btc,) = TypeAdapter(Page[CryptoInstrument]).validate_python(body("instruments_crypto")).data
    assert btc.symbol == "BTCUSD" and btc.exchange_code == "CCC"
    assert btc.min_trade_qty == Decimal("0.00000001") and btc.lot_size == Decimal("1E-8")
    assert btc.max_trade_amt == Decimal("100000.00") and btc.price_step == Decimal("0.01")


def test_futures_contracts() -> None:
    (es,) = decode_futures_contracts(body("instruments_futures"))
    assert es.symbol == "ESZ6" and es.code == "ES" and es.product_class_id == 2
    assert es.size == Decimal("50.0") and es.min_tick == Decimal("0.25")
    assert es.contract_month == "202612" and es.settlement_date == date(2026, 12, 18)
    assert es.first_notice_date is None and es.last_notice_date is None
    assert es.first_trading_date == date(2025, 9, 19) and es.unit == "1 - Index points"


def test_option_contracts() -> None:
    page = TypeAdapter(Page[OptionContract]).validate_python(body("option_contracts"))
    (call,) = page.data
    assert call.symbol == "AAPL261120C00330000" and call.strike_price == Decimal("330")
    assert call.expiration_date == date(2026, 11, 20)
    assert call.option_type is OptionType.CALL and call.style is OptionCategory.AMERICAN
    assert call.listed_exchanges == ("CBOE", "ISE") and call.ppind is True
    assert call.tradable_status is TradableStatus.OC and call.multiplier == Decimal(100)


def test_event_markets() -> None:
    (market,) = TypeAdapter(Page[EventMarket]).validate_python(
        body("instruments_event_markets")).data
    assert market.symbol == "KXRATECUTCOUNT-26DEC31-T3" and market.series_id == "151750"
    assert market.last_trading_date == date(2026, 12, 31)
    assert market.latest_exp_date == date(2027, 1, 1)
    assert market.can_close_early is True and market.tradable_status is TradableStatus.OC
    (band,) = market.price_ranges
    assert (band.start, band.end, band.step) == (Decimal("0.01"), Decimal("0.99"),
                                                 Decimal("0.01"))


# ------------------------------------------------------------------ orders


def test_open_orders() -> None:
    page = TypeAdapter(Page[OrderGroup]).validate_python(body("open_orders"))
    assert page.pagination_key == body("open_orders")["pagination_key"]
    single, combo = page.data
    assert single.client_order_id == "0KGOHL4PR2SLC0DKIND4TI0002"
    assert single.combo_order_id is None and single.combo_type is ComboType.NORMAL
    (order,) = single.orders
    assert order.status is OrderStatus.SUBMITTED and order.side is Side.BUY
    assert order.order_type is OrderType.LIMIT and order.time_in_force is TimeInForce.DAY
    assert order.support_trading_session is TradingSession.CORE
    assert order.limit_price == Decimal("180.00") and order.stop_price is None
    assert order.filled_quantity == Decimal(0) and order.total_quantity == Decimal(10)
    expected = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)
    assert order.place_time_at == expected and order.place_time_at.tzinfo is UTC
    assert order.place_time == expected and order.filled_time is None
    assert combo.client_order_id is None and combo.combo_order_id == "OBJOAD3OV65I6UDLO1N70GOO78"
    assert combo.combo_type is ComboType.MASTER
    assert [o.status for o in combo.orders] == ["SUBMITTED", "PENDING", "PENDING"]
    assert combo.orders[2].order_type is OrderType.STOP_LOSS
    assert combo.orders[2].stop_price == Decimal("218.00")


def test_order_history() -> None:
    option, fractional = TypeAdapter(Page[OrderGroup]).validate_python(
        body("order_history")).data
    (o,) = option.orders
    assert o.instrument_type is InstrumentType.OPTION and o.status is OrderStatus.FILLED
    assert o.option_strategy is OptionStrategy.SINGLE
    assert o.position_intent is PositionIntent.BUY_TO_OPEN
    assert o.filled_time_at == datetime(2026, 9, 18, 17, 6, 39, tzinfo=UTC)
    assert o.filled_price == Decimal("28.75")
    (f,) = fractional.orders
    assert f.entrust_type is EntrustType.AMOUNT and f.filled_quantity == Decimal("0.43206")
    assert f.filled_time_at == datetime(2026, 9, 17, 14, 2, 11, 431000, tzinfo=UTC)
    assert f.limit_price is None


def test_order_detail_with_fees() -> None:
    group = decode_order_group(body("order_detail_stock"))
    (order,) = group.orders
    assert order.status is OrderStatus.PARTIAL_FILLED
    assert order.filled_price == Decimal("179.98") and order.filled_quantity == Decimal(4)
    assert order.filled_time == datetime(2026, 9, 21, 14, 36, 45, 120000, tzinfo=UTC)
    assert order.commission is not None
    assert order.commission.actual_commission == Decimal("0.00")
    (fee,) = order.fees
    assert fee.type == "FINRA_CAT_REGULATORY_FEE" and fee.actual_value == Decimal("0.01")


def test_order_detail_with_legs() -> None:
    (order,) = decode_order_group(body("order_detail_option_vertical")).orders
    assert order.option_strategy is OptionStrategy.VERTICAL and order.commission is None
    buy, sell = order.legs
    assert buy.id == "G2JAJPOR4KUA0F5I9LONH8J83A" and buy.side is Side.BUY
    assert sell.side is Side.SELL and sell.strike_price == Decimal("410")
    assert buy.option_category is OptionCategory.AMERICAN
    assert buy.option_expire_date == date(2026, 10, 16)


def test_order_keeps_unknown_status_and_reads_algo_fields() -> None:
    raw = body("order_detail_stock")
    raw["orders"][0].update(status="EXPIRED", order_type="TOUCH_LMT", algo_type="TWAP",
                            algo_start_time="10:00:00", max_target_percent="10",
                            combo_type_extra="ignored")
    raw["combo_type"] = "STOP_LOSS_PROFIT"
    group = decode_order_group(raw)
    order = group.orders[0]
    assert order.status is OrderStatus("EXPIRED") and not order.status.known
    assert order.order_type == "TOUCH_LMT" and group.combo_type == "STOP_LOSS_PROFIT"
    assert order.algo_start_time == time(10) and order.max_target_percent == Decimal(10)


def test_order_errors_are_located() -> None:
    raw = body("order_detail_option_vertical")
    raw["orders"][0]["legs"][1]["quantity"] = "1.2.3"
    raw["orders"][0]["place_time_at"] = "2026-09-21 14:35"
    with pytest.raises(ValidationError) as info:
        decode_order_group(raw)
    assert {e["loc"] for e in info.value.errors()} == {
        ("orders", 0, "place_time_at"), ("orders", 0, "legs", 1, "quantity")}


def test_write_results() -> None:
    single = WriteResult.model_validate(body("place_stock_limit"))
    assert single.order_id == "80HG7CPSFDPCAL3TP66LKBAS69" and single.combo_order_id is None
    combo = WriteResult.model_validate(body("place_stock_tpsl_combo"))
    assert combo.client_combo_order_id == "5D2E8F1A3B6C9D0E2F4A7B1C3D5E7F90"
    assert combo.order_id is None and combo.client_order_id is None
    assert WriteResult.model_validate(body("cancel")).client_order_id == (
        "0KGOHL4PR2SLC0DKIND4TI0002")


def test_preview_result() -> None:
    stock = PreviewResult.model_validate(body("preview_stock"))
    assert stock.estimated_cost == Decimal("1800.00")
    assert stock.estimated_transaction_fee == Decimal("0.01")
    assert PreviewResult.model_validate(body("preview_futures")).estimated_cost == Decimal(25300)


def test_batch_place_result() -> None:
    result = BatchPlaceResult.model_validate(body("batch_place"))
    assert (result.total, result.success, result.failed) == (2, 1, 1)
    ok, failed = result.batch_orders
    assert ok.ok and ok.order_id == "89YZ0LYBOMYLJ2CY55UVKKJB78" and ok.error_code is None
    assert not failed.ok and failed.order_id is None
    assert failed.error_code == "OPENAPI_NO_TRADING_TIME" and failed.message == "Non-trading time."
    assert failed.client_order_id == "5e6f708192a3b4c5d6e7f8091a2b3c4d"


def test_balance_model_is_the_one_the_decoder_uses() -> None:
    assert isinstance(decode_balance(body("balance")), Balance)


@pytest.mark.parametrize("bad", [True, -1, "-1", "1.0", 1.5, None])
def test_batch_counts_are_whole_numbers(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        BatchPlaceResult.model_validate({**body("batch_place"), "failed": bad})
    assert loc_of(info) == ("failed",)
    assert BatchPlaceResult.model_validate({**body("batch_place"), "total": "2"}).total == 2


def test_decoded_models_dump_back_to_wire_values() -> None:
    raw = body("order_detail_stock")
    raw["orders"][0]["status"] = "EXPIRED"
    dumped = decode_order_group(raw).model_dump(mode="json")
    assert dumped["orders"][0]["status"] == "EXPIRED"
    assert dumped["orders"][0]["limit_price"] == "180.00"
    assert dumped["combo_order_id"] is None


def test_every_decoded_example_dumps_without_warnings() -> None:
    decoded: list[Any] = [
        decode_balance(body("balance")), decode_balance(body("balance_events_cash")),
        *decode_positions(body("positions")), *decode_accounts(body("account_list")),
        *decode_futures_contracts(body("instruments_futures")),
        decode_order_group(body("order_detail_option_vertical")),
        TypeAdapter(Page[OrderGroup]).validate_python(body("order_history")),
        TypeAdapter(Page[EventMarket]).validate_python(body("instruments_event_markets")),
        TypeAdapter(Page[OptionContract]).validate_python(body("option_contracts")),
    ]
    for model in decoded:  # warnings are errors in this suite
        model.model_dump()
        model.model_dump_json()
    dumped = decoded[0].model_dump(mode="json")
    assert dumped["day_trades_left"] == {"count": None}
    assert decoded[-4].model_dump(mode="json")["orders"][0]["place_time_at"] == (
        "2026-09-21T14:35:12Z")
