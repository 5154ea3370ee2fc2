"""Orders on the wire: the order-detail / order-list JSON of one order and of a combo group
(API.md §6.11-6.13)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .order_model import CENT, ZERO, Order, stock_leg_wire
from .wire import epoch_millis, iso_millis, plain, quantize


def wire_item(o: Order) -> dict[str, Any]:
    filled_price = (o.filled_value / o.filled_qty) if o.filled_qty else ZERO
    step = Decimal("0.0001") if o.instrument_type != "CRYPTO" else Decimal("0.00000001")
    body: dict[str, Any] = {
        "client_order_id": o.client_order_id,
        "order_id": o.order_id,
        "symbol": o.symbol,
        "side": o.side,
        "status": o.status,
        "order_type": o.order_type,
        "instrument_type": o.instrument_type,
        "entrust_type": o.entrust_type,
        "time_in_force": o.time_in_force,
        "total_quantity": plain(o.quantity),
        "filled_quantity": plain(o.filled_qty),
        "filled_price": _price(quantize(filled_price, step)) if o.filled_qty else "0",
        "place_time": epoch_millis(o.place_time),
        "place_time_at": iso_millis(o.place_time),
    }
    if o.session and o.instrument_type == "EQUITY":
        body["support_trading_session"] = o.session
    if o.expire_date:
        body["expire_date"] = o.expire_date.isoformat()
    if o.limit_price is not None:
        body["limit_price"] = _price(o.limit_price)
    if o.stop_price is not None:
        body["stop_price"] = _price(o.stop_price)
    if o.trailing_type:
        body["trailing_type"] = o.trailing_type
        body["trailing_stop_step"] = plain(o.trailing_step or ZERO)
    if o.filled_time is not None:
        body["filled_time"] = epoch_millis(o.filled_time)
        body["filled_time_at"] = iso_millis(o.filled_time)
    if o.event_outcome:
        body["event_outcome"] = o.event_outcome
    if o.position_intent:
        body["position_intent"] = o.position_intent
    if o.option_strategy:
        body["option_strategy"] = o.option_strategy
    if o.legs:
        body["legs"] = [stock_leg_wire(leg) if leg.option is None else {
            "id": leg.leg_id, "symbol": leg.option.underlying.symbol, "side": leg.side,
            "quantity": plain(leg.quantity), "option_type": leg.option.option_type,
            "option_category": "AMERICAN",
            "strike_price": f"{leg.option.strike:.1f}"
            if leg.option.strike == leg.option.strike.to_integral() else plain(
                leg.option.strike),
            "option_contract_multiplier": "100", "option_contract_deliverable": "100",
            "option_expire_date": leg.option.expiration.isoformat(),
        } for leg in o.legs]
    body.update(o.extra)
    body["commission"] = {"actual_commission": _money(o.commission),
                          "receivable_commission": _money(o.commission)}
    body["fees"] = [{"type": name, "actual_value": _money(value),
                     "receivable_value": _money(value)} for name, value in o.fees.items()]
    return body


def wire_group(group: list[Order]) -> dict[str, Any]:
    first = group[0]
    if not first.combo_order_id:
        return {"client_order_id": first.client_order_id, "combo_order_id": "",
                "combo_type": "NORMAL", "orders": [wire_item(first)]}
    master = next((o for o in group if o.combo_type == "MASTER"), None)
    return {"client_order_id": "", "combo_order_id": first.combo_order_id,
            "combo_type": (master or first).combo_type,
            "orders": [wire_item(o) for o in group]}


def _price(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(CENT) else plain(value)


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):f}"
