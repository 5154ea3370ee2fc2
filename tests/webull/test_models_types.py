"""The wire types under the models: decimals, dates and times, open enums."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.webull.models import (
    ClockTime,
    Dec,
    EpochMs,
    InstrumentType,
    OpenEnum,
    OptDate,
    OptDec,
    OptEpochMs,
    OptionStrategy,
    OptStr,
    OptUtcDatetime,
    OrderStatus,
    PosDec,
    ResponseModel,
    Side,
    UtcDatetime,
    parse_decimal,
)

DEC = TypeAdapter(Dec)
OPT_DEC = TypeAdapter(OptDec)


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
    return [e["loc"] for e in exc.value.errors()]


# ------------------------------------------------------------------ decimals


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("180.00", Decimal("180.00")),
        ("-132.75", Decimal("-132.75")),
        ("2.32435219E8", Decimal("232435219")),
        ("3.0558743194E8", Decimal("305587431.94")),
        ("2.32435219E3", Decimal("2324.35219")),
        ("1.2e-3", Decimal("0.0012")),
        ("0.00000001", Decimal("0.00000001")),
        ("0", Decimal(0)),
        ("+5", Decimal(5)),
        (".5", Decimal("0.5")),
        (7, Decimal(7)),
        (-3, Decimal(-3)),
        (Decimal("12.5"), Decimal("12.5")),
        (Decimal("2.32435219E8"), Decimal("232435219")),
    ],
)
def test_decimals_accepted(wire: Any, expected: Decimal) -> None:
    for parse in (DEC.validate_python, OPT_DEC.validate_python, parse_decimal):
        got = parse(wire)
        assert type(got) is Decimal and got == expected


def test_trailing_zeros_are_kept() -> None:
    assert str(DEC.validate_python("180.00")) == "180.00"
    assert str(DEC.validate_python("2.32435219E8")) == "232435219"


@pytest.mark.parametrize(
    "wire",
    ["abc", "", " 1", "1 ", "1\n", "1_000", "١٢", "NaN", "nan", "Infinity", "-Infinity", "inf",
     "sNaN", "1.2.3", "--1", ".", "1e", "1e999", "1e-100", "12" * 40, 1.5, 0.0, float("nan"),
     True, False, Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), None, [1], {},
     Side.BUY, 10**80],
)
def test_decimals_refused(wire: Any) -> None:
    with pytest.raises(ValidationError) as info:
        DEC.validate_python(wire)
    assert info.value.errors()[0]["loc"] == ()
    with pytest.raises(ValueError):
        parse_decimal(wire)


def test_refusal_messages_are_clear_and_do_not_echo_the_value() -> None:
    for bad in ("abc-secret", 1.5, True, "NaN"):
        with pytest.raises(ValidationError) as info:
            DEC.validate_python(bad)
        message = info.value.errors()[0]["msg"]
        assert "decimal" in message and "float" in message and "NaN" in message
        assert str(bad) not in message or bad == "NaN"
    for bad, text in ((1.5, "floats are not accepted"), (True, "boolean"),
                      (Decimal("NaN"), "NaN and infinity"), ("1 ", "not a decimal")):
        with pytest.raises(ValueError, match=text):
            parse_decimal(bad)


def test_optional_decimal_empty_and_null_are_none() -> None:
    assert OPT_DEC.validate_python("") is None
    assert OPT_DEC.validate_python(None) is None
    with pytest.raises(ValidationError):
        OPT_DEC.validate_python(" ")
    with pytest.raises(ValidationError):
        DEC.validate_python(None)


def test_positive_decimal() -> None:
    ta = TypeAdapter(PosDec)
    assert ta.validate_python("0.00000001") == Decimal("1E-8")
    for bad in ("0", "-1", "0.00", 0, 2.5):
        with pytest.raises(ValidationError):
            ta.validate_python(bad)
    with pytest.raises(ValidationError, match="greater than zero"):
        ta.validate_python("-1")


def test_decimal_subclasses_are_read_as_their_base_value() -> None:
    class Text(str):
        pass

    class Number(int):
        pass

    assert parse_decimal(Text("1.50")) == Decimal("1.50")
    assert parse_decimal(Number(4)) == Decimal(4)


# ------------------------------------------------------------------ dates and times


def test_utc_datetimes() -> None:
    ta = TypeAdapter(UtcDatetime)
    got = ta.validate_python("2026-09-21T14:35:12.000Z")
    assert got == datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC) and got.tzinfo is UTC
    token_style = ta.validate_python("2024-09-01T19:37:22.532+0000")
    assert token_style == datetime(2024, 9, 1, 19, 37, 22, 532000, tzinfo=UTC)
    assert token_style.tzinfo is UTC
    shifted = ta.validate_python("2026-09-21T10:35:12-04:00")
    assert shifted == datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC) and shifted.tzinfo is UTC
    aware = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert ta.validate_python(aware) == datetime(2026, 1, 1, tzinfo=UTC)
    for bad in ("2026-09-21T14:35:12", "2026-09-21", "yesterday", "", 1790001312000,
                datetime(2026, 1, 1)):
        with pytest.raises(ValidationError):
            ta.validate_python(bad)
    assert TypeAdapter(OptUtcDatetime).validate_python("") is None


def test_epoch_milliseconds() -> None:
    ta = TypeAdapter(EpochMs)
    expected = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)
    assert ta.validate_python("1790001312000") == expected
    assert ta.validate_python(1790001312000) == expected
    assert ta.validate_python("1790001405120").microsecond == 120000
    assert ta.validate_python("1790001312000").tzinfo is UTC
    for bad in ("", "-1", "1.5", "17900013120000000", "abc", 1.5, True, -5):
        with pytest.raises(ValidationError):
            ta.validate_python(bad)
    opt = TypeAdapter(OptEpochMs)
    assert opt.validate_python("") is None and opt.validate_python("0") is None
    assert opt.validate_python(None) is None


def test_dates_and_clock_times() -> None:
    ta = TypeAdapter(OptDate)
    assert ta.validate_python("2026-10-16") == date(2026, 10, 16)
    assert ta.validate_python("") is None
    assert ta.validate_python(date(2026, 1, 2)) == date(2026, 1, 2)
    for bad in ("20261016", "2026-13-01", "2026-10-16T00:00:00", 20261016,
                datetime(2026, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValidationError):
            ta.validate_python(bad)
    clock = TypeAdapter(ClockTime)
    assert clock.validate_python("09:30:00") == time(9, 30)
    for bad in ("9:30", "09:30:00.5", "25:00:00", time(9, 30, tzinfo=UTC), 930):
        with pytest.raises(ValidationError):
            clock.validate_python(bad)


def test_optional_strings_treat_empty_as_absent() -> None:
    ta = TypeAdapter(OptStr)
    assert ta.validate_python("") is None
    assert ta.validate_python("x") == "x"


# ------------------------------------------------------------------ open enums


def test_unknown_enum_value_becomes_a_stable_pseudo_member() -> None:
    expired = OrderStatus("EXPIRED")
    assert expired is OrderStatus("EXPIRED")
    assert isinstance(expired, OrderStatus) and isinstance(expired, str)
    assert expired.value == "EXPIRED" and expired == "EXPIRED" and str(expired) == "EXPIRED"
    assert f"{expired}" == "EXPIRED" and expired.name == "EXPIRED"
    assert expired.known is False
    assert OrderStatus.FILLED.known is True and OrderStatus("FILLED") is OrderStatus.FILLED
    assert "EXPIRED" not in [m.value for m in OrderStatus]
    assert len(OrderStatus) == 6


def test_pseudo_members_are_per_enum() -> None:
    a, b = Side("CROSS"), InstrumentType("CROSS")
    assert type(a) is Side and type(b) is InstrumentType and a is not b


@pytest.mark.parametrize("bad", ["", "x" * 65, 5, None, b"BUY"])
def test_enum_refuses_non_strings_and_empty(bad: Any) -> None:
    with pytest.raises(ValueError):
        Side(bad)


def test_pydantic_fields_keep_unknown_enum_values() -> None:
    class M(ResponseModel):
        status: OrderStatus
        strategy: OptionStrategy | None = None

    m = M.model_validate({"status": "EXPIRED", "strategy": "JADE_LIZARD"})
    assert m.status is OrderStatus("EXPIRED") and m.status.known is False
    assert m.strategy is OptionStrategy("JADE_LIZARD")
    assert M.model_validate_json('{"status": "EXPIRED"}').status is OrderStatus("EXPIRED")
    assert M.model_validate({"status": "FILLED"}).status is OrderStatus.FILLED
    with pytest.raises(ValidationError) as info:
        M.model_validate({"status": 3})
    assert errors(info) == [("status",)]


def test_pseudo_member_creation_is_thread_safe() -> None:
    got: list[OpenEnum] = []

    def make() -> None:
        got.append(OrderStatus("RACE_CONDITION_VALUE"))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(member is got[0] for member in got)


def test_response_models_are_frozen_and_ignore_new_fields() -> None:
    class M(ResponseModel):
        a: Dec

    m = M.model_validate({"a": "1", "brand_new_field": {"x": 1}})
    assert m.a == 1 and not hasattr(m, "brand_new_field")
    with pytest.raises(ValidationError):
        m.a = Decimal(2)  # type: ignore[misc]
    assert isinstance(m, BaseModel)
