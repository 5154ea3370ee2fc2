"""Orders: the order book of every account, the rules an order must pass (API.md §7), the fees
and costs it carries, and a deterministic matching engine driven by the simulator's clock.

The engine is lazy: every order or asset endpoint first calls ``OrderBook.sync()``, which walks
the time since the previous sync in at most ``MAX_STEPS`` evenly spaced instants and evaluates
every working order against the market's last price at each of them. So orders fill as the
injectable clock advances, and the same sequence of calls always gives the same fills.

States: SUBMITTED once accepted (PENDING while a combo member waits for its master), then
PARTIAL_FILLED / FILLED, or CANCELLED (by the caller, by a sibling of an OCO set, or when a DAY
order's session ends) or FAILED (a fill the account can no longer pay for).

One function prices an order (``consideration``) and one charges it (``fee_for``); preview, the
buying-power check, the reservation of open orders and the fills all use them, so a preview
equals what a fill at the same price charges.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import calendar as cal
from .accounts import Account, Leg, Position, Valuer, cents
from .errors import business, invalid_parameter
from .instruments import Catalog, OptionContract, occ_symbol
from .market import Market
from .seed import IdAllocator
from .wire import epoch_millis, iso_millis, plain, quantize

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
FINAL = frozenset({"FILLED", "CANCELLED", "FAILED"})

# error codes (API.md §9.2); the Connect side adds OAUTH_ (errors.py)
NO_TRADING_TIME = "OPENAPI_NO_TRADING_TIME"
NO_NIGHT_TRADING_TIME = "OPENAPI_NO_NIGHT_TRADING_TIME"
SELL_QTY_EXCEEDED = "OPENAPI_SELL_QTY_EXCEED_AVAILABLE_QTY"
BUYING_POWER = "DAY_BUYING_POWER_INSUFFICIENT"
FRACTIONAL = "OPENAPI_FRACT_TICKER_DONT_SUPPORT_TRADE"
NO_PERMISSION = "OPENAPI_TRADE_ORDER_NO_PERMISSION"
SUB_DOLLAR = "OPENAPI_CANT_TRADE_FOR_PRICE_BETWEEN_0099_AND_0999"
INVALID_QTY = "ORDER_INVALID_QTY"

CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,32}")
#: numbers at or beyond this are refused as parameters (no order is that large)
MAX_NUMBER = Decimal(10) ** 12

#: the asset classes each account kind may trade
ACCOUNT_ASSETS = {
    "margin": {"EQUITY", "OPTION"}, "cash": {"EQUITY", "OPTION"},
    "roth_ira": {"EQUITY", "OPTION"}, "traditional_ira": {"EQUITY", "OPTION"},
    "futures": {"FUTURES"}, "crypto": {"CRYPTO"}, "events": {"EVENT"},
}
ORDER_TYPES = {
    "EQUITY": {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT", "TRAILING_STOP_LOSS"},
    "OPTION": {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"},
    "FUTURES": {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT", "TRAILING_STOP_LOSS"},
    "CRYPTO": {"MARKET", "LIMIT", "STOP_LOSS_LIMIT"},
    "EVENT": {"LIMIT", "MARKET"},
}
ALL_ORDER_TYPES = {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT", "TRAILING_STOP_LOSS",
                   "MARKET_ON_OPEN", "MARKET_ON_CLOSE", "LIMIT_ON_OPEN"}
TIFS = {"DAY", "GTC", "IOC", "GTD", "FOK"}
SIDES = {"EQUITY": {"BUY", "SELL", "SHORT"}, "OPTION": {"BUY", "SELL"},
         "FUTURES": {"BUY", "SELL"}, "CRYPTO": {"BUY", "SELL"}, "EVENT": {"BUY", "SELL"}}
COMBO_TYPES = {"NORMAL", "MASTER", "STOP_PROFIT", "STOP_LOSS", "OTO", "OCO", "OTOCO"}
STRATEGY_LEGS = {
    "SINGLE": (1, 1), "STRADDLE": (2, 2), "STRANGLE": (2, 2), "VERTICAL": (2, 2),
    "CALENDAR": (2, 2), "DIAGONAL": (2, 2), "BUTTERFLY": (3, 4), "CONDOR": (4, 4),
    "IRON_BUTTERFLY": (4, 4), "IRON_CONDOR": (4, 4), "COVERED_STOCK": (2, 2),
    "COLLAR_WITH_STOCK": (3, 3),
}
#: fill capacity per second of market time; larger orders fill in parts
LIQUIDITY = {"EQUITY": Decimal(1000), "OPTION": Decimal(100), "FUTURES": Decimal(50),
             "CRYPTO": Decimal(10) ** 9, "EVENT": Decimal(5000)}
MAX_STEPS = 120
#: GTC orders are cancelled after about 60 days (API.md §7.1)
GTC_LIFETIME = timedelta(days=60)
MAX_EVENT_CONTRACTS = Decimal(50_000)
CRYPTO_MIN, CRYPTO_MAX = Decimal(2), Decimal(100_000)
CRYPTO_PENDING_MAX = Decimal(200_000)

# fee schedule (simulator figures; API.md names the fee types, not every rate)
CAT_PER_SHARE = Decimal("0.000035")
SEC_RATE = Decimal("0.0000278")
TAF_PER_SHARE, TAF_MAX = Decimal("0.000166"), Decimal("8.30")
OPTION_CONTRACT_FEE = Decimal("0.65")
FUTURES_COMMISSION, FUTURES_EXCHANGE, FUTURES_NFA = (Decimal("0.25"), Decimal("1.98"),
                                                     Decimal("0.02"))
EVENT_EXCHANGE_FEE = EVENT_FIRM_FEE = CENT
CRYPTO_SPREAD = Decimal("0.01")


def up(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_CEILING)


# ------------------------------------------------------------------------------ model


@dataclass
class OrderLeg:
    leg_id: str
    option: OptionContract
    side: str
    quantity: Decimal  # contracts for the whole order

    def ratio(self, units: Decimal) -> Decimal:
        sign = ONE if self.side == "BUY" else -ONE
        return sign * self.quantity / units


@dataclass
class Order:
    account_id: str
    client_order_id: str
    order_id: str
    combo_type: str
    combo_order_id: str
    instrument_type: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    entrust_type: str
    session: str | None
    quantity: Decimal
    amount: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    trailing_type: str | None
    trailing_step: Decimal | None
    expire_date: date | None
    event_outcome: str | None
    option_strategy: str | None
    position_intent: str | None
    legs: list[OrderLeg]
    place_time: datetime
    seq: int
    expires_at: datetime | None = None
    status: str = "SUBMITTED"
    active: bool = True
    triggered: bool = False
    anchor: Decimal | None = None
    opening: bool = True
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO
    filled_time: datetime | None = None
    commission: Decimal = ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    last_eval: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.filled_qty, ZERO)

    @property
    def buying(self) -> bool:
        return self.side == "BUY"

    @property
    def direction(self) -> Decimal:
        return ONE if self.side == "BUY" else -ONE


# ------------------------------------------------------------------------------ parsing


def _text(item: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} must be a string")
    return value.strip()


def _enum(item: dict[str, Any], name: str, allowed: Iterable[str], required: bool = False,
          default: str | None = None) -> str | None:
    value = _text(item, name, required and default is None)
    if value is None:
        return default
    if value not in allowed:
        raise invalid_parameter(f"{name} {value!r} is not supported")
    return value


def _number(item: dict[str, Any], name: str, required: bool = False) -> Decimal | None:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise invalid_parameter(f"{name} must be a number in a string")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid_parameter(f"{name} is not a number") from None
    if not number.is_finite() or number <= 0:
        raise invalid_parameter(f"{name} must be positive")
    if number >= MAX_NUMBER or _places(number) > 10:
        raise invalid_parameter(f"{name} is out of range")
    return number


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _on_step(value: Decimal, step: Decimal) -> bool:
    return (value % step) == 0


# ------------------------------------------------------------------------------ the book


class OrderBook:
    """Every account's orders, and the engine that fills them."""

    def __init__(self, market: Market, accounts: dict[str, Account], seed: int) -> None:
        self.market = market
        self.catalog: Catalog = market.catalog
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

    def groups(self, account_id: str) -> list[list[Order]]:
        """Groups newest first (by their first order's sequence)."""
        seen: dict[str, list[Order]] = {}
        for o in self.orders:
            if o.account_id != account_id:
                continue
            key = o.combo_order_id or o.order_id
            seen.setdefault(key, []).append(o)
        return sorted(seen.values(), key=lambda g: -g[0].seq)

    # ---------------------------------------------------------------- prices
    def unit_price(self, order: Order, at: datetime) -> Decimal:
        """The order's price in its own direction (options: net per share-equivalent)."""
        if order.instrument_type == "OPTION":
            total = sum((leg.ratio(order.quantity) * self.market.price(leg.option.symbol, at)
                         for leg in order.legs), ZERO)
            return total * order.direction
        price = self.market.price(order.symbol, at)
        if order.event_outcome == "no":
            price = ONE - price
        return price

    def multiplier(self, order: Order) -> Decimal:
        if order.instrument_type == "OPTION":
            return Decimal(100)
        if order.instrument_type == "FUTURES":
            return self.catalog.futures[order.symbol].size
        return ONE

    def reference_price(self, order: Order, at: datetime) -> Decimal:
        """What preview and reservations price an order at."""
        if order.limit_price is not None:
            return order.limit_price
        if order.stop_price is not None and order.order_type == "STOP_LOSS":
            return order.stop_price
        return self.unit_price(order, at)

    # ---------------------------------------------------------------- money
    def fee_for(self, order: Order, qty: Decimal, price: Decimal) -> tuple[Decimal,
                                                                           dict[str, Decimal]]:
        """(commission, {fee type: amount}) for trading ``qty`` at ``price``."""
        kind = order.instrument_type
        if kind == "EQUITY":
            fees = {"FINRA_CAT_REGULATORY_FEE": max(CENT, up(qty * CAT_PER_SHARE))}
            if order.side in ("SELL", "SHORT"):
                fees["SEC_REGULATORY_FEE"] = max(CENT, up(qty * price * SEC_RATE))
                fees["FINRA_TRADING_ACTIVITY_FEE"] = max(CENT, min(TAF_MAX,
                                                                   up(qty * TAF_PER_SHARE)))
            return ZERO, fees
        if kind == "OPTION":
            contracts = sum((leg.quantity for leg in order.legs), ZERO) * qty / order.quantity
            return ZERO, {"OPTION_CONTRACT_FEE": up(contracts * OPTION_CONTRACT_FEE),
                          "FINRA_CAT_REGULATORY_FEE": CENT}
        if kind == "FUTURES":
            return up(qty * FUTURES_COMMISSION), {"EXCHANGE_FEE": up(qty * FUTURES_EXCHANGE),
                                                  "NFA_REGULATORY_FEE": up(qty * FUTURES_NFA)}
        if kind == "EVENT":
            return ZERO, {"EXCHANGE_FEE": up(qty * EVENT_EXCHANGE_FEE),
                          "FIRM_FEE": up(qty * EVENT_FIRM_FEE)}
        return ZERO, {"CRYPTO_SPREAD_FEE": max(CENT, up(qty * price * CRYPTO_SPREAD))}

    def fee_total(self, order: Order, qty: Decimal, price: Decimal) -> Decimal:
        commission, fees = self.fee_for(order, qty, price)
        return commission + sum(fees.values(), ZERO)

    def consideration(self, order: Order, qty: Decimal, price: Decimal) -> Decimal:
        """Stocks/options/crypto/events: quantity × price × multiplier; futures: initial
        margin."""
        if order.instrument_type == "FUTURES":
            return cents(qty * self.catalog.futures[order.symbol].product.init_margin)
        return cents(qty * price * self.multiplier(order))

    def estimate(self, order: Order, at: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """(quantity, cost, fee) of the whole order as preview shows it."""
        price = self.reference_price(order, at)
        if order.entrust_type == "AMOUNT" and order.amount is not None:
            qty = self._amount_qty(order, price)
            return qty, order.amount, self.fee_total(order, qty, price)
        cost = self.consideration(order, order.quantity, price)
        return order.quantity, max(cost, ZERO), self.fee_total(order, order.quantity, price)

    def _amount_qty(self, order: Order, price: Decimal) -> Decimal:
        step = {"CRYPTO": Decimal("0.00000001"), "EVENT": ONE}.get(order.instrument_type,
                                                                  Decimal("0.00001"))
        assert order.amount is not None
        return (order.amount / price).quantize(step, ROUND_DOWN)

    def reserve(self, order: Order, at: datetime) -> Decimal:
        """Buying power held by an open order."""
        if order.final or not order.opening:
            return ZERO
        if order.instrument_type != "FUTURES" and not (order.buying or order.side == "SHORT"):
            return ZERO
        if order.entrust_type == "AMOUNT" and order.amount is not None and not order.filled_qty:
            price = self.reference_price(order, at)
            return order.amount + self.fee_total(order, self._amount_qty(order, price), price)
        qty = order.remaining
        if not qty:
            return ZERO
        price = self.reference_price(order, at)
        return max(self.consideration(order, qty, price), ZERO) + self.fee_total(order, qty,
                                                                                 price)

    def refresh_frozen(self, account: Account, at: datetime | None = None) -> None:
        when = at or self.market.clock.now()
        account.frozen = sum((self.reserve(o, when) for o in self.orders
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

    def _option_match(self, account: Account, order: Order) -> tuple[Position | None, Decimal]:
        """The option position the order's legs trade, and +1 (adds) or -1 (closes)."""
        mine = sorted((leg.option.symbol, leg.ratio(order.quantity)) for leg in order.legs)
        for p in account.positions:
            if p.instrument_type != "OPTION":
                continue
            theirs = sorted((leg.option.symbol, Decimal(leg.ratio)) for leg in p.legs)
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
        price = self.unit_price(order, at)
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
                qty = self._amount_qty(order, fill_price)
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
        commission, fees = self.fee_for(order, qty, price)
        fee = commission + sum(fees.values(), ZERO)
        kind = order.instrument_type
        signed = qty * order.direction
        # a cash account pays in full: a fill it can no longer pay for fails the order
        if order.buying and account.kind not in ("margin", "futures") and kind != "OPTION" \
                and cents(qty * price * self.multiplier(order)) + fee > account.cash:
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
        size = self.multiplier(order)
        flow = ZERO
        if p is not None and (p.quantity > 0) != (signed > 0):
            closed = min(abs(signed), abs(p.quantity))
            flow = closed * (price - p.cost_price) * size * (1 if p.quantity > 0 else -1)
        self._move(account, order, signed, price)
        return flow

    def _fill_option(self, account: Account, order: Order, qty: Decimal,
                     price: Decimal) -> Decimal:
        p, sign = self._option_match(account, order)
        unit_cost = price * order.direction  # Σ ratio × leg price
        if p is None:
            legs = [Leg(self.ids.token(), leg.option, int(leg.ratio(order.quantity)))
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

    # ---------------------------------------------------------------- wire
    def wire_item(self, o: Order) -> dict[str, Any]:
        filled_price = (o.filled_value / o.filled_qty) if o.filled_qty else ZERO
        step = Decimal("0.0001") if o.instrument_type != "CRYPTO" else Decimal("0.00000001")
        body: dict[str, Any] = {
            "client_order_id": o.client_order_id,
            "order_id": o.order_id,
            "symbol": o.symbol,
            "side": o.side,
            "status": o.status,
            "order_type": o.order_type,
            "instrument_type": o.instrument_type,
            "entrust_type": o.entrust_type,
            "time_in_force": o.time_in_force,
            "total_quantity": plain(o.quantity),
            "filled_quantity": plain(o.filled_qty),
            "filled_price": _price(quantize(filled_price, step)) if o.filled_qty else "0",
            "place_time": epoch_millis(o.place_time),
            "place_time_at": iso_millis(o.place_time),
        }
        if o.session and o.instrument_type == "EQUITY":
            body["support_trading_session"] = o.session
        if o.expire_date:
            body["expire_date"] = o.expire_date.isoformat()
        if o.limit_price is not None:
            body["limit_price"] = _price(o.limit_price)
        if o.stop_price is not None:
            body["stop_price"] = _price(o.stop_price)
        if o.trailing_type:
            body["trailing_type"] = o.trailing_type
            body["trailing_stop_step"] = plain(o.trailing_step or ZERO)
        if o.filled_time is not None:
            body["filled_time"] = epoch_millis(o.filled_time)
            body["filled_time_at"] = iso_millis(o.filled_time)
        if o.event_outcome:
            body["event_outcome"] = o.event_outcome
        if o.position_intent:
            body["position_intent"] = o.position_intent
        if o.option_strategy:
            body["option_strategy"] = o.option_strategy
        if o.legs:
            body["legs"] = [{
                "id": leg.leg_id, "symbol": leg.option.underlying.symbol, "side": leg.side,
                "quantity": plain(leg.quantity), "option_type": leg.option.option_type,
                "option_category": "AMERICAN",
                "strike_price": f"{leg.option.strike:.1f}"
                if leg.option.strike == leg.option.strike.to_integral() else plain(
                    leg.option.strike),
                "option_contract_multiplier": "100", "option_contract_deliverable": "100",
                "option_expire_date": leg.option.expiration.isoformat(),
            } for leg in o.legs]
        body.update(o.extra)
        body["commission"] = {"actual_commission": _money(o.commission),
                              "receivable_commission": _money(o.commission)}
        body["fees"] = [{"type": name, "actual_value": _money(value),
                         "receivable_value": _money(value)} for name, value in o.fees.items()]
        return body

    def wire_group(self, group: list[Order]) -> dict[str, Any]:
        first = group[0]
        if not first.combo_order_id:
            return {"client_order_id": first.client_order_id, "combo_order_id": "",
                    "combo_type": "NORMAL", "orders": [self.wire_item(first)]}
        master = next((o for o in group if o.combo_type == "MASTER"), None)
        return {"client_order_id": "", "combo_order_id": first.combo_order_id,
                "combo_type": (master or first).combo_type,
                "orders": [self.wire_item(o) for o in group]}


def _price(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(CENT) else plain(value)


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):f}"


# ------------------------------------------------------------------------------ validation


class OrderRules:
    """Builds an ``Order`` from a request item, enforcing API.md §7."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        self.market = book.market
        self.catalog = book.catalog

    def build(self, account: Account, item: Any, at: datetime, combo_id: str = "") -> Order:
        if not isinstance(item, dict):
            raise invalid_parameter("each order must be a JSON object")
        client_id = _text(item, "client_order_id", True)
        assert client_id is not None
        if not CLIENT_ID.fullmatch(client_id):
            raise invalid_parameter("client_order_id must be 1-32 letters and digits")
        combo_type = _enum(item, "combo_type", COMBO_TYPES, True)
        kind = _enum(item, "instrument_type", SIDES, True)
        assert kind is not None and combo_type is not None
        _enum(item, "market", {"US"}, True)
        side = _enum(item, "side", {"BUY", "SELL", "SHORT"}, True)
        order_type = _enum(item, "order_type", ALL_ORDER_TYPES, True)
        tif = _enum(item, "time_in_force", TIFS, True)
        entrust = _enum(item, "entrust_type", {"QTY", "AMOUNT"}, True)
        symbol = _text(item, "symbol", True)
        assert side and order_type and tif and entrust and symbol
        if kind not in ACCOUNT_ASSETS[account.kind]:
            raise business(NO_PERMISSION, f"{kind} orders cannot be placed in this account")
        if side not in SIDES[kind]:
            raise invalid_parameter(f"side {side} is not supported for {kind}")
        if order_type not in ORDER_TYPES[kind]:
            raise invalid_parameter(f"order_type {order_type} is not supported for {kind}")
        if kind not in ("EQUITY", "OPTION") and combo_type != "NORMAL":
            raise invalid_parameter(f"{kind} orders support only combo_type NORMAL")
        session = _enum(item, "support_trading_session", {"CORE", "ALL", "NIGHT"})
        if session and kind != "EQUITY":
            raise invalid_parameter("support_trading_session applies to stocks only")
        if kind == "EQUITY" and session is None:
            session = "CORE"
        limit = _number(item, "limit_price")
        stop = _number(item, "stop_price")
        quantity = _number(item, "quantity")
        amount = _number(item, "total_cash_amount")
        trailing_type = _enum(item, "trailing_type", {"AMOUNT", "PERCENTAGE"})
        trailing_step = _number(item, "trailing_stop_step")
        outcome = _enum(item, "event_outcome", {"yes", "no"})
        expire = _text(item, "expire_date")
        expire_date = None
        if tif == "GTD":
            if kind != "EVENT":
                raise invalid_parameter("time_in_force GTD is not supported for " + kind)
            try:
                expire_date = date.fromisoformat(expire or "")
            except ValueError:
                raise invalid_parameter("expire_date must be yyyy-MM-dd") from None
        # prices required by the order type
        if order_type in ("LIMIT", "STOP_LOSS_LIMIT") and limit is None:
            raise invalid_parameter("limit_price is required for " + order_type)
        if order_type in ("STOP_LOSS", "STOP_LOSS_LIMIT") and stop is None:
            raise invalid_parameter("stop_price is required for " + order_type)
        if order_type in ("MARKET", "STOP_LOSS", "TRAILING_STOP_LOSS") and limit is not None:
            raise invalid_parameter("limit_price is not allowed for " + order_type)
        if order_type not in ("STOP_LOSS", "STOP_LOSS_LIMIT") and stop is not None:
            raise invalid_parameter("stop_price is not allowed for " + order_type)
        if order_type == "TRAILING_STOP_LOSS":
            if trailing_type is None or trailing_step is None:
                raise invalid_parameter("trailing_type and trailing_stop_step are required")
            if trailing_type == "PERCENTAGE" and trailing_step > 1:
                raise invalid_parameter("trailing_stop_step is a fraction: at most 1")
        elif trailing_type or trailing_step:
            raise invalid_parameter("trailing fields are for TRAILING_STOP_LOSS only")
        # entrust type
        if entrust == "AMOUNT":
            if kind == "EQUITY":
                if order_type != "MARKET":
                    raise invalid_parameter("AMOUNT orders must be MARKET orders")
                if not self.catalog.stocks.get(symbol) or not self.catalog.stocks[
                        symbol].ref.fractionable:
                    raise business(FRACTIONAL, f"{symbol} cannot be traded in fractions")
            elif kind == "EVENT":
                if side != "BUY" or tif != "FOK":
                    raise invalid_parameter("event AMOUNT orders are FOK buys")
            elif kind != "CRYPTO":
                raise invalid_parameter(f"entrust_type AMOUNT is not supported for {kind}")
            if amount is None:
                raise invalid_parameter("total_cash_amount is required for AMOUNT orders")
            if quantity is not None:
                raise invalid_parameter("quantity is not allowed for AMOUNT orders")
            if side != "BUY" and kind == "EQUITY":
                raise invalid_parameter("AMOUNT stock orders must be buys")
            quantity = ZERO
        else:
            if quantity is None:
                raise invalid_parameter("quantity is required")
            if amount is not None:
                raise invalid_parameter("total_cash_amount is only for AMOUNT orders")
        legs: list[OrderLeg] = []
        strategy = None
        intent = _enum(item, "position_intent", {"BUY_TO_OPEN", "BUY_TO_CLOSE", "SELL_TO_OPEN",
                                                 "SELL_TO_CLOSE"})
        if kind == "OPTION":
            strategy = _enum(item, "option_strategy", STRATEGY_LEGS, default="SINGLE")
            assert strategy is not None
            legs = self._legs(item, symbol, strategy, quantity)
        elif intent or item.get("legs") or item.get("option_strategy"):
            raise invalid_parameter("legs, option_strategy and position_intent are for options")
        if kind == "EVENT":
            if outcome is None:
                raise invalid_parameter("event_outcome (yes|no) is required for events")
        elif outcome is not None:
            raise invalid_parameter("event_outcome is for event contracts only")
        algo = self._algo(item, kind, side, order_type, tif, session)
        mode = _enum(item, "event_trade_mode", {"TRADE_IN_AMOUNT", "TRADE_IN_CONTRACT"})
        if mode is not None:
            if kind != "EVENT" or order_type != "MARKET":
                raise invalid_parameter("event_trade_mode makes an event MARKET order")
            if (mode == "TRADE_IN_AMOUNT") != (entrust == "AMOUNT"):
                raise invalid_parameter("TRADE_IN_AMOUNT goes with entrust_type AMOUNT")
            algo["event_trade_mode"] = mode
        elif kind == "EVENT" and order_type == "MARKET":
            raise invalid_parameter("event MARKET orders need an event_trade_mode")
        self._instrument(kind, symbol, side, order_type, tif, entrust, quantity, amount,
                         limit, stop, session, outcome, account)
        order = Order(
            account.account_id, client_id, self.book.ids.token(), combo_type, combo_id, kind,
            symbol, side, order_type, tif, entrust, session, quantity, amount, limit, stop,
            trailing_type, trailing_step, expire_date, outcome, strategy, intent, legs, at,
            self.book.next_seq())
        order.expires_at = self.book.expiry(order, at)
        order.extra = algo
        return order

    @staticmethod
    def _algo(item: dict[str, Any], kind: str, side: str, order_type: str, tif: str,
              session: str | None) -> dict[str, str]:
        """Algo fields (API.md §7.1), echoed by order detail; the engine fills algo orders
        like plain ones."""
        names = ("algo_type", "target_vol_percent", "max_target_percent", "algo_start_time",
                 "algo_end_time")
        algo_type = _enum(item, "algo_type", {"TWAP", "VWAP", "POV"})
        if algo_type is None:
            if any(item.get(n) not in (None, "") for n in names):
                raise invalid_parameter("algo fields need an algo_type")
            return {}
        if kind != "EQUITY" or order_type not in ("MARKET", "LIMIT") or tif != "DAY" or \
                session != "CORE" or side == "SHORT":
            raise invalid_parameter("algo orders are stock MARKET/LIMIT BUY/SELL, DAY, CORE")
        percent = "target_vol_percent" if algo_type == "POV" else "max_target_percent"
        value = _text(item, percent, True)
        if value is None or not value.isdigit() or not 1 <= int(value) <= 20:
            raise invalid_parameter(f"{percent} is a whole number from 1 to 20")
        out = {"algo_type": algo_type, percent: value}
        for name in ("algo_start_time", "algo_end_time"):
            text = _text(item, name)
            if text is not None:
                try:
                    time.fromisoformat(text)
                except ValueError:
                    raise invalid_parameter(f"{name} must be HH:mm:ss") from None
                out[name] = text
        return out

    def _legs(self, item: dict[str, Any], symbol: str, strategy: str,
              quantity: Decimal | None) -> list[OrderLeg]:
        raw = item.get("legs")
        if not isinstance(raw, list) or not raw:
            raise invalid_parameter("legs are required for option orders")
        low, high = STRATEGY_LEGS[strategy]
        if not low <= len(raw) <= high:
            raise invalid_parameter(f"{strategy} takes {low}-{high} legs")
        legs = []
        for leg in raw:
            if not isinstance(leg, dict):
                raise invalid_parameter("each leg must be a JSON object")
            if _enum(leg, "instrument_type", {"OPTION", "EQUITY"}, True) == "EQUITY":
                raise invalid_parameter("stock legs (COVERED_STOCK, COLLAR_WITH_STOCK) are not "
                                        "supported by the simulator")
            underlying = _text(leg, "symbol", True)
            if underlying != symbol:
                raise invalid_parameter("a leg's symbol must be the order's underlying")
            side = _enum(leg, "side", {"BUY", "SELL"}, True)
            option_type = _enum(leg, "option_type", {"CALL", "PUT"}, True)
            strike = _number(leg, "strike_price", True)
            try:
                expiry = date.fromisoformat(_text(leg, "option_expire_date", True) or "")
            except ValueError:
                raise invalid_parameter("option_expire_date must be yyyy-MM-dd") from None
            qty = _number(leg, "quantity") or quantity
            assert strike is not None and side and option_type and qty is not None
            if qty != qty.to_integral():
                raise business(INVALID_QTY, "option quantities are whole contracts")
            contract = self.catalog.options.get(occ_symbol(symbol, expiry, option_type, strike))
            if contract is None:
                raise invalid_parameter("no such option contract")
            legs.append(OrderLeg(self.book.ids.token(), contract, side, qty))
        if len({leg.option.symbol for leg in legs}) != len(legs):
            raise invalid_parameter("legs must be different contracts")
        if quantity is not None and any(leg.quantity % quantity for leg in legs):
            raise invalid_parameter("leg quantities must be multiples of the order quantity")
        return legs

    def _instrument(self, kind: str, symbol: str, side: str, order_type: str, tif: str,
                    entrust: str, quantity: Decimal | None, amount: Decimal | None,
                    limit: Decimal | None, stop: Decimal | None, session: str | None,
                    outcome: str | None, account: Account) -> None:
        qty = quantity or ZERO
        prices = [p for p in (limit, stop) if p is not None]
        if kind == "EQUITY":
            stock = self.catalog.stocks.get(symbol)
            if stock is None:
                raise invalid_parameter(f"unknown symbol {symbol}")
            ref = stock.ref
            if ref.status == "NT" or (ref.status == "CO" and side != "SELL"):
                raise business(NO_PERMISSION, f"{symbol} is not tradable")
            if tif not in ("DAY", "GTC"):
                raise invalid_parameter("stock orders take time_in_force DAY or GTC")
            if side == "SHORT":
                if account.kind != "margin":
                    raise business(NO_PERMISSION, "short selling needs a margin account")
                if not ref.shortable:
                    raise business(NO_PERMISSION, f"{symbol} cannot be sold short")
            if qty and qty != qty.to_integral():
                if not ref.fractionable:
                    raise business(FRACTIONAL, f"{symbol} cannot be traded in fractions")
                if order_type != "MARKET":
                    raise invalid_parameter("fractional quantities need MARKET orders")
                if _places(qty) > 5:
                    raise business(INVALID_QTY, "at most 5 decimals of a share")
            if amount is not None and amount < 1:
                raise invalid_parameter("total_cash_amount must be at least $1")
            for p in prices:
                tick = CENT if p >= 1 else Decimal("0.0001")
                if not _on_step(p, tick):
                    raise invalid_parameter(f"price {p} is not a multiple of the tick {tick}")
            last = self.market.price(symbol)
            if Decimal("0.0999") < last < 1 and qty and qty < 100:
                raise business(SUB_DOLLAR, "stocks priced $0.10-$0.999 trade in 100 shares+")
            if session == "NIGHT" and not ref.overnight:
                raise invalid_parameter(f"{symbol} does not trade overnight")
            self._open(kind, session)
        elif kind == "OPTION":
            if tif not in ("DAY", "GTC"):
                raise invalid_parameter("option orders take time_in_force DAY or GTC")
            if side == "SELL" and tif != "DAY":
                raise invalid_parameter("sell-side option orders take time_in_force DAY only")
            if qty != qty.to_integral():
                raise business(INVALID_QTY, "option orders are for whole units")
            for p in prices:
                if not _on_step(p, CENT):
                    raise invalid_parameter("option prices have 2 decimals")
            self._open(kind, None)
        elif kind == "FUTURES":
            contract = self.catalog.futures.get(symbol)
            if contract is None:
                raise invalid_parameter(f"unknown futures contract {symbol}")
            if entrust != "QTY":
                raise invalid_parameter("futures orders take entrust_type QTY")
            if tif not in ("DAY", "GTC"):
                raise invalid_parameter("futures orders take time_in_force DAY or GTC")
            if qty != qty.to_integral():
                raise business(INVALID_QTY, "futures orders are for whole contracts")
            for p in prices:
                if not _on_step(p, contract.tick):
                    raise invalid_parameter(f"price {p} is not a multiple of the tick "
                                            f"{contract.tick}")
            self._open(kind, None)
        elif kind == "CRYPTO":
            crypto = self.catalog.crypto.get(symbol)
            if crypto is None:
                raise invalid_parameter(f"unknown crypto pair {symbol}")
            if order_type == "MARKET" and tif != "IOC":
                raise invalid_parameter("crypto MARKET orders take time_in_force IOC")
            if order_type != "MARKET" and tif not in ("DAY", "GTC"):
                raise invalid_parameter("crypto limit orders take time_in_force DAY or GTC")
            if order_type == "STOP_LOSS_LIMIT" and side == "SELL" and entrust != "QTY":
                raise invalid_parameter("crypto stop-limit sells take entrust_type QTY")
            if qty and _places(qty) > 8:
                raise business(INVALID_QTY, "at most 8 decimals")
            for p in prices:
                if not _on_step(p, crypto.price_step):
                    raise invalid_parameter(f"price {p} is not a multiple of the price step "
                                            f"{crypto.price_step}")
            last = self.market.price(symbol)
            notional = amount if amount is not None else qty * (limit or last)
            if not CRYPTO_MIN <= notional <= CRYPTO_MAX:
                raise invalid_parameter("a crypto order is worth $2-$100,000")
            if side == "BUY":
                pending = sum((o.quantity * (o.limit_price or last) if o.amount is None
                               else o.amount for o in self.book.orders
                               if o.account_id == account.account_id and not o.final
                               and o.buying and o.instrument_type == "CRYPTO"), ZERO)
                if pending + notional > CRYPTO_PENDING_MAX:
                    raise invalid_parameter("pending crypto buys are limited to $200,000")
            else:
                held = sum((p.quantity for p in account.positions if p.symbol == symbol), ZERO)
                left = held - qty
                if 0 < left and left * last < CRYPTO_MIN:
                    raise invalid_parameter("a sell may not leave less than $2 of a coin")
        else:  # EVENT
            market = self.catalog.events.get(symbol)
            if market is None:
                raise invalid_parameter(f"unknown event contract {symbol}")
            if qty > MAX_EVENT_CONTRACTS:
                raise business(INVALID_QTY, "at most 50,000 contracts per order")
            if qty != qty.to_integral() and not market.series.fractionable:
                raise business(INVALID_QTY, "this market trades whole contracts")
            for p in prices:
                if not (CENT <= p <= Decimal("0.99")) or not _on_step(p, CENT):
                    raise invalid_parameter("event prices are $0.01-$0.99 in steps of $0.01")

    def _open(self, kind: str, session: str | None) -> None:
        if self.market.is_open(kind, session or "CORE"):
            return
        if session == "NIGHT":
            raise business(NO_NIGHT_TRADING_TIME,
                           "The current period does not support placing night orders")
        raise business(NO_TRADING_TIME, "The current period does not support placing orders")

    # ---------------------------------------------------------------- account checks
    def check_funds(self, account: Account, orders: list[Order], at: datetime) -> None:
        """Selling no more than held, buying no more than buying power allows."""
        need = ZERO
        masters_buy = {o.symbol for o in orders if o.combo_type == "MASTER" and o.buying}
        for o in orders:
            o.opening = self._opening(account, o, masters_buy)
            if not o.opening and o.instrument_type != "FUTURES" and o.side == "SELL" and (
                    o.instrument_type != "OPTION"):
                if o.combo_type in ("STOP_PROFIT", "STOP_LOSS", "OTO", "OTOCO") and \
                        o.symbol in masters_buy:
                    continue
                available = self.book.held(account, o) - self.book.pending_sells(
                    account.account_id, o)
                if o.quantity > available or self.book.held(account, o) <= 0:
                    raise business(SELL_QTY_EXCEEDED,
                                   "The sell quantity exceeds the available quantity")
            if o.combo_type in ("NORMAL", "MASTER") or not any(
                    x.combo_type in ("NORMAL", "MASTER") for x in orders):
                need += self.book.reserve(o, at)
                if o.combo_type == "OCO":
                    break
        if need > 0 and need > self.book.buying_power(account):
            raise business(BUYING_POWER, "Insufficient day buying power")

    def _opening(self, account: Account, o: Order, masters_buy: set[str]) -> bool:
        kind = o.instrument_type
        if kind == "OPTION":
            p, sign = self.book._option_match(account, o)
            closes = p is not None and sign < 0
            if o.position_intent:
                if o.position_intent.split("_")[0] != o.side:
                    raise invalid_parameter("position_intent does not agree with side")
                if o.position_intent.endswith("CLOSE") and not closes:
                    raise business(SELL_QTY_EXCEEDED, "there is no position to close")
            if closes:
                assert p is not None
                if o.quantity > p.quantity:
                    raise business(SELL_QTY_EXCEEDED,
                                   "The quantity exceeds the position to close")
                return False
            if o.side == "SELL" and account.kind != "margin":
                raise business(NO_PERMISSION, "selling options to open needs a margin account")
            return True
        if kind == "FUTURES":
            held = self.book.held(account, o)
            return held == 0 or (held > 0) == (o.side == "BUY") or abs(held) < o.quantity
        if o.side == "SELL":
            if kind == "EVENT" and self.book.held(account, o) <= 0:
                raise business(SELL_QTY_EXCEEDED, "event contracts are sold only to close")
            return False
        return True
