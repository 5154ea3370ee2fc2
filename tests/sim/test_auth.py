"""Authentication of API calls (API.md §3, C4–C7): signatures, Bearer, x-access-token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.sim import ManualClock, SimServer
from app.webull.signing import SigningKey, utc_timestamp

from .support import call, connect_tokens, error_of, host_of, signed_headers, trading_token

ACCOUNTS = "/trading/accounts/list"


def _get(http: httpx.Client, sim: SimServer, path: str, headers: dict[str, str],
         query: str = "") -> httpx.Response:
    return http.get(sim.info.base_url + path + (f"?{query}" if query else ""), headers=headers)


@pytest.mark.parametrize("algorithm", ["HMAC-SHA1", "HMAC-SHA256"])
def test_both_signature_algorithms_are_accepted(sim: SimServer, http: httpx.Client,
                                                algorithm: str) -> None:
    tokens = connect_tokens(http, sim)
    response = call(http, sim, ACCOUNTS, bearer=tokens.access_token,
                    algorithm=algorithm)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    key, token = trading_token(http, sim)
    response = call(http, sim, ACCOUNTS, key=key, access_token=token,
                    algorithm=algorithm)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text


def test_x_app_secret_is_never_required(sim: SimServer, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    response = call(http, sim, ACCOUNTS, key=key, access_token=token)
    assert response.status_code == 200
    assert "x-app-secret" not in {k.lower() for k in response.request.headers}


def _trading_headers(sim: SimServer, key: SigningKey, token: str, path: str, **kw: object
                     ) -> dict[str, str]:
    headers = signed_headers(sim, path, key=key, **kw)  # type: ignore[arg-type]
    return {**headers, "x-version": "v3", "x-access-token": token}


def test_signature_failures(sim: SimServer, clock: ManualClock, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    account = call(http, sim, ACCOUNTS, key=key, access_token=token).json()[0]["account_id"]
    path = "/trading/assets/balances/get"
    query = [("account_id", account)]

    good = _trading_headers(sim, key, token, path, query=query)
    assert _get(http, sim, path, good, f"account_id={account}").status_code == 200

    wrong_secret = _trading_headers(sim, SigningKey(key.app_key, "0" * 32), token, path,
                                    query=query)
    tampered_query = _trading_headers(sim, key, token, path, query=[("account_id", "OTHER")])
    stale = _trading_headers(sim, key, token, path, query=query,
                             timestamp=utc_timestamp(clock.now() - timedelta(seconds=301)))
    future = _trading_headers(sim, key, token, path, query=query,
                              timestamp=utc_timestamp(clock.now() + timedelta(seconds=301)))
    other_host = _trading_headers(sim, key, token, path, query=query,
                                  host=host_of(sim).replace("127.0.0.1", "localhost"))
    unknown_key = _trading_headers(sim, SigningKey("f" * 32, "0" * 32), token, path, query=query)
    for headers in (wrong_secret, tampered_query, stale, future, other_host, unknown_key):
        response = _get(http, sim, path, headers, f"account_id={account}")
        assert error_of(response) == (401, "UNAUTHORIZED"), response.text

    unknown_algorithm = {**good, "x-signature-algorithm": "HMAC-MD5"}
    bad_time = {**_trading_headers(sim, key, token, path, query=query,
                                   timestamp="2026-09-21 14:35:12")}
    bad_version = {**_trading_headers(sim, key, token, path, query=query),
                   "x-signature-version": "2.0"}
    for headers in (unknown_algorithm, bad_time, bad_version):
        response = _get(http, sim, path, headers, f"account_id={account}")
        assert error_of(response) == (401, "UNAUTHORIZED"), response.text
    for name in ("x-app-key", "x-signature", "x-signature-nonce", "x-timestamp"):
        headers = {k: v for k, v in _trading_headers(sim, key, token, path, query=query).items()
                   if k != name}
        response = _get(http, sim, path, headers, f"account_id={account}")
        assert error_of(response) == (401, "UNAUTHORIZED"), name


def test_timestamp_within_the_window_is_accepted(sim: SimServer, clock: ManualClock,
                                                 http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    for offset in (-299, 299):
        headers = _trading_headers(sim, key, token, ACCOUNTS,
                                   timestamp=utc_timestamp(clock.now() + timedelta(seconds=offset)))
        assert _get(http, sim, ACCOUNTS, headers).status_code == 200


def test_a_nonce_is_accepted_once(sim: SimServer, clock: ManualClock, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    headers = _trading_headers(sim, key, token, ACCOUNTS, nonce="fixed-nonce-1")
    assert _get(http, sim, ACCOUNTS, headers).status_code == 200
    replay = _get(http, sim, ACCOUNTS, headers)
    assert error_of(replay) == (401, "UNAUTHORIZED")
    assert "nonce" in replay.json()["message"]
    clock.advance(100)  # a new timestamp does not make an old nonce new
    again = _trading_headers(sim, key, token, ACCOUNTS, nonce="fixed-nonce-1")
    assert _get(http, sim, ACCOUNTS, again).status_code == 401
    clock.advance(700)  # long after the window the cache may forget it
    later = _trading_headers(sim, key, token, ACCOUNTS, nonce="fixed-nonce-1")
    assert _get(http, sim, ACCOUNTS, later).status_code == 200


def test_the_exact_body_is_signed(sim: SimServer, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    path = "/auth/tokens/check"
    body = b'{"token":"' + token.encode() + b'"}'
    headers = {**signed_headers(sim, path, key=key, body=body, algorithm="HMAC-SHA256"),
               "Content-Type": "application/json", "x-version": "v3"}
    ok = http.post(sim.info.base_url + path, content=body, headers=headers)
    assert ok.status_code == 200 and ok.json()["status"] == "NORMAL"
    headers = {**signed_headers(sim, path, key=key, body=body),
               "Content-Type": "application/json", "x-version": "v3"}
    spaced = body.replace(b":", b": ")  # same JSON, other bytes
    response = http.post(sim.info.base_url + path, content=spaced, headers=headers)
    assert error_of(response) == (401, "UNAUTHORIZED")


def test_the_host_header_is_signed_as_received(sim: SimServer, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    for host in ("localhost", "api.sandbox.webull.com", host_of(sim)):
        headers = {**_trading_headers(sim, key, token, ACCOUNTS, host=host), "Host": host}
        assert _get(http, sim, ACCOUNTS, headers).status_code == 200, host


def test_bearer_calls_signed_or_not(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token, sign=False).status_code == 200
    sim.config.strict_signature = True
    unsigned = call(http, sim, ACCOUNTS, bearer=tokens.access_token, sign=False)
    assert error_of(unsigned) == (401, "UNAUTHORIZED")
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    sim.config.strict_signature = False
    # a signature that is present is always checked
    bad = call(http, sim, ACCOUNTS, bearer=tokens.access_token,
               key=SigningKey(sim.info.app_key, "0" * 32))
    assert error_of(bad) == (401, "UNAUTHORIZED")
    # signed by another app than the token's
    user = sim.demo_users()[0]
    other = call(http, sim, ACCOUNTS, bearer=tokens.access_token,
                 key=SigningKey(user.app_key, user.app_secret))
    assert error_of(other) == (401, "UNAUTHORIZED")


@pytest.mark.parametrize("authorization", ["Bearer", "Basic abc", "Token xyz",
                                           "Bearer not-a-token"])
def test_bad_bearer_headers(sim: SimServer, http: httpx.Client, authorization: str) -> None:
    response = call(http, sim, ACCOUNTS, extra={"Authorization": authorization})
    assert error_of(response) == (401, "INVALID_TOKEN")


def test_no_credentials_at_all(sim: SimServer, http: httpx.Client) -> None:
    response = http.get(sim.info.base_url + ACCOUNTS, headers={"x-version": "v3"})
    assert error_of(response) == (401, "UNAUTHORIZED")


def test_revoked_tokens_stop_working(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    alice = connect_tokens(http, sim, "alice", "alice1234")
    assert sim.revoke_user_tokens("demo") >= 1
    response = call(http, sim, ACCOUNTS, bearer=tokens.access_token)
    assert error_of(response) == (401, "INVALID_TOKEN")
    assert "revoked" in response.json()["message"]
    assert call(http, sim, ACCOUNTS, bearer=alice.access_token).status_code == 200
    from .support import client_form, token_request
    refresh = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                   refresh_token=tokens.refresh_token))
    assert error_of(refresh) == (417, "token.auth.code.error")
    with pytest.raises(KeyError):
        sim.revoke_user_tokens("nobody")


def test_a_token_must_carry_the_apps_scope(sim: SimServer, http: httpx.Client) -> None:
    user = sim.demo_users()[0]
    grant = sim.state.oauth.issue_tokens(sim.info.client_id, user.identity_id, "user:read")
    response = call(http, sim, ACCOUNTS, bearer=grant.access_token)
    assert error_of(response) == (401, "UNAUTHORIZED")


def test_trading_api_access_tokens(http: httpx.Client) -> None:
    clock = ManualClock()
    with SimServer(clock=clock, trading_token_auto_confirm=False) as sim:
        user = sim.demo_users()[1]
        key = SigningKey(user.app_key, user.app_secret)
        created = call(http, sim, "/auth/tokens/create", key=key, method="POST", json_body={})
        body = created.json()
        assert set(body) == {"token", "expires", "status"} and body["status"] == "PENDING"
        assert int(body["expires"]) == int((clock.now() + timedelta(minutes=5)).timestamp() * 1000)
        pending = call(http, sim, ACCOUNTS, key=key, access_token=body["token"])
        assert error_of(pending) == (401, "INVALID_TOKEN")
        sim.state.trading_tokens.confirm(body["token"])
        checked = call(http, sim, "/auth/tokens/check", key=key, method="POST",
                       json_body={"token": body["token"]})
        assert checked.json()["status"] == "NORMAL"
        accounts = call(http, sim, ACCOUNTS, key=key, access_token=body["token"])
        assert accounts.status_code == 200
        assert {a["account_label"] for a in accounts.json()} == {"Individual Cash", "Roth IRA"}
        # the same token asked again comes back unchanged
        again = call(http, sim, "/auth/tokens/create", key=key, method="POST",
                     json_body={"token": body["token"]})
        assert again.json()["token"] == body["token"]
        # unconfirmed tokens expire after five minutes
        other = call(http, sim, "/auth/tokens/create", key=key, method="POST", json_body={})
        clock.advance(301)
        late = call(http, sim, "/auth/tokens/check", key=key, method="POST",
                    json_body={"token": other.json()["token"]})
        assert late.json()["status"] == "EXPIRED"
        unknown = call(http, sim, "/auth/tokens/check", key=key, method="POST",
                       json_body={"token": "nope"})
        assert unknown.json()["status"] == "INVALID"
        missing = call(http, sim, "/auth/tokens/check", key=key, method="POST", json_body={})
        assert error_of(missing) == (417, "INVALID_PARAMETER")


def test_trading_api_calls_need_signature_and_the_apps_own_token(
        sim: SimServer, clock: ManualClock, http: httpx.Client) -> None:
    key, token = trading_token(http, sim, "demo")
    alice_key, alice_token = trading_token(http, sim, "alice")
    unsigned = call(http, sim, ACCOUNTS, access_token=token, sign=False)
    assert error_of(unsigned) == (401, "UNAUTHORIZED")
    assert error_of(call(http, sim, ACCOUNTS, key=key)) == (401, "INVALID_TOKEN")
    swapped = call(http, sim, ACCOUNTS, key=alice_key, access_token=token)
    assert error_of(swapped) == (401, "INVALID_TOKEN")
    partner = call(http, sim, ACCOUNTS, key=SigningKey(sim.info.app_key, sim.info.app_secret),
                   access_token=token)
    assert error_of(partner) == (401, "UNAUTHORIZED")
    create = call(http, sim, "/auth/tokens/create", method="POST", json_body={},
                  key=SigningKey(sim.info.app_key, sim.info.app_secret))
    assert error_of(create) == (401, "UNAUTHORIZED")
    # a token is valid fifteen days after its last use
    clock.advance(timedelta(days=14))
    assert call(http, sim, ACCOUNTS, key=key, access_token=token).status_code == 200
    clock.advance(timedelta(days=14))
    assert call(http, sim, ACCOUNTS, key=key, access_token=token).status_code == 200
    assert call(http, sim, ACCOUNTS, key=alice_key, access_token=alice_token).status_code == 401


def test_connect_prefix_is_served_to_bearer_callers_only(sim: SimServer,
                                                        http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    prefixed = "/oauth-openapi" + ACCOUNTS
    assert call(http, sim, prefixed, bearer=tokens.access_token).status_code == 200
    assert call(http, sim, prefixed, bearer=tokens.access_token,
                sign=False).status_code == 200
    key, token = trading_token(http, sim)
    assert call(http, sim, prefixed, key=key, access_token=token).status_code == 404


@pytest.mark.parametrize("version", [None, "v2", "v4"])
def test_trading_paths_need_x_version_v3(sim: SimServer, http: httpx.Client,
                                         version: str | None) -> None:
    tokens = connect_tokens(http, sim)
    connect = call(http, sim, ACCOUNTS, bearer=tokens.access_token, version=version)
    assert error_of(connect) == (417, "OAUTH_OPENAPI_PARAM_ERR")
    key, token = trading_token(http, sim)
    trading = call(http, sim, ACCOUNTS, key=key, access_token=token, version=version)
    assert error_of(trading) == (417, "INVALID_PARAMETER")


def test_business_errors_carry_the_connect_prefix(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    path = "/trading/assets/balances/get"
    assert error_of(call(http, sim, path, bearer=tokens.access_token)) == (
        417, "OAUTH_OPENAPI_PARAM_ERR")
    key, token = trading_token(http, sim)
    assert error_of(call(http, sim, path, key=key, access_token=token)) == (
        417, "INVALID_PARAMETER")
