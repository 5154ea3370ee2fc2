"""The system-browser sign-in (RFC 8252) against the simulator; the browser is played by httpx."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication

from app.core.events import EventBus
from app.core.session import Session, SessionState
from app.demo import demo_connection
from app.sim import SimServer
from app.ui.browser_login import BrowserLoginDialog, remaining_text
from tests.ui.support import run

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class FakeBrowser:
    """Plays the system browser: follows the authorization redirect to the loopback listener
    from a thread (as a real browser would, outside Pennant's event loop)."""

    def __init__(self, *, follow: bool = True, opens: bool = True,
                 decision: str | None = None) -> None:
        self.follow = follow
        self.decision = decision  # sign in as demo and press this button (not auto-approve)
        self.opens = opens
        self.opened: list[str] = []
        self.pages: list[tuple[int, str]] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: QUrl) -> bool:
        self.opened.append(url.toString())
        if self.follow:
            thread = threading.Thread(target=self._visit, args=(url.toString(),), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self.opens

    def _visit(self, url: str) -> None:
        try:
            with httpx.Client(trust_env=False, timeout=10) as browser:
                answer = browser.get(url)
                if self.decision is not None:
                    base = url.split("/oauth2/")[0]
                    answer = browser.post(f"{base}/oauth2/login", data={
                        **hidden_fields(answer.text), "username": "demo",
                        "password": "demo1234"})
                    answer = browser.post(f"{base}/oauth2/consent", data={
                        **hidden_fields(answer.text), "decision": self.decision})
                assert answer.status_code == 302, answer.text
                landed = browser.get(answer.headers["location"])
                self.pages.append((landed.status_code, landed.text))
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', html))


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def session(loop, qtbot, sim) -> Iterator[Session]:
    env, creds = demo_connection(sim)
    made = Session(env, creds, EventBus(), keychain=None)
    yield made
    run(loop, qtbot, made.aclose())


def make(qtbot, session: Session, sim: SimServer, browser: FakeBrowser,
         **kwargs: float) -> BrowserLoginDialog:
    dialog = BrowserLoginDialog(session, sim.info.loopback_redirect_uri, open_url=browser,
                                **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_browser_sign_in_connects_through_the_loopback_listener(qtbot, session, sim) -> None:
    browser = FakeBrowser()
    dialog = make(qtbot, session, sim, browser)
    with qtbot.waitSignal(dialog.connected, timeout=15_000):
        dialog.start()
    browser.join()
    assert browser.errors == []
    assert dialog.state == "done" and dialog.result() == dialog.DialogCode.Accepted
    assert session.state is SessionState.CONNECTED and session.tokens is not None
    assert browser.opened == [dialog.authorize_url()]
    assert browser.pages and browser.pages[0][0] == 200
    assert "Sign-in received" in browser.pages[0][1]
    redirect = urlsplit(dialog.redirect_uri)
    assert redirect.hostname == "127.0.0.1" and redirect.port
    assert redirect.path.startswith("/oauth/callback/") and len(redirect.path) > 20
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.done())
    assert not listening(redirect.port)  # one-shot: closed after the answer


def test_waiting_shows_a_countdown_and_cancel_closes_the_listener(qtbot, session, sim) -> None:
    browser = FakeBrowser(follow=False)
    dialog = make(qtbot, session, sim, browser)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "waiting")
    assert "Finish signing in in your browser" in dialog.status_text()
    assert "5:00 left" in dialog.status_text() or "4:59 left" in dialog.status_text()
    port = urlsplit(dialog.redirect_uri).port
    assert port and listening(port)
    assert session.state is SessionState.CONNECTING
    qtbot.mouseClick(dialog._cancel, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Rejected
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.done())
    assert dialog.task.cancelled()
    assert not listening(port)
    assert session.state is SessionState.DISCONNECTED


def test_no_browser_offers_the_link_to_copy(qtbot, session, sim) -> None:
    browser = FakeBrowser(follow=False, opens=False)
    dialog = make(qtbot, session, sim, browser)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "waiting")
    assert "could not open a browser" in dialog.status_text()
    assert dialog._copy.isVisible()
    qtbot.mouseClick(dialog._copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == dialog.authorize_url()
    assert dialog.authorize_url().startswith(sim.info.base_url)
    dialog.reject()
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.done())


def test_no_answer_in_time_is_explained_and_try_again_restarts(qtbot, session, sim) -> None:
    browser = FakeBrowser(follow=False)
    dialog = make(qtbot, session, sim, browser, timeout_s=0.3)
    with qtbot.waitSignal(dialog.failed, timeout=15_000):
        dialog.start()
    assert dialog.state == "error"
    assert "took too long" in dialog.error_text()
    assert "No sign-in answer came back" in dialog.error_text()
    first_port = urlsplit(dialog.redirect_uri).port
    assert first_port and not listening(first_port)
    browser.follow = True
    dialog._timeout_s = 30.0
    with qtbot.waitSignal(dialog.connected, timeout=15_000):
        qtbot.mouseClick(dialog._panel.retry, Qt.MouseButton.LeftButton)
    browser.join()
    assert session.state is SessionState.CONNECTED
    assert len(browser.opened) == 2 and browser.opened[0] != browser.opened[1]


def test_a_refused_code_is_shown_in_words(qtbot, session, sim) -> None:
    sim.faults.server_error("/oauth2/tokens/create")
    browser = FakeBrowser()
    dialog = make(qtbot, session, sim, browser)
    with qtbot.waitSignal(dialog.failed, timeout=15_000) as failed:
        dialog.start()
    browser.join()
    assert dialog.state == "error"
    assert "finish the sign-in" in failed.args[0]
    assert session.tokens is None


@pytest.mark.parametrize(("seconds", "text"), [
    (300, "5:00"), (299.2, "5:00"), (61, "1:01"), (59.5, "1:00"), (0.2, "0:01"), (-3, "0:00"),
])
def test_remaining_text(seconds: float, text: str) -> None:
    assert remaining_text(seconds) == text


def test_the_browser_route_and_settings_never_load_qtwebengine() -> None:
    """Only the embedded login view may load QtWebEngine (it is imported when needed)."""
    probe = ("import sys, app.ui.browser_login, app.ui.settings_dialog; "
             "print(sorted(m for m in sys.modules if 'WebEngine' in m))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=30, check=True)
    assert done.stdout.strip() == "[]"


def test_a_malformed_loopback_redirect_is_explained(qtbot, session) -> None:
    dialog = BrowserLoginDialog(session, "http://127.0.0.1:8080/cb", open_url=FakeBrowser())
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=15_000):
        dialog.start()
    assert "loopback redirect URI in Settings" in dialog.error_text()
    assert session.state is SessionState.DISCONNECTED


def test_deny_in_the_browser_is_shown_in_words(loop, qtbot) -> None:
    with SimServer(seed=7) as sim:  # the real login and consent pages
        env, creds = demo_connection(sim)
        session = Session(env, creds, EventBus(), keychain=None)
        browser = FakeBrowser(decision="deny")
        dialog = make(qtbot, session, sim, browser)
        with qtbot.waitSignal(dialog.failed, timeout=15_000):
            dialog.start()
        browser.join()
        assert browser.errors == []
        assert "Access was not granted" in dialog.error_text()
        assert "denied" in dialog.error_text()
        assert session.state is SessionState.DISCONNECTED
        browser.decision = "approve"
        with qtbot.waitSignal(dialog.connected, timeout=15_000):
            dialog.start()
        browser.join()
        assert session.state is SessionState.CONNECTED
        run(loop, qtbot, session.aclose())


def test_listener_closes_even_when_the_dialog_is_deleted_at_once(qtbot, session, sim) -> None:
    """As the main window does: reject, then deleteLater right away."""
    dialog = BrowserLoginDialog(session, sim.info.loopback_redirect_uri,
                                open_url=FakeBrowser(follow=False))
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "waiting")
    port = urlsplit(dialog.redirect_uri).port
    task = dialog.task
    assert port and task is not None and listening(port)
    dialog.reject()
    dialog.deleteLater()
    qtbot.waitUntil(task.done)
    assert task.cancelled()
    assert not listening(port)
