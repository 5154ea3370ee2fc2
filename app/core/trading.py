"""The trading desk (issue 5): preview, submit, resolve, modify and cancel — one per Terminal.

Everything the desk does is journaled (app.core.journal) and audited; results reach the user as
events on the bus (TradeEvent, DeskChanged, plus the poller's order activity), and as return
values to the window that asked.

The desk's state (DeskState) decides what may be sent. On ``start()`` (the session connected)
it is RECONCILING: every intent the journal still holds unresolved is looked up first. Only
when none is left is it READY; while any stays unknown it is BLOCKED (``why`` says which and
why) and keeps looking in the background. Intents found never placed (ABSENT) are not sent
again by themselves: ``absent()`` lists them for the trader to ``resubmit`` or ``dismiss``.
Without a connected session the desk is READ_ONLY.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.webull.errors import AuthError, WebullError
from app.webull.models import ModifyOrder, OrderItem

from .events import EventBus, SessionChanged, SessionState
from .journal import Intent, IntentState, OrderJournal
from .order_request import OrderRequest
from .order_sender import OrderSender, SubmitInFlight, SubmitOutcome
from .portfolio import Portfolio
from .precautions import Limits, OrderFacts
from .preview_binding import DEFAULT_MAX_AGE
from .reconcile import Resolution
from .ticket import InstrumentInfo, estimate_locally
from .trading_changes import AuthHandler, OrderChanges
from .trading_lookup import Lookups, Sleep
from .trading_preview import Estimator, Previewer
from .trading_types import (
    DeskChanged,
    DeskState,
    Preview,
    PreviewError,
    SubmitRefused,
    TradeEvent,
    TradeResult,
)
from .trading_words import (
    absent_why,
    blocked_why,
    links_in,
    not_ready_words,
    others_words,
    plural,
    preview_problem,
    read_only_why,
    request_facts,
    request_words,
    resolved_words,
    sent_words,
    settled_words,
)

__all__ = ["DeskChanged", "DeskState", "Preview", "PreviewError", "SubmitRefused",
           "TradeEvent", "TradeResult", "TradingDesk"]

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TradingDesk:
    def __init__(self, client: Any, journal: OrderJournal, bus: EventBus, environment: str,
                 *, portfolio: Portfolio, limits: Limits = Limits(),  # noqa: B008
                 estimator: Estimator | None = None, on_auth_error: AuthHandler | None = None,
                 now: Callable[[], datetime] = _utcnow, sleep: Sleep = asyncio.sleep,
                 max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self._client = client
        self._journal = journal
        self._bus = bus
        self._environment = environment
        self._portfolio = portfolio
        #: the trader's precaution settings (the settings dialog may replace them)
        self.limits = limits
        self._on_auth_error = on_auth_error
        self._now = now
        self._max_age = max_age
        self._sender = OrderSender(client, journal, environment, now=now)
        self._lookups = Lookups(client, journal, self._sender, now=now, sleep=sleep)
        self._previewer = Previewer(client, journal, environment, portfolio=portfolio,
                                    estimator=estimator or estimate_locally, now=now,
                                    on_auth_error=on_auth_error)
        self._changes = OrderChanges(client, journal, bus, environment, portfolio, now=now,
                                     on_auth_error=on_auth_error)
        self._state = DeskState.READ_ONLY
        self._why = "Pennant is not connected to Webull yet."
        self._absent_count = 0
        self._epoch = 0  # bumped when the session ends: a start under way no longer counts
        self._watch: asyncio.Task[None] | None = None
        self._resolving: dict[str, asyncio.Task[TradeResult]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._unsubscribe = bus.subscribe(self._on_event)

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> DeskState:
        return self._state

    @property
    def why(self) -> str:
        return self._why

    def _set(self, state: DeskState, why: str) -> None:
        absent = len(self._journal.absent(self._environment))
        if (state, why, absent) == (self._state, self._why, self._absent_count):
            return
        self._state, self._why, self._absent_count = state, why, absent
        self._bus.publish(DeskChanged(state, why, absent))  # type: ignore[arg-type]

    def _refresh_absent(self) -> None:
        """Re-say READY's explanation after an intent became, or stopped being, ABSENT."""
        if self._state is DeskState.READY:
            self._set(DeskState.READY, absent_why(len(self._journal.absent(self._environment))))

    def _on_event(self, event: object) -> None:
        if self._closed or not isinstance(event, SessionChanged) \
                or event.state is SessionState.CONNECTED:
            return
        self._epoch += 1
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
        why = read_only_why(event.state)
        self._set(DeskState.READ_ONLY, why)

    def _not_ready(self) -> str | None:
        return None if self._state is DeskState.READY else not_ready_words(self._state,
                                                                           self._why)

    # ---------------------------------------------------------------- start-up
    async def start(self) -> None:
        """Reconcile the journal's unresolved intents; READY only when none is left.
        Returns after the first round of lookups (READY or BLOCKED); while BLOCKED the desk
        keeps looking in the background. Calling it again while started does nothing."""
        running = self._watch is not None and not self._watch.done()
        if self._closed or self._state is DeskState.READY or (
                running and self._state is not DeskState.READ_ONLY):
            return
        if running:  # the previous session's check is still winding down: it no longer counts
            self._watch.cancel()  # type: ignore[union-attr]
        self._epoch += 1
        epoch = self._epoch
        waiting = len(self._journal.unresolved(self._environment))
        self._set(DeskState.RECONCILING,
                  f"Checking {plural(waiting, 'order')} from your last session with Webull "
                  "before trading." if waiting else "Checking the order journal.")
        first_round = asyncio.Event()
        watch = self._watch = self._spawn(self._reconcile(epoch, first_round))
        round_done = asyncio.ensure_future(first_round.wait())
        try:
            await asyncio.wait({watch, round_done}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            round_done.cancel()
        if watch.done() and not watch.cancelled() and watch.exception() is not None:
            raise watch.exception()  # type: ignore[misc]

    async def _reconcile(self, epoch: int, first_round: asyncio.Event) -> None:
        async def one_round() -> list[Resolution]:
            try:
                return await self._round(epoch)
            finally:
                first_round.set()

        try:
            await self._lookups.until_none_left(one_round)
        except Exception as exc:
            log.exception("reconciling the order journal failed")
            if epoch == self._epoch:
                self._set(DeskState.BLOCKED, f"Pennant could not check its order journal "
                                             f"({exc}); trading stays off until it restarts.")
            raise

    async def _round(self, epoch: int) -> list[Resolution]:
        """Look up every unresolved intent not already being sent or looked up; returns
        those still unknown, and sets the state accordingly."""
        still: list[Resolution] = []
        mine = {a.account_id for a in self._portfolio.accounts}
        others = 0
        for intent in self._journal.unresolved(self._environment):
            key = intent.client_order_id
            if self._sender.in_flight(key) or key in self._resolving:
                continue  # this session's own flow is on it
            if mine and intent.account_id not in mine:
                # an order of another Webull sign-in on this computer: Webull answers its
                # lookups only to that sign-in, so it is checked when that one signs in here
                others += 1
                continue
            resolution = await self._lookups.settle(key)
            if resolution.resolved:
                self._publish_resolved(resolution, "resolve")
            else:
                still.append(resolution)
        if epoch == self._epoch:
            if still:
                self._set(DeskState.BLOCKED, blocked_why(still))
            else:
                why = absent_why(len(self._journal.absent(self._environment)))
                if others:
                    why = " ".join(filter(None, (why, others_words(others))))
                self._set(DeskState.READY, why)
        return still

    def absent(self) -> list[Intent]:
        """Orders Webull never received, oldest first: resubmit or dismiss each."""
        return self._journal.absent(self._environment)

    def dismiss(self, key: str) -> TradeResult:
        """The trader decided not to send an ABSENT intent again (kept in the audit log)."""
        intent = self._journal.get(key)
        if intent is None or intent.state is not IntentState.ABSENT:
            state = intent.state.value if intent else "not in the journal"
            raise ValueError(f"Order {key} is {state}: only an order Webull never received "
                             "can be dismissed.")
        moved = self._journal.move(key, IntentState.DISMISSED, self._now(),
                                   detail="dismissed by the trader: it will not be sent")
        result = TradeResult(moved, "Dismissed: this order will not be sent.")
        self._publish(moved, "dismiss", result)
        self._refresh_absent()
        return result

    # ---------------------------------------------------------------- preview
    async def preview(self, request: OrderRequest, facts: OrderFacts | None,
                      instrument: InstrumentInfo | None, words: Sequence[str]) -> Preview:
        """Webull's quote (or, for crypto, a local estimate), the precautions, buying power
        and position before and after, bound to exactly this request. READY only."""
        problem = self._not_ready()
        if problem is not None:
            raise PreviewError(problem)
        return await self._previewer.preview(request, facts, instrument, words, self.limits)

    # ---------------------------------------------------------------- submit
    async def submit(self, preview: Preview, *, acknowledged: bool) -> TradeResult:
        """Send the previewed order once (journal first). Refused, with nothing sent, unless
        the desk is READY and the preview is current, unblocked and acknowledged."""
        request = preview.request
        why = self._not_ready() or (
            "This preview is of a change to an order, not of a new order."
            if preview.kind != "place" else None) or preview_problem(
            preview, acknowledged, request.account_id, request.body(), self._now(),
            self._max_age)
        if why is None:
            known = self._journal.get(request.key)
            if self._sender.in_flight(request.key):
                why = "This order is being sent already."
            elif known is not None and known.state is IntentState.ABSENT:
                why = ("Webull never received this order: send it again (same id) or "
                       "dismiss it.")
            elif known is not None:
                why = (f"This order was submitted already ({known.state.value}); it is not "
                       "sent again.")
        if why is not None:
            raise SubmitRefused(f"Not sent: {why}")
        return await self._send(request, "place")

    def _absent_request(self, key: str) -> OrderRequest:
        intent = self._journal.get(key)
        if intent is None:
            raise SubmitRefused(f"Not sent: there is no order {key} in the journal.")
        if intent.state is not IntentState.ABSENT:
            raise SubmitRefused(f"Not sent: this order is {intent.state.value}: only an order "
                                "Webull never received is sent again.")
        return OrderRequest.from_body(intent.account_id, intent.request)

    async def preview_resubmit(self, key: str) -> Preview:
        """A fresh preview of an order Webull never received, as journaled (same ids): what
        ``resubmit`` needs once the order's own preview is no longer current."""
        problem = self._not_ready()
        if problem is not None:
            raise PreviewError(problem)
        try:
            request = self._absent_request(key)
        except SubmitRefused as exc:
            raise PreviewError(str(exc).removeprefix("Not sent: ")) from None
        positions = self._portfolio.positions(request.account_id)
        return await self._previewer.preview(request, request_facts(request, positions), None,
                                             request_words(request), self.limits)

    async def resubmit(self, key: str, preview: Preview | None = None, *,
                       acknowledged: bool = False) -> TradeResult:
        """Send an ABSENT intent again, same ids (offered only after a lookup found nothing).
        Like any submit it needs a current preview: the order's own while it is fresh (Webull
        turned it away moments ago), else one from ``preview_resubmit``."""
        why = self._not_ready()
        if why is not None:
            raise SubmitRefused(f"Not sent: {why}")
        request = self._absent_request(key)
        intent = self._journal.get(key)
        assert intent is not None
        if preview is None:
            if self._now() - intent.created_at > self._max_age:
                raise SubmitRefused("Not sent: this order was previewed more than "
                                    f"{int(self._max_age.total_seconds())} s ago: preview it "
                                    "again before sending it.")
        else:
            problem = preview_problem(preview, acknowledged, request.account_id, request.body(),
                                      self._now(), self._max_age)
            if problem is not None:
                raise SubmitRefused(f"Not sent: {problem}")
        return await self._send(request, "resubmit")

    async def _send(self, request: OrderRequest, action: str) -> TradeResult:
        try:
            outcome = await self._sender.place(request)
        except SubmitInFlight as exc:
            raise SubmitRefused(f"Not sent: {exc}.") from None
        except asyncio.CancelledError:
            if not self._closed:
                self._resolve_in_background(request.key)  # the answer may still have come
            raise
        return await self._outcome(outcome, action)

    async def _outcome(self, outcome: SubmitOutcome, action: str) -> TradeResult:
        state, message = outcome.state, sent_words(outcome)
        result = TradeResult(outcome.intent, message, links_in(outcome.message))
        self._publish(outcome.intent, action, result)
        if isinstance(outcome.error, AuthError):
            await self._renew(outcome.error)
        if state is IntentState.UNKNOWN:
            self._resolve_in_background(outcome.intent.client_order_id)
        self._refresh_absent()  # it may have become ABSENT, or been sent again
        return result

    # ---------------------------------------------------------------- resolve
    async def resolve(self, key: str) -> TradeResult:
        """Look up an UNKNOWN intent until Webull's answer is known (within the query limit).
        Cancelling the caller stops its wait, not the desk's lookup (``aclose`` stops that)."""
        intent = self._journal.get(key)
        if intent is None:
            raise ValueError(f"There is no order {key} in the journal.")
        if not intent.unresolved:
            return TradeResult(intent, settled_words(intent.state) + ".")
        task = self._resolve_in_background(key)
        await asyncio.wait({task})
        if task.cancelled():
            current = self._journal.get(key) or intent
            return TradeResult(current, "The lookup was stopped; Pennant looks again when it "
                                        "starts trading again.")
        return task.result()

    def _resolve_in_background(self, key: str) -> asyncio.Task[TradeResult]:
        task = self._resolving.get(key)
        if task is None or task.done():
            task = self._resolving[key] = self._spawn(self._resolve(key))
            task.add_done_callback(lambda done: self._resolving.pop(key, None)
                                   if self._resolving.get(key) is done else None)
        return task

    async def _resolve(self, key: str) -> TradeResult:
        resolution = await self._lookups.until_resolved(key)
        result = self._publish_resolved(resolution, "resolve")
        self._refresh_absent()
        return result

    def _publish_resolved(self, resolution: Resolution, action: str) -> TradeResult:
        intent = resolution.intent
        message = resolved_words(intent.state, resolution.message.rstrip("."),
                                 intent.client_order_id)
        result = TradeResult(intent, message, links_in(intent.detail))
        self._publish(intent, action, result)
        return result

    # ---------------------------------------------------------------- modify
    def _can_change(self) -> str | None:
        """Working orders may be changed while READY or BLOCKED (old unknowns do not stop
        the trader managing the orders that are working)."""
        if self._state in (DeskState.READY, DeskState.BLOCKED):
            return None
        return self._not_ready()

    async def preview_modify(self, item: OrderItem, modification: ModifyOrder,
                             preview_request: OrderRequest | None, words: Sequence[str], *,
                             facts: OrderFacts | None = None) -> Preview:
        """The change previewed: Webull's quote of the order as it would stand (where Webull
        previews that class), bound to exactly this modification."""
        problem = self._can_change()
        if problem is not None:
            raise PreviewError(problem)
        return await self._previewer.preview_modify(item, modification, preview_request, words,
                                                    facts, self.limits)

    async def modify(self, preview: Preview, modification: ModifyOrder, *,
                     acknowledged: bool = False) -> TradeResult:
        """Replace a working order with the previewed change (one change per order at once)."""
        account_id = preview.request.account_id
        why = self._can_change() or (
            "This preview is of a new order, not of a change." if preview.kind != "modify"
            else None) or preview_problem(preview, acknowledged, account_id,
                                          modification.to_wire(), self._now(), self._max_age)
        if why is not None:
            raise SubmitRefused(f"Not sent: {why}")
        return await self._changes.modify(account_id, modification)

    # ---------------------------------------------------------------- cancel
    def _cannot_cancel(self) -> None:
        if self._state is DeskState.READ_ONLY:
            raise SubmitRefused(f"Not sent: {self._why}")

    async def cancel(self, account_id: str, client_order_id: str) -> TradeResult:
        self._cannot_cancel()
        return await self._changes.cancel(account_id, client_order_id)

    def cancel_all_phrase(self, account_id: str, keys: Sequence[str] | None = None) -> str:
        """What the trader must type to cancel the working orders listed (``keys``; all when
        None): "CANCEL <how many>"."""
        return self._changes.cancel_all_phrase(account_id, keys)

    async def cancel_all(self, account_id: str, confirmation: str,
                         keys: Sequence[str] | None = None) -> list[TradeResult]:
        """Cancel the working orders the trader was shown (``keys``; every working order when
        None); ``confirmation`` must be the typed text the dialog asked for (see
        ``cancel_all_phrase``). One failure does not stop the others: every order gets its
        own result."""
        self._changes.check_phrase(account_id, confirmation, keys)
        self._cannot_cancel()
        return await self._changes.cancel_all(account_id, keys)

    # ---------------------------------------------------------------- audit, closing
    def export_audit(self, path: Path) -> int:
        """Write the audit log (redacted) to ``path`` as CSV; returns the number of rows."""
        partial = path.with_name(path.name + ".part")
        with partial.open("w", encoding="utf-8", newline="") as out:
            rows = self._journal.export_csv(self._environment, out)
        os.replace(partial, path)
        return rows

    async def aclose(self) -> None:
        """Stop every lookup; unresolved intents stay in the journal for the next start."""
        if self._closed:
            return
        # a ticket or dialog still holding this desk must not send through a closed connection
        self._set(DeskState.READ_ONLY, "This connection to Webull was closed (another "
                                       "environment or sign-in was opened): open a new ticket.")
        self._closed = True
        self._unsubscribe()
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------- helpers
    def _publish(self, intent: Intent, action: str, result: TradeResult) -> None:
        self._bus.publish(TradeEvent(intent.account_id, intent.client_order_id,  # type: ignore[arg-type]
                                     action, intent.state, result.message, result.links))

    async def _renew(self, exc: WebullError) -> None:
        if self._on_auth_error is None:
            return
        try:
            await self._on_auth_error(exc)
        except Exception:
            log.exception("renewing the sign-in after a refused request failed")

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a trading task failed", exc_info=task.exception())

