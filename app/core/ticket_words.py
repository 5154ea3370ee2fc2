"""The ticket's fields and words (issue 5): what the trader typed → Decimals, one message per
field when it cannot be used, and the rules of each class on those numbers; the bracket orders
built as copies of the entry (API.md §7.1, §6.13); and the order as built → plain words, one
line per order or leg.

Words are made from the request itself (never from the draft), so what the preview shows is
exactly what would be sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.webull.models import (
    Account,
    ComboType,
    EntrustType,
    InstrumentType,
    NewOrder,
    NewOrderLeg,
    OptionStrategy,
    OrderType,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

from .ticket_input import (
    InputError,
    NumberFormat,
    format_plain,
    parse_decimal,
    parse_symbol,
)

if TYPE_CHECKING:
    from .ticket import TicketDraft

#: no ticket number is this large (keeps every later sum and product exact in Decimal's
#: 28 digits); Webull's own ceiling is far below it
MAX_NUMBER = Decimal(10) ** 11
CENT = Decimal("0.01")


class Bracket(StrEnum):
    """Stock brackets (API.md §7.1): what goes with the entry order in one combo."""

    NONE = "none"
    TP_SL = "tp_sl"  # MASTER + STOP_PROFIT (limit) and/or STOP_LOSS (stop), closing side
    OTO = "oto"  # MASTER triggers one follow-up order
    OCO = "oco"  # two orders, the first to fill cancels the other (no MASTER)
    OTOCO = "otoco"  # MASTER, then a take-profit / stop-loss pair that cancel each other


class Fields:
    """Reads a ticket's text fields, keeping the first message for each field."""

    def __init__(self, fmt: NumberFormat) -> None:
        self.fmt = fmt
        self.errors: dict[str, str] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def number(self, key: str, text: str, *, places: int | None = None,
               minimum: Decimal | None = None, maximum: Decimal | None = MAX_NUMBER,
               step: Decimal | None = None) -> Decimal | None:
        try:
            return parse_decimal(text, key, self.fmt, max_places=places, minimum=minimum,
                                 maximum=maximum, step=step)
        except InputError as exc:
            self.fail(key, exc.message)
        except ArithmeticError:  # a step check on a number beyond Decimal's precision
            self.fail(key, "the number is too large")
        return None

    def price(self, key: str, text: str, kind: InstrumentType, tick: Decimal | None
              ) -> Decimal | None:
        """A price on its tick: the instrument's, else the class's rule for that price."""
        value = self.number(key, text, places=10)
        if value is None:
            return None
        step = tick if tick is not None and tick > 0 else default_tick(kind, value)
        steps = f"prices move in steps of {format_plain(step, self.fmt)}"
        try:
            off = value % step
            below = (value - off).quantize(step)
        except ArithmeticError:  # a tick too fine for Decimal's 28 digits at this price
            self.fail(key, steps)
            return None
        if off:
            near = [format_plain(p, self.fmt) for p in (below, below + step) if p > 0]
            self.fail(key, f"{steps} (e.g. {' or '.join(near)})")
            return None
        return value

    def event_price(self, key: str, text: str,
                    ranges: Sequence[tuple[Decimal, Decimal, Decimal]]) -> Decimal | None:
        """A price inside one of the market's ranges, on that range's step."""
        value = self.number(key, text, places=10)
        if value is None:
            return None
        for start, end, step in ranges:
            if start <= value <= end and (step <= 0 or (value - start) % step == 0):
                return value
        fmt = self.fmt
        self.fail(key, "Prices are " + " or ".join(
            f"{format_plain(a, fmt)} to {format_plain(b, fmt)} in steps of "
            f"{format_plain(step, fmt)}" for a, b, step in ranges))
        return None

    def trailing(self, key: str, text: str, kind: TrailingType, instrument: InstrumentType,
                 tick: Decimal | None) -> Decimal | None:
        """A trailing step: dollars on the tick, or a percentage typed as 5 for 5 % (the wire
        takes the fraction 0.05, at most 1)."""
        if kind is TrailingType.AMOUNT:
            return self.price(key, text, instrument, tick)
        if kind is TrailingType.PERCENTAGE:
            pct = self.number(key, text, places=2, maximum=Decimal(100))
            return pct.scaleb(-2) if pct is not None else None
        self.fail("trailing_type", "The trail is an amount or a percentage")
        return None

    def symbol(self, text: str) -> str | None:
        try:
            return parse_symbol(text, "symbol")
        except InputError as exc:
            self.fail("symbol", exc.message)
            return None


def default_tick(kind: InstrumentType, price: Decimal) -> Decimal:
    """The price step when the instrument names none: US stocks trade in cents from $1 and in
    hundredths of a cent below; crypto steps shrink with the price; everything else in cents."""
    if kind is InstrumentType.EQUITY:
        return CENT if price >= 1 else Decimal("0.0001")
    if kind is InstrumentType.CRYPTO:
        if price >= 1:
            return CENT
        return Decimal("0.0001") if price >= CENT else Decimal("0.00000001")
    return CENT


# ---------------------------------------------------------------------------- class rules

def share_rules(f: Fields, qty: Decimal, *, symbol: str, fractionable: bool,
                lot_size: Decimal | None, last: Decimal | None, bracket: bool, side: Side,
                order_type: OrderType) -> None:
    """Whole shares unless fractionable, and fractions only where Webull trades them."""
    if qty != qty.to_integral_value():
        if not fractionable:
            f.fail("quantity", f"{symbol} trades in whole shares only")
        elif bracket:
            f.fail("quantity", "A bracket needs whole shares")
        elif side is Side.SHORT:
            f.fail("quantity", "Short sales are for whole shares")
        elif order_type is not OrderType.MARKET:
            f.fail("quantity", "Fractional shares trade with market orders only")
    elif lot_size and lot_size > 0 and qty % lot_size:
        f.fail("quantity", f"must be a multiple of the lot size {format_plain(lot_size, f.fmt)}")
    if last is not None and Decimal("0.0999") < last < 1 and qty < 100:
        f.fail("quantity", "Stocks priced $0.10 to $0.999 trade 100 shares or more per order")


def crypto_rules(f: Fields, qty: Decimal, price: Decimal, *, symbol: str, low: Decimal | None,
                 high: Decimal | None, side: Side, held: Decimal | None,
                 last: Decimal | None) -> None:
    """A crypto order's worth within the trade limits; a sale within the holding and not
    leaving a remainder worth less than the minimum."""
    worth = qty * price
    if low is not None and high is not None and not low <= worth <= high:
        f.fail("quantity", f"{format_plain(qty, f.fmt)} {symbol} is worth about ${worth:,.2f}; "
                           f"a crypto order is worth ${low:,.2f} to ${high:,.2f}")
    if side is Side.SELL and held is not None:
        left = held - qty
        if left < 0:
            f.fail("quantity", f"You hold {format_plain(held, f.fmt)} {symbol}")
        elif low is not None and last and 0 < left * last < low:
            f.fail("quantity", f"This would leave less than ${low:,.2f} of {symbol}; sell all "
                               "of it or leave more")


def bracket_sanity(f: Fields, *, long: bool, trade: str, ref: Decimal | None,
                   tp: Decimal | None, sl: Decimal | None, what: str) -> None:
    """A take-profit on the profitable side of the entry (and of the stop-loss), a stop-loss
    on the losing side: the other way round it would fill at once or never protect."""
    above, below = ("above", "below") if long else ("below", "above")
    if tp is not None and sl is not None and (tp <= sl if long else tp >= sl):
        f.fail("take_profit_price", f"For {trade} the take-profit is {above} the stop-loss "
                                    f"{format_plain(sl, f.fmt)}")
    if ref is None:
        return
    if tp is not None and (tp <= ref if long else tp >= ref):
        f.fail("take_profit_price", f"For {trade} the take-profit is {above} the {what} "
                                    f"{format_plain(ref, f.fmt)}")
    if sl is not None and (sl >= ref if long else sl <= ref):
        f.fail("stop_loss_price", f"For {trade} the stop-loss is {below} the {what} "
                                  f"{format_plain(ref, f.fmt)}")


# ---------------------------------------------------------------------------- brackets

Spec = dict[str, Any]
PriceReader = Callable[[str, str], Decimal | None]
_NOT_COPIED = ("position_intent", "limit_price", "stop_price", "trailing_type",
               "trailing_stop_step", "_reduced")


def _copy(entry: Spec, combo: ComboType, side: Side, order_type: OrderType,
          tif: TimeInForce, **prices: Decimal | None) -> Spec:
    """A bracket order: the entry's instrument, quantity and session, its own side, type
    and price; option legs turned to its side (position intent is for the MASTER only)."""
    out = {k: v for k, v in entry.items() if k not in _NOT_COPIED}
    out.update(combo_type=combo, side=side, order_type=order_type, time_in_force=tif, **prices)
    if out.get("legs"):
        out["legs"] = tuple(leg.model_copy(update={"side": side}) for leg in out["legs"])
    return out


def _trade(side: Side) -> str:
    return {Side.BUY: "a buy", Side.SHORT: "a short sale"}.get(side, "a sale")


def bracket_orders(f: Fields, draft: TicketDraft, entry: Spec, ref: Decimal | None,
                   price: PriceReader, *, sides: Sequence[Side], shortable: bool,
                   symbol: str) -> list[Spec]:
    """The orders that follow a MASTER entry: TP_SL and OTOCO close it (take-profit limit,
    stop-loss stop), OTO triggers one follow-up order."""
    if draft.bracket is Bracket.OTO:
        return [_follow_up(f, draft, entry, price, sides, shortable, symbol)]
    option = entry["instrument_type"] is InstrumentType.OPTION
    if not option and draft.side not in (Side.BUY, Side.SHORT):
        f.fail("bracket", "Take-profit and stop-loss orders protect a buy or a short sale; "
                          "to protect shares you hold, use OCO")
        return []
    close = Side.SELL if draft.side is Side.BUY else Side.BUY
    tp_text, sl_text = draft.take_profit_price.strip(), draft.stop_loss_price.strip()
    both = draft.bracket is Bracket.OTOCO
    if not both and not tp_text and not sl_text:
        f.fail("take_profit_price", "Enter a take-profit price, a stop-loss price or both")
        return []
    tp = price("take_profit_price", tp_text) if tp_text or both else None
    sl = price("stop_loss_price", sl_text) if sl_text or both else None
    bracket_sanity(f, long=draft.side is Side.BUY, trade=_trade(draft.side), ref=ref, tp=tp,
                   sl=sl, what="entry price")
    profit, loss = (ComboType.OTOCO, ComboType.OTOCO) if both else (ComboType.STOP_PROFIT,
                                                                   ComboType.STOP_LOSS)
    tif = TimeInForce.DAY if option and close is Side.SELL else draft.tif  # sell-side: DAY
    out = []
    if tp_text or both:
        out.append(_copy(entry, profit, close, OrderType.LIMIT, tif, limit_price=tp))
    if sl_text or both:
        out.append(_copy(entry, loss, close, OrderType.STOP_LOSS, tif, stop_price=sl))
    return out


def _follow_up(f: Fields, draft: TicketDraft, entry: Spec, price: PriceReader,
               sides: Sequence[Side], shortable: bool, symbol: str) -> Spec:
    side, kind = draft.follow_up_side, draft.follow_up_type
    if side not in sides:
        f.fail("follow_up_side", f"The follow-up cannot be a {side_words(side).lower()} order "
                                 "in this account")
    elif side is Side.SHORT and not shortable:
        f.fail("follow_up_side", f"{symbol} cannot be sold short")
    prices: dict[str, Decimal | None] = {}
    if kind is OrderType.LIMIT:
        prices["limit_price"] = price("follow_up_price", draft.follow_up_price)
    elif kind is OrderType.STOP_LOSS:
        prices["stop_price"] = price("follow_up_price", draft.follow_up_price)
    elif kind is not OrderType.MARKET:
        f.fail("follow_up_type", "The follow-up is a market, limit or stop order")
    return _copy(entry, ComboType.OTO, side, kind, draft.tif, **prices)


def oco_orders(f: Fields, draft: TicketDraft, base: Spec, last: Decimal | None,
               price: PriceReader) -> tuple[list[Spec], Decimal | None, Decimal | None]:
    """Two orders closing a position (a sale of shares held, or buying back a short sale):
    a take-profit limit and a stop-loss stop; the first to fill cancels the other."""
    if draft.side not in (Side.BUY, Side.SELL):
        f.fail("side", "An OCO pair closes a position: sell shares you hold, or buy back a "
                       "short sale")
    tp = price("take_profit_price", draft.take_profit_price)
    sl = price("stop_loss_price", draft.stop_loss_price)
    selling = draft.side is Side.SELL
    bracket_sanity(f, long=selling, trade="a sale of shares you hold" if selling
                   else "buying back a short sale", ref=last, tp=tp, sl=sl, what="last price")
    orders = [_copy(base, ComboType.OCO, draft.side, OrderType.LIMIT, draft.tif, limit_price=tp),
              _copy(base, ComboType.OCO, draft.side, OrderType.STOP_LOSS, draft.tif,
                    stop_price=sl)]
    return orders, tp, sl


# ---------------------------------------------------------------------------- order → words

_SIDES = {Side.BUY: "Buy", Side.SELL: "Sell", Side.SHORT: "Sell short"}
_TIFS = {TimeInForce.DAY: "Day", TimeInForce.GTC: "Good till cancelled",
         TimeInForce.IOC: "Immediate or cancel", TimeInForce.FOK: "Fill or kill",
         TimeInForce.GTD: "Good till date"}
_SESSIONS = {TradingSession.CORE: "Core session",
             TradingSession.ALL: "Pre-market, core and after-hours",
             TradingSession.NIGHT: "Overnight session"}
_ROLES = {ComboType.STOP_PROFIT: "take profit", ComboType.STOP_LOSS: "stop loss",
          ComboType.OTO: "then", ComboType.MASTER: "entry"}


def side_words(side: Side) -> str:
    return _SIDES.get(side, side.value.title())


def tif_words(tif: TimeInForce) -> str:
    return _TIFS.get(tif, tif.value)


def type_words(order_type: OrderType) -> str:
    return {OrderType.MARKET: "Market", OrderType.LIMIT: "Limit", OrderType.STOP_LOSS: "Stop",
            OrderType.STOP_LOSS_LIMIT: "Stop limit",
            OrderType.TRAILING_STOP_LOSS: "Trailing stop"}.get(
        order_type, order_type.value.replace("_", " ").capitalize())


def strategy_words(strategy: OptionStrategy) -> str:
    return {OptionStrategy.COVERED_STOCK: "Covered stock",
            OptionStrategy.COLLAR_WITH_STOCK: "Collar with stock",
            OptionStrategy.VERTICAL: "Vertical spread",
            OptionStrategy.CALENDAR: "Calendar spread",
            OptionStrategy.DIAGONAL: "Diagonal spread"}.get(
        strategy, strategy.value.replace("_", " ").capitalize())


def price_text(value: Decimal, fmt: NumberFormat = NumberFormat()) -> str:  # noqa: B008
    """A price with the digits it was typed (and is sent) with: "186.00" stays "186.00"."""
    return format(value, "f").replace(".", fmt.decimal_point)


def trailing_words(kind: TrailingType | None, step: Decimal, fmt: NumberFormat) -> str:
    """A trailing step as the trader typed it: dollars, or percent (the wire has a fraction)."""
    if kind is TrailingType.PERCENTAGE:
        return f"{format_plain(step.scaleb(2), fmt)}%"
    return price_text(step, fmt)


def account_words(account: Account) -> str:
    label = account.account_label or account.account_class.value.replace("_", " ").title()
    return f"account {label} (…{account.account_number[-4:]})"


def order_words(orders: Sequence[NewOrder], account: Account,
                fmt: NumberFormat = NumberFormat()) -> tuple[str, ...]:  # noqa: B008
    """One line per order (the first names the account) and one per leg of a multi-leg
    option order. A combo's later orders are indented and named by their role."""
    lines: list[str] = []
    for i, order in enumerate(orders):
        text = _order_line(order, fmt)
        if i == 0:
            lines.append(f"{text} · {account_words(account)}")
        else:
            lines.append(f"  {_role(order)}: {text}")
        if order.legs and (len(order.legs) > 1 or order.legs[0].instrument_type
                           is not InstrumentType.OPTION):
            lines.extend(f"  leg {n}: {leg_words(leg, fmt)}"
                         for n, leg in enumerate(order.legs, 1))
    return tuple(lines)


def _role(order: NewOrder) -> str:
    if order.combo_type is ComboType.OCO:
        return "or, one cancels the other"
    if order.combo_type is ComboType.OTOCO:
        return "take profit" if order.order_type is OrderType.LIMIT else "stop loss"
    return _ROLES.get(order.combo_type, order.combo_type.value.lower())


def _order_line(order: NewOrder, fmt: NumberFormat) -> str:
    parts = [f"{side_words(order.side)} {_what(order, fmt)}", _price_words(order, fmt),
             tif_words(order.time_in_force)]
    if order.support_trading_session is not None:
        parts.append(_SESSIONS.get(order.support_trading_session,
                                   order.support_trading_session.value))
    if order.position_intent is not None:
        parts.append(order.position_intent.value.replace("_", " ").capitalize())
    return " · ".join(parts)


def _what(order: NewOrder, fmt: NumberFormat) -> str:
    if order.entrust_type is EntrustType.AMOUNT and order.total_cash_amount is not None:
        return f"${order.total_cash_amount:,.2f} of {order.symbol}"
    qty = format_plain(order.quantity, fmt) if order.quantity is not None else "?"
    if order.instrument_type is InstrumentType.OPTION and order.legs:
        if order.option_strategy in (None, OptionStrategy.SINGLE) and len(order.legs) == 1:
            return f"{qty} {_contract(order.legs[0], fmt)}"
        unit = "" if order.quantity == 1 else "s"
        strategy = strategy_words(order.option_strategy or OptionStrategy.SINGLE)
        return f"{qty} {order.symbol} {strategy}{unit}"
    if order.instrument_type is InstrumentType.EVENT and order.event_outcome is not None:
        return f"{qty} {order.event_outcome.value.title()} · {order.symbol}"
    return f"{qty} {order.symbol}"


def _price_words(order: NewOrder, fmt: NumberFormat) -> str:
    kind = order.order_type
    net = ""
    if order.instrument_type is InstrumentType.OPTION and order.legs and len(order.legs) > 1:
        net = " net debit" if order.side is Side.BUY else " net credit"
    if kind is OrderType.TRAILING_STOP_LOSS and order.trailing_stop_step is not None:
        return f"Trailing stop {trailing_words(order.trailing_type, order.trailing_stop_step, fmt)}"
    words = type_words(kind)
    if kind is OrderType.STOP_LOSS_LIMIT and order.stop_price is not None \
            and order.limit_price is not None:
        return (f"Stop {price_text(order.stop_price, fmt)} limit "
                f"{price_text(order.limit_price, fmt)}{net}")
    price = order.limit_price if order.limit_price is not None else order.stop_price
    if price is None:
        return words + net
    return f"{words} {price_text(price, fmt)}{net}"


def _contract(leg: NewOrderLeg, fmt: NumberFormat) -> str:
    if leg.instrument_type is not InstrumentType.OPTION:
        return f"{leg.symbol} shares"
    kind = leg.option_type.value.title() if leg.option_type is not None else ""
    expiry = leg.option_expire_date.isoformat() if leg.option_expire_date else ""
    strike = format_plain(leg.strike_price, fmt) if leg.strike_price is not None else ""
    return f"{leg.symbol} {expiry} {strike} {kind}"


def leg_words(leg: NewOrderLeg, fmt: NumberFormat = NumberFormat()) -> str:  # noqa: B008
    qty = format_plain(leg.quantity, fmt) if leg.quantity is not None else ""
    return f"{side_words(leg.side)} {qty} {_contract(leg, fmt)}"


def change_words(label: str, before: str, after: str) -> str:
    """One line of a modification: "Limit 187.50 → 186.00"."""
    return f"{label} {before} → {after}"
