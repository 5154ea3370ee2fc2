"""Reading the fields of an order request: text, enumerations, positive decimal numbers, lists
of objects and timestamps, each refused with OPENAPI_PARAM_ERR when malformed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import invalid_parameter

CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}")
#: numbers at or beyond this are refused as parameters (no order is that large)
MAX_NUMBER = Decimal(10) ** 12
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _given(item: dict[str, Any], name: str, required: bool) -> Any:
    """The field's value, or None when it is absent or empty (refused if ``required``)."""
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"{name} is required")
        return None
    return value


def text(item: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = _given(item, name, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} must be a string")
    return value.strip()


def enum(item: dict[str, Any], name: str, allowed: Iterable[str], required: bool = False,
         default: str | None = None) -> str | None:
    value = text(item, name, required and default is None)
    if value is None:
        return default
    if value not in allowed:
        raise invalid_parameter(f"{name} {value!r} is not supported")
    return value


def number(item: dict[str, Any], name: str, required: bool = False) -> Decimal | None:
    value = _given(item, name, required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise invalid_parameter(f"{name} must be a number in a string")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid_parameter(f"{name} is not a number") from None
    if not result.is_finite() or result <= 0:
        raise invalid_parameter(f"{name} must be positive")
    if result >= MAX_NUMBER or places(result) > 10:
        raise invalid_parameter(f"{name} is out of range")
    return result


def object_list(data: dict[str, Any], name: str) -> list[Any]:
    """A required, non-empty list (its items are checked by the caller)."""
    items = data.get(name)
    if not isinstance(items, list) or not items:
        raise invalid_parameter(f"{name} is required")
    return items


def timestamp(value: str | None, name: str) -> datetime | None:
    """A ``yyyy-MM-ddTHH:mm:ss.SSSZ`` query parameter, or None when absent."""
    if value is None:
        return None
    try:
        if len(value) != 24:
            raise ValueError
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise invalid_parameter(f"{name} must be yyyy-MM-ddTHH:mm:ss.SSSZ") from None


def places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def on_step(value: Decimal, step: Decimal) -> bool:
    return (value % step) == 0
