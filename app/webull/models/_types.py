"""Wire types shared by the Webull models: open enums, decimals, dates and times.

Webull sends numbers as strings (sometimes in Java scientific notation), sends ``""`` where a
value is absent, and may add enum values at any time. These validators run tens of thousands
of times per positions or orders response, so the common shapes take fast paths: decimal
strings and enum values are checked inside pydantic-core without calling Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetPydanticSchema
from pydantic_core import core_schema

# ------------------------------------------------------------------ open enums

#: at most this many distinct unknown values are remembered per enum (beyond it they still
#: decode, but each call makes a fresh pseudo-member: equal by value, not identical)
_MAX_PSEUDO_MEMBERS = 256
_MAX_ENUM_VALUE_LEN = 64
_pseudo: dict[type, dict[str, Any]] = {}


class OpenEnum(StrEnum):
    """A string enum that keeps values it does not declare.

    ``OrderStatus("EXPIRED")`` returns a cached pseudo-member whose ``value`` is ``"EXPIRED"``
    and whose ``known`` is False; the same object comes back on every call. Pseudo-members
    are not listed by iteration and compare equal to their string value, like real members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if type(value) is not str or not value or len(value) > _MAX_ENUM_VALUE_LEN:
            return None
        cache = _pseudo.setdefault(cls, {})
        member = cache.get(value)
        if member is None:
            member = str.__new__(cls, value)
            member._name_ = value
            member._value_ = value
            if len(cache) < _MAX_PSEUDO_MEMBERS:
                member = cache.setdefault(value, member)
        return member

    @property
    def known(self) -> bool:
        """True for a declared member, False for a value Webull added later."""
        return type(self)._member_map_.get(self._name_) is self


class Side(OpenEnum):
    BUY = "BUY"
    SELL = "SELL"
    SHORT = "SHORT"


class OrderType(OpenEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TRAILING_STOP_LOSS = "TRAILING_STOP_LOSS"
    MARKET_ON_OPEN = "MARKET_ON_OPEN"
    MARKET_ON_CLOSE = "MARKET_ON_CLOSE"
    LIMIT_ON_OPEN = "LIMIT_ON_OPEN"


class TimeInForce(OpenEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"
    FOK = "FOK"


class TradingSession(OpenEnum):
    CORE = "CORE"
    ALL = "ALL"
    NIGHT = "NIGHT"


class EntrustType(OpenEnum):
    QTY = "QTY"
    AMOUNT = "AMOUNT"


class ComboType(OpenEnum):
    NORMAL = "NORMAL"
    MASTER = "MASTER"
    STOP_PROFIT = "STOP_PROFIT"
    STOP_LOSS = "STOP_LOSS"
    OTO = "OTO"
    OCO = "OCO"
    OTOCO = "OTOCO"


class InstrumentType(OpenEnum):
    EQUITY = "EQUITY"
    OPTION = "OPTION"
    FUTURES = "FUTURES"
    CRYPTO = "CRYPTO"
    EVENT = "EVENT"


class OptionStrategy(OpenEnum):
    SINGLE = "SINGLE"
    COVERED_STOCK = "COVERED_STOCK"
    STRADDLE = "STRADDLE"
    STRANGLE = "STRANGLE"
    VERTICAL = "VERTICAL"
    CALENDAR = "CALENDAR"
    BUTTERFLY = "BUTTERFLY"
    CONDOR = "CONDOR"
    COLLAR_WITH_STOCK = "COLLAR_WITH_STOCK"
    IRON_BUTTERFLY = "IRON_BUTTERFLY"
    IRON_CONDOR = "IRON_CONDOR"
    DIAGONAL = "DIAGONAL"


class OptionType(OpenEnum):
    CALL = "CALL"
    PUT = "PUT"


class OptionCategory(OpenEnum):
    AMERICAN = "AMERICAN"
    EUROPEAN = "EUROPEAN"


class PositionIntent(OpenEnum):
    BUY_TO_OPEN = "BUY_TO_OPEN"
    BUY_TO_CLOSE = "BUY_TO_CLOSE"
    SELL_TO_OPEN = "SELL_TO_OPEN"
    SELL_TO_CLOSE = "SELL_TO_CLOSE"


class LegInOrOut(OpenEnum):
    LEG_IN = "LEG_IN"
    LEG_OUT = "LEG_OUT"


class TrailingType(OpenEnum):
    AMOUNT = "AMOUNT"
    PERCENTAGE = "PERCENTAGE"


class AlgoType(OpenEnum):
    TWAP = "TWAP"
    VWAP = "VWAP"
    POV = "POV"


class EventOutcome(OpenEnum):
    YES = "yes"
    NO = "no"


class EventTradeMode(OpenEnum):
    TRADE_IN_AMOUNT = "TRADE_IN_AMOUNT"
    TRADE_IN_CONTRACT = "TRADE_IN_CONTRACT"


class OrderStatus(OpenEnum):
    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    PARTIAL_FILLED = "PARTIAL_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class Market(OpenEnum):
    US = "US"


class AccountType(OpenEnum):
    CASH = "CASH"
    MARGIN = "MARGIN"


class AccountClass(OpenEnum):
    INDIVIDUAL_CASH = "INDIVIDUAL_CASH"
    INDIVIDUAL_MARGIN = "INDIVIDUAL_MARGIN"
    INDIVIDUAL_MRGN = "INDIVIDUAL_MRGN"
    FUTURES = "FUTURES"
    FUTURES_MRGN = "FUTURES_MRGN"
    CRYPTO = "CRYPTO"
    EVENTS_CASH = "EVENTS_CASH"
    INSTITUTIONAL_CASH = "INSTITUTIONAL_CASH"
    INSTITUTIONAL_MRGN = "INSTITUTIONAL_MRGN"
    INSTITUTIONAL_FUTURES_MRGN = "INSTITUTIONAL_FUTURES_MRGN"


class TradableStatus(OpenEnum):
    OC = "OC"  # open: tradable
    CO = "CO"  # closing only
    NT = "NT"  # not tradable


class Currency(OpenEnum):
    USD = "USD"
    HKD = "HKD"
    CNH = "CNH"
    CAD = "CAD"


class MarginCall(OpenEnum):
    EM = "EM"
    RM = "RM"
    RT = "RT"
    DT = "DT"


class SubCategory(OpenEnum):
    COMMON_STOCK = "COMMON_STOCK"
    ETF = "ETF"
    PREFERRED_STOCK = "PREFERRED_STOCK"
    WARRANT = "WARRANT"
    UNITS = "UNITS"
    RIGHT = "RIGHT"


# ------------------------------------------------------------------ "" means absent


def _empty_to_none(value: Any) -> Any:
    return None if type(value) is str and not value else value


#: put in front of an optional type: ``""`` on the wire becomes None
EmptyIsNone = BeforeValidator(_empty_to_none)



def _null_to_empty(value: Any) -> Any:
    return () if value is None else value


#: put in front of a tuple type: JSON null becomes an empty tuple
NullIsEmpty = BeforeValidator(_null_to_empty)

OptStr = Annotated[str | None, EmptyIsNone]
OptBool = Annotated[bool | None, EmptyIsNone]


def validated_by(parse: Callable[[Any], Any]) -> GetPydanticSchema:
    """Annotated marker: ``parse`` (a plain function) is the whole validation of the field.

    Unlike pydantic's PlainValidator it leaves serialization to type inference, so a dump of
    a model never warns about a datetime rendered as a string.
    """
    schema = core_schema.no_info_plain_validator_function(parse)
    return GetPydanticSchema(lambda _source, _handler: schema)


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def optional(value: Any) -> Any:
        if value is None or (type(value) is str and not value):
            return None
        return parse(value)

    optional.__name__ = f"optional_{parse.__name__}"
    return optional


# ------------------------------------------------------------------ decimals

_MAX_NUMBER_LEN = 64
_MAX_EXPONENT = 99
_INT_LIMIT = 10**_MAX_NUMBER_LEN
#: what Webull sends: plain ("-132.75") or Java scientific ("2.32435219E8") notation, ASCII only.
#: The two-digit exponent bound keeps format(d, "f") short whatever the server sends.
NUMBER_PATTERN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?$"
_NUMBER = re.compile(NUMBER_PATTERN)


def parse_decimal(value: Any) -> Decimal:
    """A decimal from a wire string ("180.00", "-1", "2.32435219E8"), an int or a Decimal.

    Floats are refused (they cannot carry money exactly), and so are bools, NaN, infinity,
    whitespace, underscores, non-ASCII digits and exponents beyond ±99. Trailing zeros are
    kept ("180.00" stays Decimal("180.00")).
    """
    kind = type(value)
    if kind is str:
        if len(value) <= _MAX_NUMBER_LEN and _NUMBER.fullmatch(value):
            return Decimal(value)
        raise ValueError("not a decimal number")
    if kind is int:
        if -_INT_LIMIT < value < _INT_LIMIT:
            return Decimal(value)
        raise ValueError("number out of range")
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError("NaN and infinity are not accepted")
        if value and abs(value.adjusted()) > _MAX_EXPONENT or (
                value.as_tuple().exponent < -_MAX_EXPONENT):  # type: ignore[operator]
            raise ValueError("number out of range")
        return value
    if kind is bool or isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if kind is float:
        raise ValueError("floats are not accepted: pass a str, int or Decimal")
    if isinstance(value, Enum):
        raise ValueError("an enum member is not a number")
    if isinstance(value, str):  # subclasses: use the plain value
        return parse_decimal(str.__str__(value))
    if isinstance(value, int):
        return parse_decimal(int(value))
    if isinstance(value, Decimal):
        return parse_decimal(Decimal(value))
    raise ValueError(f"expected a decimal string, int or Decimal, not {kind.__name__}")


def parse_positive_decimal(value: Any) -> Decimal:
    d = parse_decimal(value)
    if d <= 0:
        raise ValueError("must be greater than zero")
    return d


def parse_optional_decimal(value: Any) -> Decimal | None:
    """Like parse_decimal, but None and "" (Webull's "no value") give None."""
    if value is None or (type(value) is str and not value):
        return None
    return parse_decimal(value)


_DECIMAL_ERROR = ("Input should be a decimal number: a string such as \"12.50\", an int or a "
                  "Decimal (not a float, bool, NaN or infinity)")


def _decimal_schema(optional: bool) -> core_schema.CoreSchema:
    """Wire strings, the common case, are matched and converted without a Python call; other
    inputs (ints, Decimals, "" for optional fields) and errors go through parse_decimal."""
    fast = core_schema.chain_schema([
        core_schema.str_schema(strict=True, max_length=_MAX_NUMBER_LEN, pattern=NUMBER_PATTERN),
        core_schema.decimal_schema(),
    ])
    if optional:
        branches = [fast, core_schema.none_schema(),
                    core_schema.no_info_plain_validator_function(parse_optional_decimal)]
    else:
        branches = [fast, core_schema.no_info_plain_validator_function(parse_decimal)]
    return core_schema.union_schema(branches, mode="left_to_right", custom_error_type="decimal",
                                    custom_error_message=_DECIMAL_ERROR)


#: required decimal
Dec = Annotated[Decimal, GetPydanticSchema(lambda _t, _h: _decimal_schema(False))]
#: optional decimal: None or "" → None
OptDec = Annotated[Decimal | None, GetPydanticSchema(lambda _t, _h: _decimal_schema(True))]
#: decimal > 0 (request quantities and prices)
PosDec = Annotated[Decimal, validated_by(parse_positive_decimal)]
OptPosDec = Annotated[Decimal | None, validated_by(_optional(parse_positive_decimal))]


# ------------------------------------------------------------------ dates and times


def parse_date(value: Any) -> date:
    """``yyyy-MM-dd`` → date (a date object is accepted, a datetime is not)."""
    kind = type(value)
    if kind is str:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("expected a date as yyyy-MM-dd")
    if kind is date:
        return value
    raise ValueError(f"expected a date as yyyy-MM-dd, not {kind.__name__}")


def parse_utc_datetime(value: Any) -> datetime:
    """ISO-8601 with an offset → aware datetime in UTC.

    Takes Webull's ``2026-09-21T14:35:12.000Z`` and the token endpoint's
    ``2024-09-01T19:37:22.532+0000``; refuses times without an offset.
    """
    if type(value) is str:
        if len(value) < 20 or value[10] != "T" or len(value) > 40:
            raise ValueError("expected an ISO-8601 date-time with a UTC offset")
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("expected an ISO-8601 date-time with a UTC offset") from None
    elif isinstance(value, datetime):
        dt = value
    else:
        raise ValueError(f"expected an ISO-8601 date-time string, not {type(value).__name__}")
    tz = dt.tzinfo
    if tz is UTC:
        return dt
    if tz is None or dt.utcoffset() is None:
        raise ValueError("date-time has no UTC offset")
    return dt.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def parse_epoch_ms(value: Any) -> datetime:
    """Epoch milliseconds (a digit string or an int) → aware UTC datetime."""
    kind = type(value)
    if kind is str:
        if not (value.isascii() and value.isdigit() and len(value) <= 15):
            raise ValueError("expected epoch milliseconds")
        ms = int(value)
    elif kind is int:
        ms = value
    else:
        raise ValueError(f"expected epoch milliseconds, not {kind.__name__}")
    if not 0 <= ms <= _MAX_EPOCH_MS:
        raise ValueError("epoch milliseconds out of range")
    return _EPOCH + timedelta(milliseconds=ms)


def _optional_epoch_ms(value: Any) -> datetime | None:
    # Webull's deprecated epoch fields use "" (or "0") for "not yet"
    if value is None or value == "" or value == "0" or (type(value) is int and value == 0):
        return None
    return parse_epoch_ms(value)


def parse_clock_time(value: Any) -> time:
    """``HH:mm:ss`` (a wall-clock time, US/Eastern for algo orders) → naive time."""
    if type(value) is str:
        if len(value) == 8 and value[2] == ":" and value[5] == ":":
            try:
                return time.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("expected a time as HH:mm:ss")
    if type(value) is time:
        if value.tzinfo is not None or value.microsecond:
            raise ValueError("expected a naive time in whole seconds")
        return value
    raise ValueError(f"expected a time as HH:mm:ss, not {type(value).__name__}")


def parse_whole_number(value: Any) -> int:
    """A count from an int or a digit string ("10"); no negatives, bools, floats or fractions."""
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise ValueError("expected a whole number")


WholeNumber = Annotated[int, validated_by(parse_whole_number)]
OptWholeNumber = Annotated[int | None, validated_by(_optional(parse_whole_number))]
Date = Annotated[date, validated_by(parse_date)]
OptDate = Annotated[date | None, validated_by(_optional(parse_date))]
UtcDatetime = Annotated[datetime, validated_by(parse_utc_datetime)]
OptUtcDatetime = Annotated[datetime | None, validated_by(_optional(parse_utc_datetime))]
EpochMs = Annotated[datetime, validated_by(parse_epoch_ms)]
OptEpochMs = Annotated[datetime | None, validated_by(_optional_epoch_ms)]
ClockTime = Annotated[time, validated_by(parse_clock_time)]
OptClockTime = Annotated[time | None, validated_by(_optional(parse_clock_time))]


# ------------------------------------------------------------------ base models


class ResponseModel(BaseModel):
    """A decoded Webull response: immutable, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def wire_value(value: Any) -> Any:
    """One request value in Webull's JSON form: decimals and ints as plain-notation strings,
    enums by value, dates as yyyy-MM-dd, clock times as HH:mm:ss, nested items via to_wire."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "to_wire"):  # a nested request item
        return value.to_wire()
    if isinstance(value, tuple | list):
        return [wire_value(v) for v in value]
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        raise TypeError("datetimes have no wire form in an order body")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    raise TypeError(f"no wire form for {type(value).__name__}")
