"""Fakes and fixtures for the trading desk's unit tests (no tests here): a scriptable broker
that keeps the orders it accepted, a settable clock, a sleep that records and returns at once,
and order factories."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.core.events import EventBus
from app.core.journal import OrderJournal
from app.core.order_request import OrderRequest
from app.core.portfolio import Portfolio
from app.core.ticket import InstrumentInfo, LocalEstimate
from app.core.trading import TradingDesk
from app.webull.errors import UnexpectedStatusError
from app.webull.models import (
    Account,
    Balance,
    ModifyOrder,
    NewOrder,
    OrderGroup,
    Position,
    PreviewResult,
    WriteResult,
)

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
ACCOUNT = "ACCT1234"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Sleeps:
    """A sleep that returns at once (the loop still runs), remembers each pause asked and, when
    given a clock, moves it on by the pause (time passes for the code under test)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.asked: list[float] = []
        self.clock = clock

    @property
    def slept(self) -> timedelta:
        return timedelta(seconds=sum(self.asked))

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)
        await asyncio.sleep(0)


class Committed(Exception):
    """Queued for place_order: keep the order (Webull committed it), then raise ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Broker:
    """The part of WebullClient the desk uses, scripted. Accepted orders are kept by id."""

    def __init__(self) -> None:
        self.orders: dict[str, OrderGroup] = {}
        self.calls: list[tuple[str, Any]] = []
        self.queued: dict[str, list[BaseException]] = {}
        self.quote = PreviewResult(estimated_cost=Decimal("1872.50"),
                                   estimated_transaction_fee=Decimal("0.02"))
        self.hold: asyncio.Event | None = None  # place_order waits for it when set

    def fail(self, method: str, *errors: BaseException) -> None:
        self.queued.setdefault(method, []).extend(errors)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    def _next_error(self, method: str) -> BaseException | None:
        queued = self.queued.get(method)
        return queued.pop(0) if queued else None

    async def preview_order(self, account_id: str, orders: Sequence[NewOrder],
                            client_combo_order_id: str | None = None) -> PreviewResult:
        self.calls.append(("preview_order", [o.client_order_id for o in orders]))
        error = self._next_error("preview_order")
        if error:
            raise error
        return self.quote

    async def place_order(self, account_id: str, orders: Sequence[NewOrder],
                          client_combo_order_id: str | None = None) -> WriteResult:
        self.calls.append(("place_order", [o.client_order_id for o in orders]))
        if self.hold is not None:
            await self.hold.wait()
        error = self._next_error("place_order")
        if isinstance(error, Committed):
            self._keep(orders)
            raise error.error
        if error:
            raise error
        self._keep(orders)
        return WriteResult(client_order_id=orders[0].client_order_id,
                           order_id="O-" + orders[0].client_order_id[:8])

    def _keep(self, orders: Sequence[NewOrder]) -> None:
        self.orders[orders[0].client_order_id] = group(orders[0].client_order_id)

    async def get_order(self, account_id: str, client_order_id: str) -> OrderGroup:
        self.calls.append(("get_order", client_order_id))
        error = self._next_error("get_order")
        if error:
            raise error
        found = self.orders.get(client_order_id)
        if found is None:
            raise UnexpectedStatusError(f"no order {client_order_id} in this account",
                                        status=400, error_code="OPENAPI_PARAM_ERR")
        return found

    async def iter_order_history(self, account_id: str, start: datetime | None = None,
                                 end: datetime | None = None) -> AsyncIterator[OrderGroup]:
        self.calls.append(("iter_order_history", account_id))
        error = self._next_error("iter_order_history")
        if error:
            raise error
        for g in self.orders.values():
            yield g

    async def replace_order(self, account_id: str, modifications: Sequence[ModifyOrder],
                            client_combo_order_id: str | None = None) -> WriteResult:
        self.calls.append(("replace_order", [m.to_wire() for m in modifications]))
        error = self._next_error("replace_order")
        if error:
            raise error
        return WriteResult(client_order_id=modifications[0].client_order_id, order_id="O-1")

    async def cancel_order(self, account_id: str, client_order_id: str) -> WriteResult:
        self.calls.append(("cancel_order", client_order_id))
        error = self._next_error("cancel_order")
        if error:
            raise error
        return WriteResult(client_order_id=client_order_id, order_id="O-1")


def group(coid: str, status: str = "SUBMITTED", combo: str | None = None,
          symbol: str = "AAPL", limit: str = "187.25") -> OrderGroup:
    return OrderGroup.model_validate({
        "client_order_id": "", "combo_order_id": combo or "",
        "combo_type": "NORMAL" if combo is None else "OTOCO",
        "orders": [{"client_order_id": coid, "order_id": "O-" + coid[:8], "symbol": symbol,
                    "side": "BUY", "status": status, "order_type": "LIMIT",
                    "time_in_force": "DAY", "entrust_type": "QTY", "total_quantity": "10",
                    "limit_price": limit, "place_time_at": "2026-11-30T15:00:00.000Z",
                    "instrument_type": "EQUITY"}]})


def limit_buy(qty: str = "10", price: str = "187.25", symbol: str = "AAPL",
              side: str = "BUY") -> NewOrder:
    return NewOrder(client_order_id=uuid.uuid4().hex, symbol=symbol, instrument_type="EQUITY",
                    order_type="LIMIT", limit_price=price, quantity=qty, side=side,
                    time_in_force="DAY", support_trading_session="CORE")


def stock(qty: str = "10", price: str = "187.25", side: str = "BUY") -> OrderRequest:
    return OrderRequest(ACCOUNT, (limit_buy(qty, price, side=side),))


def crypto() -> OrderRequest:
    order = NewOrder(client_order_id=uuid.uuid4().hex, symbol="BTCUSD",
                     instrument_type="CRYPTO", order_type="MARKET", quantity="0.01",
                     side="BUY", time_in_force="IOC")
    return OrderRequest(ACCOUNT, (order,))


BTC = InstrumentInfo(instrument="CRYPTO", symbol="BTCUSD", last_price=Decimal(60000))  # type: ignore[arg-type]


def fake_estimate(request: OrderRequest, instrument: InstrumentInfo) -> LocalEstimate:
    qty = request.orders[0].quantity or Decimal(0)
    price = instrument.last_price or Decimal(0)
    return LocalEstimate(qty * price, Decimal("1.50"), "last price × quantity, 1% spread")


def filled_portfolio(buying_power: str = "50000", held: str | None = "5") -> Portfolio:
    portfolio = Portfolio()
    portfolio.set_accounts([Account.model_validate({
        "account_id": ACCOUNT, "account_number": "5MB01234", "account_type": "MARGIN",
        "account_class": "INDIVIDUAL_MARGIN", "account_label": "Individual Margin"})])
    portfolio.apply_balance(ACCOUNT, Balance.model_validate({
        "total_asset_currency": "USD", "total_market_value": "0",
        "total_unrealized_profit_loss": "0", "total_day_profit_loss": "0",
        "account_currency_assets": [{"currency": "USD", "market_value": "0",
                                     "unrealized_profit_loss": "0",
                                     "buying_power": buying_power}]}))
    if held is not None:
        portfolio.apply_positions(ACCOUNT, [Position.model_validate({
            "position_id": "P1", "currency": "USD", "quantity": held, "symbol": "AAPL",
            "instrument_type": "EQUITY", "last_price": "187.00", "cost_price": "150.00",
            "unrealized_profit_loss": "185.00"})])
    return portfolio


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[OrderJournal]:
    j = OrderJournal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps(clock: Clock) -> Sleeps:
    return Sleeps(clock)


@pytest.fixture
async def desk(broker: Broker, journal: OrderJournal, bus: EventBus, clock: Clock,
               sleeps: Sleeps) -> AsyncIterator[TradingDesk]:
    made = TradingDesk(broker, journal, bus, "demo", portfolio=filled_portfolio(),
                       estimator=fake_estimate, now=clock, sleep=sleeps)
    yield made
    await made.aclose()
