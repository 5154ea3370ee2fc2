"""The embedded sign-in view against the real simulator in real QtWebEngine.

A recording request interceptor on the view's profile proves that the redirect to the
registered callback (host ``pennant.invalid``) never became a network request.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestInterceptor,
)

from app.core.events import EventBus
from app.core.session import Session, SessionState
from app.demo import demo_connection
from app.sim import SimServer
from app.ui.login_view import LoginDialog, navigation_problem
from app.webull.environments import Environment
from app.webull.oauth import ConnectCredentials
from tests.ui.support import run

#: QtWebEngine without a GPU or display says so once per process; harmless offscreen
pytestmark = [
    pytest.mark.qt_log_ignore(
        "QRhiGles2", "Failed to create RHI", "createPlatformVulkanInstance", "QVulkanInstance",
        "GBM is not supported", "propagateSizeHints", "GPUInfo not initialized",
    ),
]

CALLBACK_HOST = "pennant.invalid"


class Recorder(QWebEngineUrlRequestInterceptor):
    """Every URL the web engine was about to request from the network."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def interceptRequest(self, info) -> None:  # noqa: N802 - Qt's name
        self.urls.append(info.requestUrl().toString())

    def hosts(self) -> set[str]:
        return {urlsplit(u).hostname or "" for u in self.urls}


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7) as server:
        yield server


@pytest.fixture
def session(loop, qtbot, sim) -> Iterator[Session]:
    env, creds = demo_connection(sim)
    made = Session(env, creds, EventBus(), keychain=None)
    yield made
    run(loop, qtbot, made.aclose())


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made


@pytest.fixture
def dialog(qtbot, session, recorder) -> Iterator[LoginDialog]:
    made = LoginDialog(session)
    qtbot.addWidget(made)
    made.profile.setUrlRequestInterceptor(recorder)
    made.show()
    yield made
    if made.isVisible():
        made.reject()


def js(qtbot, dialog: LoginDialog, script: str, *, loads: bool = True) -> None:
    """Run ``script`` in the page; with ``loads`` wait for the page it navigates to."""
    if loads:
        with qtbot.waitSignal(dialog.page().loadFinished, timeout=15_000):
            dialog.page().runJavaScript(script)
    else:
        dialog.page().runJavaScript(script)


def open_login(qtbot, dialog: LoginDialog) -> None:
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "page", timeout=15_000)


def sign_in(qtbot, dialog: LoginDialog, user: str = "demo", password: str = "demo1234") -> None:
    js(qtbot, dialog, f"document.getElementById('username').value={json.dumps(user)};"
                      f"document.getElementById('password').value={json.dumps(password)};"
                      "document.querySelector('form').submit();")
    qtbot.waitUntil(lambda: dialog.state == "page", timeout=15_000)


def decide(dialog: LoginDialog, decision: str) -> None:
    dialog.page().runJavaScript(f"document.querySelector('button[value={decision}]').click();")


def current_state_param(dialog: LoginDialog) -> str:
    """The state of the pending sign-in, read from the authorization URL the view opened."""
    request = dialog._request
    assert request is not None
    return parse_qs(urlsplit(request.url).query)["state"][0]


def test_sign_in_approve_is_intercepted_and_connects(qtbot, dialog, session, recorder,
                                                     sim) -> None:
    open_login(qtbot, dialog)
    host = urlsplit(sim.info.base_url).netloc
    assert host in dialog.address_text() and "LOCAL" in dialog.address_text()
    sign_in(qtbot, dialog)
    with qtbot.waitSignal(dialog.connected, timeout=15_000):
        decide(dialog, "approve")
    assert dialog.state == "done"
    assert dialog.result() == dialog.DialogCode.Accepted
    assert session.state is SessionState.CONNECTED and session.tokens is not None
    assert CALLBACK_HOST not in recorder.hosts()
    assert recorder.hosts() == {"127.0.0.1"}
    assert any("/oauth2/consent" in u for u in recorder.urls)  # the recorder did see traffic


def test_deny_shows_words_and_try_again_succeeds(qtbot, dialog, session, recorder) -> None:
    open_login(qtbot, dialog)
    sign_in(qtbot, dialog)
    with qtbot.waitSignal(dialog.failed, timeout=15_000) as failed:
        decide(dialog, "deny")
    assert dialog.state == "error"
    assert "denied" in dialog.error_text()
    assert "Access was not granted" in dialog.error_text()
    assert failed.args[0] in dialog.error_text()
    assert session.state is SessionState.DISCONNECTED
    qtbot.mouseClick(dialog._panel.retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state == "page", timeout=15_000)
    sign_in(qtbot, dialog)
    with qtbot.waitSignal(dialog.connected, timeout=15_000):
        decide(dialog, "approve")
    assert session.state is SessionState.CONNECTED
    assert CALLBACK_HOST not in recorder.hosts()


def test_forged_state_is_refused(qtbot, dialog, session, sim, recorder) -> None:
    open_login(qtbot, dialog)
    forged = f"{sim.info.redirect_uri}?code=stolen-code&state=forged-state"
    with qtbot.waitSignal(dialog.failed, timeout=15_000):
        js(qtbot, dialog, f"location.href={json.dumps(forged)};", loads=False)
    assert "could not be verified" in dialog.error_text()
    assert "safety" in dialog.error_text()
    assert session.tokens is None
    assert CALLBACK_HOST not in recorder.hosts()


def test_expired_or_used_code_is_explained(qtbot, dialog, session, sim) -> None:
    """The state is genuine but Webull refuses the code (as for an expired or used one)."""
    open_login(qtbot, dialog)
    answer = f"{sim.info.redirect_uri}?code=no-such-code&state={current_state_param(dialog)}"
    with qtbot.waitSignal(dialog.failed, timeout=15_000):
        js(qtbot, dialog, f"location.href={json.dumps(answer)};", loads=False)
    assert "expired" in dialog.error_text()
    assert "already used or expired" in dialog.error_text()
    assert session.tokens is None
    dialog.start()  # Try again
    qtbot.waitUntil(lambda: dialog.state == "page", timeout=15_000)


def test_navigation_to_another_host_is_blocked_and_reported(qtbot, dialog, recorder) -> None:
    open_login(qtbot, dialog)
    js(qtbot, dialog, "location.href='http://example.invalid/steal';")
    qtbot.waitUntil(lambda: "example.invalid" in dialog.notice_text())
    assert "Blocked" in dialog.notice_text()
    assert dialog.state == "page"  # the sign-in page stays usable
    assert "example.invalid" not in recorder.hosts()
    assert "example.invalid" not in dialog.address_text()


def test_unreachable_server_shows_a_load_failure_and_retry_works(qtbot, dialog, sim) -> None:
    host = urlsplit(sim.info.base_url).netloc
    sim.stop()
    with qtbot.waitSignal(dialog.failed, timeout=15_000):
        dialog.start()
    assert dialog.state == "error"
    assert f"Could not reach {host}" in dialog.error_text()
    sim.start()  # same port again
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "page", timeout=15_000)


def test_cancel_abandons_the_sign_in_and_frees_the_page(qtbot, dialog, session) -> None:
    open_login(qtbot, dialog)
    assert session.state is SessionState.CONNECTING
    dialog.reject()
    assert session.state is SessionState.DISCONNECTED
    with pytest.raises(RuntimeError, match="closed"):
        dialog.page()
    assert dialog.findChildren(QWebEnginePage) == []  # deleted at once, before its profile
    qtbot.waitUntil(lambda: dialog.findChildren(QWebEngineProfile) == [])
    assert not dialog.view.isVisible()


def test_pop_ups_are_blocked(qtbot, dialog) -> None:
    open_login(qtbot, dialog)
    page = dialog.page()
    assert page.createWindow(QWebEnginePage.WebWindowType.WebBrowserTab) is None
    qtbot.waitUntil(lambda: "pop-up" in dialog.notice_text())
    assert page.chooseFiles(QWebEnginePage.FileSelectionMode.FileSelectOpen, [], []) == []
    profile = dialog.profile
    assert profile.isOffTheRecord() and profile.storageName() == ""


@pytest.mark.parametrize(("url", "main", "verdict"), [
    ("http://127.0.0.1:8000/oauth2/login", True, None),
    ("https://passport.webull.com/x", True, None),
    ("http://passport.webull.com/x", True, "without encryption"),
    ("https://evil.example/x", True, "evil.example is not one"),
    ("file:///etc/passwd", True, "file: address"),
    ("javascript:alert(1)", True, "javascript: address"),
    ("about:blank", False, None),
    ("about:blank", True, "about: address"),
])
def test_navigation_rules(url: str, main: bool, verdict: str | None) -> None:
    allowed = ("127.0.0.1", "passport.webull.com")
    problem = navigation_problem(QUrl(url), allowed, main)
    if verdict is None:
        assert problem is None
    else:
        assert problem is not None and verdict in problem


# ------------------------------------------------------------------ a hand-made sign-in server


class _Pages(BaseHTTPRequestHandler):
    """A stand-in sign-in host: a page, and a file served as a download."""

    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        if self.path.startswith("/download"):
            body, kind = b"secret,data\n", "text/csv"
            extra = [("Content-Disposition", 'attachment; filename="data.csv"')]
        else:
            body, kind, extra = b"<!doctype html><title>Sign in</title><p>Sign in", \
                "text/html", []
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def pages_server(tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Pages", (_Pages,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def self_signed(tmp_path) -> ssl.SSLContext:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def session_for(base_url: str) -> Session:
    creds = ConnectCredentials("client", "client-secret", "app-key", "app-secret", "user",
                               "https://pennant.invalid/oauth/callback")
    return Session(Environment.demo(base_url), creds, EventBus(), keychain=None)


def test_certificate_errors_are_refused_and_explained(loop, qtbot, tmp_path) -> None:
    with pages_server(self_signed(tmp_path)) as (base, hits):
        session = session_for(base)
        dialog = LoginDialog(session)
        qtbot.addWidget(dialog)
        dialog.show()
        with qtbot.waitSignal(dialog.failed, timeout=15_000):
            dialog.start()
        assert "is not secure" in dialog.error_text()
        assert "Pennant refused it" in dialog.error_text()
        assert hits == []  # no request was sent over the untrusted connection
        dialog.reject()
        run(loop, qtbot, session.aclose())


def test_downloads_are_blocked(loop, qtbot) -> None:
    with pages_server() as (base, hits):
        session = session_for(base)
        dialog = LoginDialog(session)
        qtbot.addWidget(dialog)
        dialog.show()
        open_login(qtbot, dialog)
        js(qtbot, dialog, "location.href='/download';", loads=False)
        qtbot.waitUntil(lambda: "download was blocked" in dialog.notice_text(), timeout=15_000)
        assert any(h.startswith("/download") for h in hits)
        assert dialog.state == "page"
        dialog.reject()
        run(loop, qtbot, session.aclose())
