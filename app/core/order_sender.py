"""Sending an order exactly once (issue 5): journal first, one request, a definite outcome.

``OrderSender.place`` writes the intent to the journal, marks it sent, makes one request and
records what came back. It never retries by itself. What each failure means for the order:

* an answer with an order id                    → ACCEPTED
* Webull refused it (417, 403, 400…)            → REJECTED, with code and message
* "client_order_id already used"                → PLACED (it exists: do not send it again)
* the request never left (connect failed), 429,
  or a refused sign-in (401)                    → ABSENT: safe to send again, same id
* the answer was lost or unreadable, a 5xx,
  or the caller gave up while waiting           → UNKNOWN: look it up before anything else

A second submit of an id that is in flight is refused at once, whoever asks (a double click,
a repeated Enter, another window).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from app.webull.errors import (
    ApiError,
    AuthError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    WebullError,
)
from app.webull.models import NewOrder, WriteResult

from .journal import Intent, IntentState, OrderJournal


class PlaceClient(Protocol):
    async def place_order(self, account_id: str, orders: Sequence[NewOrder],
                          client_combo_order_id: str | None = None) -> WriteResult: ...


class SubmitInFlight(Exception):
    """This order is being sent already; nothing was sent a second time."""


@dataclass(frozen=True)
class SubmitOutcome:
    intent: Intent
    message: str  # for the activity log and the ticket, in plain words

    @property
    def state(self) -> IntentState:
        return self.intent.state


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _already_exists(exc: ApiError) -> bool:
    return bool(exc.error_code) and exc.error_code.upper().endswith(  # type: ignore[union-attr]
        "CLIENT_ORDER_ID_DUPLICATE")


class OrderSender:
    def __init__(self, client: PlaceClient, journal: OrderJournal, environment: str, *,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self._client = client
        self._journal = journal
        self._environment = environment
        self._now = now
        self._in_flight: set[str] = set()

    def in_flight(self, client_order_id: str) -> bool:
        return client_order_id in self._in_flight

    async def place(self, account_id: str, order: NewOrder) -> SubmitOutcome:
        """Send one order once. A repeated id (already journaled) is sent only if the journal
        says it is ABSENT (the lookup found nothing): the resubmit keeps the same id."""
        coid = order.client_order_id
        if coid in self._in_flight:
            raise SubmitInFlight(f"order {coid} is being sent already")
        self._in_flight.add(coid)
        try:
            known = self._journal.get(coid)
            if known is None:
                self._journal.record(self._environment, account_id, coid, "place",
                                     order.to_wire(), self._now())
            elif known.state is not IntentState.ABSENT:
                raise SubmitInFlight(f"order {coid} was sent before ({known.state.value}); "
                                     "it is not sent again")
            self._journal.move(coid, IntentState.SENT, self._now())
            return await self._send(account_id, order)
        finally:
            self._in_flight.discard(coid)

    async def _send(self, account_id: str, order: NewOrder) -> SubmitOutcome:
        coid = order.client_order_id
        try:
            result = await self._client.place_order(account_id, [order])
        except asyncio.CancelledError:
            self._move(coid, IntentState.UNKNOWN, "the wait for Webull's answer was abandoned")
            raise
        except OutcomeUnknownError as exc:
            return self._move(coid, IntentState.UNKNOWN, f"Webull's answer was lost ({exc.message})")
        except TransportError as exc:
            if exc.request_sent:
                return self._move(coid, IntentState.UNKNOWN,
                                  f"the connection failed after sending ({exc.message})")
            return self._move(coid, IntentState.ABSENT,
                              f"the order was not sent: Webull could not be reached "
                              f"({exc.message})")
        except RateLimitedError as exc:
            return self._move(coid, IntentState.ABSENT,
                              f"Webull asked to slow down; the order was not placed "
                              f"({exc.message})")
        except AuthError as exc:
            return self._move(coid, IntentState.ABSENT,
                              f"Webull refused the sign-in; the order was not placed "
                              f"({exc.message}). Reconnect and send it again.")
        except ServerError as exc:
            return self._move(coid, IntentState.UNKNOWN,
                              f"Webull failed while handling the order ({exc.message})")
        except ApiError as exc:
            if _already_exists(exc):
                return self._move(coid, IntentState.PLACED,
                                  "Webull already has this order (same id): not sent again")
            code = f" [{exc.error_code}]" if exc.error_code else ""
            return self._move(coid, IntentState.REJECTED, f"Rejected{code}: {exc.message}",
                              response={"status": exc.status, "error_code": exc.error_code,
                                        "message": exc.message})
        except WebullError as exc:  # an unreadable answer to a write is an OutcomeUnknownError
            return self._move(coid, IntentState.UNKNOWN, f"the outcome is unclear ({exc})")
        return self._move(coid, IntentState.ACCEPTED, "Accepted by Webull",
                          order_id=result.order_id,
                          response={"order_id": result.order_id,
                                    "client_order_id": result.client_order_id})

    def _move(self, coid: str, state: IntentState, message: str, *,
              order_id: str | None = None,
              response: dict[str, object] | None = None) -> SubmitOutcome:
        intent = self._journal.move(coid, state, self._now(), order_id=order_id,
                                    detail=message, response=response)
        return SubmitOutcome(intent, message)
