"""Accounts, balances and positions (API.md §6.1–6.4): schemas, realism, coherence, movement."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimServer
from tests.webull.openapi_support import load_examples

from .schemas import check
from .support import Tokens, call, connect_tokens, error_of, trading_token

USERS = (("demo", "demo1234"), ("alice", "alice1234"), ("bob", "bob12345"))


@pytest.fixture(scope="module")
def tokens(shared_sim: SimServer) -> Iterator[dict[str, Tokens]]:
    with httpx.Client(trust_env=False, timeout=5) as http:
        yield {name: connect_tokens(http, shared_sim, name, pw) for name, pw in USERS}


def _get(http: httpx.Client, sim: SimServer, path: str, access: str,
         account: str | None = None) -> Any:
    response = call(http, sim, path, bearer=access,
                    query={"account_id": account} if account else None)
    assert response.status_code == 200, response.text
    return response.json()


def _everything(http: httpx.Client, sim: SimServer, tokens: dict[str, Tokens]
                ) -> list[tuple[str, dict[str, str], dict[str, Any], list[dict[str, Any]]]]:
    out = []
    for name, _ in USERS:
        access = tokens[name].access_token
        for account in _get(http, sim, "/trading/accounts/list", access):
            balance = _get(http, sim, "/trading/assets/balances/get", access,
                           account["account_id"])
            positions = _get(http, sim, "/trading/assets/positions/list", access,
                             account["account_id"])
            out.append((name, account, balance, positions))
    return out


def test_examples_pass_the_same_checks() -> None:
    """The checker itself: Webull's (adjusted) examples must pass it."""
    trading = load_examples()["trading"]
    check("accountList", trading["account_list"]["response"]["body"])
    check("accountBalance", trading["balance"]["response"]["body"])
    check("accountBalance", trading["balance_events_cash"]["response"]["body"])
    check("accountPosition", trading["positions"]["response"]["body"])
    check("accountPosition", trading["positions_events_account"]["response"]["body"])
    with pytest.raises(AssertionError):
        check("accountBalance", {**trading["balance"]["response"]["body"], "typo_field": "1"})
    with pytest.raises(AssertionError):
        check("accountPosition", [{"position_id": "x"}])


def test_every_response_validates(shared_sim: SimServer, http: httpx.Client,
                                  tokens: dict[str, Tokens]) -> None:
    seen = _everything(http, shared_sim, tokens)
    for name, _ in USERS:
        check("accountList", [a for n, a, _, _ in seen if n == name])
    for _, account, balance, positions in seen:
        check("accountBalance", balance)
        check("accountPosition", positions)
        assert set(account) == {"account_id", "account_number", "account_type", "account_class",
                                "account_label"}


def test_the_demo_users_have_realistic_accounts(shared_sim: SimServer, http: httpx.Client,
                                               tokens: dict[str, Tokens]) -> None:
    seen = _everything(http, shared_sim, tokens)
    labels = {(a["account_class"], a["account_label"]) for _, a, _, _ in seen}
    assert {("INDIVIDUAL_MARGIN", "Individual Margin"), ("INDIVIDUAL_CASH", "Individual Cash"),
            ("INDIVIDUAL_CASH", "Roth IRA"), ("INDIVIDUAL_CASH", "Traditional IRA"),
            ("FUTURES", "Futures"), ("CRYPTO", "Crypto"), ("EVENTS_CASH", "Events Cash")} <= labels
    assert len({a["account_id"] for _, a, _, _ in seen}) == len(seen)
    positions = [p for *_, ps in seen for p in ps]
    kinds = {p["instrument_type"] for p in positions}
    assert kinds == {"EQUITY", "OPTION", "FUTURES", "CRYPTO", "EVENT"}
    vertical = next(p for p in positions if p["option_strategy"] == "VERTICAL")
    assert len(vertical["legs"]) == 2
    q = [Decimal(leg["quantity"]) for leg in vertical["legs"]]
    assert q[0] == -q[1] == Decimal(vertical["quantity"])
    assert vertical["legs"][0]["option_expire_date"] == vertical["legs"][1]["option_expire_date"]
    assert {p["event_outcome"] for p in positions if p["instrument_type"] == "EVENT"} == {
        "yes", "no"}
    assert any("." in p["quantity"] for p in positions if p["instrument_type"] == "EQUITY")
    events = [p for p in positions if p["instrument_type"] == "EVENT"]
    assert all(Decimal("0.01") <= Decimal(p["last_price"]) <= Decimal("0.99") for p in events)
    # someone has an account without positions
    assert any(not ps for *_, ps in seen)


def _multiplier(position: dict[str, Any], sim: SimServer) -> Decimal:
    if position["instrument_type"] == "OPTION":
        return Decimal(100)
    if position["instrument_type"] == "FUTURES":
        return Decimal(sim.state.catalog.futures[position["symbol"]].product.size)
    return Decimal(1)


def test_balances_agree_with_positions(shared_sim: SimServer, http: httpx.Client,
                                       tokens: dict[str, Tokens]) -> None:
    for _, account, balance, positions in _everything(http, shared_sim, tokens):
        assets = balance["account_currency_assets"][0]
        mv = sum(((Decimal(p["quantity"]) * Decimal(p["last_price"]) * _multiplier(p, shared_sim)
                   ).quantize(Decimal("0.01"), ROUND_HALF_UP) for p in positions), Decimal(0))
        upl = sum((Decimal(p["unrealized_profit_loss"]) for p in positions), Decimal(0))
        assert Decimal(balance["total_market_value"]) == mv
        assert Decimal(assets["market_value"]) == Decimal(balance["total_market_value"])
        assert Decimal(balance["total_unrealized_profit_loss"]) == upl
        for p in positions:
            expected = (Decimal(p["last_price"]) - Decimal(p["cost_price"])) * Decimal(
                p["quantity"]) * _multiplier(p, shared_sim)
            assert abs(Decimal(p["unrealized_profit_loss"]) - expected) <= Decimal("0.01")
        if account["account_class"] == "EVENTS_CASH":
            assert balance["total_cash_balance"] == "" == balance["total_net_liquidation_value"]
            assert set(assets) == {"currency", "cash_balance", "market_value",
                                   "unrealized_profit_loss", "buying_power"}
            continue
        cash = Decimal(balance["total_cash_balance"])
        nlv = Decimal(balance["total_net_liquidation_value"])
        if account["account_class"] == "FUTURES":
            assert nlv == cash + Decimal(balance["total_unrealized_profit_loss"])
        else:
            assert nlv == cash + mv
        assert Decimal(assets["settled_cash"]) + Decimal(assets["unsettled_cash"]) == cash
        if account["account_type"] == "MARGIN":
            excess = Decimal(balance["margin_excess"])
            assert excess == nlv - Decimal(balance["init_margin"])
            assert balance["open_margin_calls"] == []
            assert Decimal(balance["maintenance_margin"]) <= Decimal(balance["init_margin"])
            # open orders hold buying power (the seeded working GTC order)
            held = Decimal(balance["used_margin_for_open_order"])
            assert Decimal(assets["frozen_amount"]) == held
            if account["account_class"] == "INDIVIDUAL_MARGIN":
                assert Decimal(assets["buying_power"]) == 2 * max(excess, Decimal(0)) - held
                assert Decimal(assets["day_buying_power"]) == 4 * max(excess, Decimal(0)) - held
        else:
            assert "init_margin" not in balance and "margin_excess" not in assets


def test_prices_move_with_the_clock(http: httpx.Client) -> None:
    clock = ManualClock()
    with SimServer(clock=clock, rate_limits=None) as sim:
        access = connect_tokens(http, sim).access_token
        account = _get(http, sim, "/trading/accounts/list", access)[0]["account_id"]

        def snapshot() -> tuple[Any, Any]:
            return (_get(http, sim, "/trading/assets/positions/list", access, account),
                    _get(http, sim, "/trading/assets/balances/get", access, account))

        first = snapshot()
        assert snapshot() == first  # a frozen clock freezes the market
        clock.advance(1200)
        later = snapshot()
        moved = [a["symbol"] for a, b in zip(first[0], later[0], strict=True)
                 if a["last_price"] != b["last_price"]]
        assert len(moved) >= len(first[0]) - 1
        assert later[1]["total_unrealized_profit_loss"] != first[1]["total_unrealized_profit_loss"]
        assert later[1]["total_day_profit_loss"] != first[1]["total_day_profit_loss"]
        assert [p["cost_price"] for p in later[0]] == [p["cost_price"] for p in first[0]]


def test_another_users_account_is_refused(shared_sim: SimServer, http: httpx.Client,
                                          tokens: dict[str, Tokens]) -> None:
    alice_account = _get(http, shared_sim, "/trading/accounts/list",
                         tokens["alice"].access_token)[0]["account_id"]
    for path in ("/trading/assets/balances/get", "/trading/assets/positions/list"):
        for account in (alice_account, "NOSUCHACCOUNT0000000000000"):
            response = call(http, shared_sim, path, bearer=tokens["demo"].access_token,
                            query={"account_id": account})
            assert error_of(response) == (401, "INVALID_TOKEN")
        missing = call(http, shared_sim, path, bearer=tokens["demo"].access_token)
        assert error_of(missing) == (417, "OAUTH_OPENAPI_PARAM_ERR")


def test_trading_api_sees_the_same_accounts(shared_sim: SimServer, http: httpx.Client,
                                            tokens: dict[str, Tokens]) -> None:
    key, token = trading_token(http, shared_sim, "bob")
    mine = call(http, shared_sim, "/trading/accounts/list", key=key, access_token=token).json()
    via_connect = _get(http, shared_sim, "/trading/accounts/list", tokens["bob"].access_token)
    assert mine == via_connect
    balance = call(http, shared_sim, "/trading/assets/balances/get", key=key, access_token=token,
                   query={"account_id": mine[0]["account_id"]})
    check("accountBalance", balance.json())


def test_java_style_numbers_when_asked(http: httpx.Client) -> None:
    """Webull sometimes writes large figures as Java doubles (``2.32435219E8``): from 10^7."""
    with SimServer(clock=ManualClock(), java_number_style=True, rate_limits=None) as sim:
        access = connect_tokens(http, sim).access_token
        account = _get(http, sim, "/trading/accounts/list", access)[0]["account_id"]
        sim.state.registry.account(account).cash = Decimal(232435219)  # type: ignore[union-attr]
        balance = _get(http, sim, "/trading/assets/balances/get", access, account)
        check("accountBalance", balance)
        assert balance["total_cash_balance"] == "2.32435219E8"
        assert "E" in balance["account_currency_assets"][0]["day_buying_power"]
        assert "E" not in balance["total_market_value"]  # small figures stay plain
        assert Decimal(balance["total_net_liquidation_value"]) > Decimal(232435219)
