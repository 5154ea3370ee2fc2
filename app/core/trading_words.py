"""What the trading desk says and works out without calling Webull (issue 5): failures in
words a trader understands, links in Webull's messages, buying power and position after an
order, and the desk's own explanations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.webull.errors import (
    ApiError,
    AuthError,
    OutcomeUnknownError,
    RateLimitedError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    WebullError,
)
from app.webull.models import (
    Balance,
    ComboType,
    InstrumentType,
    NewOrder,
    Position,
    PositionIntent,
    Side,
)

from .events import SessionState
from .journal import IntentState
from .order_request import OrderRequest
from .order_sender import SubmitOutcome
from .precautions import OrderFacts, Severity
from .reconcile import Resolution
from .trading_types import DeskState, Preview

_URL = re.compile(r"https?://[^\s<>\"'`)\]}]+", re.IGNORECASE)


def links_in(text: str | None) -> tuple[str, ...]:
    """The web addresses in a message (an agreement to sign, say), in order, once each."""
    found: list[str] = []
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?")
        if url not in found:
            found.append(url)
    return tuple(found)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def refusal(exc: WebullError, what: str) -> tuple[str, str | None]:
    """(message, Webull's error code) for a failed preview, modify or cancel."""
    said = exc.message.rstrip(".")
    code = exc.error_code if isinstance(exc, ApiError) else None
    if isinstance(exc, AuthError):
        return (f"Webull refused the sign-in ({said}); reconnect, then try the {what} again.",
                code)
    if isinstance(exc, RateLimitedError):
        wait = f" in {exc.retry_after:g} s" if exc.retry_after else " in a moment"
        return f"Webull asked to slow down ({said}); try the {what} again{wait}.", code
    if isinstance(exc, ServerError):
        return f"Webull failed while handling the {what} ({said}); try again.", code
    if isinstance(exc, ApiError):
        shown = f" [{code}]" if code else ""
        return f"Webull refused the {what}{shown}: {said}.", code
    if isinstance(exc, OutcomeUnknownError):
        lost = (f"Webull's answer to the {what} was lost ({said}); the orders table will "
                "show whether it took effect.")
        return lost, None
    if isinstance(exc, TransportError):
        unreached = (f"Webull could not be reached ({said}); check the connection and try "
                     f"the {what} again.")
        return unreached, None
    if isinstance(exc, ResponseDecodeError):
        return f"Webull's answer to the {what} could not be read ({said}).", None
    return f"The {what} failed ({said}).", None


def write_state(exc: WebullError) -> IntentState:
    """What a failed modify or cancel means: not made (ABSENT), refused, or unknown."""
    if isinstance(exc, RateLimitedError | AuthError):
        return IntentState.ABSENT  # turned away before Webull acted on it
    if isinstance(exc, TransportError) and not exc.request_sent:
        return IntentState.ABSENT
    if isinstance(exc, ApiError) and not isinstance(exc, ServerError):
        return IntentState.REJECTED
    return IntentState.UNKNOWN


# ------------------------------------------------------------------ figures


def buying_power(balance: Balance | None) -> Decimal | None:
    """The account's buying power in USD as Webull reported it (None: not reported)."""
    if balance is None:
        return None
    assets = balance.currency_assets("USD")
    return assets.buying_power if assets is not None else None


def entry_orders(request: OrderRequest) -> tuple[NewOrder, ...]:
    """The orders that open the trade: the master of a bracket, else the order itself (an OCO
    pair: its first order)."""
    entry = tuple(o for o in request.orders
                  if o.combo_type in (ComboType.NORMAL, ComboType.MASTER))
    return entry or request.orders[:1]


def held(order: NewOrder, positions: Mapping[str, Position]) -> Decimal | None:
    """The signed quantity held of ``order``'s instrument (None: nothing held)."""
    total: Decimal | None = None
    for p in positions.values():
        if p.symbol != order.symbol or p.instrument_type != order.instrument_type:
            continue
        if order.event_outcome is not None and p.event_outcome != order.event_outcome:
            continue
        total = (total or Decimal(0)) + p.quantity
    return total


def opens(order: NewOrder, holding: Decimal | None) -> bool | None:
    """Whether the order opens (or adds to) a position; None when Pennant cannot tell."""
    if order.position_intent is not None and order.position_intent.known:
        return order.position_intent in (PositionIntent.BUY_TO_OPEN,
                                         PositionIntent.SELL_TO_OPEN)
    if order.side is Side.SHORT:
        return True
    if holding:
        reduces = (holding > 0 and order.side is Side.SELL) or (
            holding < 0 and order.side is Side.BUY)
        return not reduces
    if order.side is Side.BUY:
        return True
    if order.instrument_type is InstrumentType.FUTURES:
        return True  # a futures sell without a position opens a short
    return None


def buying_power_after(before: Decimal | None, cost: Decimal | None, request: OrderRequest,
                       positions: Mapping[str, Position]) -> tuple[Decimal | None, str]:
    """(buying power after, how it was worked out or why it was not)."""
    if before is None:
        return None, "Buying power is not known yet (the balance has not been read)."
    if cost is None:
        return None, "No cost estimate: buying power after is not computed."
    verdicts = {opens(o, held(o, positions)) for o in entry_orders(request)}
    if verdicts == {True}:
        return before - cost, ("Buying power after = buying power now − the estimated cost "
                               "and fees (the order opens or adds to a position).")
    if verdicts == {False}:
        return None, ("This order closes or reduces a position: Webull works out the buying "
                      "power it frees once the order fills.")
    return None, ("Pennant cannot tell whether this order opens a position, so buying power "
                  "after is not estimated.")


def position_change(request: OrderRequest, positions: Mapping[str, Position],
                    known: bool) -> tuple[Decimal | None, Decimal | None]:
    """(position before, position after) in the order's instrument, if it fills in full.
    Options (legs) and orders by amount have no single figure: None."""
    order = entry_orders(request)[0]
    if order.instrument_type is InstrumentType.OPTION:
        return None, None
    before = held(order, positions)
    if before is None:
        before = Decimal(0) if known else None
    if before is None or order.quantity is None:
        return before, None
    signed = order.quantity if order.side is Side.BUY else -order.quantity
    return before, before + signed


# ------------------------------------------------------------------ the desk's explanations


def blocked_why(still: Sequence[Resolution]) -> str:
    reasons: list[str] = []
    for r in still:
        reason = r.reason or r.message
        if reason not in reasons:
            reasons.append(reason)
    return (f"{plural(len(still), 'order')} from your last session could not be checked yet: "
            f"{'; '.join(reasons)}; Pennant keeps looking. Trading resumes once Webull "
            "answers.")


def absent_why(count: int) -> str:
    if not count:
        return ""
    them = "it" if count == 1 else "them"
    return (f"{plural(count, 'order')} never reached Webull: send {them} again (same id) or "
            f"dismiss {them}.")


def resolved_words(intent_state: IntentState, message: str, key: str) -> str:
    """A lookup's outcome for the activity log."""
    if intent_state is IntentState.ABSENT:
        return (f"Order {key}: {message}. Nothing was placed — send it again (same id) or "
                "dismiss it.")
    return f"Order {key}: {message}."


def settled_words(state: IntentState) -> str:
    """An intent that needs no lookup, in words."""
    return {
        IntentState.ACCEPTED: "Webull accepted this order",
        IntentState.REJECTED: "Webull rejected this order",
        IntentState.PLACED: "Webull has this order: it was placed",
        IntentState.ABSENT: "Webull has no such order: it can be sent again (same id)",
        IntentState.DISMISSED: "You dismissed this order: it was not sent again",
    }.get(state, f"This order is {state.value}")


def not_ready_words(state: DeskState, why: str) -> str:
    if state is DeskState.RECONCILING:
        return ("Pennant is still checking the orders of your last session with Webull; "
                "trading starts when that is done.")
    return why


def read_only_why(state: SessionState) -> str:
    if state is SessionState.CONNECTING:
        return "Connecting to Webull; trading starts once your last orders are checked."
    if state is SessionState.EXPIRED:
        return "The sign-in has ended: reconnect to trade."
    return "Not connected to Webull: connect to trade."


def preview_problem(preview: Preview, acknowledged: bool, account_id: str,
                    body: Mapping[str, Any], now: datetime, max_age: timedelta) -> str | None:
    """Why this preview cannot back a submit of ``body`` now (None: it can): changed or too
    old, a blocking finding, or warnings not acknowledged."""
    problem = preview.binding.problem(account_id, body, now, max_age)
    if problem is not None:
        return problem
    blocking = [f.message for f in preview.findings if f.severity is Severity.BLOCK]
    if blocking:
        return " ".join(blocking)
    if preview.advisories and not acknowledged:
        return "Acknowledge the warnings first: " + " ".join(
            f.message for f in preview.advisories)
    return None


def sent_words(outcome: SubmitOutcome) -> str:
    """A send's outcome for the ticket and the activity log."""
    state, message = outcome.state, outcome.message.rstrip(".")
    if state is IntentState.ACCEPTED:
        return f"Accepted by Webull (order {outcome.intent.order_id})."
    if state is IntentState.ABSENT:
        return f"{message}. Nothing was placed: you can send it again (same id)."
    if state is IntentState.UNKNOWN:
        return (f"{message}. Pennant is looking the order up by its id and will say what "
                "Webull has; it will not be sent twice.")
    return f"{message}."


def others_words(count: int) -> str:
    """READY's note about unresolved orders of another Webull sign-in (not checked here)."""
    orders = "order" if count == 1 else "orders"
    return (f"{count} unresolved {orders} of another Webull sign-in on this computer will be "
            "checked when that sign-in connects.")


def request_words(request: OrderRequest) -> tuple[str, ...]:
    """A journaled order in plain words, one line per order (for previewing it again)."""
    lines = []
    for o in request.orders:
        what = (f"${o.total_cash_amount:,.2f} of {o.symbol}" if o.total_cash_amount is not None
                else f"{o.quantity} {o.symbol}")
        terms = [o.order_type.value.replace("_", " ").lower()]
        if o.limit_price is not None:
            terms.append(f"limit {o.limit_price}")
        if o.stop_price is not None:
            terms.append(f"stop {o.stop_price}")
        combo = "" if o.combo_type is ComboType.NORMAL else f" ({o.combo_type.value})"
        lines.append(f"{o.side.value.title()} {what} · {' · '.join(terms)} · "
                     f"{o.time_in_force.value}{combo}")
    return tuple(lines)


def request_facts(request: OrderRequest, positions: Mapping[str, Position]) -> OrderFacts:
    """What the precautions can know of a journaled order: its own terms, and the last price
    and size of the position it trades, when one is held."""
    order = entry_orders(request)[0]
    position = next((p for p in positions.values() if p.symbol == order.symbol
                     and p.instrument_type == order.instrument_type), None)
    multiplier = Decimal(100) if order.instrument_type is InstrumentType.OPTION else Decimal(1)
    return OrderFacts(side=order.side, order_type=order.order_type, quantity=order.quantity,
                      multiplier=multiplier, limit_price=order.limit_price,
                      stop_price=order.stop_price, amount=order.total_cash_amount,
                      last_price=position.last_price if position is not None else None,
                      position_quantity=held(order, positions),
                      closing=opens(order, held(order, positions)) is False,
                      futures=order.instrument_type is InstrumentType.FUTURES)
