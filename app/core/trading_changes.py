"""Changing and cancelling working orders (issue 5): one change per order at a time, each
request and its outcome noted in the audit log, the outcome published as a TradeEvent.

A replace or cancel is not an intent of its own in the journal (the order it acts on is):
its record is the audit trail — request first, so an app killed mid-call still leaves a
trace, then Webull's answer. Its result still carries an ``Intent`` value describing the
request and its state, so the ticket and the activity log read every result the same way:
ACCEPTED (Webull took the request; the orders table shows the effect), REJECTED (Webull's code
and words), ABSENT (turned away before Webull acted: safe to try again) or UNKNOWN (the answer
was lost; the orders table will tell).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from app.webull.errors import AuthError, WebullError
from app.webull.models import ModifyOrder, WriteResult

from .events import EventBus
from .journal import Intent, IntentState, OrderJournal
from .portfolio import Portfolio
from .rows import OrderRow
from .trading_types import SubmitRefused, TradeEvent, TradeResult
from .trading_words import links_in, refusal, write_state

log = logging.getLogger(__name__)

AuthHandler = Callable[[WebullError], Awaitable[bool]]


class ChangeClient(Protocol):
    async def replace_order(self, account_id: str, modifications: Any,
                            client_combo_order_id: str | None = None) -> WriteResult: ...
    async def cancel_order(self, account_id: str, client_order_id: str) -> WriteResult: ...


def cancel_targets(rows: Iterable[OrderRow]) -> tuple[str, ...]:
    """The client_order_ids to cancel so every working order goes: one per combo group (Webull
    cancels a combo through any of its members; the first working one, as listed, is used)."""
    targets: dict[str, str] = {}
    for row in rows:
        if not row.is_final:
            targets.setdefault(row.combo_order_id or row.key, row.key)
    return tuple(targets.values())


class OrderChanges:
    def __init__(self, client: ChangeClient, journal: OrderJournal, bus: EventBus,
                 environment: str, portfolio: Portfolio, *, now: Callable[[], datetime],
                 on_auth_error: AuthHandler | None = None) -> None:
        self._client = client
        self._portfolio = portfolio
        self._journal = journal
        self._bus = bus
        self._environment = environment
        self._now = now
        self._on_auth_error = on_auth_error
        self._busy: set[str] = set()

    async def modify(self, account_id: str, modification: ModifyOrder) -> TradeResult:
        return await self._write("modify", account_id, modification.client_order_id,
                                 modification.to_wire(),
                                 lambda: self._client.replace_order(account_id, [modification]))

    async def cancel(self, account_id: str, client_order_id: str) -> TradeResult:
        return await self._write("cancel", account_id, client_order_id,
                                 {"client_order_id": client_order_id},
                                 lambda: self._client.cancel_order(account_id, client_order_id))

    def _working(self, account_id: str, keys: Sequence[str] | None) -> list[OrderRow]:
        """The account's working orders; with ``keys``, only those of them (what the trader
        was shown: an order that appeared since is not cancelled unseen)."""
        rows = [r for r in self._portfolio.open_orders(account_id).values() if not r.is_final]
        return rows if keys is None else [r for r in rows if r.key in set(keys)]

    def cancel_all_phrase(self, account_id: str, keys: Sequence[str] | None = None) -> str:
        """The words a trader types to cancel everything, e.g. ``CANCEL 3``: the number of
        working orders listed (every order of a bracket counts), typed on purpose."""
        return f"CANCEL {len(self._working(account_id, keys))}"

    def check_phrase(self, account_id: str, confirmation: str,
                     keys: Sequence[str] | None = None) -> None:
        """ValueError, in words, unless ``confirmation`` is the phrase (spacing and case
        aside)."""
        phrase = self.cancel_all_phrase(account_id, keys)
        if " ".join(confirmation.split()).upper() != phrase:
            count = len(self._working(account_id, keys))
            raise ValueError(f'Nothing was cancelled: type "{phrase}" to cancel all '
                             f"{count} working order{'' if count == 1 else 's'} of "
                             f"{self._portfolio.label(account_id)}.")

    async def cancel_all(self, account_id: str,
                         keys: Sequence[str] | None = None) -> list[TradeResult]:
        """Cancel every working order (of ``keys``, when given), one request per combo group
        (Webull cancels a combo through any member), each on its own."""
        results = []
        for key in cancel_targets(self._working(account_id, keys)):
            try:
                results.append(await self.cancel(account_id, key))
            except SubmitRefused as exc:  # this one is being cancelled already: go on
                now = self._now()
                intent = Intent(key, self._environment, account_id, "cancel",
                                {"client_order_id": key}, IntentState.ABSENT, None, str(exc),
                                now, now)
                results.append(TradeResult(intent, str(exc)))
        return results

    async def _write(self, action: str, account_id: str, key: str, request: Mapping[str, Any],
                     call: Callable[[], Awaitable[WriteResult]]) -> TradeResult:
        if key in self._busy:
            raise SubmitRefused(f"Not sent: a {action} of this order is under way already.")
        self._busy.add(key)
        try:
            started = self._now()
            self._note(account_id, key, f"{action}:request", {"request": dict(request)},
                       started)
            try:
                answer = await call()
            except asyncio.CancelledError:
                self._note(account_id, key, f"{action}:abandoned",
                           {"outcome": "the wait for Webull's answer was abandoned"},
                           self._now())
                raise
            except WebullError as exc:
                state = write_state(exc)
                message, code = refusal(exc, action)
                response: dict[str, Any] = {"status": exc.status, "error_code": code,
                                            "message": exc.message}
                if isinstance(exc, AuthError) and self._on_auth_error is not None:
                    await self._renew(exc)
                order_id = None
            else:
                state = IntentState.ACCEPTED
                message = (f"Webull accepted the {action} request; the orders table shows "
                           "the order as it now stands.")
                response = {k: v for k, v in answer.model_dump().items() if v is not None}
                order_id = answer.order_id
            self._note(account_id, key, f"{action}:{state.value}",
                       {"response": response, "outcome": message}, self._now())
        finally:
            self._busy.discard(key)
        intent = Intent(key, self._environment, account_id,
                        "replace" if action == "modify" else action, dict(request), state,
                        order_id, message, started, self._now())
        result = TradeResult(intent, message, links_in(message))
        self._bus.publish(TradeEvent(account_id, key, action, state, message,  # type: ignore[arg-type]
                                     result.links))
        return result

    async def _renew(self, exc: WebullError) -> None:
        """A refused sign-in: let the session renew it (or end it; the desk turns read-only)."""
        assert self._on_auth_error is not None
        try:
            await self._on_auth_error(exc)
        except Exception:
            log.exception("renewing the sign-in after a refused %s failed", exc.endpoint)

    def _note(self, account_id: str, key: str, event: str, payload: Mapping[str, Any],
              at: datetime) -> None:
        self._journal.note(self._environment, account_id, key, event, payload, at)
