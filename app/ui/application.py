"""Builds the QApplication with a qasync event loop, the context and the main window, and runs.

Also the scripted modes: ``--screenshot`` (sign in through the real flow in an auto-approving
Demo, wait until every panel has data, save a PNG of the window) and, in selftest.py, ``--selftest``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qasync
from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    QSettings,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from app.core.history import NlvHistory
from app.core.keychain import Keychain
from app.core.settings import SettingsStore, app_dirs
from app.webull.environments import Environment, builtin_environments
from app.webull.oauth import ConnectCredentials

from . import theme
from .context import AppContext

log = logging.getLogger(__name__)

DemoProvider = Callable[[], tuple[Environment, ConnectCredentials, str]]


@dataclass
class LaunchOptions:
    environment: str | None = None  # None: the one chosen in Settings
    demo_provider: DemoProvider | None = None
    screenshot: Path | None = None
    screenshot_timeout_s: float = 90.0
    data_dir: Path | None = None  # settings, history and layout here instead of platform dirs


#: Qt notices that say nothing useful to a user (offscreen platform, no GPU)
_QUIET_QT = ("propagateSizeHints", "QRhiGles2", "Failed to create RHI", "QVulkanInstance",
             "createPlatformVulkanInstance", "GBM is not supported", "GPUInfo not initialized")


def _qt_messages(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Route Qt's own messages into logging (which redacts) instead of raw stderr."""
    if any(q in message for q in _QUIET_QT):
        log.debug("qt: %s", message)
        return
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


def make_qapplication() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    # QtWebEngine (loaded later, only for the login view) needs shared OpenGL contexts, which
    # must be requested before the application object exists
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    qInstallMessageHandler(_qt_messages)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Pennant")
    app.setOrganizationName("Pennant")
    app.setApplicationDisplayName("Pennant")
    app.setDesktopFileName("pennant")
    return app


def build_context(options: LaunchOptions) -> tuple[AppContext, QSettings]:
    if options.data_dir is not None:
        config = data = options.data_dir
        config.mkdir(parents=True, exist_ok=True)
    else:
        dirs = app_dirs()
        config, data = dirs.config, dirs.data
    store = SettingsStore(config / "settings.json")
    settings = store.load()
    notes = [store.load_error] if store.load_error else []
    try:
        history: NlvHistory | None = NlvHistory(data / "history.sqlite3")
    except Exception as exc:  # locked, corrupt or from a newer Pennant: never stops the terminal
        log.error("local history unavailable: %s", exc)
        notes.append(f"The local history database could not be opened ({exc}); the net "
                     "liquidation chart will not be recorded in this session.")
        history = None
    context = AppContext(store, settings, Keychain(), history, builtin_environments(),
                         demo_provider=options.demo_provider, startup_notes=notes)
    layout = QSettings(str(config / "layout.ini"), QSettings.Format.IniFormat)
    return context, layout


async def _main(app: QApplication, options: LaunchOptions) -> int:
    from .main_window import MainWindow

    context, layout = build_context(options)
    theme.apply(context.settings.theme)
    window = MainWindow(context, settings=layout)
    window.show()
    watch_network(window)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    app.lastWindowClosed.connect(lambda: closed.done() or closed.set_result(None))
    for note in context.startup_notes:
        window.note(note)
    window.open_environment(options.environment or context.settings.environment)
    code = 0
    try:
        if options.screenshot is not None:
            from .screenshot import capture

            code = await capture(window, options.screenshot, options.screenshot_timeout_s)
        else:
            await closed
    finally:
        await window.shutdown()
        window.close()
        if context.history is not None:
            context.history.close()
        context.keychain.close()
    return code


def run(options: LaunchOptions) -> int:
    app = make_qapplication()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # Ctrl-C in the terminal quits like closing the window
    signal.signal(signal.SIGINT, lambda *_: app.closeAllWindows())
    try:
        with loop:
            return loop.run_until_complete(_main(app, options))
    finally:
        asyncio.set_event_loop(None)


def watch_network(window: object) -> None:
    """Network loss and return (and wake-up, which looks the same to the OS) mark every panel
    stale and refresh at once; the poller also notices clock jumps by itself."""
    from PySide6.QtNetwork import QNetworkInformation

    if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
        log.info("no network-reachability backend on this platform; relying on the poller")
        return
    info = QNetworkInformation.instance()
    if info is None:
        return
    online = QNetworkInformation.Reachability.Online

    def changed(reachability: QNetworkInformation.Reachability) -> None:
        terminal = getattr(window, "terminal", None)
        if terminal is None:
            return
        if reachability == online:
            terminal.poller.mark_stale_and_refresh("the network is back")
        else:
            terminal.poller.mark_stale_and_refresh("the network connection was lost")

    info.reachabilityChanged.connect(changed)
