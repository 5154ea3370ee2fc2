"""OAuth: authorization URL, state, callback, token create/refresh and their failure paths."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.webull.errors import (
    AuthError,
    AuthorizationDeniedError,
    OAuthFlowError,
    ResponseDecodeError,
    StateError,
    TokenRejectedError,
    TransportError,
)
from app.webull.oauth import (
    AuthorizationFlow,
    ConnectCredentials,
    StateStore,
    TokenManager,
    TokenSet,
    authorization_url,
    is_redirect_target,
    parse_callback,
)

from .conftest import json_response

T0 = datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


# ----------------------------------------------------------------- authorization URL and state


def test_authorization_url_matches_documented_form(sandbox: Any, creds: ConnectCredentials,
                                                   examples: dict[str, Any]) -> None:
    doc = examples["connect"]["authorize_request"]
    url = authorization_url(sandbox, creds, doc["query"]["state"])
    assert url == doc["url"]
    q = parse_qs(urlsplit(url).query)
    assert {k: v[0] for k, v in q.items()} == doc["query"]


def test_state_is_random_and_long(creds: ConnectCredentials, sandbox: Any) -> None:
    store = StateStore()
    states = {store.issue() for _ in range(50)}
    assert len(states) == 50
    assert all(len(s) >= 40 for s in states)  # 32 random bytes, URL-safe


@pytest.mark.parametrize(
    ("state", "reason"), [(None, "missing"), ("", "missing"), ("not-a-state-we-issued", "mismatch")]
)
def test_state_refused_when_missing_or_mismatched(state: str | None, reason: str) -> None:
    store = StateStore()
    store.issue()
    with pytest.raises(StateError) as info:
        store.consume(state)
    assert info.value.reason == reason


def test_state_is_single_use() -> None:
    store = StateStore()
    s = store.issue()
    store.consume(s)
    with pytest.raises(StateError) as info:
        store.consume(s)
    assert info.value.reason == "replayed"


def test_state_expires() -> None:
    clock = Clock()
    store = StateStore(ttl_s=600, clock=clock)
    s = store.issue()
    clock.t += 601
    with pytest.raises(StateError) as info:
        store.consume(s)
    assert info.value.reason == "expired"
    # and an expired state cannot be used afterwards either
    with pytest.raises(StateError):
        store.consume(s)


def test_old_states_are_pruned() -> None:
    clock = Clock()
    store = StateStore(ttl_s=10, clock=clock)
    for _ in range(5):
        store.issue()
    clock.t += 100
    store.issue()
    assert len(store._pending) == 1


# ----------------------------------------------------------------- callback


def test_callback_success(sandbox: Any, creds: ConnectCredentials, examples: dict[str, Any]) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    callback = f"{creds.redirect_uri}?code=MDM2T0IyUFNRNDk4UzBLSEtCVDgwMDAwMDA%3D&state={state}"
    assert flow.complete(callback) == "MDM2T0IyUFNRNDk4UzBLSEtCVDgwMDAwMDA="  # URL-decoded


def test_callback_access_denied(sandbox: Any, creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    url = f"{creds.redirect_uri}?error=access_denied&error_description=User+said+no&state={state}"
    with pytest.raises(AuthorizationDeniedError) as info:
        flow.complete(url)
    assert info.value.error == "access_denied"
    assert info.value.description == "User said no"
    assert "denied" in str(info.value)


def test_callback_other_error_code(sandbox: Any, creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    with pytest.raises(AuthorizationDeniedError, match="server_error"):
        flow.complete(f"{creds.redirect_uri}?error=server_error&state={state}")


def test_callback_wrong_state_is_refused_before_anything_else(sandbox: Any,
                                                             creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    flow.begin()
    with pytest.raises(StateError):
        flow.complete(f"{creds.redirect_uri}?code=abc&state=forged")
    with pytest.raises(StateError):
        flow.complete(f"{creds.redirect_uri}?code=abc")


def test_callback_replayed(sandbox: Any, creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    url = f"{creds.redirect_uri}?code=abc&state={state}"
    flow.complete(url)
    with pytest.raises(StateError, match="already used"):
        flow.complete(url)


def test_callback_without_code(sandbox: Any, creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    with pytest.raises(OAuthFlowError, match="no authorization code"):
        flow.complete(f"{creds.redirect_uri}?state={state}")


def test_callback_to_another_uri_is_refused(sandbox: Any, creds: ConnectCredentials) -> None:
    flow = AuthorizationFlow(sandbox, creds)
    state = parse_qs(urlsplit(flow.begin()).query)["state"][0]
    with pytest.raises(OAuthFlowError, match="registered redirect"):
        flow.complete(f"https://evil.example.com/webull/callback?code=abc&state={state}")


def test_callback_repeated_parameter_is_refused() -> None:
    with pytest.raises(OAuthFlowError, match="repeats"):
        parse_callback("https://x/cb?code=a&code=b&state=s")


def test_redirect_target_matching() -> None:
    reg = "https://partner.example.com/webull/callback"
    assert is_redirect_target("https://partner.example.com/webull/callback?code=1", reg)
    assert is_redirect_target("HTTPS://Partner.Example.com/webull/callback", reg)
    assert not is_redirect_target("https://partner.example.com/webull/callback2", reg)
    assert not is_redirect_target("https://partner.example.com:444/webull/callback", reg)
    assert not is_redirect_target("http://partner.example.com/webull/callback", reg)


def test_credentials_validation() -> None:
    with pytest.raises(ValueError, match="client_secret"):
        ConnectCredentials("id", "", "k", "s", "scope", "https://x/cb")
    with pytest.raises(ValueError, match="redirect_uri"):
        ConnectCredentials("id", "secret", "k", "s", "scope", "not a url")


# ----------------------------------------------------------------- token endpoint


def token_body(n: int = 0, **over: str) -> dict[str, str]:
    body = {
        "access_token": f"ACCESS-TOKEN-{n:04d}",
        "token_type": "Bearer",
        "expires_in": "1800",
        "rt_expires_in": "1296000",
        "refresh_token": f"REFRESH-TOKEN-{n:04d}",
        "created_at": "2026-09-21T14:35:13.532+0000",
        "identity_id": "a0920c03dcba35a56a33a7f4a0df6275",
    }
    body.update(over)
    return body


class FakeTokenServer:
    """Issues rotating tokens; a spent refresh token or a reused code is refused."""

    def __init__(self) -> None:
        self.n = 0
        self.valid_refresh: str | None = None
        self.used_codes: set[str] = set()
        self.requests: list[httpx.Request] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") == "authorization_code":
            if form["code"] in self.used_codes:
                return json_response(417, {"error_code": "token.auth.code.error",
                                           "message": "authorization code is invalid or expired"})
            self.used_codes.add(form["code"])
        elif form.get("refresh_token") != self.valid_refresh:
            return json_response(417, {"error_code": "token.auth.code.error",
                                       "message": "refresh token is invalid"})
        self.n += 1
        body = token_body(self.n)
        self.valid_refresh = body["refresh_token"]
        return json_response(200, body)


def manager(transport: Any, creds: ConnectCredentials, now: Any = lambda: T0,
            tokens: TokenSet | None = None, changes: list[Any] | None = None) -> TokenManager:
    return TokenManager(transport, creds, tokens, now=now,
                        on_change=(changes.append if changes is not None else None))


async def test_token_exchange_request_shape_and_model(transport_factory: Any,
                                                      creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    changes: list[Any] = []
    tm = manager(transport_factory(server), creds, changes=changes)
    tokens = await tm.exchange_code("NjVhODIxODItYTAzMC00Y2IxLTkzNzQt")
    req = server.requests[0]
    assert req.method == "POST"
    assert req.url == "https://oauth-open-api.sandbox.webull.com/oauth2/tokens/create"
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.headers["x-version"] == "v2"
    assert "authorization" not in req.headers and "x-app-secret" not in req.headers
    for h in ("x-app-key", "x-timestamp", "x-signature", "x-signature-nonce",
              "x-signature-algorithm", "x-signature-version"):
        assert req.headers[h]
    form = parse_qs(req.content.decode())
    assert form == {"client_id": [creds.client_id], "client_secret": [creds.client_secret],
                    "grant_type": ["authorization_code"],
                    "code": ["NjVhODIxODItYTAzMC00Y2IxLTkzNzQt"]}
    assert tokens.access_token == "ACCESS-TOKEN-0001"
    assert tokens.access_expires_at == T0 + timedelta(seconds=1800)
    assert tokens.refresh_expires_at == T0 + timedelta(days=15)
    assert tokens.created_at == datetime(2026, 9, 21, 14, 35, 13, 532000, tzinfo=UTC)
    assert changes == [tokens]


async def test_documented_token_example_decodes(examples: dict[str, Any]) -> None:
    body = examples["connect"]["token_create"]["response"]["body"]
    tokens = TokenSet.from_response(body, T0)
    assert tokens.identity_id == body["identity_id"]
    assert tokens.access_expires_at - T0 == timedelta(minutes=30)


async def test_reused_code_is_rejected(transport_factory: Any, creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    tm = manager(transport_factory(server), creds)
    await tm.exchange_code("code-1")
    with pytest.raises(TokenRejectedError) as info:
        await tm.exchange_code("code-1")
    assert info.value.status == 417
    assert info.value.error_code == "token.auth.code.error"


async def test_unauthorized_token_call(transport_factory: Any, creds: ConnectCredentials,
                                       examples: dict[str, Any]) -> None:
    body = examples["connect"]["token_error_unauthorized"]["response"]["body"]
    tm = manager(transport_factory(lambda r: json_response(401, body)), creds)
    with pytest.raises(TokenRejectedError) as info:
        await tm.exchange_code("c")
    assert isinstance(info.value, AuthError)
    assert info.value.error_code == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("response", "needle"),
    [
        (httpx.Response(200, content=b"<html><body>Login</body></html>",
                        headers={"content-type": "text/html"}), "expected a JSON response"),
        (httpx.Response(200, content=b'{"access_token": "AB',
                        headers={"content-type": "application/json"}), "malformed JSON"),
        (httpx.Response(200, content=b"", headers={"content-type": "application/json"}),
         "malformed JSON"),
        (httpx.Response(200, json=["not", "an", "object"]), "not a JSON object"),
        (httpx.Response(200, json=token_body(expires_in=1800)), "expires_in"),  # type: ignore[arg-type]
        (httpx.Response(200, json=token_body(expires_in="soon")), "expires_in"),
        (httpx.Response(200, json=token_body(token_type="mac")), "token_type"),
        (httpx.Response(200, json={k: v for k, v in token_body().items() if k != "refresh_token"}),
         "refresh_token is missing"),
        (httpx.Response(200, json=token_body(created_at="yesterday")), "created_at"),
        (httpx.Response(200, json=token_body(expires_in="\u00b2")), "expires_in"),
        (httpx.Response(200, json=token_body(expires_in="\u0661\u0668\u0660\u0660")), "expires_in"),
        (httpx.Response(200, json=token_body(rt_expires_in="99999999999999999999")),
         "rt_expires_in"),
        (httpx.Response(200, json=token_body(expires_in="0")), "expires_in"),
    ],
)
async def test_bad_token_responses(transport_factory: Any, creds: ConnectCredentials,
                                   response: httpx.Response, needle: str) -> None:
    changes: list[Any] = []
    tm = manager(transport_factory(lambda r: response), creds, changes=changes)
    with pytest.raises(ResponseDecodeError, match=needle) as info:
        await tm.exchange_code("c")
    assert "ACCESS-TOKEN" not in str(info.value) and "AB" not in info.value.message.split()
    assert tm.tokens is None and changes == []


async def test_refresh_rotates_and_spends_old_refresh_token(transport_factory: Any,
                                                            creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    t = transport_factory(server)
    tm = manager(t, creds)
    first = await tm.exchange_code("code")
    second = await tm.refresh()
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    form = parse_qs(server.requests[-1].content.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == [first.refresh_token]
    assert "scope" not in form
    # the old refresh token is spent: using it again is refused
    stale = manager(t, creds, tokens=first)
    with pytest.raises(TokenRejectedError):
        await stale.refresh()
    assert stale.tokens is None  # nothing left to refresh with


async def test_spent_refresh_token_clears_tokens_and_reports(transport_factory: Any,
                                                             creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    changes: list[Any] = []
    tm = manager(transport_factory(server), creds, changes=changes)
    await tm.exchange_code("code")
    server.valid_refresh = "something-else"  # e.g. another device refreshed
    with pytest.raises(TokenRejectedError):
        await tm.refresh()
    assert changes[-1] is None
    with pytest.raises(AuthError, match="not connected"):
        await tm.access_token()


async def test_access_token_refreshes_ahead_of_expiry(transport_factory: Any,
                                                      creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    now = [T0]
    tm = manager(transport_factory(server), creds, now=lambda: now[0])
    await tm.exchange_code("code")
    assert await tm.access_token() == "ACCESS-TOKEN-0001"
    now[0] = T0 + timedelta(seconds=1800 - 119)  # inside the 2-minute margin
    assert await tm.access_token() == "ACCESS-TOKEN-0002"
    assert len(server.requests) == 2


async def test_refresh_is_single_flight(transport_factory: Any, creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    now = [T0]
    tm = manager(transport_factory(server), creds, now=lambda: now[0])
    await tm.exchange_code("code")
    now[0] = T0 + timedelta(hours=1)  # access token expired
    server.gate = asyncio.Event()
    callers = [asyncio.create_task(tm.access_token()) for _ in range(10)]
    while len(server.requests) < 2:
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    server.gate.set()
    got = await asyncio.gather(*callers)
    assert set(got) == {"ACCESS-TOKEN-0002"}
    assert len(server.requests) == 2  # one exchange + exactly one refresh


async def test_single_flight_failure_reaches_every_caller(transport_factory: Any,
                                                          creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    tm = manager(transport_factory(server), creds)
    await tm.exchange_code("code")
    server.valid_refresh = "nope"
    results = await asyncio.gather(*(tm.refresh() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, TokenRejectedError) for r in results)
    assert len(server.requests) == 2


async def test_cancelled_caller_does_not_cancel_shared_refresh(transport_factory: Any,
                                                               creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    tm = manager(transport_factory(server), creds)
    await tm.exchange_code("code")
    server.gate = asyncio.Event()
    a = asyncio.create_task(tm.refresh())
    b = asyncio.create_task(tm.refresh())
    while len(server.requests) < 2:
        await asyncio.sleep(0)
    a.cancel()
    server.gate.set()
    assert (await b).access_token == "ACCESS-TOKEN-0002"
    assert tm.tokens is not None and tm.tokens.access_token == "ACCESS-TOKEN-0002"


async def test_expired_refresh_token_is_not_sent(transport_factory: Any,
                                                 creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    now = [T0]
    tm = manager(transport_factory(server), creds, now=lambda: now[0])
    await tm.exchange_code("code")
    now[0] = T0 + timedelta(days=16)
    with pytest.raises(TokenRejectedError, match="expired"):
        await tm.access_token()
    assert len(server.requests) == 1


async def test_refresh_network_failure_keeps_tokens(transport_factory: Any,
                                                    creds: ConnectCredentials) -> None:
    server = FakeTokenServer()
    fail = [False]

    attempts: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if fail[0]:
            raise httpx.ReadTimeout("timed out", request=request)
        return await server(request)

    tm = manager(transport_factory(handler), creds)
    first = await tm.exchange_code("code")
    fail[0] = True
    with pytest.raises(TransportError) as info:
        await tm.refresh()
    assert info.value.request_sent is True
    assert tm.tokens is first  # kept: the app stays signed in and retries later
    assert len(attempts) == 2  # the exchange, then one refresh POST: never retried


async def test_disconnect_forgets_tokens(transport_factory: Any, creds: ConnectCredentials) -> None:
    changes: list[Any] = []
    tm = manager(transport_factory(FakeTokenServer()), creds, changes=changes)
    await tm.exchange_code("code")
    tm.disconnect()
    assert tm.tokens is None and changes[-1] is None
    assert "connected" in repr(tm) and "ACCESS" not in repr(tm)


def test_token_set_storage_round_trip() -> None:
    tokens = TokenSet.from_response(token_body(7), T0)
    assert TokenSet.from_dict(tokens.to_dict()) == tokens
    with pytest.raises(ValueError, match="unreadable"):
        TokenSet.from_dict({"access_token": "x"})
