"""Helpers for driving the simulator over loopback with plain httpx, as the spec says a client
must: requests are signed here with app.webull.signing only (never the app's transport or
OAuth code), so the simulator is tested against API.md, not against our client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from app.sim import SimServer
from app.webull.signing import Algorithm, SigningKey, sign_headers, utc_timestamp


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    body: dict[str, str]


def host_of(sim: SimServer) -> str:
    return urlsplit(sim.info.base_url).netloc


def partner_key(sim: SimServer) -> SigningKey:
    return SigningKey(sim.info.app_key, sim.info.app_secret)


def signed_headers(sim: SimServer, path: str, *, key: SigningKey | None = None,
                   query: list[tuple[str, str]] | dict[str, str] | None = None,
                   body: bytes | None = None, form: list[tuple[str, str]] | None = None,
                   algorithm: Algorithm = "HMAC-SHA1", host: str | None = None,
                   timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    return sign_headers(
        key or partner_key(sim), host=host or host_of(sim), path=path, query=query, body=body,
        form=form, algorithm=algorithm,
        timestamp=timestamp or utc_timestamp(sim.clock.now()), nonce=nonce,
    )


def call(http: httpx.Client, sim: SimServer, path: str, *,
         query: dict[str, str] | None = None, bearer: str | None = None,
         access_token: str | None = None, key: SigningKey | None = None, sign: bool = True,
         version: str | None = "v3", algorithm: Algorithm = "HMAC-SHA1",
         method: str = "GET", json_body: Any = None,
         extra: dict[str, str] | None = None) -> httpx.Response:
    """A Trading/Connect API call, signed like the spec says (unless ``sign`` is False)."""
    pairs = list((query or {}).items())
    body = None
    headers: dict[str, str] = {"Accept": "application/json"}
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    if sign:
        headers.update(signed_headers(sim, path, key=key, query=pairs, body=body,
                                      algorithm=algorithm))
    if version:
        headers["x-version"] = version
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    if access_token:
        headers["x-access-token"] = access_token
    headers.update(extra or {})
    url = sim.info.base_url + path + (("?" + urlencode(pairs)) if pairs else "")
    return http.request(method, url, content=body, headers=headers)


def authorize_params(sim: SimServer, **override: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code", "client_id": sim.info.client_id, "scope": sim.info.scope,
        "state": "st-" + "x" * 20, "redirect_uri": sim.info.redirect_uri,
    }
    params.update(override)
    return {k: v for k, v in params.items() if v is not None}


class _Forms(HTMLParser):
    """Collects each form's action and fields (hidden inputs and submit buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"),
                               "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value")))


def form_of(page: httpx.Response) -> dict[str, Any]:
    parser = _Forms()
    parser.feed(page.text)
    assert len(parser.forms) == 1, f"expected one form, got {len(parser.forms)}"
    return parser.forms[0]


def post_form(http: httpx.Client, sim: SimServer, form: dict[str, Any],
              **fields: str) -> httpx.Response:
    data = {**form["fields"], **fields}
    return http.post(sim.info.base_url + form["action"], data=data)


def login(http: httpx.Client, sim: SimServer, username: str = "demo",
          password: str = "demo1234", state: str = "st-" + "x" * 20) -> httpx.Response:
    """Authorization page → login form → the consent page."""
    page = http.get(sim.info.login_url, params=authorize_params(sim, state=state))
    assert page.status_code == 200, page.text
    consent = post_form(http, sim, form_of(page), username=username, password=password)
    assert consent.status_code == 200, consent.text
    return consent


def callback_params(response: httpx.Response, sim: SimServer) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(sim.info.redirect_uri + "?"), location
    parsed = parse_qs(urlsplit(location).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values()), parsed
    return {k: v[0] for k, v in parsed.items()}


def authorization_code(http: httpx.Client, sim: SimServer, username: str = "demo",
                       password: str = "demo1234") -> str:
    consent = login(http, sim, username, password)
    approved = post_form(http, sim, form_of(consent), decision="approve")
    return callback_params(approved, sim)["code"]


def token_request(http: httpx.Client, sim: SimServer, form: dict[str, str], *,
                  path: str = "/oauth2/tokens/create", version: str = "v2",
                  sign: bool = True, key: SigningKey | None = None) -> httpx.Response:
    pairs = list(form.items())
    raw = urlencode(pairs).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               "x-version": version}
    if sign:
        headers.update(signed_headers(sim, path, key=key, form=pairs))
    return http.post(sim.info.base_url + path, content=raw, headers=headers)


def client_form(sim: SimServer, **grant: str) -> dict[str, str]:
    return {"client_id": sim.info.client_id, "client_secret": sim.info.client_secret, **grant}


def exchange(http: httpx.Client, sim: SimServer, code: str) -> Tokens:
    response = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                    code=code))
    assert response.status_code == 200, response.text
    body = response.json()
    return Tokens(body["access_token"], body["refresh_token"], body)


def connect_tokens(http: httpx.Client, sim: SimServer, username: str = "demo",
                   password: str = "demo1234") -> Tokens:
    return exchange(http, sim, authorization_code(http, sim, username, password))


def trading_token(http: httpx.Client, sim: SimServer, username: str = "demo") -> tuple[
        SigningKey, str]:
    """A user's Trading API app key and a NORMAL 2FA token (sandbox behaviour)."""
    user = next(u for u in sim.demo_users() if u.username == username)
    key = SigningKey(user.app_key, user.app_secret)
    response = call(http, sim, "/auth/tokens/create", key=key, method="POST", json_body={})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "NORMAL"
    return key, response.json()["token"]


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["error_code"]


def csrf_fields(page: httpx.Response) -> dict[str, str]:
    fields = form_of(page)["fields"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", fields["csrf"]), fields
    return fields


# ------------------------------------------------------------------------------ the CLI

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliRun:
    """``python -m app.sim`` run as a separate process; ``out``/``err`` are set once it stops."""

    proc: subprocess.Popen[str]
    info: dict[str, str] = field(default_factory=dict)
    out: str = ""
    err: str = ""


@contextmanager
def cli_simulator(*args: str, stop_signal: signal.Signals = signal.SIGTERM) -> Iterator[CliRun]:
    """Start the CLI, read its one JSON line, yield; on leaving, stop it with ``stop_signal``
    and collect what it printed (killed instead if anything went wrong)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "app.sim", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = CliRun(proc)
    try:
        assert proc.stdout is not None
        run.info = json.loads(proc.stdout.readline())  # returns once the server listens
        yield run
        proc.send_signal(stop_signal)
        run.out, run.err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
