"""The main window against the real simulator: connect through the embedded login view, live
panels, stale marking on faults, read-only fallback when the sign-in is refused, disconnect,
layout persistence, themes, CSV export."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.core.events import SessionState
from app.core.history import NlvHistory
from app.core.journal import OrderJournal
from app.core.keychain import Keychain
from app.core.settings import SettingsStore
from app.demo import demo_connection
from app.sim import SimServer
from app.ui import theme
from app.ui.context import AppContext
from app.ui.exporting import write_csv
from app.ui.main_window import MainWindow
from app.webull.environments import builtin_environments
from tests.fakes import MemoryKeyring


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(auto_approve=True) as server:
        yield server


def make_context(tmp: Path, sim: SimServer) -> AppContext:
    def provider() -> Any:
        env, creds = demo_connection(sim)
        return env, creds, sim.info.loopback_redirect_uri

    store = SettingsStore(tmp / "settings.json")
    return AppContext(store, store.load(), Keychain(backend=MemoryKeyring()),
                      NlvHistory(tmp / "history.sqlite3"), builtin_environments(),
                      demo_provider=provider, journal=OrderJournal(tmp / "journal.sqlite3"))


@pytest.fixture
def window(qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path,
           sim: SimServer) -> Iterator[MainWindow]:
    context = make_context(tmp_path, sim)
    layout = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    theme.apply("light")
    win = MainWindow(context, settings=layout)
    qtbot.addWidget(win)
    win.show()
    yield win
    task = loop.create_task(win.shutdown())
    qtbot.waitUntil(task.done, timeout=10_000)
    context.close()


def connect(window: MainWindow, qtbot: Any) -> None:
    window.open_environment("demo")
    qtbot.waitUntil(lambda: window.terminal is not None
                    and window.connect_action.isEnabled(), timeout=15_000)
    with qtbot.waitSignal(window.populated, timeout=30_000):
        window.connect_webull()


def test_connect_shows_accounts_balances_positions_orders_and_charts(
        window: MainWindow, qtbot: Any) -> None:
    connect(window, qtbot)
    assert window.banner.kind == "demo"
    assert window.terminal is not None
    assert window.terminal.session.state is SessionState.CONNECTED
    assert window.stack.currentWidget() is window.positions
    assert window.accounts.count() >= 3
    assert window.balances.value_text("Net liquidation") not in ("", "—")
    assert window.positions.model.rowCount() > 0
    assert window.orders.history_model.rowCount() > 0
    assert not window.positions.header.is_stale()
    assert window.positions.header.age.text().startswith("updated")
    assert window.indicators.session.text().startswith("Signed in")
    qtbot.waitUntil(lambda: len(window.nlv_chart.points()) >= 1, timeout=10_000)
    assert window.allocation.bars()


def test_switching_account_refills_every_panel(window: MainWindow, qtbot: Any) -> None:
    connect(window, qtbot)
    first = window.account_id
    window.accounts.setCurrentIndex(1)
    assert window.account_id != first
    terminal = window.terminal
    assert terminal is not None
    qtbot.waitUntil(lambda: terminal.portfolio.balance(window.account_id) is not None,
                    timeout=15_000)
    # The core holds the balance before the queued event reaches the panel, which says
    # "Loading balances…" until then: wait for the figure itself.
    qtbot.waitUntil(lambda: window.balances.shown().get("Market value", "—") != "—",
                    timeout=15_000)
    qtbot.waitUntil(lambda: window.positions.model.rowCount() == len(
        terminal.portfolio.positions(window.account_id)), timeout=15_000)


def test_failed_refresh_marks_the_panel_stale_and_keeps_the_data(
        window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    connect(window, qtbot)
    rows = window.positions.model.rowCount()
    sim.faults.server_error("/trading/assets/positions/list", times=1000)
    qtbot.waitUntil(window.positions.header.is_stale, timeout=30_000)
    assert window.positions.model.rowCount() == rows  # last good data stays
    assert window.indicators.health.text() != "● Connected"
    sim.faults.clear()
    window.refresh()
    qtbot.waitUntil(lambda: not window.positions.header.is_stale(), timeout=60_000)


def test_refused_sign_in_keeps_data_read_only_and_offers_reconnect(
        window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    connect(window, qtbot)
    rows = window.positions.model.rowCount()
    sim.revoke_user_tokens("demo")
    window.refresh()
    qtbot.waitUntil(lambda: window.session_strip.isVisible(), timeout=30_000)
    assert window.terminal is not None
    assert window.terminal.session.state is SessionState.EXPIRED
    assert "Reconnect" in window.session_strip.button.text()
    assert window.positions.model.rowCount() == rows
    assert window.connect_action.isEnabled()
    window.connect_webull()
    qtbot.waitUntil(lambda: window.terminal is not None and window.terminal.session.state
                    is SessionState.CONNECTED, timeout=30_000)
    qtbot.waitUntil(lambda: not window.session_strip.isVisible(), timeout=5_000)


def test_disconnect_clears_the_screen(window: MainWindow, qtbot: Any) -> None:
    connect(window, qtbot)
    window.disconnect_webull()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.welcome, timeout=10_000)
    assert window.positions.model.rowCount() == 0
    assert window.accounts.count() == 0
    assert window.terminal is not None and window.terminal.session.tokens is None
    assert window.welcome.connect_button.isEnabled()


def test_layout_is_saved_and_restored(qtbot: Any, loop: asyncio.AbstractEventLoop,
                                      tmp_path: Path, sim: SimServer) -> None:
    context = make_context(tmp_path, sim)
    layout = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    first = MainWindow(context, settings=layout)
    qtbot.addWidget(first)
    first.show()
    first.docks["activity"].hide()
    first.resize(760, 560)
    saved_size = first.size()
    first.save_layout()
    first.close()
    second = MainWindow(context, settings=QSettings(str(tmp_path / "layout.ini"),
                                                    QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show()
    assert not second.docks["activity"].isVisible()
    assert second.docks["orders"].isVisible()
    assert second.size() == saved_size
    second.reset_layout()
    assert second.docks["activity"].isVisible() or second.docks["activity"].isVisibleTo(second)
    context.close()


def test_theme_toggle_switches_palette(window: MainWindow) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette().window().color().lightness()
    window.toggle_theme()
    assert theme.current_is_dark()
    assert app.palette().window().color().lightness() < light
    window.toggle_theme()
    assert not theme.current_is_dark()


def test_csv_export_writes_positions_exactly(window: MainWindow, qtbot: Any,
                                             tmp_path: Path) -> None:
    connect(window, qtbot)
    assert window.terminal is not None and window.account_id is not None
    positions = window.terminal.portfolio.positions(window.account_id)
    out = tmp_path / "positions.csv"
    count = write_csv(out, "positions", positions.values())
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert count == len(rows) >= len(positions)
    quantities = {str(p.quantity) for p in positions.values()}
    assert quantities <= {row.get("quantity") for row in rows}
    # from the toolbar: a save dialog opened with open(), never a nested exec() loop
    chosen = tmp_path / "chosen.csv"
    dialog = window.export("positions")
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(chosen))
    dialog.accept()
    assert chosen.read_bytes() == out.read_bytes()
    assert "Exported" in window.statusBar().currentMessage()
