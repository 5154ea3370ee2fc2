"""Strict parsing of what a trader types into the order ticket (issue 5).

Every number becomes a Decimal or is refused with a sentence that says what is wrong with that
field; nothing is rounded, guessed or silently cleaned. The number format is the user's locale
(decimal point and digit grouping), handed in by the UI; grouping is accepted only where it is
well formed ("1,234.5", never "1,2,3"). Symbols are plain ASCII: a zero-width character or a
look-alike letter from another alphabet (Cyrillic "А" for Latin "A") is refused by name,
because a ticket for the wrong instrument is worse than no ticket.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class InputError(ValueError):
    """A field the trader typed cannot be used; ``message`` is shown next to the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NumberFormat:
    """The user's decimal point and digit-grouping separator (from their locale)."""

    decimal_point: str = "."
    group_separator: str = ","

    def __post_init__(self) -> None:
        if len(self.decimal_point) != 1 or self.decimal_point.isdigit():
            raise ValueError("the decimal point must be one non-digit character")
        if self.group_separator == self.decimal_point or self.group_separator.isdigit():
            raise ValueError("the group separator must differ from the decimal point")


#: characters that render as nothing (or as a space) and have no business in a ticket
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = "\u00a0\u2007\u202f"  # no-break spaces some locales use for grouping
_DIGITS = re.compile(r"[0-9]+")


def _invisible_name(text: str) -> str | None:
    found = _INVISIBLE.search(text)
    if found is None:
        return None
    char = found.group()
    return f"U+{ord(char):04X} {unicodedata.name(char, 'invisible character')}"


def parse_decimal(
    text: str,
    field: str,
    fmt: NumberFormat = NumberFormat(),  # noqa: B008 - immutable
    *,
    max_places: int | None = None,
    allow_zero: bool = False,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    step: Decimal | None = None,
) -> Decimal:
    """A non-negative decimal number as the user typed it, or InputError saying why not.

    ``max_places`` caps the digits after the decimal point; ``step`` (a tick or lot size)
    requires an exact multiple; ``minimum``/``maximum`` are inclusive bounds."""
    raw = text.strip()
    if not raw:
        raise InputError(field, "enter a number")
    invisible = _invisible_name(raw)
    if invisible is not None:
        raise InputError(field, f"contains an invisible character ({invisible}); retype it")
    if raw[0] in "-−‐–":
        raise InputError(field, "must not be negative")
    if raw[0] == "+":
        raise InputError(field, "enter the number without a sign")
    lowered = raw.lower()
    if lowered in ("nan", "inf", "infinity") or "e" in lowered:
        raise InputError(field, "enter a plain number (no exponent, NaN or infinity)")
    value = _strict_number(raw, field, fmt)
    places = -value.as_tuple().exponent  # type: ignore[operator]
    if max_places is not None and places > max_places:
        unit = "decimal place" if max_places == 1 else "decimal places"
        raise InputError(field, f"at most {max_places} {unit}" if max_places else
                         "must be a whole number")
    if value == 0 and not allow_zero:
        raise InputError(field, "must be more than zero")
    if minimum is not None and value < minimum:
        raise InputError(field, f"must be at least {format_plain(minimum, fmt)}")
    if maximum is not None and value > maximum:
        raise InputError(field, f"must be at most {format_plain(maximum, fmt)}")
    try:
        off_step = step is not None and step > 0 and value % step != 0
    except ArithmeticError:  # beyond the precision of a Decimal context (28 digits)
        raise InputError(field, "the number is too large") from None
    if off_step:
        assert step is not None
        below = value - value % step
        raise InputError(field, f"must be a multiple of {format_plain(step, fmt)} "
                                f"(e.g. {format_plain(below, fmt)} or "
                                f"{format_plain(below + step, fmt)})")
    return value


def _strict_number(raw: str, field: str, fmt: NumberFormat) -> Decimal:
    group = fmt.group_separator
    text = raw
    if group == " " or group in _SPACES:  # a space-grouping locale: any kind of space groups
        for space in (" ", *_SPACES):
            text = text.replace(space, group)
    whole, point, fraction = text.partition(fmt.decimal_point)
    if point and not fraction:
        raise InputError(field, "digits are missing after the decimal point")
    if fraction and not _DIGITS.fullmatch(fraction):
        raise InputError(field, _not_a_number(raw, fmt))
    if not whole:
        whole = "0" if fraction else ""
    if group and group in whole:
        parts = whole.split(group)
        if not (1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])):
            raise InputError(field, f"the digit grouping is not valid ({raw})")
        whole = "".join(parts)
    if not _DIGITS.fullmatch(whole):
        raise InputError(field, _not_a_number(raw, fmt))
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:  # unreachable with the checks above; kept as a guard
        raise InputError(field, _not_a_number(raw, fmt)) from None


def _not_a_number(raw: str, fmt: NumberFormat) -> str:
    example = f"1{fmt.group_separator}234{fmt.decimal_point}50"
    return f"“{raw}” is not a number (for example {example})"


def format_plain(value: Decimal, fmt: NumberFormat = NumberFormat()) -> str:  # noqa: B008
    """A Decimal as the user would type it back: no grouping, their decimal point."""
    text = format(value.normalize() if value == value.to_integral() else value, "f")
    return text.replace(".", fmt.decimal_point)


# ------------------------------------------------------------------------------ symbols

_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,31}")


def parse_symbol(text: str, field: str = "Symbol") -> str:
    """An instrument symbol: ASCII letters, digits and . / - only, upper-cased."""
    raw = text.strip()
    if not raw:
        raise InputError(field, "enter a symbol")
    invisible = _invisible_name(raw)
    if invisible is not None:
        raise InputError(field, f"contains an invisible character ({invisible}); retype it")
    for char in raw:
        if ord(char) > 127:
            name = unicodedata.name(char, "unnamed character")
            raise InputError(field, f"“{char}” is {name}, not a plain letter or digit; "
                                    "symbols use A–Z and 0–9 only")
    if any(c.isspace() for c in raw):
        raise InputError(field, "a symbol has no spaces")
    symbol = raw.upper()
    if not _SYMBOL.fullmatch(symbol):
        raise InputError(field, f"“{raw}” is not a symbol (letters, digits, . / - only)")
    return symbol
