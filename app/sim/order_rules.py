"""The rules a new order must pass (API.md §7): its fields, what each asset class and account
kind allows, the market session, and the account's holdings and buying power. ``OrderRules``
builds the ``Order`` of a request item once it passes them."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from . import order_fields as fields
from .accounts import Account
from .errors import business, invalid_parameter
from .instruments import Catalog
from .order_fields import CLIENT_ID
from .order_legs import INVALID_QTY, NO_PERMISSION, STRATEGY_LEGS, option_legs
from .order_model import CENT, ZERO, Order, OrderLeg
from .orders import OrderBook

# error codes (API.md §9.2); the Connect side adds OAUTH_ (errors.py)
NO_TRADING_TIME = "OPENAPI_NO_TRADING_TIME"
NO_NIGHT_TRADING_TIME = "OPENAPI_NO_NIGHT_TRADING_TIME"
SELL_QTY_EXCEEDED = "OPENAPI_SELL_QTY_EXCEED_AVAILABLE_QTY"
BUYING_POWER = "DAY_BUYING_POWER_INSUFFICIENT"
FRACTIONAL = "OPENAPI_FRACT_TICKER_DONT_SUPPORT_TRADE"
SUB_DOLLAR = "OPENAPI_CANT_TRADE_FOR_PRICE_BETWEEN_0099_AND_0999"

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
MAX_EVENT_CONTRACTS = Decimal(50_000)
CRYPTO_MIN, CRYPTO_MAX = Decimal(2), Decimal(100_000)
CRYPTO_PENDING_MAX = Decimal(200_000)


def price_tick(catalog: Catalog, kind: str, symbol: str, price: Decimal) -> Decimal:
    """The price step of a stock, futures, option or event order (crypto has its own)."""
    if kind == "FUTURES":
        return catalog.futures[symbol].tick
    if kind == "EQUITY":
        return CENT if price >= 1 else Decimal("0.0001")
    return CENT


def check_tick(price: Decimal, tick: Decimal) -> None:
    if not fields.on_step(price, tick):
        raise invalid_parameter(f"price {price} is not a multiple of the tick {tick}")


class OrderRules:
    """Builds an ``Order`` from a request item, enforcing API.md §7."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        self.market = book.market
        self.catalog = book.catalog

    def build(self, account: Account, item: Any, at: datetime, combo_id: str = "") -> Order:
        if not isinstance(item, dict):
            raise invalid_parameter("each order must be a JSON object")
        client_id = fields.text(item, "client_order_id", True)
        assert client_id is not None
        if not CLIENT_ID.fullmatch(client_id):
            raise invalid_parameter("client_order_id must be 1-32 letters and digits")
        combo_type = fields.enum(item, "combo_type", COMBO_TYPES, True)
        kind = fields.enum(item, "instrument_type", SIDES, True)
        assert kind is not None and combo_type is not None
        fields.enum(item, "market", {"US"}, True)
        side = fields.enum(item, "side", {"BUY", "SELL", "SHORT"}, True)
        order_type = fields.enum(item, "order_type", ALL_ORDER_TYPES, True)
        tif = fields.enum(item, "time_in_force", TIFS, True)
        entrust = fields.enum(item, "entrust_type", {"QTY", "AMOUNT"}, True)
        symbol = fields.text(item, "symbol", True)
        assert side and order_type and tif and entrust and symbol
        if kind not in ACCOUNT_ASSETS[account.kind]:
            raise business(NO_PERMISSION, f"{kind} orders cannot be placed in this account")
        if side not in SIDES[kind]:
            raise invalid_parameter(f"side {side} is not supported for {kind}")
        if order_type not in ORDER_TYPES[kind]:
            raise invalid_parameter(f"order_type {order_type} is not supported for {kind}")
        if kind not in ("EQUITY", "OPTION") and combo_type != "NORMAL":
            raise invalid_parameter(f"{kind} orders support only combo_type NORMAL")
        session = fields.enum(item, "support_trading_session", {"CORE", "ALL", "NIGHT"})
        if session and kind != "EQUITY":
            raise invalid_parameter("support_trading_session applies to stocks only")
        if kind == "EQUITY" and session is None:
            session = "CORE"
        limit = fields.number(item, "limit_price")
        stop = fields.number(item, "stop_price")
        quantity = fields.number(item, "quantity")
        amount = fields.number(item, "total_cash_amount")
        trailing_type = fields.enum(item, "trailing_type", {"AMOUNT", "PERCENTAGE"})
        trailing_step = fields.number(item, "trailing_stop_step")
        outcome = fields.enum(item, "event_outcome", {"yes", "no"})
        expire = fields.text(item, "expire_date")
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
        intent = fields.enum(item, "position_intent", {"BUY_TO_OPEN", "BUY_TO_CLOSE",
                                                       "SELL_TO_OPEN", "SELL_TO_CLOSE"})
        if kind == "OPTION":
            strategy = fields.enum(item, "option_strategy", STRATEGY_LEGS, default="SINGLE")
            assert strategy is not None
            legs = option_legs(self.catalog, self.book.ids, item, symbol, strategy, side,
                               quantity)
        elif intent or item.get("legs") or item.get("option_strategy"):
            raise invalid_parameter("legs, option_strategy and position_intent are for options")
        if kind == "EVENT":
            if outcome is None:
                raise invalid_parameter("event_outcome (yes|no) is required for events")
        elif outcome is not None:
            raise invalid_parameter("event_outcome is for event contracts only")
        algo = self._algo(item, kind, side, order_type, tif, session)
        mode = fields.enum(item, "event_trade_mode", {"TRADE_IN_AMOUNT", "TRADE_IN_CONTRACT"})
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
        algo_type = fields.enum(item, "algo_type", {"TWAP", "VWAP", "POV"})
        if algo_type is None:
            if any(item.get(n) not in (None, "") for n in names):
                raise invalid_parameter("algo fields need an algo_type")
            return {}
        if kind != "EQUITY" or order_type not in ("MARKET", "LIMIT") or tif != "DAY" or \
                session != "CORE" or side == "SHORT":
            raise invalid_parameter("algo orders are stock MARKET/LIMIT BUY/SELL, DAY, CORE")
        percent = "target_vol_percent" if algo_type == "POV" else "max_target_percent"
        value = fields.text(item, percent, True)
        if value is None or not value.isdigit() or not 1 <= int(value) <= 20:
            raise invalid_parameter(f"{percent} is a whole number from 1 to 20")
        out = {"algo_type": algo_type, percent: value}
        for name in ("algo_start_time", "algo_end_time"):
            text = fields.text(item, name)
            if text is not None:
                try:
                    time.fromisoformat(text)
                except ValueError:
                    raise invalid_parameter(f"{name} must be HH:mm:ss") from None
                out[name] = text
        return out

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
                if fields.places(qty) > 5:
                    raise business(INVALID_QTY, "at most 5 decimals of a share")
            if amount is not None and amount < 1:
                raise invalid_parameter("total_cash_amount must be at least $1")
            for p in prices:
                check_tick(p, price_tick(self.catalog, kind, symbol, p))
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
                if not fields.on_step(p, CENT):
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
                check_tick(p, contract.tick)
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
            if qty and fields.places(qty) > 8:
                raise business(INVALID_QTY, "at most 8 decimals")
            for p in prices:
                if not fields.on_step(p, crypto.price_step):
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
                if not (CENT <= p <= Decimal("0.99")) or not fields.on_step(p, CENT):
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
                need += self.book.costs.reserve(o, at)
                if o.combo_type == "OCO":
                    break
        if need > 0 and need > self.book.buying_power(account):
            raise business(BUYING_POWER, "Insufficient day buying power")

    def _opening(self, account: Account, o: Order, masters_buy: set[str]) -> bool:
        kind = o.instrument_type
        if kind == "OPTION":
            p, sign = self.book.option_match(account, o)
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
            if any(leg.option is None and leg.side == "SELL" for leg in o.legs):
                raise business(SELL_QTY_EXCEEDED, f"there is no {o.option_strategy} position "
                                                  "to close: its shares are sold only to close it")
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
