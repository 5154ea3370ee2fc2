"""Start-up in two stages, so the window is on screen and interactive at once.

Stage 1 (this module imports nothing but Qt and the standard library): the QApplication and the
window frame are created and shown, and Qt's event loop starts. Stage 2: a worker thread imports
the heavy, Qt-free modules (pydantic models, httpx, the core, numpy, the simulator for Demo) and
reads the settings, the keychain and the local history; back on the GUI thread the asyncio loop
(qasync) is attached to the running Qt loop and the frame is promoted to the full MainWindow.
The window the user sees is the same object from the first frame to the last.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QMessageLogContext,
    QObject,
    QSettings,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

#: imported off the GUI thread in stage 2: Qt-free and slow to import
PRELOAD = ("asyncio", "httpx", "pydantic", "keyring", "numpy", "sqlite3", "app.webull.client",
           "app.webull.oauth", "app.core.terminal", "app.core.settings", "app.core.export")


@dataclass
class LaunchOptions:
    environment: str | None = None  # None: the one chosen in Settings
    #: starts the simulator on first use (a callable so the UI layer never imports app.sim)
    demo_provider: Callable[[], Any] | None = None
    screenshot: Path | None = None
    #: with ``screenshot``: shoot an order ticket and its preview instead of the main window
    screenshot_ticket: bool = False
    screenshot_timeout_s: float = 90.0
    data_dir: Path | None = None  # settings, history and layout here instead of platform dirs
    #: modules to import in the stage-2 thread as well (e.g. the simulator for Demo)
    preload: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------------------ Qt messages

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
    qInstallMessageHandler(_qt_messages)
    # Qt still logs after Python's exit handlers have run (destroying the application, unloading
    # the plugins), when a Python handler can no longer be called: the process crashed. So at
    # exit the messages go back to Qt's own handler (unredacted, but only Qt's own notices).
    atexit.register(qInstallMessageHandler, None)
    # QtWebEngine (loaded later, only for the login view) needs shared OpenGL contexts, which
    # must be requested before the application object exists
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Pennant")
    app.setOrganizationName("Pennant")
    app.setApplicationDisplayName("Pennant")
    app.setDesktopFileName("pennant")
    return app


# ------------------------------------------------------------------------------ the frame


class Shell(QMainWindow):
    """The window frame shown in stage 1; MainWindow (a subclass) takes it over in stage 2.

    Signals live here so that the promoted object keeps the same meta-object signals."""

    #: accounts, balances, positions and orders of the shown account are on screen
    populated = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("Pennant")
        self.resize(1440, 900)
        self.starting = QLabel("Starting Pennant…")
        self.starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.starting)

    def show_failure(self, text: str) -> None:
        self.starting.setText(text)
        self.starting.setWordWrap(True)


# ------------------------------------------------------------------------------ probe


class StartupProbe:
    """``PENNANT_STARTUP_PROBE=<file>`` (benchmarks): record when the window was shown and the
    loop ran, and when the workspace was built; write ``{"shown": t, "ready": t}`` (epoch
    seconds), wait ``PENNANT_STARTUP_PROBE_LINGER_S`` seconds, then quit with status 0."""

    def __init__(self, path: str | None, linger_s: float) -> None:
        self.path = path
        self.linger_s = linger_s
        self.times: dict[str, float] = {}

    @classmethod
    def from_env(cls) -> StartupProbe:
        linger = os.environ.get("PENNANT_STARTUP_PROBE_LINGER_S", "0")
        return cls(os.environ.get("PENNANT_STARTUP_PROBE") or None, float(linger or 0))

    @property
    def active(self) -> bool:
        return self.path is not None

    def mark(self, what: str) -> None:
        self.times.setdefault(what, time.time())
        if self.active and what == "ready":
            assert self.path is not None
            import json

            with open(self.path, "w", encoding="utf-8") as out:
                json.dump(self.times, out)
            QTimer.singleShot(int(self.linger_s * 1000), QApplication.quit)


# ------------------------------------------------------------------------------ stages


class _Preloaded(QObject):
    #: (context or None, error text or None), emitted from the worker thread: queued delivery
    finished = Signal(object, object)


def _stage2_work(options: LaunchOptions) -> Any:
    for name in PRELOAD + options.preload:
        importlib.import_module(name)
    from .context import build_context

    return build_context(options.data_dir, options.demo_provider)


def layout_settings(data_dir: Path | str | None) -> QSettings:
    """Window geometry and dock layout: Qt's own per-user settings store, or an INI file in
    ``--data-dir``. (Cheap on purpose: stage 1 reads it before anything else is loaded.)"""
    if data_dir is None:
        return QSettings()
    return QSettings(os.path.join(os.fspath(data_dir), "layout.ini"), QSettings.Format.IniFormat)


def _restore_geometry(window: QMainWindow, data_dir: Path | None) -> None:
    """Open where the user left the window (the docks come back with the workspace)."""
    geometry = layout_settings(data_dir).value("window/geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)


def run(options: LaunchOptions) -> int:
    app = make_qapplication()
    app.setQuitOnLastWindowClosed(False)  # the workspace shuts down first, then quits
    window = Shell()
    _restore_geometry(window, options.data_dir)
    probe = StartupProbe.from_env()
    window.show()
    QTimer.singleShot(0, lambda: probe.mark("shown"))
    outcome: dict[str, int] = {"code": 0}
    relay = _Preloaded()

    def preloaded(context: Any, error: str | None) -> None:
        if error is None:
            try:
                from .application import start_workspace

                start_workspace(app, window, context, options, probe, outcome)
                return
            except Exception as exc:  # a broken install: say so instead of an empty frame
                log.exception("start-up failed")
                error = f"{type(exc).__name__}: {exc}"
        window.show_failure(f"Pennant could not start: {error}")
        print(f"pennant: could not start: {error}", file=sys.stderr)
        outcome["code"] = 1
        window.destroyed.connect(app.quit)
        app.lastWindowClosed.connect(app.quit)
        if options.screenshot is not None or probe.active:
            app.quit()

    relay.finished.connect(preloaded, Qt.ConnectionType.QueuedConnection)

    def work() -> None:
        try:
            context = _stage2_work(options)
        except Exception as exc:  # shown in the window and on stderr
            log.exception("start-up failed")
            relay.finished.emit(None, f"{type(exc).__name__}: {exc}")
        else:
            relay.finished.emit(context, None)

    threading.Thread(target=work, name="pennant-preload", daemon=True).start()
    app.exec()
    return outcome["code"]
