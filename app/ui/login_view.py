"""The embedded Webull sign-in: a locked-down QtWebEngine view that catches the OAuth redirect.

Importing this module loads QtWebEngine (tens of MB and several processes), so the main window
imports it only when the user clicks Connect. The view uses a throw-away in-memory profile,
may only navigate to the environment's sign-in hosts, refuses certificate errors, pop-ups and
downloads, and intercepts the navigation to the registered redirect URI before any network
request: the authorization code is handed straight to the session and never leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWebEngineCore import (
    QWebEngineCertificateError,
    QWebEngineDownloadRequest,
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.session import LoginError, LoginRequest, Session
from app.webull.oauth import is_redirect_target

from .login_panels import (
    ERROR_RED,
    MessagePanel,
    environment_banner,
    login_error_title,
)

log = logging.getLogger(__name__)

#: frames may show these blank documents (common in login pages); they touch no network
_BLANK_SUBFRAME_URLS = ("about:blank", "about:srcdoc")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def navigation_problem(url: QUrl, allowed_hosts: Sequence[str], main_frame: bool) -> str | None:
    """Why a navigation must be refused (in words), or None when it may go ahead."""
    scheme = url.scheme().lower()
    if not main_frame and url.toString() in _BLANK_SUBFRAME_URLS:
        return None
    if scheme not in ("http", "https"):
        return f"a {scheme or 'local'}: address is not part of the sign-in"
    host = url.host().lower()
    if host not in allowed_hosts:
        return f"{host or 'an unnamed host'} is not one of this environment's sign-in hosts"
    if scheme == "http" and host not in _LOOPBACK:
        return f"{host} was asked for without encryption (http)"
    return None


class LoginPage(QWebEnginePage):
    """A page that asks ``guard`` before every navigation and opens no windows or files."""

    popup_blocked = Signal()

    def __init__(self, profile: QWebEngineProfile, guard: Callable[[QUrl, bool], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(profile, parent)
        self._guard = guard

    def acceptNavigationRequest(self, url: QUrl | str, type: QWebEnginePage.NavigationType,
                                isMainFrame: bool) -> bool:
        return self._guard(QUrl(url), isMainFrame)

    def createWindow(self, type: QWebEnginePage.WebWindowType) -> Any:
        self.popup_blocked.emit()
        return None

    def chooseFiles(self, mode: QWebEnginePage.FileSelectionMode, oldFiles: Sequence[str],
                    acceptedMimeTypes: Sequence[str]) -> list[str]:
        return []


class AddressBar(QFrame):
    """Where the page comes from: the host in large type, how the connection is protected,
    and the full address (read-only), so the user can check it is really Webull."""

    _BADGES = {
        "https": ("HTTPS", "#1e7e34", "Encrypted connection (https)"),
        "loopback": ("LOCAL", "#1a5fb4", "This computer (the Demo simulator); never leaves "
                     "the machine"),
        "insecure": ("NOT SECURE", ERROR_RED, "Not encrypted"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._badge = QLabel(self)
        self._host = QLabel(self)
        font = self._host.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self._host.setFont(font)
        self._host.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._url = QLineEdit(self)
        self._url.setReadOnly(True)
        self._url.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._url.setAccessibleName("Address of the sign-in page")
        top = QHBoxLayout()
        top.addWidget(self._badge)
        top.addWidget(self._host, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self._url)

    def show_url(self, url: QUrl) -> None:
        host = url.host()
        if url.port() > 0:
            host += f":{url.port()}"
        scheme = url.scheme().lower()
        kind = ("https" if scheme == "https" else
                "loopback" if scheme == "http" and url.host() in _LOOPBACK else "insecure")
        word, colour, tip = self._BADGES[kind]
        self._badge.setText(word)
        self._badge.setToolTip(tip)
        self._badge.setStyleSheet(f"background: {colour}; color: white; font-weight: bold; "
                                  "padding: 2px 6px; border-radius: 3px;")
        self._host.setText(host or url.scheme())
        self._url.setText(url.toString())
        self._url.setCursorPosition(0)

    def text(self) -> str:
        return f"{self._host.text()} [{self._badge.text()}] {self._url.text()}"


class NoticeBar(QLabel):
    """An amber line for what the view refused (blocked host, pop-up, download, certificate)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("background: #fff3cd; color: #5c4400; border: 1px solid #e0c36a; "
                           "padding: 6px 10px; border-radius: 4px;")
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.show()

    def clear(self) -> None:
        self.setText("")
        self.hide()

    def text_shown(self) -> str:
        return self.text() if not self.isHidden() else ""


def _harden(profile: QWebEngineProfile) -> None:
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentPermissionsPolicy(
        QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime)
    profile.setSpellCheckEnabled(False)
    attr = QWebEngineSettings.WebAttribute
    settings = profile.settings()
    for name, on in (
        (attr.JavascriptEnabled, True),  # login pages need it
        (attr.PluginsEnabled, False),
        (attr.JavascriptCanOpenWindows, False),
        (attr.JavascriptCanAccessClipboard, False),
        (attr.JavascriptCanPaste, False),
        (attr.AllowWindowActivationFromJavaScript, False),
        (attr.LocalContentCanAccessRemoteUrls, False),
        (attr.LocalContentCanAccessFileUrls, False),
        (attr.AllowRunningInsecureContent, False),
        (attr.AllowGeolocationOnInsecureOrigins, False),
        (attr.DnsPrefetchEnabled, False),  # never resolve hosts the page merely mentions
        (attr.HyperlinkAuditingEnabled, False),
        (attr.ScreenCaptureEnabled, False),
        (attr.FullScreenSupportEnabled, False),
        (attr.PdfViewerEnabled, False),
        (attr.NavigateOnDropEnabled, False),
        (attr.WebRTCPublicInterfacesOnly, True),
    ):
        settings.setAttribute(name, on)


class LoginDialog(QDialog):
    """Sign in to Webull inside Pennant. ``start()`` begins; accepted once the session holds
    tokens; on failure an error panel explains and offers Try again."""

    connected = Signal()
    failed = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = "idle"
        self._request: LoginRequest | None = None
        self._exchange: asyncio.Future[None] | None = None
        self._cert_problem = ""
        self._closed = False
        env = session.environment
        self.setWindowTitle(f"Connect Webull — {env.label}")
        self.resize(600, 760)

        self.profile = QWebEngineProfile(self)  # no storage name: off the record, in memory only
        _harden(self.profile)
        self.profile.downloadRequested.connect(self._on_download)
        self.view = QWebEngineView(self)
        self._page: LoginPage | None = LoginPage(self.profile, self._on_navigation, self)
        # children die in the order they were added: move the profile behind its page, so
        # that even without done() (the parent window closing) the page goes first
        self.profile.setParent(None)
        self.profile.setParent(self)
        self._page.certificateError.connect(self._on_certificate_error)
        self._page.permissionRequested.connect(lambda p: p.deny())  # camera, location…
        self._page.popup_blocked.connect(
            lambda: self._notice.show_text("A pop-up window was blocked."))
        self._page.urlChanged.connect(self._on_url_changed)
        self._page.loadStarted.connect(self._on_load_started)
        self._page.loadingChanged.connect(self._on_loading_changed)
        self.view.setPage(self._page)

        self._address = AddressBar(self)
        self._notice = NoticeBar(self)
        self._panel = MessagePanel(self)
        self._panel.retry.clicked.connect(self.start)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.view)
        self._stack.addWidget(self._panel)
        self._cancel = QPushButton("Cancel", self)
        self._cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(environment_banner(env, self))
        layout.addWidget(self._address)
        layout.addWidget(self._notice)
        layout.addWidget(self._stack, 1)
        layout.addLayout(buttons)

    # ---------------------------------------------------------------- for callers and tests
    def page(self) -> LoginPage:
        if self._page is None:
            raise RuntimeError("the sign-in page was already closed")
        return self._page

    def error_text(self) -> str:
        return self._panel.text() if self.state == "error" else ""

    def address_text(self) -> str:
        return self._address.text()

    def notice_text(self) -> str:
        return self._notice.text_shown()

    # ---------------------------------------------------------------- the flow
    def start(self) -> None:
        """Begin a fresh sign-in (also what Try again does)."""
        if self._closed:
            return
        self._notice.clear()
        self._cert_problem = ""
        try:
            self._request = self.session.begin_login()
        except LoginError as exc:
            self._show_error(login_error_title(exc.kind), exc.message)
            return
        self.state = "loading"
        self._stack.setCurrentWidget(self.view)
        url = QUrl(self._request.url)
        self._address.show_url(url)
        self.page().load(url)

    def _on_navigation(self, url: QUrl, main_frame: bool) -> bool:
        request = self._request
        if request is None or self._closed:
            return False
        text = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        if is_redirect_target(text, request.redirect_uri):
            if not main_frame:  # only the page itself may finish the sign-in, never a frame
                log.warning("sign-in view blocked a frame navigating to the redirect address")
                return False
            # never let this reach the network: the code is handed to the session instead
            if self.state in ("loading", "page"):
                # leave this Chromium callback first: changing widgets inside it crashes
                self.state = "exchanging"
                QTimer.singleShot(0, lambda: self._complete(text))
            return False
        problem = navigation_problem(url, request.allowed_hosts, main_frame)
        if problem is None:
            return True
        log.warning("sign-in view blocked a navigation: %s", problem)
        self._notice.show_text(f"Blocked: {problem}. Pennant only opens Webull's own sign-in "
                               "pages here.")
        return False

    def _complete(self, callback_url: str) -> None:
        if self._closed:
            return
        self._panel.show_message("Signing in…", "Webull answered; Pennant is finishing the "
                                 "sign-in.", retry=False, busy=True)
        self._stack.setCurrentWidget(self._panel)
        future = asyncio.ensure_future(self.session.complete_login(callback_url))
        self._exchange = future
        future.add_done_callback(self._exchange_done)

    def _exchange_done(self, future: asyncio.Future[None]) -> None:
        if future is self._exchange:
            self._exchange = None
        if future.cancelled():
            return
        exc = future.exception()
        if self._closed:
            return
        if exc is None:
            self.state = "done"
            self.connected.emit()
            self.accept()
        elif isinstance(exc, LoginError):
            self._show_error(login_error_title(exc.kind), exc.message)
        else:
            log.error("sign-in failed unexpectedly: %s", type(exc).__name__, exc_info=exc)
            self._show_error("Sign-in failed", "Signing in failed unexpectedly "
                             f"({type(exc).__name__}). Try again; if it keeps happening, "
                             "restart Pennant.")

    # ---------------------------------------------------------------- page events
    def _on_url_changed(self, url: QUrl) -> None:
        if not url.isEmpty():
            self._address.show_url(url)

    def _on_load_started(self) -> None:
        if self.state == "page":
            self.state = "loading"

    def _on_loading_changed(self, info: QWebEngineLoadingInfo) -> None:
        status = info.status()
        if self.state != "loading" or status == QWebEngineLoadingInfo.LoadStatus.LoadStartedStatus:
            return
        if status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus:
            self.state = "page"
            self._notice.clear()  # it was about the page before
            return
        if status == QWebEngineLoadingInfo.LoadStatus.LoadStoppedStatus or (
                self._request is not None and is_redirect_target(
                    info.url().toString(), self._request.redirect_uri)):
            self.state = "page"  # a navigation we refused: the last page stays
            return
        host = info.url().host() or "the sign-in server"
        if info.url().port() > 0:
            host += f":{info.url().port()}"
        if self._cert_problem:
            text = self._cert_problem
        else:
            text = (f"Could not reach {host} ({info.errorString() or 'no answer'}). Check the "
                    "internet connection — for Demo, that the simulator is running — then try "
                    "again.")
        self._show_error("The sign-in page did not load", text)

    def _on_certificate_error(self, error: QWebEngineCertificateError) -> None:
        error.rejectCertificate()  # never accepted, not even on request
        host = error.url().host()
        self._cert_problem = (f"The connection to {host} is not secure: {error.description()} "
                              "Pennant refused it. Check the computer's date and network "
                              "(a proxy or captive portal can cause this).")
        log.warning("sign-in view refused a certificate for %s (%s)", host, error.type().name)
        self._notice.show_text(f"Refused an insecure connection to {host}.")

    def _on_download(self, download: QWebEngineDownloadRequest) -> None:
        download.cancel()
        self._notice.show_text("A download was blocked: the sign-in needs none.")

    # ---------------------------------------------------------------- states and closing
    def _show_error(self, title: str, text: str) -> None:
        self.state = "error"
        self._notice.clear()
        self._panel.show_message(title, text, retry=True)
        self._stack.setCurrentWidget(self._panel)
        self.failed.emit(text)

    def done(self, result: int) -> None:
        if not self._closed:
            self._closed = True
            # an exchange under way is left to finish (it is short and the code is spent):
            # cutting it off would leave the session half signed in
            if self.state != "done":
                self.session.cancel_login()
            self._teardown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self.reject()
        super().closeEvent(event)

    def _teardown(self) -> None:
        """Free the web engine now: close the view, then delete the page before its profile
        (ENVIRONMENT.md) so the renderer processes go away with them."""
        page, self._page = self._page, None
        self.view.close()
        if page is not None:
            page.triggerAction(QWebEnginePage.WebAction.Stop)
            shiboken6.delete(page)
        self.profile.deleteLater()
