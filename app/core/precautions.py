"""Precautionary checks on an order before it may be submitted (issue 5).

Each check either blocks (Submit stays disabled, the reason is shown) or advises (shown, and
Submit is allowed once the trader acknowledges it). Which checks run, their limits and their
severity are the user's settings; the defaults below are on. The checks look only at the order
and at what the ticket knows about the market and the position — they never call Webull.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.webull.models import OrderType, Side


class Severity(StrEnum):
    BLOCK = "block"
    ADVISE = "advise"


@dataclass(frozen=True)
class Limits:
    """The trader's precaution settings (on by default)."""

    max_order_value: Decimal | None = Decimal("100000")
    #: futures are valued at their notional (one E-mini is ~$300k): a limit of their own
    max_futures_order_value: Decimal | None = Decimal("2000000")
    max_order_value_severity: Severity = Severity.BLOCK
    max_quantity: Decimal | None = Decimal("10000")
    max_quantity_severity: Severity = Severity.ADVISE
    #: a limit or stop this far from the last price (percent) is probably a typo
    max_deviation_pct: Decimal | None = Decimal("10")
    #: … or this many price ticks away (None: ticks not checked)
    max_deviation_ticks: int | None = None
    deviation_severity: Severity = Severity.ADVISE
    wrong_side_stop_severity: Severity = Severity.BLOCK
    oversized_close_severity: Severity = Severity.BLOCK


@dataclass(frozen=True)
class OrderFacts:
    """What the ticket knows about the order and its instrument."""

    side: Side
    order_type: OrderType
    quantity: Decimal | None
    multiplier: Decimal = Decimal(1)  # 100 for an option contract
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    amount: Decimal | None = None  # a dollar-amount order
    last_price: Decimal | None = None
    tick: Decimal | None = None
    #: the position this order reduces (signed: negative = short), None if none
    position_quantity: Decimal | None = None
    closing: bool = False  # the order reduces a held position (or was opened to close one)
    futures: bool = False  # valued at the contract's notional: the futures limit applies


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str


def order_value(facts: OrderFacts) -> Decimal | None:
    """The order's value at its own price (limit, else stop, else last), or its amount."""
    if facts.amount is not None:
        return facts.amount
    price = facts.limit_price or facts.stop_price or facts.last_price
    if facts.quantity is None or price is None:
        return None
    return facts.quantity * price * facts.multiplier


def check(facts: OrderFacts, limits: Limits = Limits()) -> list[Finding]:  # noqa: B008
    """Every precaution this order trips, blocking ones first."""
    out: list[Finding] = []
    # the size limits guard against opening too much: an order that only reduces a held
    # position lowers the risk, and must never be kept from closing it
    only_reduces = (facts.closing and facts.position_quantity is not None
                    and facts.quantity is not None
                    and facts.quantity <= abs(facts.position_quantity))
    value = order_value(facts)
    over = value_finding(value, limits, futures=facts.futures) \
        if value is not None and not only_reduces else None
    if over is not None:
        out.append(over)
    if limits.max_quantity is not None and facts.quantity is not None and not only_reduces \
            and facts.quantity > limits.max_quantity:
        out.append(Finding("max_quantity", limits.max_quantity_severity,
                           f"{facts.quantity:,f} is more than your limit of "
                           f"{limits.max_quantity:,f} per order."))
    out.extend(_deviation(facts, limits))
    wrong = _wrong_side_stop(facts)
    if wrong:
        out.append(Finding("wrong_side_stop", limits.wrong_side_stop_severity, wrong))
    oversized = _oversized_close(facts)
    if oversized:
        out.append(Finding("oversized_close", limits.oversized_close_severity, oversized))
    return sorted(out, key=lambda f: f.severity is not Severity.BLOCK)


def value_finding(value: Decimal, limits: Limits, *, futures: bool = False) -> Finding | None:
    """The max-order-value check on a known value (the order's own, or the broker's quote)."""
    limit = limits.max_futures_order_value if futures else limits.max_order_value
    if limit is None or value <= limit:
        return None
    kind = "futures " if futures else ""
    return Finding("max_order_value", limits.max_order_value_severity,
                   f"The order is worth about {value:,.2f}, above your {kind}limit of "
                   f"{limit:,.2f}.")


def unknown_value_finding(limits: Limits) -> Finding | None:
    """Said when neither the order nor a quote gives its value: the check could not run."""
    if limits.max_order_value is None:
        return None
    return Finding("max_order_value", Severity.ADVISE,
                   "The order's value is not known (no last price, and no quoted cost that "
                   f"measures it): your limit of {limits.max_order_value:,.2f} per order could "
                   "not be checked.")


def blocking(findings: Sequence[Finding]) -> bool:
    return any(f.severity is Severity.BLOCK for f in findings)


def _deviation(facts: OrderFacts, limits: Limits) -> list[Finding]:
    last = facts.last_price
    if last is None or last <= 0:
        return []
    out = []
    for name, price in (("limit", facts.limit_price), ("stop", facts.stop_price)):
        if price is None:
            continue
        distance = abs(price - last)
        pct = distance / last * 100
        too_far_pct = limits.max_deviation_pct is not None and pct > limits.max_deviation_pct
        ticks = distance / facts.tick if facts.tick else None
        too_far_ticks = (limits.max_deviation_ticks is not None and ticks is not None
                         and ticks > limits.max_deviation_ticks)
        if too_far_pct or too_far_ticks:
            detail = f"{pct:.1f}%" + (f", {ticks:,.0f} ticks" if ticks is not None else "")
            out.append(Finding("price_deviation", limits.deviation_severity,
                               f"The {name} price {price} is {detail} away from the last "
                               f"price {last}."))
    return out


def _wrong_side_stop(facts: OrderFacts) -> str | None:
    """A buy stop below the market (or a sell stop above it) triggers at once."""
    if facts.order_type not in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT) \
            or facts.stop_price is None or facts.last_price is None:
        return None
    buying = facts.side is Side.BUY
    if buying and facts.stop_price <= facts.last_price:
        return (f"A buy stop at {facts.stop_price} is at or below the last price "
                f"{facts.last_price}: it would trigger at once.")
    if not buying and facts.stop_price >= facts.last_price:
        return (f"A sell stop at {facts.stop_price} is at or above the last price "
                f"{facts.last_price}: it would trigger at once.")
    return None


def _oversized_close(facts: OrderFacts) -> str | None:
    """Closing more than the position holds would open a position the other way."""
    held = facts.position_quantity
    if not facts.closing or held is None or facts.quantity is None:
        return None
    if facts.quantity > abs(held):
        return (f"You hold {abs(held):,f}; closing {facts.quantity:,f} would open a new "
                f"{'short' if held > 0 else 'long'} position with the rest.")
    return None


# ---------------------------------------------------------------------------- as settings

_AMOUNTS = ("max_order_value", "max_futures_order_value", "max_quantity", "max_deviation_pct")
_SEVERITIES = ("max_order_value_severity", "max_quantity_severity", "deviation_severity",
               "wrong_side_stop_severity", "oversized_close_severity")


def limits_to_json(limits: Limits) -> dict[str, Any]:
    """The limits as JSON values: amounts as strings (exact), off as null."""
    out: dict[str, Any] = {name: None if getattr(limits, name) is None
                           else str(getattr(limits, name)) for name in _AMOUNTS}
    out["max_deviation_ticks"] = limits.max_deviation_ticks
    out.update({name: getattr(limits, name).value for name in _SEVERITIES})
    return out


def limits_from_json(data: Any) -> tuple[Limits, list[str]]:
    """Limits from the settings file; each unusable value keeps its default (and is named)."""
    if not isinstance(data, dict):
        return Limits(), ["precautions is not an object"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in _AMOUNTS:
        if name not in data:
            continue
        raw = data[name]
        try:
            value = None if raw is None else Decimal(str(raw))
        except ArithmeticError:
            value = Decimal(-1)
        if value is not None and (not value.is_finite() or value <= 0):
            problems.append(f"precautions.{name} {raw!r} is not a positive number")
            continue
        values[name] = value
    if "max_deviation_ticks" in data:
        ticks = data["max_deviation_ticks"]
        if ticks is None or (isinstance(ticks, int) and not isinstance(ticks, bool)
                             and ticks > 0):
            values["max_deviation_ticks"] = ticks
        else:
            problems.append(f"precautions.max_deviation_ticks {ticks!r} is not a whole number "
                            "above zero")
    for name in _SEVERITIES:
        if name in data:
            try:
                values[name] = Severity(data[name])
            except ValueError:
                problems.append(f"precautions.{name} {data[name]!r} is not "
                                f"{Severity.BLOCK.value!r} or {Severity.ADVISE.value!r}")
    return replace(Limits(), **values), problems
