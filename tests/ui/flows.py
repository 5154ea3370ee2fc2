"""Helpers for the trading-flow tests (tests/ui/trading_flows/): the real MainWindow
on the Demo simulator, driven through its widgets — the New order action, the ticket's combos,
pickers and legs, Preview → PreviewDialog → Submit, the orders panel's Modify and Cancel.

Every wait is on a condition. The simulator is shared by the tests of one module (each test
follows only the orders it placed); the window, its journal and its settings are per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton, QToolBar, QWidget

from app.core.events import DataKind
from app.core.journal import IntentState
from app.core.precautions import Limits
from app.core.rows import OrderRow
from app.core.ticket import ModifyField
from app.core.trading import DeskState, TradeResult
from app.sim import SimServer
from app.ui import theme
from app.ui.cancel_dialogs import CancelOrderDialog
from app.ui.main_window import MainWindow
from app.ui.modify_dialog import ModifyDialog
from app.ui.preview_dialog import PreviewDialog
from app.ui.ticket_window import TicketWindow
from app.webull import ratelimit
from app.webull.models import InstrumentType, Position
from tests.ui.test_main_window import connect, make_context

#: set PENNANT_FLOW_SHOTS to a folder to save screenshots of the states reached (to look at
#: them by hand; nothing is asserted on them)
SHOTS = os.environ.get("PENNANT_FLOW_SHOTS", "")
#: the catalogue reads whole instrument lists page by page; Webull's 10 calls per 30 s would
#: make each test wait for the calls of the one before (the limiter is per app key, shared by
#: the process), so the instruments group gets room; every other group keeps Webull's limits
LOOSE_LIMITS = {**ratelimit.WEBULL_LIMITS, "instruments": ratelimit.Limit(600, 60)}
WAIT = 20_000


@contextlib.contextmanager
def simulator() -> Iterator[SimServer]:
    """A Demo simulator (auto-approved sign-in, markets always open) whose app key gets loose
    instrument limits in this process while it runs."""
    with SimServer(auto_approve=True, market_always_open=True) as sim:
        key = sim.info.app_key
        limiter = ratelimit.RateLimiter(LOOSE_LIMITS)
        with ratelimit._shared_lock:  # what limiter_for_app_key hands to every Transport
            before = ratelimit._shared.get(key)
            ratelimit._shared[key] = limiter
        try:
            yield sim
        finally:
            with ratelimit._shared_lock:
                if before is None:
                    ratelimit._shared.pop(key, None)
                else:
                    ratelimit._shared[key] = before


def open_window(qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path,
                sim: SimServer, limits: Limits | None = None) -> Iterator[MainWindow]:
    """The main window, connected to Demo, the desk ready (a fixture's body). ``limits``:
    the trader's precaution settings (Settings → Trading), if not the defaults."""
    context = make_context(tmp_path, sim)
    if limits is not None:
        context.settings.precautions = limits
    theme.apply("light")
    win = MainWindow(context, settings=QSettings(str(tmp_path / "layout.ini"),
                                                 QSettings.Format.IniFormat))
    win.resize(1400, 900)
    qtbot.addWidget(win)
    win.show()
    connect(win, qtbot)
    qtbot.waitUntil(lambda: win.desk() is not None
                    and win.desk().state is DeskState.READY, timeout=15_000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: win.orders.trading_block == "", timeout=5_000)
    if limits is not None:
        assert win.desk().limits == limits  # type: ignore[union-attr]
    yield win
    task = loop.create_task(win.shutdown())
    qtbot.waitUntil(task.done, timeout=10_000)
    context.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    """The flows' simulator, one per test module (each test follows only its own orders)."""
    with simulator() as server:
        yield server


@pytest.fixture
def window(qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path,
           sim: SimServer) -> Iterator[MainWindow]:
    """The main window connected to it, on the default precautions."""
    yield from open_window(qtbot, loop, tmp_path, sim)


def shot(widget: QWidget, name: str) -> None:
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()  # pending layout requests: grab what the trader would see
    widget.grab().save(str(folder / f"{name}.png"))


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# ------------------------------------------------------------------ accounts


def show_account(window: MainWindow, qtbot: Any, account_class: str) -> str:
    """Switch the window to the demo user's account of this class; its id."""
    terminal = window.terminal
    assert terminal is not None
    account = next(a for a in terminal.portfolio.accounts if a.account_class == account_class)
    index = next(i for i in range(window.accounts.count())
                 if window.accounts.itemData(i) == account.account_id)
    window.accounts.setCurrentIndex(index)
    qtbot.waitUntil(lambda: window.account_id == account.account_id, timeout=5_000)
    account_id = account.account_id
    qtbot.waitUntil(lambda: terminal.portfolio.balance(account_id) is not None, timeout=WAIT)
    # its positions are read and on screen (the positions panel is what the tests look at)
    qtbot.waitUntil(lambda: terminal.poller.freshness(DataKind.POSITIONS, account_id)
                    .fetched_at is not None
                    and window.positions.model.rowCount()
                    == len(terminal.portfolio.positions(account_id)), timeout=WAIT)
    return account_id


def market_price(sim: SimServer, symbol: str) -> Decimal:
    """The simulator's price now (to pick limits that surely wait, or surely fill)."""
    return sim.state.market.price(symbol)


# ------------------------------------------------------------------ the ticket


def new_ticket(window: MainWindow, qtbot: Any) -> TicketWindow:
    """A ticket from the window's New order action: its toolbar button, clicked."""
    action = window.new_order_action
    assert action.isEnabled(), action.toolTip()
    button = next(w for bar in window.findChildren(QToolBar)
                  if (w := bar.widgetForAction(action)) is not None)
    count = len(window.tickets)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert len(window.tickets) == count + 1
    ticket = window.tickets[-1]
    assert isinstance(ticket, TicketWindow)
    qtbot.waitExposed(ticket)
    return ticket


def choose_tab(ticket: TicketWindow, kind: InstrumentType) -> None:
    tabs = ticket.tabs
    index = next((i for i in range(tabs.count()) if tabs.tabData(i) == kind.value), -1)
    assert index >= 0, f"no {kind.value} tab in this account's ticket"
    tabs.setCurrentIndex(index)
    assert ticket.draft.instrument is kind


def search(ticket: TicketWindow, qtbot: Any, text: str, symbol: str | None = None) -> None:
    """Type in the symbol search and press Enter, as a trader does; wait for the facts of
    ``symbol`` (default: the text) — or, for an event, for its markets to be listed."""
    edit = ticket.area.search_edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    wanted = symbol or text
    if ticket.draft.instrument is InstrumentType.EVENT:
        qtbot.waitUntil(lambda: ticket.area.market.count() > 0 or bool(ticket.area.lookup_error),
                        timeout=WAIT)
        assert not ticket.area.lookup_error, ticket.area.lookup_error
        qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=WAIT)
        return
    qtbot.waitUntil(lambda: (ticket.area.info is not None and ticket.area.info.symbol == wanted)
                    or bool(ticket.area.lookup_error), timeout=WAIT)
    assert not ticket.area.lookup_error, ticket.area.lookup_error


def pick(ticket: TicketWindow, name: str, value: object) -> None:
    combo = ticket.form.combo(name)
    choose(combo, value, name)


def choose(combo: QComboBox, value: object, what: str = "") -> None:
    data = "" if value is None else str(getattr(value, "value", value))
    index = combo.findData(data)
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert index >= 0, f"{data} is not offered in {what or combo}: {offered}"
    combo.setCurrentIndex(index)


def type_in(ticket: TicketWindow, qtbot: Any, name: str, text: str) -> None:
    edit = ticket.form.edit(name)
    assert edit.isVisibleTo(ticket), f"{name} is not shown"
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    assert ticket.form.edit(name).text() == text


def preview(ticket: TicketWindow, qtbot: Any, name: str = "") -> PreviewDialog:
    """Press Preview; the PreviewDialog that opens (saved as a screenshot when named)."""
    built = ticket.built
    assert built is not None and built.request is not None, (built.errors if built else None,
                                                            ticket.why_not_preview())
    qtbot.waitUntil(ticket.preview_button.isEnabled, timeout=5_000)
    if name:
        shot(ticket, f"{name}-ticket")
    click(qtbot, ticket.preview_button)
    qtbot.waitUntil(lambda: ticket.preview_dialog is not None or ticket.status.kind == "error",
                    timeout=WAIT)
    assert ticket.preview_dialog is not None, ticket.status.plain
    dialog = ticket.preview_dialog
    qtbot.waitExposed(dialog)
    if name:
        shot(dialog, f"{name}-preview")
    return dialog


def submit(ticket: TicketWindow, qtbot: Any, name: str = "") -> TradeResult:
    """Preview, then Submit in the PreviewDialog (ticking the warnings box if there is one);
    the desk's result, which must be ACCEPTED."""
    dialog = preview(ticket, qtbot, name)
    if dialog.ack.isVisibleTo(dialog):
        dialog.ack.setChecked(True)
    with qtbot.waitSignal(ticket.submitted, timeout=WAIT) as sent:
        click(qtbot, dialog.submit_button)
    result: TradeResult = sent.args[0]
    assert result.state is IntentState.ACCEPTED, result.message
    return result


def accepted(window: MainWindow, sim: SimServer, result: TradeResult) -> Any:
    """The order is ACCEPTED in the journal and known to the simulator: its sim order."""
    key = result.intent.client_order_id
    journal = window.context.journal
    assert journal is not None
    kept = journal.get(key)
    assert kept is not None and kept.state is IntentState.ACCEPTED
    order = sim.orders.get(result.intent.account_id, key)
    assert order is not None, f"the simulator has no order {key}"
    return order


# ------------------------------------------------------------------ the orders panel


def history_status(window: MainWindow, key: str) -> str:
    model = window.orders.history_model
    row = model.row_of(key)
    return "" if row is None else model.row_value(row).item.status.value


def open_row(window: MainWindow, key: str) -> OrderRow | None:
    model = window.orders.open_model
    row = model.row_of(key)
    return None if row is None else model.row_value(row)


def wait_filled(window: MainWindow, qtbot: Any, key: str) -> None:
    """The order shows as FILLED in the history table, with a fill line in the activity."""
    qtbot.waitUntil(lambda: history_status(window, key) == "FILLED", timeout=WAIT)
    qtbot.waitUntil(lambda: any(r.activity.text.startswith("Filled")
                                for r in window.activity.model.rows_for(key)), timeout=WAIT)


def wait_working(window: MainWindow, qtbot: Any, key: str) -> OrderRow:
    qtbot.waitUntil(lambda: open_row(window, key) is not None, timeout=WAIT)
    row = open_row(window, key)
    assert row is not None and not row.is_final, row
    return row


def shown_positions(window: MainWindow) -> list[Position]:
    model = window.positions.model
    out = []
    for r in range(model.rowCount()):
        value = model.value_at(model.index(r, 0))
        if isinstance(value, Position):
            out.append(value)
    return out


def position_qty(window: MainWindow, symbol: str,
                 kind: InstrumentType | None = None) -> Decimal:
    return sum((p.quantity for p in shown_positions(window)
                if p.symbol == symbol and (kind is None or p.instrument_type == kind)),
               Decimal(0))

def double_click_position(window: MainWindow, qtbot: Any, symbol: str) -> TicketWindow:
    """Double-click the position's row in the positions tree: the close ticket it opens."""
    panel = window.positions
    proxy = panel.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == symbol)
    index = proxy.index(row, 0)
    rect = panel.view.visualRect(index)
    viewport = panel.view.viewport()
    count = len(window.tickets)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(window.tickets) == count + 1
    ticket = window.tickets[-1]
    assert isinstance(ticket, TicketWindow)
    return ticket


def modify(window: MainWindow, qtbot: Any, key: str, changes: dict[ModifyField, str],
           name: str = "") -> ModifyDialog:
    """Select the order, Modify…, type the changes, Preview change, Send change."""
    assert window.orders.select_open(key)
    click(qtbot, window.orders.modify_button)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, ModifyDialog)
    qtbot.waitUntil(dialog.preview_button.isEnabled, timeout=WAIT)
    for field, text in changes.items():
        edit = dialog.inputs[field]
        edit.setFocus()
        edit.selectAll()  # type: ignore[attr-defined]
        qtbot.keyClicks(edit, text)
    if name:
        shot(dialog, f"{name}-modify")
    click(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.preview_dialog is not None or bool(dialog.errors_shown())
                    or "failed" in dialog.outcome_text() or "refused" in dialog.outcome_text(),
                    timeout=WAIT)
    assert dialog.preview_dialog is not None, (dialog.errors_shown(), dialog.outcome_text())
    preview_dialog = dialog.preview_dialog
    assert isinstance(preview_dialog, PreviewDialog)
    if name:
        shot(preview_dialog, f"{name}-modify-preview")
    if preview_dialog.ack.isVisibleTo(preview_dialog):
        preview_dialog.ack.setChecked(True)
    with qtbot.waitSignal(dialog.completed, timeout=WAIT, raising=False) as sent:
        click(qtbot, preview_dialog.submit_button)
    assert sent.signal_triggered, dialog.outcome_text()
    result: TradeResult = sent.args[0]
    assert result.state is IntentState.ACCEPTED, dialog.outcome_text()
    assert dialog.result_value is result
    return dialog


def cancel(window: MainWindow, qtbot: Any, key: str, name: str = "") -> str:
    """Select the order, Cancel order, confirm; wait until the history shows CANCELLED.
    The confirmation's question."""
    assert window.orders.select_open(key)
    click(qtbot, window.orders.cancel_button)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CancelOrderDialog)
    question = dialog.question.text()
    if name:
        shot(dialog, f"{name}-cancel")
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=WAIT)
    assert dialog.result_value is not None
    assert dialog.result_value.state is IntentState.ACCEPTED, dialog.outcome_text()
    qtbot.waitUntil(lambda: open_row(window, key) is None, timeout=WAIT)
    qtbot.waitUntil(lambda: history_status(window, key) == "CANCELLED", timeout=WAIT)
    qtbot.waitUntil(lambda: any(r.label == "Cancelled" for r in
                                window.activity.model.rows_for(key)), timeout=WAIT)
    return question
