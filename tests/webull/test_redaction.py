"""Canaries: secrets and tokens never reach repr(), exception text or logs."""

from __future__ import annotations

import logging
import traceback
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.webull import endpoints as ep
from app.webull.errors import WebullError
from app.webull.oauth import AuthorizationFlow, ConnectCredentials, TokenManager
from app.webull.redaction import MASK, redact, register_secret

CANARY = {
    "client_secret": "CANARY-CLIENT-SECRET-7f3a",
    "app_secret": "CANARY-APP-SECRET-91bc",
    "access": "CANARY-ACCESS-TOKEN-5d2e",
    "refresh": "CANARY-REFRESH-TOKEN-a4c0",
    "code": "CANARY-AUTH-CODE-33ff",
}


def leaked(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    return [v for v in (*CANARY.values(), *extra) if v in text]


async def test_no_secret_escapes_a_whole_session(
    transport_factory: Any, sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = ConnectCredentials(
        client_id="CLIENT", client_secret=CANARY["client_secret"], app_key="APPKEY",
        app_secret=CANARY["app_secret"], scope="user:trade:wr",
        redirect_uri="https://partner.example.com/cb",
    )
    flow = AuthorizationFlow(sandbox, creds)
    url = flow.begin()
    state = parse_qs(urlsplit(url).query)["state"][0]
    callback = f"{creds.redirect_uri}?code={CANARY['code']}&state={state}"
    logging.getLogger("test").info("navigating to %s then %s", url, callback)
    code = flow.complete(callback)

    phase = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        phase["n"] += 1
        if request.url.path == "/oauth2/tokens/create" and phase["n"] == 1:
            return httpx.Response(200, json={
                "access_token": CANARY["access"], "token_type": "Bearer", "expires_in": "1800",
                "rt_expires_in": "1296000", "refresh_token": CANARY["refresh"],
                "created_at": "2026-09-21T14:35:13.532+0000", "identity_id": "abc"})
        if request.url.path == "/oauth2/tokens/create":
            # a truncated token response that holds the (new) token
            return httpx.Response(200, content=b'{"access_token":"' + CANARY["access"].encode(),
                                  headers={"content-type": "application/json"})
        # a server that echoes the credentials it received
        auth = request.headers.get("authorization", "")
        return httpx.Response(401, json={"error_code": "INVALID_TOKEN",
                                         "message": f"token {auth} refused; sig "
                                                    f"{request.headers['x-signature']}"})

    tm = TokenManager(transport_factory(handler, attempts=1), creds)
    texts: list[str] = [repr(creds), str(creds), repr(flow.states.__dict__.keys())]
    tokens = await tm.exchange_code(code)
    texts += [repr(tokens), str(tokens), repr(tm)]
    t = transport_factory(handler, attempts=1)
    errors: list[BaseException] = []
    try:
        await t.request(ep.ACCOUNTS, token=tm.access_token)
    except WebullError as exc:
        errors.append(exc)
    try:
        await tm.refresh()
    except WebullError as exc:
        errors.append(exc)
    assert len(errors) == 2
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        logging.getLogger("app.test").exception("failed: %s", exc, exc_info=exc)
    logging.getLogger("app.test").debug("headers %s", {"Authorization": f"Bearer {CANARY['access']}"})
    texts += [r.getMessage() for r in caplog.records]
    texts.append(caplog.text)
    for text in texts:
        assert leaked(text, (state,)) == [], text


def test_redact_masks_registered_values_and_shapes() -> None:
    register_secret("ZZ-REGISTERED-SECRET")
    assert redact("x ZZ-REGISTERED-SECRET y") == f"x {MASK} y"
    assert redact("Authorization: Bearer abc") == f"Authorization: Bearer {MASK}"
    assert redact("https://cb/?code=abc%3D&state=s1&x=2") == f"https://cb/?code={MASK}&state={MASK}&x=2"
    assert redact('{"refresh_token": "r1"}') == f'{{"refresh_token": "{MASK}"}}'
    assert redact("x-signature: abc=") == f"x-signature: {MASK}"
    # ordinary words stay readable
    assert redact("order status: FILLED, error_code=INVALID") == "order status: FILLED, error_code=INVALID"


def test_short_values_are_not_registered() -> None:
    register_secret("ab", None, "")
    assert redact("ab cd") == "ab cd"


def test_tracebacks_in_logs_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("ZZ-TRACEBACK-SECRET-42")
    try:
        {}["ZZ-TRACEBACK-SECRET-42"]
    except KeyError:
        logging.getLogger("app.test").exception("lookup failed")
    assert "lookup failed" in caplog.text and "KeyError" in caplog.text
    assert "ZZ-TRACEBACK-SECRET-42" not in caplog.text


def test_registry_is_bounded_but_keeps_pinned_credentials() -> None:
    from app.webull import redaction

    register_secret("ZZ-PINNED-CREDENTIAL", pinned=True)
    register_secret("ZZ-OLD-TOKEN-0000")
    for i in range(redaction.MAX_SECRETS):
        register_secret(f"ZZ-NEWER-TOKEN-{i:04d}")
    assert len(redaction._recent) == redaction.MAX_SECRETS
    assert redact("ZZ-PINNED-CREDENTIAL") == MASK
    assert redact(f"ZZ-NEWER-TOKEN-{redaction.MAX_SECRETS - 1:04d}") == MASK
    assert "ZZ-OLD-TOKEN-0000" in redact("ZZ-OLD-TOKEN-0000")  # long expired: forgotten
