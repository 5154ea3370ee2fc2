"""Cancel, replace, combos, batch place and the write faults (API.md §6.7–6.10, §6.13)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from app.sim import ManualClock, SimServer
from tests.webull.openapi_support import response_validator, validation_errors

from .orders_support import (
    Session,
    connect_session,
    new_id,
    path_extremes,
    plain_order,
    stock,
)
from .schemas import check
from .support import error_of


def _resting(**kw: str) -> dict[str, str]:
    return stock(order_type="LIMIT", limit_price="100.00", time_in_force="GTC", **kw)


# ------------------------------------------------------------------------------ cancel


def test_cancel_releases_buying_power_and_is_final(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    before = Decimal(demo.balance(margin)["used_margin_for_open_order"])
    order = _resting(quantity="10")
    placed = demo.placed(margin, order)
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) > before
    cancelled = demo.cancel(margin, order["client_order_id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == placed
    check("CommonOrderReplace", cancelled.json())
    assert demo.item(margin, order["client_order_id"])["status"] == "CANCELLED"
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) == before
    assert demo.refused(demo.cancel(margin, order["client_order_id"])) == \
        "OAUTH_OPENAPI_PARAM_ERR"
    assert demo.refused(demo.cancel(margin, new_id())) == "OAUTH_OPENAPI_PARAM_ERR"


def test_trading_side_codes_are_unprefixed(sim: SimServer, http: httpx.Client) -> None:
    from .orders_support import trading_session
    session = trading_session(http, sim)
    margin = session.accounts()["margin"]
    order = stock(quantity="1")
    session.placed(margin, order)
    assert session.refused(session.cancel(margin, order["client_order_id"])) == \
        "INVALID_PARAMETER"
    too_many = stock(quantity="100000", symbol="NVDA")
    assert session.refused(session.place(margin, too_many)) == "DAY_BUYING_POWER_INSUFFICIENT"


# ------------------------------------------------------------------------------ replace


def test_replace_price_and_quantity(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = _resting(quantity="10")
    placed = demo.placed(margin, order)
    held = Decimal(demo.balance(margin)["used_margin_for_open_order"])
    replaced = demo.replace(margin, {"client_order_id": order["client_order_id"],
                                     "quantity": "20", "limit_price": "90.50"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == placed
    check("CommonOrderReplace", replaced.json())
    check("CommonOrderReplace", placed)
    item = demo.item(margin, order["client_order_id"])
    assert (item["total_quantity"], item["limit_price"]) == ("20", "90.50")
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) == held + \
        Decimal("810.00")  # 20 × 90.50 − 10 × 100.00 (the fee stays one cent)


def test_replace_refusals(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = _resting()
    demo.placed(margin, order)
    cid = order["client_order_id"]
    for change in ({"symbol": "MSFT"}, {"side": "SELL"}, {}, {"limit_price": "100.005"},
                   {"stop_price": "99.00"}, {"quantity": "-1"}):
        assert demo.refused(demo.replace(margin, {"client_order_id": cid, **change})) == \
            "OAUTH_OPENAPI_PARAM_ERR", change
    filled = stock()
    demo.placed(margin, filled)
    assert demo.refused(demo.replace(margin, {"client_order_id": filled["client_order_id"],
                                              "quantity": "2"})) == "OAUTH_OPENAPI_PARAM_ERR"
    crypto = demo.accounts()["crypto"]
    resting = plain_order("CRYPTO", "BTCUSD", quantity="0.001", limit_price="50000.00",
                          time_in_force="GTC")
    demo.placed(crypto, resting)
    assert demo.refused(demo.replace(crypto, {"client_order_id": resting["client_order_id"],
                                              "limit_price": "50001.00"})) == \
        "OAUTH_OPENAPI_PARAM_ERR"


def test_replace_a_partially_filled_order_changes_the_rest(demo: Session,
                                                          clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    price = demo.sim.state.market.price("KO")
    order = stock(symbol="KO", quantity="3000", order_type="LIMIT",
                  limit_price=f"{price + 1}", time_in_force="GTC")
    demo.placed(margin, order)
    cid = order["client_order_id"]
    assert demo.item(margin, cid)["filled_quantity"] == "1000"
    assert demo.refused(demo.replace(margin, {"client_order_id": cid, "quantity": "1000"})) == \
        "OAUTH_OPENAPI_PARAM_ERR"
    assert demo.replace(margin, {"client_order_id": cid, "quantity": "1500"}).status_code == 200
    item = demo.item(margin, cid)
    assert item["total_quantity"] == "1500" and item["status"] == "PARTIAL_FILLED"
    clock.advance(1)
    item = demo.item(margin, cid)
    assert (item["status"], item["filled_quantity"]) == ("FILLED", "1500")


def test_futures_replace_rules(demo: Session) -> None:
    futures = demo.accounts()["futures"]
    contract = min((c for c in demo.sim.state.catalog.futures.values() if c.code == "MES"),
                   key=lambda c: c.last_trading)
    last = demo.sim.state.market.price(contract.symbol)
    order = plain_order("FUTURES", contract.symbol, limit_price=f"{last - 100 * contract.tick}",
                        time_in_force="GTC")
    demo.placed(futures, order)
    cid = order["client_order_id"]
    for bad in ({"stop_price": f"{last}"}, {"order_type": "STOP_LOSS", "stop_price": f"{last}"},
                {"limit_price": f"{last + contract.tick / 5}"}):
        assert demo.refused(demo.replace(futures, {"client_order_id": cid, **bad})) == \
            "OAUTH_OPENAPI_PARAM_ERR", bad
    ok = demo.replace(futures, {"client_order_id": cid, "quantity": "2",
                                "limit_price": f"{last - 99 * contract.tick}"})
    assert ok.status_code == 200, ok.text
    assert demo.item(futures, cid)["total_quantity"] == "2"
    became = demo.replace(futures, {"client_order_id": cid, "order_type": "MARKET"})
    assert became.status_code == 200, became.text
    assert demo.item(futures, cid)["status"] == "FILLED"


def _option_leg(sim: SimServer, side: str, offset: int, kind: str = "CALL") -> dict[str, str]:
    option = sim.state.catalog.option_at("AAPL", 25, offset, kind)
    return {"side": side, "quantity": "1", "symbol": "AAPL", "instrument_type": "OPTION",
            "market": "US", "option_type": kind, "strike_price": f"{option.strike}",
            "option_expire_date": option.expiration.isoformat()}


def test_option_orders_with_legs_and_replace_by_leg_id(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    single = plain_order("OPTION", "AAPL", option_strategy="SINGLE", limit_price="0.05",
                         time_in_force="GTC", position_intent="BUY_TO_OPEN",
                         legs=[_option_leg(demo.sim, "BUY", 4)])
    preview = demo.preview(margin, single).json()
    assert preview == {"estimated_cost": "5.00", "estimated_transaction_fee": "0.66"}
    demo.placed(margin, single)
    item = demo.item(margin, single["client_order_id"])
    assert item["status"] == "SUBMITTED" and item["option_strategy"] == "SINGLE"
    leg = item["legs"][0]
    refused = demo.replace(margin, {"client_order_id": single["client_order_id"],
                                    "quantity": "2"})
    assert demo.refused(refused) == "OAUTH_OPENAPI_PARAM_ERR"  # the legs must come too
    replaced = demo.replace(margin, {"client_order_id": single["client_order_id"],
                                     "quantity": "2", "legs": [{"id": leg["id"],
                                                                "quantity": "2"}]})
    assert replaced.status_code == 200, replaced.text
    item = demo.item(margin, single["client_order_id"])
    assert item["total_quantity"] == "2" and item["legs"][0]["quantity"] == "2"
    vertical = plain_order("OPTION", "AAPL", option_strategy="VERTICAL", order_type="MARKET",
                           legs=[_option_leg(demo.sim, "BUY", 1), _option_leg(demo.sim, "SELL",
                                                                                 3)])
    cash = Decimal(demo.balance(margin)["total_cash_balance"])
    preview = demo.preview(margin, vertical).json()
    demo.placed(margin, vertical)
    item = demo.item(margin, vertical["client_order_id"])
    assert item["status"] == "FILLED" and len(item["legs"]) == 2
    assert Decimal(demo.balance(margin)["total_cash_balance"]) == cash - Decimal(
        preview["estimated_cost"]) - Decimal(preview["estimated_transaction_fee"])
    positions = [p for p in demo.positions(margin) if p["option_strategy"] == "VERTICAL"
                 and p["symbol"] == "AAPL"]
    assert len(positions) == 1 and positions[0]["quantity"] == "1"


# ------------------------------------------------------------------------------ combos


def test_take_profit_stop_loss_combo(demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    last = demo.sim.state.market.price("MSFT")
    path = path_extremes(demo.sim, "MSFT", 600)
    low = min(p for _, p in path)
    stop = ((low + last) / 2).quantize(Decimal("0.01"))
    master = stock(symbol="MSFT", quantity="5", combo_type="MASTER")
    profit = stock(symbol="MSFT", quantity="5", combo_type="STOP_PROFIT", side="SELL",
                   order_type="LIMIT", limit_price=f"{last * 2:.2f}")
    loss = stock(symbol="MSFT", quantity="5", combo_type="STOP_LOSS", side="SELL",
                 order_type="STOP_LOSS", stop_price=f"{stop}")
    placed = demo.placed(margin, master, profit, loss)
    assert set(placed) == {"client_combo_order_id", "combo_order_id"}
    check("CommonOrderReplace", placed)
    assert len(placed["client_combo_order_id"]) == 32  # generated when absent
    group = demo.detail(margin, profit["client_order_id"])
    assert group["combo_type"] == "MASTER" and group["combo_order_id"] == placed["combo_order_id"]
    statuses = [o["status"] for o in group["orders"]]
    assert statuses == ["FILLED", "SUBMITTED", "SUBMITTED"]
    clock.advance(600)
    statuses = [o["status"] for o in demo.detail(margin, master["client_order_id"])["orders"]]
    assert statuses == ["FILLED", "CANCELLED", "FILLED"]
    chosen = demo.placed(margin, stock(symbol="MSFT", combo_type="MASTER"),
                         stock(symbol="MSFT", combo_type="STOP_LOSS", side="SELL",
                               order_type="STOP_LOSS", stop_price="1.00"),
                         client_combo_order_id="MYCOMBO1")
    assert chosen["client_combo_order_id"] == "MYCOMBO1"


def test_children_wait_for_their_master(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    master = stock(symbol="MSFT", combo_type="MASTER", order_type="LIMIT", limit_price="1.00")
    child = stock(symbol="MSFT", combo_type="OTO", side="SELL", order_type="LIMIT",
                  limit_price="1.00")
    demo.placed(margin, master, child)
    statuses = [o["status"] for o in demo.detail(margin, child["client_order_id"])["orders"]]
    assert statuses == ["SUBMITTED", "PENDING"]
    opened = demo.call("/trading/orders/open-orders/list", query={"account_id": margin})
    assert any(g["combo_type"] == "MASTER" for g in opened.json()["data"])
    assert demo.cancel(margin, child["client_order_id"]).status_code == 200  # via any member
    statuses = [o["status"] for o in demo.detail(margin, master["client_order_id"])["orders"]]
    assert statuses == ["CANCELLED", "CANCELLED"]


def test_oco_fill_cancels_the_sibling(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    last = demo.sim.state.market.price("AAPL")
    takes = stock(combo_type="OCO", side="SELL", quantity="5", order_type="LIMIT",
                  limit_price=f"{last - 1:.2f}")
    guard = stock(combo_type="OCO", side="SELL", quantity="5", order_type="STOP_LOSS",
                  stop_price=f"{last - 20:.2f}")
    demo.placed(margin, takes, guard)
    group = demo.detail(margin, guard["client_order_id"])
    assert group["combo_type"] == "OCO"
    assert [o["status"] for o in group["orders"]] == ["FILLED", "CANCELLED"]


@pytest.mark.parametrize("orders", [
    [("MASTER", "MARKET", "BUY"), ("STOP_PROFIT", "STOP_LOSS", "SELL")],
    [("MASTER", "STOP_LOSS", "BUY"), ("STOP_LOSS", "STOP_LOSS", "SELL")],
    [("MASTER", "MARKET", "BUY"), ("STOP_PROFIT", "LIMIT", "SELL"),
     ("STOP_PROFIT", "LIMIT", "SELL")],
    [("OCO", "LIMIT", "SELL")],
    [("OCO", "MARKET", "SELL"), ("OCO", "LIMIT", "SELL")],
    [("MASTER", "MARKET", "BUY")],
    [("MASTER", "MARKET", "BUY"), ("MASTER", "MARKET", "BUY"), ("OTO", "LIMIT", "SELL")],
    [("MASTER", "LIMIT", "BUY")] + [("OTOCO", "LIMIT", "SELL")] * 7,
    [("NORMAL", "MARKET", "BUY"), ("OTO", "LIMIT", "SELL")],
])
def test_combo_shapes_refused(demo: Session, orders: list[tuple[str, str, str]]) -> None:
    margin = demo.accounts()["margin"]
    items = []
    for combo, kind, side in orders:
        extra = {"LIMIT": {"limit_price": "100.00"}, "STOP_LOSS": {"stop_price": "100.00"},
                 "MARKET": {}}[kind]
        items.append(stock(combo_type=combo, order_type=kind, side=side, **extra))
    assert demo.refused(demo.place(margin, *items)) == "OAUTH_OPENAPI_PARAM_ERR"


def test_combos_only_for_stocks_and_single_options(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    legs = [_option_leg(demo.sim, "BUY", 1), _option_leg(demo.sim, "SELL", 3)]
    vertical = plain_order("OPTION", "AAPL", option_strategy="VERTICAL", combo_type="MASTER",
                           limit_price="1.00", legs=legs)
    exit_ = plain_order("OPTION", "AAPL", option_strategy="VERTICAL", combo_type="STOP_PROFIT",
                        side="SELL", limit_price="2.00", legs=legs)
    assert demo.refused(demo.place(margin, vertical, exit_)) == "OAUTH_OPENAPI_PARAM_ERR"
    futures = demo.accounts()["futures"]
    contract = next(iter(demo.sim.state.catalog.futures))
    assert demo.refused(demo.place(futures, plain_order(
        "FUTURES", contract, combo_type="OCO", limit_price="100.00"))) == \
        "OAUTH_OPENAPI_PARAM_ERR"


# ------------------------------------------------------------------------------ batch


def test_batch_place_partial_success(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    good = stock(quantity="1")
    limit = stock(symbol="TSLA", order_type="LIMIT", limit_price="10.00")
    stop = stock(order_type="STOP_LOSS", stop_price="10.00")
    body = {"account_id": margin, "batch_orders": [good, limit, stop, dict(good)]}
    response = demo.post("/trading/orders/batch-place", body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["total"], result["success"], result["failed"]) == (4, 2, 2)
    rows = result["batch_orders"]
    assert set(rows[0]) == {"client_order_id", "order_id"}
    assert rows[2]["error_code"] == "OAUTH_OPENAPI_PARAM_ERR"
    assert rows[3]["error_code"] == "OAUTH_OPENAPI_CLIENT_ORDER_ID_DUPLICATE"
    errors = validation_errors(response_validator("OrderBatchPlace"), result)
    assert errors == []
    assert demo.item(margin, limit["client_order_id"])["status"] == "SUBMITTED"
    too_many = {"account_id": margin, "batch_orders": [stock() for _ in range(51)]}
    assert demo.refused(demo.post("/trading/orders/batch-place", too_many)) == \
        "OAUTH_OPENAPI_PARAM_ERR"


# ------------------------------------------------------------------------------ faults


def test_committed_then_500_leaves_the_order_findable(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = _resting()
    demo.sim.faults.server_error("/trading/orders/place", after=True)
    response = demo.place(margin, order)
    assert error_of(response) == (500, "SYSTEM_ERROR")
    assert demo.item(margin, order["client_order_id"])["status"] == "SUBMITTED"
    assert demo.refused(demo.place(margin, order)) == \
        "OAUTH_OPENAPI_CLIENT_ORDER_ID_DUPLICATE"


def test_committed_then_dropped_leaves_the_order_findable(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = _resting()
    demo.sim.faults.drop("/trading/orders/place", after=True)
    with pytest.raises(httpx.TransportError):
        demo.place(margin, order)
    assert demo.item(margin, order["client_order_id"])["status"] == "SUBMITTED"
    demo.sim.faults.server_error("/trading/orders/cancel")  # not committed
    assert demo.cancel(margin, order["client_order_id"]).status_code == 500
    assert demo.item(margin, order["client_order_id"])["status"] == "SUBMITTED"


def test_order_endpoints_are_rate_limited(sim: SimServer, http: httpx.Client) -> None:
    session = connect_session(http, sim)
    margin = session.accounts()["margin"]
    sim.state.limiter.enable()
    query = {"account_id": margin}
    codes = [session.call("/trading/orders/open-orders/list", query=query).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert session.call("/trading/orders/historical-orders/list",
                        query=query).status_code == 200


def test_selling_an_option_position_to_close(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    single = next(p for p in demo.positions(margin) if p["option_strategy"] == "SINGLE")
    leg = single["legs"][0]
    order = plain_order("OPTION", single["symbol"], side="SELL", order_type="MARKET",
                        option_strategy="SINGLE", position_intent="SELL_TO_CLOSE", legs=[{
                            "side": "SELL", "quantity": "1", "symbol": single["symbol"],
                            "instrument_type": "OPTION", "market": "US",
                            "option_type": leg["option_type"],
                            "strike_price": leg["option_exercise_price"],
                            "option_expire_date": leg["option_expire_date"]}])
    cash = Decimal(demo.balance(margin)["total_cash_balance"])
    demo.placed(margin, order)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "FILLED"
    fee = sum(Decimal(f["actual_value"]) for f in item["fees"])
    proceeds = Decimal(item["filled_price"]) * 100
    assert Decimal(demo.balance(margin)["total_cash_balance"]) == cash + proceeds - fee
    assert all(p["position_id"] != single["position_id"] for p in demo.positions(margin))
    again = dict(order, client_order_id=new_id())
    assert demo.refused(demo.place(margin, again)) == \
        "OAUTH_OPENAPI_SELL_QTY_EXCEED_AVAILABLE_QTY"


def test_replace_beyond_buying_power_is_refused_and_changes_nothing(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = _resting(quantity="10")
    demo.placed(margin, order)
    response = demo.replace(margin, {"client_order_id": order["client_order_id"],
                                     "quantity": "100000"})
    assert demo.refused(response) == "OAUTH_OPENAPI_DAY_BUYING_POWER_INSUFFICIENT"
    item = demo.item(margin, order["client_order_id"])
    assert (item["total_quantity"], item["limit_price"]) == ("10", "100.00")


def test_buy_stop_limit_triggers_then_fills_within_its_limit(demo: Session,
                                                             clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    market = demo.sim.state.market
    symbol = next(s for s in ("AMZN", "MSFT", "NVDA", "AAPL", "SPY", "KO")
                  if max(p for _, p in path_extremes(demo.sim, s, 600))
                  > market.price(s) + Decimal("0.02"))
    last = market.price(symbol)
    path = path_extremes(demo.sim, symbol, 600)
    high = max(p for _, p in path)
    stop = ((high + last) / 2).quantize(Decimal("0.01"))
    order = stock(symbol=symbol, quantity="2", order_type="STOP_LOSS_LIMIT",
                  stop_price=f"{stop}", limit_price=f"{stop + 5}")
    demo.placed(margin, order)
    assert demo.item(margin, order["client_order_id"])["status"] == "SUBMITTED"
    clock.advance(600)
    item = demo.item(margin, order["client_order_id"])
    expected = next(p for _, p in path if p >= stop)
    assert item["status"] == "FILLED" and Decimal(item["filled_price"]) == expected
    assert item["stop_price"] == f"{stop}"


def test_otoco_children_work_after_the_master_fills(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    last = demo.sim.state.market.price("AAPL")
    master = stock(combo_type="MASTER", quantity="3")
    take = stock(combo_type="OTOCO", side="SELL", quantity="3", order_type="LIMIT",
                 limit_price=f"{last - 1:.2f}")
    guard = stock(combo_type="OTOCO", side="SELL", quantity="3", order_type="STOP_LOSS",
                  stop_price=f"{last - 50:.2f}")
    preview = demo.preview(margin, master, take, guard)
    alone = demo.preview(margin, dict(master, combo_type="NORMAL"))
    assert preview.json() == alone.json()  # the combo costs what its entry order costs
    demo.placed(margin, master, take, guard)
    group = demo.detail(margin, master["client_order_id"])
    assert [o["status"] for o in group["orders"]] == ["FILLED", "FILLED", "CANCELLED"]
