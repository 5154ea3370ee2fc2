"""Orders: the order book of every account and a deterministic matching engine driven by the
simulator's clock.

The engine is lazy: every order or asset endpoint first calls ``OrderBook.sync()``, which walks
the time since the previous sync in at most ``MAX_STEPS`` evenly spaced instants and evaluates
every working order against the market's last price at each of them. So orders fill as the
injectable clock advances, and the same sequence of calls always gives the same fills.

The order model and its states are in order_model.py, what an order costs in order_costs.py,
the rules a new order must pass in order_rules.py and order_combos.py.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from . import calendar as cal
from .accounts import Account, Leg, Position, Valuer, cents
from .errors import invalid_parameter
from .instruments import Catalog
from .market import Market
from .order_costs import OrderCosts
from .order_model import CENT, GTC_LIFETIME, ONE, ZERO, Order
from .seed import IdAllocator
from .wire import quantize

#: fill capacity per second of market time; larger orders fill in parts
LIQUIDITY = {"EQUITY": Decimal(1000), "OPTION": Decimal(100), "FUTURES": Decimal(50),
             "CRYPTO": Decimal(10) ** 9, "EVENT": Decimal(5000)}
MAX_STEPS = 120


class OrderBook:
    """Every account's orders, and the engine that fills them."""

    def __init__(self, market: Market, accounts: dict[str, Account], seed: int) -> None:
        self.market = market
        self.catalog: Catalog = market.catalog
        self.costs = OrderCosts(market)
        self.accounts = accounts
        self.ids = IdAllocator(seed, "order-ids")
        self.orders: list[Order] = []
        self._by_client: dict[tuple[str, str], Order] = {}
        self._seq = 0
        self._lock = threading.RLock()
        self.last_sync = market.clock.now()

    # ---------------------------------------------------------------- lookups
    def get(self, account_id: str, client_order_id: str) -> Order | None:
        return self._by_client.get((account_id, client_order_id))

    def group_of(self, order: Order) -> list[Order]:
        if not order.combo_order_id:
            return [order]
        return [o for o in self.orders if o.combo_order_id == order.combo_order_id
                and o.account_id == order.account_id]

    def find(self, account: Account, client_order_id: Any) -> Order:
        """The account's order ``client_order_id``; refused if it names none."""
        if not isinstance(client_order_id, str) or not client_order_id:
            raise invalid_parameter("client_order_id is required")
        order = self.get(account.account_id, client_order_id)
        if order is None:
            raise invalid_parameter(f"no order {client_order_id} in this account")
        return order

    def groups(self, account_id: str) -> list[list[Order]]:
        """Groups newest first (by their first order's sequence)."""
        seen: dict[str, list[Order]] = {}
        for o in self.orders:
            if o.account_id != account_id:
                continue
            key = o.combo_order_id or o.order_id
            seen.setdefault(key, []).append(o)
        return sorted(seen.values(), key=lambda g: -g[0].seq)

    # ---------------------------------------------------------------- buying power
    def refresh_frozen(self, account: Account, at: datetime | None = None) -> None:
        when = at or self.market.clock.now()
        account.frozen = sum((self.costs.reserve(o, when) for o in self.orders
                              if o.account_id == account.account_id and not o.final), ZERO)

    def buying_power(self, account: Account) -> Decimal:
        body = Valuer(self.market).balance(account)
        return Decimal(body["account_currency_assets"][0]["buying_power"])

    # ---------------------------------------------------------------- positions
    def _position(self, account: Account, order: Order) -> Position | None:
        for p in account.positions:
            if p.instrument_type != order.instrument_type:
                continue
            if order.instrument_type == "OPTION":
                continue
            if p.symbol == order.symbol and p.event_outcome == order.event_outcome:
                return p
        return None

    def held(self, account: Account, order: Order) -> Decimal:
        p = self._position(account, order)
        return p.quantity if p else ZERO

    def option_match(self, account: Account, order: Order) -> tuple[Position | None, Decimal]:
        """The option position the order's legs trade, and +1 (adds) or -1 (closes)."""
        mine = sorted((leg.symbol, leg.ratio(order.quantity)) for leg in order.legs)
        for p in account.positions:
            if p.instrument_type != "OPTION":
                continue
            theirs = sorted((leg.symbol, Decimal(leg.ratio)) for leg in p.legs)
            if theirs == mine:
                return p, ONE
            if theirs == sorted((s, -r) for s, r in mine):
                return p, -ONE
        return None, ONE

    def pending_sells(self, account_id: str, order: Order, exclude: Order | None = None
                      ) -> Decimal:
        total = ZERO
        for o in self.orders:
            if (o.account_id != account_id or o.final or o is exclude or o.side != "SELL"
                    or o.symbol != order.symbol or o.event_outcome != order.event_outcome
                    or o.instrument_type != order.instrument_type or o.opening):
                continue
            total += o.remaining
        return total

    # ---------------------------------------------------------------- placement
    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, orders: list[Order], at: datetime) -> None:
        with self._lock:
            for o in orders:
                self.orders.append(o)
                self._by_client[(o.account_id, o.client_order_id)] = o
            account = self.accounts[orders[0].account_id]
            for o in orders:
                o.last_eval = at
                if o.active:
                    self._evaluate(o, at, first=True)
            self.refresh_frozen(account, at)

    def expiry(self, order: Order, at: datetime) -> datetime | None:
        """When a DAY (or GTD) order's session ends."""
        kind = order.instrument_type
        if order.time_in_force == "GTD" and order.expire_date is not None:
            return cal.et_to_utc(datetime.combine(order.expire_date, time(16)))
        if order.time_in_force == "GTC":
            return at + GTC_LIFETIME
        if order.time_in_force != "DAY":
            return None
        if kind in ("EQUITY", "OPTION"):
            session = order.session or "CORE"
            close = {"CORE": time(16), "ALL": time(20), "NIGHT": time(4)}[session]
        elif kind == "FUTURES":
            close = time(17)
        else:
            close = time(0)
        local = cal.to_et(at)
        end = datetime.combine(local.date(), close)
        if end <= local:
            end += timedelta(days=1)
        return cal.et_to_utc(end)

    # ---------------------------------------------------------------- the engine
    def sync(self) -> None:
        """Evaluate every working order up to now."""
        with self._lock:
            now = self.market.clock.now()
            if now <= self.last_sync:
                return
            span = (now - self.last_sync).total_seconds()
            steps = min(MAX_STEPS, max(1, int(span)))
            start = self.last_sync
            working = [o for o in self.orders if not o.final]
            for i in range(1, steps + 1):
                at = start + timedelta(seconds=span * i / steps)
                for order in working:
                    if order.active and not order.final:
                        self._evaluate(order, at)
            self.last_sync = now
            for account_id in {o.account_id for o in working}:
                self.refresh_frozen(self.accounts[account_id], now)

    def evaluate(self, order: Order, at: datetime) -> None:
        """Evaluate one order now (after a replace)."""
        with self._lock:
            self._evaluate(order, at)

    def _evaluate(self, order: Order, at: datetime, first: bool = False) -> None:
        if order.final or not order.active:
            return
        if order.expires_at is not None and at >= order.expires_at:
            self.cancel_group_member(order, at, expired=True)
            return
        previous = order.last_eval or at
        order.last_eval = at
        if not self.market.is_open(order.instrument_type, order.session or "CORE", at):
            return
        price = self.costs.unit_price(order, at)
        fill_price = self._fill_price(order, price)
        if fill_price is not None:
            # liquidity accrues with time; a fresh order finds one second's worth at once
            elapsed = int((at - previous).total_seconds())
            seconds = Decimal(max(elapsed, 1 if first or not order.filled_qty else 0))
            capacity = LIQUIDITY[order.instrument_type] * seconds
            if order.time_in_force in ("IOC", "FOK"):
                capacity = order.remaining or capacity
            qty = order.remaining
            if order.entrust_type == "AMOUNT" and not order.filled_qty:
                qty = self.costs.amount_qty(order, fill_price)
                order.quantity = qty
                if qty <= 0:  # the amount does not buy one unit
                    self.cancel_group_member(order, at)
                    return
            if order.time_in_force == "FOK" and capacity < qty:
                self.cancel_group_member(order, at)
                return
            self._fill(order, min(qty, capacity), fill_price, at)
        if first and order.time_in_force in ("IOC", "FOK") and not order.final:
            self.cancel_group_member(order, at)

    def _fill_price(self, order: Order, price: Decimal) -> Decimal | None:
        """The price the order fills at now, or None if it does not."""
        buy = order.direction > 0
        kind = order.order_type
        if kind == "TRAILING_STOP_LOSS" and not order.triggered:
            assert order.trailing_step is not None
            order.anchor = price if order.anchor is None else (
                min(order.anchor, price) if buy else max(order.anchor, price))
            step = (order.anchor * order.trailing_step if order.trailing_type == "PERCENTAGE"
                    else order.trailing_step)
            stop = order.anchor + step if buy else order.anchor - step
            if (price >= stop) if buy else (price <= stop):
                order.triggered = True
            else:
                return None
        if kind in ("STOP_LOSS", "STOP_LOSS_LIMIT") and not order.triggered:
            assert order.stop_price is not None
            if (price >= order.stop_price) if buy else (price <= order.stop_price):
                order.triggered = True
            else:
                return None
        if kind in ("LIMIT", "STOP_LOSS_LIMIT"):
            assert order.limit_price is not None
            if buy and price <= order.limit_price or not buy and price >= order.limit_price:
                return price
            return None
        return price

    def _fill(self, order: Order, qty: Decimal, price: Decimal, at: datetime) -> None:
        if qty <= 0:
            return
        account = self.accounts[order.account_id]
        commission, fees = self.costs.fee_for(order, qty, price, at)
        fee = commission + sum(fees.values(), ZERO)
        kind = order.instrument_type
        signed = qty * order.direction
        # a cash account pays in full: a fill it can no longer pay for fails the order
        if order.buying and account.kind not in ("margin", "futures") and kind != "OPTION" \
                and cents(qty * price * self.costs.multiplier(order)) + fee > account.cash:
            order.status = "FAILED" if not order.filled_qty else "CANCELLED"
            for child in self.group_of(order):
                if not child.active:
                    self._cancel(child, at)
            return
        whole_amount = (order.entrust_type == "AMOUNT" and order.amount is not None
                        and kind in ("EQUITY", "CRYPTO")
                        and not order.filled_qty and qty == order.quantity)
        if kind == "OPTION":
            flow = self._fill_option(account, order, qty, price)
        elif kind == "FUTURES":
            flow = self._fill_futures(account, order, signed, price)
        else:
            flow = -signed * price
            self._move(account, order, signed, price)
        if whole_amount:
            assert order.amount is not None
            flow = -order.amount  # the amount asked for, to the cent
        account.cash += cents(flow) - fee
        order.commission += commission
        for name, value in fees.items():
            order.fees[name] = order.fees.get(name, ZERO) + value
        order.filled_qty += qty
        order.filled_value += order.amount if whole_amount and order.amount else qty * price
        order.filled_time = at
        order.status = "FILLED" if order.filled_qty >= order.quantity else "PARTIAL_FILLED"
        self._after_fill(order, at)

    def _move(self, account: Account, order: Order, signed: Decimal, price: Decimal) -> None:
        p = self._position(account, order)
        if p is None:
            account.positions.append(Position(
                self.ids.token(), order.instrument_type, order.symbol, signed, price,
                event_outcome=order.event_outcome))
            return
        self._apply(account, p, signed, price)

    def _apply(self, account: Account, p: Position, signed: Decimal, price: Decimal) -> None:
        new = p.quantity + signed
        if p.quantity == 0 or (p.quantity > 0) == (signed > 0):
            p.cost_price = quantize((p.quantity * p.cost_price + signed * price) / new,
                                    Decimal("0.0001"))
        elif new != 0 and (new > 0) != (p.quantity > 0):
            p.cost_price = price  # flipped through zero
        p.quantity = new
        if new == 0:
            account.positions.remove(p)

    def _fill_futures(self, account: Account, order: Order, signed: Decimal,
                      price: Decimal) -> Decimal:
        """Futures hold no notional: cash moves by the P&L realised on closing."""
        p = self._position(account, order)
        size = self.costs.multiplier(order)
        flow = ZERO
        if p is not None and (p.quantity > 0) != (signed > 0):
            closed = min(abs(signed), abs(p.quantity))
            flow = closed * (price - p.cost_price) * size * (1 if p.quantity > 0 else -1)
        self._move(account, order, signed, price)
        return flow

    def _fill_option(self, account: Account, order: Order, qty: Decimal,
                     price: Decimal) -> Decimal:
        p, sign = self.option_match(account, order)
        unit_cost = price * order.direction  # Σ weight × leg price, per share
        if p is None:
            legs = [Leg(self.ids.token(), leg.option, int(leg.ratio(order.quantity)), leg.stock)
                    for leg in order.legs]
            account.positions.append(Position(
                self.ids.token(), "OPTION", order.symbol, qty, quantize(unit_cost, CENT),
                order.option_strategy or "SINGLE", legs))
        elif sign > 0:
            total = p.quantity + qty
            p.cost_price = quantize((p.quantity * p.cost_price + qty * unit_cost) / total, CENT)
            p.quantity = total
        else:
            p.quantity -= qty
            if p.quantity <= 0:
                account.positions.remove(p)
        return -qty * unit_cost * 100

    # ---------------------------------------------------------------- combos
    def _after_fill(self, order: Order, at: datetime) -> None:
        if not order.combo_order_id:
            return
        group = self.group_of(order)
        if order.combo_type == "MASTER":
            if order.status == "FILLED":
                for child in group:
                    if child is not order and not child.final and not child.active:
                        child.active = True
                        child.status = "SUBMITTED"
                        child.last_eval = at
            return
        if order.combo_type in ("OCO", "OTOCO", "STOP_PROFIT", "STOP_LOSS"):
            for sibling in group:
                if (sibling is not order and sibling.combo_type != "MASTER"
                        and not sibling.final and sibling.combo_type != "OTO"):
                    self._cancel(sibling, at)

    def _cancel(self, order: Order, at: datetime) -> None:
        if order.final:
            return
        order.status = "CANCELLED" if not order.filled_qty or order.remaining else "FILLED"
        order.last_eval = at

    def cancel_group_member(self, order: Order, at: datetime, expired: bool = False) -> None:
        """Cancel one order; a cancelled master takes its waiting children with it."""
        self._cancel(order, at)
        if order.combo_type == "MASTER" and order.status == "CANCELLED":
            for child in self.group_of(order):
                if not child.active:
                    self._cancel(child, at)

    def cancel(self, order: Order, at: datetime) -> None:
        """The cancel endpoint: the whole combo goes."""
        with self._lock:
            for member in self.group_of(order):
                self._cancel(member, at)
            self.refresh_frozen(self.accounts[order.account_id], at)
