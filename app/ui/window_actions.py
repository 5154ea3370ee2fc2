"""The main window's actions: the environment banner bar, the toolbar, the menus and the
keyboard shortcuts; and the trading actions (tickets, modify, cancel, the desk's state, the
audit export). Parts of MainWindow, kept in their own file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QSizePolicy, QToolBar, QWidget

from app.core.catalogue import CatalogueError
from app.core.events import ActivityKind, SessionState
from app.core.journal import IntentState
from app.core.portfolio import account_label
from app.core.rows import OrderRow
from app.core.settings import Settings
from app.core.ticket import TicketDraft, draft_to_close
from app.core.trading import (
    DeskState,
    Preview,
    PreviewError,
    SubmitRefused,
    TradeEvent,
    TradingDesk,
)
from app.webull.models import Position

from . import theme
from .cancel_dialogs import CancelAllDialog, CancelOrderDialog
from .exporting import write_csv
from .orders_panel import NO_TRADING

if TYPE_CHECKING:
    from .main_window import MainWindow

#: what a close ticket prefills (the trader's edits to any of them are kept)
_CLOSE_FIELDS = ("account_id", "side", "order_type", "tif", "quantity", "limit_price")


class WindowActions:
    """Mixed into MainWindow; builds its actions from the panels it already has."""

    def _build_actions(self: MainWindow) -> None:  # type: ignore[misc]
        # the environment banner spans the window, above the docks
        banner_bar = QToolBar("Environment")
        banner_bar.setObjectName("toolbar-environment")
        banner_bar.setMovable(False)
        banner_bar.setFloatable(False)
        banner_bar.toggleViewAction().setEnabled(False)  # never hidden
        banner_bar.setContentsMargins(0, 0, 0, 0)
        banner_bar.setStyleSheet("QToolBar { padding: 0; border: 0; spacing: 0; }")
        self.banner.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        banner_bar.addWidget(self.banner)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, banner_bar)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar-main")
        tb.setMovable(False)

        def action(text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Any,
                   tip: str = "") -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(f"{tip or text} ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                           if shortcut else (tip or text))
            act.triggered.connect(lambda _=False: slot())
            self.addAction(act)
            return act

        self.connect_action = action("Connect Webull", "Ctrl+Shift+C", self.connect_webull,
                                     "Sign in with Webull")
        self.disconnect_action = action("Disconnect", "Ctrl+Shift+D", self.disconnect_webull,
                                        "Sign out and delete the stored sign-in")
        self.refresh_action = action("Refresh", QKeySequence.StandardKey.Refresh, self.refresh,
                                     "Refresh the shown account now")
        self.settings_action = action("Settings", "Ctrl+,", self.open_settings)
        self.export_positions_action = action("Export positions…", "Ctrl+E",
                                              lambda: self.export("positions"))
        self.export_orders_action = action("Export open orders…", "Ctrl+Shift+E",
                                           lambda: self.export("orders"))
        self.export_history_action = action("Export order history…", "Ctrl+Alt+E",
                                            lambda: self.export("history"))
        self.theme_action = action("Toggle theme", "Ctrl+Shift+T", self.toggle_theme,
                                   "Switch between the light and dark theme")
        self.new_order_action = action("New order…", "F2", self.new_order,
                                       "Open an order ticket for the shown account")
        self.new_order_action.setShortcuts([QKeySequence("F2"), QKeySequence("Ctrl+T")])
        self.export_audit_action = action("Export audit log…", None, self.export_audit,
                                          "Save every preview, order, change and cancel "
                                          "Pennant sent, with Webull's answers, as CSV")
        self.reset_layout_action = action("Reset layout", None, self.reset_layout)
        self.quit_action = action("Quit", QKeySequence.StandardKey.Quit, self.close)
        for i in range(9):
            action(f"Account {i + 1}", f"Ctrl+{i + 1}",
                   lambda i=i: self.accounts.setCurrentIndex(i) if i < self.accounts.count()
                   else None)
        for act in (self.connect_action, self.disconnect_action, self.refresh_action):
            tb.addAction(act)
        tb.addSeparator()
        tb.addAction(self.new_order_action)
        tb.addSeparator()
        tb.addWidget(self.accounts)
        tb.addSeparator()
        tb.addAction(self.export_positions_action)
        tb.addAction(self.settings_action)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for act in (self.export_positions_action, self.export_orders_action,
                    self.export_history_action):
            file_menu.addAction(act)
        file_menu.addAction(self.export_audit_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.quit_action)
        trade_menu = menu.addMenu("&Trade")
        trade_menu.setToolTipsVisible(True)
        trade_menu.addAction(self.new_order_action)
        trade_menu.addSeparator()
        for act in (self.orders.modify_action, self.orders.cancel_action,
                    self.orders.cancel_all_action):
            trade_menu.addAction(act)
        view_menu = menu.addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.theme_action)
        view_menu.addAction(self.reset_layout_action)
        self._update_actions()

    # ------------------------------------------------------------------ settings, theme, export
    def open_settings(self: MainWindow) -> QDialog:  # type: ignore[misc]
        from app.webull.environments import builtin_environments

        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.context.settings, self.context.keychain,
                                builtin_environments(), self)
        # non-modal with a signal: a nested exec() loop would stall the qasync loop
        dialog.accepted.connect(lambda: self._settings_accepted(dialog.result_settings()))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def _settings_accepted(self: MainWindow, new: Settings | None) -> None:  # type: ignore[misc]
        if new is None:
            return
        old = self.context.settings
        self.context.save_settings(new)
        theme.apply(new.theme)
        self.tray.set_enabled(new.tray_notifications)
        desk = self.desk()
        if desk is not None:  # the next preview checks against the new precautions
            desk.limits = new.precautions
        if new.environment != old.environment or new.profiles != old.profiles:
            self.open_environment(new.environment)

    def toggle_theme(self: MainWindow) -> None:  # type: ignore[misc]
        settings = self.context.settings
        settings.theme = "light" if theme.current_is_dark() else "dark"
        self.context.save_settings(settings)
        theme.apply(settings.theme)

    def save_dialog(self: MainWindow, title: str, name: str,  # type: ignore[misc]
                    chosen: Callable[[str], object]) -> QFileDialog:
        """Ask where to save a CSV file, without blocking the event loop (``open()``)."""
        dialog = QFileDialog(self, title, str(Path.home() / name), "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def export(self: MainWindow, what: str) -> QFileDialog | None:  # type: ignore[misc]
        terminal, account = self.terminal, self.account_id
        if terminal is None or account is None:
            self.statusBar().showMessage("Nothing to export: no account is shown.", 5000)
            return None
        if what == "positions":
            rows: Any = list(terminal.portfolio.positions(account).values())
        elif what == "orders":
            rows = list(terminal.portfolio.open_orders(account).values())
        else:
            rows = [self.orders.history_model.row_value(i)
                    for i in range(self.orders.history_model.rowCount())]
        title = {"positions": "positions", "orders": "open orders"}.get(what, "order history")

        def write(name: str) -> None:
            try:
                count = write_csv(Path(name), what, rows)
            except OSError as exc:
                self.statusBar().showMessage(
                    f"Could not write {Path(name).name}: {exc.strerror or exc}", 8000)
                return
            self.statusBar().showMessage(f"Exported {count} rows of {title} to {name}", 8000)

        return self.save_dialog(f"Export {title}",
                                f"pennant-{what}-{datetime.now():%Y%m%d-%H%M}.csv", write)


class TradeActions:
    """Mixed into MainWindow: the ticket, modify and cancel dialogs, the desk's state on
    screen (strip, status bar, order actions) and the audit export. Every dialog opens
    non-modally; the desk does the sending."""

    # ------------------------------------------------------------------ the desk
    def desk(self: MainWindow) -> TradingDesk | None:  # type: ignore[misc]
        terminal = self.terminal
        return None if terminal is None else terminal.desk

    def trading_block(self: MainWindow) -> str:  # type: ignore[misc]
        """Why no order can be sent now ("" = the desk is ready)."""
        desk = self.desk()
        if desk is None or self.terminal is None:
            return NO_TRADING
        if self.terminal.session.state is not SessionState.CONNECTED:
            return "Trading is not available: not signed in to Webull."
        state = desk.state
        if state is DeskState.READY:
            return ""
        if state is DeskState.RECONCILING:
            return ("Trading is paused while Pennant checks the orders of your last session "
                    "with Webull.")
        if state is DeskState.BLOCKED:
            return f"Trading is paused: {desk.why}" if desk.why else "Trading is paused."
        return f"Read-only: {desk.why}" if desk.why else "Read-only: sign in again to trade."

    def cancel_block(self: MainWindow) -> str:  # type: ignore[misc]
        """Why no order can be cancelled now: as ``trading_block``, except that cancelling
        stays possible while the desk is BLOCKED (it only takes risk away, and the desk
        accepts it)."""
        desk = self.desk()
        if desk is not None and desk.state is DeskState.BLOCKED and self.terminal is not None \
                and self.terminal.session.state is SessionState.CONNECTED:
            return ""
        return self.trading_block()

    def _on_desk(self: MainWindow, _event: object = None) -> None:  # type: ignore[misc]
        """The desk's state changed (or the session did): every place that shows it."""
        desk = self.desk()
        self.orders.set_trading_block(self.trading_block(), self.cancel_block())
        if desk is None or self.terminal is None:
            self.desk_strip.show_state(DeskState.READY)
            self.indicators.set_desk(None)
            self._update_trade_actions()
            return
        env = self.terminal.environment.name
        journal = self.context.journal
        checking = len(journal.unresolved(env)) if journal is not None else 0
        state = desk.state
        # read-only needs no strip of its own: the session strip (sign-in expired) or the
        # welcome page (signed out) says why, the status bar says "Read-only", and while a
        # sign-in completes the desk is read-only only until it starts checking
        shown = DeskState.READY if state is DeskState.READ_ONLY else state
        self.desk_strip.show_state(shown, desk.why, checking=checking, absent=desk.absent())
        self.indicators.set_desk(state, self.trading_block())
        self._update_trade_actions()

    def _update_trade_actions(self: MainWindow) -> None:  # type: ignore[misc]
        ready = (self.desk() is not None and self.account_id is not None
                 and self.terminal is not None
                 and self.terminal.session.state is SessionState.CONNECTED)
        self.new_order_action.setEnabled(ready)
        self.new_order_action.setToolTip(
            "Open an order ticket for the shown account (F2)" if ready else
            "Connect to Webull and choose an account to trade")
        self.export_audit_action.setEnabled(self.desk() is not None)

    def _on_trade(self: MainWindow, event: TradeEvent) -> None:  # type: ignore[misc]
        label = ""
        if self.terminal is not None:
            account = self.terminal.portfolio.account(event.account_id)
            label = account_label(account) if account is not None else ""
        activity = self.activity.add_trade(event, label)
        for ticket in tuple(self.tickets):  # a ticket follows the order it sent
            if shiboken6.isValid(ticket):
                ticket.on_trade(event)  # type: ignore[attr-defined]
        if activity.kind is ActivityKind.REJECTED:
            self.tray.notify(activity)
        if event.state in (IntentState.ACCEPTED, IntentState.PLACED) and \
                self.terminal is not None and event.account_id == self.account_id:
            self.terminal.poller.refresh_now(event.account_id)  # show the new status soon
        self._on_desk()

    # ------------------------------------------------------------------ tickets
    def new_order(self: MainWindow, draft: TicketDraft | None = None) -> QWidget | None:  # type: ignore[misc]
        """A new ticket window (several may be open) for the shown account."""
        desk, terminal, account_id = self.desk(), self.terminal, self.account_id
        if terminal is not None and desk is None:
            self.statusBar().showMessage(
                "Trading is off in this window: "
                + (" ".join(self.context.startup_notes) or "there is no order journal."), 12000)
            return None
        if desk is None or terminal is None or account_id is None \
                or terminal.session.state is not SessionState.CONNECTED:
            self.statusBar().showMessage("Connect to Webull and choose an account first.", 8000)
            return None
        from .ticket_window import TicketWindow  # loaded on first use

        ticket = TicketWindow(desk, terminal.catalogue, terminal.portfolio,
                              terminal.portfolio.accounts, account_id, draft=draft, parent=self)
        self.tickets.append(ticket)
        ticket.destroyed.connect(lambda _=None, t=ticket: self._forget_ticket(t))
        ticket.show()  # a new window opens on top: no raise needed
        ticket.activateWindow()
        return ticket

    def _forget_ticket(self: MainWindow, ticket: QWidget) -> None:  # type: ignore[misc]
        if ticket in self.tickets:
            self.tickets.remove(ticket)

    def close_position(self: MainWindow, position: Position) -> QWidget | None:  # type: ignore[misc]
        """A ticket prefilled to close ``position`` (reviewed and previewed before sending)."""
        terminal, account_id = self.terminal, self.account_id
        account = terminal.portfolio.account(account_id) if terminal and account_id else None
        if account is None or terminal is None:
            return None
        quick = draft_to_close(account, position)
        ticket = self.new_order(quick)
        if ticket is not None:
            # the price was rounded to a default tick; once the instrument's own tick is known
            # (futures: 0.25 for ES…), refill the ticket unless the trader changed it meanwhile
            self.spawn(self._refine_close(ticket, ticket.draft, account, position))  # type: ignore[attr-defined]
        return ticket

    async def _refine_close(self: MainWindow, ticket: Any, shown: TicketDraft,  # type: ignore[misc]
                            account: Any, position: Position) -> None:
        terminal = self.terminal
        if terminal is None:
            return
        try:
            info = await terminal.catalogue.info(position.instrument_type, position.symbol)
        except CatalogueError:
            return  # the ticket looks the instrument up itself and says what went wrong
        untouched = shiboken6.isValid(ticket) and all(
            getattr(ticket.draft, name) == getattr(shown, name) for name in _CLOSE_FIELDS)
        if untouched:
            refined = draft_to_close(account, position, info)
            if refined.limit_price != draft_to_close(account, position).limit_price:
                ticket.load_draft(refined)

    # ------------------------------------------------------------------ modify and cancel
    def _keep(self: MainWindow, dialog: QDialog) -> QDialog:  # type: ignore[misc]
        self.dialogs.append(dialog)

        def finished(_result: int) -> None:
            if dialog in self.dialogs:
                self.dialogs.remove(dialog)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def modify_order(self: MainWindow, row: OrderRow) -> QDialog | None:  # type: ignore[misc]
        desk, terminal, account_id = self.desk(), self.terminal, self.account_id
        if desk is None or terminal is None or account_id is None:
            return None
        # numbers are read the way the ticket reads them
        from .modify_dialog import ModifyDialog
        from .numbers import locale_number_format

        return self._keep(ModifyDialog(desk, terminal.catalogue, row.item, account_id, self,
                                       number_format=locale_number_format(),
                                       portfolio=terminal.portfolio))

    def cancel_order(self: MainWindow, row: OrderRow) -> QDialog | None:  # type: ignore[misc]
        desk, account_id = self.desk(), self.account_id
        if desk is None or account_id is None:
            return None
        return self._keep(CancelOrderDialog(desk, row.item, account_id, self,
                                            combo=row.combo_type))

    def cancel_all_orders(self: MainWindow) -> QDialog | None:  # type: ignore[misc]
        desk, terminal, account_id = self.desk(), self.terminal, self.account_id
        if desk is None or terminal is None or account_id is None:
            return None
        label = terminal.portfolio.label(account_id)
        return self._keep(CancelAllDialog(desk, account_id, label, self.orders.working_orders(),
                                          self))

    # ------------------------------------------------------------------ orders from before
    def resend_intent(self: MainWindow, key: str) -> asyncio.Future[Any] | None:  # type: ignore[misc]
        """Send an order Webull never received again, same ids — after a fresh preview of it,
        like any order; the outcome reaches the activity log (and the strip drops it) through
        the desk's events."""
        desk = self.desk()
        if desk is None:
            return None
        self.statusBar().showMessage("Previewing the order again before sending it…", 8000)

        async def preview() -> None:
            try:
                shown = await desk.preview_resubmit(key)
            except PreviewError as exc:
                self.note(exc.message)
                return
            from .preview_dialog import PreviewDialog

            dialog = PreviewDialog(shown, self, submit_label="Send again")
            dialog.accepted.connect(lambda: self.spawn(send(shown, dialog.acknowledged())))
            self._keep(dialog)

        async def send(shown: Preview, acknowledged: bool) -> None:
            try:
                await desk.resubmit(key, shown, acknowledged=acknowledged)
            except SubmitRefused as exc:
                self.note(str(exc))

        return self.spawn(preview())

    def dismiss_intent(self: MainWindow, key: str) -> None:  # type: ignore[misc]
        """Not sending it: the journal records the decision (the audit log keeps it)."""
        desk = self.desk()
        if desk is None:
            return
        try:
            desk.dismiss(key)
        except ValueError as exc:
            self.note(str(exc))
        self._on_desk()

    # ------------------------------------------------------------------ audit
    def export_audit(self: MainWindow) -> QFileDialog | None:  # type: ignore[misc]
        if self.desk() is None:
            self.statusBar().showMessage("Open an environment first: the audit log is kept "
                                         "per environment.", 8000)
            return None
        return self.save_dialog("Export audit log",
                                f"pennant-audit-{datetime.now():%Y%m%d-%H%M%S}.csv",
                                self.write_audit)

    def write_audit(self: MainWindow, path: str | Path) -> int | None:  # type: ignore[misc]
        desk = self.desk()
        if desk is None:
            return None
        try:
            count = desk.export_audit(Path(path))
        except OSError as exc:
            self.note(f"The audit log could not be written to {path}: {exc.strerror or exc}")
            return None
        self.statusBar().showMessage(f"Wrote {count} audit log entries to {path}", 10000)
        return count
