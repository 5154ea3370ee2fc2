"""The order ticket's model (issue 5): typed text → an order request, or a message next to each
field that cannot be used — stocks, brackets, futures, crypto and event contracts."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from app.core.ticket import (
    Bracket,
    BuildResult,
    InstrumentInfo,
    TicketDraft,
    TicketIds,
    build,
)
from app.core.ticket_input import NumberFormat
from app.webull.models import (
    Account,
    ComboType,
    EntrustType,
    EventOutcome,
    InstrumentType,
    OrderType,
    Position,
    PriceRange,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

EQ, FUT, CRY, EVT = (InstrumentType.EQUITY, InstrumentType.FUTURES, InstrumentType.CRYPTO,
                     InstrumentType.EVENT)
B, S, SH = Side.BUY, Side.SELL, Side.SHORT
MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)
IDS = TicketIds(tuple(f"order{i}" for i in range(8)), "combo0")


def account(cls: str = "INDIVIDUAL_MARGIN", kind: str = "MARGIN",
            label: str | None = "Individual Margin") -> Account:
    return Account.model_validate({"account_id": "A1", "account_number": "5MV12345",
                                   "account_type": kind, "account_class": cls,
                                   "account_label": label})


MARGIN, CASH = account(), account("INDIVIDUAL_CASH", "CASH", "Individual Cash")
FUTURES, CRYPTO = account("FUTURES", label="Futures"), account("CRYPTO", "CASH", "Crypto")
EVENTS = account("EVENTS_CASH", "CASH", "Events Cash")
AAPL = InstrumentInfo(EQ, "AAPL", "APPLE INC", lot_size=Decimal(1), fractionable=True,
                      shortable=True, last_price=Decimal("187.40"))
ZVZZT = InstrumentInfo(EQ, "ZVZZT", last_price=Decimal("10.00"))
ES = InstrumentInfo(FUT, "ESZ6", tick=Decimal("0.25"), multiplier=Decimal(50),
                    last_price=Decimal("6650.25"))
BTC = InstrumentInfo(CRY, "BTCUSD", tick=Decimal("0.01"), fractionable=True,
                     min_quantity=Decimal("0.00000001"), max_quantity=Decimal(10) ** 10,
                     min_amount=Decimal(2), max_amount=Decimal(100_000),
                     last_price=Decimal("115000.00"))
RANGES = (PriceRange.model_validate({"start": "0.01", "end": "0.99", "step": "0.01"}),)
CUTS = InstrumentInfo(EVT, "KXRATECUTCOUNT-26DEC31-T3", price_ranges=RANGES,
                      last_price=Decimal("0.30"))


def stock(**fields: object) -> TicketDraft:
    values: dict[str, object] = {"symbol": "AAPL", "quantity": "10", "limit_price": "187.50"}
    values.update(fields)
    return TicketDraft("A1", EQ, **values)  # type: ignore[arg-type]


def ok(result: BuildResult) -> BuildResult:
    assert result.errors == {} and result.request is not None, result.errors
    return result


def errors(result: BuildResult) -> dict[str, str]:
    assert result.request is None and result.errors and result.facts is None
    return result.errors


def position(kind: str, symbol: str, qty: str, **extra: object) -> Position:
    return Position.model_validate({"position_id": "P1", "currency": "USD", "quantity": qty,
                                    "symbol": symbol, "instrument_type": kind,
                                    "last_price": "1", "cost_price": "1",
                                    "unrealized_profit_loss": "0", **extra})


# ---------------------------------------------------------------------------- stocks

def test_a_limit_buy_is_exactly_what_was_typed_and_says_so() -> None:
    result = ok(build(stock(), AAPL, MARGIN, IDS))
    assert result.request is not None
    assert result.request.body() == {"new_orders": [{
        "client_order_id": "order0", "combo_type": "NORMAL", "symbol": "AAPL",
        "instrument_type": "EQUITY", "market": "US", "side": "BUY", "order_type": "LIMIT",
        "time_in_force": "DAY", "entrust_type": "QTY", "support_trading_session": "CORE",
        "quantity": "10", "limit_price": "187.50"}]}
    assert result.request.combo_id is None and result.request.account_id == "A1"
    assert result.words == (
        "Buy 10 AAPL · Limit 187.50 · Day · Core session · account Individual Margin (…2345)",)
    facts = result.facts
    assert facts is not None and (facts.side, facts.order_type, facts.quantity) == (B, LMT, 10)
    assert (facts.limit_price, facts.last_price, facts.tick) == (
        Decimal("187.50"), Decimal("187.40"), Decimal("0.01"))
    assert facts.position_quantity is None and not facts.closing


def test_the_users_number_format_is_read() -> None:
    german = NumberFormat(",", ".")
    result = ok(build(stock(quantity="1.000", limit_price="187,50"), AAPL, MARGIN, IDS,
                      fmt=german))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert (order.quantity, order.limit_price) == (Decimal(1000), Decimal("187.50"))
    assert "Limit 187,50" in result.words[0]


def test_fields_the_order_type_does_not_use_are_ignored() -> None:
    result = ok(build(stock(stop_price="nonsense", amount="x", trailing_step="?"), AAPL,
                      MARGIN, IDS))
    assert result.request.orders[0].stop_price is None  # type: ignore[union-attr]
    market = ok(build(stock(order_type=MKT, limit_price="garbage"), AAPL, MARGIN, IDS))
    assert market.request.orders[0].limit_price is None  # type: ignore[union-attr]


def test_every_bad_field_gets_its_own_message() -> None:
    found = errors(build(stock(symbol="", quantity="-3", limit_price="1.2.3", order_type=STPLMT,
                               stop_price=""), AAPL, MARGIN, IDS))
    assert found == {"symbol": "enter a symbol", "quantity": "must not be negative",
                     "limit_price": "“1.2.3” is not a number (for example 1,234.50)",
                     "stop_price": "enter a number"}


@pytest.mark.parametrize(("price", "tick", "message"), [
    ("187.505", None, "prices move in steps of 0.01 (e.g. 187.50 or 187.51)"),
    ("0.51234", None, "prices move in steps of 0.0001 (e.g. 0.5123 or 0.5124)"),
    ("10.03", Decimal("0.05"), "prices move in steps of 0.05 (e.g. 10 or 10.05)"),
])
def test_prices_sit_on_the_tick(price: str, tick: Decimal | None, message: str) -> None:
    info = replace(AAPL, tick=tick)
    assert errors(build(stock(limit_price=price), info, MARGIN, IDS)) == {"limit_price": message}
    on_tick = str(Decimal(price).quantize(tick or Decimal("0.0001")) if price.startswith("0")
                  else Decimal(price[:-1]))
    assert ok(build(stock(limit_price=on_tick), info, MARGIN, IDS))


def test_below_a_dollar_prices_have_four_decimals() -> None:
    penny = replace(AAPL, last_price=Decimal("2.00"))
    assert ok(build(stock(limit_price="0.5123"), penny, MARGIN, IDS))


@pytest.mark.parametrize(("info", "fields", "message"), [
    (ZVZZT, {"quantity": "0.5"}, "ZVZZT trades in whole shares only"),
    (AAPL, {"quantity": "0.5"}, "Fractional shares trade with market orders only"),
    (AAPL, {"quantity": "0.123456", "order_type": MKT}, "at most 5 decimal places"),
    (AAPL, {"quantity": "0.5", "order_type": MKT, "side": SH}, "Short sales are for whole shares"),
    (replace(ZVZZT, lot_size=Decimal(100)), {"quantity": "150"},
     "must be a multiple of the lot size 100"),
    (replace(ZVZZT, last_price=Decimal("0.45")), {"quantity": "50", "limit_price": "0.45"},
     "Stocks priced $0.10 to $0.999 trade 100 shares or more per order"),
    (AAPL, {"quantity": "0"}, "must be more than zero"),
    (AAPL, {"quantity": "1" * 40}, "must be at most 1000000000"),
])
def test_share_quantities(info: InstrumentInfo, fields: dict[str, object], message: str) -> None:
    assert errors(build(stock(symbol=info.symbol, **fields), info, MARGIN, IDS)) == {
        "quantity": message}


def test_the_instruments_minimum_quantity_and_amount() -> None:
    stricter = replace(AAPL, min_quantity=Decimal("0.001"), min_amount=Decimal(5))
    assert errors(build(stock(quantity="0.0005", order_type=MKT), stricter, MARGIN, IDS)) == {
        "quantity": "must be at least 0.001"}
    assert errors(build(stock(entrust=EntrustType.AMOUNT, order_type=MKT, amount="4.99"),
                        stricter, MARGIN, IDS)) == {"amount": "must be at least 5"}


def test_fractional_shares_at_market() -> None:
    order = ok(build(stock(quantity="0.12345", order_type=MKT), AAPL, MARGIN, IDS))
    assert order.request.orders[0].quantity == Decimal("0.12345")  # type: ignore[union-attr]


def test_a_dollar_amount_is_a_fractional_market_buy() -> None:
    result = ok(build(stock(order_type=MKT, entrust=EntrustType.AMOUNT, amount="1,250.50",
                            quantity="junk"), AAPL, MARGIN, IDS))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert (order.entrust_type, order.total_cash_amount, order.quantity) == (
        EntrustType.AMOUNT, Decimal("1250.50"), None)
    assert result.words[0].startswith("Buy $1,250.50 of AAPL · Market")
    assert result.facts is not None and result.facts.amount == Decimal("1250.50")


@pytest.mark.parametrize(("fields", "info", "key", "words"), [
    ({"order_type": LMT}, AAPL, "entrust", "market orders"),
    ({"side": S}, AAPL, "entrust", "sell by quantity"),
    ({}, ZVZZT, "entrust", "ZVZZT is not fractionable"),
    ({"amount": "0.99"}, AAPL, "amount", "at least 1"),
    ({"amount": "10.123"}, AAPL, "amount", "at most 2 decimal places"),
])
def test_dollar_amount_refusals(fields: dict[str, object], info: InstrumentInfo, key: str,
                                words: str) -> None:
    draft = stock(symbol=info.symbol, entrust=EntrustType.AMOUNT, order_type=MKT, amount="100")
    found = errors(build(replace(draft, **fields), info, MARGIN, IDS))  # type: ignore[arg-type]
    assert words in found[key]


def test_short_sales_need_a_margin_account_and_shares_to_borrow() -> None:
    assert ok(build(stock(side=SH), AAPL, MARGIN, IDS)).words[0].startswith("Sell short 10 AAPL")
    assert errors(build(stock(side=SH), AAPL, CASH, IDS)) == {
        "side": "Short is not available for stocks & etfs in a cash account"}
    assert errors(build(stock(side=SH, symbol="ZVZZT"), ZVZZT, MARGIN, IDS)) == {
        "side": "ZVZZT cannot be sold short (no shares to borrow)"}


def test_sessions_and_times_in_force() -> None:
    night = ok(build(stock(session=TradingSession.NIGHT, tif=TimeInForce.GTC), AAPL, MARGIN,
                     IDS))
    order = night.request.orders[0]  # type: ignore[union-attr]
    assert (order.support_trading_session, order.time_in_force) == (TradingSession.NIGHT,
                                                                     TimeInForce.GTC)
    assert "Overnight session" in night.words[0] and "Good till cancelled" in night.words[0]
    assert errors(build(stock(tif=TimeInForce.IOC), AAPL, MARGIN, IDS)) == {
        "tif": "Limit orders for stocks & etfs are DAY or GTC only"}


def test_the_overnight_session_only_for_stocks_that_trade_in_it() -> None:
    from dataclasses import replace

    night = stock(session=TradingSession.NIGHT)
    assert ok(build(night, replace(AAPL, overnight=True), MARGIN, IDS)).request
    assert ok(build(night, AAPL, MARGIN, IDS)).request  # Webull did not say: Webull decides
    refused = errors(build(night, replace(AAPL, overnight=False), MARGIN, IDS))
    assert refused == {"session": "AAPL does not trade in the overnight session: choose Core "
                                  "or All"}


def test_trailing_stops_by_amount_and_by_percent() -> None:
    dollars = ok(build(stock(side=S, order_type=TRAIL, trailing_step="2.50"), AAPL, MARGIN,
                       IDS))
    order = dollars.request.orders[0]  # type: ignore[union-attr]
    assert (order.trailing_type, order.trailing_stop_step, order.limit_price) == (
        TrailingType.AMOUNT, Decimal("2.50"), None)
    percent = ok(build(stock(side=S, order_type=TRAIL, trailing_type=TrailingType.PERCENTAGE,
                             trailing_step="2.5"), AAPL, MARGIN, IDS))
    order = percent.request.orders[0]  # type: ignore[union-attr]
    assert order.trailing_stop_step == Decimal("0.025") and "Trailing stop 2.5%" in \
        percent.words[0]
    assert errors(build(stock(order_type=TRAIL, trailing_type=TrailingType.PERCENTAGE,
                              trailing_step="101"), AAPL, MARGIN, IDS)) == {
        "trailing_step": "must be at most 100"}
    assert "trailing_step" in errors(build(stock(order_type=TRAIL, trailing_step="0.005"),
                                           AAPL, MARGIN, IDS))


def test_the_instrument_must_be_the_one_looked_up_and_tradable() -> None:
    assert errors(build(stock(), None, MARGIN, IDS)) == {
        "instrument": "Look up the instrument first"}
    assert errors(build(stock(symbol="MSFT"), AAPL, MARGIN, IDS)) == {
        "symbol": "The instrument looked up is AAPL; look up MSFT again"}
    halted = replace(AAPL, tradable=False, why_not_tradable="AAPL is halted")
    assert errors(build(stock(), halted, MARGIN, IDS)) == {"instrument": "AAPL is halted"}
    assert "listed under Futures" in errors(build(stock(), ES, MARGIN, IDS))["instrument"]
    assert errors(build(stock(side=B), replace(AAPL, closing_only=True), MARGIN, IDS)) == {
        "side": "AAPL can only be sold for now (closing only)"}
    assert ok(build(stock(side=S), replace(AAPL, closing_only=True), MARGIN, IDS))


def test_a_look_alike_letter_in_the_symbol_is_named() -> None:
    found = errors(build(stock(symbol="AАPL"), AAPL, MARGIN, IDS))  # Cyrillic А
    assert "CYRILLIC CAPITAL LETTER A" in found["symbol"]
    assert "U+200B" in errors(build(stock(symbol="AA\u200bPL"), AAPL, MARGIN, IDS))["symbol"]


def test_the_account_must_trade_the_class() -> None:
    assert errors(build(stock(), AAPL, CRYPTO, IDS)) == {
        "account": "Stocks & ETFs cannot be traded in the Crypto (…2345) account"}
    assert "account" in errors(build(replace(stock(), account_id="OTHER"), AAPL, MARGIN, IDS))


def test_selling_from_a_position_is_a_closing_order_for_the_precautions() -> None:
    held = position("EQUITY", "AAPL", "8")
    facts = ok(build(stock(side=S), AAPL, MARGIN, IDS, position=held)).facts
    assert facts is not None and facts.position_quantity == 8 and facts.closing
    buying = ok(build(stock(), AAPL, MARGIN, IDS, position=held)).facts
    assert buying is not None and buying.position_quantity is None and not buying.closing


# ---------------------------------------------------------------------------- brackets

def test_take_profit_and_stop_loss_bracket() -> None:
    result = ok(build(stock(bracket=Bracket.TP_SL, take_profit_price="200",
                            stop_loss_price="180.00"), AAPL, MARGIN, IDS))
    request = result.request
    assert request is not None and request.combo_id == "combo0"
    assert [(o.client_order_id, o.combo_type, o.side, o.order_type, o.limit_price, o.stop_price)
            for o in request.orders] == [
        ("order0", ComboType.MASTER, B, LMT, Decimal("187.50"), None),
        ("order1", ComboType.STOP_PROFIT, S, LMT, Decimal("200"), None),
        ("order2", ComboType.STOP_LOSS, S, STP, None, Decimal("180.00"))]
    assert all(o.quantity == 10 and o.support_trading_session is TradingSession.CORE
               for o in request.orders)
    assert result.words[1:] == ("  take profit: Sell 10 AAPL · Limit 200 · Day · Core session",
                                "  stop loss: Sell 10 AAPL · Stop 180.00 · Day · Core session")


def test_a_bracket_may_have_only_a_take_profit_or_only_a_stop_loss() -> None:
    tp = ok(build(stock(order_type=MKT, bracket=Bracket.TP_SL, take_profit_price="200"), AAPL,
                  MARGIN, IDS))
    assert [o.combo_type for o in tp.request.orders] == [  # type: ignore[union-attr]
        ComboType.MASTER, ComboType.STOP_PROFIT]
    sl = ok(build(stock(bracket=Bracket.TP_SL, stop_loss_price="170"), AAPL, MARGIN, IDS))
    assert [o.combo_type for o in sl.request.orders] == [  # type: ignore[union-attr]
        ComboType.MASTER, ComboType.STOP_LOSS]
    assert errors(build(stock(bracket=Bracket.TP_SL), AAPL, MARGIN, IDS)) == {
        "take_profit_price": "Enter a take-profit price, a stop-loss price or both"}


@pytest.mark.parametrize(("fields", "found"), [
    ({"take_profit_price": "185", "stop_loss_price": "180"},
     {"take_profit_price": "For a buy the take-profit is above the entry price 187.50"}),
    ({"take_profit_price": "200", "stop_loss_price": "190"},
     {"stop_loss_price": "For a buy the stop-loss is below the entry price 187.50"}),
    ({"take_profit_price": "170", "stop_loss_price": "180"},
     {"take_profit_price": "For a buy the take-profit is above the stop-loss 180"}),
    ({"side": SH, "take_profit_price": "200", "stop_loss_price": "210"},
     {"take_profit_price": "For a short sale the take-profit is below the entry price 187.50"}),
    ({"order_type": STP, "stop_price": "190", "take_profit_price": "200"},
     {"order_type": "The entry of this bracket is a market or limit order"}),
    ({"side": S, "take_profit_price": "200"},
     {"bracket": "Take-profit and stop-loss orders protect a buy or a short sale; to protect "
                 "shares you hold, use OCO"}),
    ({"quantity": "0.5", "order_type": MKT, "take_profit_price": "200"},
     {"quantity": "A bracket needs whole shares"}),
])
def test_bracket_prices_must_make_sense(fields: dict[str, object],
                                        found: dict[str, str]) -> None:
    got = errors(build(stock(bracket=Bracket.TP_SL, **fields), AAPL, MARGIN, IDS))
    assert got == found


def test_a_market_entry_is_checked_against_the_last_price() -> None:
    got = errors(build(stock(order_type=MKT, bracket=Bracket.TP_SL, take_profit_price="180"),
                       AAPL, MARGIN, IDS))
    assert got == {"take_profit_price": "For a buy the take-profit is above the entry price "
                                        "187.40"}


def test_oto_triggers_one_follow_up_order() -> None:
    result = ok(build(stock(bracket=Bracket.OTO, follow_up_side=S, follow_up_type=STP,
                            follow_up_price="170"), AAPL, MARGIN, IDS))
    orders = result.request.orders  # type: ignore[union-attr]
    assert [(o.combo_type, o.side, o.order_type, o.stop_price) for o in orders] == [
        (ComboType.MASTER, B, LMT, None), (ComboType.OTO, S, STP, Decimal("170"))]
    assert result.words[1].startswith("  then: Sell 10 AAPL · Stop 170")
    market = ok(build(stock(bracket=Bracket.OTO, follow_up_type=MKT, follow_up_price="x"), AAPL,
                      MARGIN, IDS))
    assert market.request.orders[1].order_type is MKT  # type: ignore[union-attr]
    assert errors(build(stock(bracket=Bracket.OTO, follow_up_type=STPLMT), AAPL, MARGIN,
                        IDS)) == {"follow_up_type": "The follow-up is a market, limit or stop order"}
    assert errors(build(stock(bracket=Bracket.OTO, follow_up_side=SH, follow_up_price="200"),
                        AAPL, CASH, IDS)) == {
        "follow_up_side": "The follow-up cannot be a sell short order in this account"}
    assert errors(build(stock(bracket=Bracket.OTO, follow_up_price=""), AAPL, MARGIN, IDS)) == {
        "follow_up_price": "enter a number"}


def test_oco_closes_a_position_with_two_orders_and_no_master() -> None:
    result = ok(build(stock(side=S, bracket=Bracket.OCO, take_profit_price="200",
                            stop_loss_price="175", order_type=TRAIL, limit_price="x"), AAPL,
                      MARGIN, IDS))
    orders = result.request.orders  # type: ignore[union-attr]
    assert [(o.combo_type, o.side, o.order_type, o.limit_price, o.stop_price) for o in orders] \
        == [(ComboType.OCO, S, LMT, Decimal("200"), None),
            (ComboType.OCO, S, STP, None, Decimal("175"))]
    assert result.request.combo_id == "combo0"  # type: ignore[union-attr]
    assert result.words[1].startswith("  or, one cancels the other: Sell 10 AAPL · Stop 175")
    facts = result.facts
    assert facts is not None and (facts.order_type, facts.limit_price, facts.stop_price) == (
        STPLMT, Decimal("200"), Decimal("175"))
    cover = ok(build(stock(side=B, bracket=Bracket.OCO, take_profit_price="170",
                           stop_loss_price="195"), AAPL, MARGIN, IDS))
    assert all(o.side is B for o in cover.request.orders)  # type: ignore[union-attr]
    assert errors(build(stock(side=S, bracket=Bracket.OCO, take_profit_price="180",
                              stop_loss_price="175"), AAPL, MARGIN, IDS)) == {
        "take_profit_price": "For a sale of shares you hold the take-profit is above the last "
                             "price 187.40"}
    assert "side" in errors(build(stock(side=SH, bracket=Bracket.OCO, take_profit_price="170",
                                        stop_loss_price="195"), AAPL, MARGIN, IDS))


def test_otoco_needs_both_prices() -> None:
    result = ok(build(stock(bracket=Bracket.OTOCO, take_profit_price="200",
                            stop_loss_price="180"), AAPL, MARGIN, IDS))
    assert [o.combo_type for o in result.request.orders] == [  # type: ignore[union-attr]
        ComboType.MASTER, ComboType.OTOCO, ComboType.OTOCO]
    assert errors(build(stock(bracket=Bracket.OTOCO, take_profit_price="200"), AAPL, MARGIN,
                        IDS)) == {"stop_loss_price": "enter a number"}


def test_a_bracket_needs_a_share_quantity() -> None:
    got = errors(build(stock(bracket=Bracket.TP_SL, entrust=EntrustType.AMOUNT, order_type=MKT,
                             amount="100", take_profit_price="200"), AAPL, MARGIN, IDS))
    assert got["bracket"] == "A bracket needs a number of shares, not a dollar amount"


def test_too_few_ids_is_an_error_not_an_exception() -> None:
    few = TicketIds(("only",), "combo")
    assert "order" in errors(build(stock(bracket=Bracket.OTOCO, take_profit_price="200",
                                         stop_loss_price="180"), AAPL, MARGIN, few))


# ---------------------------------------------------------------------------- futures

def futures(**fields: object) -> TicketDraft:
    values: dict[str, object] = {"symbol": "ESZ6", "quantity": "2", "limit_price": "6600.25"}
    values.update(fields)
    return TicketDraft("A1", FUT, **values)  # type: ignore[arg-type]


def test_futures_whole_contracts_on_the_tick_without_session() -> None:
    result = ok(build(futures(session=TradingSession.ALL), ES, FUTURES, IDS))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert (order.symbol, order.quantity, order.limit_price, order.support_trading_session) == (
        "ESZ6", Decimal(2), Decimal("6600.25"), None)
    assert result.facts is not None and result.facts.multiplier == 50
    assert errors(build(futures(quantity="1.5"), ES, FUTURES, IDS)) == {
        "quantity": "must be a whole number"}
    assert errors(build(futures(limit_price="6600.10"), ES, FUTURES, IDS)) == {
        "limit_price": "prices move in steps of 0.25 (e.g. 6600 or 6600.25)"}
    assert "entrust" in errors(build(futures(entrust=EntrustType.AMOUNT), ES, FUTURES, IDS))
    assert "bracket" in errors(build(futures(bracket=Bracket.TP_SL, take_profit_price="6700"),
                                     ES, FUTURES, IDS))
    assert "bracket" in errors(build(futures(bracket=Bracket.OCO, take_profit_price="6700"),
                                     ES, FUTURES, IDS))


# ---------------------------------------------------------------------------- crypto

def crypto(**fields: object) -> TicketDraft:
    values: dict[str, object] = {"symbol": "BTCUSD", "quantity": "0.00123456",
                                 "limit_price": "110000.00"}
    values.update(fields)
    return TicketDraft("A1", CRY, **values)  # type: ignore[arg-type]


def test_crypto_quantities_to_eight_places_and_amounts() -> None:
    order = ok(build(crypto(), BTC, CRYPTO, IDS)).request.orders[0]  # type: ignore[union-attr]
    assert (order.quantity, order.limit_price) == (Decimal("0.00123456"), Decimal("110000.00"))
    assert errors(build(crypto(quantity="0.000000001"), BTC, CRYPTO, IDS)) == {
        "quantity": "at most 8 decimal places"}
    amount = ok(build(crypto(order_type=MKT, tif=TimeInForce.IOC, entrust=EntrustType.AMOUNT,
                             amount="25"), BTC, CRYPTO, IDS))
    assert amount.request.orders[0].total_cash_amount == 25  # type: ignore[union-attr]
    assert errors(build(crypto(entrust=EntrustType.AMOUNT, order_type=MKT, tif=TimeInForce.IOC,
                               amount="1.99"), BTC, CRYPTO, IDS)) == {
        "amount": "must be at least 2"}
    assert errors(build(crypto(entrust=EntrustType.AMOUNT, order_type=MKT, tif=TimeInForce.IOC,
                               amount="100000.01"), BTC, CRYPTO, IDS)) == {
        "amount": "must be at most 100000"}


def test_crypto_orders_are_worth_two_to_a_hundred_thousand_dollars() -> None:
    assert errors(build(crypto(quantity="0.00001"), BTC, CRYPTO, IDS)) == {
        "quantity": "0.00001 BTCUSD is worth about $1.10; a crypto order is worth $2.00 to "
                    "$100,000.00"}
    assert "quantity" in errors(build(crypto(quantity="1"), BTC, CRYPTO, IDS))


def test_crypto_market_is_ioc_and_stop_limit_sells_by_quantity() -> None:
    assert errors(build(crypto(order_type=MKT), BTC, CRYPTO, IDS)) == {
        "tif": "Market orders for crypto are IOC only"}
    assert ok(build(crypto(order_type=MKT, tif=TimeInForce.IOC), BTC, CRYPTO, IDS))
    assert errors(build(crypto(side=S, order_type=STPLMT, entrust=EntrustType.AMOUNT,
                               amount="100", stop_price="100000"), BTC, CRYPTO, IDS)) == {
        "entrust": "A crypto stop-limit sell is entered as a quantity"}
    assert "order_type" in errors(build(crypto(order_type=STP, stop_price="1"), BTC, CRYPTO,
                                        IDS))


def test_a_crypto_sale_stays_within_the_holding() -> None:
    held = position("CRYPTO", "BTCUSD", "0.01")
    assert errors(build(crypto(side=S, quantity="0.02"), BTC, CRYPTO, IDS, position=held)) == {
        "quantity": "You hold 0.01 BTCUSD"}
    assert errors(build(crypto(side=S, quantity="0.00999"), BTC, CRYPTO, IDS,
                        position=held)) == {
        "quantity": "This would leave less than $2.00 of BTCUSD; sell all of it or leave more"}
    assert ok(build(crypto(side=S, quantity="0.01"), BTC, CRYPTO, IDS, position=held))


# ---------------------------------------------------------------------------- events

def event(**fields: object) -> TicketDraft:
    values: dict[str, object] = {"symbol": CUTS.symbol, "quantity": "10", "limit_price": "0.35",
                                 "event_outcome": EventOutcome.YES}
    values.update(fields)
    return TicketDraft("A1", EVT, **values)  # type: ignore[arg-type]


def test_event_contracts() -> None:
    result = ok(build(event(), CUTS, EVENTS, IDS))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert (order.event_outcome, order.quantity, order.limit_price, order.time_in_force) == (
        EventOutcome.YES, Decimal(10), Decimal("0.35"), TimeInForce.DAY)
    assert result.words[0].startswith(f"Buy 10 Yes · {CUTS.symbol} · Limit 0.35 · Day")
    assert errors(build(event(event_outcome=None), CUTS, EVENTS, IDS)) == {
        "event_outcome": "Choose Yes or No"}
    assert errors(build(event(limit_price="0.995"), CUTS, EVENTS, IDS)) == {
        "limit_price": "Prices are 0.01 to 0.99 in steps of 0.01"}
    assert errors(build(event(limit_price="1"), CUTS, EVENTS, IDS)) == {
        "limit_price": "Prices are 0.01 to 0.99 in steps of 0.01"}
    assert errors(build(event(quantity="50001"), CUTS, EVENTS, IDS)) == {
        "quantity": "must be at most 50000"}
    assert errors(build(event(quantity="1.5"), CUTS, EVENTS, IDS)) == {
        "quantity": "must be a whole number"}
    assert ok(build(event(quantity="1.5"), replace(CUTS, fractionable=True), EVENTS, IDS))
    assert errors(build(event(order_type=MKT), CUTS, EVENTS, IDS)) == {
        "order_type": "Market orders are not available for event contracts"}
    assert errors(build(event(tif=TimeInForce.GTC), CUTS, EVENTS, IDS)) == {
        "tif": "Limit orders for event contracts are DAY only"}


def test_a_no_orders_last_price_is_one_minus_the_markets() -> None:
    yes = ok(build(event(), CUTS, EVENTS, IDS)).facts
    no = ok(build(event(event_outcome=EventOutcome.NO), CUTS, EVENTS, IDS)).facts
    assert yes is not None and no is not None
    assert (yes.last_price, no.last_price) == (Decimal("0.30"), Decimal("0.70"))


def test_event_prices_follow_the_markets_ranges() -> None:
    two = (PriceRange.model_validate({"start": "0.01", "end": "0.10", "step": "0.01"}),
           PriceRange.model_validate({"start": "0.10", "end": "0.90", "step": "0.05"}))
    info = replace(CUTS, price_ranges=two)
    assert ok(build(event(limit_price="0.07"), info, EVENTS, IDS))
    assert ok(build(event(limit_price="0.85"), info, EVENTS, IDS))
    message = errors(build(event(limit_price="0.33"), info, EVENTS, IDS))["limit_price"]
    assert message == "Prices are 0.01 to 0.10 in steps of 0.01 or 0.10 to 0.90 in steps of 0.05"


def test_event_contracts_are_sold_only_to_close() -> None:
    held = position("EVENT", CUTS.symbol, "40", event_outcome="yes")
    assert ok(build(event(side=S, quantity="40"), CUTS, EVENTS, IDS, position=held))
    assert errors(build(event(side=S, quantity="41"), CUTS, EVENTS, IDS, position=held)) == {
        "quantity": "You hold 40 Yes contracts"}
    assert errors(build(event(side=S, event_outcome=EventOutcome.NO), CUTS, EVENTS, IDS,
                        position=held)) == {
        "side": f"You hold no No contracts of {CUTS.symbol}; event contracts are sold only "
                "to close a position"}
    facts = ok(build(event(side=S), CUTS, EVENTS, IDS, position=held)).facts
    assert facts is not None and facts.position_quantity == 40 and facts.closing


# ---------------------------------------------------------------------------- ids

def test_fresh_ids_are_uuid4_hex_and_never_repeat() -> None:
    ids = TicketIds.fresh()
    every = (*ids.order_ids, ids.combo_id)
    assert len(ids.order_ids) == 8 and len(set(every)) == 9
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in every)
    counter = iter(range(100))
    made = TicketIds.fresh(lambda: f"id{next(counter)}")
    assert made.order_ids[0] == "id0" and made.combo_id == "id8"
