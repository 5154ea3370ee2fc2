"""Tickets that start from what already exists (issue 5): replacing a working order (API.md
§6.9), closing a held position, and Pennant's own estimate where Webull has no preview.

A replace sends only what changed (plus every leg of an option order, by leg id, as Webull
requires); the preview of a change is the order rebuilt with its new terms as a new order under
a fresh id, since Webull has no preview for a replace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from app.webull.models import (
    Account,
    EntrustType,
    EventOutcome,
    InstrumentType,
    ModifyLeg,
    ModifyOrder,
    NewOrder,
    NewOrderLeg,
    OptionStrategy,
    OrderItem,
    OrderStatus,
    OrderType,
    Position,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
)

from .order_request import OrderRequest
from .precautions import OrderFacts
from .ticket_input import NumberFormat, format_plain
from .ticket_options import close_legs
from .ticket_words import (
    Fields,
    change_words,
    default_tick,
    price_text,
    tif_words,
    trailing_words,
    type_words,
)

if TYPE_CHECKING:
    from .ticket import InstrumentInfo, TicketDraft

MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)
_WORKING = frozenset({OrderStatus.PENDING, OrderStatus.SUBMITTED, OrderStatus.PARTIAL_FILLED})
_EVENT_PRICES = ((Decimal("0.01"), Decimal("0.99"), Decimal("0.01")),)


class ModifyField(StrEnum):
    QUANTITY = "quantity"
    LIMIT_PRICE = "limit_price"
    STOP_PRICE = "stop_price"
    TIF = "tif"
    ORDER_TYPE = "order_type"
    TRAILING_STEP = "trailing_step"


@dataclass(frozen=True)
class ModifyRules:
    """What a replace of this order may change (API.md §6.9)."""

    fields: frozenset[ModifyField]
    order_types: tuple[OrderType, ...] = ()  # the types it may change to (incl. its own)
    tifs: tuple[TimeInForce, ...] = ()
    why_not: str = ""  # non-empty: the order cannot be modified at all


@dataclass(frozen=True)
class ModifyDraft:
    """The new terms as typed; a blank text field or None keeps the order's own value."""

    quantity: str = ""
    limit_price: str = ""
    stop_price: str = ""
    tif: TimeInForce | None = None
    order_type: OrderType | None = None
    trailing_step: str = ""


@dataclass(frozen=True)
class ModifyResult:
    modification: ModifyOrder | None
    preview_request: OrderRequest | None  # the order as it would stand, for a preview
    errors: dict[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()  # "Limit 150.00 → 149.50", …
    #: the order as it would stand, for the precautions (None when nothing is to be sent)
    facts: OrderFacts | None = None


F = ModifyField
#: order type → (what a replace may change, the types it may become) — API.md §6.9's futures
#: rules, which stocks and options follow too (trailing stock orders may also change quantity)
_BY_TYPE: dict[OrderType, tuple[frozenset[ModifyField], tuple[OrderType, ...]]] = {
    MKT: (frozenset({F.QUANTITY}), (MKT,)),
    LMT: (frozenset({F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE}), (LMT, MKT)),
    STP: (frozenset({F.ORDER_TYPE, F.TIF, F.QUANTITY, F.STOP_PRICE}), (STP, MKT)),
    STPLMT: (frozenset({F.ORDER_TYPE, F.TIF, F.QUANTITY, F.LIMIT_PRICE, F.STOP_PRICE}),
             (STPLMT, LMT)),
    TRAIL: (frozenset({F.TRAILING_STEP}), (TRAIL,)),
}


def modify_rules(item: OrderItem) -> ModifyRules:
    """What a replace may change on ``item`` — or why it cannot be replaced at all."""
    kind = item.instrument_type or InstrumentType.EQUITY
    if item.status not in _WORKING:
        return ModifyRules(frozenset(), why_not=f"The order is {item.status.value.lower()}; "
                                                "only working orders can be changed")
    if kind is InstrumentType.CRYPTO:
        return ModifyRules(frozenset(), why_not="Webull does not allow changing crypto orders; "
                                                "cancel it and place a new one")
    if item.order_type not in _BY_TYPE:
        return ModifyRules(frozenset(), why_not=f"{type_words(item.order_type)} orders cannot "
                                                "be changed here; cancel it and place a new one")
    fields, types = _BY_TYPE[item.order_type]
    if kind is InstrumentType.EQUITY and item.order_type is TRAIL:
        fields = fields | {F.QUANTITY}
    sell_option = kind is InstrumentType.OPTION and item.side is Side.SELL
    tifs: tuple[TimeInForce, ...] = (TimeInForce.DAY,) if sell_option else (TimeInForce.DAY,
                                                                            TimeInForce.GTC)
    if kind is InstrumentType.EVENT:  # limit orders, DAY only
        fields, types = fields & {F.QUANTITY, F.LIMIT_PRICE}, (item.order_type,)
    if item.entrust_type is EntrustType.AMOUNT:
        fields = fields - {F.QUANTITY}
    if F.TIF in fields:
        tifs = (item.time_in_force, *(t for t in tifs if t != item.time_in_force))
    else:
        tifs = (item.time_in_force,)
    if F.ORDER_TYPE not in fields:
        types = (item.order_type,)
    if not fields:
        return ModifyRules(frozenset(), why_not="A dollar-amount market order cannot be "
                                                "changed; cancel it and place a new one")
    return ModifyRules(frozenset(fields), types, tifs)


def build_modify(item: OrderItem, draft: ModifyDraft, instrument: InstrumentInfo | None,
                 account_id: str, preview_id: str, *,
                 fmt: NumberFormat = NumberFormat(),  # noqa: B008
                 position: Position | None = None) -> ModifyResult:
    """The replace of ``item`` with ``draft``'s changes (only what differs), its preview
    request, its words and the facts the precautions check (``position``: what the account
    holds of the instrument, if known) — or messages keyed by ModifyDraft field ("order": the
    whole)."""
    rules = modify_rules(item)
    if rules.why_not:
        return ModifyResult(None, None, {"order": rules.why_not})
    f = Fields(fmt)
    changes, words = _changes(f, item, draft, instrument, rules)
    if f.errors:
        return ModifyResult(None, None, dict(f.errors))
    if not changes:
        return ModifyResult(None, None, {"order": "Nothing changed"})
    units = changes.get("quantity", item.total_quantity)
    legs = None
    if item.instrument_type is InstrumentType.OPTION and item.legs and item.total_quantity:
        legs = tuple(ModifyLeg(id=leg.id, quantity=leg.quantity * units / item.total_quantity)
                     for leg in item.legs)
    try:
        modification = ModifyOrder(client_order_id=item.client_order_id, legs=legs, **changes)
    except ValidationError as exc:
        return ModifyResult(None, None, {"order": str(exc.errors()[0]["msg"])})
    return ModifyResult(modification, _preview(item, changes, account_id, preview_id), {},
                        tuple(words), modify_facts(item, changes, instrument, position))


def modify_facts(item: OrderItem, changes: dict[str, Any], info: InstrumentInfo | None,
                 position: Position | None = None) -> OrderFacts:
    """The order as it would stand after ``changes``, for the precautions: a change can
    make an order too big or move its price far from the market like a new one can."""
    kind = item.instrument_type or InstrumentType.EQUITY
    order_type = changes.get("order_type", item.order_type)
    amount = item.total_cash_amount if item.entrust_type is EntrustType.AMOUNT else None
    last = info.last_price if info is not None else None
    if kind is InstrumentType.OPTION:
        last = None  # the catalogue's price is the underlying's, not the contract's
    elif kind is InstrumentType.EVENT and last is not None \
            and item.event_outcome is EventOutcome.NO:
        last = 1 - last
    tick = info.tick if info is not None and info.tick else (
        default_tick(kind, last) if last else None)
    multiplier = info.multiplier if info is not None and kind in (
        InstrumentType.OPTION, InstrumentType.FUTURES) else Decimal(1)
    if kind is InstrumentType.OPTION and multiplier <= 1:
        multiplier = Decimal(100)  # a standard contract when the chain names none
    held = None
    if position is not None and kind is not InstrumentType.OPTION \
            and position.instrument_type == kind and position.symbol == item.symbol \
            and (kind is not InstrumentType.EVENT or position.event_outcome == item.event_outcome):
        quantity = position.quantity
        if (item.side is Side.SELL and quantity > 0) or (item.side is Side.BUY and quantity < 0):
            held = quantity  # the order reduces what is held
    intent = item.position_intent.value if item.position_intent is not None else ""
    return OrderFacts(
        side=item.side, order_type=order_type,
        quantity=None if amount is not None else changes.get("quantity", item.total_quantity),
        multiplier=multiplier,
        limit_price=changes.get("limit_price", item.limit_price)
        if order_type in (LMT, STPLMT) else None,
        stop_price=changes.get("stop_price", item.stop_price)
        if order_type in (STP, STPLMT) else None,
        amount=amount, last_price=last, tick=tick, position_quantity=held,
        closing=held is not None or intent.endswith("_TO_CLOSE"),
        futures=kind is InstrumentType.FUTURES)


def _changes(f: Fields, item: OrderItem, draft: ModifyDraft, info: InstrumentInfo | None,
             rules: ModifyRules) -> tuple[dict[str, Any], list[str]]:
    """What differs from the order, each checked against the rules, with its words."""
    kind = item.instrument_type or InstrumentType.EQUITY
    fmt, allowed = f.fmt, rules.fields
    changes: dict[str, Any] = {}
    words: list[str] = []
    new_type = draft.order_type or item.order_type
    if new_type != item.order_type:
        others = [type_words(t).lower() for t in rules.order_types if t != item.order_type]
        if new_type not in rules.order_types:
            f.fail("order_type", f"A {type_words(item.order_type).lower()} order can only "
                                 f"become a {' or '.join(others)} order" if others else
                   "The type of this order cannot be changed")
        else:
            changes["order_type"] = new_type
            words.append(change_words("Type", type_words(item.order_type),
                                      type_words(new_type)))
    if draft.tif is not None and draft.tif != item.time_in_force:
        if draft.tif not in rules.tifs:
            f.fail("tif", "This order's time in force can only be "
                          + " or ".join(tif_words(t) for t in rules.tifs))
        else:
            changes["time_in_force"] = draft.tif
            words.append(change_words("Time in force", tif_words(item.time_in_force),
                                      tif_words(draft.tif)))
    if draft.quantity.strip():
        _quantity(f, item, draft.quantity, info, new_type, allowed, changes, words)
    tick = info.tick if info is not None else None
    for name, label, uses, old in (
            ("limit_price", "Limit", (LMT, STPLMT), item.limit_price),
            ("stop_price", "Stop", (STP, STPLMT), item.stop_price)):
        text = getattr(draft, name)
        if new_type not in uses or not text.strip():
            continue  # a price the (new) order type does not use is ignored
        if kind is InstrumentType.EVENT:
            price = f.event_price(name, text, _EVENT_PRICES)
        else:
            price = f.price(name, text, kind, tick)
        if price is not None and price != old:
            if ModifyField(name) not in allowed:
                f.fail(name, f"The {label.lower()} price of this order cannot be changed")
            else:
                changes[name] = price
                words.append(change_words(label, _price(old, fmt), price_text(price, fmt)))
    if item.order_type is TRAIL and draft.trailing_step.strip() and item.trailing_type:
        step = f.trailing("trailing_step", draft.trailing_step, item.trailing_type, kind, tick)
        if step is not None and step != item.trailing_stop_step:
            changes["trailing_stop_step"] = step
            old = (trailing_words(item.trailing_type, item.trailing_stop_step, fmt)
                   if item.trailing_stop_step is not None else "none")
            words.append(change_words("Trailing stop", old,
                                      trailing_words(item.trailing_type, step, fmt)))
    return changes, words


def _quantity(f: Fields, item: OrderItem, text: str, info: InstrumentInfo | None,
              new_type: OrderType, allowed: frozenset[ModifyField], changes: dict[str, Any],
              words: list[str]) -> None:
    fractional = item.instrument_type in (None, InstrumentType.EQUITY) and info is not None \
        and info.fractionable
    qty = f.number("quantity", text, places=5 if fractional else 0)
    filled = item.filled_quantity or Decimal(0)
    if qty is None or qty == item.total_quantity:
        return
    if F.QUANTITY not in allowed:
        f.fail("quantity", "The quantity of this order cannot be changed")
    elif qty <= filled:
        f.fail("quantity", f"{format_plain(filled, f.fmt)} already filled: the new quantity "
                           "must be more than that")
    elif qty != qty.to_integral_value() and new_type is not MKT:
        f.fail("quantity", "Fractional shares trade with market orders only")
    else:
        changes["quantity"] = qty
        words.append(change_words("Quantity", _plain(item.total_quantity, f.fmt),
                                  format_plain(qty, f.fmt)))


def _plain(value: Decimal | None, fmt: NumberFormat) -> str:
    return format_plain(value, fmt) if value is not None else "none"


def _price(value: Decimal | None, fmt: NumberFormat) -> str:
    return price_text(value, fmt) if value is not None else "none"


def _preview(item: OrderItem, changes: dict[str, Any], account_id: str,
             preview_id: str) -> OrderRequest | None:
    """The order as it would stand, as a new order under ``preview_id`` (None when Webull's
    order detail lacks what a new order needs)."""
    kind = item.instrument_type or InstrumentType.EQUITY
    order_type = changes.get("order_type", item.order_type)
    qty = changes.get("quantity", item.total_quantity)
    trailing = order_type is TRAIL
    legs = None
    if kind is InstrumentType.OPTION and item.total_quantity and qty:
        legs = tuple(NewOrderLeg(
            side=leg.side, quantity=leg.quantity * qty / item.total_quantity,
            instrument_type=leg.instrument_type or InstrumentType.OPTION, symbol=item.symbol,
            strike_price=leg.strike_price, option_expire_date=leg.option_expire_date,
            option_type=leg.option_type) for leg in item.legs)
    amount = item.entrust_type is EntrustType.AMOUNT
    try:
        order = NewOrder(
            client_order_id=preview_id, symbol=item.symbol, instrument_type=kind,
            side=item.side, order_type=order_type,
            time_in_force=changes.get("time_in_force", item.time_in_force),
            entrust_type=item.entrust_type,
            support_trading_session=(item.support_trading_session or TradingSession.CORE)
            if kind is InstrumentType.EQUITY else None,
            quantity=None if amount else qty,
            total_cash_amount=item.total_cash_amount if amount else None,
            limit_price=changes.get("limit_price", item.limit_price)
            if order_type in (LMT, STPLMT) else None,
            stop_price=changes.get("stop_price", item.stop_price)
            if order_type in (STP, STPLMT) else None,
            trailing_type=item.trailing_type if trailing else None,
            trailing_stop_step=changes.get("trailing_stop_step", item.trailing_stop_step)
            if trailing else None,
            expire_date=item.expire_date if item.time_in_force is TimeInForce.GTD else None,
            event_outcome=item.event_outcome if kind is InstrumentType.EVENT else None,
            option_strategy=(item.option_strategy or OptionStrategy.SINGLE) if legs else None,
            position_intent=item.position_intent if legs else None,
            legs=legs or None)
        return OrderRequest(account_id, (order,))
    except ValueError:  # pydantic's ValidationError included
        return None


# ---------------------------------------------------------------------------- closing

def _round_to(price: Decimal, tick: Decimal) -> Decimal:
    rounded = (price / tick).to_integral_value(ROUND_HALF_UP) * tick
    return rounded if rounded > 0 else tick


def draft_to_close(account: Account, position: Position,
                   instrument: InstrumentInfo | None = None) -> TicketDraft:
    """A ticket prefilled to close ``position`` (never sent without review): the other side,
    the whole quantity, a DAY limit at the last price rounded to the tick (``instrument``'s,
    when given). Fractional shares trade only at market, so their ticket is MARKET."""
    from .ticket import TicketDraft  # the ticket's types import this module

    kind = position.instrument_type
    held, last = position.quantity, abs(position.last_price)
    qty = abs(held)
    tick = instrument.tick if instrument is not None and instrument.tick else None
    price = _round_to(last, tick or default_tick(kind, last)) if last else None
    draft = TicketDraft(account_id=account.account_id, instrument=kind, symbol=position.symbol,
                        side=Side.SELL if held > 0 else Side.BUY, order_type=LMT,
                        tif=TimeInForce.DAY, quantity=format_plain(qty), closing=True,
                        limit_price=format_plain(price) if price is not None else "")
    if kind is InstrumentType.EQUITY:
        whole = qty == qty.to_integral_value()
        return replace(draft, session=TradingSession.CORE, order_type=LMT if whole else MKT)
    if kind is InstrumentType.EVENT:
        if price is not None:
            price = min(max(price, Decimal("0.01")), Decimal("0.99"))
        return replace(draft, side=Side.SELL, event_outcome=position.event_outcome,
                       limit_price=format_plain(price) if price is not None else "")
    if kind is InstrumentType.OPTION:
        strategy = position.option_strategy or OptionStrategy.SINGLE
        legs = close_legs(position)
        if strategy is OptionStrategy.SINGLE and legs:
            return replace(draft, side=legs[0].side, strategy=strategy, legs=legs,
                           position_intent=PositionIntent(f"{legs[0].side.value}_TO_CLOSE"))
        # a net value below zero was a credit: closing it costs a debit
        side = Side.SELL if held * position.last_price >= 0 else Side.BUY
        return replace(draft, side=side, strategy=strategy, legs=legs)
    return draft


# ---------------------------------------------------------------------------- estimates

@dataclass(frozen=True)
class LocalEstimate:
    """Figures Pennant computed itself where Webull offers no preview (crypto)."""

    cost: Decimal
    fee: Decimal
    basis: str  # what the estimate assumes, in words


#: Webull's crypto spread fee as the simulator charges it: 1 % of the value, at least $0.01
CRYPTO_FEE_RATE = Decimal("0.01")
CRYPTO_MIN_FEE = Decimal("0.01")


def estimate_locally(request: OrderRequest, instrument: InstrumentInfo) -> LocalEstimate | None:
    """Pennant's own cost and fee of a crypto order (Webull previews everything else), or None
    when no price is known to estimate with."""
    order = request.orders[0]
    if order.instrument_type is not InstrumentType.CRYPTO:
        return None
    if order.limit_price is not None:
        price = order.limit_price
        where = ("the stop-limit's limit price" if order.order_type is STPLMT
                 else "the limit price")
    elif instrument.last_price is not None and instrument.last_price > 0:
        price = instrument.last_price
        source = f" ({instrument.last_price_source})" if instrument.last_price_source else ""
        where = f"the last price Pennant knows{source}; a market order fills at the market"
    else:
        return None
    if order.total_cash_amount is not None:
        cost = order.total_cash_amount
        what = f"${cost:,.2f} of {order.symbol}"
    elif order.quantity is not None:
        cost = (order.quantity * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        what = f"{format_plain(order.quantity)} {order.symbol}"
    else:
        return None
    fee = max(CRYPTO_MIN_FEE, (cost * CRYPTO_FEE_RATE).quantize(Decimal("0.01"), ROUND_CEILING))
    basis = (f"Pennant's estimate, not a Webull quote: {what} at {price_text(price)}, "
             f"{where}. Fee: Webull's crypto spread of 1% (at least $0.01).")
    return LocalEstimate(cost, fee, basis)
