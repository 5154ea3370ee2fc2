"""The Connect token endpoint (API.md §2.4): exchange, refresh, rotation, lifetimes, errors."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest

from app.sim import ManualClock, SimServer
from app.webull.signing import SigningKey
from tests.webull.openapi_support import response_validator, validation_errors

from .support import (
    authorization_code,
    call,
    client_form,
    connect_tokens,
    error_of,
    exchange,
    token_request,
)

FIELDS = {"access_token", "token_type", "expires_in", "rt_expires_in", "refresh_token",
          "created_at", "identity_id"}


def _accounts_status(http: httpx.Client, sim: SimServer, access: str) -> int:
    return call(http, sim, "/trading/accounts/list", bearer=access).status_code


def test_exchange_returns_the_seven_string_fields(sim: SimServer, http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    response = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                    code=code))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == FIELDS and all(isinstance(v, str) for v in body.values())
    assert validation_errors(response_validator("CreateAndRefreshToken"), body) == []
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "1800" and body["rt_expires_in"] == "1296000"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", body["created_at"])
    created = datetime.strptime(body["created_at"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert created == sim.clock.now()
    assert re.fullmatch(r"[0-9a-f]{32}", body["identity_id"])
    assert body["access_token"] != body["refresh_token"]
    assert _accounts_status(http, sim, body["access_token"]) == 200


def test_the_older_token_path_is_an_alias(sim: SimServer, http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    response = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                    code=code), path="/openapi/oauth2/token")
    assert response.status_code == 200 and set(response.json()) == FIELDS


def test_a_code_is_single_use(sim: SimServer, http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    exchange(http, sim, code)
    again = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                 code=code))
    assert error_of(again) == (417, "token.auth.code.error")


def test_a_code_lives_sixty_seconds(sim: SimServer, clock: ManualClock,
                                    http: httpx.Client) -> None:
    fresh = authorization_code(http, sim)
    clock.advance(59)
    exchange(http, sim, fresh)
    stale = authorization_code(http, sim)
    clock.advance(60)
    late = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                code=stale))
    assert error_of(late) == (417, "token.auth.code.error")


def test_unknown_code_is_refused(sim: SimServer, http: httpx.Client) -> None:
    response = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                    code="MDM2T0IyUFNRNDk4UzBLSEtCVDgwMDAwMDA="))
    assert error_of(response) == (417, "token.auth.code.error")


def test_refresh_rotates_both_tokens_and_spends_the_old_one(
        sim: SimServer, clock: ManualClock, http: httpx.Client) -> None:
    first = connect_tokens(http, sim)
    clock.advance(1000)
    response = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                    refresh_token=first.refresh_token))
    assert response.status_code == 200
    second = response.json()
    assert set(second) == FIELDS
    assert validation_errors(response_validator("CreateAndRefreshToken"), second) == []
    assert second["access_token"] != first.access_token
    assert second["refresh_token"] != first.refresh_token
    assert second["identity_id"] == first.body["identity_id"]
    assert _accounts_status(http, sim, second["access_token"]) == 200
    # the old access token lives out its own lifetime (documented judgement call)
    assert _accounts_status(http, sim, first.access_token) == 200
    clock.advance(800)
    assert _accounts_status(http, sim, first.access_token) == 401
    assert _accounts_status(http, sim, second["access_token"]) == 200
    spent = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                 refresh_token=first.refresh_token))
    assert error_of(spent) == (417, "token.auth.code.error")
    third = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                 refresh_token=second["refresh_token"]))
    assert third.status_code == 200


def test_access_token_expires_after_1800_seconds(sim: SimServer, clock: ManualClock,
                                                 http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    clock.advance(1799)
    assert _accounts_status(http, sim, tokens.access_token) == 200
    clock.advance(1)
    expired = call(http, sim, "/trading/accounts/list", bearer=tokens.access_token)
    assert error_of(expired) == (401, "INVALID_TOKEN")
    refreshed = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                     refresh_token=tokens.refresh_token))
    assert refreshed.status_code == 200


def test_refresh_token_expires_after_fifteen_days(sim: SimServer, clock: ManualClock,
                                                  http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    clock.advance(1_296_000)
    late = token_request(http, sim, client_form(sim, grant_type="refresh_token",
                                                 refresh_token=tokens.refresh_token))
    assert error_of(late) == (417, "token.auth.code.error")


def test_lifetimes_are_configurable(http: httpx.Client) -> None:
    with SimServer(clock=ManualClock(), access_token_ttl_s=60, refresh_token_ttl_s=120) as sim:
        tokens = connect_tokens(http, sim)
        assert tokens.body["expires_in"] == "60" and tokens.body["rt_expires_in"] == "120"


@pytest.mark.parametrize("override", [{"client_secret": "wrong"}, {"client_id": "UNKNOWN"}])
def test_bad_client_credentials_are_unauthorized(sim: SimServer, http: httpx.Client,
                                                 override: dict[str, str]) -> None:
    code = authorization_code(http, sim)
    form = {**client_form(sim, grant_type="authorization_code", code=code), **override}
    assert error_of(token_request(http, sim, form)) == (401, "UNAUTHORIZED")
    # the code was not spent by the failed attempt
    exchange(http, sim, code)


def test_another_apps_credentials_cannot_use_this_apps_signature_or_code(
        sim: SimServer, http: httpx.Client) -> None:
    other = sim.state.registry.partners[1]
    code = authorization_code(http, sim)
    form = {"client_id": other.client_id, "client_secret": other.client_secret,
            "grant_type": "authorization_code", "code": code}
    assert error_of(token_request(http, sim, form)) == (401, "UNAUTHORIZED")
    signed_by_other = token_request(http, sim, form, key=SigningKey(other.app_key,
                                                                     other.app_secret))
    assert error_of(signed_by_other) == (417, "token.auth.code.error")


@pytest.mark.parametrize("form, status, code", [
    ({"grant_type": "password"}, 417, "INVALID_PARAMETER"),
    ({"grant_type": "authorized_code", "code": "x"}, 417, "INVALID_PARAMETER"),
    ({"grant_type": "authorization_code"}, 417, "INVALID_PARAMETER"),
    ({"grant_type": "refresh_token"}, 417, "INVALID_PARAMETER"),
    ({}, 417, "INVALID_PARAMETER"),
])
def test_bad_grants(sim: SimServer, http: httpx.Client, form: dict[str, str], status: int,
                    code: str) -> None:
    assert error_of(token_request(http, sim, client_form(sim, **form))) == (status, code)


def test_the_token_endpoint_requires_form_signature_and_v2(sim: SimServer,
                                                           http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    form = client_form(sim, grant_type="authorization_code", code=code)
    assert error_of(token_request(http, sim, form, sign=False)) == (401, "UNAUTHORIZED")
    assert error_of(token_request(http, sim, form, version="v3")) == (417, "INVALID_PARAMETER")
    as_json = http.post(sim.info.base_url + "/oauth2/tokens/create", json=form,
                        headers={"x-version": "v2"})
    assert error_of(as_json) == (417, "INVALID_PARAMETER")
    assert http.get(sim.info.base_url + "/oauth2/tokens/create").status_code == 405
    # a Trading API app key cannot use the Connect token endpoint
    user = sim.demo_users()[0]
    trading = token_request(http, sim, form, key=SigningKey(user.app_key, user.app_secret))
    assert error_of(trading) == (401, "UNAUTHORIZED")
    exchange(http, sim, code)  # none of the failures spent the code


def test_loopback_redirect_allows_any_port_and_a_path_below_the_registered_one() -> None:
    from app.sim.seed import PartnerApp

    app = PartnerApp("x", "C", "s", "k", "a", "scope",
                     ("https://pennant.invalid/oauth/callback", "http://127.0.0.1/oauth/callback"))
    assert app.allows_redirect("https://pennant.invalid/oauth/callback")
    assert app.allows_redirect("http://127.0.0.1:53121/oauth/callback/r4nd0m")
    assert app.allows_redirect("http://127.0.0.1:1/oauth/callback")
    for refused in ("http://127.0.0.1:5312/other", "http://localhost:5312/oauth/callback/x",
                    "https://127.0.0.1:5312/oauth/callback/x", "http://127.0.0.1:99999/oauth/callback",
                    "http://127.0.0.1:80/oauth/callbackx", "http://127.0.0.1:5/oauth/callback/x?y=1",
                    "https://pennant.invalid/oauth/callback/x", "http://10.0.0.1:5/oauth/callback"):
        assert not app.allows_redirect(refused), refused
