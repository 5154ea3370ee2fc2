"""Balance (``GET /trading/assets/balances/get``) and positions (``…/positions/list``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import TypeAdapter

from ._types import (
    Currency,
    Dec,
    EmptyIsNone,
    EventOutcome,
    InstrumentType,
    MarginCall,
    NullIsEmpty,
    OptDate,
    OptDec,
    OptionStrategy,
    OptionType,
    OptStr,
    ResponseModel,
    parse_decimal,
    validated_by,
)

# ------------------------------------------------------------------ balance


@dataclass(frozen=True, slots=True)
class DayTradesLeft:
    """Pattern-day-trade allowance: a count, or no limit (``count is None``)."""

    count: int | None

    @property
    def unlimited(self) -> bool:
        return self.count is None

    def __str__(self) -> str:
        return "UNLIMITED" if self.count is None else str(self.count)


UNLIMITED_DAY_TRADES = DayTradesLeft(None)


def parse_day_trades_left(value: Any) -> DayTradesLeft | None:
    """``"UNLIMITED"``, a count (number or numeric string), or ``""``/None for absent."""
    if value is None or (type(value) is str and not value):
        return None
    if isinstance(value, DayTradesLeft):
        return value
    if isinstance(value, str) and value.strip().upper() == "UNLIMITED":
        return UNLIMITED_DAY_TRADES
    count = parse_decimal(value)
    if count != count.to_integral_value() or count < 0:
        raise ValueError("expected a whole number of day trades or UNLIMITED")
    return DayTradesLeft(int(count))


def parse_margin_calls(value: Any) -> tuple[MarginCall, ...]:
    """A JSON array of codes (``["EM"]``) or the documented string form (``"['EM']"``)."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        items: list[Any] = [p.strip().strip("'\"").strip() for p in text.split(",")]
        items = [p for p in items if p]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError("expected a list of margin call codes")
    calls = []
    for item in items:
        if type(item) is not str or not item:
            raise ValueError("margin call codes must be non-empty strings")
        calls.append(MarginCall(item))
    return tuple(calls)


DayTrades = Annotated[DayTradesLeft | None, validated_by(parse_day_trades_left)]
MarginCalls = Annotated[tuple[MarginCall, ...], validated_by(parse_margin_calls)]


class CurrencyAssets(ResponseModel):
    """One currency's block of ``account_currency_assets``. Which buying powers are present
    depends on the account: margin accounts may give day/overnight but no ``buying_power``."""

    currency: Currency
    cash_balance: OptDec = None  # "" for EVENTS_CASH accounts
    market_value: Dec
    unrealized_profit_loss: Dec
    settled_cash: OptDec = None
    unsettled_cash: OptDec = None
    held_amount: OptDec = None  # in transit
    frozen_amount: OptDec = None
    buying_power: OptDec = None
    available_withdrawal: OptDec = None
    interests_unpaid: OptDec = None
    net_liquidation_value: OptDec = None
    option_buying_power: OptDec = None
    day_buying_power: OptDec = None
    overnight_buying_power: OptDec = None
    night_trading_buying_power: OptDec = None
    day_profit_loss: OptDec = None
    used_margin: OptDec = None
    used_margin_for_open_order: OptDec = None
    init_margin: OptDec = None
    maintenance_margin: OptDec = None
    intraday_margin: OptDec = None
    margin_excess: OptDec = None
    margin_ratio: OptDec = None


class Balance(ResponseModel):
    """Account balance. Cash and net liquidation value are None for EVENTS_CASH accounts."""

    total_asset_currency: Currency
    total_cash_balance: OptDec = None
    total_market_value: Dec
    total_unrealized_profit_loss: Dec
    total_net_liquidation_value: OptDec = None
    total_day_profit_loss: Dec
    day_trades_left: DayTrades = None  # deprecated by Webull
    maintenance_margin: OptDec = None
    used_margin: OptDec = None
    used_margin_for_open_order: OptDec = None
    init_margin: OptDec = None
    intraday_margin: OptDec = None
    margin_excess: OptDec = None
    margin_ratio: OptDec = None
    open_margin_calls: MarginCalls = ()
    account_currency_assets: Annotated[tuple[CurrencyAssets, ...], NullIsEmpty] = ()

    def currency_assets(self, currency: str = "USD") -> CurrencyAssets | None:
        """The block for ``currency`` (None when the account has none)."""
        for block in self.account_currency_assets:
            if block.currency == currency:
                return block
        return None


BALANCE: TypeAdapter[Balance] = TypeAdapter(Balance)


def decode_balance(obj: Any) -> Balance:
    return BALANCE.validate_python(obj)


# ------------------------------------------------------------------ positions


class PositionLeg(ResponseModel):
    """One leg of an option (or multi-leg) position. ``quantity`` is negative for short legs."""

    leg_id: str
    symbol: str
    quantity: OptDec = None
    option_type: Annotated[OptionType | None, EmptyIsNone] = None
    option_expire_date: OptDate = None
    option_exercise_price: OptDec = None
    option_contract_multiplier: OptDec = None
    option_contract_deliverable: OptDec = None
    expiration_type: OptStr = None  # e.g. AM / PM


class Position(ResponseModel):
    """One position row; option and multi-leg positions carry their ``legs``.

    ``option_strategy`` is None for plain (non-option) positions, which Webull sends as "".
    ``position_id`` is what leg-in/leg-out orders refer to.
    """

    position_id: str
    currency: Currency
    quantity: Dec
    symbol: str
    option_strategy: Annotated[OptionStrategy | None, EmptyIsNone] = None
    instrument_type: InstrumentType
    last_price: Dec
    cost_price: Dec
    unrealized_profit_loss: Dec
    event_outcome: Annotated[EventOutcome | None, EmptyIsNone] = None
    legs: Annotated[tuple[PositionLeg, ...], NullIsEmpty] = ()


POSITIONS: TypeAdapter[tuple[Position, ...]] = TypeAdapter(tuple[Position, ...])


def decode_positions(obj: Any) -> tuple[Position, ...]:
    """The decoded JSON of the positions list → positions (raises pydantic.ValidationError)."""
    return POSITIONS.validate_python(obj)
