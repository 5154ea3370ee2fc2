"""The order ticket, driven through its real widgets: the fields each class offers (and hides),
errors next to their fields, Preview only when the order is whole and the desk is ready,
preview → dialog → exactly one submit however often Submit or Enter is pressed, results in
words, the close-a-position prefill — and, against the simulator, a stock limit order placed
through the ticket and accepted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt

from app.core.journal import IntentState
from app.core.precautions import Finding, Severity
from app.core.ticket import TicketDraft, draft_to_close
from app.core.ticket_input import NumberFormat
from app.core.trading import DeskState, PreviewError
from app.ui.numbers import locale_number_format
from app.ui.preview_dialog import PreviewDialog
from app.ui.ticket_window import TicketWindow
from app.webull.models import (
    InstrumentType,
    OptionStrategy,
    OptionType,
    OrderType,
    Side,
)
from tests.ui.ticket_fakes import (
    ACCOUNTS,
    T0,
    TODAY,
    FakeCatalogue,
    FakeDesk,
    portfolio,
    position,
)

E = InstrumentType


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def catalogue() -> FakeCatalogue:
    return FakeCatalogue()


@pytest.fixture
def make(qtbot: Any, loop: asyncio.AbstractEventLoop, desk: FakeDesk,
         catalogue: FakeCatalogue) -> Iterator[Any]:
    def open_ticket(account_id: str = "ACC-margin", **kw: Any) -> TicketWindow:
        kw.setdefault("fmt", NumberFormat())
        ticket = TicketWindow(desk, catalogue, portfolio(position()), ACCOUNTS, account_id,
                              today=TODAY, **kw)
        qtbot.addWidget(ticket)
        ticket.show()
        return ticket

    yield open_ticket


def choose(ticket: TicketWindow, qtbot: Any, symbol: str) -> None:
    """Type a symbol and press Enter, as a trader does; wait for the instrument's facts."""
    edit = ticket.area.search_edit
    edit.setFocus()
    qtbot.keyClicks(edit, symbol)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.area.info is not None and ticket.area.info.symbol == symbol,
                    timeout=5_000)


def type_in(ticket: TicketWindow, qtbot: Any, name: str, text: str) -> None:
    edit = ticket.form.edit(name)
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def pick(ticket: TicketWindow, name: str, value: object) -> None:
    combo = ticket.form.combo(name)
    index = combo.findData("" if value is None else str(getattr(value, "value", value)))
    assert index >= 0, f"{value} is not offered in {name}"
    combo.setCurrentIndex(index)


def offered(ticket: TicketWindow, name: str) -> list[str]:
    combo = ticket.form.combo(name)
    return [combo.itemData(i) for i in range(combo.count())]


def stock_limit(ticket: TicketWindow, qtbot: Any, qty: str = "10", price: str = "187.50"
                ) -> None:
    choose(ticket, qtbot, "AAPL")
    type_in(ticket, qtbot, "quantity", qty)
    type_in(ticket, qtbot, "limit_price", price)
    assert ticket.built is not None and ticket.built.request is not None, ticket.built.errors


def open_preview(ticket: TicketWindow, qtbot: Any) -> PreviewDialog:
    qtbot.mouseClick(ticket.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.preview_dialog is not None, timeout=5_000)
    assert ticket.preview_dialog is not None
    return ticket.preview_dialog


# ---------------------------------------------------------------------------- the form per class

def test_stock_ticket_shows_the_fields_of_each_order_type(make: Any, qtbot: Any) -> None:
    ticket = make()
    assert [ticket.tabs.tabText(i) for i in range(ticket.tabs.count())] == [
        "Stocks && ETFs", "Options"]
    choose(ticket, qtbot, "AAPL")
    assert offered(ticket, "side") == ["BUY", "SELL", "SHORT"]
    assert ticket.visible_fields() == {"side", "order_type", "entrust", "quantity",
                                       "limit_price", "tif", "session", "bracket"}
    pick(ticket, "order_type", OrderType.MARKET)
    assert "limit_price" not in ticket.visible_fields()
    assert offered(ticket, "entrust") == ["QTY", "AMOUNT"]  # fractionable: dollars at market
    pick(ticket, "order_type", OrderType.STOP_LOSS_LIMIT)
    assert {"stop_price", "limit_price"} <= ticket.visible_fields()
    assert offered(ticket, "entrust") == ["QTY"]
    assert "market" in ticket.form.combo("entrust").toolTip().lower()
    pick(ticket, "order_type", OrderType.TRAILING_STOP_LOSS)
    assert {"trailing_type", "trailing_step"} <= ticket.visible_fields()
    assert not {"stop_price", "limit_price"} & ticket.visible_fields()
    assert "fractional · shortable" in ticket.area.rules.text()
    assert "Last 187.43" in ticket.area.last.text()
    assert "last price of your position" in ticket.area.last.text()
    assert ticket.buying_power.text() == "Buying power $25,000.00"


def test_brackets_show_their_own_prices(make: Any, qtbot: Any) -> None:
    ticket = make()
    choose(ticket, qtbot, "AAPL")
    assert offered(ticket, "bracket") == ["none", "tp_sl", "oto", "oco", "otoco"]
    pick(ticket, "bracket", "tp_sl")
    assert {"take_profit_price", "stop_loss_price"} <= ticket.visible_fields()
    pick(ticket, "bracket", "oto")
    assert {"follow_up_side", "follow_up_type", "follow_up_price"} <= ticket.visible_fields()
    pick(ticket, "follow_up_type", OrderType.MARKET)
    assert "follow_up_price" not in ticket.visible_fields()
    pick(ticket, "side", Side.SELL)
    assert offered(ticket, "bracket") == ["none", "oto", "oco"]
    pick(ticket, "bracket", "oco")
    assert "order_type" not in ticket.visible_fields()  # the pair's prices are the order
    assert {"take_profit_price", "stop_loss_price"} <= ticket.visible_fields()


def test_cash_account_cannot_sell_short(make: Any, qtbot: Any) -> None:
    ticket = make("ACC-cash")
    choose(ticket, qtbot, "AAPL")
    assert offered(ticket, "side") == ["BUY", "SELL"]


def test_not_shortable_stock_offers_no_short(make: Any, qtbot: Any) -> None:
    ticket = make()
    choose(ticket, qtbot, "INTC")
    assert offered(ticket, "side") == ["BUY", "SELL"]
    pick(ticket, "order_type", OrderType.MARKET)
    assert offered(ticket, "entrust") == ["QTY"]  # not fractionable: no dollar amounts
    assert "not fractionable" in ticket.form.combo("entrust").toolTip()
    assert "no quote" in ticket.area.last.text()


def test_options_ticket_strategy_legs_and_chain(make: Any, qtbot: Any,
                                                catalogue: FakeCatalogue) -> None:
    ticket = make()
    ticket.tabs.setCurrentIndex(1)
    assert ticket.draft.instrument is E.OPTION
    choose(ticket, qtbot, "AAPL")
    qtbot.waitUntil(lambda: ticket.area.chain is not None, timeout=5_000)
    fields = ticket.visible_fields()
    assert {"side", "position_intent", "order_type", "quantity", "limit_price", "tif"} <= fields
    assert not {"session", "entrust", "trailing_type"} & fields
    assert OrderType.TRAILING_STOP_LOSS.value not in offered(ticket, "order_type")
    leg = ticket.area.legs.legs()[0]
    assert leg.strike == Decimal("185") and leg.expiry == catalogue.expiries[0]  # at the money
    pick(ticket, "side", Side.SELL)
    assert offered(ticket, "tif") == ["DAY"]  # sell-side options: DAY only
    combo = ticket.area.strategy
    combo.setCurrentIndex(combo.findData(OptionStrategy.VERTICAL.value))
    assert ticket.area.legs.count() == 2
    assert "position_intent" not in ticket.visible_fields()
    assert ticket.form.labels["limit_price"].text() == "Net price (credit)"
    picker = ticket.area.open_chain(1)
    assert picker is not None
    qtbot.waitUntil(lambda: picker.state == "ready", timeout=5_000)
    assert picker.select(catalogue.expiries[0], Decimal("195"), OptionType.CALL)
    with qtbot.waitSignal(picker.picked):
        picker.table.activated_cell.emit(picker.table.currentIndex())
    assert ticket.area.legs.legs()[1].strike == Decimal("195")
    assert ticket.draft.legs[1].strike == Decimal("195")


def test_futures_ticket_product_then_month(make: Any, qtbot: Any,
                                           catalogue: FakeCatalogue) -> None:
    ticket = make("ACC-futures")
    assert ticket.tabs.isHidden()  # one class only
    assert ticket.area.product.isVisibleTo(ticket) and ticket.area.search.isHidden()
    ticket.area.product.setCurrentIndex(ticket.area.product.findData("ES"))
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=5_000)
    assert ticket.draft.symbol == "ESZ6"
    ticket.area.month.setCurrentIndex(1)
    qtbot.waitUntil(lambda: ticket.area.info is not None
                    and ticket.area.info.symbol == "ESH7", timeout=5_000)
    assert ticket.draft.symbol == "ESH7"
    assert ticket.visible_fields() == {"side", "order_type", "quantity", "limit_price", "tif"}
    assert ticket.form.labels["quantity"].text() == "Contracts"
    assert "price step 0.25" in ticket.area.rules.text()


def test_crypto_ticket_market_is_ioc(make: Any, qtbot: Any) -> None:
    ticket = make("ACC-crypto")
    choose(ticket, qtbot, "BTCUSD")
    assert offered(ticket, "order_type") == ["MARKET", "LIMIT", "STOP_LOSS_LIMIT"]
    pick(ticket, "order_type", OrderType.MARKET)
    assert offered(ticket, "tif") == ["IOC"]
    assert not ticket.form.combo("tif").isEnabled()
    assert offered(ticket, "entrust") == ["QTY", "AMOUNT"]
    pick(ticket, "entrust", "AMOUNT")
    assert "amount" in ticket.visible_fields() and "quantity" not in ticket.visible_fields()
    type_in(ticket, qtbot, "amount", "1")
    assert "at least 2" in ticket.error_text("amount")


def test_event_ticket_outcome_and_market(make: Any, qtbot: Any,
                                         catalogue: FakeCatalogue) -> None:
    ticket = make("ACC-events")
    edit = ticket.area.search_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "KXFEDDECISION-26DEC-C25")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=5_000)
    assert ("markets", "KXFEDDECISION-26DEC") in catalogue.calls
    assert ticket.draft.symbol == "KXFEDDECISION-26DEC-C25"
    assert ticket.area.market.count() == 2
    assert offered(ticket, "event_outcome") == ["yes", "no"]
    assert offered(ticket, "order_type") == ["LIMIT"] and offered(ticket, "tif") == ["DAY"]
    assert ticket.form.combo("side").itemText(1) == "Sell (closes a position)"
    assert "prices 0.01–0.99 by 0.01" in ticket.area.rules.text()
    type_in(ticket, qtbot, "limit_price", "1.20")
    assert ticket.error_text("limit_price")


# ---------------------------------------------------------------------------- errors, Preview state

def test_errors_show_next_to_their_fields(make: Any, qtbot: Any) -> None:
    ticket = make()
    assert not ticket.preview_button.isEnabled()
    assert ticket.error_text("quantity") == ""  # nothing typed yet: no red
    choose(ticket, qtbot, "AAPL")
    type_in(ticket, qtbot, "quantity", "abc")
    assert ticket.error_text("quantity").startswith("“abc” is not a number")
    assert ticket.error_text("limit_price") == ""
    assert not ticket.preview_button.isEnabled()
    assert "Shares" in ticket.reason.text()
    type_in(ticket, qtbot, "quantity", "10")
    type_in(ticket, qtbot, "limit_price", "187.505")
    assert ticket.error_text("quantity") == ""
    assert ticket.error_text("limit_price").startswith("Prices move in steps of 0.01")
    pick(ticket, "order_type", OrderType.MARKET)  # the bad price is no longer used
    assert ticket.error_text("limit_price") == ""
    assert ticket.preview_button.isEnabled()


def test_preview_attempt_shows_every_missing_field(make: Any, qtbot: Any) -> None:
    ticket = make()
    choose(ticket, qtbot, "AAPL")
    assert ticket.preview() is False
    assert ticket.error_text("quantity") and ticket.error_text("limit_price")


def test_unknown_symbol_is_said_under_the_symbol(make: Any, qtbot: Any) -> None:
    ticket = make()
    ticket.area.search.set_text("ZZZZ")
    ticket.area.lookup("ZZZZ")
    qtbot.waitUntil(lambda: bool(ticket.error_text("symbol")), timeout=5_000)
    assert "no instrument ZZZZ" in ticket.error_text("symbol")
    assert not ticket.preview_button.isEnabled()


def test_preview_waits_for_a_ready_desk(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    desk.state, desk.why = DeskState.BLOCKED, "1 order from your last session is unknown."
    ticket = make()
    stock_limit(ticket, qtbot)
    assert not ticket.preview_button.isEnabled()
    assert ticket.reason.text() == desk.why
    assert ticket.preview() is False and not desk.previews
    desk.state, desk.why = DeskState.READY, ""
    qtbot.waitUntil(ticket.preview_button.isEnabled, timeout=3_000)


def test_locale_number_format_and_parsing(make: Any, qtbot: Any) -> None:
    german = locale_number_format(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    assert (german.decimal_point, german.group_separator) == (",", ".")
    ticket = make(fmt=german)
    choose(ticket, qtbot, "AAPL")
    type_in(ticket, qtbot, "quantity", "1.000")
    type_in(ticket, qtbot, "limit_price", "187,50")
    assert ticket.built is not None and ticket.built.request is not None
    order = ticket.built.request.orders[0]
    assert (order.quantity, order.limit_price) == (Decimal(1000), Decimal("187.50"))


# ---------------------------------------------------------------------------- preview and submit

def test_submit_is_sent_once_whatever_is_pressed(make: Any, qtbot: Any, desk: FakeDesk,
                                                 loop: asyncio.AbstractEventLoop) -> None:
    ticket = make()
    stock_limit(ticket, qtbot)
    first_key = ticket.built.request.key  # type: ignore[union-attr]
    desk.gate = loop.create_future()
    dialog = open_preview(ticket, qtbot)
    assert dialog.quote_box is not None and "Buy 10 AAPL" in dialog.order_lines[0].text()
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    dialog.accepted.emit()  # even if the dialog said "accepted" twice, the ticket sends once
    qtbot.waitUntil(lambda: ticket.busy == "submit", timeout=3_000)
    # in flight: Preview is off; Ctrl+Enter and Enter on the ticket do nothing
    assert not ticket.preview_button.isEnabled()
    assert ticket.reason.text() == "Sending the order to Webull…"
    assert ticket.preview() is False
    qtbot.keyClick(ticket, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(ticket, Qt.Key.Key_Return)
    with qtbot.waitSignal(ticket.submitted, timeout=5_000) as sent:
        desk.gate.set_result(None)
    assert len(desk.submits) == 1 and len(desk.previews) == 1
    assert sent.args[0].state is IntentState.ACCEPTED
    assert ticket.status.plain == "Accepted: Accepted by Webull (order W-1)."
    assert ticket.status.kind == "good"
    # the ids reached the journal: the next order gets new ones
    assert ticket.built is not None and ticket.built.request is not None
    assert ticket.built.request.key != first_key
    assert ticket.preview_button.isEnabled()


def test_ctrl_enter_previews_and_escape_closes(make: Any, qtbot: Any,
                                               desk: FakeDesk) -> None:
    ticket = make()
    stock_limit(ticket, qtbot)
    ticket.activateWindow()
    qtbot.keyClick(ticket.form.edit("limit_price"), Qt.Key.Key_Return,
                   Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ticket.preview_dialog is not None, timeout=5_000)
    assert len(desk.previews) == 1
    ticket.preview_dialog.reject()
    qtbot.waitUntil(lambda: ticket.preview_dialog is None, timeout=3_000)
    with qtbot.waitSignal(ticket.destroyed, timeout=3_000):
        qtbot.keyClick(ticket.form.edit("quantity"), Qt.Key.Key_Escape)
    assert not desk.submits


def test_changing_a_field_after_the_preview_voids_it(make: Any, qtbot: Any,
                                                     desk: FakeDesk) -> None:
    ticket = make()
    stock_limit(ticket, qtbot)
    dialog = open_preview(ticket, qtbot)
    ticket.apply("limit_price", "187.60")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3_000)
    assert ticket.preview_dialog is None and ticket.preview_value is None
    assert "changed after the preview" in ticket.status.plain
    assert not desk.submits


def test_advisory_findings_need_the_tick(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    desk.findings = (Finding("deviation", Severity.ADVISE,
                             "The limit is 12.0% from the last price."),)
    ticket = make()
    stock_limit(ticket, qtbot)
    dialog = open_preview(ticket, qtbot)
    assert dialog.ack.isVisibleTo(dialog) and not dialog.submit_button.isEnabled()
    assert "Tick" in dialog.reason.text()
    dialog.ack.setChecked(True)
    assert dialog.submit_button.isEnabled()
    with qtbot.waitSignal(ticket.submitted, timeout=5_000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert desk.submits[0][1] is True  # acknowledged


def test_blocking_findings_disable_submit(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    desk.findings = (Finding("max_order_value", Severity.BLOCK,
                             "The order is worth about 187,500.00, above your limit."),)
    ticket = make()
    stock_limit(ticket, qtbot, qty="1000")
    dialog = open_preview(ticket, qtbot)
    assert not dialog.submit_button.isEnabled() and not dialog.ack.isVisibleTo(dialog)
    assert dialog.reason.text().startswith("Submit is disabled")
    assert "above your limit" in dialog.findings[0][1].text()
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    dialog.submit()
    assert not desk.submits


def test_an_expired_preview_cannot_be_submitted(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    now = [T0]
    desk.now = lambda: now[0]
    ticket = make(clock=lambda: now[0])
    stock_limit(ticket, qtbot)
    dialog = open_preview(ticket, qtbot)
    assert dialog.remaining_s() == 30 and dialog.submit_button.isEnabled()
    now[0] = T0 + timedelta(seconds=31)
    dialog.timer.timeout.emit()
    assert not dialog.submit_button.isEnabled()
    assert dialog.countdown.text() == "This preview has expired: preview again."
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not desk.submits
    assert dialog.again_button.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(desk.previews) == 2 and ticket.preview_dialog is not None
                    and ticket.preview_dialog is not dialog, timeout=5_000)


def test_preview_refused_by_webull_is_said(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    desk.preview_error = PreviewError(
        "Sign the options agreement first: https://www.webull.com/agreement",
        code="AGREEMENT_REQUIRED", links=("https://www.webull.com/agreement",))
    ticket = make()
    stock_limit(ticket, qtbot)
    qtbot.mouseClick(ticket.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.status.kind == "error", timeout=5_000)
    assert "AGREEMENT_REQUIRED" in ticket.status.plain
    assert 'href="https://www.webull.com/agreement"' in ticket.status.text()
    assert ticket.preview_dialog is None and ticket.preview_button.isEnabled()


def submit_with(ticket: TicketWindow, qtbot: Any) -> Any:
    dialog = open_preview(ticket, qtbot)
    with qtbot.waitSignal(ticket.submitted, timeout=5_000) as sent:
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    return sent.args[0]


def test_rejection_shows_webulls_words_and_links(make: Any, qtbot: Any,
                                                 desk: FakeDesk) -> None:
    desk.answer = IntentState.REJECTED
    desk.message = ("Webull rejected the order [ORDER_BUYING_POWER_NOT_ENOUGH]: Insufficient "
                    "buying power, see https://www.webull.com/help.")
    desk.links = ("https://www.webull.com/help",)
    ticket = make()
    stock_limit(ticket, qtbot)
    result = submit_with(ticket, qtbot)
    assert result.state is IntentState.REJECTED
    assert ticket.status.plain.startswith("Rejected by Webull: ")
    assert "ORDER_BUYING_POWER_NOT_ENOUGH" in ticket.status.plain
    assert ticket.status.kind == "error" and ticket.status.links == desk.links


def test_unknown_outcome_is_looked_up(make: Any, qtbot: Any, desk: FakeDesk) -> None:
    desk.answer, desk.message = IntentState.UNKNOWN, "Webull's answer was lost."
    ticket = make()
    stock_limit(ticket, qtbot)
    key = ticket.built.request.key  # type: ignore[union-attr]
    with qtbot.waitSignals([ticket.submitted, ticket.submitted], timeout=5_000):
        dialog = open_preview(ticket, qtbot)
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert desk.resolves == [key]
    assert ticket.status.plain.startswith("Placed: ")
    assert len(desk.submits) == 1


def test_absent_order_can_be_sent_again_with_the_same_id(make: Any, qtbot: Any,
                                                         desk: FakeDesk) -> None:
    desk.answer = IntentState.ABSENT
    desk.message = "Webull has no such order. Nothing was placed: you can send it again."
    ticket = make()
    stock_limit(ticket, qtbot)
    result = submit_with(ticket, qtbot)
    assert ticket.status.plain.startswith("Webull never received this order")
    assert ticket.resend_button.isVisibleTo(ticket)
    assert not ticket.preview_button.isEnabled()  # not another order until this one is done
    qtbot.mouseClick(ticket.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.resend_dialog is not None, timeout=5_000)
    dialog = ticket.resend_dialog
    assert dialog is not None and dialog.submit_button.text() == "Send again"
    with qtbot.waitSignal(ticket.submitted, timeout=5_000) as again:
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert desk.resubmits == [result.intent.client_order_id]
    assert again.args[0].state is IntentState.ACCEPTED
    assert not ticket.resend_button.isVisibleTo(ticket)


# ---------------------------------------------------------------------------- closing a position

def test_close_position_prefill_is_reviewed_not_sent(make: Any, qtbot: Any,
                                                     desk: FakeDesk) -> None:
    held = position("AAPL", "10", "187.43")
    draft = draft_to_close(ACCOUNTS[0], held)
    ticket = make(draft=draft)
    assert ticket.windowTitle() == "Close position AAPL — Margin ·1234"
    assert "nothing is sent without the preview" in ticket.closing_note.text()
    assert ticket.closing_note.isVisibleTo(ticket)
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=5_000)
    assert ticket.draft.side is Side.SELL and ticket.draft.closing
    assert ticket.form.edit("quantity").text() == "10"
    assert ticket.form.edit("limit_price").text() == "187.43"
    assert ticket.built is not None and ticket.built.request is not None
    assert ticket.built.facts is not None and ticket.built.facts.closing
    assert ticket.preview_button.isEnabled()
    assert not desk.previews and not desk.submits  # nothing goes out without the preview


def test_prefill_is_written_in_the_traders_number_format(make: Any, qtbot: Any) -> None:
    german = NumberFormat(",", ".")
    ticket = make(fmt=german, draft=draft_to_close(ACCOUNTS[0], position("AAPL", "1200",
                                                                          "187.43")))
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=5_000)
    assert ticket.form.edit("quantity").text() == "1200"
    assert ticket.form.edit("limit_price").text() == "187,43"
    assert ticket.built is not None and ticket.built.request is not None, ticket.built.errors
    assert ticket.built.request.orders[0].limit_price == Decimal("187.43")


def test_load_draft_switches_class_and_account(make: Any, qtbot: Any) -> None:
    ticket = make()
    ticket.load_draft(TicketDraft(account_id="ACC-crypto", instrument=E.CRYPTO,
                                  symbol="BTCUSD", quantity="0.5", limit_price="100000",
                                  order_type=OrderType.LIMIT))
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=5_000)
    assert ticket.account_combo.currentData() == "ACC-crypto"
    assert ticket.draft.instrument is E.CRYPTO
    assert ticket.built is not None and ticket.built.request is not None, ticket.built.errors
    assert ticket.windowTitle() == "Order ticket — Crypto ·8765"


# ---------------------------------------------------------------------------- the real desk

@pytest.fixture
def on_sim(qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Any]:
    """A signed-in client of a running simulator, with the real TradingDesk and Catalogue."""
    from app.core.catalogue import Catalogue
    from app.core.events import EventBus
    from app.core.journal import OrderJournal
    from app.core.portfolio import Portfolio
    from app.core.trading import TradingDesk
    from app.demo import auto_sign_in, demo_connection
    from app.sim import SimServer
    from app.webull.client import WebullClient
    from app.webull.oauth import AuthorizationFlow, TokenManager
    from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
    from app.webull.transport import Transport
    from tests.ui.support import run

    with SimServer(seed=7, auto_approve=True) as sim:
        env, creds = demo_connection(sim)
        limiter = RateLimiter({**WEBULL_LIMITS, "instruments": Limit(60, 60)})
        transport = Transport(env, creds.signing_key, limiter=limiter)
        journal = OrderJournal(tmp_path / "journal.sqlite3")

        async def start() -> Any:
            tokens = TokenManager(transport, creds)
            await auto_sign_in(AuthorizationFlow(env, creds), tokens)
            client = WebullClient(transport, tokens.access_token)
            book = Portfolio()
            accounts = await client.list_accounts()
            book.set_accounts(accounts)
            for account in accounts:
                book.apply_balance(account.account_id,
                                   await client.get_balance(account.account_id))
            desk = TradingDesk(client, journal, EventBus(), "demo", portfolio=book)
            await desk.start()
            return desk, Catalogue(client, book), book

        desk, catalogue, book = run(loop, qtbot, start())
        yield desk, catalogue, book, journal

        async def stop() -> None:
            await desk.aclose()
            await catalogue.aclose()
            await transport.aclose()

        run(loop, qtbot, stop())
        journal.close()


def test_stock_limit_order_through_the_ticket_on_the_simulator(qtbot: Any,
                                                               on_sim: Any) -> None:
    desk, catalogue, book, journal = on_sim
    assert desk.state is DeskState.READY
    margin = next(a for a in book.accounts if a.account_class == "INDIVIDUAL_MARGIN")
    ticket = TicketWindow(desk, catalogue, book, book.accounts, margin.account_id,
                          fmt=NumberFormat())
    qtbot.addWidget(ticket)
    ticket.show()
    choose(ticket, qtbot, "AAPL")
    type_in(ticket, qtbot, "quantity", "1")
    type_in(ticket, qtbot, "limit_price", "100.00")
    qtbot.waitUntil(ticket.preview_button.isEnabled, timeout=5_000)
    dialog = open_preview(ticket, qtbot)
    assert dialog.quote_box is not None  # Webull (the simulator) quoted it
    assert dialog.quote_box.values["Estimated cost"].text().startswith("$100.")
    if dialog.ack.isVisibleTo(dialog):
        dialog.ack.setChecked(True)
    with qtbot.waitSignal(ticket.submitted, timeout=15_000) as sent:
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    result = sent.args[0]
    assert result.state is IntentState.ACCEPTED, result.message
    kept = journal.get(result.intent.client_order_id)
    assert kept is not None and kept.state is IntentState.ACCEPTED
    assert ticket.status.plain.startswith("Accepted: Accepted by Webull")
