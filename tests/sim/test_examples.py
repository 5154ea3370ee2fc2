"""The published example requests (examples.json), replayed byte for byte: their HMAC values
were computed independently of app.webull.signing, so this checks the simulator's verifier
against the documents themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimServer
from app.sim.seed import PartnerApp, TradingApp
from tests.webull.openapi_support import load_examples

from .support import error_of

NOW = datetime.fromisoformat("2026-09-21T14:35:12+00:00")


@pytest.fixture
def example_sim(http: httpx.Client) -> Any:
    meta = load_examples()["_meta"]["fixtures"]
    with SimServer(clock=ManualClock(NOW), rate_limits=None) as sim:
        owner = sim.demo_users()[0].identity_id
        sim.state.registry.add_trading_app(TradingApp(meta["app_key"], meta["app_secret"], owner))
        client = meta["oauth_client"]
        sim.state.registry.add_partner(PartnerApp(
            "Example", client["client_id"], client["client_secret"], meta["app_key"],
            meta["app_secret"], client["scope"], (client["redirect_uri"],)))
        yield sim


def _replay(http: httpx.Client, sim: SimServer, example: dict[str, Any], host: str,
            **changes: str) -> httpx.Response:
    request = example["request"]
    headers = {**request["headers"], "Host": host, **changes}
    query = request.get("query") or {}
    url = sim.info.base_url + request["path"] + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    body = None
    if "body" in request:
        body = httpx.Request("POST", url, json=request["body"]).content.replace(b", ", b",")
    return http.request(request["method"], url, headers=headers, content=body)


@pytest.mark.parametrize("name", ["account_list", "balance", "positions", "instruments_stock",
                                  "instruments_crypto", "instruments_futures",
                                  "instruments_event_markets", "option_contracts"])
def test_published_signatures_verify(example_sim: SimServer, http: httpx.Client,
                                     name: str) -> None:
    example = load_examples()["trading"][name]
    host = load_examples()["_meta"]["fixtures"]["trading_host"]
    # the signature passes; only the examples' 2FA token is unknown here
    response = _replay(http, example_sim, example, host)
    assert error_of(response) == (401, "INVALID_TOKEN"), response.text
    # one changed byte in a signed header and the signature fails
    nonce = example["request"]["headers"]["x-signature-nonce"]
    tampered = _replay(http, example_sim, example, host, **{"x-signature-nonce": nonce[:-1] + "0"})
    assert error_of(tampered) == (401, "UNAUTHORIZED")
    assert "signature mismatch" in tampered.json()["message"]


def test_published_token_request_verifies(example_sim: SimServer, http: httpx.Client) -> None:
    example = load_examples()["connect"]["token_create"]["request"]
    host = load_examples()["_meta"]["fixtures"]["connect_host"]
    url = example_sim.info.base_url + "/oauth2/tokens/create"
    response = http.post(url, content=example["raw_body"].encode(),
                         headers={**example["headers"], "Host": host})
    # signature and client credentials pass; the example's code was never issued here
    assert error_of(response) == (417, "token.auth.code.error"), response.text
    wrong_host = http.post(url, content=example["raw_body"].encode(),
                           headers={**example["headers"], "Host": "api.sandbox.webull.com"})
    assert error_of(wrong_host) == (401, "UNAUTHORIZED")


def test_published_2fa_requests_verify(example_sim: SimServer, http: httpx.Client) -> None:
    examples = load_examples()["trading"]["token_2fa_create_and_check"]
    host = load_examples()["_meta"]["fixtures"]["trading_host"]
    created = _replay(http, example_sim, examples["create"], host)
    assert created.status_code == 200, created.text
    assert created.json()["status"] == "NORMAL"  # sandbox: valid at once
    checked = _replay(http, example_sim, examples["check"], host)
    # same nonce as the create example: refused as a replay, after the signature passed
    assert error_of(checked) == (401, "UNAUTHORIZED")
    assert "nonce" in checked.json()["message"]
