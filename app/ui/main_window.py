"""The main window: docks around the positions, a banner naming the environment, actions, status.

Data arrives only through the EventBridge (core events → Qt signals). The window keeps no copy of
the portfolio: on an account switch it reads the Terminal's latest snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import shiboken6
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import events as ev
from app.core.diff import snapshot_diff
from app.core.terminal import Terminal

from .activity import ActivityLog
from .balances import AccountSwitcher, BalancesPanel
from .boot import Shell
from .bridge import EventBridge
from .charts import AllocationChart, NetLiquidationChart
from .chrome import Banner, DeskStrip, SessionStrip, StatusIndicators, WelcomePage
from .context import DEMO, AppContext, EnvironmentNotReady
from .orders_panel import OrdersPanel
from .positions_panel import PositionsPanel
from .tray import TrayNotifier, app_icon
from .window_actions import TradeActions, WindowActions

log = logging.getLogger(__name__)


def promote(shell: Shell, context: AppContext, settings: QSettings | None = None) -> MainWindow:
    """Turn the start-up frame into the full window in place: same native window, same
    position and size, no flash. (MainWindow adds no signals or slots to Shell's, so the Qt
    meta-object stays valid; Python dispatches the overrides through the new class.)"""
    shell.__class__ = MainWindow
    window = cast(MainWindow, shell)
    window._init_main(context, settings)
    return window

T = TypeVar("T")


async def in_thread(fn: Callable[[], T]) -> T:
    """Run blocking ``fn`` on a short-lived plain thread. (qasync's default executor uses
    QThreads that Qt aborts on if they outlive the application, so it is not used.)"""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting coroutine
            loop.call_soon_threadsafe(
                lambda e=exc: future.done() or future.set_exception(e))
        else:
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

    threading.Thread(target=work, name="pennant-start", daemon=True).start()
    return await future

#: bump when the docks change so an old saved layout is not applied to a different set
LAYOUT_VERSION = 2


class MainWindow(Shell, WindowActions, TradeActions):
    """The full window. Built directly (tests), or by promoting the start-up frame (boot.py)
    once the heavy modules are loaded: see ``promote``. Its signals are declared on Shell."""

    def __init__(self, context: AppContext, *, settings: QSettings | None = None) -> None:
        super().__init__()
        self._init_main(context, settings)

    def _init_main(self, context: AppContext, settings: QSettings | None) -> None:
        self.context = context
        self.qsettings = settings or QSettings()
        self.terminal: Terminal | None = None
        self.bridge: EventBridge | None = None
        self.account_id: str | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._login_dialog: QWidget | None = None
        self._seen: set[str] = set()
        #: open order tickets and modify/cancel dialogs (non-modal; several at once)
        self.tickets: list[QWidget] = []
        self.dialogs: list[QWidget] = []
        #: a finished order shows in the history tab: reload it once things settle
        self._history_reload = QTimer(self)
        self._history_reload.setSingleShot(True)
        self._history_reload.setInterval(1500)
        self._history_reload.timeout.connect(self._reload_history)
        #: the chosen environment could not be opened (message on the welcome page)
        self.startup_failed = False
        self._last_login_error = ""
        self.setDockNestingEnabled(True)
        self._build()
        self._build_actions()
        self._restore_layout()
        self.tray = TrayNotifier(self)
        self.tray.set_enabled(context.settings.tray_notifications)
        self.setWindowIcon(app_icon())
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()

    # ================================================================== layout
    def _build(self) -> None:
        self.banner = Banner()
        self.session_strip = SessionStrip()
        self.desk_strip = DeskStrip()
        self.welcome = WelcomePage()
        self.positions = PositionsPanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.positions)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.session_strip)
        layout.addWidget(self.desk_strip)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.accounts = AccountSwitcher()
        self.accounts.account_chosen.connect(self.show_account)
        self.balances = BalancesPanel()
        self.orders = OrdersPanel()
        self.orders.history_requested.connect(self._load_history)
        self.orders.modify_requested.connect(self.modify_order)
        self.orders.cancel_requested.connect(self.cancel_order)
        self.orders.cancel_all_requested.connect(self.cancel_all_orders)
        self.positions.close_requested.connect(self.close_position)
        self.nlv_chart = NetLiquidationChart()
        self.allocation = AllocationChart()
        self.activity = ActivityLog()
        left, bottom = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        # balances down the left; orders and activity (tabs) along the bottom, with the two
        # charts stacked at the bottom right
        self.docks = {
            "balances": self._dock("Balances", self.balances, left),
            "orders": self._dock("Orders", self.orders, bottom),
            "activity": self._dock("Activity", self.activity, bottom),
            "nlv": self._dock("Net liquidation", self.nlv_chart, bottom),
            "allocation": self._dock("Allocation", self.allocation, bottom),
        }
        self.splitDockWidget(self.docks["orders"], self.docks["nlv"], Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["nlv"], self.docks["allocation"],
                             Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["orders"], self.docks["activity"])
        self.docks["orders"].raise_()
        self.resizeDocks([self.docks["balances"]], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["orders"], self.docks["nlv"]], [1000, 440],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["orders"]], [380], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["nlv"], self.docks["allocation"]], [190, 190],
                         Qt.Orientation.Vertical)
        # both charts stay legible: eight bars with their labels, an axis with three values
        self.allocation.setMinimumHeight(180)
        self.nlv_chart.setMinimumHeight(160)
        # the dock title already names the panel: keep only the data age and stale badge
        self.balances.header.title.hide()
        self.indicators = StatusIndicators()
        self.statusBar().addPermanentWidget(self.indicators, 1)
        self.welcome.connect_clicked.connect(self.connect_webull)
        self.welcome.settings_clicked.connect(self.open_settings)
        self.session_strip.reconnect_clicked.connect(self.connect_webull)
        self.desk_strip.resend_clicked.connect(self.resend_intent)
        self.desk_strip.dismiss_clicked.connect(self.dismiss_intent)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    # ================================================================== persistence
    def _restore_layout(self) -> None:
        self._default_state = self.saveState(LAYOUT_VERSION)
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.qsettings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()

    # ================================================================== environment
    def open_environment(self, name: str) -> asyncio.Future[Any]:
        return self.spawn(self._open_environment(name))

    async def _open_environment(self, name: str) -> None:
        self._close_trading_windows()  # they belong to the connection being closed
        await self._close_terminal()
        self.banner.show_environment(name, self.context.label(name),
                                     self.context.environments.get(name))
        self._clear_views()
        try:
            if name == DEMO:
                self.welcome.show_message(self.context.label(name), "Starting the simulator…",
                                          can_connect=False)
                await in_thread(self.context.ensure_demo)
            terminal = self.context.make_terminal(name)
        except EnvironmentNotReady as exc:
            self.startup_failed = True
            self.welcome.show_message(self.context.label(name), str(exc), can_connect=False)
            self.stack.setCurrentWidget(self.welcome)
            self._update_actions()
            return
        self.terminal = terminal
        self.bridge = EventBridge(terminal.bus, self)
        self._wire(self.bridge)
        self._on_desk()
        self.welcome.show_message(self.context.label(name),
                                  "Restoring your sign-in…", can_connect=False)
        self._update_actions()
        await terminal.start()
        self._update_actions()

    async def _close_terminal(self) -> None:
        if self.bridge is not None:
            self.bridge.detach()
            if shiboken6.isValid(self.bridge):
                self.bridge.deleteLater()
            self.bridge = None
        if self.terminal is not None:
            terminal, self.terminal = self.terminal, None
            await terminal.close()

    def _wire(self, bridge: EventBridge) -> None:
        bridge.session.connect(self._on_session)
        bridge.health.connect(lambda e: self.indicators.set_health(e.health, e.message))
        bridge.accounts.connect(self._on_accounts)
        bridge.balance.connect(self._on_balance)
        bridge.positions.connect(self._on_positions)
        bridge.open_orders.connect(self._on_open_orders)
        bridge.history.connect(self._on_history)
        bridge.freshness.connect(self._on_freshness)
        bridge.nlv_point.connect(self._on_nlv_point)
        bridge.activity.connect(self._on_activity)
        bridge.desk.connect(self._on_desk)
        bridge.trade.connect(self._on_trade)

    def _clear_views(self) -> None:
        self.account_id = None
        self._seen.clear()
        self.accounts.set_accounts(())
        self.balances.show_empty("Connect to see balances.")
        self.positions.show_all({})
        self.orders.clear()
        self.nlv_chart.set_series([])
        self.allocation.set_positions([])
        for header in self._headers():
            header.set_freshness(None)

    # ================================================================== events
    def _on_session(self, event: ev.SessionChanged) -> None:
        self.indicators.set_session(event)
        self.session_strip.show_session(event)
        if event.state is ev.SessionState.CONNECTED:
            self.stack.setCurrentWidget(self.positions)
            if self.terminal is not None:
                self.indicators.set_health(self.terminal.poller.health)
        elif event.state is ev.SessionState.DISCONNECTED:
            self._clear_views()
            env = self.terminal.environment.label if self.terminal else ""
            self.welcome.show_message(env, event.message or "Not connected.", can_connect=True)
            self.stack.setCurrentWidget(self.welcome)
        if event.state is ev.SessionState.EXPIRED:
            self._mark_all_stale("Not updating: the sign-in has ended. Reconnect to resume.")
        if event.message and event.state is not ev.SessionState.CONNECTING:
            kind = (ev.ActivityKind.WARNING if event.state is ev.SessionState.EXPIRED
                    else ev.ActivityKind.INFO)
            self.activity.add(ev.Activity(datetime.now(UTC), kind, event.message))
        self._update_actions()
        self._on_desk()

    def _on_accounts(self, event: ev.AccountsUpdated) -> None:
        self.accounts.set_accounts(event.accounts)
        self._seen.add("accounts")

    def show_account(self, account_id: str) -> None:
        """Show another account: refill every panel from the latest snapshot."""
        self.account_id = account_id
        terminal = self.terminal
        if terminal is None:
            return
        terminal.poller.set_focus(account_id)
        portfolio = terminal.portfolio
        balance = portfolio.balance(account_id)
        if balance is not None:
            self.balances.show_balance(portfolio.account(account_id), balance)
        else:
            self.balances.show_empty("Loading balances…")
        positions = portfolio.positions(account_id)
        self.positions.show_all(positions)
        self.allocation.set_positions(positions.values())
        self.orders.clear()
        self.orders.apply_open(snapshot_diff(portfolio.open_orders(account_id)))
        if self.context.history is not None:
            self.nlv_chart.set_series(self.context.history.series(terminal.environment.name,
                                                                  account_id))
        for header, kind in self._header_kinds():
            header.set_freshness(terminal.poller.freshness(kind, account_id))
        self.orders.request_history()
        self._on_desk()

    def _on_balance(self, event: ev.BalanceUpdated) -> None:
        if event.account_id == self.account_id and self.terminal:
            self.balances.show_balance(self.terminal.portfolio.account(event.account_id),
                                       event.balance)
            self._mark_seen("balance")

    def _on_positions(self, event: ev.PositionsUpdated) -> None:
        if event.account_id == self.account_id and self.terminal:
            self.positions.apply(event.diff)
            self.allocation.set_positions(self.terminal.portfolio.positions(
                event.account_id).values())
            self._mark_seen("positions")

    def _on_open_orders(self, event: ev.OpenOrdersUpdated) -> None:
        if event.account_id == self.account_id:
            self.orders.apply_open(event.diff)
            self._mark_seen("open_orders")

    def _on_history(self, event: ev.HistoryLoaded) -> None:
        if event.account_id == self.account_id:
            self.orders.show_history(event.groups)
            self.orders.history_header.set_freshness(
                ev.Freshness(ev.DataKind.HISTORY, event.account_id, event.at, False))
            self._mark_seen("history")

    def _on_freshness(self, event: ev.Freshness) -> None:
        if event.account_id not in (None, self.account_id):
            return
        for header, kind in self._header_kinds():
            if kind is event.kind:
                header.set_freshness(event)

    def _on_nlv_point(self, event: ev.NetLiquidationPoint) -> None:
        if event.account_id == self.account_id:
            self.nlv_chart.append(event.at, event.value)

    def _on_activity(self, event: ev.Activity) -> None:
        label = ""
        if event.account_id and self.terminal:
            account = self.terminal.portfolio.account(event.account_id)
            if account is not None:
                from app.core.portfolio import account_label

                label = account_label(account)
        self.activity.add(event, label)
        if event.kind in (ev.ActivityKind.FILL, ev.ActivityKind.REJECTED,
                          ev.ActivityKind.CANCELLED):
            self.tray.notify(event)
            if event.account_id == self.account_id:
                self._history_reload.start()  # the finished order shows in History

    def _reload_history(self) -> None:
        if self.terminal is not None and self.account_id is not None:
            self.orders.request_history()

    def _mark_all_stale(self, why: str) -> None:
        for header in self._headers():
            f = header.freshness
            if f is not None:
                header.set_freshness(replace(f, stale=True, error=why))

    def _mark_seen(self, what: str) -> None:
        if what in self._seen:
            return
        self._seen.add(what)
        if {"accounts", "balance", "positions", "open_orders", "history"} <= self._seen:
            self.populated.emit()

    def _header_kinds(self) -> list[tuple[Any, ev.DataKind]]:
        return [(self.balances.header, ev.DataKind.BALANCE),
                (self.positions.header, ev.DataKind.POSITIONS),
                (self.orders.open_header, ev.DataKind.OPEN_ORDERS)]

    def _headers(self) -> list[Any]:
        return [h for h, _ in self._header_kinds()] + [self.orders.history_header]

    def _on_tick(self) -> None:
        now = datetime.now(UTC)
        for header in self._headers():
            header.tick(now)
        self.indicators.tick(now)

    # ================================================================== actions
    def _update_actions(self) -> None:
        state = self.terminal.session.state if self.terminal else None
        connected = state is ev.SessionState.CONNECTED
        self.connect_action.setEnabled(self.terminal is not None and not connected
                                       and state is not ev.SessionState.CONNECTING)
        self.disconnect_action.setEnabled(self.terminal is not None and state in (
            ev.SessionState.CONNECTED, ev.SessionState.EXPIRED))
        self.refresh_action.setEnabled(connected)
        self.welcome.set_connect_enabled(self.connect_action.isEnabled())
        self._update_trade_actions()

    def connect_webull(self) -> None:
        if self.terminal is None or self._login_dialog is not None:
            return
        session = self.terminal.session
        loopback = self._loopback_uri()
        if self.context.settings.login_route == "browser" and loopback:
            from .browser_login import BrowserLoginDialog

            dialog: Any = BrowserLoginDialog(session, loopback, self)
        else:
            from .login_view import LoginDialog  # loads QtWebEngine: only now

            dialog = LoginDialog(session, self)
        self._login_dialog = dialog
        dialog.finished.connect(self._login_closed)
        dialog.open()
        dialog.start()

    def _loopback_uri(self) -> str:
        if self.terminal is None:
            return ""
        name = self.terminal.environment.name
        if name == DEMO:
            return self.context.demo_loopback_uri
        profile = self.context.settings.profiles.get(name)
        return profile.loopback_redirect_uri if profile else ""

    def login_error(self) -> str:
        """The error the open login dialog shows ("" if none)."""
        dialog = self._login_dialog
        if dialog is not None and getattr(dialog, "state", "") == "error":
            return str(dialog.error_text())
        return self._last_login_error

    def select_first_order(self) -> None:
        self.orders.select_first_open()

    def _login_closed(self, _result: int) -> None:
        dialog, self._login_dialog = self._login_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        self._update_actions()

    def disconnect_webull(self) -> None:
        if self.terminal is not None:
            self.spawn(self.terminal.session.disconnect())

    def refresh(self) -> None:
        if self.terminal is not None:
            self.terminal.poller.refresh_now(self.account_id)

    def _load_history(self, start: datetime, end: datetime) -> None:
        if self.terminal is not None and self.account_id is not None:
            self.orders.history_header.set_freshness(
                ev.Freshness(ev.DataKind.HISTORY, self.account_id, None, False))
            self.spawn(self.terminal.poller.load_history(self.account_id, start, end))

    def note(self, text: str) -> None:
        """A message for the user that is not tied to an order or the session."""
        self.activity.add(ev.Activity(datetime.now(UTC), ev.ActivityKind.WARNING, text))
        self.statusBar().showMessage(text, 15000)

    # ================================================================== plumbing
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("background task failed: %s", exc, exc_info=exc)
            self.statusBar().showMessage(f"Something went wrong: {exc}", 10000)

    def set_visible_for_polling(self, visible: bool) -> None:
        # also called by Qt while the frame is still being built (no terminal yet)
        if getattr(self, "terminal", None) is not None:
            self.terminal.poller.set_visible(visible)

    def changeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        self.set_visible_for_polling(not self.isMinimized() and self.isVisible())

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        super().hideEvent(event)
        self.set_visible_for_polling(False)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.set_visible_for_polling(True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        super().closeEvent(event)

    def _close_trading_windows(self) -> None:
        for window in (*self.tickets, *self.dialogs):
            if shiboken6.isValid(window):
                window.close()

    async def shutdown(self) -> None:
        if shiboken6.isValid(self):  # a test may have deleted the window already
            self.save_layout()
        self._close_trading_windows()
        await self._close_terminal()
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
