"""The legs of an option order (API.md §7.2): each option leg names a listed contract of the
order's underlying; COVERED_STOCK and COLLAR_WITH_STOCK add one stock leg (``instrument_type``
EQUITY, the underlying's shares, no contract fields).

Leg quantities are for the whole order, as for option legs: an option leg trades ``ratio ×
quantity`` contracts (its ``quantity`` defaults to the order's), and the stock leg trades 100
shares per contract, ``100 × quantity`` (its default). A covered stock is shares and one call on
them, sold against the shares bought (bought back when they are sold); a collar adds a put bought
with the shares. The order's side is the stock leg's side.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from . import order_fields as fields
from .errors import business, invalid_parameter
from .instruments import Catalog, occ_symbol
from .order_model import SHARES_PER_CONTRACT, OrderLeg
from .seed import IdAllocator

NO_PERMISSION = "OPENAPI_TRADE_ORDER_NO_PERMISSION"
INVALID_QTY = "ORDER_INVALID_QTY"

STRATEGY_LEGS = {
    "SINGLE": (1, 1), "STRADDLE": (2, 2), "STRANGLE": (2, 2), "VERTICAL": (2, 2),
    "CALENDAR": (2, 2), "DIAGONAL": (2, 2), "BUTTERFLY": (3, 4), "CONDOR": (4, 4),
    "IRON_BUTTERFLY": (4, 4), "IRON_CONDOR": (4, 4), "COVERED_STOCK": (2, 2),
    "COLLAR_WITH_STOCK": (3, 3),
}
#: the strategies with a stock leg → the option types of their option legs, sorted
STOCK_STRATEGIES = {"COVERED_STOCK": ["CALL"], "COLLAR_WITH_STOCK": ["CALL", "PUT"]}
_CONTRACT_FIELDS = ("strike_price", "option_expire_date", "option_type")


def option_legs(catalog: Catalog, ids: IdAllocator, item: dict[str, Any], symbol: str,
                strategy: str, side: str, quantity: Decimal | None) -> list[OrderLeg]:
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
        legs.append(_leg(catalog, ids, leg, symbol, quantity))
    if len({leg.symbol for leg in legs}) != len(legs):
        raise invalid_parameter("legs must be different contracts")
    if quantity is not None and any(leg.quantity % quantity for leg in legs):
        raise invalid_parameter("leg quantities must be multiples of the order quantity")
    if strategy in STOCK_STRATEGIES:
        _stock_strategy(strategy, side, legs, quantity)
    elif any(leg.option is None for leg in legs):
        raise invalid_parameter(f"{strategy} has no stock leg: only COVERED_STOCK and "
                                "COLLAR_WITH_STOCK trade shares with their options")
    return legs


def _leg(catalog: Catalog, ids: IdAllocator, leg: dict[str, Any], symbol: str,
         quantity: Decimal | None) -> OrderLeg:
    kind = fields.enum(leg, "instrument_type", {"OPTION", "EQUITY"}, True)
    underlying = fields.text(leg, "symbol", True)
    if underlying != symbol:
        raise invalid_parameter("a leg's symbol must be the order's underlying")
    side = fields.enum(leg, "side", {"BUY", "SELL"}, True)
    assert side is not None
    if kind == "EQUITY":
        named = [name for name in _CONTRACT_FIELDS if leg.get(name) not in (None, "")]
        if named:
            raise invalid_parameter(f"a stock leg names no option contract: {', '.join(named)} "
                                    "must be left out")
        stock = catalog.stocks.get(symbol)
        if stock is None:
            raise invalid_parameter(f"unknown symbol {symbol}")
        if stock.ref.status == "NT" or (stock.ref.status == "CO" and side != "SELL"):
            raise business(NO_PERMISSION, f"{symbol} is not tradable")
        shares = fields.number(leg, "quantity") or (
            SHARES_PER_CONTRACT * quantity if quantity is not None else None)
        if shares is None:
            raise invalid_parameter("the stock leg's quantity is required")
        if shares != shares.to_integral():
            raise business(INVALID_QTY, "a stock leg trades whole shares")
        return OrderLeg(ids.token(), None, side, shares, stock)
    option_type = fields.enum(leg, "option_type", {"CALL", "PUT"}, True)
    strike = fields.number(leg, "strike_price", True)
    try:
        expiry = date.fromisoformat(fields.text(leg, "option_expire_date", True) or "")
    except ValueError:
        raise invalid_parameter("option_expire_date must be yyyy-MM-dd") from None
    qty = fields.number(leg, "quantity") or quantity
    assert strike is not None and option_type and qty is not None
    if qty != qty.to_integral():
        raise business(INVALID_QTY, "option quantities are whole contracts")
    contract = catalog.options.get(occ_symbol(symbol, expiry, option_type, strike))
    if contract is None:
        raise invalid_parameter("no such option contract")
    return OrderLeg(ids.token(), contract, side, qty)


def _stock_strategy(strategy: str, side: str, legs: list[OrderLeg],
                    quantity: Decimal | None) -> None:
    """The shape of a covered stock or collar: one stock leg, the right options, the right
    sides, 100 shares and one contract of each option per unit."""
    shares = [leg for leg in legs if leg.option is None]
    options = [leg for leg in legs if leg.option is not None]
    wanted = STOCK_STRATEGIES[strategy]
    what = "a stock leg and a call" if strategy == "COVERED_STOCK" else \
        "a stock leg, a put and a call"
    if len(shares) != 1 or sorted(o.option.option_type for o in options  # type: ignore[union-attr]
                                  ) != wanted:
        raise invalid_parameter(f"{strategy} takes {what} (one leg with instrument_type EQUITY)")
    stock = shares[0]
    if stock.side != side:
        raise invalid_parameter(f"the side of a {strategy} order is its stock leg's side "
                                f"({stock.side})")
    other = "SELL" if stock.side == "BUY" else "BUY"
    for leg in options:
        assert leg.option is not None
        call = leg.option.option_type == "CALL"
        if leg.side != (other if call else stock.side):
            raise invalid_parameter(
                f"{strategy}: the call is sold when the shares are bought (bought back when "
                "they are sold)" if call else
                f"{strategy}: the put is bought with the shares (sold with them)")
    if quantity is None:
        return
    for leg in options:
        if leg.quantity != quantity:
            raise invalid_parameter(f"{strategy} trades one contract of each option per unit: "
                                    f"{quantity} for a quantity of {quantity}")
    if stock.quantity != SHARES_PER_CONTRACT * quantity:
        raise invalid_parameter(f"the stock leg of {strategy} is 100 shares per contract: "
                                f"{SHARES_PER_CONTRACT * quantity} for a quantity of {quantity}")
