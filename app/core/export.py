"""CSV export of positions and orders (open orders or history).

Numbers are written exactly as Webull sent them (Decimal ``str``, never a float), times as
ISO-8601 UTC. Spreadsheets run a cell that starts with ``= + - @`` (or a tab or carriage
return) as a formula, so such *text* cells are prefixed with ``'``; numeric cells are not text
and a short position stays ``-5``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from app.webull.models import Position

from .rows import OrderRow

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

POSITION_COLUMNS = (
    "position_id", "leg_id", "symbol", "instrument_type", "option_strategy", "currency",
    "quantity", "cost_price", "last_price", "unrealized_profit_loss", "option_type",
    "option_expire_date", "strike_price", "contract_multiplier", "event_outcome",
)

ORDER_COLUMNS = (
    "client_order_id", "order_id", "combo_type", "combo_order_id", "group_client_order_id",
    "symbol", "instrument_type", "option_strategy", "side", "order_type", "time_in_force",
    "status", "entrust_type", "total_quantity", "total_cash_amount", "filled_quantity",
    "filled_price", "limit_price", "stop_price", "place_time", "filled_time", "expire_date",
    "trading_session",
)


def cell(value: Any) -> str:
    """One CSV cell: exact decimals, UTC ISO times, and text guarded against formulas."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("times in an export must be timezone-aware")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    text = value.value if isinstance(value, Enum) else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _writer(out: TextIO, header: tuple[str, ...]) -> Any:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    return writer


def positions_csv(positions: Iterable[Position], out: TextIO) -> int:
    """Write positions (each option leg on an extra row after its position, sharing its
    ``position_id``); returns the number of data rows written, legs included."""
    writer = _writer(out, POSITION_COLUMNS)
    count = 0
    for p in positions:
        writer.writerow([cell(v) for v in (
            p.position_id, None, p.symbol, p.instrument_type, p.option_strategy, p.currency,
            p.quantity, p.cost_price, p.last_price, p.unrealized_profit_loss, None, None, None,
            None, p.event_outcome)])
        count += 1
        for leg in p.legs:
            writer.writerow([cell(v) for v in (
                p.position_id, leg.leg_id, leg.symbol, None, None, None, leg.quantity, None,
                None, None, leg.option_type, leg.option_expire_date, leg.option_exercise_price,
                leg.option_contract_multiplier, None)])
            count += 1
    return count


def orders_csv(rows: Iterable[OrderRow], out: TextIO) -> int:
    """Write one row per order item; returns the number of data rows written."""
    writer = _writer(out, ORDER_COLUMNS)
    count = 0
    for row in rows:
        o = row.item
        writer.writerow([cell(v) for v in (
            o.client_order_id, o.order_id, row.combo_type, row.combo_order_id,
            row.group_client_order_id, o.symbol, o.instrument_type, o.option_strategy, o.side,
            o.order_type, o.time_in_force, o.status, o.entrust_type, o.total_quantity,
            o.total_cash_amount, o.filled_quantity, o.filled_price, o.limit_price, o.stop_price,
            o.place_time_at, o.filled_time_at, o.expire_date, o.support_trading_session)])
        count += 1
    return count
