"""Instrument lists: stocks, crypto, futures contracts, option contracts, event markets.

Stocks, crypto, options and event markets come in ``{data, pagination_key}`` pages; futures
contracts come as a bare array.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import TypeAdapter

from ._types import (
    Currency,
    Dec,
    EmptyIsNone,
    NullIsEmpty,
    OptBool,
    OptDate,
    OptDec,
    OptionCategory,
    OptionType,
    OptStr,
    OptWholeNumber,
    ResponseModel,
    SubCategory,
    TradableStatus,
)

T = TypeVar("T")


class Page(ResponseModel, Generic[T]):
    """One page of a cursor-paginated list. ``pagination_key`` is None on the last page."""

    data: Annotated[tuple[T, ...], NullIsEmpty] = ()
    pagination_key: OptStr = None


_OptCurrency = Annotated[Currency | None, EmptyIsNone]
_OptStatus = Annotated[TradableStatus | None, EmptyIsNone]


class StockInstrument(ResponseModel):
    """A stock or ETF profile. Margin figures are fractions (0.25 = 25 %)."""

    symbol: str
    instrument_id: str
    name: OptStr = None
    exchange_code: OptStr = None  # e.g. NSQ
    category: OptStr = None  # US_STOCK
    status: _OptStatus = None
    shortable: OptBool = None
    fractionable: OptBool = None
    marginable: OptBool = None
    overnight_trading_supported: OptBool = None
    easy_to_borrow: OptBool = None
    margin_requirement_long: OptDec = None
    margin_requirement_short: OptDec = None
    intraday_margin_long: OptDec = None
    intraday_margin_short: OptDec = None
    maintenance_margin_long: OptDec = None
    maintenance_margin_short: OptDec = None
    lot_size: OptDec = None
    currency: _OptCurrency = None
    sub_category: Annotated[SubCategory | None, EmptyIsNone] = None
    etf_leveraged_flag: OptStr = None
    etf_leveraged_factor: OptDec = None
    crypto_etf: OptBool = None


class CryptoInstrument(ResponseModel):
    """A crypto pair (e.g. BTCUSD) with its trade size limits and price step."""

    symbol: str
    instrument_id: str
    name: OptStr = None
    exchange_code: OptStr = None  # CCC
    category: OptStr = None  # US_CRYPTO
    status: _OptStatus = None
    min_trade_amt: OptDec = None
    max_trade_amt: OptDec = None
    min_trade_qty: OptDec = None
    max_trade_qty: OptDec = None
    price_step: OptDec = None
    lot_size: OptDec = None
    currency: _OptCurrency = None


class FuturesContract(ResponseModel):
    """One futures contract (e.g. ESZ6 of product code ES). ``size`` is the multiplier;
    ``contract_month`` stays the wire's ``yyyyMM`` string."""

    symbol: str
    instrument_id: str
    exchange_code: OptStr = None
    code: OptStr = None
    name: OptStr = None
    product_class_id: OptWholeNumber = None
    product_class_name: OptStr = None
    status: _OptStatus = None
    currency: _OptCurrency = None
    contract_month: OptStr = None
    settlement_date: OptDate = None
    size: OptDec = None
    unit: OptStr = None  # "n - label", e.g. "1 - Index points"
    min_tick: OptDec = None
    first_notice_date: OptDate = None
    last_notice_date: OptDate = None
    first_trading_date: OptDate = None
    last_trading_date: OptDate = None
    contract_type: OptStr = None  # MONTHLY | MAIN
    settlement: OptStr = None  # Cash | Physical


class OptionContract(ResponseModel):
    """One listed option (OCC symbol, e.g. AAPL261120C00330000)."""

    instrument_id: str
    symbol: str
    strike_price: Dec
    status: OptStr = None  # LISTING | DELISTING
    tradable_status: _OptStatus = None
    expiration_date: OptDate = None
    root_symbol: OptStr = None
    underlying_symbol: OptStr = None
    underlying_instrument_id: OptStr = None
    underlying_type: OptStr = None
    option_type: Annotated[OptionType | None, EmptyIsNone] = None
    style: Annotated[OptionCategory | None, EmptyIsNone] = None
    multiplier: OptDec = None
    settlement_method: OptStr = None
    expired_cycle: OptStr = None
    ppind: OptBool = None
    currency: _OptCurrency = None
    def_type: OptStr = None
    listed_exchanges: Annotated[tuple[str, ...], NullIsEmpty] = ()
    deliverables: Annotated[tuple[dict[str, Any], ...], NullIsEmpty] = ()


class PriceRange(ResponseModel):
    """Allowed prices from ``start`` to ``end`` in increments of ``step``."""

    start: Dec
    end: Dec
    step: Dec


class EventMarket(ResponseModel):
    """An event contract market (Kalshi-backed), e.g. KXRATECUTCOUNT-26DEC31-T3."""

    instrument_id: str
    symbol: str
    series_id: OptStr = None
    series_symbol: OptStr = None
    series_name: OptStr = None
    event_symbol: OptStr = None
    event_name: OptStr = None
    name: OptStr = None
    yes_condition: OptStr = None
    last_trading_date: OptDate = None
    status: OptStr = None  # NOT_SET | LISTING | DELISTING | OTHER | UNRECOGNIZED
    tradable_status: _OptStatus = None
    can_close_early: OptBool = None
    expected_exp_date: OptDate = None
    latest_exp_date: OptDate = None
    payout_date: OptDate = None
    fractionable: OptBool = None
    price_ranges: Annotated[tuple[PriceRange, ...], NullIsEmpty] = ()


FUTURES_CONTRACTS: TypeAdapter[tuple[FuturesContract, ...]] = TypeAdapter(
    tuple[FuturesContract, ...]
)


def decode_futures_contracts(obj: Any) -> tuple[FuturesContract, ...]:
    """The decoded JSON of the futures contract list → contracts."""
    return FUTURES_CONTRACTS.validate_python(obj)
