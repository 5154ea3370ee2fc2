"""The Webull API client: one method per G3 endpoint (API.md §5–§6), typed results.

Lists behind a cursor (``{data, pagination_key}``) are async iterators that fetch page after
page; bare-array endpoints return tuples. Order writes never retry (see transport) and address
orders by ``client_order_id``. Inputs are checked before anything is sent, with errors that
name the parameter.
"""

from __future__ import annotations

import asyncio

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from . import endpoints as ep
from .endpoints import Endpoint
from .errors import OutcomeUnknownError, ResponseDecodeError
from .models import (
    ACCOUNTS,
    BALANCE,
    FUTURES_CONTRACTS,
    ORDER_GROUP,
    POSITIONS,
    Account,
    Balance,
    BatchOrder,
    BatchPlaceResult,
    CryptoInstrument,
    EventMarket,
    FuturesContract,
    ModifyOrder,
    NewOrder,
    OptionContract,
    OrderGroup,
    Page,
    Position,
    PreviewResult,
    StockInstrument,
    WriteResult,
    check_client_order_id,
    check_symbol,
    wire_value,
)
from .transport import QueryValue, TokenSource, Transport

T = TypeVar("T")

MAX_SYMBOLS = 100
#: a guard against a server that hands out fresh pagination keys forever
MAX_PAGES = 2_000
MAX_BATCH = 50



def decode(adapter: TypeAdapter[T], data: Any, endpoint: Endpoint, request_id: str | None) -> T:
    """Validate a decoded JSON payload; a mismatch names the field, never quotes a value."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "$"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ResponseDecodeError(
            f"unexpected {endpoint.name} response: field {where}: {first['msg']}{more}",
            field=where, endpoint=endpoint.name, request_id=request_id,
        ) from None


#: positions validated per slice of a large list (about 2 ms each here)
DECODE_SLICE = 125


def _shift_index(exc: ResponseDecodeError, offset: int) -> ResponseDecodeError:
    """A slice's error names the row within the slice: name it within the whole list."""
    field = exc.field or "$"
    head, _, rest = field.partition(".")
    if not head.isdigit():
        return exc
    where = str(int(head) + offset) + (f".{rest}" if rest else "")
    return ResponseDecodeError(exc.message.replace(f"field {field}:", f"field {where}:", 1),
                               field=where, endpoint=exc.endpoint, request_id=exc.request_id)


def _symbols(name: str, symbols: Sequence[str] | None) -> str | None:
    if symbols is None:
        return None
    if isinstance(symbols, str):
        raise TypeError(f"{name} must be a sequence of symbols, not a single string")
    if not symbols:
        raise ValueError(f"{name} must not be empty (omit it to list everything)")
    if len(symbols) > MAX_SYMBOLS:
        raise ValueError(f"{name}: at most {MAX_SYMBOLS} symbols per request, got {len(symbols)}")
    for s in symbols:
        try:
            check_symbol(s)
        except ValueError as exc:
            raise ValueError(f"{name}: {s!r} is not a valid symbol ({exc})") from None
    return ",".join(symbols)


def _account(account_id: str) -> str:
    if not isinstance(account_id, str) or not account_id.strip():
        raise ValueError("account_id must be a non-empty string")
    return account_id


def _client_order_id(value: str) -> str:
    try:
        return check_client_order_id(value)
    except ValueError as exc:
        raise ValueError(f"client_order_id {exc}") from None


def _utc_millis(name: str, value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.astimezone(UTC).microsecond // 1000:03d}Z"
    )


def _price(value: Decimal | None) -> str | None:
    return None if value is None else wire_value(value)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


class WebullClient:
    """Calls Webull on behalf of one signed-in user (``tokens`` yields the Bearer token)."""

    def __init__(self, transport: Transport, tokens: TokenSource) -> None:
        self._transport = transport
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"WebullClient({self._transport!r})"

    async def _call(
        self,
        endpoint: Endpoint,
        adapter: TypeAdapter[T],
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Any = None,
    ) -> T:
        response = await self._transport.request(
            endpoint, query=query, json_body=body, token=self._tokens
        )
        try:
            return decode(adapter, response.data, endpoint, response.request_id)
        except ResponseDecodeError as exc:
            if not endpoint.write:
                raise
            # Webull accepted the write (2xx) but its answer is not what we can read: the
            # order may exist, so the caller must look it up rather than send it again
            raise OutcomeUnknownError(
                f"{endpoint.name}: the order was answered but the answer cannot be read",
                cause=exc, status=response.status, request_id=response.request_id,
                endpoint=endpoint.name,
            ) from None

    async def _pages(
        self, endpoint: Endpoint, adapter: TypeAdapter[Page[T]], query: Mapping[str, QueryValue]
    ) -> AsyncIterator[T]:
        key: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self._call(endpoint, adapter, query={**query, "pagination_key": key})
            for item in page.data:
                yield item
            key = page.pagination_key
            if not key:
                return
            if key in seen:
                raise ResponseDecodeError(
                    f"unexpected {endpoint.name} response: the server repeated a pagination key",
                    field="pagination_key", endpoint=endpoint.name,
                )
            seen.add(key)
        raise ResponseDecodeError(
            f"unexpected {endpoint.name} response: more than {MAX_PAGES} pages",
            field="pagination_key", endpoint=endpoint.name,
        )

    # ------------------------------------------------------------------ accounts and assets

    async def list_accounts(self) -> tuple[Account, ...]:
        return await self._call(ep.ACCOUNTS, ACCOUNTS)

    async def get_balance(self, account_id: str) -> Balance:
        return await self._call(ep.BALANCES, BALANCE, query={"account_id": _account(account_id)})

    async def list_positions(self, account_id: str) -> tuple[Position, ...]:
        response = await self._transport.request(
            ep.POSITIONS, query={"account_id": _account(account_id)}, token=self._tokens
        )
        data = response.data
        if not isinstance(data, list) or len(data) <= DECODE_SLICE:
            return decode(POSITIONS, data, ep.POSITIONS, response.request_id)
        # a large account: validate in slices, letting the event loop run in between, so the
        # window never stalls for the whole list (validation holds the GIL: a thread would not)
        out: list[Position] = []
        for start in range(0, len(data), DECODE_SLICE):
            try:
                out.extend(decode(POSITIONS, data[start:start + DECODE_SLICE], ep.POSITIONS,
                                  response.request_id))
            except ResponseDecodeError as exc:
                raise _shift_index(exc, start) from None
            await asyncio.sleep(0)
        return tuple(out)

    # ------------------------------------------------------------------ instruments

    def iter_stock_instruments(
        self,
        *,
        symbols: Sequence[str] | None = None,
        status: str | None = None,
        sub_category: str | None = None,
        category: str = "US_STOCK",
    ) -> AsyncIterator[StockInstrument]:
        query = {
            "category": category,
            "symbols": _symbols("symbols", symbols),
            "status": status,
            # Webull only honours sub_category when no symbols are given (§6.5)
            "sub_category": sub_category if symbols is None else None,
        }
        return self._pages(ep.STOCK_INSTRUMENTS, _STOCK_PAGE, query)

    def iter_crypto_instruments(
        self, *, symbols: Sequence[str] | None = None, status: str | None = None
    ) -> AsyncIterator[CryptoInstrument]:
        query = {"category": "US_CRYPTO", "symbols": _symbols("symbols", symbols),
                 "status": status}
        return self._pages(ep.CRYPTO_INSTRUMENTS, _CRYPTO_PAGE, query)

    async def list_futures_contracts(
        self,
        *,
        symbols: Sequence[str] | None = None,
        code: str | None = None,
        status: str | None = None,
    ) -> tuple[FuturesContract, ...]:
        if (symbols is None) == (code is None):
            raise ValueError("give either symbols or a product code (e.g. 'ES'), not both")
        query = {"category": "US_FUTURES", "symbols": _symbols("symbols", symbols), "code": code,
                 "status": status}
        return await self._call(ep.FUTURES_CONTRACTS, FUTURES_CONTRACTS, query=query)

    def iter_option_contracts(
        self,
        *,
        underlying_symbols: Sequence[str] | None = None,
        option_symbols: Sequence[str] | None = None,
        option_type: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        strike_price_gte: Decimal | None = None,
        strike_price_lte: Decimal | None = None,
        status: str | None = None,
    ) -> AsyncIterator[OptionContract]:
        if underlying_symbols is None and option_symbols is None:
            raise ValueError("give underlying_symbols or option_symbols")
        if start_date and end_date and start_date > end_date:
            raise ValueError("start_date is after end_date")
        query = {
            "category": "US_OPTION",
            "underlying_symbols": _symbols("underlying_symbols", underlying_symbols),
            "option_symbols": _symbols("option_symbols", option_symbols),
            "option_type": option_type,
            "start_date": _day(start_date),
            "end_date": _day(end_date),
            "strike_price_gte": _price(strike_price_gte),
            "strike_price_lte": _price(strike_price_lte),
            "status": status,
        }
        return self._pages(ep.OPTION_CONTRACTS, _OPTION_PAGE, query)

    def iter_event_markets(
        self,
        *,
        series_symbol: str | None = None,
        event_symbol: str | None = None,
        symbols: Sequence[str] | None = None,
        expiration_date_after: date | None = None,
    ) -> AsyncIterator[EventMarket]:
        query = {
            "series_symbol": series_symbol,
            "event_symbol": event_symbol,
            "symbols": _symbols("symbols", symbols),
            "expiration_date_after": _day(expiration_date_after),
        }
        return self._pages(ep.EVENT_MARKETS, _EVENT_PAGE, query)

    # ------------------------------------------------------------------ orders

    @staticmethod
    def _order_envelope(
        account_id: str, key: str, items: Sequence[Any], client_combo_order_id: str | None
    ) -> dict[str, Any]:
        if not items:
            raise ValueError(f"{key} must hold at least one order")
        body: dict[str, Any] = {"account_id": _account(account_id)}
        if client_combo_order_id is not None:
            body["client_combo_order_id"] = _client_order_id(client_combo_order_id)
        body[key] = [item.to_wire() for item in items]
        return body

    async def preview_order(
        self, account_id: str, orders: Sequence[NewOrder], client_combo_order_id: str | None = None
    ) -> PreviewResult:
        body = self._order_envelope(account_id, "new_orders", orders, client_combo_order_id)
        return await self._call(ep.PREVIEW, _PREVIEW, body=body)

    async def place_order(
        self, account_id: str, orders: Sequence[NewOrder], client_combo_order_id: str | None = None
    ) -> WriteResult:
        """Place one order or one combo. Never retried: on OutcomeUnknownError, look it up."""
        body = self._order_envelope(account_id, "new_orders", orders, client_combo_order_id)
        return await self._call(ep.PLACE, _WRITE, body=body)

    async def batch_place(self, account_id: str, orders: Sequence[BatchOrder]) -> BatchPlaceResult:
        if len(orders) > MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH} orders, got {len(orders)}")
        body = self._order_envelope(account_id, "batch_orders", orders, None)
        return await self._call(ep.BATCH_PLACE, _BATCH, body=body)

    async def replace_order(
        self,
        account_id: str,
        modifications: Sequence[ModifyOrder],
        client_combo_order_id: str | None = None,
    ) -> WriteResult:
        body = self._order_envelope(account_id, "modify_orders", modifications,
                                    client_combo_order_id)
        return await self._call(ep.REPLACE, _WRITE, body=body)

    async def cancel_order(self, account_id: str, client_order_id: str) -> WriteResult:
        body = {"account_id": _account(account_id),
                "client_order_id": _client_order_id(client_order_id)}
        return await self._call(ep.CANCEL, _WRITE, body=body)

    def iter_open_orders(self, account_id: str) -> AsyncIterator[OrderGroup]:
        return self._pages(ep.OPEN_ORDERS, _ORDER_PAGE, {"account_id": _account(account_id)})

    def iter_order_history(
        self, account_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> AsyncIterator[OrderGroup]:
        """Orders between ``start`` and ``end`` (aware datetimes; Webull defaults to 7 days)."""
        if start and end and start > end:
            raise ValueError("start is after end")
        query = {"account_id": _account(account_id), "start_time": _utc_millis("start", start),
                 "end_time": _utc_millis("end", end)}
        return self._pages(ep.ORDER_HISTORY, _ORDER_PAGE, query)

    async def get_order(self, account_id: str, client_order_id: str) -> OrderGroup:
        query = {"account_id": _account(account_id),
                 "client_order_id": _client_order_id(client_order_id)}
        return await self._call(ep.ORDER_DETAIL, ORDER_GROUP, query=query)


_STOCK_PAGE = TypeAdapter(Page[StockInstrument])
_CRYPTO_PAGE = TypeAdapter(Page[CryptoInstrument])
_OPTION_PAGE = TypeAdapter(Page[OptionContract])
_EVENT_PAGE = TypeAdapter(Page[EventMarket])
_ORDER_PAGE = TypeAdapter(Page[OrderGroup])
_PREVIEW = TypeAdapter(PreviewResult)
_WRITE = TypeAdapter(WriteResult)
_BATCH = TypeAdapter(BatchPlaceResult)

__all__ = ["MAX_BATCH", "MAX_SYMBOLS", "WebullClient", "decode"]
