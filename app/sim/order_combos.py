"""Combo orders (API.md §6.13): which orders may be placed together, and how a combo's members
wait for their MASTER order. The engine's side of combos (a filled MASTER releases its
children, a filled OCO member cancels its siblings) is in orders.py."""

from __future__ import annotations

from .errors import invalid_parameter
from .order_model import Order


def combo_rules(orders: list[Order]) -> None:
    """Combo membership rules (the sub-order table of orderDetail.json, API.md §6.13)."""
    types = [o.combo_type for o in orders]
    if len(orders) == 1 and types[0] == "NORMAL":
        return
    if "NORMAL" in types:
        raise invalid_parameter("a NORMAL order is placed alone")
    kinds = {o.instrument_type for o in orders}
    if kinds - {"EQUITY", "OPTION"} or len(kinds) > 1:
        raise invalid_parameter("combos are for stock orders, or single-leg option orders")
    if "OPTION" in kinds:
        if any(o.option_strategy != "SINGLE" for o in orders):
            raise invalid_parameter("multi-leg option orders support only combo_type NORMAL")
        if set(types) - {"MASTER", "STOP_PROFIT", "STOP_LOSS"}:
            raise invalid_parameter("option orders do not support OTO, OCO or OTOCO")
    masters = [o for o in orders if o.combo_type == "MASTER"]
    if len(masters) > 1:
        raise invalid_parameter("a combo has one MASTER order")
    children = [o for o in orders if o.combo_type != "MASTER"]
    child_types = {o.combo_type for o in children}
    if len(child_types) != 1 and child_types != {"STOP_PROFIT", "STOP_LOSS"}:
        raise invalid_parameter("the sub-orders of a combo must be of one kind")
    kind = next(iter(child_types)) if child_types else ""

    def allowed(order: Order, types_: set[str]) -> None:
        if order.order_type not in types_:
            raise invalid_parameter(f"{order.combo_type} orders cannot be {order.order_type}")

    def count(name: str, low: int, high: int) -> None:
        n = sum(1 for o in children if o.combo_type == name)
        if not low <= n <= high:
            raise invalid_parameter(f"a combo takes {low}-{high} {name} orders")

    stop_types = {"LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"}
    if child_types <= {"STOP_PROFIT", "STOP_LOSS"}:
        count("STOP_PROFIT", 0, 1)
        count("STOP_LOSS", 0, 1)
        if not children:
            raise invalid_parameter("a MASTER order needs a STOP_PROFIT or STOP_LOSS order")
        for m in masters:
            allowed(m, {"MARKET", "LIMIT"})
        for o in children:
            allowed(o, {"LIMIT"} if o.combo_type == "STOP_PROFIT" else {"STOP_LOSS"})
    elif kind == "OCO":
        if masters:
            raise invalid_parameter("OCO orders have no MASTER")
        count("OCO", 2, 6)
        for o in children:
            allowed(o, stop_types)
    elif kind in ("OTO", "OTOCO"):
        if not masters:
            raise invalid_parameter(f"{kind} needs a MASTER order")
        count(kind, 1, 6)
        allowed(masters[0], {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"})
        for o in children:
            allowed(o, {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"} if kind == "OTO"
                    else stop_types)
    if masters:
        master = masters[0]
        for o in children:
            if o.symbol != master.symbol:
                raise invalid_parameter("the orders of a combo trade one symbol")
            if kind != "OTO" and o.side == master.side:
                raise invalid_parameter("take-profit/stop-loss orders close the MASTER order")


def hold_for_master(orders: list[Order]) -> None:
    """The sub-orders of a combo with a MASTER wait (PENDING) until the MASTER fills."""
    masters = {o.symbol for o in orders if o.combo_type == "MASTER"}
    for o in orders:
        if o.combo_type != "MASTER" and o.combo_type != "OCO" and masters:
            o.active = False
            o.status = "PENDING"
