"""Covered stock and collar (API.md §7.2): one EQUITY leg of 100 shares per contract with the
options. Accepted and refused shapes, the fill (one strategy position with a stock leg),
preview figures equal to what the fill charges, replace by leg id and cancel."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimServer
from app.sim.instruments import OptionContract
from app.webull.models import OrderGroup, decode_positions

from .orders_support import Session, connect_session, plain_order
from .schemas import check

PARAM = "OAUTH_OPENAPI_PARAM_ERR"
SELL_QTY = "OAUTH_OPENAPI_SELL_QTY_EXCEED_AVAILABLE_QTY"
NO_PERM = "OAUTH_OPENAPI_TRADE_ORDER_NO_PERMISSION"
INVALID_QTY = "OAUTH_ORDER_INVALID_QTY"
CENT = Decimal("0.01")


def contract(sim: SimServer, kind: str, offset: int, underlying: str = "AAPL") -> OptionContract:
    return sim.state.catalog.option_at(underlying, 25, offset, kind)


def option_leg(option: OptionContract, side: str, quantity: str = "1") -> dict[str, str]:
    return {"side": side, "quantity": quantity, "symbol": option.underlying.symbol,
            "instrument_type": "OPTION", "market": "US", "option_type": option.option_type,
            "strike_price": f"{option.strike}",
            "option_expire_date": option.expiration.isoformat()}


def stock_leg(side: str, quantity: str | None = "100", symbol: str = "AAPL",
              **extra: str) -> dict[str, str]:
    leg = {"side": side, "quantity": quantity, "symbol": symbol, "instrument_type": "EQUITY",
           "market": "US", **extra}
    return {k: v for k, v in leg.items() if v is not None}


def covered(sim: SimServer, side: str = "BUY", quantity: str = "1", underlying: str = "AAPL",
            **kw: Any) -> dict[str, Any]:
    call = contract(sim, "CALL", 2, underlying)
    other = "SELL" if side == "BUY" else "BUY"
    legs = [stock_leg(side, str(100 * int(quantity)), underlying),
            option_leg(call, other, quantity)]
    return plain_order("OPTION", underlying, option_strategy="COVERED_STOCK", side=side,
                       quantity=quantity, **{"order_type": "MARKET", "legs": legs, **kw})


def collar(sim: SimServer, side: str = "BUY", **kw: Any) -> dict[str, Any]:
    other = "SELL" if side == "BUY" else "BUY"
    legs = [stock_leg(side), option_leg(contract(sim, "PUT", -2), side),
            option_leg(contract(sim, "CALL", 2), other)]
    return plain_order("OPTION", "AAPL", option_strategy="COLLAR_WITH_STOCK", side=side,
                       **{"order_type": "MARKET", "legs": legs, **kw})


def price(sim: SimServer, symbol: str) -> Decimal:
    return sim.state.market.price(symbol)


def figures(demo: Session, account: str, order: dict[str, Any]) -> tuple[Decimal, Decimal]:
    response = demo.preview(account, order)
    assert response.status_code == 200, response.text
    check("CommonOrderPreview", response.json())
    body = response.json()
    return Decimal(body["estimated_cost"]), Decimal(body["estimated_transaction_fee"])


def cash(demo: Session, account: str) -> Decimal:
    return Decimal(demo.balance(account)["total_cash_balance"])


def strategy_rows(demo: Session, account: str, strategy: str) -> list[dict[str, Any]]:
    return [p for p in demo.positions(account) if p["option_strategy"] == strategy]


def detail(demo: Session, account: str, client_order_id: str) -> dict[str, Any]:
    """Order detail, schema-checked except its stock legs: the published leg schema describes
    option legs only (every contract field required), so a stock leg is checked here."""
    response = demo.call("/trading/orders/get", query={"account_id": account,
                                                        "client_order_id": client_order_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    options_only = copy.deepcopy(body)
    for item in options_only["orders"]:
        stock = [leg for leg in item.get("legs", []) if leg.get("instrument_type") == "EQUITY"]
        for leg in stock:
            assert set(leg) == {"id", "symbol", "side", "quantity", "instrument_type"}, leg
        item["legs"] = [leg for leg in item.get("legs", []) if leg not in stock]
    check("orderDetail", options_only)
    return body


def item_of(demo: Session, account: str, client_order_id: str) -> dict[str, Any]:
    return dict(detail(demo, account, client_order_id)["orders"][0])


def fee_total(item: dict[str, Any]) -> Decimal:
    return sum((Decimal(f["actual_value"]) for f in item["fees"]), Decimal(0))


def test_covered_stock_fills_into_one_position_and_costs_what_preview_said(
        demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = covered(demo.sim, quantity="2")
    call = contract(demo.sim, "CALL", 2)
    net = price(demo.sim, "AAPL") - price(demo.sim, call.symbol)
    cost, fee = figures(demo, margin, order)
    # 200 shares less 2 calls; 2 contracts at $0.65, the option CAT fee and the shares' one
    assert cost == (2 * net * 100).quantize(CENT) and fee == Decimal("1.32")
    before, shares = cash(demo, margin), demo.held(margin, "AAPL")
    demo.placed(margin, order)
    group = detail(demo, margin, order["client_order_id"])
    item = group["orders"][0]
    assert item["status"] == "FILLED" and item["option_strategy"] == "COVERED_STOCK"
    stock, option = item["legs"]
    assert stock == {"id": stock["id"], "symbol": "AAPL", "side": "BUY", "quantity": "200",
                     "instrument_type": "EQUITY"}
    assert option["option_type"] == "CALL" and option["side"] == "SELL"
    assert option["quantity"] == "2"
    assert fee_total(item) == fee and Decimal(item["filled_price"]) == net
    assert cash(demo, margin) == before - cost - fee
    assert demo.held(margin, "AAPL") == shares  # the shares live in the strategy's position
    typed = OrderGroup.model_validate(group)  # the app reads it
    assert typed.orders[0].legs[0].instrument_type == "EQUITY"
    assert typed.orders[0].legs[0].option_type is None
    positions = demo.positions(margin)
    check("accountPosition", positions)
    (row,) = strategy_rows(demo, margin, "COVERED_STOCK")
    assert row["instrument_type"] == "OPTION" and row["symbol"] == "AAPL"
    assert row["quantity"] == "2" and Decimal(row["last_price"]) == net
    assert Decimal(row["cost_price"]) == net
    assert row["legs"][0] == {"leg_id": row["legs"][0]["leg_id"], "symbol": "AAPL",
                              "quantity": "200"}
    assert row["legs"][1]["quantity"] == "-2" and row["legs"][1]["option_type"] == "CALL"
    assert [p for p in decode_positions(positions) if p.position_id == row["position_id"]]


def test_collar_opens_and_closes_with_fees_on_the_shares_sold(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    opening = collar(demo.sim)
    cost, fee = figures(demo, margin, opening)
    before = cash(demo, margin)
    demo.placed(margin, opening)
    assert cash(demo, margin) == before - cost - fee
    (row,) = strategy_rows(demo, margin, "COLLAR_WITH_STOCK")
    assert [leg.get("option_type") for leg in row["legs"]] == [None, "PUT", "CALL"]
    assert [leg["quantity"] for leg in row["legs"]] == ["100", "1", "-1"]
    closing = collar(demo.sim, side="SELL", position_intent="SELL_TO_CLOSE")
    proceeds, sale_fee = figures(demo, margin, closing)
    assert proceeds == cost  # the clock stands still: the same prices
    demo.placed(margin, closing)
    item = item_of(demo, margin, closing["client_order_id"])
    assert {f["type"] for f in item["fees"]} == {
        "OPTION_CONTRACT_FEE", "FINRA_CAT_REGULATORY_FEE", "SEC_REGULATORY_FEE",
        "FINRA_TRADING_ACTIVITY_FEE"}
    assert fee_total(item) == sale_fee
    assert cash(demo, margin) == before - cost - fee + proceeds - sale_fee
    assert strategy_rows(demo, margin, "COLLAR_WITH_STOCK") == []


def test_a_covered_call_needs_no_margin_account(sim: SimServer, http: httpx.Client) -> None:
    bob = connect_session(http, sim, "bob", "bob12345")
    ira = next(a["account_id"] for a in bob.call("/trading/accounts/list").json()
               if a["account_label"] == "Traditional IRA")
    naked = plain_order("OPTION", "NVDA", side="SELL", limit_price="1.00",
                        legs=[option_leg(contract(sim, "CALL", 2, "NVDA"), "SELL")])
    assert bob.refused(bob.place(ira, naked)) == NO_PERM
    order = covered(sim, underlying="NVDA")
    cost, fee = figures(bob, ira, order)
    before = cash(bob, ira)
    bob.placed(ira, order)
    assert cash(bob, ira) == before - cost - fee
    assert len(strategy_rows(bob, ira, "COVERED_STOCK")) == 1


def _swap(order: dict[str, Any], index: int, **changes: str | None) -> dict[str, Any]:
    legs = [dict(leg) for leg in order["legs"]]
    legs[index] = {k: v for k, v in {**legs[index], **changes}.items() if v is not None}
    return {**order, "legs": legs}


REFUSED = [
    (lambda s: _swap(covered(s), 0, strike_price="200"), PARAM, "names no option contract"),
    (lambda s: _swap(covered(s), 0, option_type="CALL"), PARAM, "names no option contract"),
    (lambda s: _swap(covered(s), 0, symbol="MSFT"), PARAM, "the order's underlying"),
    (lambda s: _swap(covered(s), 0, quantity="150"), PARAM, "100 shares per contract"),
    (lambda s: _swap(covered(s), 0, quantity="100.5"), INVALID_QTY, "whole shares"),
    (lambda s: _swap(covered(s), 0, side="SELL"), PARAM, "its stock leg's side"),
    (lambda s: _swap(covered(s), 1, side="BUY"), PARAM, "the call is sold"),
    (lambda s: {**covered(s), "legs": [covered(s)["legs"][1], option_leg(
        contract(s, "CALL", 4), "BUY")]}, PARAM, "a stock leg and a call"),
    (lambda s: {**covered(s), "legs": [covered(s)["legs"][0], option_leg(
        contract(s, "PUT", -2), "SELL")]}, PARAM, "a stock leg and a call"),
    (lambda s: {**covered(s), "legs": [stock_leg("BUY"), stock_leg("BUY")]}, PARAM,
     "different contracts"),
    (lambda s: _swap(collar(s), 1, side="SELL"), PARAM, "the put is bought"),
    (lambda s: {**collar(s), "legs": collar(s)["legs"][:2] + [option_leg(
        contract(s, "PUT", -4), "SELL")]}, PARAM, "a stock leg, a put and a call"),
    (lambda s: {**covered(s), "option_strategy": "VERTICAL"}, PARAM, "has no stock leg"),
    (lambda s: _swap(_swap(covered(s, quantity="2"), 1, quantity="4"), 0, quantity="400"),
     PARAM, "one contract of each option per unit"),
    (lambda s: covered(s, side="SELL"), SELL_QTY, "no COVERED_STOCK position to close"),
    (lambda s: _untradable(s), NO_PERM, "ZXZZT is not tradable"),
]


def _untradable(sim: SimServer) -> dict[str, Any]:
    """ZXZZT is not tradable; its stock leg is refused before the (unlisted) option leg."""
    order = _swap(covered(sim), 0, symbol="ZXZZT")
    order["legs"][1]["symbol"] = "ZXZZT"
    return {**order, "symbol": "ZXZZT"}


@pytest.mark.parametrize(("make", "code", "words"), REFUSED)
def test_refused_shapes_say_why(demo: Session, make: Any, code: str, words: str) -> None:
    margin = demo.accounts()["margin"]
    order = make(demo.sim)
    for response in (demo.preview(margin, order), demo.place(margin, order)):
        assert demo.refused(response) == code, response.text
        assert words in response.json()["message"]
    assert strategy_rows(demo, margin, "COVERED_STOCK") == []


def test_replace_by_leg_ids_and_cancel(demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    resting = covered(demo.sim, order_type="LIMIT", limit_price="1.00", time_in_force="GTC")
    cost, fee = figures(demo, margin, resting)
    assert cost == Decimal("100.00")
    held = Decimal(demo.balance(margin)["used_margin_for_open_order"])
    demo.placed(margin, resting)
    cid = resting["client_order_id"]
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) == held + cost + fee
    stock, option = item_of(demo, margin, cid)["legs"]
    wrong = demo.replace(margin, {"client_order_id": cid, "quantity": "2", "legs": [
        {"id": stock["id"], "quantity": "100"}, {"id": option["id"], "quantity": "2"}]})
    assert demo.refused(wrong) == PARAM and "ratio" in wrong.json()["message"]
    ok = demo.replace(margin, {"client_order_id": cid, "quantity": "2", "legs": [
        {"id": stock["id"], "quantity": "200"}, {"id": option["id"], "quantity": "2"}]})
    assert ok.status_code == 200, ok.text
    item = item_of(demo, margin, cid)
    assert item["status"] == "SUBMITTED" and item["total_quantity"] == "2"
    assert [leg["quantity"] for leg in item["legs"]] == ["200", "2"]
    net = price(demo.sim, "AAPL") - price(demo.sim, contract(demo.sim, "CALL", 2).symbol)
    marketable = f"{(net + 1).quantize(CENT)}"
    filled = demo.replace(margin, {"client_order_id": cid, "limit_price": marketable})
    assert filled.status_code == 200, filled.text
    assert item_of(demo, margin, cid)["status"] == "FILLED"
    (row,) = strategy_rows(demo, margin, "COVERED_STOCK")
    assert row["quantity"] == "2" and row["legs"][0]["quantity"] == "200"
    other = covered(demo.sim, order_type="LIMIT", limit_price="1.00", time_in_force="GTC")
    demo.placed(margin, other)
    cancelled = demo.cancel(margin, other["client_order_id"])
    assert cancelled.status_code == 200, cancelled.text
    assert item_of(demo, margin, other["client_order_id"])["status"] == "CANCELLED"
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) == held
    clock.advance(60)  # the engine leaves the filled position alone
    assert strategy_rows(demo, margin, "COVERED_STOCK")[0]["quantity"] == "2"
