"""Fixtures for the poller, portfolio, history and export tests: model factories, a virtual
clock that only moves when a test says so, and a scriptable fake ReadClient."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.webull.models import Account, Balance, OrderGroup, OrderItem, Position

EPOCH = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


# ------------------------------------------------------------------ models


def account(account_id: str, number: str = "ACC0001234", cls: str = "INDIVIDUAL_MARGIN",
            label: str | None = None) -> Account:
    return Account.model_validate({
        "account_id": account_id, "account_number": number, "account_type": "MARGIN",
        "account_class": cls, "account_label": label or ""})


def balance(nlv: str | None = "1000.50") -> Balance:
    return Balance.model_validate({
        "total_asset_currency": "USD", "total_market_value": "0",
        "total_unrealized_profit_loss": "0", "total_day_profit_loss": "0",
        "total_net_liquidation_value": nlv if nlv is not None else ""})


def position(pid: str, symbol: str = "AAPL", qty: str = "10", last: str = "187.25",
             legs: list[dict[str, Any]] | None = None) -> Position:
    return Position.model_validate({
        "position_id": pid, "currency": "USD", "quantity": qty, "symbol": symbol,
        "instrument_type": "OPTION" if legs else "EQUITY", "last_price": last,
        "cost_price": "150.10", "unrealized_profit_loss": "371.50",
        "option_strategy": "VERTICAL" if legs else "", "legs": legs or []})


def item(coid: str, *, status: str = "SUBMITTED", qty: str = "10", filled: str | None = None,
         price: str | None = None, side: str = "BUY", symbol: str = "AAPL",
         limit: str | None = "187.00", placed: str = "2026-01-05T14:30:00.000Z") -> OrderItem:
    return OrderItem.model_validate({
        "client_order_id": coid, "order_id": "O" + coid, "symbol": symbol, "side": side,
        "status": status, "order_type": "LIMIT" if limit else "MARKET",
        "time_in_force": "DAY", "entrust_type": "QTY", "total_quantity": qty,
        "filled_quantity": filled or "", "filled_price": price or "",
        "limit_price": limit or "", "place_time_at": placed,
        "instrument_type": "EQUITY"})


def group(*items: OrderItem) -> OrderGroup:
    return OrderGroup(combo_type="NORMAL", orders=tuple(items))


# ------------------------------------------------------------------ virtual time


class VirtualTime:
    """Monotonic and wall clocks plus a sleep that only returns when ``run`` moves time.

    ``run(seconds)`` lets every runnable task settle, then wakes sleepers in time order until
    ``seconds`` of virtual time have passed. Nothing depends on real time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.start = start
        self.wall_offset = timedelta(0)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return EPOCH + timedelta(seconds=self.t - self.start) + self.wall_offset

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + max(seconds, 0.0), next(self._seq), future))
        await future

    @staticmethod
    async def settle(limit: int = 10_000) -> None:
        """Yield until no other callback is ready to run: every task waits on time or I/O."""
        loop = asyncio.get_running_loop()
        for _ in range(limit):
            await asyncio.sleep(0)
            if not loop._ready:  # type: ignore[attr-defined]  # quiescent
                return
        raise AssertionError("the event loop never went quiet (a busy loop?)")

    async def run(self, seconds: float) -> None:
        until = self.t + seconds
        while True:
            await self.settle()
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers or self._sleepers[0][0] > until:
                break
            target, _, future = heapq.heappop(self._sleepers)
            self.t = max(self.t, target)
            future.set_result(None)
        self.t = until
        await self.settle()


# ------------------------------------------------------------------ fake client


class FakeClient:
    """A ReadClient whose answers and failures tests set; records (method, account, time)."""

    def __init__(self, vt: VirtualTime, accounts: list[Account]) -> None:
        self.vt = vt
        self.accounts = accounts
        self.balances: dict[str, Balance] = {a.account_id: balance() for a in accounts}
        self.positions: dict[str, list[Position]] = {a.account_id: [] for a in accounts}
        self.open: dict[str, list[OrderGroup]] = {a.account_id: [] for a in accounts}
        self.details: dict[tuple[str, str], OrderGroup] = {}
        self.history: dict[str, list[OrderGroup]] = {}
        self.calls: list[tuple[str, str | None, float]] = []
        self.queued: dict[str, list[BaseException]] = {}
        self.broken: dict[tuple[str, str | None], BaseException] = {}
        self.latency = 0.0

    def fail(self, method: str, *errors: BaseException) -> None:
        """The next calls of ``method`` raise these errors, in order."""
        self.queued.setdefault(method, []).extend(errors)

    def count(self, method: str, account_id: str | None = None) -> int:
        return sum(1 for m, a, _ in self.calls if m == method and (account_id is None
                                                                    or a == account_id))

    async def _call(self, method: str, account_id: str | None) -> None:
        self.calls.append((method, account_id, self.vt.t))
        if self.latency:
            await self.vt.sleep(self.latency)
        queued = self.queued.get(method)
        if queued:
            raise queued.pop(0)
        error = self.broken.get((method, account_id)) or self.broken.get((method, None))
        if error is not None:
            raise error

    async def list_accounts(self) -> tuple[Account, ...]:
        await self._call("list_accounts", None)
        return tuple(self.accounts)

    async def get_balance(self, account_id: str) -> Balance:
        await self._call("get_balance", account_id)
        return self.balances[account_id]

    async def list_positions(self, account_id: str) -> tuple[Position, ...]:
        await self._call("list_positions", account_id)
        return tuple(self.positions[account_id])

    async def iter_open_orders(self, account_id: str) -> AsyncIterator[OrderGroup]:
        await self._call("iter_open_orders", account_id)
        for g in list(self.open[account_id]):
            yield g

    async def iter_order_history(self, account_id: str, start: datetime | None = None,
                                 end: datetime | None = None) -> AsyncIterator[OrderGroup]:
        await self._call("iter_order_history", account_id)
        for g in self.history.get(account_id, []):
            yield g

    async def get_order(self, account_id: str, client_order_id: str) -> OrderGroup:
        await self._call("get_order", account_id)
        return self.details[(account_id, client_order_id)]


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


def dec(text: str) -> Decimal:
    return Decimal(text)
