"""Option tickets (issue 5, API.md §7.2): legs and their shapes per strategy, leg quantities,
position intent, sell-side DAY only, brackets for single legs, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.core.ticket import (
    Bracket,
    InstrumentInfo,
    LegDraft,
    TicketDraft,
    build,
    strategy_template,
)
from app.webull.models import (
    ComboType,
    InstrumentType,
    OptionStrategy,
    OptionType,
    OrderType,
    Position,
    PositionIntent,
    Side,
    TimeInForce,
)
from tests.core.test_ticket import CASH, IDS, MARGIN, errors, ok

OPT = InstrumentType.OPTION
ST = OptionStrategy
B, S = Side.BUY, Side.SELL
CALL, PUT = OptionType.CALL, OptionType.PUT
DEC, MAR = date(2026, 12, 18), date(2027, 3, 19)
#: the chain's facts, with the last price of the contract the ticket was opened on
AAPL = InstrumentInfo(OPT, "AAPL", multiplier=Decimal(100), last_price=Decimal("1.30"))


def option(strategy: OptionStrategy = ST.SINGLE, legs: tuple[LegDraft, ...] | None = None,
           **fields: object) -> TicketDraft:
    if legs is None:
        legs = strategy_template(strategy, expiry=DEC, strike=Decimal(190), step=Decimal(5),
                                 later_expiry=MAR)
    values: dict[str, object] = {"symbol": "AAPL", "quantity": "2", "limit_price": "1.25"}
    values.update(fields)
    return TicketDraft("A1", OPT, strategy=strategy, legs=legs, **values)  # type: ignore[arg-type]


def held(*legs: tuple[str, str, str, str], qty: str = "1", strategy: str = "SINGLE"
         ) -> Position:
    """An option position: legs of (type, strike, expiry, signed quantity)."""
    return Position.model_validate({
        "position_id": "P1", "currency": "USD", "quantity": qty, "symbol": "AAPL",
        "instrument_type": "OPTION", "option_strategy": strategy, "last_price": "2.10",
        "cost_price": "1.50", "unrealized_profit_loss": "60",
        "legs": [{"leg_id": f"L{i}", "symbol": "AAPL", "quantity": q, "option_type": t,
                  "option_exercise_price": k, "option_expire_date": e}
                 for i, (t, k, e, q) in enumerate(legs)]})


def test_a_single_leg_order() -> None:
    result = ok(build(option(), AAPL, MARGIN, IDS))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert (order.symbol, order.quantity, order.option_strategy, order.position_intent) == (
        "AAPL", Decimal(2), ST.SINGLE, PositionIntent.BUY_TO_OPEN)
    assert [leg.to_wire() for leg in order.legs or ()] == [{
        "side": "BUY", "quantity": "2", "market": "US", "instrument_type": "OPTION",
        "symbol": "AAPL", "strike_price": "190", "option_expire_date": "2026-12-18",
        "option_type": "CALL"}]
    assert result.words == ("Buy 2 AAPL 2026-12-18 190 Call · Limit 1.25 · Day · Buy to open · "
                            "account Individual Margin (…2345)",)
    facts = result.facts
    assert facts is not None and (facts.multiplier, facts.last_price) == (100, Decimal("1.30"))
    spread = ok(build(option(ST.VERTICAL), AAPL, MARGIN, IDS)).facts
    assert spread is not None and spread.last_price is None  # one contract's price is no net


def test_the_single_leg_takes_the_orders_side() -> None:
    order = ok(build(option(side=S), AAPL, MARGIN, IDS)).request.orders[0]  # type: ignore[union-attr]
    assert order.legs is not None and order.legs[0].side is S
    assert order.position_intent is PositionIntent.SELL_TO_OPEN


def test_intent_is_closing_when_the_position_holds_the_contract() -> None:
    long_call = held(("CALL", "190", "2026-12-18", "3"), qty="3")
    result = ok(build(option(side=S), AAPL, MARGIN, IDS, position=long_call))
    assert result.request.orders[0].position_intent is PositionIntent.SELL_TO_CLOSE  # type: ignore[union-attr]
    assert result.facts is not None and result.facts.position_quantity == 3
    assert result.facts.closing
    other = held(("CALL", "195", "2026-12-18", "3"), qty="3")
    opening = ok(build(option(side=S), AAPL, MARGIN, IDS, position=other))
    assert opening.request.orders[0].position_intent is PositionIntent.SELL_TO_OPEN  # type: ignore[union-attr]
    short_call = held(("CALL", "190", "2026-12-18", "-1"), qty="-1")
    cover = ok(build(option(), AAPL, MARGIN, IDS, position=short_call))
    assert cover.request.orders[0].position_intent is PositionIntent.BUY_TO_CLOSE  # type: ignore[union-attr]


def test_an_explicit_intent_must_agree() -> None:
    assert errors(build(option(position_intent=PositionIntent.SELL_TO_OPEN), AAPL, MARGIN,
                           IDS)) == {
        "position_intent": "sell to open does not go with a buy order"}
    none_held = held(("PUT", "150", "2026-12-18", "1"))
    assert errors(build(option(side=S, position_intent=PositionIntent.SELL_TO_CLOSE), AAPL,
                        MARGIN, IDS, position=none_held)) == {
        "position_intent": "There is no position in this contract to close"}
    unknown = ok(build(option(side=S, position_intent=PositionIntent.SELL_TO_CLOSE), AAPL,
                       MARGIN, IDS))  # no position known: the trader's word stands
    assert unknown.request.orders[0].position_intent is PositionIntent.SELL_TO_CLOSE  # type: ignore[union-attr]


def test_liquidate_only_options_can_only_be_closed() -> None:
    why = "AAPL is liquidate-only at Webull: only orders that close a position are accepted"
    closing_only = replace(AAPL, closing_only=True, why_not_tradable=why)
    assert errors(build(option(), closing_only, MARGIN, IDS)) == {"instrument": why}
    long_call = held(("CALL", "190", "2026-12-18", "2"), qty="2")
    assert ok(build(option(side=S), closing_only, MARGIN, IDS, position=long_call))


def test_sell_side_options_are_day_only() -> None:
    assert errors(build(option(side=S, tif=TimeInForce.GTC), AAPL, MARGIN, IDS)) == {
        "tif": "Sell-side option orders are DAY only"}
    assert ok(build(option(tif=TimeInForce.GTC), AAPL, MARGIN, IDS))


def test_whole_units_and_no_trailing_or_short() -> None:
    assert errors(build(option(quantity="1.5"), AAPL, MARGIN, IDS)) == {
        "quantity": "must be a whole number"}
    assert "order_type" in errors(build(option(order_type=OrderType.TRAILING_STOP_LOSS,
                                               trailing_step="1"), AAPL, MARGIN, IDS))
    assert "side" in errors(build(option(side=Side.SHORT), AAPL, MARGIN, IDS))
    assert errors(build(option(limit_price="1.255"), AAPL, MARGIN, IDS)) == {
        "limit_price": "prices move in steps of 0.01 (e.g. 1.25 or 1.26)"}


@pytest.mark.parametrize("strategy", list(ST))
def test_every_strategy_template_builds(strategy: OptionStrategy) -> None:
    result = ok(build(option(strategy), AAPL, MARGIN, IDS))
    order = result.request.orders[0]  # type: ignore[union-attr]
    assert order.option_strategy is strategy and order.legs
    if strategy is ST.SINGLE:
        return
    assert order.position_intent is None  # intent is for single legs
    assert len(result.words) == 1 + len(order.legs)
    assert result.words[1].startswith("  leg 1: ")


def test_leg_quantities_are_ratio_times_units() -> None:
    order = ok(build(option(ST.BUTTERFLY, quantity="3"), AAPL, MARGIN, IDS)).request.orders[0]  # type: ignore[union-attr]
    assert [(leg.side, leg.strike_price, leg.quantity) for leg in order.legs or ()] == [
        (B, Decimal(185), Decimal(3)), (S, Decimal(190), Decimal(6)), (B, Decimal(195), Decimal(3))]
    covered = ok(build(option(ST.COVERED_STOCK, quantity="2"), AAPL, MARGIN, IDS))
    legs = covered.request.orders[0].legs or ()  # type: ignore[union-attr]
    assert [(leg.instrument_type, leg.side, leg.quantity, leg.strike_price) for leg in legs] == [
        (InstrumentType.EQUITY, B, Decimal(200), None), (OPT, S, Decimal(2), Decimal(190))]
    assert covered.words[1] == "  leg 1: Buy 200 AAPL shares"


def test_net_debit_and_credit_words() -> None:
    debit = ok(build(option(ST.VERTICAL), AAPL, MARGIN, IDS))
    assert debit.words[0].startswith("Buy 2 AAPL Vertical spreads · Limit 1.25 net debit · Day")
    assert debit.words[1:] == ("  leg 1: Buy 2 AAPL 2026-12-18 190 Call",
                               "  leg 2: Sell 2 AAPL 2026-12-18 195 Call")
    credit = ok(build(option(ST.IRON_CONDOR, side=S), AAPL, MARGIN, IDS))
    assert "Limit 1.25 net credit" in credit.words[0]


def leg(side: Side, kind: OptionType | None, strike: str | None = "190",
        expiry: date | None = DEC, ratio: int = 1) -> LegDraft:
    return LegDraft(side, kind, Decimal(strike) if strike else None, expiry, ratio)


@pytest.mark.parametrize(("strategy", "legs", "words"), [
    (ST.VERTICAL, (leg(B, CALL), leg(S, CALL)), "Two legs are the same contract"),
    (ST.VERTICAL, (leg(B, CALL), leg(B, CALL, "195")), "A vertical spread buys one and sells"),
    (ST.VERTICAL, (leg(B, CALL), leg(S, PUT, "195")), "A vertical spread"),
    (ST.VERTICAL, (leg(B, CALL), leg(S, CALL, "195", MAR)), "A vertical spread"),
    (ST.STRADDLE, (leg(B, CALL), leg(B, PUT, "195")), "A straddle"),
    (ST.STRADDLE, (leg(B, CALL), leg(S, PUT)), "A straddle"),
    (ST.STRANGLE, (leg(B, CALL), leg(B, PUT)), "A strangle"),
    (ST.CALENDAR, (leg(S, CALL), leg(B, CALL, "195", MAR)), "A calendar spread"),
    (ST.DIAGONAL, (leg(S, CALL), leg(B, CALL, "190", MAR)), "A diagonal spread"),
    (ST.BUTTERFLY, (leg(B, CALL, "185"), leg(S, CALL), leg(B, CALL, "195")), "A butterfly"),
    (ST.BUTTERFLY, (leg(B, CALL, "185"), leg(B, CALL, ratio=2), leg(B, CALL, "195")),
     "A butterfly"),
    (ST.CONDOR, (leg(B, CALL, "180"), leg(S, CALL, "185"), leg(B, CALL), leg(S, CALL, "195")),
     "A condor"),
    (ST.IRON_BUTTERFLY, (leg(B, PUT, "185"), leg(S, PUT), leg(S, CALL, "195"),
                         leg(B, CALL, "200")), "An iron butterfly"),
    (ST.IRON_CONDOR, (leg(B, PUT, "180"), leg(S, PUT, "195"), leg(S, CALL, "190"),
                      leg(B, CALL, "200")), "An iron condor"),
    (ST.COVERED_STOCK, (leg(B, None), leg(B, CALL)), "Covered stock"),
    (ST.COLLAR_WITH_STOCK, (leg(B, None), leg(S, CALL, "195"), leg(S, PUT, "185")),
     "A collar"),
    (ST.SINGLE, (leg(B, None),), "only covered stock and collars"),
    (ST.CONDOR, (leg(B, CALL),), "A condor has 4 legs; this one has 1"),
    (ST.BUTTERFLY, (leg(B, CALL),) * 5, "A butterfly has 3 to 4 legs"),
    (ST.VERTICAL, (leg(B, CALL, ratio=0), leg(S, CALL, "195")), "ratio is a whole number"),
])
def test_strategy_shapes(strategy: OptionStrategy, legs: tuple[LegDraft, ...],
                         words: str) -> None:
    found = errors(build(option(strategy, legs), AAPL, MARGIN, IDS))
    assert list(found) == ["legs"] and words in found["legs"], found


def test_a_four_leg_butterfly_has_its_body_at_one_strike() -> None:
    legs = (leg(B, PUT, "185"), leg(S, PUT), leg(S, CALL), leg(B, CALL, "195"))
    assert ok(build(option(ST.BUTTERFLY, legs), AAPL, MARGIN, IDS))


def test_each_leg_names_its_contract() -> None:
    legs = (leg(B, CALL, None), leg(S, CALL, "195", None))
    assert errors(build(option(ST.VERTICAL, legs), AAPL, MARGIN, IDS)) == {
        "legs.0.strike": "choose a strike", "legs.1.expiry": "choose an expiration"}
    assert errors(build(option(ST.SINGLE, (leg(B, CALL, "-5"),)), AAPL, MARGIN, IDS)) == {
        "legs.0.strike": "the strike is not a price"}


def test_a_stock_strategy_takes_its_stock_legs_side() -> None:
    assert errors(build(option(ST.COVERED_STOCK, side=S), AAPL, MARGIN, IDS)) == {
        "side": "A covered stock order takes its stock leg's side (buy)"}


def test_brackets_only_for_single_legs() -> None:
    result = ok(build(option(bracket=Bracket.TP_SL, take_profit_price="2.50",
                             stop_loss_price="0.60", tif=TimeInForce.GTC), AAPL, MARGIN, IDS))
    orders = result.request.orders  # type: ignore[union-attr]
    assert [(o.combo_type, o.side, o.order_type, o.time_in_force, o.position_intent)
            for o in orders] == [
        (ComboType.MASTER, B, OrderType.LIMIT, TimeInForce.GTC, PositionIntent.BUY_TO_OPEN),
        (ComboType.STOP_PROFIT, S, OrderType.LIMIT, TimeInForce.DAY, None),
        (ComboType.STOP_LOSS, S, OrderType.STOP_LOSS, TimeInForce.DAY, None)]
    assert all(o.legs and o.legs[0].side is o.side for o in orders)
    assert errors(build(option(ST.VERTICAL, bracket=Bracket.TP_SL, take_profit_price="2"),
                        AAPL, MARGIN, IDS)) == {
        "bracket": "Brackets are for single-leg options only"}
    assert "bracket" in errors(build(option(bracket=Bracket.OTO, follow_up_price="2"), AAPL,
                                     MARGIN, IDS))
    assert "bracket" in errors(build(option(bracket=Bracket.OCO, take_profit_price="2",
                                            stop_loss_price="1"), AAPL, MARGIN, IDS))
    assert errors(build(option(bracket=Bracket.TP_SL, take_profit_price="1.00"), AAPL, MARGIN,
                        IDS)) == {
        "take_profit_price": "For a buy the take-profit is above the entry price 1.25"}


def test_options_trade_in_cash_accounts_too() -> None:
    assert ok(build(option(), AAPL, CASH, IDS))


@pytest.mark.parametrize("strategy", list(ST))
def test_templates(strategy: OptionStrategy) -> None:
    legs = strategy_template(strategy, expiry=DEC, strike=Decimal(100), step=Decimal("2.5"),
                             option_type=PUT, later_expiry=MAR)
    assert legs and all(leg.strike is None or leg.strike > 0 for leg in legs)
    assert ok(build(option(strategy, legs), replace(AAPL), MARGIN, IDS))
    blank = strategy_template(strategy, expiry=None, strike=None, step=None)
    assert all(leg.strike is None and leg.expiry is None for leg in blank)


def test_a_template_leaves_impossible_strikes_for_the_trader() -> None:
    legs = strategy_template(ST.IRON_CONDOR, expiry=DEC, strike=Decimal(2), step=Decimal(1))
    assert [leg.strike for leg in legs] == [None, Decimal(1), Decimal(3), Decimal(4)]
    no_step = strategy_template(ST.VERTICAL, expiry=DEC, strike=Decimal(190), step=None)
    assert [leg.strike for leg in no_step] == [Decimal(190), None]
