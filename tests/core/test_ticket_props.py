"""Property-based tests of the ticket (issue 5): whatever is typed into any text field, ``build``
and ``build_modify`` answer with a request or with messages — never an exception, never both —
and the numbers a trader types reach the wire exactly as typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.ticket import (
    Bracket,
    BuildResult,
    LegDraft,
    ModifyDraft,
    TicketDraft,
    build,
    build_modify,
    strategy_template,
)
from app.core.ticket_input import NumberFormat
from app.webull.models import (
    EntrustType,
    EventOutcome,
    InstrumentType,
    OptionStrategy,
    OptionType,
    OrderType,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)
from tests.core.test_ticket import (
    AAPL,
    BTC,
    CASH,
    CRYPTO,
    CUTS,
    ES,
    EVENTS,
    FUTURES,
    IDS,
    MARGIN,
    ZVZZT,
    position,
)
from tests.core.test_ticket_modify import item, option_item
from tests.core.test_ticket_options import AAPL as AAPL_OPTIONS

FORMATS = (NumberFormat(".", ","), NumberFormat(",", "."), NumberFormat(",", "\u202f"),
           NumberFormat(".", "'"))
TEXT_FIELDS = ("symbol", "quantity", "amount", "limit_price", "stop_price", "trailing_step",
               "take_profit_price", "stop_loss_price", "follow_up_price")
INFOS = (AAPL, ZVZZT, AAPL_OPTIONS, ES, BTC, CUTS, None)
ACCOUNTS = (MARGIN, CASH, FUTURES, CRYPTO, EVENTS)
POSITIONS = (None, position("EQUITY", "AAPL", "100"), position("CRYPTO", "BTCUSD", "0.5"),
             position("EVENT", CUTS.symbol, "40", event_outcome="yes"),
             position("OPTION", "AAPL", "1", option_strategy="SINGLE", legs=[{
                 "leg_id": "L", "symbol": "AAPL", "quantity": "1", "option_type": "CALL",
                 "option_exercise_price": "190", "option_expire_date": "2026-12-18"}]))
LEGS = st.one_of(
    st.sampled_from(list(OptionStrategy)).map(lambda s: strategy_template(
        s, expiry=date(2026, 12, 18), strike=Decimal(190), step=Decimal(5),
        later_expiry=date(2027, 3, 19))),
    st.lists(st.builds(LegDraft, st.sampled_from(list(Side)),
                       st.sampled_from([None, *OptionType]),
                       st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True)),
                       st.one_of(st.none(), st.dates()), st.integers(-3, 300)),
             max_size=6).map(tuple))


def exactly_one(result: BuildResult) -> None:
    assert (result.request is None) != (not result.errors), result
    if result.request is not None:
        assert result.words and result.facts is not None
    else:
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in
                   result.errors.items())


#: any text at all, or numbers a ticket could well hold (to reach the checks behind parsing)
NUMBERISH = st.one_of(st.text(), st.sampled_from(["1", "10", "0.5", "100", "187.50", "200",
                                                  "180", "0.35", "2.5", "6600.25", ""]),
                      st.decimals(min_value=0, max_value=10 ** 7, places=2).map(str))
SYMBOLISH = st.one_of(st.text(), st.sampled_from(["AAPL", "ZVZZT", "ESZ6", "BTCUSD",
                                                  CUTS.symbol, "aapl "]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.fixed_dictionaries({name: SYMBOLISH if name == "symbol" else NUMBERISH
                                    for name in TEXT_FIELDS}),
       kind=st.sampled_from(list(InstrumentType)), info=st.sampled_from(INFOS),
       account=st.sampled_from(ACCOUNTS), held=st.sampled_from(POSITIONS),
       side=st.sampled_from(list(Side)), order_type=st.sampled_from(list(OrderType)),
       tif=st.sampled_from(list(TimeInForce)), entrust=st.sampled_from(list(EntrustType)),
       session=st.sampled_from([None, *TradingSession]), bracket=st.sampled_from(list(Bracket)),
       trailing=st.sampled_from(list(TrailingType)), follow_side=st.sampled_from(list(Side)),
       follow_type=st.sampled_from(list(OrderType)), strategy=st.sampled_from(
           list(OptionStrategy)), legs=LEGS,
       intent=st.sampled_from([None, *PositionIntent]),
       outcome=st.sampled_from([None, *EventOutcome]), fmt=st.sampled_from(FORMATS))
def test_build_never_raises_whatever_is_typed(texts: dict[str, str], kind: InstrumentType,
                                              **choices: object) -> None:
    fmt = choices.pop("fmt")
    info, account, held = choices.pop("info"), choices.pop("account"), choices.pop("held")
    draft = TicketDraft(
        "A1", kind, side=choices["side"], order_type=choices["order_type"], tif=choices["tif"],
        entrust=choices["entrust"], session=choices["session"], bracket=choices["bracket"],
        trailing_type=choices["trailing"], follow_up_side=choices["follow_side"],
        follow_up_type=choices["follow_type"], strategy=choices["strategy"],
        legs=choices["legs"], position_intent=choices["intent"],
        event_outcome=choices["outcome"], **texts)  # type: ignore[arg-type]
    exactly_one(build(draft, info, account, IDS, fmt=fmt, position=held))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(texts=st.fixed_dictionaries({name: NUMBERISH for name in (
           "quantity", "limit_price", "stop_price", "trailing_step")}),
       base=st.sampled_from([item(), item(order_type="STOP_LOSS_LIMIT", stop_price="180"),
                             item(order_type="TRAILING_STOP_LOSS", limit_price=None,
                                  trailing_type="PERCENTAGE", trailing_stop_step="0.05"),
                             item(status="PARTIAL_FILLED", filled_quantity="3"), option_item(),
                             item(instrument_type="EVENT", event_outcome="no",
                                  limit_price="0.35")]),
       tif=st.sampled_from([None, *TimeInForce]), order_type=st.sampled_from(
           [None, *OrderType]), fmt=st.sampled_from(FORMATS))
def test_build_modify_never_raises_whatever_is_typed(texts: dict[str, str], base: object,
                                                     tif: TimeInForce | None,
                                                     order_type: OrderType | None,
                                                     fmt: NumberFormat) -> None:
    draft = ModifyDraft(tif=tif, order_type=order_type, **texts)
    result = build_modify(base, draft, None, "A1", "preview1", fmt=fmt)  # type: ignore[arg-type]
    assert (result.modification is None) != (not result.errors)
    if result.modification is not None:
        assert result.words and len(result.words) <= 6


# ---------------------------------------------------------------------------- exactness

def typed(value: Decimal, fmt: NumberFormat, grouped: bool) -> str:
    """``value`` as a trader in that locale would type it (its own digits, maybe grouped)."""
    whole, _, fraction = format(value, "f").partition(".")
    if grouped:
        whole = f"{int(whole):,}".replace(",", fmt.group_separator)
    return whole + (fmt.decimal_point + fraction if fraction else "")


def same(sent: Decimal | None, expected: Decimal) -> bool:
    """Equal, and with the same digits (nothing rounded or reformatted on the way)."""
    return sent is not None and sent == expected and sent.as_tuple() == expected.as_tuple()


CENTS = st.integers(100, 10 ** 8).map(lambda n: Decimal(n).scaleb(-2))


@given(qty=st.integers(1, 10 ** 6).map(Decimal), price=CENTS, fmt=st.sampled_from(FORMATS),
       grouped=st.booleans(), stop=CENTS)
def test_stock_numbers_reach_the_wire_exactly(qty: Decimal, price: Decimal, fmt: NumberFormat,
                                              grouped: bool, stop: Decimal) -> None:
    draft = TicketDraft("A1", InstrumentType.EQUITY, "AAPL", order_type=OrderType.STOP_LOSS_LIMIT,
                        quantity=typed(qty, fmt, grouped), limit_price=typed(price, fmt, grouped),
                        stop_price=typed(stop, fmt, grouped))
    order = build(draft, AAPL, MARGIN, IDS, fmt=fmt).request.orders[0]  # type: ignore[union-attr]
    assert same(order.quantity, qty) and same(order.limit_price, price)
    assert same(order.stop_price, stop)


@given(shares=st.integers(1, 10 ** 11).map(lambda n: Decimal(n).scaleb(-5)),
       fmt=st.sampled_from(FORMATS))
def test_fractional_shares_reach_the_wire_exactly(shares: Decimal, fmt: NumberFormat) -> None:
    draft = TicketDraft("A1", InstrumentType.EQUITY, "AAPL", order_type=OrderType.MARKET,
                        quantity=typed(shares, fmt, False))
    result = build(draft, AAPL, MARGIN, IDS, fmt=fmt)
    if shares > 10 ** 9:
        assert result.errors == {"quantity": "must be at most 1000000000"}
        return
    assert same(result.request.orders[0].quantity, shares)  # type: ignore[union-attr]


@given(pct=st.integers(1, 10_000).map(lambda n: Decimal(n).scaleb(-2)),
       fmt=st.sampled_from(FORMATS))
def test_a_trailing_percentage_is_sent_as_the_fraction_typed(pct: Decimal,
                                                             fmt: NumberFormat) -> None:
    draft = TicketDraft("A1", InstrumentType.EQUITY, "AAPL", side=Side.SELL, quantity="1",
                        order_type=OrderType.TRAILING_STOP_LOSS,
                        trailing_type=TrailingType.PERCENTAGE, trailing_step=typed(pct, fmt, False))
    order = build(draft, AAPL, MARGIN, IDS, fmt=fmt).request.orders[0]  # type: ignore[union-attr]
    assert order.trailing_stop_step == pct / 100 and order.trailing_stop_step <= 1


@given(ticks=st.integers(1, 4 * 10 ** 6), qty=st.integers(1, 10 ** 6).map(Decimal),
       fmt=st.sampled_from(FORMATS), grouped=st.booleans())
def test_futures_numbers_reach_the_wire_exactly(ticks: int, qty: Decimal, fmt: NumberFormat,
                                                grouped: bool) -> None:
    price = Decimal("0.25") * ticks
    draft = TicketDraft("A1", InstrumentType.FUTURES, "ESZ6", quantity=typed(qty, fmt, grouped),
                        limit_price=typed(price, fmt, grouped))
    order = build(draft, ES, FUTURES, IDS, fmt=fmt).request.orders[0]  # type: ignore[union-attr]
    assert same(order.quantity, qty) and same(order.limit_price, price)


@given(amount=st.integers(200, 10 ** 7).map(lambda n: Decimal(n).scaleb(-2)),
       units=st.integers(1, 10 ** 8), fmt=st.sampled_from(FORMATS))
def test_crypto_numbers_reach_the_wire_exactly(amount: Decimal, units: int,
                                               fmt: NumberFormat) -> None:
    by_amount = TicketDraft("A1", InstrumentType.CRYPTO, "BTCUSD", order_type=OrderType.MARKET,
                            tif=TimeInForce.IOC, entrust=EntrustType.AMOUNT,
                            amount=typed(amount, fmt, True))
    order = build(by_amount, BTC, CRYPTO, IDS, fmt=fmt).request.orders[0]  # type: ignore[union-attr]
    assert same(order.total_cash_amount, amount)
    qty = Decimal(units).scaleb(-8)
    by_qty = TicketDraft("A1", InstrumentType.CRYPTO, "BTCUSD", quantity=typed(qty, fmt, False),
                         limit_price=typed(Decimal("100000.00"), fmt, False))
    result = build(by_qty, BTC, CRYPTO, IDS, fmt=fmt)
    if 2 <= qty * 100_000 <= 100_000:
        assert same(result.request.orders[0].quantity, qty)  # type: ignore[union-attr]
    else:
        assert "worth" in result.errors["quantity"]


@given(cents=st.integers(1, 99), qty=st.integers(1, 50_000).map(Decimal),
       outcome=st.sampled_from(list(EventOutcome)), fmt=st.sampled_from(FORMATS))
def test_event_numbers_reach_the_wire_exactly(cents: int, qty: Decimal, outcome: EventOutcome,
                                              fmt: NumberFormat) -> None:
    price = Decimal(cents).scaleb(-2)
    draft = TicketDraft("A1", InstrumentType.EVENT, CUTS.symbol, event_outcome=outcome,
                        quantity=typed(qty, fmt, True), limit_price=typed(price, fmt, False))
    order = build(draft, CUTS, EVENTS, IDS, fmt=fmt).request.orders[0]  # type: ignore[union-attr]
    assert same(order.quantity, qty) and same(order.limit_price, price)
    assert order.event_outcome is outcome


@given(units=st.integers(1, 1000), price=st.integers(1, 10 ** 6).map(
    lambda n: Decimal(n).scaleb(-2)), strategy=st.sampled_from(list(OptionStrategy)))
def test_option_units_and_net_price_reach_the_wire_exactly(units: int, price: Decimal,
                                                           strategy: OptionStrategy) -> None:
    legs = strategy_template(strategy, expiry=date(2026, 12, 18), strike=Decimal(190),
                             step=Decimal(5), later_expiry=date(2027, 3, 19))
    draft = TicketDraft("A1", InstrumentType.OPTION, "AAPL", quantity=str(units),
                        limit_price=str(price), strategy=strategy, legs=legs)
    order = build(draft, AAPL_OPTIONS, MARGIN, IDS).request.orders[0]  # type: ignore[union-attr]
    assert same(order.limit_price, price) and order.quantity == units
    for leg, wire in zip(legs, order.legs or (), strict=True):
        per_unit = leg.ratio * (100 if leg.option_type is None else 1)
        assert wire.quantity == per_unit * units


def test_the_default_format_is_us() -> None:
    draft = TicketDraft("A1", InstrumentType.EQUITY, "AAPL", quantity="1,000",
                        limit_price="1,234.50")
    order = build(replace(draft), AAPL, MARGIN, IDS).request.orders[0]  # type: ignore[union-attr]
    assert (order.quantity, order.limit_price) == (Decimal(1000), Decimal("1234.50"))
