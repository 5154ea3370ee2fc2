"""The order model: an ``Order`` (with its ``OrderLeg``s: option contracts, and the stock leg of
a covered stock or collar) and the states it moves through.

States: SUBMITTED once accepted (PENDING while a combo member waits for its master), then
PARTIAL_FILLED / FILLED, or CANCELLED (by the caller, by a sibling of an OCO set, or when a DAY
order's session ends) or FAILED (a fill the account can no longer pay for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .instruments import OptionContract, Stock
from .wire import plain

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
FINAL = frozenset({"FILLED", "CANCELLED", "FAILED"})
#: GTC orders are cancelled after about 60 days (API.md §7.1)
GTC_LIFETIME = timedelta(days=60)


#: shares one option contract delivers: a stock leg's quantity per strategy unit (API.md §7.2)
SHARES_PER_CONTRACT = Decimal(100)


@dataclass
class OrderLeg:
    """One leg of an option order: an option contract, or (``option`` None) the stock leg of a
    COVERED_STOCK / COLLAR_WITH_STOCK order, whose quantity is in shares."""

    leg_id: str
    option: OptionContract | None
    side: str
    quantity: Decimal  # contracts (stock leg: shares) for the whole order
    stock: Stock | None = None

    @property
    def symbol(self) -> str:
        """What the market prices: the OCC contract symbol, or the stock's symbol."""
        if self.option is not None:
            return self.option.symbol
        assert self.stock is not None
        return self.stock.symbol

    def ratio(self, units: Decimal) -> Decimal:
        """Signed contracts (stock leg: shares) per strategy unit."""
        sign = ONE if self.side == "BUY" else -ONE
        return sign * self.quantity / units

    def weight(self, units: Decimal) -> Decimal:
        """Signed contracts per strategy unit, a stock leg counted in contracts' worth of shares:
        Σ weight × leg price is the strategy's price per share, like an option's premium."""
        ratio = self.ratio(units)
        return ratio if self.option is not None else ratio / SHARES_PER_CONTRACT


def stock_leg_wire(leg: OrderLeg) -> dict[str, Any]:
    """A stock leg in order detail: no contract fields; ``instrument_type`` tells it apart
    (the published leg schema describes option legs only)."""
    return {"id": leg.leg_id, "symbol": leg.symbol, "side": leg.side,
            "quantity": plain(leg.quantity), "instrument_type": "EQUITY"}


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
