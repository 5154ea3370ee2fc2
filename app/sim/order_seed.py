"""Order history for the demo users, so that the order lists are not empty at start: filled and
cancelled orders of the past days (already reflected in the seeded positions and cash) and one
working GTC limit order, which holds buying power."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .accounts import User
from .order_model import CENT, GTC_LIFETIME, Order, OrderLeg
from .orders import OrderBook
from .wire import quantize


def seed_orders(book: OrderBook, users: list[User]) -> None:
    now = book.market.clock.now().replace(microsecond=0)
    start = book.market.start
    for user in users:
        for account in user.accounts:
            stocks = [p for p in account.positions if p.instrument_type == "EQUITY"]
            if account.kind in ("margin", "cash") and stocks:
                first = stocks[0]
                _history(book, account.account_id, first.symbol, now, start)
            if account.kind == "futures" and account.positions:
                p = account.positions[0]
                order = _order(book, account.account_id, "FUTURES", p.symbol, "BUY", "LIMIT",
                               "DAY", Decimal(1), now - timedelta(days=3, hours=2))
                order.limit_price = p.cost_price
                _filled(order, p.cost_price, order.place_time + timedelta(seconds=41))
                order.commission = Decimal("0.25")
                order.fees = {"EXCHANGE_FEE": Decimal("1.98"), "NFA_REGULATORY_FEE":
                              Decimal("0.02")}
            if account.kind == "margin" and user.username == "demo":
                option = next((p for p in account.positions if p.instrument_type == "OPTION"
                               and len(p.legs) == 1), None)
                if option is not None:
                    leg = option.legs[0]
                    order = _order(book, account.account_id, "OPTION", option.symbol, "BUY",
                                   "LIMIT", "GTC", Decimal(1), now - timedelta(days=2, hours=5))
                    order.option_strategy = "SINGLE"
                    order.position_intent = "BUY_TO_OPEN"
                    order.legs = [OrderLeg(book.ids.token(), leg.option, "BUY", Decimal(1))]
                    order.limit_price = option.cost_price
                    _filled(order, option.cost_price, order.place_time + timedelta(minutes=3))
                    order.fees = {"OPTION_CONTRACT_FEE": Decimal("0.65"),
                                  "FINRA_CAT_REGULATORY_FEE": CENT}
    for account in book.accounts.values():
        book.refresh_frozen(account, now)


def _history(book: OrderBook, account_id: str, symbol: str, now: datetime,
             start: datetime) -> None:
    price = book.market.price(symbol, start)
    filled = _order(book, account_id, "EQUITY", symbol, "BUY", "MARKET", "DAY", Decimal(5),
                    now - timedelta(days=4, hours=3))
    _filled(filled, quantize(price * Decimal("0.97"), CENT),
            filled.place_time + timedelta(milliseconds=830))
    filled.fees = {"FINRA_CAT_REGULATORY_FEE": CENT}
    cancelled = _order(book, account_id, "EQUITY", symbol, "SELL", "LIMIT", "DAY", Decimal(2),
                       now - timedelta(days=1, hours=4))
    cancelled.limit_price = quantize(price * Decimal("1.08"), CENT)
    cancelled.status = "CANCELLED"
    working = _order(book, account_id, "EQUITY", symbol, "BUY", "LIMIT", "GTC", Decimal(3),
                     now - timedelta(hours=20))
    working.limit_price = quantize(price * Decimal("0.85"), CENT)
    working.expires_at = working.place_time + GTC_LIFETIME


def _order(book: OrderBook, account_id: str, kind: str, symbol: str, side: str,
           order_type: str, tif: str, qty: Decimal, at: datetime) -> Order:
    order = Order(account_id, book.ids.token(32, "0123456789abcdef"), book.ids.token(), "NORMAL",
                  "", kind, symbol, side, order_type, tif, "QTY",
                  "CORE" if kind == "EQUITY" else None, qty, None, None, None, None, None, None,
                  None, None, None, [], at, book.next_seq())
    order.last_eval = at
    book.orders.append(order)
    book._by_client[(account_id, order.client_order_id)] = order
    return order


def _filled(order: Order, price: Decimal, at: datetime) -> None:
    order.status = "FILLED"
    order.filled_qty = order.quantity
    order.filled_value = order.quantity * price
    order.filled_time = at
