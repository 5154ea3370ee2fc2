"""Request signing (API.md §3.2–3.3) against the documentation's and the examples' vectors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.webull.signing import SigningKey, body_digest, sign_headers, signature, string_to_sign


def test_documentation_vector_reproduces_published_signature() -> None:
    key = SigningKey("776da210ab4a452795d74e726ebd74b6", "0f50a2e853334a9aae1a783bee120c1f")
    body = b'{"k1":123,"k2":"this is the api request body","k3":true,"k4":{"foo":[1,2]}}'
    assert body_digest(body, "HMAC-SHA1") == "E296C96787E1A309691CEF3692F5EEDD"
    headers = sign_headers(
        key,
        host="api.webull.com",
        path="/trade/place_order",
        query={"a1": "webull", "a2": "123", "a3": "xxx", "q1": "yyy"},
        body=body,
        algorithm="HMAC-SHA1",
        timestamp="2022-01-04T03:55:31Z",
        nonce="48ef5afed43d4d91ae514aaeafbc29ba",
    )
    assert headers["x-signature"] == "kvlS6opdZDhEBo5jq40nHYXaLvM="
    assert headers["x-app-key"] == key.app_key
    assert headers["x-signature-version"] == "1.0"


def _vectors(examples: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in examples["trading"]["signature_test_vectors"] if "string_to_sign" in v]


def test_example_vectors_both_algorithms(examples: dict[str, Any], fixtures: dict[str, Any]) -> None:
    vectors = _vectors(examples)
    assert {v["algorithm"] for v in vectors} == {"HMAC-SHA1", "HMAC-SHA256"}
    key = SigningKey(fixtures["app_key"], fixtures["app_secret"])
    for v in vectors:
        body = v["body_compact"].encode() if v["body_compact"] else None
        headers = sign_headers(
            key, host=v["host"], path=v["path"], query=v["query"], body=body,
            algorithm=v["algorithm"], timestamp="2026-09-21T14:35:12Z",
            nonce="6f1c2a9e0b7d4e83a5c1f2d3e4b5a697",
        )
        assert headers["x-signature"] == v["x-signature"], v["algorithm"] + " " + v["path"]
        # and the intermediate string is exactly the documented one
        params = list((v["query"] or {}).items()) + [
            (k, headers[k]) for k in ("x-app-key", "x-signature-algorithm", "x-signature-version",
                                      "x-signature-nonce", "x-timestamp")
        ] + [("host", v["host"])]
        digest = body_digest(body, v["algorithm"]) if body else None
        assert string_to_sign(v["path"], params, digest) == v["string_to_sign"]


def test_sha256_uses_sha256_body_digest() -> None:
    body = b'{"a":1}'
    assert len(body_digest(body, "HMAC-SHA256")) == 64
    assert len(body_digest(body, "HMAC-SHA1")) == 32
    assert body_digest(body, "HMAC-SHA256").isupper()


@pytest.mark.parametrize(
    ("name", "grant"),
    [("token_create", "authorization_code"), ("token_refresh", "refresh_token")],
)
def test_token_form_fields_are_signed_as_parameters(
    examples: dict[str, Any], fixtures: dict[str, Any], name: str, grant: str
) -> None:
    req = examples["connect"][name]["request"]
    assert req["form"]["grant_type"] == grant
    h = req["headers"]
    signed = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]),
        host=fixtures["connect_host"], path="/oauth2/tokens/create", form=req["form"],
        algorithm=h["x-signature-algorithm"], timestamp=h["x-timestamp"],
        nonce=h["x-signature-nonce"],
    )
    assert signed["x-signature"] == h["x-signature"]


def test_bearer_call_signature_matches_example(examples: dict[str, Any], fixtures: dict[str, Any]) -> None:
    h = examples["connect"]["bearer_call_account_list"]["recommended_form"]["headers"]
    signed = sign_headers(
        SigningKey(fixtures["app_key"], fixtures["app_secret"]),
        host=fixtures["connect_host"], path="/trading/accounts/list",
        timestamp=h["x-timestamp"], nonce=h["x-signature-nonce"],
    )
    assert signed["x-signature"] == h["x-signature"]


def test_repeated_query_values_are_sorted_and_joined() -> None:
    assert string_to_sign("/p", [("b", "2"), ("a", "z"), ("a", "y")]) == "/p&a=y&z&b=2"


def test_percent_encoding_keeps_only_unreserved() -> None:
    # every reserved character changes the signature: a raw and an encoded "/" must differ
    a = signature("/x&k=a b", "s", "HMAC-SHA1")
    b = signature("/x&k=a+b", "s", "HMAC-SHA1")
    assert a != b


def test_host_with_port_is_signed() -> None:
    key = SigningKey("k", "s")
    one = sign_headers(key, host="127.0.0.1:8080", path="/p", timestamp="t", nonce="n")
    two = sign_headers(key, host="127.0.0.1:8081", path="/p", timestamp="t", nonce="n")
    assert one["x-signature"] != two["x-signature"]


def test_fresh_nonce_and_timestamp_format() -> None:
    key = SigningKey("k", "s")
    a = sign_headers(key, host="h", path="/p")
    b = sign_headers(key, host="h", path="/p")
    assert a["x-signature-nonce"] != b["x-signature-nonce"]
    parsed = datetime.strptime(a["x-timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5


def test_refuses_unknown_algorithm_and_body_with_form() -> None:
    key = SigningKey("k", "s")
    with pytest.raises(ValueError, match="unsupported signature algorithm"):
        sign_headers(key, host="h", path="/p", algorithm="HMAC-MD5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="either a JSON body or form"):
        sign_headers(key, host="h", path="/p", body=b"{}", form={"a": "b"})


def test_secret_not_in_repr() -> None:
    assert "s3cr3t-value" not in repr(SigningKey("key", "s3cr3t-value"))
