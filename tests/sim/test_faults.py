"""Fault injection: 500, 429, dropped connections, HTML, truncated JSON, delays."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.sim import FaultKind, SimServer

from .support import authorization_code, call, client_form, connect_tokens, error_of, token_request

ACCOUNTS = "/trading/accounts/list"


def test_server_error_then_recovery(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    fault = sim.faults.server_error(ACCOUNTS, times=2)
    for _ in range(2):
        failed = call(http, sim, ACCOUNTS, bearer=tokens.access_token)
        assert error_of(failed) == (500, "SYSTEM_ERROR")
        assert failed.json()["message"] == "Internal Server Error"
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    assert fault.hits == 2 and not sim.faults.pending()


def test_rate_limited_with_and_without_retry_after(sim: SimServer, http: httpx.Client) -> None:
    sim.faults.rate_limited(ACCOUNTS, retry_after=3)
    sim.faults.rate_limited(ACCOUNTS)
    first = http.get(sim.info.base_url + ACCOUNTS)  # faults come before authentication
    assert error_of(first) == (429, "TOO_MANY_REQUESTS")
    assert first.headers["retry-after"] == "3"
    second = http.get(sim.info.base_url + ACCOUNTS)
    assert second.status_code == 429 and "retry-after" not in second.headers


def test_dropped_connection_gives_no_response(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    sim.faults.drop(ACCOUNTS)
    with pytest.raises(httpx.TransportError):
        call(http, sim, ACCOUNTS, bearer=tokens.access_token)
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200


def test_drop_after_handling_keeps_the_effect(sim: SimServer, http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    form = client_form(sim, grant_type="authorization_code", code=code)
    sim.faults.drop("/oauth2/tokens/create", after=True)
    with pytest.raises(httpx.TransportError):
        token_request(http, sim, form)
    # the code was spent although the caller never saw the tokens
    assert error_of(token_request(http, sim, form)) == (417, "token.auth.code.error")


def test_html_instead_of_json(sim: SimServer, http: httpx.Client) -> None:
    sim.faults.html("/trading/*")
    response = http.get(sim.info.base_url + ACCOUNTS)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    sim.faults.html(ACCOUNTS, status=200)
    assert http.get(sim.info.base_url + ACCOUNTS).status_code == 200


def test_truncated_json_body(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    whole = call(http, sim, ACCOUNTS, bearer=tokens.access_token).content
    sim.faults.truncated_json(ACCOUNTS)
    response = call(http, sim, ACCOUNTS, bearer=tokens.access_token)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content) < len(whole)
    assert whole.startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_delay_then_normal_answer(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    sim.faults.delay(ACCOUNTS, 0.3)
    began = time.perf_counter()
    response = call(http, sim, ACCOUNTS, bearer=tokens.access_token)
    assert response.status_code == 200
    assert time.perf_counter() - began >= 0.3


def test_delay_makes_a_client_time_out(sim: SimServer) -> None:
    sim.faults.delay(ACCOUNTS, 30.0)
    with httpx.Client(timeout=0.2, trust_env=False) as impatient, pytest.raises(
            httpx.ReadTimeout):
        impatient.get(sim.info.base_url + ACCOUNTS)
    # the server dropped the abandoned request and still answers
    with httpx.Client(timeout=5, trust_env=False) as http:
        assert http.get(sim.info.base_url + "/").status_code == 200


def test_delayed_posts_keep_their_body(sim: SimServer, http: httpx.Client) -> None:
    code = authorization_code(http, sim)
    sim.faults.delay("/oauth2/tokens/create", 0.05)
    response = token_request(http, sim, client_form(sim, grant_type="authorization_code",
                                                    code=code))
    assert response.status_code == 200


def test_matching_by_pattern_method_and_prefix(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    sim.faults.server_error(ACCOUNTS, method="POST")
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    assert len(sim.faults.pending()) == 1
    sim.faults.clear()
    sim.faults.add(FaultKind.SERVER_ERROR, "/trading/accounts/*")
    prefixed = call(http, sim, "/oauth-openapi" + ACCOUNTS, bearer=tokens.access_token)
    assert prefixed.status_code == 500
    sim.faults.add("server_error", "/trading/assets/*", times=3)
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    assert sim.faults.pending()[0].remaining == 3
    with pytest.raises(ValueError):
        sim.faults.add(FaultKind.DROP, times=0)
