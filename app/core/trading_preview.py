"""Previews (issue 5): Webull's quote of an order, or Pennant's local estimate where Webull has
no preview (crypto), with the precautions, buying power and position before and after, bound
to exactly the request (or the modification) it previewed. Every preview is noted in the
audit log, refused ones too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from app.webull.errors import AuthError, BusinessRejectionError, WebullError
from app.webull.models import InstrumentType, ModifyOrder, OrderItem, PreviewResult

from .capabilities import CAPABILITIES, Capability
from .journal import OrderJournal
from .order_request import OrderRequest
from .portfolio import Portfolio
from .precautions import (
    Finding,
    Limits,
    OrderFacts,
    Severity,
    check,
    order_value,
    unknown_value_finding,
    value_finding,
)
from .preview_binding import bind
from .ticket import InstrumentInfo, LocalEstimate
from .trading_types import Preview, PreviewError
from .trading_words import (
    buying_power,
    buying_power_after,
    links_in,
    position_change,
    refusal,
)

log = logging.getLogger(__name__)

Estimator = Callable[[OrderRequest, InstrumentInfo], LocalEstimate | None]
AuthHandler = Callable[[WebullError], Awaitable[bool]]


def capability_of(kind: object) -> Capability | None:
    return CAPABILITIES.get(kind) if isinstance(kind, InstrumentType) else None


class Previewer:
    def __init__(self, client: Any, journal: OrderJournal, environment: str, *,
                 portfolio: Portfolio, estimator: Estimator, now: Callable[[], datetime],
                 on_auth_error: AuthHandler | None = None) -> None:
        self._client = client
        self._journal = journal
        self._environment = environment
        self._portfolio = portfolio
        self._estimator = estimator
        self._now = now
        self._on_auth_error = on_auth_error

    async def preview(self, request: OrderRequest, facts: OrderFacts | None,
                      instrument: InstrumentInfo | None, words: Sequence[str],
                      limits: Limits) -> Preview:
        body = request.body()
        quote, estimate = await self._quote(request, instrument, body)
        at = self._now()
        findings = tuple(sorted(
            _findings(facts, limits) + _value_from_quote(request, facts, limits, quote, estimate),
            key=lambda f: f.severity is not Severity.BLOCK))  # blocking first
        cost = (quote.estimated_cost + quote.estimated_transaction_fee if quote is not None
                else estimate.cost + estimate.fee if estimate is not None else None)
        account_id = request.account_id
        positions = self._portfolio.positions(account_id)
        before = buying_power(self._portfolio.balance(account_id))
        after, basis = buying_power_after(before, cost, request, positions)
        known = self._portfolio.account(account_id) is not None
        held_before, held_after = position_change(request, positions, known)
        binding = bind(account_id, body, quote if quote is not None else estimate, at)
        self._note(account_id, request.key, "preview", {
            "request": body, "response": _figures(quote, estimate),
            "findings": _said(findings),
            "outcome": "quoted by Webull" if quote is not None else
            "estimated locally" if estimate is not None else "no figures"}, at)
        return Preview(request, binding, quote, estimate, findings, before, after, held_before,
                       held_after, tuple(words), at, buying_power_basis=basis)

    async def preview_modify(self, item: OrderItem, modification: ModifyOrder,
                             preview_request: OrderRequest | None, words: Sequence[str],
                             facts: OrderFacts | None, limits: Limits) -> Preview:
        capability = capability_of(item.instrument_type)
        if capability is not None and not capability.modifiable:
            raise PreviewError(f"{capability.label} orders cannot be modified: cancel this one "
                               "and place a new order.")
        if preview_request is None:
            raise PreviewError("The change could not be turned into an order to preview.")
        quote = None
        unquoted: tuple[Finding, ...] = ()
        if capability is None or capability.previewable:
            try:
                quote, _ = await self._quote(preview_request, None, preview_request.body())
            except PreviewError as exc:
                # Webull previews new orders only: the order as it would stand is quoted as a
                # new one, which its rules may refuse for reasons that do not apply to a change
                # (the working order's own hold on buying power, a bracket leg alone). Say so;
                # Webull checks the change itself when it is sent.
                if not exc.by_rule:
                    raise
                unquoted = (Finding("change_not_quoted", Severity.ADVISE,
                                    f"Webull would not quote the changed order as a new order "
                                    f"({exc.message}). Webull checks the change itself when "
                                    "it is sent."),)
        at = self._now()
        account_id = preview_request.account_id
        wire = modification.to_wire()
        findings = _findings(facts, limits) + unquoted
        self._note(account_id, modification.client_order_id, "preview:modify",
                   {"request": wire, "response": _figures(quote, None),
                    "findings": _said(findings)}, at)
        return Preview(preview_request, bind(account_id, wire, quote, at), quote, None,
                       findings, buying_power(self._portfolio.balance(account_id)), None,
                       None, None, tuple(words), at, kind="modify",
                       buying_power_basis="Webull works out buying power after a change "
                                          "once it takes effect.", modification=modification)

    async def _quote(self, request: OrderRequest, instrument: InstrumentInfo | None,
                     body: Mapping[str, Any]) -> tuple[PreviewResult | None, LocalEstimate | None]:
        capability = capability_of(request.orders[0].instrument_type)
        if capability is not None and not capability.previewable:
            if instrument is None:
                return None, None
            try:
                return None, self._estimator(request, instrument)
            except (ArithmeticError, ValueError) as exc:
                raise PreviewError(f"Pennant could not estimate this order ({exc}).") from None
        try:
            quote = await self._client.preview_order(request.account_id, request.orders,
                                                     request.combo_id)
        except WebullError as exc:
            message, code = refusal(exc, "preview")
            self._note(request.account_id, request.key, "preview",
                       {"request": dict(body), "outcome": "refused", "message": message,
                        "error_code": code, "status": exc.status}, self._now())
            if isinstance(exc, AuthError) and self._on_auth_error is not None:
                try:
                    await self._on_auth_error(exc)
                except Exception:
                    log.exception("renewing the sign-in after a refused preview failed")
            raise PreviewError(message, code=code, links=links_in(exc.message),
                               by_rule=isinstance(exc, BusinessRejectionError)) from None
        return quote, None

    def _note(self, account_id: str, key: str, event: str, payload: Mapping[str, Any],
              at: datetime) -> None:
        self._journal.note(self._environment, account_id, key, event, payload, at)


def _findings(facts: OrderFacts | None, limits: Limits) -> tuple[Finding, ...]:
    return tuple(check(facts, limits)) if facts is not None else ()


def _value_from_quote(request: OrderRequest, facts: OrderFacts | None, limits: Limits,
                      quote: PreviewResult | None,
                      estimate: LocalEstimate | None) -> tuple[Finding, ...]:
    """The max-order-value check when the ticket could not value the order itself (a market
    order without a last price, the usual case: the Connect API has no quotes). Webull's quoted
    cost is the order's value for stocks and options; for futures it is the initial margin,
    which says nothing about the value, so there the check is reported as not run."""
    if facts is None or order_value(facts) is not None:
        return ()
    futures = request.orders[0].instrument_type is InstrumentType.FUTURES
    value = (quote.estimated_cost if quote is not None and not futures
             else estimate.cost if estimate is not None else None)
    found = value_finding(value, limits) if value is not None else unknown_value_finding(limits)
    return (found,) if found is not None else ()


def _said(findings: Sequence[Finding]) -> list[str]:
    return [f"{f.severity.value}: {f.message}" for f in findings]


def _figures(quote: PreviewResult | None, estimate: LocalEstimate | None) -> dict[str, Any]:
    if quote is not None:
        return {"estimated_cost": quote.estimated_cost,
                "estimated_transaction_fee": quote.estimated_transaction_fee}
    if estimate is not None:
        return {"local_estimate_cost": estimate.cost, "local_estimate_fee": estimate.fee,
                "basis": estimate.basis}
    return {}
