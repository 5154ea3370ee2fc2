"""Helpers for the order tests: a demo user's Connect session and plain signed order calls."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from app.sim import SimServer
from app.webull.signing import SigningKey

from .schemas import check
from .support import call, connect_tokens, error_of, trading_token

_ids = itertools.count(1)

CLASSES = {"margin": "INDIVIDUAL_MARGIN", "cash": "INDIVIDUAL_CASH", "futures": "FUTURES",
           "crypto": "CRYPTO", "events": "EVENTS_CASH"}


def new_id() -> str:
    return f"T{next(_ids):06d}X{'0' * 8}"


def stock(**kw: Any) -> dict[str, Any]:
    item = {"client_order_id": new_id(), "combo_type": "NORMAL", "market": "US",
            "entrust_type": "QTY", "instrument_type": "EQUITY", "symbol": "AAPL",
            "order_type": "MARKET", "side": "BUY", "quantity": "1", "time_in_force": "DAY",
            "support_trading_session": "CORE"}
    item.update(kw)
    return {k: v for k, v in item.items() if v is not None}


def plain_order(kind: str, symbol: str, **kw: Any) -> dict[str, Any]:
    item = {"client_order_id": new_id(), "combo_type": "NORMAL", "market": "US",
            "entrust_type": "QTY", "instrument_type": kind, "symbol": symbol,
            "order_type": "LIMIT", "side": "BUY", "quantity": "1", "time_in_force": "DAY"}
    item.update(kw)
    return {k: v for k, v in item.items() if v is not None}


@dataclass
class Session:
    """A user's Connect (or Trading API) session against the simulator."""

    http: httpx.Client
    sim: SimServer
    bearer: str | None = None
    key: SigningKey | None = None
    access_token: str | None = None

    def call(self, path: str, **kw: Any) -> httpx.Response:
        return call(self.http, self.sim, path, bearer=self.bearer, key=self.key,
                    access_token=self.access_token, **kw)

    def accounts(self) -> dict[str, str]:
        listed = self.call("/trading/accounts/list").json()
        out: dict[str, str] = {}
        for kind, cls in CLASSES.items():
            found = [a["account_id"] for a in listed if a["account_class"] == cls
                     and a["account_label"] in ("Individual Margin", "Individual Cash", "Futures",
                                                "Crypto", "Events Cash")]
            if found:
                out[kind] = found[0]
        return out

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.call(path, method="POST", json_body=body)

    def place(self, account: str, *orders: dict[str, Any], **extra: Any) -> httpx.Response:
        return self.post("/trading/orders/place", {"account_id": account,
                                                   "new_orders": list(orders), **extra})

    def placed(self, account: str, *orders: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = self.place(account, *orders, **extra)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def preview(self, account: str, *orders: dict[str, Any]) -> httpx.Response:
        return self.post("/trading/orders/preview", {"account_id": account,
                                                     "new_orders": list(orders)})

    def cancel(self, account: str, client_order_id: str) -> httpx.Response:
        return self.post("/trading/orders/cancel", {"account_id": account,
                                                    "client_order_id": client_order_id})

    def replace(self, account: str, *items: dict[str, Any]) -> httpx.Response:
        return self.post("/trading/orders/replace", {"account_id": account,
                                                     "modify_orders": list(items)})

    def detail(self, account: str, client_order_id: str) -> dict[str, Any]:
        response = self.call("/trading/orders/get", query={"account_id": account,
                                                            "client_order_id": client_order_id})
        assert response.status_code == 200, response.text
        body = response.json()
        check("orderDetail", body)
        return dict(body)

    def item(self, account: str, client_order_id: str) -> dict[str, Any]:
        group = self.detail(account, client_order_id)
        return next(o for o in group["orders"] if o["client_order_id"] == client_order_id)

    def balance(self, account: str) -> dict[str, Any]:
        response = self.call("/trading/assets/balances/get", query={"account_id": account})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def assets(self, account: str) -> dict[str, Any]:
        return dict(self.balance(account)["account_currency_assets"][0])

    def positions(self, account: str) -> list[dict[str, Any]]:
        response = self.call("/trading/assets/positions/list", query={"account_id": account})
        assert response.status_code == 200, response.text
        return list(response.json())

    def held(self, account: str, symbol: str) -> Decimal:
        return sum((Decimal(p["quantity"]) for p in self.positions(account)
                    if p["symbol"] == symbol and p["instrument_type"] != "OPTION"), Decimal(0))

    def refused(self, response: httpx.Response) -> str:
        status, code = error_of(response)
        assert status == 417, response.text
        return code


def connect_session(http: httpx.Client, sim: SimServer, user: str = "demo",
                    password: str = "demo1234") -> Session:
    sim.state.limiter.disable()
    return Session(http, sim, bearer=connect_tokens(http, sim, user, password).access_token)


def trading_session(http: httpx.Client, sim: SimServer, user: str = "demo") -> Session:
    sim.state.limiter.disable()
    key, token = trading_token(http, sim, user)
    return Session(http, sim, key=key, access_token=token)


def path_extremes(sim: SimServer, symbol: str, seconds: int, step: int = 5
                  ) -> list[tuple[int, Decimal]]:
    """The market's prices on the grid the engine samples when the clock jumps ``seconds``."""
    now = sim.clock.now()
    return [(s, sim.state.market.price(symbol, now + timedelta(seconds=s)))
            for s in range(step, seconds + 1, step)]
