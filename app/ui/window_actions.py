"""The main window's actions: the environment banner bar, the toolbar, the menus and the
keyboard shortcuts (a part of MainWindow, kept in its own file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSizePolicy, QToolBar

if TYPE_CHECKING:
    from .main_window import MainWindow


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
        self.theme_action = action("Toggle theme", "Ctrl+T", self.toggle_theme,
                                   "Switch between the light and dark theme")
        self.reset_layout_action = action("Reset layout", None, self.reset_layout)
        self.quit_action = action("Quit", QKeySequence.StandardKey.Quit, self.close)
        for i in range(9):
            action(f"Account {i + 1}", f"Ctrl+{i + 1}",
                   lambda i=i: self.accounts.setCurrentIndex(i) if i < self.accounts.count()
                   else None)
        for act in (self.connect_action, self.disconnect_action, self.refresh_action):
            tb.addAction(act)
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
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.quit_action)
        view_menu = menu.addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.theme_action)
        view_menu.addAction(self.reset_layout_action)
        self._update_actions()

