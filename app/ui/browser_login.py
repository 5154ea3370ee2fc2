"""Sign in with the system browser (RFC 8252): a one-shot loopback listener catches the redirect.

For environments whose registered redirect allows ``http://127.0.0.1/…``: the browser the user
already trusts shows Webull's pages, and the answer comes back to a listener on an ephemeral
port and random path that accepts one request and then closes. Never imports QtWebEngine (nor
does login_panels, whose panels it shares with the embedded login view).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.loopback import LoopbackRedirectListener
from app.core.session import LoginError, LoginErrorKind, Session

from .login_panels import MessagePanel, environment_banner, login_error_title

log = logging.getLogger(__name__)


def remaining_text(seconds: float) -> str:
    """``m:ss`` for a countdown, never negative."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class BrowserLoginDialog(QDialog):
    """Sign in through the system browser; accepted once the session holds tokens.

    States: "idle", "starting", "waiting" (for the browser), "exchanging", "done", "error".
    """

    connected = Signal()
    failed = Signal(str)

    def __init__(self, session: Session, registered_loopback_uri: str,
                 parent: QWidget | None = None,
                 open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl, *,
                 timeout_s: float = 300.0) -> None:
        super().__init__(parent)
        self.session = session
        self.state = "idle"
        self.redirect_uri = ""  # the listener's address, once it listens
        self._registered = registered_loopback_uri
        self._open_url = open_url
        self._timeout_s = timeout_s
        self._authorize_url = ""
        self._deadline = 0.0
        self._waiting_text = ""
        self._task: asyncio.Future[None] | None = None
        self._closed = False
        self.setWindowTitle(f"Connect Webull — {session.environment.label}")
        self.setMinimumWidth(480)

        self._panel = MessagePanel(self)
        self._panel.retry.clicked.connect(self.start)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._copy = QPushButton("Copy link", self)
        self._copy.setToolTip("Copy the sign-in address to paste it into a browser yourself")
        self._copy.clicked.connect(self._copy_link)
        self._reopen = QPushButton("Open browser again", self)
        self._reopen.clicked.connect(lambda: self._open_url(QUrl(self._authorize_url)))
        self._cancel = QPushButton("Cancel", self)
        self._cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self._copy)
        buttons.addWidget(self._reopen)
        buttons.addStretch(1)
        buttons.addWidget(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(environment_banner(session.environment, self))
        layout.addWidget(self._panel, 1)
        layout.addLayout(buttons)
        self._show_links(False)

    # ---------------------------------------------------------------- for callers and tests
    @property
    def task(self) -> asyncio.Future[None] | None:
        """The sign-in under way (done once its listener is closed)."""
        return self._task

    def authorize_url(self) -> str:
        return self._authorize_url

    def error_text(self) -> str:
        return self._panel.text() if self.state == "error" else ""

    def status_text(self) -> str:
        return self._panel.text()

    # ---------------------------------------------------------------- the flow
    def start(self) -> None:
        """Begin a fresh sign-in (also what Try again does)."""
        if self._closed or (self._task is not None and not self._task.done()):
            return
        self.state = "starting"
        self._show_links(False)
        self._copy.setText("Copy link")
        self._panel.show_message("Opening your browser…", "Preparing a one-time address on "
                                 "this computer for Webull's answer.", retry=False, busy=True)
        task = asyncio.ensure_future(self._run())
        self._task = task
        task.add_done_callback(self._finished)

    async def _run(self) -> None:
        listener = LoopbackRedirectListener(self._registered, timeout_s=self._timeout_s)
        try:
            self.redirect_uri = await listener.start()
            request = self.session.begin_login(redirect_uri=self.redirect_uri)
            self._authorize_url = request.url
            self._deadline = time.monotonic() + self._timeout_s
            opened = self._open_url(QUrl(request.url))
            self.state = "waiting"
            self._show_links(True)
            self._waiting_text = (
                "Sign in and approve Pennant in the browser window that opened. This window "
                "continues by itself once Webull answers." if opened else
                "Pennant could not open a browser. Use Copy link and paste the address into "
                "your browser to sign in; this window continues by itself once Webull answers.")
            self._panel.show_message("Finish signing in in your browser…", "", retry=False,
                                     busy=True)
            self._tick()
            self._countdown.start()
            callback_url = await listener.wait()
            self._countdown.stop()
            self.state = "exchanging"
            self._show_links(False)
            self._panel.show_message("Signing in…", "Webull answered; Pennant is finishing the "
                                     "sign-in.", retry=False, busy=True)
            await self.session.complete_login(callback_url)
        finally:
            await listener.aclose()  # first: the dialog's widgets may already be deleted
            if not self._closed:
                self._countdown.stop()

    def _tick(self) -> None:
        left = remaining_text(self._deadline - time.monotonic())
        self._panel.set_body(f"{self._waiting_text}\n\nWaiting ({left} left)…")

    def _finished(self, task: asyncio.Future[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if self._closed:
            return
        if exc is None:
            self.state = "done"
            self.connected.emit()
            self.accept()
            return
        if isinstance(exc, LoginError):
            self._show_error(login_error_title(exc.kind), exc.message)
        elif isinstance(exc, TimeoutError):
            self._show_error(login_error_title(LoginErrorKind.TIMEOUT),
                             "No answer came from the browser in time. Try again and finish "
                             "signing in within the time shown.")
        elif isinstance(exc, ValueError):  # the registered loopback redirect is malformed
            self._show_error("The browser sign-in is not set up correctly",
                             f"The loopback redirect URI in Settings is not usable: {exc}.")
        elif isinstance(exc, OSError):
            self._show_error("Could not prepare the sign-in",
                             "Pennant could not listen for the browser's answer on this "
                             f"computer ({exc.strerror or type(exc).__name__}). Try again, or "
                             "use the embedded sign-in in Settings.")
        else:
            log.error("browser sign-in failed unexpectedly: %s", type(exc).__name__,
                      exc_info=exc)
            self._show_error("Sign-in failed", "Signing in failed unexpectedly "
                             f"({type(exc).__name__}). Try again; if it keeps happening, "
                             "restart Pennant.")

    def _show_error(self, title: str, text: str) -> None:
        self.state = "error"
        self._show_links(False)
        self._panel.show_message(title, text, retry=True)
        self.failed.emit(text)

    def _show_links(self, on: bool) -> None:
        self._copy.setVisible(on)
        self._reopen.setVisible(on)

    def _copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self._authorize_url)
        self._copy.setText("Link copied")

    # ---------------------------------------------------------------- closing
    def done(self, result: int) -> None:
        if not self._closed:
            self._closed = True
            self._countdown.stop()
            if self._task is not None and not self._task.done() and self.state != "exchanging":
                # its finally closes the listener; an exchange under way is left to finish
                # (it is short and the code is spent): cutting it off would leave the session
                # half signed in
                self._task.cancel()
            if self.state != "done":
                self.session.cancel_login()
        super().done(result)
