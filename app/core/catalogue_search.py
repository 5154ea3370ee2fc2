"""Searching the instrument lists locally (issue 5): what the trader typed, how each instrument
matches it (exact symbol, then symbol prefix, then name), and which futures product codes a
search should read. Used by app.core.catalogue."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from app.webull.errors import AuthError, RateLimitedError, WebullError
from app.webull.models import (
    CryptoInstrument,
    EventMarket,
    FuturesContract,
    InstrumentType,
    StockInstrument,
    SubCategory,
    TradableStatus,
)

from .catalogue_info import month_words
from .failure_words import read_failure
from .ticket_input import InputError, parse_symbol

#: Futures product codes and their names, for searching futures by code or name: Webull lists
#: contracts only per code (or per contract symbol), and Pennant's client reads no product list.
#: The CME Group's codes of the products Webull offers most; any other code still works with
#: Catalogue.futures_months, or by typing a contract symbol (e.g. HEZ6).
FUTURES_PRODUCTS: Mapping[str, str] = MappingProxyType({
    "ES": "E-mini S&P 500", "MES": "Micro E-mini S&P 500",
    "NQ": "E-mini Nasdaq-100", "MNQ": "Micro E-mini Nasdaq-100",
    "YM": "E-mini Dow", "MYM": "Micro E-mini Dow",
    "RTY": "E-mini Russell 2000", "M2K": "Micro E-mini Russell 2000",
    "CL": "Crude Oil", "MCL": "Micro WTI Crude Oil", "NG": "Natural Gas",
    "GC": "Gold", "MGC": "Micro Gold", "SI": "Silver", "HG": "Copper",
    "ZB": "U.S. Treasury Bond", "ZN": "10-Year T-Note", "ZF": "5-Year T-Note",
    "ZT": "2-Year T-Note", "ZC": "Corn", "ZS": "Soybean", "ZW": "Wheat",
    "6E": "Euro FX", "6J": "Japanese Yen", "6B": "British Pound",
})

T = TypeVar("T")

#: a futures contract symbol: product code, month letter, one or two year digits (ESZ6)
CONTRACT_SYMBOL = re.compile(r"([A-Z0-9]{1,4}?)([FGHJKMNQUVXZ])(\d{1,2})")
#: names are matched from this many characters on (shorter text matches symbols only)
NAME_MIN = 2
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchHit:
    instrument: InstrumentType
    symbol: str
    name: str
    detail: str = ""  # "ETF · NSQ", "Dec 2026 · CME", the event's yes condition …


class CatalogueError(Exception):
    """The instrument lists could not be read; the message says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: the classes search knows (options: their underlyings, from the stock list)
SEARCHED = frozenset({InstrumentType.EQUITY, InstrumentType.OPTION, InstrumentType.FUTURES,
                      InstrumentType.CRYPTO, InstrumentType.EVENT})


@dataclass(frozen=True)
class Entry:
    """One searchable instrument: its symbol, the upper-cased text its name part is matched
    against, and what the hit shows."""

    instrument: InstrumentType
    symbol: str
    names: str
    name: str
    detail: str = ""
    #: orders hits of equal rank before their symbols do (futures: nearest month first)
    position: int = 0

    def hit(self) -> SearchHit:
        return SearchHit(self.instrument, self.symbol, self.name, self.detail)


def parse_query(text: str) -> tuple[str | None, str]:
    """(the text as a symbol, or None if it cannot be one; the text upper-cased for names).

    Look-alike and invisible characters raise CatalogueError with ticket_input's words; ASCII
    text that is no symbol ("apple inc", "S&P") is searched in names only."""
    raw = _SPACES.sub(" ", text.strip())
    if not raw:
        return None, ""
    try:
        return parse_symbol(raw), raw.upper()
    except InputError as exc:
        if any(ord(c) > 127 for c in raw):
            raise CatalogueError(exc.message) from None
        return None, raw.upper()


def symbol_of(text: str) -> str:
    """A symbol as typed, checked by ticket_input (look-alikes refused in its words)."""
    try:
        return parse_symbol(text)
    except InputError as exc:
        raise CatalogueError(exc.message) from None


async def matching(items: AsyncIterator[T], symbol: str) -> T | None:
    """The item of a by-symbol answer that has exactly ``symbol`` (read to the end, so the
    pages' iterator is closed)."""
    found: T | None = None
    async for item in items:
        if found is None and getattr(item, "symbol", None) == symbol:
            found = item
    return found


def rank(entry: Entry, symbol: str | None, words: str) -> int | None:
    """0 exact symbol, 1 symbol prefix, 2 name contains; None: no match."""
    if symbol is not None:
        if entry.symbol == symbol:
            return 0
        if entry.symbol.startswith(symbol):
            return 1
    if len(words) >= NAME_MIN and words in entry.names:
        return 2
    return None


def tradable(item: Any) -> bool:
    """Webull's OC status (events carry it as ``tradable_status``); no status: assume so."""
    status = getattr(item, "tradable_status", None) if isinstance(item, EventMarket) \
        else getattr(item, "status", None)
    return status is None or status == TradableStatus.OC


def stock_entry(item: StockInstrument) -> Entry:
    kind = "ETF" if item.sub_category == SubCategory.ETF else "Stock"
    detail = f"{kind} · {item.exchange_code}" if item.exchange_code else kind
    return Entry(InstrumentType.EQUITY, item.symbol, (item.name or "").upper(), item.name or "",
                 detail)


def option_entry(item: StockInstrument) -> Entry | None:
    """Options are listed on stocks and ETFs: their underlyings come from the stock list."""
    if item.sub_category not in (None, SubCategory.COMMON_STOCK, SubCategory.ETF):
        return None
    return Entry(InstrumentType.OPTION, item.symbol, (item.name or "").upper(), item.name or "",
                 f"Options on {item.symbol}")


def crypto_entry(item: CryptoInstrument) -> Entry:
    name = item.name or item.symbol
    return Entry(InstrumentType.CRYPTO, item.symbol, name.upper(), name, "Crypto")


def event_entry(item: EventMarket) -> Entry:
    names = " ".join(n for n in (item.name, item.event_name, item.series_name,
                                 item.yes_condition) if n)
    return Entry(InstrumentType.EVENT, item.symbol, names.upper(), item.name or item.symbol,
                 item.yes_condition or "")


def futures_entry(item: FuturesContract, product: str = "", position: int = 0) -> Entry:
    names = " ".join(n for n in (item.name, product, item.product_class_name) if n)
    month = month_words(item.contract_month)
    detail = " · ".join(p for p in (month, item.exchange_code) if p)
    return Entry(InstrumentType.FUTURES, item.symbol, names.upper(), item.name or item.symbol,
                 detail, position)


def futures_codes(symbol: str | None, words: str, products: Mapping[str, str],
                  loaded: Collection[str]) -> list[str]:
    """The product codes whose contracts a futures search should look at, best first: the
    code of a typed contract symbol, the typed code, codes it starts, codes whose product name
    contains the text. Codes already read count too (they cost nothing)."""
    ranked: list[tuple[int, int, str]] = []
    if symbol is not None:
        typed = CONTRACT_SYMBOL.fullmatch(symbol)
        if typed is not None:
            ranked.append((0, 0, typed.group(1)))
        for code in (*products, *loaded):
            if code == symbol:
                ranked.append((0, 0, code))
            elif code.startswith(symbol):
                ranked.append((1, len(code), code))
    if len(words) >= 3:
        ranked += [(2, len(code), code) for code, name in products.items()
                   if words in name.upper()]
    out: list[str] = []
    for _, _, code in sorted(ranked):
        if code not in out:
            out.append(code)
    return out


def failure_words(exc: BaseException) -> str:
    """Why a list could not be read, in a trader's words."""
    common = read_failure(exc, "its instrument lists")
    if common is not None:
        return common + ("; try again in a minute" if isinstance(exc, RateLimitedError) else "")
    if isinstance(exc, AuthError):
        return "the sign-in is no longer valid; sign in again"
    if isinstance(exc, WebullError):
        return exc.message
    if isinstance(exc, ValueError):
        return str(exc)
    return "an unexpected problem occurred"
