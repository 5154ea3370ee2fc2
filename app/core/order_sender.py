"""Sending an order exactly once (issue 5): journal first, one request, a definite outcome.

``OrderSender.place`` writes the intent to the journal, marks it sent, makes one request and
records what came back. It never retries by itself. The intent is keyed by the request's
``key`` (its first order's client_order_id) and keeps the request body, so a resubmit rebuilds
the very same request (``OrderRequest.from_body``: same ids). A single order and a combo (one
place call under its ``client_combo_order_id``) travel the same way. What each failure means:

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
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

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

from .journal import Intent, IntentState, JournalError, OrderJournal
from .order_request import OrderRequest

log = logging.getLogger(__name__)


class PlaceClient(Protocol):
    async def place_order(self, account_id: str, orders: Sequence[NewOrder],
                          client_combo_order_id: str | None = None) -> WriteResult: ...


class SubmitInFlight(Exception):
    """This order is being sent already; nothing was sent a second time."""


@dataclass(frozen=True)
class SubmitOutcome:
    intent: Intent
    message: str  # for the activity log and the ticket, in plain words
    #: the failure behind the outcome (None when Webull accepted the order)
    error: WebullError | None = None

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

    async def place(self, request: OrderRequest) -> SubmitOutcome:
        """Send one order (or one combo) once. A key already journaled is sent again only if
        the journal says it is ABSENT (a lookup found nothing), with the very same body."""
        key = request.key
        if key in self._in_flight:
            raise SubmitInFlight(f"order {key} is being sent already")
        self._in_flight.add(key)
        try:
            known = self._journal.get(key)
            if known is None:
                self._journal.record(self._environment, request.account_id, key, "place",
                                     request.body(), self._now())
            elif known.state is not IntentState.ABSENT:
                raise SubmitInFlight(f"order {key} was sent before ({known.state.value}); "
                                     "it is not sent again")
            elif not _same(known.request, request.body()) \
                    or known.account_id != request.account_id:
                raise SubmitInFlight(f"order {key} was journaled with other terms; it is not "
                                     "sent with these")
            self._journal.move(key, IntentState.SENT, self._now())
            return await self._send(request)
        finally:
            self._in_flight.discard(key)

    async def _send(self, request: OrderRequest) -> SubmitOutcome:
        key = request.key
        try:
            result = await self._client.place_order(request.account_id, request.orders,
                                                    request.combo_id)
        except asyncio.CancelledError:
            self._move(key, IntentState.UNKNOWN, "the wait for Webull's answer was abandoned")
            raise
        except OutcomeUnknownError as exc:
            return self._move(key, IntentState.UNKNOWN, f"Webull's answer was lost ({exc.message})",
                              error=exc)
        except TransportError as exc:
            if exc.request_sent:
                return self._move(key, IntentState.UNKNOWN,
                                  f"the connection failed after sending ({exc.message})",
                                  error=exc)
            return self._move(key, IntentState.ABSENT,
                              f"the order was not sent: Webull could not be reached "
                              f"({exc.message})", error=exc)
        except RateLimitedError as exc:
            return self._move(key, IntentState.ABSENT,
                              f"Webull asked to slow down; the order was not placed "
                              f"({exc.message})", error=exc)
        except AuthError as exc:
            return self._move(key, IntentState.ABSENT,
                              f"Webull refused the sign-in; the order was not placed "
                              f"({exc.message}). Reconnect and send it again.", error=exc)
        except ServerError as exc:
            return self._move(key, IntentState.UNKNOWN,
                              f"Webull failed while handling the order ({exc.message})",
                              error=exc)
        except ApiError as exc:
            if _already_exists(exc):
                return self._move(key, IntentState.PLACED,
                                  "Webull already has this order (same id): not sent again",
                                  error=exc)
            code = f" [{exc.error_code}]" if exc.error_code else ""
            return self._move(key, IntentState.REJECTED, f"Rejected{code}: {exc.message}",
                              response={"status": exc.status, "error_code": exc.error_code,
                                        "message": exc.message}, error=exc)
        except WebullError as exc:  # an unreadable answer to a write is an OutcomeUnknownError
            return self._move(key, IntentState.UNKNOWN, f"the outcome is unclear ({exc})",
                              error=exc)
        except Exception as exc:  # Pennant's own failure: whether the request left is unknown
            log.exception("sending order %s failed inside Pennant", key)
            return self._move(key, IntentState.UNKNOWN,
                              f"Pennant failed while sending ({type(exc).__name__}); whether "
                              "Webull got the order is being checked")
        return self._move(key, IntentState.ACCEPTED, "Accepted by Webull",
                          order_id=result.order_id or result.combo_order_id,
                          response=_answer(result))

    def _move(self, key: str, state: IntentState, message: str, *,
              order_id: str | None = None, response: Mapping[str, object] | None = None,
              error: WebullError | None = None) -> SubmitOutcome:
        try:
            intent = self._journal.move(key, state, self._now(), order_id=order_id,
                                        detail=message, response=response)
        except JournalError:
            # the journal moved on meanwhile (another Pennant on the same journal checked this
            # order): keep Webull's answer in the audit and say both, never "not sent"
            current = self._journal.get(key)
            if current is None:
                raise
            said = f"Webull's answer: {message}; the journal already had it as " \
                   f"{current.state.value}"
            self._journal.note(current.environment, current.account_id, key,
                               f"answer:{state.value}",
                               {"detail": message, "order_id": order_id,
                                "response": dict(response) if response else None,
                                "journal_state": current.state.value}, self._now())
            log.error("order %s: %s", key, said)
            return SubmitOutcome(current, said, error)
        return SubmitOutcome(intent, message, error)


def _same(kept: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """The journaled body and this one are the same request (as the journal stores JSON)."""
    return json.dumps(kept, sort_keys=True, default=str) == json.dumps(body, sort_keys=True,
                                                                       default=str)


def _answer(result: WriteResult) -> dict[str, object]:
    """Webull's acknowledgement, for the audit log: the ids it answered with."""
    return {name: value for name, value in (
        ("order_id", result.order_id), ("client_order_id", result.client_order_id),
        ("combo_order_id", result.combo_order_id),
        ("client_combo_order_id", result.client_combo_order_id)) if value is not None}
