"""A client written only from Webull's published documentation — its own signing (API.md
§3.2), plain httpx, no code from app.webull — completes OAuth and the account, assets and
orders flow against ``python -m app.sim --auto-approve --port 0`` run as a separate process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from .support import cli_simulator


class DocClient:
    def __init__(self, info: dict[str, str]) -> None:
        self.info = info
        self.base = info["base_url"]
        self.host = urlsplit(self.base).netloc
        self.http = httpx.Client(follow_redirects=False, trust_env=False, timeout=10)
        self.token: str | None = None

    def _sign(self, path: str, params: dict[str, str], body: bytes | None) -> dict[str, str]:
        headers = {
            "x-app-key": self.info["app_key"],
            "x-signature-algorithm": "HMAC-SHA1",
            "x-signature-version": "1.0",
            "x-signature-nonce": uuid.uuid4().hex,
            "x-timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        items = {**params, **headers, "host": self.host}
        text = path + "&" + "&".join(f"{k}={items[k]}" for k in sorted(items))
        if body:
            text += "&" + hashlib.md5(body).hexdigest().upper()
        key = (self.info["app_secret"] + "&").encode()
        mac = hmac.new(key, quote(text, safe="").encode(), hashlib.sha1).digest()
        headers["x-signature"] = base64.b64encode(mac).decode()
        return headers

    def sign_in(self) -> None:
        answer = self.http.get(self.info["login_url"], params={
            "response_type": "code", "client_id": self.info["client_id"],
            "scope": self.info["scope"], "state": "doc-client-state-1",
            "redirect_uri": self.info["redirect_uri"]})
        assert answer.status_code == 302
        callback = parse_qs(urlsplit(answer.headers["location"]).query)
        assert callback["state"] == ["doc-client-state-1"]
        form = {"client_id": self.info["client_id"], "client_secret": self.info["client_secret"],
                "grant_type": "authorization_code", "code": callback["code"][0]}
        headers = {**self._sign("/oauth2/tokens/create", form, None), "x-version": "v2"}
        answer = self.http.post(self.base + "/oauth2/tokens/create", data=form, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert all(isinstance(v, str) for v in body.values())
        self.token = body["access_token"]

    def call(self, method: str, path: str, query: dict[str, str] | None = None,
             body: Any = None) -> httpx.Response:
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        headers = {**self._sign(path, query or {}, raw), "x-version": "v3",
                   "Authorization": f"Bearer {self.token}"}
        if raw is not None:
            headers["Content-Type"] = "application/json"
        return self.http.request(method, self.base + path, params=query, content=raw,
                                 headers=headers)


@pytest.fixture(scope="module")
def simulator() -> Iterator[dict[str, str]]:
    with cli_simulator("--auto-approve", "--port", "0", "--quiet") as run:
        yield run.info


def test_docs_only_client_completes_the_whole_flow(simulator: dict[str, str]) -> None:
    c = DocClient(simulator)
    with c.http:
        run_flow(c)


def run_flow(c: DocClient) -> None:
    c.sign_in()
    accounts = c.call("GET", "/trading/accounts/list").json()
    margin = next(a for a in accounts if a["account_type"] == "MARGIN"
                  and a["account_class"] != "FUTURES")["account_id"]
    balance = c.call("GET", "/trading/assets/balances/get", {"account_id": margin}).json()
    assert balance["total_asset_currency"] == "USD"
    positions = c.call("GET", "/trading/assets/positions/list", {"account_id": margin}).json()
    assert isinstance(positions, list) and positions
    order = {"client_order_id": uuid.uuid4().hex, "combo_type": "NORMAL", "symbol": "AAPL",
             "instrument_type": "EQUITY", "market": "US", "order_type": "LIMIT",
             "limit_price": "1.00", "quantity": "1", "side": "BUY", "time_in_force": "DAY",
             "support_trading_session": "CORE", "entrust_type": "QTY"}
    preview = c.call("POST", "/trading/orders/preview",
                     body={"account_id": margin, "new_orders": [order]})
    assert preview.status_code == 200, preview.text
    placed = c.call("POST", "/trading/orders/place",
                    body={"account_id": margin, "new_orders": [order]})
    assert placed.status_code == 200, placed.text
    assert placed.json()["client_order_id"] == order["client_order_id"]
    detail = c.call("GET", "/trading/orders/get",
                    {"account_id": margin, "client_order_id": order["client_order_id"]}).json()
    assert detail["orders"][0]["status"] in ("PENDING", "SUBMITTED")
    open_orders = c.call("GET", "/trading/orders/open-orders/list",
                         {"account_id": margin}).json()
    assert order["client_order_id"] in {o["client_order_id"] for g in open_orders["data"]
                                        for o in g["orders"]}
    cancelled = c.call("POST", "/trading/orders/cancel",
                       body={"account_id": margin, "client_order_id": order["client_order_id"]})
    assert cancelled.status_code == 200, cancelled.text
    detail = c.call("GET", "/trading/orders/get",
                    {"account_id": margin, "client_order_id": order["client_order_id"]}).json()
    assert detail["orders"][0]["status"] == "CANCELLED"
