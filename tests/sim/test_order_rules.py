"""The rules of API.md §7, each refused with HTTP 417 and its code (Connect: OAUTH_ prefix)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimServer

from .orders_support import (
    Session,
    connect_session,
    plain_order,
    stock,
    trading_session,
)

PARAM = "OAUTH_OPENAPI_PARAM_ERR"
SELL_QTY = "OAUTH_OPENAPI_SELL_QTY_EXCEED_AVAILABLE_QTY"
BP = "OAUTH_OPENAPI_DAY_BUYING_POWER_INSUFFICIENT"
FRACT = "OAUTH_OPENAPI_FRACT_TICKER_DONT_SUPPORT_TRADE"
NO_PERM = "OAUTH_OPENAPI_TRADE_ORDER_NO_PERMISSION"
INVALID_QTY = "OAUTH_ORDER_INVALID_QTY"


def _event_symbol(sim: SimServer) -> str:
    return next(s for s in sim.state.catalog.events if s.startswith("KXRATECUTCOUNT"))


def _futures(sim: SimServer) -> str:
    return min((c for c in sim.state.catalog.futures.values() if c.code == "ES"),
               key=lambda c: c.last_trading).symbol


Case = tuple[str, Callable[[SimServer], dict[str, Any]], str]

CASES: list[Case] = [
    # sides, order types, TIF, entrust types per class
    ("margin", lambda s: stock(side="SHORT", symbol="ZVZZT"), NO_PERM),
    ("margin", lambda s: stock(order_type="MARKET_ON_OPEN"), PARAM),
    ("margin", lambda s: stock(time_in_force="IOC"), PARAM),
    ("margin", lambda s: stock(side="SELL", symbol="KO"), SELL_QTY),
    ("margin", lambda s: stock(side="SELL", quantity="101"), SELL_QTY),
    ("margin", lambda s: stock(quantity="100000", symbol="NVDA"), BP),
    ("margin", lambda s: stock(quantity="0.5", symbol="TQQQ"), FRACT),
    ("margin", lambda s: stock(quantity="0.5", order_type="LIMIT", limit_price="100.00"), PARAM),
    ("margin", lambda s: stock(entrust_type="AMOUNT", quantity=None, total_cash_amount="100",
                               symbol="SQQQ"), FRACT),
    ("margin", lambda s: stock(entrust_type="AMOUNT", quantity=None, total_cash_amount="100",
                               order_type="LIMIT", limit_price="100.00"), PARAM),
    ("margin", lambda s: stock(order_type="LIMIT", limit_price="100.001"), PARAM),
    ("margin", lambda s: stock(order_type="LIMIT"), PARAM),
    ("margin", lambda s: stock(order_type="STOP_LOSS"), PARAM),
    ("margin", lambda s: stock(order_type="TRAILING_STOP_LOSS", trailing_type="PERCENTAGE",
                               trailing_stop_step="1.5"), PARAM),
    ("margin", lambda s: stock(support_trading_session="Y"), PARAM),
    ("margin", lambda s: stock(symbol="ZXZZT"), NO_PERM),
    ("margin", lambda s: stock(symbol="ZWZZT"), NO_PERM),  # liquidate only
    ("margin", lambda s: stock(symbol="ZWZZT", side="SELL", quantity="10"),
     "OAUTH_OPENAPI_CANT_TRADE_FOR_PRICE_BETWEEN_0099_AND_0999"),
    ("margin", lambda s: stock(client_order_id="has-dash"), PARAM),
    ("margin", lambda s: stock(client_order_id="A" * 33), PARAM),
    ("margin", lambda s: stock(market="HK"), PARAM),
    ("margin", lambda s: stock(symbol="NOPE"), PARAM),
    # asset class ↔ account class
    ("margin", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                     time_in_force="IOC", quantity="0.001"), NO_PERM),
    ("crypto", lambda s: stock(), NO_PERM),
    ("futures", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.50",
                                      event_outcome="yes"), NO_PERM),
    # options
    ("margin", lambda s: plain_order("OPTION", "AAPL", option_strategy="VERTICAL",
                                     limit_price="1.00", legs=[_leg(s, "BUY", 1)]), PARAM),
    ("margin", lambda s: plain_order("OPTION", "AAPL", side="SELL", time_in_force="GTC",
                                     limit_price="1.00", legs=[_leg(s, "SELL", 1)]), PARAM),
    ("margin", lambda s: plain_order("OPTION", "AAPL", order_type="TRAILING_STOP_LOSS",
                                     trailing_type="AMOUNT", trailing_stop_step="1",
                                     legs=[_leg(s, "BUY", 1)]), PARAM),
    ("margin", lambda s: plain_order("OPTION", "AAPL", limit_price="1.00",
                                     position_intent="BUY_TO_CLOSE",
                                     legs=[_leg(s, "BUY", 1)]), SELL_QTY),
    ("margin", lambda s: plain_order("OPTION", "AAPL", limit_price="1.00", quantity="1.5",
                                     legs=[{**_leg(s, "BUY", 1), "quantity": "1.5"}]),
     INVALID_QTY),
    # futures
    ("futures", lambda s: plain_order("FUTURES", _futures(s), limit_price="6000.10"), PARAM),
    ("futures", lambda s: plain_order("FUTURES", _futures(s), side="SHORT",
                                      limit_price="6000.00"), PARAM),
    ("futures", lambda s: plain_order("FUTURES", _futures(s), entrust_type="AMOUNT",
                                      quantity=None, total_cash_amount="100",
                                      order_type="MARKET"), PARAM),
    ("futures", lambda s: plain_order("FUTURES", _futures(s), quantity="1.5",
                                      order_type="MARKET"), INVALID_QTY),
    ("futures", lambda s: plain_order("FUTURES", _futures(s), quantity="100",
                                      order_type="MARKET"), BP),
    ("futures", lambda s: plain_order("FUTURES", _futures(s), order_type="MARKET",
                                      support_trading_session="CORE"), PARAM),
    # crypto
    ("crypto", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                     quantity="0.001"), PARAM),
    ("crypto", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                     time_in_force="IOC", quantity="0.000001"), PARAM),
    ("crypto", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                     time_in_force="IOC", quantity="5"), PARAM),
    ("crypto", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="STOP_LOSS",
                                     stop_price="1000", quantity="0.01"), PARAM),
    ("crypto", lambda s: plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                     time_in_force="IOC", quantity="0.000000001"),
     INVALID_QTY),
    ("crypto", lambda s: plain_order("CRYPTO", "SOLUSD", side="SELL", order_type="MARKET",
                                     time_in_force="IOC", quantity="31"), SELL_QTY),
    ("crypto", lambda s: plain_order("CRYPTO", "SOLUSD", side="SELL", order_type="MARKET",
                                     time_in_force="IOC", quantity="29.999"), PARAM),
    # event contracts
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.50"), PARAM),
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.505",
                                     event_outcome="yes"), PARAM),
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="1.00",
                                     event_outcome="yes"), PARAM),
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.50",
                                     event_outcome="yes", quantity="50001"), INVALID_QTY),
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.50",
                                     event_outcome="no", side="SELL"), SELL_QTY),
    ("events", lambda s: plain_order("EVENT", _event_symbol(s), limit_price="0.50",
                                     event_outcome="yes", quantity="5000"), BP),
]


def _leg(sim: SimServer, side: str, offset: int) -> dict[str, str]:
    option = sim.state.catalog.option_at("AAPL", 25, offset, "CALL")
    return {"side": side, "quantity": "1", "symbol": "AAPL", "instrument_type": "OPTION",
            "market": "US", "option_type": "CALL", "strike_price": f"{option.strike}",
            "option_expire_date": option.expiration.isoformat()}


def trading_code(connect_code: str) -> str:
    """The Trading API's code for a Connect code (errors.py)."""
    return {PARAM: "INVALID_PARAMETER", BP: "DAY_BUYING_POWER_INSUFFICIENT"}.get(
        connect_code, connect_code.removeprefix("OAUTH_"))


@pytest.mark.parametrize(("account", "make", "code"), CASES)
def test_rule_refused(demo: Session, http: httpx.Client, account: str,
                      make: Callable[[SimServer], dict[str, Any]], code: str) -> None:
    account_id = demo.accounts()[account]
    order = make(demo.sim)
    assert demo.refused(demo.place(account_id, order)) == code
    if order["instrument_type"] != "CRYPTO":  # crypto has no preview
        assert demo.refused(demo.preview(account_id, order)) == code
    assert demo.refused(demo.call("/trading/orders/get", query={
        "account_id": account_id, "client_order_id": order["client_order_id"]})) == PARAM
    direct = trading_session(http, demo.sim)
    assert direct.refused(direct.place(account_id, order)) == trading_code(code)


def test_cash_accounts_cannot_short_or_write_options(sim: SimServer, http: httpx.Client) -> None:
    alice = connect_session(http, sim, "alice", "alice1234")
    cash = alice.accounts()["cash"]
    assert alice.refused(alice.place(cash, stock(side="SHORT"))) == NO_PERM
    naked = plain_order("OPTION", "AAPL", side="SELL", limit_price="1.00",
                        legs=[_leg(sim, "SELL", 5)])
    assert alice.refused(alice.place(cash, naked)) == NO_PERM


def test_short_sale_in_a_margin_account(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    demo.placed(margin, stock(side="SHORT", symbol="KO", quantity="10"))
    assert demo.held(margin, "KO") == -10


def test_duplicate_client_order_id(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = stock()
    demo.placed(margin, order)
    again = stock(client_order_id=order["client_order_id"], symbol="MSFT")
    assert demo.refused(demo.place(margin, again)) == "OAUTH_OPENAPI_CLIENT_ORDER_ID_DUPLICATE"
    other = demo.accounts()["futures"]
    contract = min((c for c in demo.sim.state.catalog.futures.values() if c.code == "MES"),
                   key=lambda c: c.last_trading).symbol
    reused = plain_order("FUTURES", contract, order_type="MARKET",
                         client_order_id=order["client_order_id"])
    assert demo.place(other, reused).status_code == 200  # unique per account only
    twice = [stock(combo_type="OCO", side="SELL", order_type="LIMIT", limit_price="900.00",
                   client_order_id="SAMEID1")] * 2
    assert demo.refused(demo.place(margin, *twice)) == "OAUTH_OPENAPI_CLIENT_ORDER_ID_DUPLICATE"


def test_crypto_cannot_be_previewed(demo: Session) -> None:
    crypto = demo.accounts()["crypto"]
    order = plain_order("CRYPTO", "BTCUSD", order_type="MARKET", time_in_force="IOC",
                        quantity="0.001")
    assert demo.refused(demo.preview(crypto, order)) == PARAM


def test_another_users_account_is_refused(sim: SimServer, http: httpx.Client) -> None:
    demo = connect_session(http, sim)
    alice = connect_session(http, sim, "alice", "alice1234")
    response = alice.place(demo.accounts()["margin"], stock())
    assert response.status_code == 401 and response.json()["error_code"] == "INVALID_TOKEN"


def test_sessions_when_markets_keep_hours(sim: SimServer, http: httpx.Client,
                                          clock: ManualClock) -> None:
    session = trading_session(http, sim)
    margin = session.accounts()["margin"]
    sim.state.market.always_open = False
    clock.set(datetime.fromisoformat("2026-09-22T01:00:00+00:00"))  # Monday 21:00 ET
    assert session.refused(session.place(margin, stock())) == "OPENAPI_NO_TRADING_TIME"
    night = stock(support_trading_session="NIGHT", order_type="LIMIT", limit_price="100.00")
    assert session.place(margin, night).status_code == 200
    assert session.place(margin, stock(symbol="ZVZZT", support_trading_session="NIGHT")
                         ).status_code == 417
    clock.set(datetime.fromisoformat("2026-09-22T18:00:00+00:00"))  # Tuesday 14:00 ET
    response = session.preview(margin, stock(support_trading_session="NIGHT"))
    assert session.refused(response) == "OPENAPI_NO_NIGHT_TRADING_TIME"
    crypto = session.accounts()["crypto"]
    clock.set(datetime.fromisoformat("2026-09-27T12:00:00+00:00"))  # Sunday: crypto trades
    assert session.place(crypto, plain_order("CRYPTO", "BTCUSD", order_type="MARKET",
                                             time_in_force="IOC", quantity="0.001")
                         ).status_code == 200
    assert session.refused(session.place(margin, stock())) == "OPENAPI_NO_TRADING_TIME"


def test_pending_crypto_buys_are_capped(demo: Session) -> None:
    crypto = demo.accounts()["crypto"]
    account = demo.sim.state.registry.account(crypto)
    assert account is not None
    account.cash = Decimal(1_000_000)
    price = demo.sim.state.market.price("BTCUSD")
    limit = (price / 2).quantize(demo.sim.state.catalog.crypto["BTCUSD"].price_step)
    qty = (Decimal(90_000) / limit).quantize(Decimal("0.00000001"))
    for _ in range(2):
        demo.placed(crypto, plain_order("CRYPTO", "BTCUSD", quantity=f"{qty}",
                                        limit_price=f"{limit}", time_in_force="GTC"))
    third = plain_order("CRYPTO", "BTCUSD", quantity=f"{qty / 3:.8f}", limit_price=f"{limit}")
    assert demo.refused(demo.place(crypto, third)) == PARAM


@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], {}, "abc", "-1", "0", "1e400", "NaN",
                                   "1" * 40, "0.000000000001"])
def test_malformed_fields_are_parameter_errors(demo: Session, value: Any) -> None:
    margin = demo.accounts()["margin"]
    for key in ("quantity", "limit_price", "side", "symbol", "legs", "client_order_id",
                "time_in_force", "total_cash_amount", "expire_date", "event_outcome"):
        item = stock(order_type="LIMIT", limit_price="100.00")
        item[key] = value
        response = demo.place(margin, item)
        assert response.status_code in (200, 417), (key, value, response.text)
        if response.status_code == 417:
            assert demo.refused(response) == PARAM
    for body in ({}, {"account_id": margin}, {"account_id": margin, "new_orders": value}):
        for path in ("place", "preview", "replace", "batch-place", "cancel"):
            response = demo.post(f"/trading/orders/{path}", body)
            assert response.status_code == 417, (path, body, response.text)
