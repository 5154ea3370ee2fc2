"""What an order costs: its price (``unit_price``), the money it moves (``consideration``) and
what it is charged (``fee_for``). Preview, the buying-power check, the reservation of open orders
and the fills all use these, so a preview equals what a fill at the same price charges."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from .accounts import cents
from .instruments import Catalog
from .market import Market
from .order_model import CENT, ONE, ZERO, Order

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


class OrderCosts:
    """Prices, considerations and fees of orders against one market."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.catalog: Catalog = market.catalog

    def unit_price(self, order: Order, at: datetime) -> Decimal:
        """The order's price in its own direction (options: net per share-equivalent)."""
        if order.instrument_type == "OPTION":
            total = sum((leg.weight(order.quantity) * self.market.price(leg.symbol, at)
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
    def fee_for(self, order: Order, qty: Decimal, price: Decimal, at: datetime | None = None
                ) -> tuple[Decimal, dict[str, Decimal]]:
        """(commission, {fee type: amount}) for trading ``qty`` at ``price`` (``at``: when, for
        the stock leg of a covered stock or collar, whose sale fees follow the stock's price)."""
        kind = order.instrument_type
        if kind == "EQUITY":
            return ZERO, self._stock_fees(order.side, qty, price)
        if kind == "OPTION":
            units = qty / order.quantity
            contracts = sum((leg.quantity for leg in order.legs if leg.option), ZERO) * units
            fees = {"OPTION_CONTRACT_FEE": up(contracts * OPTION_CONTRACT_FEE),
                    "FINRA_CAT_REGULATORY_FEE": CENT}
            for leg in order.legs:
                if leg.option is None:  # the shares trade like a stock order of their own
                    shares = leg.quantity * units
                    for name, value in self._stock_fees(
                            leg.side, shares, self.market.price(leg.symbol, at)).items():
                        fees[name] = fees.get(name, ZERO) + value
            return ZERO, fees
        if kind == "FUTURES":
            return up(qty * FUTURES_COMMISSION), {"EXCHANGE_FEE": up(qty * FUTURES_EXCHANGE),
                                                  "NFA_REGULATORY_FEE": up(qty * FUTURES_NFA)}
        if kind == "EVENT":
            return ZERO, {"EXCHANGE_FEE": up(qty * EVENT_EXCHANGE_FEE),
                          "FIRM_FEE": up(qty * EVENT_FIRM_FEE)}
        return ZERO, {"CRYPTO_SPREAD_FEE": max(CENT, up(qty * price * CRYPTO_SPREAD))}

    @staticmethod
    def _stock_fees(side: str, qty: Decimal, price: Decimal) -> dict[str, Decimal]:
        fees = {"FINRA_CAT_REGULATORY_FEE": max(CENT, up(qty * CAT_PER_SHARE))}
        if side in ("SELL", "SHORT"):
            fees["SEC_REGULATORY_FEE"] = max(CENT, up(qty * price * SEC_RATE))
            fees["FINRA_TRADING_ACTIVITY_FEE"] = max(CENT, min(TAF_MAX, up(qty * TAF_PER_SHARE)))
        return fees

    def fee_total(self, order: Order, qty: Decimal, price: Decimal,
                  at: datetime | None = None) -> Decimal:
        commission, fees = self.fee_for(order, qty, price, at)
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
            qty = self.amount_qty(order, price)
            return qty, order.amount, self.fee_total(order, qty, price, at)
        cost = self.consideration(order, order.quantity, price)
        return order.quantity, max(cost, ZERO), self.fee_total(order, order.quantity, price, at)

    def amount_qty(self, order: Order, price: Decimal) -> Decimal:
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
            return order.amount + self.fee_total(order, self.amount_qty(order, price), price, at)
        qty = order.remaining
        if not qty:
            return ZERO
        price = self.reference_price(order, at)
        return max(self.consideration(order, qty, price), ZERO) + self.fee_total(order, qty,
                                                                                 price, at)
