"""Transport: headers, error mapping, GET-only retries, outcome-unknown writes, rate limits."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.webull import endpoints as ep
from app.webull.environments import Environment
from app.webull.errors import (
    AuthError,
    BusinessRejectionError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    UnexpectedStatusError,
)
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter, limiter_for_app_key
from app.webull.signing import SigningKey, sign_headers
from app.webull.transport import RetryPolicy, _retry_after

from .conftest import json_response


async def token() -> str:
    return "BEARER-TOKEN-XYZ"


async def test_get_request_shape_and_signature(transport_factory: Any, fixtures: dict[str, Any]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"ok": True})

    t = transport_factory(handler)
    resp = await t.request(ep.BALANCES, query={"account_id": "LOJOQITOD49R6G9BPQM489CISA"}, token=token)
    assert resp.data == {"ok": True} and resp.request_id == "req-1"
    r = seen[0]
    assert str(r.url) == ("https://oauth-open-api.sandbox.webull.com/trading/assets/balances/get"
                          "?account_id=LOJOQITOD49R6G9BPQM489CISA")
    assert r.headers["authorization"] == "Bearer BEARER-TOKEN-XYZ"
    assert r.headers["x-version"] == "v3"
    assert r.headers["accept"] == "application/json"
    assert "x-app-secret" not in r.headers  # contradiction C6: the secret never travels
    # the server can verify the signature from what it received
    expected = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]),
        host=r.url.netloc.decode(), path=r.url.path, query=list(r.url.params.multi_items()),
        timestamp=r.headers["x-timestamp"], nonce=r.headers["x-signature-nonce"],
    )
    assert r.headers["x-signature"] == expected["x-signature"]


async def test_post_body_is_compact_utf8_and_signed_over_exact_bytes(
    transport_factory: Any, fixtures: dict[str, Any]
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"client_order_id": "a", "order_id": "b"})

    t = transport_factory(handler)
    body = {"account_id": "A", "new_orders": [{"symbol": "ÄPL", "quantity": "1"}]}
    await t.request(ep.PLACE, json_body=body, token=token)
    r = seen[0]
    assert r.content == '{"account_id":"A","new_orders":[{"symbol":"ÄPL","quantity":"1"}]}'.encode()
    assert r.headers["content-type"] == "application/json"
    expected = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]), host=r.url.netloc.decode(),
        path=r.url.path, body=r.content, timestamp=r.headers["x-timestamp"],
        nonce=r.headers["x-signature-nonce"],
    )
    assert r.headers["x-signature"] == expected["x-signature"]


async def test_connect_path_prefix_applies_to_trading_paths_only(transport_factory: Any,
                                                                 sandbox: Environment) -> None:
    env = Environment.from_mapping("legacy", {
        "label": "x", "kind": "sandbox", "api_base_url": sandbox.api_base_url,
        "authorize_url": sandbox.authorize_url, "connect_path_prefix": "/oauth-openapi",
    })
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return json_response(200, {})

    t = transport_factory(handler, environment=env)
    await t.request(ep.ACCOUNTS, token=token)
    await t.request(ep.TOKEN_CREATE, form={"a": "b"})
    assert paths == ["/oauth-openapi/trading/accounts/list", "/oauth2/tokens/create"]


async def test_numbers_decode_as_decimal(transport_factory: Any) -> None:
    t = transport_factory(lambda r: httpx.Response(
        200, content=b'{"a": 0.1, "b": 3, "c": "2.32435219E8"}',
        headers={"content-type": "application/json"}))
    data = (await t.request(ep.BALANCES, token=token)).data
    assert data["a"] == Decimal("0.1") and isinstance(data["a"], Decimal)
    assert data["b"] == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthError), (403, PermissionDeniedError), (417, BusinessRejectionError),
     (429, RateLimitedError), (500, ServerError), (503, ServerError), (404, UnexpectedStatusError),
     (400, UnexpectedStatusError)],
)
async def test_error_mapping_for_posts(transport_factory: Any, status: int, cls: type) -> None:
    body = {"error_code": "OAUTH_OPENAPI_PARAM_ERR", "message": "Parameter error"}
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json=body, headers={"x-request-id": "rid-9"})

    t = transport_factory(handler)
    with pytest.raises(cls) as info:
        await t.request(ep.PREVIEW, json_body={}, token=token)
    err = info.value
    assert err.status == status and err.error_code == "OAUTH_OPENAPI_PARAM_ERR"
    assert err.message == "Parameter error" and err.request_id == "rid-9"
    assert err.endpoint == "preview"
    assert "rid-9" in str(err) and "OAUTH_OPENAPI_PARAM_ERR" in str(err)
    assert calls == [1]  # a POST is never retried


async def test_error_without_webull_envelope(transport_factory: Any) -> None:
    t = transport_factory(lambda r: httpx.Response(502, text="<html>Bad gateway</html>",
                                                   headers={"content-type": "text/html"}),
                          attempts=1)
    with pytest.raises(ServerError) as info:
        await t.request(ep.BALANCES, token=token)
    assert info.value.error_code is None and info.value.message == "HTTP 502 Bad Gateway"


async def test_get_retried_on_5xx_then_succeeds(transport_factory: Any, sleeps: Any) -> None:
    answers = [json_response(500, {"error_code": "SYSTEM_ERROR", "message": "x"}),
               json_response(503, {}), json_response(200, [1])]
    t = transport_factory(lambda r: answers.pop(0))
    assert (await t.request(ep.POSITIONS, token=token)).data == [1]
    assert len(sleeps.sleeps) == 2


async def test_get_retry_is_capped_and_raises_last_error(transport_factory: Any, sleeps: Any) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return json_response(500, {"error_code": "SYSTEM_ERROR", "message": "boom"})

    t = transport_factory(handler, attempts=4)
    with pytest.raises(ServerError, match="boom"):
        await t.request(ep.POSITIONS, token=token)
    assert len(calls) == 4 and len(sleeps.sleeps) == 3
    # full jitter: each wait lies in [0, min(cap, base * 2^n)]
    for n, s in enumerate(sleeps.sleeps, start=1):
        assert 0 <= s <= min(8.0, 0.5 * 2**n)


async def test_get_retried_on_transport_failure(transport_factory: Any) -> None:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if state["n"] == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return json_response(200, {"ok": 1})

    t = transport_factory(handler)
    assert (await t.request(ep.ACCOUNTS, token=token)).data == {"ok": 1}
    assert state["n"] == 3


async def test_get_honours_retry_after(transport_factory: Any, sleeps: Any) -> None:
    answers = [json_response(429, {"error_code": "TOO_MANY_REQUESTS", "message": "slow down"},
                             **{"retry-after": "7"}),
               json_response(200, {})]
    t = transport_factory(lambda r: answers.pop(0))
    await t.request(ep.BALANCES, token=token)
    assert sleeps.sleeps[0] >= 7


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthError), (403, PermissionDeniedError), (417, BusinessRejectionError),
     (404, UnexpectedStatusError)],
)
async def test_get_not_retried_on_client_errors(transport_factory: Any, status: int,
                                                cls: type) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return json_response(status, {"error_code": "X", "message": "no"})

    t = transport_factory(handler)
    with pytest.raises(cls):
        await t.request(ep.BALANCES, token=token)
    assert calls == [1]


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteTimeout,
            httpx.WriteError]
)
async def test_write_without_answer_is_outcome_unknown(transport_factory: Any, exc: type) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise exc("lost", request=request)

    t = transport_factory(handler)
    with pytest.raises(OutcomeUnknownError) as info:
        await t.request(ep.PLACE, json_body={"a": 1}, token=token)
    assert isinstance(info.value.cause, TransportError) and info.value.cause.request_sent
    assert calls == [1]


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_write_that_never_left_is_a_plain_transport_error(transport_factory: Any,
                                                                exc: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("down", request=request)

    t = transport_factory(handler)
    with pytest.raises(TransportError) as info:
        await t.request(ep.CANCEL, json_body={"a": 1}, token=token)
    assert not isinstance(info.value, OutcomeUnknownError)
    assert info.value.request_sent is False


@pytest.mark.parametrize("endpoint", [ep.PLACE, ep.REPLACE, ep.CANCEL, ep.BATCH_PLACE])
async def test_write_with_5xx_is_outcome_unknown(transport_factory: Any, endpoint: Any) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return json_response(500, {"error_code": "SYSTEM_ERROR", "message": "Internal Server Error"})

    t = transport_factory(handler)
    with pytest.raises(OutcomeUnknownError) as info:
        await t.request(endpoint, json_body={}, token=token)
    assert isinstance(info.value.cause, ServerError)
    assert calls == [1]
    assert info.value.request_id == "req-1"


async def test_write_with_unreadable_success_is_outcome_unknown(transport_factory: Any) -> None:
    t = transport_factory(lambda r: httpx.Response(200, content=b'{"order_id": "8',
                                                   headers={"content-type": "application/json"}))
    with pytest.raises(OutcomeUnknownError) as info:
        await t.request(ep.PLACE, json_body={}, token=token)
    assert isinstance(info.value.cause, ResponseDecodeError)


async def test_write_rejections_are_definite(transport_factory: Any, examples: dict[str, Any]) -> None:
    body = examples["trading"]["place_rejected_insufficient_bp_connect"]["response"]["body"]
    t = transport_factory(lambda r: json_response(417, body))
    with pytest.raises(BusinessRejectionError) as info:
        await t.request(ep.PLACE, json_body={}, token=token)
    assert info.value.error_code == "OAUTH_OPENAPI_DAY_BUYING_POWER_INSUFFICIENT"


async def test_html_response_is_a_decode_error(transport_factory: Any) -> None:
    t = transport_factory(lambda r: httpx.Response(200, text="<html>maintenance</html>",
                                                   headers={"content-type": "text/html"}))
    with pytest.raises(ResponseDecodeError, match="expected a JSON response, got text/html"):
        await t.request(ep.ACCOUNTS, token=token)


def test_retry_after_parsing() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after(" 1.5 ") == 1.5
    assert _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a past date: no wait


def test_retry_policy_only_retries_transient_errors() -> None:
    p = RetryPolicy()
    assert p.retryable(ServerError("x")) and p.retryable(RateLimitedError("x"))
    assert p.retryable(TransportError("x", request_sent=True))
    for e in (AuthError("x"), BusinessRejectionError("x"), ResponseDecodeError("x")):
        assert not p.retryable(e)


# ----------------------------------------------------------------- rate limiting


def test_published_limits_are_configured() -> None:
    assert WEBULL_LIMITS["balances"] == Limit(2, 2)
    assert WEBULL_LIMITS["positions"] == Limit(2, 2)
    assert WEBULL_LIMITS["accounts"] == Limit(10, 30)
    assert WEBULL_LIMITS["order_detail"] == Limit(2, 2)
    assert WEBULL_LIMITS["preview"] == Limit(150, 10)
    assert WEBULL_LIMITS["order_write"] == Limit(600, 60)
    assert WEBULL_LIMITS["instruments"] == Limit(10, 30)  # the stricter figure (C12)
    groups = {e.limit_group for e in ep.ALL}
    assert groups <= set(WEBULL_LIMITS)


def test_limiter_never_exceeds_a_window() -> None:
    limiter = RateLimiter()
    assert [limiter.try_begin("balances") is not None for _ in range(3)] == [True, True, False]
    # groups are independent
    assert [limiter.try_begin("positions") is not None for _ in range(3)] == [True, True, False]
    assert sum(limiter.try_begin("preview") is not None for _ in range(200)) == 150


async def test_third_balance_call_in_two_seconds_waits(transport_factory: Any) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return json_response(200, {})

    t = transport_factory(handler, limiter=RateLimiter())
    await t.request(ep.BALANCES, token=token)
    await t.request(ep.BALANCES, token=token)
    third = asyncio.create_task(t.request(ep.BALANCES, token=token))
    for _ in range(20):  # let the third call start and block on its group's limit
        await asyncio.sleep(0)
    assert not third.done() and sent.count("/trading/assets/balances/get") == 2
    # while it waits, other groups go through at once — an order write above all
    other = await asyncio.wait_for(t.request(ep.POSITIONS, token=token), timeout=1)
    cancel = await asyncio.wait_for(t.request(ep.CANCEL, json_body={}, token=token), timeout=1)
    assert other.status == cancel.status == 200
    assert not third.done()
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third


def test_limits_are_shared_per_app_key() -> None:
    assert limiter_for_app_key("key-a") is limiter_for_app_key("key-a")
    assert limiter_for_app_key("key-a") is not limiter_for_app_key("key-b")


async def test_unknown_group_is_refused() -> None:
    limiter = RateLimiter({"x": Limit(1, 1)})
    with pytest.raises(KeyError, match="no rate limit"):
        await limiter.begin("y")


def test_transport_repr_has_no_secret(transport_factory: Any, creds: Any) -> None:
    t = transport_factory(lambda r: json_response(200, {}))
    assert creds.app_secret not in repr(t)


def test_json_body_encoding_matches_sdk() -> None:
    from app.webull.transport import encode_json

    assert encode_json({"a": [1, "é"]}) == json.dumps({"a": [1, "é"]}, separators=(",", ":"),
                                                     ensure_ascii=False).encode()


async def test_retry_after_beyond_the_cap_is_not_retried_early(transport_factory: Any,
                                                               sleeps: Any) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return json_response(429, {"error_code": "TOO_MANY_REQUESTS", "message": "slow"},
                             **{"retry-after": "120"})

    t = transport_factory(handler)
    with pytest.raises(RateLimitedError) as info:
        await t.request(ep.BALANCES, token=token)
    assert info.value.retry_after == 120
    assert calls == [1] and sleeps.sleeps == []


async def test_token_source_runs_once_outside_the_get_retries(transport_factory: Any) -> None:
    """A refresh is a POST of its own: a failing one must not be repeated by GET retries."""
    asked: list[int] = []
    sent: list[int] = []

    async def failing_token() -> str:
        asked.append(1)
        raise TransportError("token_create: network failure (ReadTimeout)", request_sent=True,
                             endpoint="token_create")

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return json_response(200, {})

    t = transport_factory(handler)
    with pytest.raises(TransportError):
        await t.request(ep.ACCOUNTS, token=failing_token)
    assert asked == [1] and sent == []

    answers = [json_response(500, {}), json_response(500, {}), json_response(200, {})]
    calls = {"token": 0}

    async def counting_token() -> str:
        calls["token"] += 1
        return "TOKEN"

    t2 = transport_factory(lambda r: answers.pop(0))
    await t2.request(ep.ACCOUNTS, token=counting_token)
    assert calls["token"] == 1  # retried GETs reuse the token


@pytest.mark.parametrize("value", ["a b", "x+y", "a&b=c", "é/ü", "100%", "A,B"])
async def test_query_values_sign_as_the_server_decodes_them(
    transport_factory: Any, fixtures: dict[str, Any], value: str
) -> None:
    from urllib.parse import parse_qsl

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {})

    t = transport_factory(handler)
    await t.request(ep.EVENT_MARKETS, query={"series_symbol": value}, token=token)
    r = seen[0]
    decoded = parse_qsl(r.url.query.decode(), keep_blank_values=True)
    assert decoded == [("series_symbol", value)]
    expected = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]), host=r.url.netloc.decode(),
        path=r.url.path, query=decoded, timestamp=r.headers["x-timestamp"],
        nonce=r.headers["x-signature-nonce"],
    )
    assert r.headers["x-signature"] == expected["x-signature"]


async def test_host_is_signed_as_sent(transport_factory: Any, fixtures: dict[str, Any]) -> None:
    env = Environment.from_mapping("odd", {
        "label": "x", "kind": "sandbox", "api_base_url": "https://OAuth-Open-API.Sandbox.webull.com:443",
        "authorize_url": "https://oauth-open-api.sandbox.webull.com/oauth2/auth-codes/get"})
    assert env.api_base_url == "https://oauth-open-api.sandbox.webull.com"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {})

    await transport_factory(handler, environment=env).request(ep.ACCOUNTS, token=token)
    r = seen[0]
    expected = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]), host=r.headers["host"],
        path=r.url.path, timestamp=r.headers["x-timestamp"], nonce=r.headers["x-signature-nonce"])
    assert r.headers["x-signature"] == expected["x-signature"]
