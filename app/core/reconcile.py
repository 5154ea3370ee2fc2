"""Reconciling unresolved order intents with Webull (issue 5).

Run when an answer was lost (UNKNOWN) and on start-up, before trading is enabled, for every
intent the journal still holds as PENDING, SENT or UNKNOWN. Each is looked up by its
client_order_id: found → PLACED. When the lookup is refused, the order history since the
intent was written is the evidence: the id is in it → PLACED; it is not → ABSENT (the ticket may
offer to send it again, with the same id) — but only once the request has had time to settle:
Webull may still be working on an order whose answer was lost, so an intent whose request may
have left is not declared ABSENT until ``SETTLE`` after it was last sent. A lookup that fails on the network or the server
decides nothing: the intent stays UNKNOWN and is tried again later. Lookups go through the
client, whose rate limiter keeps them within Webull's order-query limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.webull.errors import (
    ApiError,
    AuthError,
    RateLimitedError,
    ServerError,
    WebullError,
)
from app.webull.models import OrderGroup

from .journal import Intent, IntentState, OrderJournal

#: the history is searched from a little before the intent was written (clocks differ)
HISTORY_MARGIN = timedelta(minutes=5)
#: how long an order Webull received may take to show up in its lookups: longer than the
#: transport's timeouts, so an answer lost in flight is never taken for "never received"
SETTLE = timedelta(minutes=2)


class LookupClient(Protocol):
    async def get_order(self, account_id: str, client_order_id: str) -> OrderGroup: ...
    def iter_order_history(self, account_id: str, start: datetime | None = None,
                           end: datetime | None = None) -> AsyncIterator[OrderGroup]: ...


@dataclass(frozen=True)
class Resolution:
    intent: Intent
    message: str
    #: Webull asked to wait this long (seconds) before the next lookup (a 429's Retry-After)
    retry_after: float | None = None
    #: why it is still unknown, in words ("" once resolved)
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return not self.intent.unresolved


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def reconcile(journal: OrderJournal, client: LookupClient, environment: str, *,
                    now: Callable[[], datetime] = _utcnow,
                    settle: timedelta = SETTLE) -> list[Resolution]:
    """Look up every unresolved intent of ``environment``, oldest first."""
    return [await reconcile_one(journal, client, intent, now=now, settle=settle)
            for intent in journal.unresolved(environment)]


async def reconcile_one(journal: OrderJournal, client: LookupClient, intent: Intent, *,
                        now: Callable[[], datetime] = _utcnow,
                        settle: timedelta = SETTLE) -> Resolution:
    coid = intent.client_order_id
    try:
        group = await client.get_order(intent.account_id, coid)
    except RateLimitedError as exc:
        return _undecided(journal, intent, now(), f"Webull asked to slow down ({exc.message})",
                          retry_after=exc.retry_after)
    except (ServerError, AuthError) as exc:
        return _undecided(journal, intent, now(), f"the lookup failed ({exc.message})")
    except ApiError:
        return await _from_history(journal, client, intent, now, settle)
    except WebullError as exc:
        return _undecided(journal, intent, now(), f"the lookup failed ({exc})")
    order_id = next((o.order_id for o in group.orders if o.client_order_id == coid),
                    group.combo_order_id)
    moved = journal.move(coid, IntentState.PLACED, now(), order_id=order_id,
                         detail="found at Webull")
    return Resolution(moved, "Webull has this order: it was placed")


async def _from_history(journal: OrderJournal, client: LookupClient, intent: Intent,
                        now: Callable[[], datetime], settle: timedelta) -> Resolution:
    coid = intent.client_order_id
    try:
        # no end time: Webull's "now", not this computer's, bounds the search
        seen = [o async for g in client.iter_order_history(
                    intent.account_id, start=intent.created_at - HISTORY_MARGIN)
                for o in g.orders if o.client_order_id == coid]
    except RateLimitedError as exc:
        return _undecided(journal, intent, now(), f"Webull asked to slow down ({exc.message})",
                          retry_after=exc.retry_after)
    except WebullError as exc:
        return _undecided(journal, intent, now(), f"the order history could not be read "
                                                  f"({exc})")
    if seen:
        moved = journal.move(coid, IntentState.PLACED, now(), order_id=seen[0].order_id,
                             detail="found in the order history")
        return Resolution(moved, "Webull has this order: it was placed")
    sent = journal.sent_at(coid) if intent.state is not IntentState.PENDING else None
    if sent is not None and now() - sent < settle:
        return _undecided(journal, intent, now(), "Webull has no record of it yet, and an order "
                                                  "it received can take a moment to appear")
    moved = journal.move(coid, IntentState.ABSENT, now(),
                         detail="not found at Webull: it was never placed")
    return Resolution(moved, "Webull has no such order: it can be sent again (same id)")


def _undecided(journal: OrderJournal, intent: Intent, at: datetime, why: str, *,
               retry_after: float | None = None) -> Resolution:
    if intent.state is not IntentState.UNKNOWN:
        intent = journal.move(intent.client_order_id, IntentState.UNKNOWN, at, detail=why)
    return Resolution(intent, f"Still unknown: {why}; Pennant will look again", retry_after, why)
