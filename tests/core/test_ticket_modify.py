"""Replacing working orders (API.md §6.9), tickets that close a position, and Pennant's own
estimate for crypto (issue 5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.core.order_request import OrderRequest
from app.core.ticket import (
    InstrumentInfo,
    ModifyDraft,
    ModifyField,
    TicketIds,
    build,
    build_modify,
    draft_to_close,
    estimate_locally,
    modify_rules,
)
from app.core.ticket_input import NumberFormat
from app.webull.models import (
    EventOutcome,
    InstrumentType,
    NewOrder,
    OptionStrategy,
    OrderItem,
    OrderType,
    Position,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
)
from tests.core.test_ticket import AAPL as AAPL_INFO
from tests.core.test_ticket import BTC, CRYPTO, CUTS, ES, EVENTS, FUTURES, MARGIN, ok

F = ModifyField
MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)
DAY, GTC = TimeInForce.DAY, TimeInForce.GTC


def item(**fields: Any) -> OrderItem:
    body: dict[str, Any] = {
        "client_order_id": "c0ffee", "order_id": "1", "symbol": "AAPL", "side": "BUY",
        "status": "SUBMITTED", "order_type": "LIMIT", "time_in_force": "DAY",
        "entrust_type": "QTY", "total_quantity": "10", "filled_quantity": "0",
        "place_time_at": "2026-01-02T15:00:00.000Z", "instrument_type": "EQUITY",
        "support_trading_session": "CORE", "limit_price": "187.50"}
    body.update(fields)
    return OrderItem.model_validate({k: v for k, v in body.items() if v is not None})


def option_item(**fields: Any) -> OrderItem:
    legs = [{"id": "LEG1", "symbol": "AAPL", "side": "BUY", "quantity": "2",
             "option_type": "CALL", "strike_price": "190.0", "option_expire_date": "2026-12-18"},
            {"id": "LEG2", "symbol": "AAPL", "side": "SELL", "quantity": "2",
             "option_type": "CALL", "strike_price": "195.0", "option_expire_date": "2026-12-18"}]
    return item(instrument_type="OPTION", option_strategy="VERTICAL", total_quantity="2",
                limit_price="1.25", support_trading_session=None, legs=legs, **fields)


# ---------------------------------------------------------------------------- the rules

@pytest.mark.parametrize(("fields", "allowed", "types", "tifs"), [
    ({"order_type": "MARKET", "limit_price": None}, {F.QUANTITY}, (MKT,), (DAY,)),
    ({}, {F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE}, (LMT, MKT), (DAY, GTC)),
    ({"order_type": "STOP_LOSS", "stop_price": "180", "time_in_force": "GTC"},
     {F.ORDER_TYPE, F.TIF, F.QUANTITY, F.STOP_PRICE}, (STP, MKT), (GTC, DAY)),
    ({"order_type": "STOP_LOSS_LIMIT", "stop_price": "180"},
     {F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE, F.STOP_PRICE}, (STPLMT, LMT), (DAY, GTC)),
    ({"order_type": "TRAILING_STOP_LOSS", "limit_price": None, "trailing_type": "AMOUNT",
      "trailing_stop_step": "2"}, {F.TRAILING_STEP, F.QUANTITY}, (TRAIL,), (DAY,)),
    ({"order_type": "TRAILING_STOP_LOSS", "limit_price": None, "trailing_type": "AMOUNT",
      "trailing_stop_step": "2", "instrument_type": "FUTURES", "symbol": "ESZ6"},
     {F.TRAILING_STEP}, (TRAIL,), (DAY,)),
    ({"instrument_type": "FUTURES", "order_type": "MARKET", "limit_price": None},
     {F.QUANTITY}, (MKT,), (DAY,)),
    ({"instrument_type": "OPTION", "side": "SELL"},
     {F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE}, (LMT, MKT), (DAY,)),
    ({"instrument_type": "EVENT", "event_outcome": "yes"}, {F.QUANTITY, F.LIMIT_PRICE},
     (LMT,), (DAY,)),
    ({"status": "PARTIAL_FILLED", "filled_quantity": "4"},
     {F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE}, (LMT, MKT), (DAY, GTC)),
])
def test_what_a_replace_may_change(fields: dict[str, Any], allowed: set[ModifyField],
                                   types: tuple[OrderType, ...],
                                   tifs: tuple[TimeInForce, ...]) -> None:
    rules = modify_rules(item(**fields))
    assert (rules.fields, rules.order_types, rules.tifs, rules.why_not) == (
        frozenset(allowed), types, tifs, "")


@pytest.mark.parametrize(("fields", "words"), [
    ({"status": "FILLED"}, "The order is filled; only working orders can be changed"),
    ({"status": "CANCELLED"}, "The order is cancelled"),
    ({"status": "FAILED"}, "The order is failed"),
    ({"status": "EXPIRED"}, "The order is expired"),
    ({"instrument_type": "CRYPTO", "symbol": "BTCUSD"}, "Webull does not allow changing crypto"),
    ({"entrust_type": "AMOUNT", "order_type": "MARKET", "limit_price": None,
      "total_cash_amount": "100", "total_quantity": "0"}, "A dollar-amount market order"),
    ({"order_type": "MARKET_ON_CLOSE", "limit_price": None}, "Market on close orders cannot"),
])
def test_what_cannot_be_replaced(fields: dict[str, Any], words: str) -> None:
    rules = modify_rules(item(**fields))
    assert rules.fields == frozenset() and words in rules.why_not
    result = build_modify(item(**fields), ModifyDraft(quantity="5"), None, "A1", "p1")
    assert result.modification is None and words in result.errors["order"]


# ---------------------------------------------------------------------------- building one

def test_only_what_changed_is_sent() -> None:
    result = build_modify(item(), ModifyDraft(quantity="10", limit_price="186.00",
                                              tif=TimeInForce.DAY), None, "A1", "preview1")
    assert result.errors == {} and result.modification is not None
    assert result.modification.to_wire() == {"client_order_id": "c0ffee",
                                             "limit_price": "186.00"}
    assert result.words == ("Limit 187.50 → 186.00",)
    preview = result.preview_request
    assert preview is not None and preview.account_id == "A1"
    assert preview.orders[0].to_wire() == {
        "client_order_id": "preview1", "combo_type": "NORMAL", "symbol": "AAPL",
        "instrument_type": "EQUITY", "market": "US", "side": "BUY", "order_type": "LIMIT",
        "time_in_force": "DAY", "entrust_type": "QTY", "support_trading_session": "CORE",
        "quantity": "10", "limit_price": "186.00"}


def test_several_changes_in_words_and_in_the_users_format() -> None:
    result = build_modify(item(), ModifyDraft(quantity="12", limit_price="186,5", tif=GTC),
                          None, "A1", "p1", fmt=NumberFormat(",", "."))
    assert result.modification is not None
    assert (result.modification.quantity, result.modification.limit_price,
            result.modification.time_in_force) == (Decimal(12), Decimal("186.5"), GTC)
    assert result.words == ("Time in force Day → Good till cancelled", "Quantity 10 → 12",
                            "Limit 187,50 → 186,5")


def test_nothing_changed() -> None:
    same = ModifyDraft(quantity="10", limit_price="187.5", tif=DAY, order_type=LMT)
    assert build_modify(item(), same, None, "A1", "p1").errors == {"order": "Nothing changed"}
    assert build_modify(item(), ModifyDraft(), None, "A1", "p1").errors == {
        "order": "Nothing changed"}


def test_to_market_drops_the_price() -> None:
    result = build_modify(item(), ModifyDraft(order_type=MKT, limit_price="150"), None, "A1",
                          "p1")
    assert result.modification is not None
    assert result.modification.to_wire() == {"client_order_id": "c0ffee",
                                             "order_type": "MARKET"}
    assert result.words == ("Type Limit → Market",)
    preview = result.preview_request
    assert preview is not None and preview.orders[0].limit_price is None


def test_stop_limit_becomes_limit() -> None:
    order = item(order_type="STOP_LOSS_LIMIT", stop_price="180")
    result = build_modify(order, ModifyDraft(order_type=LMT, stop_price="170"), None, "A1", "p")
    assert result.modification is not None and result.modification.stop_price is None
    assert result.preview_request is not None
    assert result.preview_request.orders[0].limit_price == Decimal("187.50")


@pytest.mark.parametrize(("order", "draft", "found"), [
    ({}, ModifyDraft(order_type=STP), {"order_type": "A limit order can only become a market "
                                                     "order"}),
    ({"order_type": "MARKET", "limit_price": None}, ModifyDraft(order_type=LMT),
     {"order_type": "The type of this order cannot be changed"}),
    ({"order_type": "MARKET", "limit_price": None}, ModifyDraft(tif=GTC),
     {"tif": "This order's time in force can only be Day"}),
    ({"instrument_type": "OPTION", "side": "SELL"}, ModifyDraft(tif=GTC),
     {"tif": "This order's time in force can only be Day"}),
    ({"status": "PARTIAL_FILLED", "filled_quantity": "4"}, ModifyDraft(quantity="4"),
     {"quantity": "4 already filled: the new quantity must be more than that"}),
    ({}, ModifyDraft(quantity="2.5"), {"quantity": "must be a whole number"}),
    ({}, ModifyDraft(limit_price="186.001"),
     {"limit_price": "prices move in steps of 0.01 (e.g. 186 or 186.01)"}),
    ({}, ModifyDraft(limit_price="abc", quantity="-1"),
     {"limit_price": "“abc” is not a number (for example 1,234.50)",
      "quantity": "must not be negative"}),
    ({"order_type": "TRAILING_STOP_LOSS", "limit_price": None, "trailing_type": "AMOUNT",
      "trailing_stop_step": "2", "instrument_type": "FUTURES", "symbol": "ESZ6"},
     ModifyDraft(quantity="3"), {"quantity": "The quantity of this order cannot be changed"}),
    ({"instrument_type": "EVENT", "event_outcome": "yes", "limit_price": "0.35"},
     ModifyDraft(limit_price="1.00"), {"limit_price": "Prices are 0.01 to 0.99 in steps of "
                                                      "0.01"}),
])
def test_refused_changes(order: dict[str, Any], draft: ModifyDraft,
                         found: dict[str, str]) -> None:
    result = build_modify(item(**order), draft, None, "A1", "p1")
    assert result.errors == found and result.modification is None


def test_fractional_quantity_needs_a_fractionable_market_order() -> None:
    fractional = InstrumentInfo(InstrumentType.EQUITY, "AAPL", fractionable=True)
    market = item(order_type="MARKET", limit_price=None)
    result = build_modify(market, ModifyDraft(quantity="10.5"), fractional, "A1", "p1")
    assert result.modification is not None and result.modification.quantity == Decimal("10.5")
    assert build_modify(item(), ModifyDraft(quantity="10.5"), fractional, "A1", "p1").errors \
        == {"quantity": "Fractional shares trade with market orders only"}


def test_futures_prices_on_the_contracts_tick() -> None:
    order = item(instrument_type="FUTURES", symbol="ESZ6", limit_price="6600.25",
                 support_trading_session=None)
    assert build_modify(order, ModifyDraft(limit_price="6600.10"), ES, "A1", "p1").errors == {
        "limit_price": "prices move in steps of 0.25 (e.g. 6600 or 6600.25)"}
    result = build_modify(order, ModifyDraft(limit_price="6599.75"), ES, "A1", "p1")
    assert result.preview_request is not None
    assert result.preview_request.orders[0].support_trading_session is None


def test_trailing_steps_in_dollars_and_percent() -> None:
    percent = item(order_type="TRAILING_STOP_LOSS", limit_price=None, side="SELL",
                   trailing_type="PERCENTAGE", trailing_stop_step="0.05")
    result = build_modify(percent, ModifyDraft(trailing_step="4"), None, "A1", "p1")
    assert result.modification is not None
    assert result.modification.trailing_stop_step == Decimal("0.04")
    assert result.words == ("Trailing stop 5% → 4%",)
    assert build_modify(percent, ModifyDraft(trailing_step="5"), None, "A1", "p1").errors == {
        "order": "Nothing changed"}
    preview = result.preview_request
    assert preview is not None and preview.orders[0].trailing_stop_step == Decimal("0.04")


def test_option_orders_list_every_leg_by_id() -> None:
    result = build_modify(option_item(), ModifyDraft(quantity="3"), None, "A1", "p1")
    assert result.modification is not None
    assert result.modification.to_wire() == {
        "client_order_id": "c0ffee", "quantity": "3",
        "legs": [{"id": "LEG1", "quantity": "3"}, {"id": "LEG2", "quantity": "3"}]}
    preview = result.preview_request
    assert preview is not None
    order = preview.orders[0]
    assert (order.option_strategy, order.quantity, order.support_trading_session) == (
        OptionStrategy.VERTICAL, Decimal(3), None)
    assert [(leg.side, leg.strike_price, leg.quantity) for leg in order.legs or ()] == [
        (Side.BUY, Decimal("190.0"), Decimal(3)), (Side.SELL, Decimal("195.0"), Decimal(3))]
    price_only = build_modify(option_item(), ModifyDraft(limit_price="1.10"), None, "A1", "p1")
    assert price_only.modification is not None
    assert [leg.quantity for leg in price_only.modification.legs or ()] == [2, 2]


def test_a_modification_never_raises_on_odd_order_details() -> None:
    odd = item(client_order_id="not a valid id with spaces")
    result = build_modify(odd, ModifyDraft(limit_price="180"), None, "A1", "p1")
    assert result.modification is None and "order" in result.errors


# ---------------------------------------------------------------------------- closing

def held(kind: str, symbol: str, qty: str, last: str, **extra: Any) -> Position:
    return Position.model_validate({"position_id": "P1", "currency": "USD", "quantity": qty,
                                    "symbol": symbol, "instrument_type": kind,
                                    "last_price": last, "cost_price": "1",
                                    "unrealized_profit_loss": "0", **extra})


def test_closing_a_stock_position() -> None:
    draft = draft_to_close(MARGIN, held("EQUITY", "AAPL", "100", "187.456"))
    assert (draft.side, draft.quantity, draft.order_type, draft.limit_price, draft.tif,
            draft.session, draft.closing, draft.account_id) == (
        Side.SELL, "100", LMT, "187.46", DAY, TradingSession.CORE, True, "A1")
    short = draft_to_close(MARGIN, held("EQUITY", "TSLA", "-5", "0.51237"))
    assert (short.side, short.quantity, short.limit_price) == (Side.BUY, "5", "0.5124")
    fractional = draft_to_close(MARGIN, held("EQUITY", "AMZN", "12.5", "219.80"))
    assert fractional.order_type is MKT and fractional.quantity == "12.5"


def test_closing_futures_crypto_and_events() -> None:
    es = draft_to_close(FUTURES, held("FUTURES", "ESZ6", "1", "6650.37"), ES)
    assert (es.side, es.limit_price, es.session) == (Side.SELL, "6650.25", None)
    assert ok(build(es, ES, FUTURES, TicketIds.fresh()))
    btc = draft_to_close(CRYPTO, held("CRYPTO", "BTCUSD", "0.25", "115000.004"))
    assert (btc.side, btc.quantity, btc.limit_price) == (Side.SELL, "0.25", "115000")
    yes = draft_to_close(EVENTS, held("EVENT", CUTS.symbol, "40", "0.304",
                                      event_outcome="yes"))
    assert (yes.side, yes.event_outcome, yes.limit_price, yes.quantity) == (
        Side.SELL, EventOutcome.YES, "0.30", "40")
    assert ok(build(yes, CUTS, EVENTS, TicketIds.fresh()))


def test_closing_option_positions() -> None:
    single = held("OPTION", "SPY", "1", "4.237", option_strategy="SINGLE", legs=[
        {"leg_id": "L1", "symbol": "SPY", "quantity": "1", "option_type": "PUT",
         "option_exercise_price": "640", "option_expire_date": "2026-12-18"}])
    draft = draft_to_close(MARGIN, single)
    assert (draft.side, draft.position_intent, draft.limit_price, draft.strategy) == (
        Side.SELL, PositionIntent.SELL_TO_CLOSE, "4.24", OptionStrategy.SINGLE)
    info = InstrumentInfo(InstrumentType.OPTION, "SPY")
    built = ok(build(draft, info, MARGIN, TicketIds.fresh(), position=single))
    order = built.request.orders[0]  # type: ignore[union-attr]
    assert order.legs is not None and order.legs[0].side is Side.SELL
    assert built.facts is not None and built.facts.closing and built.facts.position_quantity == 1
    vertical = held("OPTION", "TSLA", "2", "3.105", option_strategy="VERTICAL", legs=[
        {"leg_id": "L1", "symbol": "TSLA", "quantity": "2", "option_type": "CALL",
         "option_exercise_price": "410", "option_expire_date": "2026-12-18"},
        {"leg_id": "L2", "symbol": "TSLA", "quantity": "-2", "option_type": "CALL",
         "option_exercise_price": "420", "option_expire_date": "2026-12-18"}])
    close = draft_to_close(MARGIN, vertical)
    assert (close.side, close.quantity, close.position_intent) == (Side.SELL, "2", None)
    assert [(leg.side, leg.strike, leg.ratio) for leg in close.legs] == [
        (Side.SELL, Decimal(410), 1), (Side.BUY, Decimal(420), 1)]
    closing = ok(build(close, InstrumentInfo(InstrumentType.OPTION, "TSLA"), MARGIN,
                       TicketIds.fresh(), position=vertical))
    assert closing.facts is not None and closing.facts.position_quantity == 2
    credit = held("OPTION", "TSLA", "1", "-1.50", option_strategy="VERTICAL",
                  legs=vertical.model_dump()["legs"])
    assert draft_to_close(MARGIN, credit).side is Side.BUY


# ---------------------------------------------------------------------------- estimates

def crypto_request(**fields: Any) -> OrderRequest:
    body: dict[str, Any] = {"client_order_id": "k1", "symbol": "BTCUSD",
                            "instrument_type": "CRYPTO", "side": "BUY", "order_type": "LIMIT",
                            "time_in_force": "DAY", "quantity": "0.001",
                            "limit_price": "110000.00"}
    body.update(fields)
    return OrderRequest("A1", (NewOrder.model_validate({k: v for k, v in body.items()
                                                        if v is not None}),))


def test_a_local_estimate_says_what_it_assumes() -> None:
    limit = estimate_locally(crypto_request(), BTC)
    assert limit is not None and (limit.cost, limit.fee) == (Decimal("110.00"), Decimal("1.10"))
    assert limit.basis.startswith("Pennant's estimate, not a Webull quote: 0.001 BTCUSD at "
                                  "110000.00, the limit price.")
    stop_limit = estimate_locally(crypto_request(order_type="STOP_LOSS_LIMIT",
                                                 stop_price="111000"), BTC)
    assert stop_limit is not None and "the stop-limit's limit price" in stop_limit.basis
    market = estimate_locally(crypto_request(order_type="MARKET", limit_price=None,
                                             time_in_force="IOC"), BTC)
    assert market is not None and market.cost == Decimal("115.00")
    assert "the last price Pennant knows" in market.basis
    amount = estimate_locally(crypto_request(order_type="MARKET", limit_price=None,
                                             time_in_force="IOC", quantity=None,
                                             entrust_type="AMOUNT", total_cash_amount="2.50"),
                              BTC)
    assert amount is not None and (amount.cost, amount.fee) == (Decimal("2.50"), Decimal("0.03"))
    tiny = estimate_locally(crypto_request(quantity="0.00001", limit_price="100"), BTC)
    assert tiny is not None and tiny.fee == Decimal("0.01")  # the minimum fee


def test_no_estimate_without_a_price_or_for_what_webull_previews() -> None:
    unknown = InstrumentInfo(InstrumentType.CRYPTO, "BTCUSD")
    market = crypto_request(order_type="MARKET", limit_price=None, time_in_force="IOC")
    assert estimate_locally(market, unknown) is None
    stock = OrderRequest("A1", (NewOrder(client_order_id="s1", symbol="AAPL",
                                         instrument_type="EQUITY", side="BUY",
                                         order_type="MARKET", time_in_force="DAY",
                                         quantity=Decimal(1)),))
    assert estimate_locally(stock, unknown) is None


# ---------------------------------------------------------------------------- precautions

def test_a_change_carries_the_order_as_it_would_stand_for_the_precautions() -> None:
    from app.core.precautions import Limits, check

    result = build_modify(item(), ModifyDraft(quantity="20", limit_price="150"), AAPL_INFO,
                          "A1", "p1")
    facts = result.facts
    assert facts is not None
    assert (facts.side, facts.order_type, facts.quantity, facts.limit_price, facts.stop_price,
            facts.last_price, facts.multiplier, facts.closing, facts.futures) == (
        Side.BUY, LMT, Decimal(20), Decimal(150), None, Decimal("187.40"), Decimal(1), False,
        False)
    # 150 is ~20% under the last price: the deviation precaution speaks up
    assert [f.check for f in check(facts, Limits())] == ["price_deviation"]
    to_market = build_modify(item(), ModifyDraft(order_type=MKT), AAPL_INFO, "A1", "p1").facts
    assert to_market is not None and to_market.limit_price is None
    assert build_modify(item(), ModifyDraft(), AAPL_INFO, "A1", "p1").facts is None


def test_futures_changes_are_valued_at_the_contracts_notional() -> None:
    from app.core.precautions import Limits, check

    order = item(instrument_type="FUTURES", symbol="ESZ6", limit_price="6600.25",
                 support_trading_session=None, total_quantity="1")
    facts = build_modify(order, ModifyDraft(quantity="10"), ES, "A1", "p1").facts
    assert facts is not None and facts.futures and facts.multiplier == Decimal(50)
    assert facts.tick == Decimal("0.25")
    # 10 × 6600.25 × 50 = 3,300,125: above the futures limit of 2,000,000
    assert [f.check for f in check(facts, Limits())] == ["max_order_value"]


def test_a_change_to_a_closing_order_knows_the_position() -> None:
    from app.core.precautions import Limits, check

    sell = item(side="SELL", total_quantity="100", limit_price="187.50")
    long = held("EQUITY", "AAPL", "20000", "187.40")
    facts = build_modify(sell, ModifyDraft(quantity="15000"), AAPL_INFO, "A1", "p1",
                         position=long).facts
    assert facts is not None and facts.closing and facts.position_quantity == Decimal(20000)
    assert check(facts, Limits()) == []  # closing is never kept back by the size limits
    bigger = build_modify(sell, ModifyDraft(quantity="25000"), AAPL_INFO, "A1", "p1",
                          position=long).facts
    assert bigger is not None
    assert "oversized_close" in [f.check for f in check(bigger, Limits())]
    # a buy while long adds to the position: not closing
    adds = build_modify(item(), ModifyDraft(quantity="11"), AAPL_INFO, "A1", "p1",
                        position=long).facts
    assert adds is not None and not adds.closing and adds.position_quantity is None
    option = build_modify(option_item(position_intent="SELL_TO_CLOSE"),
                          ModifyDraft(quantity="3"), None, "A1", "p1").facts
    assert option is not None and option.closing and option.multiplier == Decimal(100)
    assert option.last_price is None  # the catalogue's price is the underlying's
