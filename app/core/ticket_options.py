"""Option legs of the order ticket (issue 5, API.md §7.2): the shape each strategy must have,
the legs Webull receives, whether an order closes a position, and starting templates.

A leg's wire quantity is its ratio times the strategy units (the order's ``quantity``): Webull
(and the simulator) read each leg as contracts for the whole order, a whole multiple of the
units. A stock leg (covered stock, collar) carries 100 shares per ratio and unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.webull.models import (
    InstrumentType,
    NewOrderLeg,
    OptionStrategy,
    OptionType,
    Position,
    PositionIntent,
    Side,
)

from .ticket_words import Fields

S = OptionStrategy
CALL, PUT = OptionType.CALL, OptionType.PUT
SHARES_PER_CONTRACT = 100

#: legs per strategy, stock legs included (API.md §7.2)
STRATEGY_LEGS: dict[OptionStrategy, tuple[int, int]] = {
    S.SINGLE: (1, 1), S.STRADDLE: (2, 2), S.STRANGLE: (2, 2), S.VERTICAL: (2, 2),
    S.CALENDAR: (2, 2), S.DIAGONAL: (2, 2), S.BUTTERFLY: (3, 4), S.CONDOR: (4, 4),
    S.IRON_BUTTERFLY: (4, 4), S.IRON_CONDOR: (4, 4), S.COVERED_STOCK: (2, 2),
    S.COLLAR_WITH_STOCK: (3, 3),
}
_WITH_STOCK = (S.COVERED_STOCK, S.COLLAR_WITH_STOCK)


@dataclass(frozen=True)
class LegDraft:
    """One leg of an option strategy. ``option_type`` None is the stock leg (covered stock,
    collar). ``ratio`` is the leg's units per strategy unit (a butterfly's body is 2).
    A SINGLE order's leg takes the order's side (its own ``side`` is not used)."""

    side: Side
    option_type: OptionType | None
    strike: Decimal | None = None
    expiry: date | None = None
    ratio: int = 1


def option_legs(f: Fields, strategy: OptionStrategy, drafts: Sequence[LegDraft],
                underlying: str, units: Decimal | None, side: Side
                ) -> tuple[NewOrderLeg, ...] | None:
    """The wire legs, or None with messages under "strategy", "legs" or "legs.<i>.<field>"."""
    if strategy not in STRATEGY_LEGS:
        f.fail("strategy", f"{strategy.value} is not an option strategy Webull offers")
        return None
    low, high = STRATEGY_LEGS[strategy]
    if not low <= len(drafts) <= high:
        count = f"{low}" if low == high else f"{low} to {high}"
        f.fail("legs", f"A {_name(strategy)} has {count} legs; this one has {len(drafts)}")
        return None
    if strategy is S.SINGLE:
        drafts = [LegDraft(side, drafts[0].option_type, drafts[0].strike, drafts[0].expiry)]
    ok = True
    for i, leg in enumerate(drafts):
        ok = _leg_fields(f, i, leg, strategy) and ok
    if not ok:
        return None
    problem = _shape(strategy, drafts)
    if problem:
        f.fail("legs", problem)
        return None
    stock = next((leg for leg in drafts if leg.option_type is None), None)
    if stock is not None and stock.side is not side:
        f.fail("side", f"A {_name(strategy)} order takes its stock leg's side "
                       f"({stock.side.value.lower()})")
        return None
    if units is None:
        return None
    return tuple(_wire(leg, underlying, units) for leg in drafts)


def _name(strategy: OptionStrategy) -> str:
    return "single-leg order" if strategy is S.SINGLE else \
        strategy.value.replace("_", " ").lower()


def _leg_fields(f: Fields, i: int, leg: LegDraft, strategy: OptionStrategy) -> bool:
    ok = True
    if not isinstance(leg.ratio, int) or isinstance(leg.ratio, bool) or not 1 <= leg.ratio \
            <= 100:
        f.fail("legs", f"Leg {i + 1}: the ratio is a whole number from 1 to 100")
        ok = False
    if leg.side not in (Side.BUY, Side.SELL):
        f.fail("legs", f"Leg {i + 1} is bought or sold, not {leg.side.value.lower()}")
        ok = False
    if leg.option_type is None:
        if strategy not in _WITH_STOCK:
            f.fail("legs", f"Leg {i + 1} is a stock leg; only covered stock and collars have one")
            ok = False
        return ok
    if leg.option_type not in (CALL, PUT):
        f.fail("legs", f"Leg {i + 1} is neither a call nor a put")
        ok = False
    if leg.strike is None:
        f.fail(f"legs.{i}.strike", "choose a strike")
        ok = False
    elif not leg.strike.is_finite() or leg.strike <= 0 or leg.strike >= 10 ** 7:
        f.fail(f"legs.{i}.strike", "the strike is not a price")
        ok = False
    if leg.expiry is None:
        f.fail(f"legs.{i}.expiry", "choose an expiration")
        ok = False
    return ok


def _wire(leg: LegDraft, underlying: str, units: Decimal) -> NewOrderLeg:
    if leg.option_type is None:
        return NewOrderLeg(side=leg.side, quantity=units * leg.ratio * SHARES_PER_CONTRACT,
                           instrument_type=InstrumentType.EQUITY, symbol=underlying)
    return NewOrderLeg(side=leg.side, quantity=units * leg.ratio,
                       instrument_type=InstrumentType.OPTION, symbol=underlying,
                       strike_price=leg.strike, option_expire_date=leg.expiry,
                       option_type=leg.option_type)


def _key(leg: LegDraft) -> tuple[str, Decimal, date]:
    assert leg.option_type is not None and leg.strike is not None and leg.expiry is not None
    return (leg.option_type.value, leg.strike, leg.expiry)


def _shape(strategy: OptionStrategy, legs: Sequence[LegDraft]) -> str | None:
    """Why these legs are not the named strategy (None: they are)."""
    stock = [leg for leg in legs if leg.option_type is None]
    opts = sorted((leg for leg in legs if leg.option_type is not None),
                  key=lambda leg: (leg.strike, leg.option_type.value))  # type: ignore[union-attr]
    if len({_key(leg) for leg in opts}) != len(opts):
        return "Two legs are the same contract; each leg must be a different option"
    expiries = {leg.expiry for leg in opts}
    types = {leg.option_type for leg in opts}
    strikes = {leg.strike for leg in opts}
    sides = [leg.side for leg in opts]
    ratios = {leg.ratio for leg in opts}
    opposite = len(opts) == 2 and sides[0] is not sides[1]
    calls = [leg for leg in opts if leg.option_type is CALL]
    puts = [leg for leg in opts if leg.option_type is PUT]
    if strategy is S.SINGLE:
        return None
    if strategy is S.VERTICAL:
        if len(expiries) == 1 and len(types) == 1 and len(strikes) == 2 and opposite \
                and len(ratios) == 1:
            return None
        return ("A vertical spread buys one and sells one option of the same type and "
                "expiration at different strikes")
    if strategy in (S.STRADDLE, S.STRANGLE):
        same_strike = strategy is S.STRADDLE
        if len(calls) == 1 and len(puts) == 1 and len(expiries) == 1 and not opposite \
                and (len(strikes) == 1) == same_strike and len(ratios) == 1:
            return None
        if same_strike:
            return ("A straddle buys (or sells) a call and a put of the same strike and "
                    "expiration")
        return ("A strangle buys (or sells) a call and a put of the same expiration at "
                "different strikes")
    if strategy in (S.CALENDAR, S.DIAGONAL):
        same_strike = strategy is S.CALENDAR
        if len(types) == 1 and len(expiries) == 2 and opposite and len(ratios) == 1 \
                and (len(strikes) == 1) == same_strike:
            return None
        if same_strike:
            return ("A calendar spread buys and sells the same strike and type in two "
                    "different expirations")
        return ("A diagonal spread buys and sells the same type at different strikes and "
                "different expirations")
    if strategy is S.BUTTERFLY:
        return _butterfly(opts)
    if strategy is S.CONDOR:
        if len(types) == 1 and len(expiries) == 1 and len(strikes) == 4 and len(ratios) == 1 \
                and sides[0] is sides[3] and sides[1] is sides[2] and sides[0] is not sides[1]:
            return None
        return ("A condor has four strikes of one type and expiration: the outer two bought "
                "and the inner two sold (or the reverse)")
    if strategy in (S.IRON_BUTTERFLY, S.IRON_CONDOR):
        return _iron(strategy, calls, puts, expiries, ratios)
    return _with_stock(strategy, stock, calls, puts, expiries)


def _butterfly(opts: Sequence[LegDraft]) -> str | None:
    wings, body = [opts[0], opts[-1]], list(opts[1:-1])
    wing_side = wings[0].side
    fits = (len({leg.expiry for leg in opts}) == 1 and wings[1].side is wing_side
            and all(leg.side is not wing_side for leg in body)
            and len({leg.strike for leg in body}) == 1
            and wings[0].strike < body[0].strike < wings[1].strike  # type: ignore[operator]
            and sum(leg.ratio for leg in body) == sum(leg.ratio for leg in wings))
    if len(opts) == 3:
        fits = fits and len({leg.option_type for leg in opts}) == 1
    if fits:
        return None
    return ("A butterfly buys the two wings and sells the body between them, twice as many "
            "(or the reverse), all in one expiration")


def _iron(strategy: OptionStrategy, calls: Sequence[LegDraft], puts: Sequence[LegDraft],
          expiries: set[date | None], ratios: set[int]) -> str | None:
    if len(calls) == 2 and len(puts) == 2 and len(expiries) == 1 and len(ratios) == 1:
        wing_put, body_put = puts
        body_call, wing_call = calls
        body_side = body_put.side
        sides_fit = (body_call.side is body_side and wing_put.side is not body_side
                     and wing_call.side is not body_side)
        if strategy is S.IRON_BUTTERFLY:
            strikes_fit = body_put.strike == body_call.strike
        else:
            strikes_fit = body_put.strike < body_call.strike  # type: ignore[operator]
        if sides_fit and strikes_fit:
            return None
    if strategy is S.IRON_BUTTERFLY:
        return ("An iron butterfly sells a call and a put at one strike and buys a put below "
                "and a call above (or the reverse), all in one expiration")
    return ("An iron condor sells a put and a call and buys a put further below and a call "
            "further above (or the reverse), all in one expiration")


def _with_stock(strategy: OptionStrategy, stock: Sequence[LegDraft],
                calls: Sequence[LegDraft], puts: Sequence[LegDraft],
                expiries: set[date | None]) -> str | None:
    single = all(leg.ratio == 1 for leg in (*stock, *calls, *puts))
    if strategy is S.COVERED_STOCK:
        if len(stock) == 1 and len(calls) == 1 and not puts and single \
                and calls[0].side is not stock[0].side:
            return None
        return "Covered stock buys 100 shares per contract and sells a call (or the reverse)"
    if len(stock) == 1 and len(calls) == 1 and len(puts) == 1 and len(expiries) == 1 \
            and single and calls[0].side is not stock[0].side and puts[0].side is stock[0].side:
        return None
    return ("A collar buys 100 shares per contract, sells a call and buys a put of one "
            "expiration (or the reverse)")


# ---------------------------------------------------------------------------- positions

def _position_ratios(position: Position) -> list[tuple[tuple[str, str, str], Decimal]] | None:
    held = abs(position.quantity)
    if position.instrument_type is not InstrumentType.OPTION or not held or not position.legs:
        return None
    out = []
    for leg in position.legs:
        qty = leg.quantity if leg.quantity is not None else position.quantity
        if leg.option_type is None:
            key = ("STOCK", "", "")
            qty = qty / SHARES_PER_CONTRACT
        else:
            key = (leg.option_type.value, str(leg.option_exercise_price),
                   str(leg.option_expire_date))
        out.append(((key[0], _num(key[1]), key[2]), qty / held))
    return sorted(out)


def _order_ratios(legs: Sequence[NewOrderLeg], units: Decimal
                  ) -> list[tuple[tuple[str, str, str], Decimal]]:
    out = []
    for leg in legs:
        sign = 1 if leg.side is Side.BUY else -1
        qty = leg.quantity or units
        if leg.option_type is None:
            key = ("STOCK", "", "")
            qty = qty / SHARES_PER_CONTRACT
        else:
            key = (leg.option_type.value, _num(str(leg.strike_price)),
                   str(leg.option_expire_date))
        out.append((key, sign * qty / units))
    return sorted(out)


def _num(text: str) -> str:
    try:
        return format(Decimal(text).normalize(), "f")
    except ArithmeticError:
        return text


def reduces(position: Position | None, legs: Sequence[NewOrderLeg], units: Decimal) -> bool:
    """True when these legs trade ``position`` the other way (the order closes it)."""
    if position is None or not units:
        return False
    theirs = _position_ratios(position)
    if theirs is None:
        return False
    mine = _order_ratios(legs, units)
    return theirs == sorted((key, -ratio) for key, ratio in mine)


def intent_for(f: Fields, asked: PositionIntent | None, side: Side, closing: bool,
               position_known: bool) -> PositionIntent | None:
    """A single-leg order's position intent: the trader's, checked, or derived from whether
    the order closes the position in that contract."""
    if asked is None:
        return PositionIntent(f"{side.value}_TO_{'CLOSE' if closing else 'OPEN'}")
    if not asked.known:
        f.fail("position_intent", f"{asked.value} is not a position intent")
        return None
    if not asked.value.startswith(side.value + "_"):
        f.fail("position_intent", f"{asked.value.replace('_', ' ').lower()} does not go with "
                                  f"a {side.value.lower()} order")
        return None
    if asked.value.endswith("CLOSE") and position_known and not closing:
        f.fail("position_intent", "There is no position in this contract to close")
        return None
    return asked


def close_legs(position: Position) -> tuple[LegDraft, ...]:
    """The legs that close ``position``: every leg the other way, at its per-unit ratio."""
    held = abs(position.quantity) or Decimal(1)
    out = []
    for leg in position.legs:
        qty = leg.quantity if leg.quantity is not None else position.quantity
        side = Side.SELL if qty > 0 else Side.BUY
        per_unit = abs(qty) / held
        if leg.option_type is None:
            per_unit = per_unit / SHARES_PER_CONTRACT
        ratio = max(1, int(per_unit.to_integral_value()))
        out.append(LegDraft(side, leg.option_type, leg.option_exercise_price,
                            leg.option_expire_date, ratio))
    return tuple(out)


# ---------------------------------------------------------------------------- templates

def strategy_template(strategy: OptionStrategy, *, expiry: date | None, strike: Decimal | None,
                      step: Decimal | None, option_type: OptionType = OptionType.CALL,
                      later_expiry: date | None = None) -> tuple[LegDraft, ...]:
    """Sensible starting legs for a strategy around ``strike`` (the trader then edits them).
    Strikes ``step`` apart; a strike that cannot be placed (no step, or not above zero) is
    left for the trader to choose."""
    B, SL = Side.BUY, Side.SELL
    sign = 1 if option_type is CALL else -1

    def at(offset: int) -> Decimal | None:
        if strike is None or (offset and step is None):
            return None
        value = strike + (step or 0) * offset
        return value if value > 0 else None

    def leg(side: Side, kind: OptionType | None, offset: int = 0, when: date | None = expiry,
            ratio: int = 1) -> LegDraft:
        if kind is None:
            return LegDraft(side, None)
        return LegDraft(side, kind, at(offset), when, ratio)

    t = option_type
    shapes: dict[OptionStrategy, tuple[LegDraft, ...]] = {
        S.SINGLE: (leg(B, t),),
        S.VERTICAL: (leg(B, t), leg(SL, t, sign)),
        S.STRADDLE: (leg(B, CALL), leg(B, PUT)),
        S.STRANGLE: (leg(B, CALL, 1), leg(B, PUT, -1)),
        S.CALENDAR: (leg(SL, t), leg(B, t, 0, later_expiry)),
        S.DIAGONAL: (leg(SL, t, sign), leg(B, t, 0, later_expiry)),
        S.BUTTERFLY: (leg(B, t, -1), leg(SL, t, 0, ratio=2), leg(B, t, 1)),
        S.CONDOR: (leg(B, t, -1), leg(SL, t), leg(SL, t, 1), leg(B, t, 2)),
        S.IRON_BUTTERFLY: (leg(B, PUT, -1), leg(SL, PUT), leg(SL, CALL), leg(B, CALL, 1)),
        S.IRON_CONDOR: (leg(B, PUT, -2), leg(SL, PUT, -1), leg(SL, CALL, 1),
                        leg(B, CALL, 2)),
        S.COVERED_STOCK: (leg(B, None), leg(SL, CALL)),
        S.COLLAR_WITH_STOCK: (leg(B, None), leg(SL, CALL, 1), leg(B, PUT, -1)),
    }
    return shapes.get(strategy, (leg(B, t),))
