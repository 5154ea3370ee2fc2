"""Instrument endpoints (API.md §6.5): stocks, crypto, futures contracts, option contracts and
event-contract markets, with their filters and cursor pagination.

Lists with a ``pagination_key`` return ``{data, pagination_key}`` (key absent on the last page);
futures contracts are a bare array. Unknown symbols are left out silently. The option chain
needs an underlying, option symbols or a root symbol (a whole-market chain is not offered).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import calendar as cal
from .assets_api import one_param, trading_routes
from .errors import invalid_parameter
from .wire import condition_of, paged_body, paginate, split_symbols

if TYPE_CHECKING:
    from .state import SimState

TRADABLE = ("OC", "CO", "NT")


def _enum(request: Request, name: str, allowed: Sequence[str], required: bool = False
          ) -> str | None:
    value = one_param(request, name, required)
    if value is not None and value not in allowed:
        raise invalid_parameter(f"{name} must be one of {', '.join(allowed)}")
    return value


def _date(request: Request, name: str) -> date | None:
    value = one_param(request, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_parameter(f"{name} must be a date yyyy-MM-dd") from None


def _decimal(request: Request, name: str) -> Decimal | None:
    value = one_param(request, name)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise invalid_parameter(f"{name} must be a number") from None
    if not number.is_finite():
        raise invalid_parameter(f"{name} must be a number")
    return number


class InstrumentsApi:
    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        table: list[tuple[str, Callable[[Request], Any]]] = [
            ("/trading/instruments/stocks/profiles/list", self.stocks),
            ("/trading/instruments/crypto/profiles/list", self.crypto),
            ("/trading/instruments/futures/contracts/list", self.futures),
            ("/trading/instruments/options/contracts/list", self.options),
            ("/trading/instruments/event-contracts/markets/list", self.event_markets),
        ]
        return [r for path, handler in table for r in trading_routes(path, handler, ["GET"])]

    def _page(self, request: Request, items: Sequence[Any], **filters: object) -> Response:
        page, key = paginate(items, lambda i: i.instrument_id,
                             one_param(request, "pagination_key"), self.state.config.page_size,
                             condition_of(**filters))
        return JSONResponse(paged_body([i.wire() for i in page], key))

    async def stocks(self, request: Request) -> Response:
        await self.state.auth.authenticate(request, "stock_instruments")
        _enum(request, "category", ["US_STOCK"], required=True)
        symbols = split_symbols(one_param(request, "symbols"))
        status = _enum(request, "status", TRADABLE)
        sub = _enum(request, "sub_category", ["COMMON_STOCK", "ETF", "PREFERRED_STOCK",
                                              "WARRANT", "UNITS", "RIGHT"])
        items = sorted(self.state.catalog.stocks.values(), key=lambda s: s.symbol)
        if symbols is not None:
            wanted = set(symbols)
            items = [s for s in items if s.symbol in wanted]
            sub = None  # only effective without symbols
        if status:
            items = [s for s in items if s.ref.status == status]
        if sub:
            items = [s for s in items if s.wire()["sub_category"] == sub]
        return self._page(request, items, kind="stocks", symbols=symbols, status=status, sub=sub)

    async def crypto(self, request: Request) -> Response:
        await self.state.auth.authenticate(request, "crypto_instruments")
        _enum(request, "category", ["US_CRYPTO"], required=True)
        symbols = split_symbols(one_param(request, "symbols"))
        status = _enum(request, "status", TRADABLE)
        items = sorted(self.state.catalog.crypto.values(), key=lambda c: c.symbol)
        if symbols is not None:
            items = [c for c in items if c.symbol in set(symbols)]
        if status and status != "OC":
            items = []
        return self._page(request, items, kind="crypto", symbols=symbols, status=status)

    async def futures(self, request: Request) -> Response:
        await self.state.auth.authenticate(request, "futures_contracts")
        _enum(request, "category", ["US_FUTURES"], required=True)
        symbols = split_symbols(one_param(request, "symbols"))
        codes = split_symbols(one_param(request, "code"), name="code")
        if symbols is None and codes is None:
            raise invalid_parameter("either symbols or code is required")
        status = _enum(request, "status", TRADABLE) or "OC"
        today = cal.et_date(self.state.clock.now())
        items = sorted(self.state.catalog.futures.values(),
                       key=lambda f: (f.code, f.last_trading))
        items = [f for f in items if f.last_trading >= today and status == "OC"]
        if symbols is not None:
            items = [f for f in items if f.symbol in set(symbols)]
        if codes is not None:
            items = [f for f in items if f.code in set(codes)]
        return JSONResponse([f.wire() for f in items])

    async def options(self, request: Request) -> Response:
        await self.state.auth.authenticate(request, "option_contracts")
        _enum(request, "category", ["US_OPTION"], required=True)
        underlyings = split_symbols(one_param(request, "underlying_symbols"),
                                    name="underlying_symbols")
        symbols = split_symbols(one_param(request, "option_symbols"), name="option_symbols")
        root = one_param(request, "root_symbol")
        if underlyings is None and symbols is None and root is None:
            raise invalid_parameter("underlying_symbols, option_symbols or root_symbol is required")
        option_type = _enum(request, "option_type", ["CALL", "PUT"])
        status = _enum(request, "status", ["LISTING", "DELISTING"])
        style = _enum(request, "style", ["AMERICAN", "EUROPEAN"])
        start, end = _date(request, "start_date"), _date(request, "end_date")
        low, high = _decimal(request, "strike_price_gte"), _decimal(request, "strike_price_lte")
        today = cal.et_date(self.state.clock.now())
        items = [o for o in self.state.catalog.options.values() if o.expiration >= today]
        if underlyings is not None:
            items = [o for o in items if o.underlying.symbol in set(underlyings)]
        if symbols is not None:
            items = [o for o in items if o.symbol in set(symbols)]
        if root is not None:
            items = [o for o in items if o.underlying.symbol == root]
        if option_type:
            items = [o for o in items if o.option_type == option_type]
        if status == "DELISTING" or style == "EUROPEAN":
            items = []
        if start:
            items = [o for o in items if o.expiration >= start]
        if end:
            items = [o for o in items if o.expiration <= end]
        if low is not None:
            items = [o for o in items if o.strike >= low]
        if high is not None:
            items = [o for o in items if o.strike <= high]
        items.sort(key=lambda o: (o.underlying.symbol, o.expiration, o.strike, o.option_type))
        return self._page(request, items, kind="options", u=underlyings, s=symbols, root=root,
                          t=option_type, status=status, style=style, start=start, end=end,
                          low=low, high=high)

    async def event_markets(self, request: Request) -> Response:
        await self.state.auth.authenticate(request, "event_markets")
        series = one_param(request, "series_symbol")
        event = one_param(request, "event_symbol")
        symbols = split_symbols(one_param(request, "symbols"))
        after = _date(request, "expiration_date_after") or cal.et_date(self.state.clock.now())
        items = sorted(self.state.catalog.events.values(),
                       key=lambda m: (m.series.series_symbol, m.event_symbol, m.symbol))
        items = [m for m in items if m.expiry >= after]
        if series:
            items = [m for m in items if m.series.series_symbol == series]
        if event:
            items = [m for m in items if m.event_symbol == event]
        if symbols is not None:
            items = [m for m in items if m.symbol in set(symbols)]
        return self._page(request, items, kind="events", series=series, event=event,
                          symbols=symbols, after=after)
