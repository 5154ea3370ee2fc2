"""Strict, locale-aware parsing of ticket input (issue 5), with property-based tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.ticket_input import (
    InputError,
    NumberFormat,
    format_plain,
    parse_decimal,
    parse_symbol,
)

US = NumberFormat(".", ",")
DE = NumberFormat(",", ".")
FR = NumberFormat(",", "\u202f")


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("12", US, "12"), ("1,234.50", US, "1234.50"), ("0.00012345", US, "0.00012345"),
    ("1.234,50", DE, "1234.50"), ("1234,5", DE, "1234.5"), ("1\u202f234,5", FR, "1234.5"),
    ("1 234,5", FR, "1234.5"), (" 7 ", US, "7"), (".5", US, "0.5"),
])
def test_numbers_in_the_users_format(text: str, fmt: NumberFormat, expected: str) -> None:
    value = parse_decimal(text, "Quantity", fmt)
    assert value == Decimal(expected) and str(value) == expected  # exact, nothing rounded


@pytest.mark.parametrize(("text", "words"), [
    ("", "enter a number"), ("abc", "is not a number"), ("-5", "negative"),
    ("−5", "negative"), ("+5", "without a sign"), ("NaN", "no exponent, NaN or infinity"),
    ("inf", "NaN or infinity"), ("1e3", "no exponent"), ("1,2,3", "grouping is not valid"),
    ("12,34", "grouping is not valid"), ("1.", "missing after the decimal point"),
    ("1.2.3", "is not a number"), ("0", "more than zero"), ("1\u200b0", "U+200B"),
    ("١٢", "is not a number"), ("1_000", "is not a number"),
])
def test_garbage_gets_a_specific_message(text: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_decimal(text, "Limit price", US)
    assert info.value.field == "Limit price"
    assert words in info.value.message


def test_decimal_places_ticks_and_bounds() -> None:
    assert parse_decimal("0.12345678", "Qty", max_places=8) == Decimal("0.12345678")
    with pytest.raises(InputError, match="at most 8 decimal places"):
        parse_decimal("0.123456789", "Qty", max_places=8)
    with pytest.raises(InputError, match="whole number"):
        parse_decimal("1.5", "Contracts", max_places=0)
    with pytest.raises(InputError, match=r"multiple of 0.05 \(e.g. 1.10 or 1.15\)"):
        parse_decimal("1.12", "Limit price", step=Decimal("0.05"))
    assert parse_decimal("1.15", "Limit price", step=Decimal("0.05")) == Decimal("1.15")
    with pytest.raises(InputError, match="at least 0.01"):
        parse_decimal("0.001", "Price", minimum=Decimal("0.01"))
    with pytest.raises(InputError, match="at most 0.99"):
        parse_decimal("1", "Price", maximum=Decimal("0.99"))
    assert parse_decimal("0", "Stop", allow_zero=True) == 0


@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e12"), places=8,
                   allow_nan=False, allow_infinity=False),
       st.sampled_from([US, DE, FR]))
def test_what_we_show_parses_back_exactly(value: Decimal, fmt: NumberFormat) -> None:
    grouped = f"{value:,f}".replace(",", "\0").replace(".", fmt.decimal_point) \
        .replace("\0", fmt.group_separator)
    assert parse_decimal(grouped, "Quantity", fmt) == value
    assert parse_decimal(format_plain(value, fmt), "Quantity", fmt) == value


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_a_clear_refusal(text: str) -> None:
    try:
        value = parse_decimal(text, "Quantity", US)
    except InputError as exc:
        assert exc.message and exc.field == "Quantity"
    else:
        assert value.is_finite() and value > 0


@pytest.mark.parametrize(("text", "expected"), [
    ("aapl", "AAPL"), (" BRK.B ", "BRK.B"), ("BTCUSD", "BTCUSD"), ("ESZ6", "ESZ6")])
def test_symbols(text: str, expected: str) -> None:
    assert parse_symbol(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("", "enter a symbol"), ("\u0410APL", "CYRILLIC CAPITAL LETTER A"),
    ("AA\u200bPL", "U+200B"), ("AA PL", "no spaces"), ("AAPL!", "not a symbol"),
    ("ＡAPL", "FULLWIDTH"),
])
def test_look_alike_and_invisible_characters_are_named(text: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_symbol(text)
    assert words in info.value.message


@given(st.text(max_size=20))
def test_any_symbol_text_is_plain_ascii_or_refused(text: str) -> None:
    try:
        symbol = parse_symbol(text)
    except InputError:
        return
    assert symbol.isascii() and symbol == symbol.upper() and " " not in symbol


def test_a_number_beyond_decimal_precision_is_refused_in_words() -> None:
    with pytest.raises(InputError, match="too large"):
        parse_decimal("1" * 40 + ".5", "Limit price", step=Decimal("0.01"))
