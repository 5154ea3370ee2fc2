"""Replacing working orders (API.md §6.9): what a modify item may change on each kind of order,
and applying the changes of a whole request at once, rolled back if buying power does not
cover them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from . import order_fields as fields
from .accounts import Account
from .errors import SimError, business, invalid_parameter
from .instruments import Catalog
from .order_model import CENT, Order
from .order_rules import BUYING_POWER, ORDER_TYPES, check_tick, price_tick
from .orders import OrderBook

REPLACE_FIELDS = {"client_order_id", "time_in_force", "stop_price", "limit_price", "quantity",
                  "order_type", "trailing_type", "trailing_stop_step", "target_vol_percent",
                  "max_target_percent", "algo_start_time", "algo_end_time", "legs"}
#: futures replace (API.md §6.9): order type → (fields it may change, types it may become)
FUTURES_REPLACE = {
    "MARKET": ({"quantity"}, set()),
    "LIMIT": ({"order_type", "time_in_force", "quantity", "limit_price"}, {"MARKET"}),
    "STOP_LOSS": ({"order_type", "time_in_force", "quantity", "stop_price"}, {"MARKET"}),
    "STOP_LOSS_LIMIT": ({"order_type", "time_in_force", "quantity", "limit_price",
                         "stop_price"}, {"LIMIT"}),
    "TRAILING_STOP_LOSS": ({"trailing_stop_step"}, set()),
}


def replace_plan(book: OrderBook, account: Account, item: Any) -> tuple[Order, dict[str, Any]]:
    """The order a modify item names, and the changes it asks for (attribute → value; "legs"
    maps leg ids to quantities, "extra" holds algo fields)."""
    if not isinstance(item, dict):
        raise invalid_parameter("each modify order must be a JSON object")
    unknown = set(item) - REPLACE_FIELDS
    if unknown:
        raise invalid_parameter(f"replace cannot change {', '.join(sorted(unknown))}")
    order = book.find(account, item.get("client_order_id"))
    if order.final:
        raise invalid_parameter(f"the order is already {order.status}")
    if order.instrument_type == "CRYPTO":
        raise invalid_parameter("crypto orders cannot be replaced")
    given = {k for k, v in item.items() if k != "client_order_id" and v not in (None, "")}
    if not given:
        raise invalid_parameter("nothing to change")
    if order.instrument_type == "FUTURES":
        changeable, types = FUTURES_REPLACE[order.order_type]
        if given - changeable:
            raise invalid_parameter(f"a futures {order.order_type} order cannot change "
                                    f"{', '.join(sorted(given - changeable))}")
        new_type = item.get("order_type")
        if new_type and new_type != order.order_type and new_type not in types:
            raise invalid_parameter(f"a futures {order.order_type} order cannot become "
                                    f"{new_type}")
    changes: dict[str, Any] = {}
    new_type = fields.enum(item, "order_type", {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                                "TRAILING_STOP_LOSS"}) or order.order_type
    if new_type not in ORDER_TYPES[order.instrument_type]:
        raise invalid_parameter(f"order_type {new_type} is not supported here")
    if new_type != order.order_type:
        changes["order_type"] = new_type
    tif = fields.enum(item, "time_in_force", {"DAY", "GTC"})
    if tif:
        if order.instrument_type == "OPTION" and order.side == "SELL" and tif != "DAY":
            raise invalid_parameter("sell-side option orders take time_in_force DAY only")
        changes["time_in_force"] = tif
    limit = fields.number(item, "limit_price")
    stop = fields.number(item, "stop_price")
    if new_type in ("LIMIT", "STOP_LOSS_LIMIT") and limit is None and \
            order.limit_price is None:
        raise invalid_parameter("limit_price is required for " + new_type)
    if new_type in ("STOP_LOSS", "STOP_LOSS_LIMIT") and stop is None and \
            order.stop_price is None:
        raise invalid_parameter("stop_price is required for " + new_type)
    if limit is not None:
        if new_type not in ("LIMIT", "STOP_LOSS_LIMIT"):
            raise invalid_parameter("limit_price is not allowed for " + new_type)
        _tick(book.catalog, order, limit)
        changes["limit_price"] = limit
    if stop is not None:
        if new_type not in ("STOP_LOSS", "STOP_LOSS_LIMIT"):
            raise invalid_parameter("stop_price is not allowed for " + new_type)
        _tick(book.catalog, order, stop)
        changes["stop_price"] = stop
    step = fields.number(item, "trailing_stop_step")
    if step is not None:
        if order.order_type != "TRAILING_STOP_LOSS":
            raise invalid_parameter("trailing_stop_step is for trailing stop orders")
        changes["trailing_step"] = step
    quantity = fields.number(item, "quantity")
    if quantity is not None:
        if order.entrust_type == "AMOUNT":
            raise invalid_parameter("AMOUNT orders cannot change their quantity")
        if quantity != quantity.to_integral() and order.instrument_type != "EQUITY":
            raise invalid_parameter("quantity must be whole")
        if quantity <= order.filled_qty:
            raise invalid_parameter("the new quantity must exceed the filled quantity")
        changes["quantity"] = quantity
    if order.instrument_type == "OPTION":
        legs = item.get("legs")
        if quantity is not None or legs:
            if not isinstance(legs, list) or len(legs) != len(order.legs):
                raise invalid_parameter("option replaces list every leg: legs[{id, "
                                        "quantity}]")
            by_id: dict[str, Decimal] = {}
            for leg in legs:
                if not isinstance(leg, dict) or set(leg) != {"id", "quantity"}:
                    raise invalid_parameter("each leg is {id, quantity}")
                qty = fields.number(leg, "quantity", True)
                assert qty is not None
                by_id[str(leg["id"])] = qty
            if set(by_id) != {leg.leg_id for leg in order.legs}:
                raise invalid_parameter("leg ids do not match the order's legs")
            units = quantity or order.quantity
            for leg in order.legs:
                ratio = leg.quantity / order.quantity
                if by_id[leg.leg_id] != ratio * units:
                    raise invalid_parameter("leg quantities must keep the strategy's ratio")
            changes["legs"] = by_id
    elif item.get("legs"):
        raise invalid_parameter("legs are for option orders")
    algo: dict[str, str] = {}
    for name in ("target_vol_percent", "max_target_percent", "algo_start_time",
                 "algo_end_time", "trailing_type"):
        value = item.get(name)
        if value in (None, ""):
            continue
        if name == "trailing_type" and order.order_type == "TRAILING_STOP_LOSS" and \
                value in ("AMOUNT", "PERCENTAGE"):
            changes["trailing_type"] = value
        elif name in order.extra and isinstance(value, str):
            algo[name] = value
        else:
            raise invalid_parameter(f"{name} cannot be changed on this order")
    if algo:
        changes["extra"] = algo
    return order, changes


def _tick(catalog: Catalog, order: Order, price: Decimal) -> None:
    kind = order.instrument_type
    tick = price_tick(catalog, kind, order.symbol, price)
    if kind == "EVENT" and not CENT <= price <= Decimal("0.99"):
        raise invalid_parameter("event prices are $0.01-$0.99")
    check_tick(price, tick)


def apply_plans(book: OrderBook, account: Account, plans: list[tuple[Order, dict[str, Any]]],
                at: datetime) -> None:
    """Apply every plan, or none if the account cannot pay for them; then evaluate the orders
    at their new terms."""
    targets = [order for order, _ in plans]
    backups = [dict(vars(o)) for o in targets]
    leg_backups = [[leg.quantity for leg in o.legs] for o in targets]
    held_before = account.frozen
    spare = book.buying_power(account)
    try:
        for order, changes in plans:
            for name, value in changes.items():
                if name == "legs":
                    for leg in order.legs:
                        leg.quantity = value[leg.leg_id]
                elif name == "extra":
                    order.extra = {**order.extra, **value}
                else:
                    setattr(order, name, value)
            if order.order_type in ("MARKET", "LIMIT", "TRAILING_STOP_LOSS"):
                order.stop_price = None if order.order_type != "TRAILING_STOP_LOSS" \
                    else order.stop_price
            if order.order_type == "MARKET":
                order.limit_price = None
            order.expires_at = book.expiry(order, order.place_time)
        book.refresh_frozen(account, at)
        if account.frozen - held_before > spare:
            raise business(BUYING_POWER, "Insufficient day buying power")
    except SimError:
        for order, backup, legs in zip(targets, backups, leg_backups, strict=True):
            vars(order).update(backup)
            for leg, quantity in zip(order.legs, legs, strict=True):
                leg.quantity = quantity
        book.refresh_frozen(account, at)
        raise
    for order in targets:
        if order.active:
            book.evaluate(order, at)
    book.refresh_frozen(account, at)
