"""Display formatting and the small Decimal computations the tables and charts share.

Pure functions without Qt, so they are tested on their own and reused by every view. Display
text uses a real minus sign (U+2212); copying to a spreadsheet turns it back into ``-``.
Money rounds to cents for display; quantities are always shown exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal

from app.core.rows import OrderRow, order_rows
from app.webull.models import (
    ComboType,
    EntrustType,
    InstrumentType,
    OrderGroup,
    OrderItem,
    OrderLeg,
    OrderStatus,
    OrderType,
    Position,
    PositionLeg,
    TimeInForce,
    TradingSession,
    TrailingType,
)

MINUS = "\u2212"
DASH = "—"
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_OPTION_MULTIPLIER = Decimal(100)
_ONE = Decimal(1)
#: wide enough for any number Webull can send (exponents up to ±99): rounding never raises
_WIDE = Context(prec=250)


def _cents(v: Decimal) -> Decimal:
    return v.quantize(_CENT, rounding=ROUND_HALF_UP, context=_WIDE)


def _signed_text(body: str, negative: bool, positive: bool, signed: bool) -> str:
    if negative:
        return MINUS + body
    if signed and positive:
        return "+" + body
    return body


def money(v: Decimal | None, *, signed: bool = False) -> str:
    """Cents with thousands separators; ``signed`` adds ``+`` to gains (losses always show −)."""
    if v is None:
        return DASH
    rounded = _cents(v)
    return _signed_text(format(rounded.copy_abs(), ",f"), rounded < 0, rounded > 0, signed)


def quantity(v: Decimal | None) -> str:
    """The exact quantity, without trailing zeros: ``1,200``, ``0.00012345``, ``−3``."""
    if v is None:
        return DASH
    exact = v.copy_abs().normalize(_WIDE)
    return _signed_text(format(exact, ",f"), v < 0, False, False)


def price(v: Decimal | None) -> str:
    """At least two decimals, more when the price itself has them (``2.6125``)."""
    if v is None:
        return DASH
    exact = v.copy_abs().normalize(_WIDE)
    if exact.as_tuple().exponent > -2:  # type: ignore[operator]
        exact = exact.quantize(_CENT, context=_WIDE)  # only pads zeros: the value is unchanged
    return _signed_text(format(exact, ",f"), v < 0, False, False)


def percent(v: Decimal | None, *, signed: bool = True) -> str:
    """Two decimals and a % sign; gains carry ``+`` unless ``signed`` is False."""
    if v is None:
        return DASH
    rounded = _cents(v)
    return _signed_text(format(rounded.copy_abs(), ",f"), rounded < 0, rounded > 0, signed) + "%"


def age(seconds: float | None) -> str:
    """How long ago, coarsely: the freshness of data the user is looking at."""
    if seconds is None:
        return DASH
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def local_time(at: datetime | None, *, tz: tzinfo | None = None, zone: bool = False) -> str:
    """An aware datetime in the user's zone (or ``tz``); ``zone`` appends its abbreviation."""
    if at is None:
        return DASH
    shown = at.astimezone(tz)
    text = shown.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {shown.tzname()}" if zone else text


def words(value: object) -> str:
    """An enum value as words: ``PARTIAL_FILLED`` → ``Partial filled``."""
    text = str(getattr(value, "value", value)).replace("_", " ").strip()
    return text[:1].upper() + text[1:].lower()


# ------------------------------------------------------------------ positions

_INSTRUMENT_WORDS = {
    InstrumentType.EQUITY: "Stock/ETF",
    InstrumentType.OPTION: "Option",
    InstrumentType.FUTURES: "Futures",
    InstrumentType.CRYPTO: "Crypto",
    InstrumentType.EVENT: "Event contract",
}
_CLASS_BUCKETS = {
    InstrumentType.EQUITY: "Stocks/ETFs",
    InstrumentType.OPTION: "Options",
    InstrumentType.FUTURES: "Futures",
    InstrumentType.CRYPTO: "Crypto",
    InstrumentType.EVENT: "Events",
}


def instrument(kind: InstrumentType | None) -> str:
    if kind is None:
        return DASH
    return _INSTRUMENT_WORDS.get(kind) or words(kind)


def multiplier(p: Position) -> Decimal:
    """Contract multiplier: the legs' for options (100 when Webull leaves it out), else 1."""
    if p.instrument_type is not InstrumentType.OPTION:
        return _ONE
    for leg in p.legs:
        if leg.option_contract_multiplier:
            return leg.option_contract_multiplier
    return _OPTION_MULTIPLIER


def market_value(p: Position) -> Decimal:
    """Quantity × last price × multiplier (negative for short positions)."""
    return p.quantity * p.last_price * multiplier(p)


def pnl_percent(p: Position) -> Decimal | None:
    """Unrealized P&L as a percentage of the cost basis; None when there is no cost."""
    cost = abs(p.quantity) * p.cost_price * multiplier(p)
    if cost == 0:
        return None
    return p.unrealized_profit_loss / cost * _HUNDRED


def description(p: Position) -> str:
    """What the payload can say about a position: strategy and legs, event side, or its type."""
    if p.instrument_type is InstrumentType.OPTION or p.legs:
        strategy = p.option_strategy.value if p.option_strategy is not None else "OPTION"
        count = len(p.legs)
        return f"{strategy} · {count} leg{'s' if count != 1 else ''}" if count else strategy
    if p.event_outcome is not None:
        return p.event_outcome.value.upper()
    return instrument(p.instrument_type)


def position_leg(leg: PositionLeg) -> str:
    """``TSLA 2026-10-16 400 CALL``: enough to tell a leg from its siblings."""
    parts = [leg.symbol]
    if leg.option_expire_date is not None:
        parts.append(leg.option_expire_date.isoformat())
    if leg.option_exercise_price is not None:
        parts.append(quantity(leg.option_exercise_price))
    if leg.option_type is not None:
        parts.append(leg.option_type.value)
    return " ".join(parts)


def leg_side(leg: PositionLeg) -> str:
    kind = leg.option_type.value.lower() if leg.option_type is not None else "stock"
    if leg.quantity is None:
        return kind.capitalize()
    return f"{'Short' if leg.quantity < 0 else 'Long'} {kind}"


def position_label(p: Position) -> str:
    """A short name for a chart bar: the symbol, with the strategy or event side."""
    if p.instrument_type is InstrumentType.OPTION:
        strategy = p.option_strategy.value.lower() if p.option_strategy is not None else "option"
        return f"{p.symbol} {strategy}"
    if p.event_outcome is not None:
        return f"{p.symbol} {p.event_outcome.value.upper()}"
    return p.symbol


def allocation_by_symbol(positions: Iterable[Position],
                         top: int = 8) -> list[tuple[str, Decimal]]:
    """Absolute market value per position label, largest first; the rest summed as "Other"."""
    totals: dict[str, Decimal] = {}
    for p in positions:
        label = position_label(p)
        totals[label] = totals.get(label, Decimal(0)) + abs(market_value(p))
    ranked = sorted(((k, v) for k, v in totals.items() if v != 0),
                    key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) <= top:
        return ranked
    rest = sum((v for _k, v in ranked[top:]), Decimal(0))
    return [*ranked[:top], ("Other", rest)]


def allocation_by_class(positions: Iterable[Position]) -> list[tuple[str, Decimal]]:
    """Absolute market value per asset class, largest first (empty classes left out)."""
    totals: dict[str, Decimal] = {}
    for p in positions:
        bucket = _CLASS_BUCKETS.get(p.instrument_type, "Other")
        totals[bucket] = totals.get(bucket, Decimal(0)) + abs(market_value(p))
    return sorted(((k, v) for k, v in totals.items() if v != 0), key=lambda kv: (-kv[1], kv[0]))


# ------------------------------------------------------------------ orders

_ORDER_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_LOSS: "STOP",
    OrderType.STOP_LOSS_LIMIT: "STOP LIMIT",
    OrderType.TRAILING_STOP_LOSS: "TRAILING STOP",
    OrderType.MARKET_ON_OPEN: "MARKET ON OPEN",
    OrderType.MARKET_ON_CLOSE: "MARKET ON CLOSE",
    OrderType.LIMIT_ON_OPEN: "LIMIT ON OPEN",
}
_TIME_IN_FORCE = {
    TimeInForce.DAY: "Day",
    TimeInForce.GTC: "Good till cancelled",
    TimeInForce.IOC: "Immediate or cancel",
    TimeInForce.FOK: "Fill or kill",
    TimeInForce.GTD: "Good till date",
}
_SESSIONS = {
    TradingSession.CORE: "Regular hours",
    TradingSession.ALL: "Extended hours (pre-market, regular, after-hours)",
    TradingSession.NIGHT: "Overnight",
}


_STATUSES = {OrderStatus.PARTIAL_FILLED: "Partially filled"}


def status(value: OrderStatus) -> str:
    return _STATUSES.get(value) or words(value)


def order_type(kind: OrderType) -> str:
    return _ORDER_TYPES.get(kind) or kind.value.replace("_", " ")


def trailing(item: OrderItem) -> str:
    step = item.trailing_stop_step
    if step is None:
        return DASH
    if item.trailing_type is TrailingType.PERCENTAGE:
        return percent(step * _HUNDRED, signed=False)
    return price(step)


def _amount(item: OrderItem) -> str:
    if item.entrust_type is EntrustType.AMOUNT and item.total_cash_amount is not None:
        return f"${money(item.total_cash_amount)}"
    return quantity(item.total_quantity)


def order_summary(row: OrderRow | OrderItem) -> str:
    """One line in words: ``BUY 10 AAPL LIMIT 187.25 DAY``."""
    item = row.item if isinstance(row, OrderRow) else row
    parts = [item.side.value, _amount(item), item.symbol]
    if item.option_strategy is not None and item.option_strategy.value != "SINGLE":
        parts.append(item.option_strategy.value)
    if item.event_outcome is not None:
        parts.append(item.event_outcome.value.upper())
    parts.append(order_type(item.order_type))
    if item.order_type is OrderType.TRAILING_STOP_LOSS:
        parts.append(trailing(item))
    elif item.stop_price is not None and item.limit_price is not None:
        parts.append(f"stop {price(item.stop_price)} limit {price(item.limit_price)}")
    elif item.stop_price is not None:
        parts.append(price(item.stop_price))
    elif item.limit_price is not None:
        parts.append(price(item.limit_price))
    parts.append(item.time_in_force.value)
    return " ".join(parts)


def average_fill(item: OrderItem) -> Decimal | None:
    """Webull sends ``filled_price`` "0" before any fill: that is no price, not a price of 0."""
    if not item.filled_quantity:
        return None
    return item.filled_price


def order_leg(leg: OrderLeg) -> str:
    parts = [leg.side.value, quantity(leg.quantity), leg.symbol]
    if leg.option_expire_date is not None:
        parts.append(leg.option_expire_date.isoformat())
    if leg.strike_price is not None:
        parts.append(price(leg.strike_price))
    if leg.option_type is not None:
        parts.append(leg.option_type.value)
    return " ".join(parts)


def _rows_of(group_or_rows: OrderGroup | OrderRow | Sequence[OrderRow]) -> list[OrderRow]:
    if isinstance(group_or_rows, OrderGroup):
        return order_rows([group_or_rows])
    if isinstance(group_or_rows, OrderRow):
        return [group_or_rows]
    return list(group_or_rows)


def _time_in_force(item: OrderItem) -> str:
    text = _TIME_IN_FORCE.get(item.time_in_force) or words(item.time_in_force)
    if item.expire_date is not None:
        text += f" ({item.expire_date.isoformat()})"
    return text


_ACRONYMS = frozenset({"SEC", "FINRA", "CAT", "TAF", "ORF", "OCC", "NFA", "ADR", "ETF", "FX"})


def fee_name(kind: str) -> str:
    """``FINRA_CAT_REGULATORY_FEE`` → ``FINRA CAT regulatory fee``."""
    parts = [w if w in _ACRONYMS else w.lower() for w in kind.upper().split("_") if w]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


def _costs(item: OrderItem) -> list[tuple[str, str]]:
    lines = []
    if item.commission is not None:
        c = item.commission
        if c.actual_commission is not None:
            lines.append(("Commission", money(c.actual_commission)))
        elif c.receivable_commission is not None:
            lines.append(("Commission (estimated)", money(c.receivable_commission)))
    for fee in item.fees:
        value = fee.actual_value if fee.actual_value is not None else fee.receivable_value
        lines.append((f"Fee: {fee_name(fee.type)}", money(value)))
    return lines


def order_detail_lines(group_or_rows: OrderGroup | OrderRow | Sequence[OrderRow], *,
                       selected: str | None = None,
                       tz: tzinfo | None = None) -> list[tuple[str, str]]:
    """Label/value pairs for the order detail pane.

    ``group_or_rows`` is a whole group (detail endpoint) or rows of one combo; ``selected``
    (a client_order_id) picks the order described, the others are listed as the combo's
    other orders. Times are shown in the user's zone (or ``tz``) with the zone's name.
    """
    rows = _rows_of(group_or_rows)
    if not rows:
        return [("Order", "No order selected")]
    row = next((r for r in rows if r.key == selected), rows[0])
    item = row.item
    lines = [("Order", order_summary(item)), ("Status", status(item.status)),
             ("Side", words(item.side)), ("Instrument", instrument(item.instrument_type))]
    if item.option_strategy is not None:
        lines.append(("Strategy", words(item.option_strategy)))
    if item.event_outcome is not None:
        lines.append(("Outcome", item.event_outcome.value.upper()))
    if item.entrust_type is EntrustType.AMOUNT:
        lines.append(("Amount", money(item.total_cash_amount)))
    else:
        lines.append(("Quantity", quantity(item.total_quantity)))
    lines.append(("Filled quantity", quantity(item.filled_quantity or Decimal(0))))
    lines.append(("Average fill price", price(average_fill(item))))
    lines.append(("Order type", order_type(item.order_type)))
    if item.limit_price is not None:
        lines.append(("Limit price", price(item.limit_price)))
    if item.stop_price is not None:
        lines.append(("Stop price", price(item.stop_price)))
    if item.trailing_stop_step is not None:
        lines.append(("Trailing stop", trailing(item)))
    lines.append(("Time in force", _time_in_force(item)))
    if item.support_trading_session is not None:
        session = item.support_trading_session
        lines.append(("Session", _SESSIONS.get(session) or words(session)))
    if item.position_intent is not None:
        lines.append(("Intent", words(item.position_intent)))
    lines.append(("Placed", local_time(item.place_time_at, tz=tz, zone=True)))
    if item.filled_time_at is not None:
        lines.append(("Last fill", local_time(item.filled_time_at, tz=tz, zone=True)))
    lines.extend(_costs(item))
    lines.extend((f"Leg {n}", order_leg(leg)) for n, leg in enumerate(item.legs, 1))
    if row.combo_type is not ComboType.NORMAL:
        combo = row.combo_type.value
        lines.append(("Combo", f"{combo} (combo id {row.combo_order_id})"
                      if row.combo_order_id else combo))
        others = [r for r in rows if r is not row]
        lines.extend(("Other order in combo", f"{order_summary(r)} · {status(r.item.status)}")
                     for r in others)
    lines.append(("Order ID", item.order_id))
    lines.append(("Client order ID", item.client_order_id))
    return lines
