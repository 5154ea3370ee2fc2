"""Review fixes of issue 5, through the real widgets: a ticket whose last order's answer is not
known offers no new preview (the same order could be placed twice under new ids); an order
Webull never received is sent again after a fresh preview, or dismissed; a change to an order
runs the precautions; a change turned away before it counted may be tried again; requests
spawned for a widget are held until they end."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.core.journal import Intent, IntentState
from app.core.precautions import Finding, Limits, OrderFacts, Severity, check
from app.core.ticket import ModifyField
from app.core.ticket_input import NumberFormat
from app.core.trading import Preview, TradeEvent, TradeResult
from app.ui.cancel_dialogs import RUNNING, spawn_for
from app.ui.modify_dialog import ModifyDialog
from app.ui.ticket_flow import ABSENT_WHY, UNKNOWN_WHY
from app.ui.ticket_window import TicketWindow
from app.webull.models import ModifyOrder, OrderItem
from tests.core.test_ticket_modify import item
from tests.ui.test_ticket_window import open_preview, stock_limit, submit_with
from tests.ui.ticket_fakes import (
    ACCOUNTS,
    TODAY,
    FakeCatalogue,
    FakeDesk,
    intent,
    make_preview,
    portfolio,
    position,
)

S = IntentState


class Desk(FakeDesk):
    """FakeDesk plus what a ticket's last order needs: the journal's absent list, dismiss,
    a fresh preview of an absent order and resubmit with it; ``resolve_gate`` holds lookups."""

    def __init__(self) -> None:
        super().__init__()
        self.resolve_gate: asyncio.Future[None] | None = None
        self.absent_keys: list[str] = []
        self.dismissed: list[str] = []
        self.resend_previews: list[str] = []
        self.resent: list[tuple[str, Preview | None, bool]] = []
        self.submit_error: BaseException | None = None

    async def submit(self, preview: Preview, *, acknowledged: bool) -> TradeResult:
        if self.submit_error is not None:
            self.submits.append((preview, acknowledged))
            raise self.submit_error
        result = await super().submit(preview, acknowledged=acknowledged)
        if result.state is S.ABSENT:
            self.absent_keys.append(result.intent.client_order_id)
        return result

    async def resolve(self, key: str) -> TradeResult:
        self.resolves.append(key)
        if self.resolve_gate is not None:
            await self.resolve_gate
        await asyncio.sleep(0)
        state = self.resolve_answer
        if state is S.ABSENT and key not in self.absent_keys:
            self.absent_keys.append(key)
        return TradeResult(intent(key, state), f"Order {key}: {state.value}.")

    def absent(self) -> list[Intent]:
        return [intent(key, S.ABSENT) for key in self.absent_keys]

    def dismiss(self, key: str) -> TradeResult:
        if key not in self.absent_keys:
            raise ValueError(f"Order {key} is not absent.")
        self.absent_keys.remove(key)
        self.dismissed.append(key)
        return TradeResult(intent(key, S.DISMISSED), "Dismissed: this order will not be sent.")

    async def preview_resubmit(self, key: str) -> Preview:
        self.resend_previews.append(key)
        await asyncio.sleep(0)
        request = self.submits[-1][0].request
        return make_preview(request, ("Buy 10 AAPL",), self.now(), findings=self.findings)

    async def resubmit(self, key: str, preview: Preview | None = None, *,  # type: ignore[override]
                       acknowledged: bool = False) -> TradeResult:
        self.resent.append((key, preview, acknowledged))
        await asyncio.sleep(0)
        self.absent_keys.remove(key)
        return TradeResult(intent(key, S.ACCEPTED), "Accepted by Webull (order W-2).")


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def make(qtbot: Any, loop: asyncio.AbstractEventLoop, desk: Desk) -> Iterator[Any]:
    def open_ticket() -> TicketWindow:
        ticket = TicketWindow(desk, FakeCatalogue(), portfolio(position()), ACCOUNTS,
                              "ACC-margin", today=TODAY, fmt=NumberFormat())
        qtbot.addWidget(ticket)
        ticket.show()
        return ticket

    yield open_ticket


def click(qtbot: Any, button: Any) -> None:
    assert button.isEnabled() and button.isVisibleTo(button.window())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def offers_resend(ticket: TicketWindow) -> bool:
    return ticket.resend_button.isVisibleTo(ticket) and ticket.dismiss_button.isVisibleTo(ticket)


# ---------------------------------------------------------------------------- M2, M8

def test_an_unknown_order_holds_the_ticket_until_webull_answers(
        make: Any, qtbot: Any, desk: Desk, loop: asyncio.AbstractEventLoop) -> None:
    desk.answer, desk.message = S.UNKNOWN, "Webull's answer was lost."
    desk.resolve_gate = loop.create_future()
    desk.resolve_answer = S.ABSENT
    ticket = make()
    stock_limit(ticket, qtbot)
    key = ticket.built.request.key  # type: ignore[union-attr]
    submit_with(ticket, qtbot)
    qtbot.waitUntil(lambda: desk.resolves == [key], timeout=5_000)
    # the ids were renewed: a preview now would be the same order under a new id
    assert ticket.built is not None and ticket.built.request is not None
    assert ticket.built.request.key != key
    assert ticket.why_not_preview() == UNKNOWN_WHY
    assert not ticket.preview_button.isEnabled() and ticket.reason.text() == UNKNOWN_WHY
    assert ticket.preview() is False and len(desk.previews) == 1
    assert not offers_resend(ticket)
    # Webull has no such order: send it again (same id) or dismiss it; still no new preview
    desk.resolve_gate.set_result(None)
    qtbot.waitUntil(lambda: offers_resend(ticket), timeout=5_000)
    assert ticket.why_not_preview() == ABSENT_WHY and not ticket.preview_button.isEnabled()
    assert ticket.status.plain.startswith("Webull never received this order")
    with qtbot.waitSignal(ticket.submitted, timeout=5_000) as dismissed:
        click(qtbot, ticket.dismiss_button)
    assert desk.dismissed == [key] and dismissed.args[0].state is S.DISMISSED
    assert not offers_resend(ticket)
    assert ticket.why_not_preview() == "" and ticket.preview_button.isEnabled()
    assert ticket.preview() is True


def test_send_again_previews_the_journaled_order_first(make: Any, qtbot: Any,
                                                       desk: Desk) -> None:
    desk.answer = S.ABSENT
    desk.message = "Webull has no such order. Nothing was placed: you can send it again."
    ticket = make()
    stock_limit(ticket, qtbot)
    result = submit_with(ticket, qtbot)
    key = result.intent.client_order_id
    assert offers_resend(ticket) and ticket.why_not_preview() == ABSENT_WHY
    desk.findings = (Finding("price_deviation", Severity.ADVISE, "The limit is far off."),)
    click(qtbot, ticket.resend_button)
    qtbot.waitUntil(lambda: ticket.resend_dialog is not None, timeout=5_000)
    dialog = ticket.resend_dialog
    assert dialog is not None and desk.resend_previews == [key]
    assert dialog.submit_button.text() == "Send again"
    assert not offers_resend(ticket) and not ticket.preview_button.isEnabled()
    assert not dialog.submit_button.isEnabled()  # the warning is acknowledged first
    dialog.ack.setChecked(True)
    with qtbot.waitSignal(ticket.submitted, timeout=5_000) as again:
        click(qtbot, dialog.submit_button)
    assert desk.resent == [(key, dialog.preview, True)]
    assert again.args[0].state is S.ACCEPTED
    assert len(desk.submits) == 1  # nothing went out under new ids
    qtbot.waitUntil(lambda: ticket.resend_dialog is None, timeout=5_000)
    assert not offers_resend(ticket) and ticket.why_not_preview() == ""


def test_a_send_again_preview_closed_offers_the_choice_again(make: Any, qtbot: Any,
                                                             desk: Desk) -> None:
    desk.answer = S.ABSENT
    ticket = make()
    stock_limit(ticket, qtbot)
    submit_with(ticket, qtbot)
    click(qtbot, ticket.resend_button)
    qtbot.waitUntil(lambda: ticket.resend_dialog is not None, timeout=5_000)
    ticket.resend_dialog.reject()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: offers_resend(ticket), timeout=5_000)
    assert desk.resent == [] and ticket.why_not_preview() == ABSENT_WHY


def test_an_absent_order_settled_elsewhere_frees_the_ticket(make: Any, qtbot: Any,
                                                            desk: Desk) -> None:
    desk.answer = S.ABSENT
    ticket = make()
    stock_limit(ticket, qtbot)
    key = submit_with(ticket, qtbot).intent.client_order_id
    assert offers_resend(ticket)
    # the main window's strip sent it again: it left the desk's absent list
    desk.absent_keys.clear()
    desk.resolve_answer = S.ACCEPTED
    qtbot.waitUntil(lambda: ticket.last_state is None, timeout=5_000)
    assert desk.resolves == [key] and not offers_resend(ticket)
    assert ticket.why_not_preview() == ""


def test_the_desks_news_of_the_last_order_reaches_the_ticket(
        make: Any, qtbot: Any, desk: Desk, loop: asyncio.AbstractEventLoop) -> None:
    desk.answer = S.UNKNOWN
    desk.resolve_gate = loop.create_future()
    ticket = make()
    stock_limit(ticket, qtbot)
    key = submit_with(ticket, qtbot).intent.client_order_id
    assert ticket.why_not_preview() == UNKNOWN_WHY
    ticket.on_trade(TradeEvent("ACC-margin", "someone-else", "resolve", S.PLACED, "x"))
    assert ticket.why_not_preview() == UNKNOWN_WHY
    ticket.on_trade(TradeEvent("ACC-margin", key, "resolve", S.ABSENT, "Webull has none."))
    assert offers_resend(ticket) and ticket.why_not_preview() == ABSENT_WHY
    ticket.on_trade(TradeEvent("ACC-margin", key, "resubmit", S.PLACED, "Placed (W-3)."))
    assert not offers_resend(ticket) and ticket.why_not_preview() == ""
    assert ticket.status.plain == "Placed: Placed (W-3)."
    desk.resolve_gate.set_result(None)


def test_a_submit_that_failed_oddly_is_followed_like_an_unknown_one(
        make: Any, qtbot: Any, desk: Desk, loop: asyncio.AbstractEventLoop) -> None:
    desk.submit_error = OSError("connection reset")
    desk.resolve_gate = loop.create_future()
    ticket = make()
    stock_limit(ticket, qtbot)
    key = ticket.built.request.key  # type: ignore[union-attr]
    dialog = open_preview(ticket, qtbot)
    click(qtbot, dialog.submit_button)
    qtbot.waitUntil(lambda: desk.resolves == [key], timeout=5_000)
    assert ticket.why_not_preview() == UNKNOWN_WHY
    assert "connection reset" in ticket.status.plain
    desk.resolve_gate.set_result(None)
    qtbot.waitUntil(lambda: ticket.why_not_preview() == "", timeout=5_000)
    assert ticket.status.plain.startswith("Placed: ")


# ---------------------------------------------------------------------------- M7, m1

class ModifyDesk:
    """The desk's modify side: the preview runs the real precautions on the facts given."""

    def __init__(self, answer: IntentState = S.ACCEPTED) -> None:
        self.answer = answer
        self.facts: list[OrderFacts | None] = []
        self.modifies: list[ModifyOrder] = []

    async def preview_modify(self, order: OrderItem, modification: ModifyOrder,
                             preview_request: Any, words: Any, *,
                             facts: OrderFacts | None = None) -> Preview:
        self.facts.append(facts)
        await asyncio.sleep(0)
        findings = tuple(check(facts, Limits())) if facts is not None else ()
        base = make_preview(preview_request, words, datetime.now(UTC), findings=findings)
        return replace(base, kind="modify", modification=modification)

    async def modify(self, preview: Preview, modification: ModifyOrder, *,
                     acknowledged: bool = False) -> TradeResult:
        self.modifies.append(modification)
        await asyncio.sleep(0)
        message = ("Webull accepted the change." if self.answer is S.ACCEPTED else
                   "Not changed: Webull turned the request away (too many requests); nothing "
                   "changed at Webull.")
        return TradeResult(intent(modification.client_order_id, self.answer), message)


def modify_dialog(qtbot: Any, desk: ModifyDesk, order: OrderItem, **kw: Any) -> ModifyDialog:
    dialog = ModifyDialog(desk, None, order, "ACC-margin",  # type: ignore[arg-type]
                          number_format=NumberFormat(), **kw)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def preview_change(qtbot: Any, dialog: ModifyDialog) -> Any:
    click(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.preview_dialog is not None, timeout=5_000)
    return dialog.preview_dialog


def test_a_change_runs_the_precautions(qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    desk = ModifyDesk()
    dialog = modify_dialog(qtbot, desk, item())
    dialog.set_text(ModifyField.QUANTITY, "20000")  # 20,000 × 187.50: above the value limit
    shown = preview_change(qtbot, dialog)
    assert dialog.last_build is not None
    facts = desk.facts[-1]
    assert facts is not None and facts == dialog.last_build.facts
    assert facts.quantity == Decimal(20000) and facts.limit_price == Decimal("187.50")
    assert shown.preview.blocked
    assert not shown.submit_button.isEnabled() and shown.submit_button.text() == "Send change"
    assert "above your limit" in " ".join(f.message for f in shown.preview.findings)


def test_a_change_to_a_closing_order_knows_the_position(
        qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    desk = ModifyDesk()
    held = position("AAPL", "20000", "187.43")
    dialog = modify_dialog(qtbot, desk, item(side="SELL"), portfolio=portfolio(held))
    dialog.set_text(ModifyField.QUANTITY, "15000")
    shown = preview_change(qtbot, dialog)
    facts = desk.facts[-1]
    assert facts is not None and facts.closing and facts.position_quantity == Decimal(20000)
    assert not shown.preview.findings and shown.submit_button.isEnabled()


def test_a_change_turned_away_before_it_counted_may_be_tried_again(
        qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    desk = ModifyDesk(S.ABSENT)
    dialog = modify_dialog(qtbot, desk, item())
    dialog.set_text(ModifyField.LIMIT_PRICE, "187.00")
    first_id = dialog.preview_id
    shown = preview_change(qtbot, dialog)
    click(qtbot, shown.submit_button)
    qtbot.waitUntil(lambda: "turned the request away" in dialog.outcome_text(), timeout=5_000)
    assert dialog.result_value is None and dialog.preview_id != first_id
    assert dialog.preview_button.isEnabled()
    assert dialog.inputs[ModifyField.LIMIT_PRICE].isEnabled()
    desk.answer = S.ACCEPTED
    click(qtbot, preview_change(qtbot, dialog).submit_button)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=5_000)
    assert len(desk.modifies) == 2 and not dialog.preview_button.isEnabled()


# ---------------------------------------------------------------------------- m4

def test_requests_spawned_for_a_widget_are_held_until_they_end(
        qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    started: list[bool] = []
    answers: list[Any] = []

    async def waits_on_its_own_future() -> str:
        started.append(True)
        await asyncio.get_running_loop().create_future()  # referenced by this task only
        return "never"

    ref = weakref.ref(spawn_for(widget, waits_on_its_own_future(),
                                lambda r, e: answers.append((r, e))))
    qtbot.waitUntil(lambda: bool(started), timeout=5_000)
    gc.collect()
    task = ref()
    assert task is not None and not task.done(), "the request was collected half-way"
    assert task in RUNNING
    task.cancel()
    qtbot.waitUntil(task.done, timeout=5_000)
    assert task not in RUNNING and answers == []

    async def quick() -> str:
        await asyncio.sleep(0)
        return "done"

    done = spawn_for(widget, quick(), lambda r, e: answers.append((r, e)))
    qtbot.waitUntil(lambda: answers == [("done", None)], timeout=5_000)
    assert done not in RUNNING
