"""What app.core publishes. One bus per session; the UI bridge turns events into Qt signals.

Events are immutable values. Subscribers run synchronously on the event loop's thread, in the
order they subscribed; a subscriber that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: keeps this module cheap to import at start-up
    from datetime import datetime
    from decimal import Decimal

    from app.webull.models import Account, Balance, OrderGroup, Position

    from .diff import KeyedDiff
    from .rows import OrderRow

log = logging.getLogger(__name__)


class SessionState(StrEnum):
    DISCONNECTED = "disconnected"  # no tokens: Connect is offered
    CONNECTING = "connecting"  # sign-in or token restore under way
    CONNECTED = "connected"
    EXPIRED = "expired"  # tokens refused or expired: last data stays, read-only; reconnect


class Health(StrEnum):
    CONNECTED = "connected"  # the last requests succeeded
    DEGRADED = "degraded"  # some requests fail (errors, rate limits); data may be stale
    OFFLINE = "offline"  # nothing gets through


class DataKind(StrEnum):
    ACCOUNTS = "accounts"
    BALANCE = "balance"
    POSITIONS = "positions"
    OPEN_ORDERS = "open_orders"
    HISTORY = "history"
    #: the poller's sweep of recent order history for orders that finished between two polls
    RECENT_ORDERS = "recent_orders"


class ActivityKind(StrEnum):
    NEW = "new"  # an order appeared
    FILL = "fill"  # filled or partly filled
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # FAILED
    INFO = "info"  # session and connection changes
    WARNING = "warning"  # failures the user should know about


@dataclass(frozen=True, slots=True)
class SessionChanged:
    state: SessionState
    #: why, in words (e.g. the refresh was refused); "" when there is nothing to say
    message: str = ""
    identity_id: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HealthChanged:
    health: Health
    message: str = ""


@dataclass(frozen=True, slots=True)
class AccountsUpdated:
    accounts: tuple[Account, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class BalanceUpdated:
    account_id: str
    balance: Balance
    at: datetime


@dataclass(frozen=True, slots=True)
class PositionsUpdated:
    account_id: str
    diff: KeyedDiff[str, Position]  # keyed by position_id
    at: datetime


@dataclass(frozen=True, slots=True)
class OpenOrdersUpdated:
    account_id: str
    diff: KeyedDiff[str, OrderRow]  # keyed by client_order_id
    at: datetime


@dataclass(frozen=True, slots=True)
class HistoryLoaded:
    account_id: str
    groups: tuple[OrderGroup, ...]
    start: datetime
    end: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class Freshness:
    """The age and state of one panel's data: ``fetched_at`` of the last good answer (None if
    never), ``stale`` when the latest refresh failed or the data is known to be outdated."""

    kind: DataKind
    account_id: str | None
    fetched_at: datetime | None
    stale: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class NetLiquidationPoint:
    account_id: str
    at: datetime
    value: Decimal


@dataclass(frozen=True, slots=True)
class Activity:
    at: datetime
    kind: ActivityKind
    text: str
    account_id: str | None = None
    client_order_id: str | None = None


Event = (SessionChanged | HealthChanged | AccountsUpdated | BalanceUpdated | PositionsUpdated
         | OpenOrdersUpdated | HistoryLoaded | Freshness | NetLiquidationPoint | Activity)

Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for subscriber in tuple(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", type(event).__name__)
