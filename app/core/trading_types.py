"""The trading desk's values (issue 5): its state, a preview, a trade's result and the events
it publishes. ``app.core.trading`` re-exports all of them; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from app.webull.models import ModifyOrder, PreviewResult

from .journal import Intent, IntentState
from .order_request import OrderRequest
from .precautions import Finding, Severity, blocking
from .preview_binding import BoundPreview
from .ticket import LocalEstimate


class DeskState(StrEnum):
    RECONCILING = "reconciling"  # unresolved intents from before are being looked up
    READY = "ready"
    BLOCKED = "blocked"  # unresolved intents could not be settled yet: see ``why``
    READ_ONLY = "read_only"  # the sign-in expired or there is no session


@dataclass(frozen=True)
class DeskChanged:
    """Published on the bus whenever the desk's state or its explanation changes."""

    state: DeskState
    why: str  # plain words for the ticket and the status bar ("" when there is nothing to say)
    #: intents Webull never received, waiting for the trader to send again or dismiss
    absent: int = 0


@dataclass(frozen=True)
class Preview:
    """What the preview dialog shows."""

    request: OrderRequest
    binding: BoundPreview
    quote: PreviewResult | None  # Webull's figures (None where Webull has no preview)
    estimate: LocalEstimate | None  # Pennant's own figures, labelled as local estimates
    findings: tuple[Finding, ...]  # precautions, blocking first
    buying_power_before: Decimal | None
    buying_power_after: Decimal | None
    position_before: Decimal | None
    position_after: Decimal | None
    words: tuple[str, ...]  # the order in plain words (from the ticket's BuildResult)
    made_at: datetime
    #: how buying power after was worked out, or why it was not (shown under the figure)
    buying_power_basis: str = ""
    #: "place" (a new order) or "modify" (a change to a working order)
    kind: str = "place"
    #: the change a "modify" preview is bound to (None for a new order)
    modification: ModifyOrder | None = None

    @property
    def blocked(self) -> bool:
        return blocking(self.findings)

    @property
    def advisories(self) -> tuple[Finding, ...]:
        """Findings that allow a submit once the trader acknowledges them."""
        return tuple(f for f in self.findings if f.severity is Severity.ADVISE)


class PreviewError(Exception):
    """Webull refused the preview (code and message in words) or could not be reached."""

    def __init__(self, message: str, *, code: str | None = None,
                 links: tuple[str, ...] = (), by_rule: bool = False) -> None:
        super().__init__(message)
        self.message, self.code, self.links = message, code, links
        #: Webull answered and refused by one of its rules (not a failure to reach it)
        self.by_rule = by_rule


class SubmitRefused(Exception):
    """Submit was not attempted: no current preview, a blocking finding, an advisory not
    acknowledged, the desk not READY, or this request in flight already. Nothing was sent."""


@dataclass(frozen=True)
class TradeResult:
    intent: Intent
    message: str  # plain words for the ticket and the activity log
    links: tuple[str, ...] = ()  # agreement URLs found in Webull's message

    @property
    def state(self) -> IntentState:
        return self.intent.state


@dataclass(frozen=True)
class TradeEvent:
    """Published on the bus for the activity log and the orders panel."""

    account_id: str
    key: str  # client_order_id
    #: "place" | "resubmit" | "resolve" | "dismiss" | "modify" | "cancel"
    action: str
    state: IntentState
    message: str
    links: tuple[str, ...] = ()
