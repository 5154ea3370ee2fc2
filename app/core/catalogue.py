"""The instruments the ticket can trade (issue 5): symbol search over Webull's instrument lists,
option chains, futures months and event markets, cached within the instrument rate limits.

Webull has no free-text search endpoint. So each class's whole list (stocks and ETFs, crypto
pairs, event markets; tradable ones only) is read once per session, page by page, on the first
search of that class, and searched here. Concurrent first searches share one read; a failed read
is not remembered, so the next call tries again. Futures can only be listed per product code
(I3 takes ``symbols`` or ``code``), so futures search reads the contracts of the few product
codes the text points to. The facts per instrument are built in catalogue_info.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from app.webull.errors import WebullError
from app.webull.models import (
    EventMarket,
    FuturesContract,
    InstrumentType,
    OptionContract,
    StockInstrument,
)

from .catalogue_info import (
    contract_words,
    crypto_info,
    event_info,
    futures_info,
    option_info,
    parse_occ,
    stock_info,
)
from .catalogue_search import (
    FUTURES_PRODUCTS,
    SEARCHED,
    CatalogueError,
    Entry,
    SearchHit,
    crypto_entry,
    event_entry,
    failure_words,
    futures_codes,
    futures_entry,
    matching,
    option_entry,
    parse_query,
    rank,
    stock_entry,
    symbol_of,
    tradable,
)
from .option_chain import ChainRow, OptionChain, build_chain
from .portfolio import Portfolio
from .ticket import InstrumentInfo

__all__ = [
    "DEFAULT_CHAIN_DAYS", "FUTURES_PRODUCTS", "Catalogue", "CatalogueError", "ChainRow",
    "InstrumentClient", "OptionChain", "SearchHit", "build_chain", "contract_words",
    "crypto_info", "event_info", "futures_info", "option_info", "stock_info",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
ET = ZoneInfo("America/New_York")

#: an option chain covers the expirations of this many days ahead unless asked for more (a
#: whole chain of a busy underlying is many pages, each one of the 10 instrument calls per 30 s)
DEFAULT_CHAIN_DAYS = 120
#: product codes whose contracts one futures search may read (each is one instrument call)
MAX_FUTURES_LOADS = 3
_LIST_WHAT = {InstrumentType.EQUITY: "list of stocks and ETFs",
              InstrumentType.CRYPTO: "list of crypto pairs",
              InstrumentType.EVENT: "list of event markets"}


class InstrumentClient(Protocol):
    """The part of app.webull.client.WebullClient the catalogue uses."""

    def iter_stock_instruments(self, *, symbols: Sequence[str] | None = None,
                               status: str | None = None, sub_category: str | None = None,
                               category: str = "US_STOCK"): ...  # AsyncIterator[StockInstrument]
    def iter_crypto_instruments(self, *, symbols: Sequence[str] | None = None,
                                status: str | None = None): ...
    async def list_futures_contracts(self, *, symbols: Sequence[str] | None = None,
                                     code: str | None = None,
                                     status: str | None = None) -> tuple[FuturesContract, ...]: ...
    def iter_option_contracts(self, **query: Any): ...
    def iter_event_markets(self, **query: Any): ...


def _et_today() -> date:
    return datetime.now(ET).date()


class Catalogue:
    """One per Terminal. Every call is async and goes through the client (so the transport's
    rate limiter applies); results are cached for the session."""

    def __init__(self, client: InstrumentClient, portfolio: Portfolio, *,
                 today: Callable[[], date] = _et_today,
                 futures_products: Mapping[str, str] = FUTURES_PRODUCTS,
                 chain_days: int = DEFAULT_CHAIN_DAYS) -> None:
        self._client = client
        self._portfolio = portfolio
        self._today = today
        self._products = dict(futures_products)
        self._chain_days = chain_days
        self._done: dict[tuple[Any, ...], Any] = {}
        self._running: dict[tuple[Any, ...], asyncio.Task[Any]] = {}
        #: the items of a class list read so far (all of them once the read is done)
        self._partial: dict[InstrumentType, list[Any]] = {}

    # ------------------------------------------------------------------ one read per key

    def _start(self, key: tuple[Any, ...], what: str,
               read: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        task = self._running.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._read(key, what, read))
            # a read nobody waits for any more must not warn "exception never retrieved"
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._running[key] = task
        return task

    async def _read(self, key: tuple[Any, ...], what: str,
                    read: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await read()
        except asyncio.CancelledError:
            self._release(key)
            raise
        except Exception as exc:  # every failure becomes words, and is not remembered
            self._release(key)
            if isinstance(exc, WebullError | ValueError):
                log.warning("reading %s failed: %s", what, exc)  # WebullError is redacted
            else:
                log.exception("reading %s failed unexpectedly", what)
            raise CatalogueError(f"Could not read Webull's {what}: {failure_words(exc)}.") \
                from exc
        self._done[key] = value
        self._release(key)
        return value

    def _release(self, key: tuple[Any, ...]) -> None:
        # only this read's own entry: after forget() a new read of the key may be running
        if self._running.get(key) is asyncio.current_task():
            del self._running[key]

    async def _shared(self, key: tuple[Any, ...], what: str,
                      read: Callable[[], Awaitable[T]]) -> T:
        if key in self._done:
            return self._done[key]  # type: ignore[no-any-return]
        # shielded: a caller that gives up (the trader typed on) leaves the read running
        return await asyncio.shield(self._start(key, what, read))

    # ------------------------------------------------------------------ class lists

    def _pages(self, kind: InstrumentType) -> AsyncIterator[Any]:
        if kind == InstrumentType.EQUITY:
            return self._client.iter_stock_instruments(status="OC")  # type: ignore[no-any-return]
        if kind == InstrumentType.CRYPTO:
            return self._client.iter_crypto_instruments(status="OC")  # type: ignore[no-any-return]
        return self._client.iter_event_markets()  # type: ignore[no-any-return]

    async def _read_list(self, kind: InstrumentType) -> tuple[Any, ...]:
        items: list[Any] = []
        self._partial[kind] = items
        try:
            async for item in self._pages(kind):
                if tradable(item):
                    items.append(item)
        except BaseException:
            self._partial.pop(kind, None)
            raise
        return tuple(items)

    def _list_task(self, kind: InstrumentType) -> Awaitable[tuple[Any, ...]]:
        return self._shared(("list", kind), _LIST_WHAT[kind], lambda: self._read_list(kind))

    def _loaded(self, kind: InstrumentType) -> tuple[Any, ...] | None:
        return self._done.get(("list", kind))

    def is_loaded(self, instrument: InstrumentType) -> bool:
        """Whether searching this class needs no more reading (futures: never fully)."""
        kind = InstrumentType.EQUITY if instrument == InstrumentType.OPTION else instrument
        return self._loaded(kind) is not None

    async def _list_items(self, kind: InstrumentType, wait: bool) -> Sequence[Any]:
        if (done := self._loaded(kind)) is not None:
            return done
        if wait:
            return await self._list_task(kind)
        self._start(("list", kind), _LIST_WHAT[kind], lambda: self._read_list(kind))
        return list(self._partial.get(kind, ()))

    # ------------------------------------------------------------------ search

    async def search(self, text: str, instruments: Sequence[InstrumentType],
                     limit: int = 20, *, wait: bool = True) -> list[SearchHit]:
        """Instruments of the given classes whose symbol starts with, or name contains,
        ``text`` (case-insensitive); exact symbol first. Empty text → [].

        ``wait=False`` answers at once from what has been read so far (the read of a class's
        list goes on in the background); look-alike characters raise CatalogueError."""
        symbol, words = parse_query(text)
        if not words or limit <= 0:
            return []
        found: list[tuple[tuple[int, int, int, int, str], Entry]] = []
        for order, kind in enumerate(k for k in dict.fromkeys(instruments) if k in SEARCHED):
            for entry in await self._entries(kind, symbol, words, wait):
                place = rank(entry, symbol, words)
                if place is not None:
                    key = (place, order, entry.position, len(entry.symbol), entry.symbol)
                    found.append((key, entry))
        found.sort(key=lambda pair: pair[0])
        hits: list[SearchHit] = []
        seen: set[tuple[InstrumentType, str]] = set()
        for _, entry in found:
            if (entry.instrument, entry.symbol) not in seen:
                seen.add((entry.instrument, entry.symbol))
                hits.append(entry.hit())
        return hits[:limit]

    async def _entries(self, kind: InstrumentType, symbol: str | None, words: str,
                       wait: bool) -> Sequence[Entry]:
        if kind == InstrumentType.FUTURES:
            return await self._futures_entries(symbol, words, wait)
        base = InstrumentType.EQUITY if kind == InstrumentType.OPTION else kind
        index_key = ("index", kind)
        if index_key in self._done:
            return self._done[index_key]  # type: ignore[no-any-return]
        items = await self._list_items(base, wait)
        make = {InstrumentType.EQUITY: stock_entry, InstrumentType.OPTION: option_entry,
                InstrumentType.CRYPTO: crypto_entry, InstrumentType.EVENT: event_entry}[kind]
        entries = tuple(e for e in map(make, items) if e is not None)
        if self._loaded(base) is not None:
            self._done[index_key] = entries
        return entries

    async def _futures_entries(self, symbol: str | None, words: str,
                               wait: bool) -> list[Entry]:
        loaded = {key[1] for key in self._done if key[0] == "futures"}
        codes = futures_codes(symbol, words, self._products, loaded)
        fresh = [c for c in codes if c not in loaded][:MAX_FUTURES_LOADS]
        entries: list[Entry] = []
        for code in [c for c in codes if c in loaded] + fresh:
            if wait:
                contracts = await self.futures_months(code)
            elif ("futures", code) in self._done:
                contracts = self._done[("futures", code)]
            else:
                self._start(("futures", code), f"futures contracts of {code}",
                            lambda c=code: self._read_futures(c))  # type: ignore[misc]
                continue
            entries.extend(futures_entry(c, self._products.get(code, ""), i)
                           for i, c in enumerate(contracts))
        return entries

    # ------------------------------------------------------------------ one instrument

    async def info(self, instrument: InstrumentType, symbol: str) -> InstrumentInfo:
        """The ticket's facts about one instrument; raises CatalogueError (unknown symbol,
        lists unreadable). ``last_price`` comes from the positions Pennant holds, if any, with
        ``last_price_source`` saying so — Webull's Connect API has no quote endpoint.

        Options: ``symbol`` is the underlying, or an OCC contract symbol for that contract's
        facts and price. Events: ``last_price`` is the YES price."""
        sym = symbol_of(symbol)
        if instrument == InstrumentType.EQUITY:
            return stock_info(await self._stock(sym), self._portfolio)
        if instrument == InstrumentType.OPTION:
            occ = parse_occ(sym)
            if occ is None:
                return option_info(await self._stock(sym), sym, None, self._portfolio)
            contract = await self._option_contract(sym)
            underlying = self._known_stock(occ.underlying)
            return option_info(underlying, occ.underlying, contract, self._portfolio)
        if instrument == InstrumentType.CRYPTO:
            for item in await self._list_task(InstrumentType.CRYPTO):
                if item.symbol == sym:
                    return crypto_info(item, self._portfolio)
            raise CatalogueError(f"Webull lists no tradable crypto pair {sym} (pairs look like "
                                 f"BTCUSD)")
        if instrument == InstrumentType.FUTURES:
            return futures_info(await self._futures_contract(sym), self._portfolio)
        if instrument == InstrumentType.EVENT:
            return event_info(await self._event_market(sym), self._portfolio)
        raise CatalogueError(f"Pennant cannot trade instruments of the kind {instrument}")

    def _known_stock(self, sym: str) -> StockInstrument | None:
        for item in self._loaded(InstrumentType.EQUITY) or ():
            if item.symbol == sym:
                return item  # type: ignore[no-any-return]
        found = self._done.get(("stock", sym))
        return found if isinstance(found, StockInstrument) else None

    async def _stock(self, sym: str) -> StockInstrument:
        found = self._known_stock(sym)
        if found is None:
            # one call by symbol: cheaper than the whole list, and it also finds liquidate-only
            # and untradable stocks (the list holds tradable ones only)
            found = await self._shared(("stock", sym), f"details of {sym}",
                                       lambda: matching(self._client.iter_stock_instruments(
                                           symbols=[sym]), sym))
        if found is None:
            raise CatalogueError(f"Webull lists no stock or ETF with the symbol {sym}")
        return found

    async def _option_contract(self, occ_symbol: str) -> OptionContract:
        for key, value in self._done.items():
            if key[0] == "chain":
                for contract in value.contracts():
                    if contract.symbol == occ_symbol:
                        return contract  # type: ignore[no-any-return]
        found = await self._shared(("option", occ_symbol), f"details of {occ_symbol}",
                                   lambda: matching(self._client.iter_option_contracts(
                                       option_symbols=[occ_symbol]), occ_symbol))
        if found is None:
            raise CatalogueError(f"Webull lists no option contract {occ_symbol}")
        return found  # type: ignore[no-any-return]

    async def _futures_contract(self, sym: str) -> FuturesContract:
        for key, value in self._done.items():
            if key[0] == "futures":
                for contract in value:
                    if contract.symbol == sym:
                        return contract  # type: ignore[no-any-return]
        if sym in self._products or ("futures", sym) in self._done:
            raise CatalogueError(f"{sym} is a futures product, not a contract: choose one of "
                                 f"its contract months")
        found = await self._shared(("future", sym), f"details of {sym}",
                                   lambda: self._client.list_futures_contracts(symbols=[sym]))
        for contract in found:
            if contract.symbol == sym:
                return contract
        raise CatalogueError(f"Webull lists no futures contract {sym} (contracts look like "
                             f"ESZ6: product, month letter, year)")

    async def _event_market(self, sym: str) -> EventMarket:
        listed = self._loaded(InstrumentType.EVENT)
        found: EventMarket | None = next((m for m in listed or () if m.symbol == sym), None)
        if found is None:
            found = await self._shared(("event", sym), f"details of {sym}",
                                       lambda: matching(self._client.iter_event_markets(
                                           symbols=[sym]), sym))
        if found is None:
            raise CatalogueError(f"Webull lists no event market {sym}")
        return found

    # ------------------------------------------------------------------ chains, months, markets

    async def option_chain(self, underlying: str, *, until: date | None = None) -> OptionChain:
        """The listed contracts of ``underlying`` expiring from today through ``until``
        (default: ``chain_days`` ahead), by expiration and strike. No options listed → a chain
        with no expirations."""
        sym = symbol_of(underlying)
        today = self._today()
        last = until or today + timedelta(days=self._chain_days)

        async def read() -> OptionChain:
            contracts = [c async for c in self._client.iter_option_contracts(
                underlying_symbols=[sym], start_date=today, end_date=last, status="LISTING")]
            return build_chain(sym, (c for c in contracts
                                     if c.underlying_symbol in (None, sym)))

        return await self._shared(("chain", sym, today, last), f"option contracts of {sym}",
                                  read)

    async def futures_months(self, code: str) -> tuple[FuturesContract, ...]:
        """The tradable contracts of a product code (ES, NQ…), nearest month first."""
        sym = symbol_of(code)
        return await self._shared(("futures", sym), f"futures contracts of {sym}",
                                  lambda: self._read_futures(sym))

    async def _read_futures(self, code: str) -> tuple[FuturesContract, ...]:
        contracts = await self._client.list_futures_contracts(code=code, status="OC")
        listed = [c for c in contracts if tradable(c) and c.code in (None, code)]
        listed.sort(key=lambda c: (c.last_trading_date or date.max, c.contract_month or ""))
        return tuple(listed)

    async def event_markets(self, series_or_event: str) -> tuple[EventMarket, ...]:
        """The markets of a series (KXFEDDECISION) or of one event (KXFEDDECISION-26JAN)."""
        sym = symbol_of(series_or_event)
        listed = self._loaded(InstrumentType.EVENT)
        if listed is not None:
            return tuple(m for m in listed if sym in (m.series_symbol, m.event_symbol))
        field = "event_symbol" if "-" in sym else "series_symbol"

        async def read() -> tuple[EventMarket, ...]:
            return tuple([m async for m in self._client.iter_event_markets(**{field: sym})
                          if tradable(m)])

        return await self._shared(("events", sym), f"event markets of {sym}", read)

    # ------------------------------------------------------------------ life cycle

    def forget(self) -> None:
        """Drop everything read, and stop the reads under way (signed out, or another user
        signed in: nothing read for the previous sign-in may land afterwards)."""
        for task in self._running.values():
            task.cancel()
        self._running.clear()
        self._done.clear()
        self._partial.clear()

    async def aclose(self) -> None:
        """Stop the reads still running."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()
