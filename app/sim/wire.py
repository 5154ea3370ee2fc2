"""Wire conventions of API.md §4: numbers as strings, timestamp formats, cursor pagination."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from .errors import invalid_parameter

T = TypeVar("T")

CENT = Decimal("0.01")


def quantize(value: Decimal, step: Decimal) -> Decimal:
    """Round to a multiple of ``step`` (half up)."""
    return ((value / step).to_integral_value(ROUND_HALF_UP) * step).quantize(step)


def money(value: Decimal, java_style: bool = False) -> str:
    """A money amount with two decimals, e.g. ``"98250.40"`` (or ``"2.32435219E8"``)."""
    value = value.quantize(CENT, ROUND_HALF_UP)
    if java_style and abs(value) >= Decimal(10) ** 7:
        return java_double(value)
    return f"{value:f}"


def java_double(value: Decimal) -> str:
    """Java's ``Double.toString`` for large magnitudes: ``232435219.00`` → ``2.32435219E8``."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(digits) - 1 + exponent
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def plain(value: Decimal) -> str:
    """A number without trailing zeros or exponent: ``Decimal('2.500')`` → ``"2.5"``."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def fixed(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):f}"


def iso_millis(when: datetime) -> str:
    """``*_at`` fields: ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` UTC."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def token_created_at(when: datetime) -> str:
    """The token endpoint's ``created_at``: ``2024-09-01T19:37:22.532+0000``."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def epoch_millis(when: datetime) -> str:
    return str(int(when.timestamp() * 1000))


# ------------------------------------------------------------------------------ pagination


def condition_of(**filters: object) -> str:
    """A fingerprint of a query's filters, stored in its pagination keys."""
    text = json.dumps(filters, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def encode_key(last_id: str, page_index: int, page_size: int, condition: str) -> str:
    """Opaque base64 JSON, shaped like Webull's keys (API.md §4)."""
    payload = {"v": 1, "lastId": last_id, "pageIndex": page_index, "pageSize": page_size,
               "condition": condition}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_key(key: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.b64decode(key.encode("ascii"), validate=True))
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid_parameter("pagination_key is invalid") from None
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("lastId"), str):
        raise invalid_parameter("pagination_key is invalid")
    return data


def paginate(
    items: Sequence[T],
    item_id: Callable[[T], str],
    pagination_key: str | None,
    page_size: int,
    condition: str,
) -> tuple[list[T], str | None]:
    """One page after the key's ``lastId``, and the key of the next page (None on the last)."""
    start, index = 0, 0
    if pagination_key:
        data = decode_key(pagination_key)
        if data.get("condition") != condition:
            raise invalid_parameter("pagination_key does not belong to this query")
        ids = [item_id(item) for item in items]
        try:
            start = ids.index(data["lastId"]) + 1
        except ValueError:
            raise invalid_parameter("pagination_key is no longer valid") from None
        index = int(data.get("pageIndex", 0)) + 1
    page = list(items[start:start + page_size])
    more = start + page_size < len(items)
    next_key = encode_key(item_id(page[-1]), index, page_size, condition) if more and page else None
    return page, next_key


def paged_body(page: list[dict[str, Any]], next_key: str | None) -> dict[str, Any]:
    """``{data, pagination_key}``; the key is absent on the last page."""
    body: dict[str, Any] = {"data": page}
    if next_key:
        body["pagination_key"] = next_key
    return body


def split_symbols(value: str | None, limit: int = 100, name: str = "symbols") -> list[str] | None:
    """A comma list (or a JSON array) of symbols; at most ``limit``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise invalid_parameter(f"{name} is not a valid list") from None
        if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
            raise invalid_parameter(f"{name} is not a valid list")
        symbols = [s.strip() for s in parsed if s.strip()]
    else:
        symbols = [s.strip() for s in text.split(",") if s.strip()]
    if len(symbols) > limit:
        raise invalid_parameter(f"{name}: at most {limit} per query")
    return list(dict.fromkeys(symbols))
