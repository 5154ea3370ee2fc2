"""Trading from the main window against the real simulator (Demo, auto-approved sign-in) and
the real trading desk: cancel one order, cancel all with a typed confirmation, modify a limit
price with its preview, crypto refused, close a position from the positions tree, the desk's
state on screen (checking the last session's orders, orders Webull never received), the
activity log's trade lines and links, and the audit export."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import QPushButton

from app.core.journal import IntentState, OrderJournal
from app.core.rows import OrderRow
from app.core.ticket import ModifyField
from app.core.trading import DeskState, TradeEvent
from app.sim import SimServer
from app.ui import theme
from app.ui.activity import ActivityLog
from app.ui.cancel_dialogs import CancelAllDialog, CancelOrderDialog, order_phrase
from app.ui.context import build_context
from app.ui.main_window import MainWindow
from app.ui.modify_dialog import ModifyDialog
from app.webull.models import (
    EntrustType,
    InstrumentType,
    NewOrder,
    OrderType,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)
from tests.ui.test_main_window import connect, make_context

CENT = Decimal("0.01")


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(auto_approve=True) as server:
        yield server


@pytest.fixture
def context(tmp_path: Path, sim: SimServer) -> Iterator[Any]:
    ctx = make_context(tmp_path, sim)
    yield ctx
    ctx.close()


@pytest.fixture
def window(qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path,
           context: Any) -> Iterator[MainWindow]:
    theme.apply("light")
    win = MainWindow(context, settings=QSettings(str(tmp_path / "layout.ini"),
                                                 QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    task = loop.create_task(win.shutdown())
    qtbot.waitUntil(task.done, timeout=10_000)


def ready(window: MainWindow, qtbot: Any) -> None:
    """Connected, the desk READY, the open orders shown."""
    connect(window, qtbot)
    qtbot.waitUntil(lambda: window.desk() is not None
                    and window.desk().state is DeskState.READY, timeout=15_000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.orders.trading_block == "", timeout=5_000)


def working_rows(window: MainWindow) -> list[OrderRow]:
    return [r for r in window.orders.open_model.values() if not r.is_final]


def history_status(window: MainWindow, key: str) -> str:
    model = window.orders.history_model
    row = model.row_of(key)
    return "" if row is None else model.row_value(row).item.status.value


def place_direct(window: MainWindow, loop: asyncio.AbstractEventLoop, qtbot: Any,
                 order: NewOrder) -> None:
    """An order placed outside the desk (another device, say), for the table to pick up."""
    terminal = window.terminal
    assert terminal is not None and window.account_id is not None
    task = loop.create_task(terminal.session.client.place_order(window.account_id, [order]))
    qtbot.waitUntil(task.done, timeout=10_000)
    task.result()
    terminal.poller.refresh_now(window.account_id)
    qtbot.waitUntil(lambda: window.orders.open_model.row_of(order.client_order_id) is not None,
                    timeout=20_000)


def stock_limit(symbol: str, price: Decimal, quantity: int = 1) -> NewOrder:
    return NewOrder(client_order_id=uuid4().hex, symbol=symbol,
                    instrument_type=InstrumentType.EQUITY, side=Side.BUY,
                    order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
                    support_trading_session=TradingSession.CORE, quantity=Decimal(quantity),
                    limit_price=price.quantize(CENT))


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# ------------------------------------------------------------------ cancel


def test_cancel_one_order_from_the_table(window: MainWindow, qtbot: Any) -> None:
    ready(window, qtbot)
    row = working_rows(window)[0]
    assert window.orders.select_open(row.key)
    assert window.orders.cancel_button.isEnabled()
    click(qtbot, window.orders.cancel_button)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CancelOrderDialog) and dialog.isVisible()
    assert not dialog.isModal() or dialog.windowModality() != Qt.WindowModality.ApplicationModal
    item = row.item
    assert dialog.question.text() == (f"Cancel Buy {item.total_quantity.normalize():f} "
                                      f"{item.symbol} limit {item.limit_price:.2f}?")
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=15_000)
    assert dialog.result_value is not None
    assert dialog.result_value.state is IntentState.ACCEPTED
    assert "accepted the cancel" in dialog.outcome_text()
    # the order leaves the open table and shows as cancelled in the history
    qtbot.waitUntil(lambda: window.orders.open_model.row_of(row.key) is None, timeout=20_000)
    qtbot.waitUntil(lambda: history_status(window, row.key) == "CANCELLED", timeout=20_000)
    labels = [r.label for r in window.activity.model.rows_for(row.key)]
    assert "Cancel sent" in labels
    qtbot.waitUntil(lambda: "Cancelled" in [r.label for r in
                                             window.activity.model.rows_for(row.key)],
                    timeout=20_000)


def test_cancel_all_needs_the_exact_phrase(window: MainWindow, qtbot: Any,
                                           loop: asyncio.AbstractEventLoop,
                                           context: Any, sim: SimServer) -> None:
    ready(window, qtbot)
    first = working_rows(window)[0].item
    place_direct(window, loop, qtbot, stock_limit(first.symbol,
                                                  first.limit_price * Decimal("0.9")))
    assert len(working_rows(window)) == 2
    click(qtbot, window.orders.cancel_all_button)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CancelAllDialog)
    assert dialog.phrase == "CANCEL 2"
    assert dialog.list.count() == 2
    assert order_phrase(first) in [dialog.list.item(i).text().split(" · ")[0]
                                   for i in range(2)]
    # wrong text: the button stays off and nothing is sent even if asked directly
    qtbot.keyClicks(dialog.edit, "cancel 2")
    assert not dialog.confirm_button.isEnabled()
    assert "capitals" in dialog.hint.text()
    dialog.send()
    assert dialog.task is None
    events = [e["event"] for e in context.journal.audit("demo")]
    assert not any(e.startswith("cancel") for e in events)
    assert len(working_rows(window)) == 2
    # the exact text
    dialog.edit.clear()
    qtbot.keyClicks(dialog.edit, "CANCEL 2")
    click(qtbot, dialog.confirm_button)
    qtbot.waitUntil(lambda: dialog.results is not None, timeout=15_000)
    assert dialog.results is not None and len(dialog.results) == 2
    assert all(r.state is IntentState.ACCEPTED for r in dialog.results)
    assert dialog.outcome_text().startswith("Cancel sent for 2 orders")
    qtbot.waitUntil(lambda: not working_rows(window), timeout=20_000)
    qtbot.waitUntil(lambda: not window.orders.cancel_all_button.isEnabled(), timeout=5_000)
    assert "no working orders" in window.orders.cancel_all_button.toolTip()


# ------------------------------------------------------------------ modify


def test_modify_a_limit_price_with_its_preview(window: MainWindow, qtbot: Any,
                                               sim: SimServer) -> None:
    ready(window, qtbot)
    row = working_rows(window)[0]
    old = row.item.limit_price
    assert old is not None
    new = (old - Decimal("1.25")).quantize(CENT)
    window.orders.select_open(row.key)
    click(qtbot, window.orders.modify_button)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, ModifyDialog)
    assert ModifyField.LIMIT_PRICE in dialog.shown_fields()
    assert ModifyField.STOP_PRICE not in dialog.shown_fields()  # a limit order has no stop
    limit = dialog.inputs[ModifyField.LIMIT_PRICE]
    assert limit.text() == f"{old:.2f}"  # type: ignore[attr-defined]
    qtbot.waitUntil(dialog.preview_button.isEnabled, timeout=10_000)
    # garbage first: the error sits next to the field, nothing is previewed
    dialog.set_text(ModifyField.LIMIT_PRICE, "12,3.4x")
    click(qtbot, dialog.preview_button)
    assert dialog.errors_shown().get("limit_price")
    assert dialog.preview_dialog is None
    dialog.set_text(ModifyField.LIMIT_PRICE, f"{new}")
    # Webull's preview fails once: said in words, nothing sent, the trader may try again
    sim.faults.server_error("/trading/orders/preview", times=1)
    click(qtbot, dialog.preview_button)
    assert not dialog.errors_shown()
    qtbot.waitUntil(lambda: dialog.preview_button.isEnabled()
                    and "failed while handling the preview" in dialog.outcome_text(),
                    timeout=15_000)
    assert dialog.preview_dialog is None and dialog.result_value is None
    click(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.preview_dialog is not None, timeout=15_000)
    preview = dialog.preview_dialog
    assert preview is not None
    # the simulator's working order sits far below the market: the precautions say so
    assert [f.check for f in preview.preview.findings] == ["price_deviation"]  # type: ignore[attr-defined]
    preview.ack.setChecked(True)  # type: ignore[attr-defined]
    send = next(b for b in preview.findChildren(QPushButton) if b.text() == "Send change")
    qtbot.waitUntil(send.isEnabled, timeout=5_000)
    click(qtbot, send)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=15_000)
    assert dialog.result_value is not None
    assert dialog.result_value.state is IntentState.ACCEPTED, dialog.outcome_text()
    model = window.orders.open_model
    qtbot.waitUntil(lambda: model.row_of(row.key) is not None and model.row_value(
        model.row_of(row.key)).item.limit_price == new, timeout=20_000)
    assert "Change sent" in [r.label for r in window.activity.model.rows_for(row.key)]


def test_modify_is_refused_for_a_crypto_order(window: MainWindow, qtbot: Any,
                                              loop: asyncio.AbstractEventLoop,
                                              sim: SimServer) -> None:
    ready(window, qtbot)
    crypto = next(i for i in range(window.accounts.count())
                  if "crypto" in window.accounts.itemText(i).lower())
    window.accounts.setCurrentIndex(crypto)
    terminal = window.terminal
    assert terminal is not None and window.account_id is not None
    qtbot.waitUntil(lambda: terminal.portfolio.balance(window.account_id) is not None,
                    timeout=15_000)
    price = sim.state.market.price("BTCUSD")
    order = NewOrder(client_order_id=uuid4().hex, symbol="BTCUSD",
                     instrument_type=InstrumentType.CRYPTO, side=Side.BUY,
                     order_type=OrderType.LIMIT, time_in_force=TimeInForce.GTC,
                     quantity=Decimal("0.001"), limit_price=(price * Decimal("0.5")).quantize(CENT))
    place_direct(window, loop, qtbot, order)
    window.orders.select_open(order.client_order_id)
    orders = window.orders
    assert not orders.modify_button.isEnabled()
    assert not orders.modify_action.isEnabled()
    why = orders.modify_button.toolTip()
    assert "crypto" in why.lower() and "cancel" in why.lower()
    assert orders.action_reason.text() == why
    assert orders.cancel_button.isEnabled()  # cancel and place a new one: possible
    menu = orders.context_menu()
    texts = {a.text(): a.isEnabled() for a in menu.actions() if not a.isSeparator()}
    assert texts["Modify…"] is False and texts["Cancel order"] is True
    assert texts[why] is False  # the reason, as a greyed-out line of the menu
    menu.deleteLater()
    # asking anyway does nothing
    count = len(window.dialogs)
    orders.modify_action.trigger()
    assert len(window.dialogs) == count


# ------------------------------------------------------------------ tickets


def test_new_order_opens_one_ticket_per_request(window: MainWindow, qtbot: Any) -> None:
    assert not window.new_order_action.isEnabled()  # nothing to trade in yet
    ready(window, qtbot)
    action = window.new_order_action
    assert action.isEnabled()
    assert {s.toString() for s in action.shortcuts()} == {"F2", "Ctrl+T"}
    assert window.theme_action.shortcut().toString() != "Ctrl+T"
    action.trigger()
    action.trigger()
    assert len(window.tickets) == 2
    first, second = window.tickets
    assert first is not second and first.isVisible() and second.isVisible()
    assert first.isWindow()
    assert first.draft.account_id == second.draft.account_id == window.account_id
    first.close()
    qtbot.waitUntil(lambda: window.tickets == [second], timeout=5_000)


def test_double_click_on_a_position_prefills_a_ticket_to_close_it(
        window: MainWindow, qtbot: Any, context: Any) -> None:
    ready(window, qtbot)
    panel = window.positions
    proxy = panel.proxy
    row = next(r for r in range(proxy.rowCount())
               if proxy.index(r, 0).data() == "AAPL")
    index = proxy.index(row, 0)
    held = panel.position_at(index)
    assert held is not None and held.quantity > 0
    rect = panel.view.visualRect(index)
    viewport = panel.view.viewport()  # a real double-click: press, release, press again
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(window.tickets) == 1
    draft = window.tickets[0].draft
    assert draft.closing
    assert draft.symbol == "AAPL" and draft.side is Side.SELL
    assert Decimal(draft.quantity) == held.quantity
    assert draft.account_id == window.account_id
    # prefilled, never sent: nothing reached the journal
    assert not [e for e in context.journal.audit("demo") if e["event"].startswith("intent")]
    # a leg row closes its whole position
    spread = next(r for r in range(proxy.rowCount()) if proxy.hasChildren(proxy.index(r, 0)))
    leg = proxy.index(0, 0, proxy.index(spread, 0))
    assert panel.position_at(leg) == panel.position_at(proxy.index(spread, 0))


# ------------------------------------------------------------------ the desk's state


def before_settling() -> datetime:
    """A time in the last session, longer ago than Webull takes to show an order it got."""
    from app.core.reconcile import SETTLE

    return datetime.now(UTC) - SETTLE - timedelta(seconds=5)


def test_actions_wait_while_the_last_sessions_orders_are_checked(
        qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path, sim: SimServer,
        context: Any) -> None:
    # an order written to the journal and sent a few minutes before Pennant was closed (more
    # than Webull's settling time: a lookup that finds nothing then means it never arrived)
    demo = next(u for u in sim.state.registry.users if u.username == "demo")
    account = next(a for a in demo.accounts if a.kind == "margin").account_id
    key = uuid4().hex
    body = {"new_orders": [stock_limit("AAPL", Decimal("100"), 4).model_copy(
        update={"client_order_id": key}).to_wire()]}
    journal: OrderJournal = context.journal
    journal.record("demo", account, key, "place", body, before_settling())
    journal.move(key, IntentState.SENT, before_settling())
    # Webull takes its time to answer the lookup: long enough to look at the window
    sim.faults.delay("/trading/orders/get", seconds=5.0, times=1)
    theme.apply("light")
    window = MainWindow(context, settings=QSettings(str(tmp_path / "l.ini"),
                                                    QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        window.open_environment("demo")
        qtbot.waitUntil(lambda: window.terminal is not None
                        and window.connect_action.isEnabled(), timeout=15_000)
        window.connect_webull()
        assert window.indicators.trading.text() in ("", "● Read-only")
        qtbot.waitUntil(lambda: window.desk_strip.isVisible()
                        and window.desk_strip.text.text().startswith("Checking"),
                        timeout=15_000)
        desk = window.desk()
        assert desk is not None and desk.state is DeskState.RECONCILING
        assert window.desk_strip.text.text().startswith(
            "Checking 1 order from your last session with Webull — trading is paused")
        orders = window.orders
        for button in (orders.modify_button, orders.cancel_button, orders.cancel_all_button):
            assert not button.isEnabled()
            assert "checks the orders of your last session" in button.toolTip()
        assert "paused" in orders.action_reason.text()
        assert "paused" in window.indicators.trading.text()
        # the lookup answers: Webull never got it → ready, and the order is offered again
        qtbot.waitUntil(lambda: desk.state is DeskState.READY, timeout=20_000)
        qtbot.waitUntil(lambda: window.desk_strip.absent_keys() == [key], timeout=5_000)
        assert window.desk_strip.isVisible()
        assert "never reached Webull" in window.desk_strip.absent_title.text()
        qtbot.waitUntil(lambda: bool(working_rows(window)), timeout=15_000)
        orders.select_first_open()
        qtbot.waitUntil(lambda: orders.cancel_button.isEnabled(), timeout=5_000)
        send, dismiss = window.desk_strip.buttons_for(key)
        assert send.text() == "Send again"
        click(qtbot, dismiss)
        qtbot.waitUntil(lambda: not window.desk_strip.isVisible(), timeout=5_000)
        dismissed = journal.get(key)
        assert dismissed is not None and dismissed.state is IntentState.DISMISSED
        qtbot.waitUntil(lambda: "Dismissed" in [
            r.label for r in window.activity.model.rows_for(key)], timeout=5_000)
    finally:
        task = loop.create_task(window.shutdown())
        qtbot.waitUntil(task.done, timeout=10_000)


def test_while_blocked_orders_can_be_cancelled_but_not_changed(
        qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path, sim: SimServer,
        context: Any) -> None:
    demo = next(u for u in sim.state.registry.users if u.username == "demo")
    account = next(a for a in demo.accounts if a.kind == "margin").account_id
    key = uuid4().hex
    body = {"new_orders": [stock_limit("AAPL", Decimal("100")).model_copy(
        update={"client_order_id": key}).to_wire()]}
    context.journal.record("demo", account, key, "place", body, before_settling())
    context.journal.move(key, IntentState.SENT, before_settling())
    sim.faults.server_error("/trading/orders/get", times=1000)  # Webull cannot tell yet
    window = MainWindow(context, settings=QSettings(str(tmp_path / "l.ini"),
                                                    QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        connect(window, qtbot)
        desk = window.desk()
        assert desk is not None
        qtbot.waitUntil(lambda: desk.state is DeskState.BLOCKED, timeout=20_000)
        qtbot.waitUntil(lambda: window.desk_strip.text.text().startswith(
            "Trading is paused:"), timeout=5_000)
        assert window.indicators.trading.text() == "● Trading blocked"
        window.show_account(account)
        qtbot.waitUntil(lambda: bool(working_rows(window)), timeout=20_000)
        window.orders.select_open(working_rows(window)[0].key)
        orders = window.orders
        assert not orders.modify_button.isEnabled()
        assert orders.modify_button.toolTip().startswith("Trading is paused")
        assert orders.cancel_button.isEnabled() and orders.cancel_all_button.isEnabled()
        sim.faults.clear()
        qtbot.waitUntil(lambda: desk.state is DeskState.READY, timeout=30_000)
        qtbot.waitUntil(orders.modify_button.isEnabled, timeout=5_000)
    finally:
        task = loop.create_task(window.shutdown())
        qtbot.waitUntil(task.done, timeout=10_000)


def test_send_again_places_the_order_with_the_same_id(
        qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path, sim: SimServer,
        context: Any) -> None:
    demo = next(u for u in sim.state.registry.users if u.username == "demo")
    account = next(a for a in demo.accounts if a.kind == "margin").account_id
    key = uuid4().hex
    order = stock_limit("AAPL", sim.state.market.price("AAPL") * Decimal("0.7"), 2)
    body = {"new_orders": [order.model_copy(update={"client_order_id": key}).to_wire()]}
    journal: OrderJournal = context.journal
    journal.record("demo", account, key, "place", body, datetime.now(UTC))
    window = MainWindow(context, settings=QSettings(str(tmp_path / "l.ini"),
                                                    QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        connect(window, qtbot)
        qtbot.waitUntil(lambda: window.desk_strip.absent_keys() == [key], timeout=20_000)
        send, _dismiss = window.desk_strip.buttons_for(key)
        click(qtbot, send)  # a fresh preview first, like any order
        from app.ui.preview_dialog import PreviewDialog

        qtbot.waitUntil(lambda: any(isinstance(d, PreviewDialog) for d in window.dialogs),
                        timeout=15_000)
        dialog = next(d for d in window.dialogs if isinstance(d, PreviewDialog))
        assert journal.get(key).state is IntentState.ABSENT  # type: ignore[union-attr]
        assert dialog.submit_button.text() == "Send again"
        dialog.ack.setChecked(True)  # 30 % below the last price: a warning to acknowledge
        dialog.submit()
        qtbot.waitUntil(lambda: journal.get(key).state is IntentState.ACCEPTED,  # type: ignore[union-attr]
                        timeout=15_000)
        qtbot.waitUntil(lambda: not window.desk_strip.isVisible(), timeout=5_000)
        assert "Order placed" in [r.label for r in window.activity.model.rows_for(key)]
        window.show_account(account)
        qtbot.waitUntil(lambda: window.orders.open_model.row_of(key) is not None,
                        timeout=20_000)
    finally:
        task = loop.create_task(window.shutdown())
        qtbot.waitUntil(task.done, timeout=10_000)


# ------------------------------------------------------------------ activity, audit, context


def test_trade_lines_in_the_activity_log_with_clickable_links(qtbot: Any) -> None:
    log = ActivityLog()
    qtbot.addWidget(log)
    opened: list[QUrl] = []
    log.open_url = opened.append
    url = "https://www.webull.com/agreement/options-risk"
    log.add_trade(TradeEvent("acc1", "k1", "place", IntentState.UNKNOWN,
                             "No answer from Webull; Pennant is looking the order up."), "Margin")
    log.add_trade(TradeEvent("acc1", "k2", "place", IntentState.REJECTED,
                             "Webull refused the order (code OPTION_AGREEMENT): sign the "
                             f"options agreement first: {url}", (url,)), "Margin")
    log.add_trade(TradeEvent("acc1", "k1", "resolve", IntentState.PLACED,
                             "Webull has the order: it was placed."), "Margin")
    model = log.model
    assert [model.index(r, 1).data() for r in range(3)] == [
        "Resolved: placed", "Rejected", "Checking…"]
    assert "OPTION_AGREEMENT" in model.index(1, 3).data()
    assert model.index(1, 4).data() == url
    assert model.index(0, 4).data() == ""
    rect = log.view.visualRect(model.index(1, 4))
    qtbot.mouseClick(log.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [QUrl(url)]
    assert not log.open_link(0)


def test_audit_export_writes_the_log(window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    ready(window, qtbot)
    row = working_rows(window)[0]
    dialog = window.cancel_order(row)
    assert isinstance(dialog, CancelOrderDialog)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=15_000)
    out = tmp_path / "audit.csv"
    count = window.write_audit(out)
    assert count is not None and count >= 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    text = "\n".join(",".join(r) for r in rows)
    assert row.key in text and "cancel" in text
    assert len(rows) >= count  # a header, then one line per entry
    # through the menu: a file dialog that does not block the event loop
    assert window.export_audit_action.isEnabled()
    chosen = tmp_path / "chosen.csv"
    dialog = window.export_audit()
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(chosen))
    dialog.accept()
    assert chosen.exists()
    assert str(chosen) in window.statusBar().currentMessage()
    assert chosen.read_text(encoding="utf-8").count(row.key) >= 2


def test_the_journal_lives_in_the_data_folder(tmp_path: Path) -> None:
    context = build_context(tmp_path, None)
    try:
        assert context.journal is not None
        assert (tmp_path / "journal.sqlite3").exists()
    finally:
        context.close()


def test_a_second_pennant_on_the_same_data_folder_does_not_trade(tmp_path: Path) -> None:
    first = build_context(tmp_path, None)
    try:
        second = build_context(tmp_path, None)  # another Pennant started meanwhile
        try:
            assert first.journal is not None and second.journal is None
            assert any("Another Pennant is already running" in n for n in second.startup_notes)
        finally:
            second.close()
    finally:
        first.close()
    third = build_context(tmp_path, None)  # the first one quit: the journal is free again
    try:
        assert third.journal is not None and not third.startup_notes
    finally:
        third.close()


def test_order_phrases_name_the_order() -> None:
    from tests.ui.test_models import example_groups

    item = example_groups("open_orders")[0].orders[0]
    assert order_phrase(item) == "Buy 10 AAPL limit 180.00"
    stop_limit = item.model_copy(update={"order_type": OrderType.STOP_LOSS_LIMIT,
                                         "stop_price": Decimal("179"), "side": Side.SELL})
    assert order_phrase(stop_limit) == "Sell 10 AAPL stop 179.00 limit 180.00"
    trail = item.model_copy(update={"order_type": OrderType.TRAILING_STOP_LOSS,
                                    "limit_price": None, "trailing_stop_step": Decimal("2.5"),
                                    "trailing_type": TrailingType.AMOUNT})
    assert order_phrase(trail) == "Buy 10 AAPL trailing stop 2.50"
    amount = item.model_copy(update={"entrust_type": EntrustType.AMOUNT, "total_quantity": None,
                                     "total_cash_amount": Decimal("500"),
                                     "order_type": OrderType.MARKET, "limit_price": None})
    assert order_phrase(amount) == "Buy $500.00 of AAPL market"


def test_the_settings_dialog_opens_without_blocking(window: MainWindow, qtbot: Any) -> None:
    dialog = window.open_settings()
    assert dialog.isVisible()  # open() returned at once: no nested event loop
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2_000)


def test_saved_precautions_reach_the_desk(window: MainWindow, qtbot: Any) -> None:
    from app.core.precautions import Limits

    ready(window, qtbot)
    desk = window.desk()
    assert desk is not None and desk.limits == window.context.settings.precautions
    dialog = window.open_settings()
    dialog.precautions.order_value.edit.setText("2500")
    dialog.precautions.quantity.edit.setText("")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    expected = Limits(max_order_value=Decimal("2500"), max_quantity=None)
    assert desk.limits == expected and window.context.settings.precautions == expected


def test_closing_a_futures_position_prices_it_on_the_contracts_tick(
        window: MainWindow, qtbot: Any) -> None:
    from app.webull.models import AccountClass, InstrumentType

    ready(window, qtbot)
    terminal = window.terminal
    assert terminal is not None
    futures = next(a for a in terminal.portfolio.accounts
                   if a.account_class is AccountClass.FUTURES)
    window.show_account(futures.account_id)
    qtbot.waitUntil(lambda: bool(terminal.portfolio.positions(futures.account_id)),
                    timeout=10_000)
    held = next(p for p in terminal.portfolio.positions(futures.account_id).values()
                if p.instrument_type is InstrumentType.FUTURES)
    # a mark between two ticks (settlement prices can be): cents would be off the 0.25 tick
    held = held.model_copy(update={"last_price": held.last_price + Decimal("0.12")})
    ticket = window.close_position(held)
    assert ticket is not None

    def on_tick() -> bool:
        price = Decimal(ticket.draft.limit_price.replace(",", ""))
        return price % Decimal("0.25") == 0 and abs(price - held.last_price) <= Decimal("0.125")

    qtbot.waitUntil(lambda: ticket.draft.symbol == held.symbol and on_tick(), timeout=10_000)
    assert ticket.draft.closing


def test_opening_another_connection_closes_the_tickets_of_the_old_one(
        window: MainWindow, qtbot: Any) -> None:
    ready(window, qtbot)
    old_desk = window.desk()
    window.new_order_action.trigger()
    (ticket,) = window.tickets
    window.open_environment("demo")  # a new connection: the old desk is closed
    qtbot.waitUntil(lambda: window.tickets == [], timeout=10_000)
    assert old_desk is not None
    qtbot.waitUntil(lambda: old_desk.state is DeskState.READ_ONLY, timeout=10_000)
