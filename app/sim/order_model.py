"""The order model: an ``Order`` (with its option ``OrderLeg``s) and the states it moves through.

States: SUBMITTED once accepted (PENDING while a combo member waits for its master), then
PARTIAL_FILLED / FILLED, or CANCELLED (by the caller, by a sibling of an OCO set, or when a DAY
order's session ends) or FAILED (a fill the account can no longer pay for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from .instruments import OptionContract

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
FINAL = frozenset({"FILLED", "CANCELLED", "FAILED"})
#: GTC orders are cancelled after about 60 days (API.md §7.1)
GTC_LIFETIME = timedelta(days=60)


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
