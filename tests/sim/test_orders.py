"""Orders (API.md §6.6–6.13): placing, the state machine through fills as the clock advances,
money and positions after fills, the order queries and their schemas."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from app.sim import ManualClock, SimServer

from .orders_support import (
    Session,
    connect_session,
    new_id,
    path_extremes,
    plain_order,
    stock,
    trading_session,
)
from .schemas import check


def _rest_gtc_orders(demo: Session, account: str, count: int) -> list[str]:
    """Place ``count`` far-from-market GTC buy limits that stay open; their client ids."""
    ids = []
    for _ in range(count):
        order = stock(order_type="LIMIT", limit_price="1.00", time_in_force="GTC")
        demo.placed(account, order)
        ids.append(order["client_order_id"])
    return ids


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def test_market_order_fills_at_once_and_costs_what_preview_said(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = stock(symbol="MSFT", quantity="10")
    preview = demo.preview(margin, order)
    assert preview.status_code == 200, preview.text
    check("CommonOrderPreview", preview.json())
    cost = Decimal(preview.json()["estimated_cost"])
    fee = Decimal(preview.json()["estimated_transaction_fee"])
    assert cost > 0 and fee == Decimal("0.01")
    cash = Decimal(demo.balance(margin)["total_cash_balance"])
    held = demo.held(margin, "MSFT")
    placed = demo.placed(margin, order)
    assert set(placed) == {"client_order_id", "order_id"}
    assert placed["client_order_id"] == order["client_order_id"]
    group = demo.detail(margin, order["client_order_id"])
    assert group["combo_type"] == "NORMAL" and group["client_order_id"] == order["client_order_id"]
    item = group["orders"][0]
    assert item["status"] == "FILLED" and item["order_id"] == placed["order_id"]
    assert item["filled_quantity"] == "10" == item["total_quantity"]
    assert _cents(Decimal(item["filled_price"]) * 10) == cost
    assert item["filled_time_at"].endswith("Z") and item["place_time"].isdigit()
    assert item["fees"] == [{"type": "FINRA_CAT_REGULATORY_FEE", "actual_value": "0.01",
                             "receivable_value": "0.01"}]
    assert item["commission"] == {"actual_commission": "0.00", "receivable_commission": "0.00"}
    assert Decimal(demo.balance(margin)["total_cash_balance"]) == cash - cost - fee
    assert demo.held(margin, "MSFT") == held + 10


def test_new_position_and_closing_it(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    assert demo.held(margin, "KO") == 0
    demo.placed(margin, stock(symbol="KO", quantity="4"))
    position = next(p for p in demo.positions(margin) if p["symbol"] == "KO")
    assert position["quantity"] == "4"
    buy_price = Decimal(position["cost_price"])
    demo.placed(margin, stock(symbol="KO", quantity="4"))  # same price: the cost stays
    position = next(p for p in demo.positions(margin) if p["symbol"] == "KO")
    assert position["quantity"] == "8" and Decimal(position["cost_price"]) == buy_price
    sell = stock(symbol="KO", quantity="8", side="SELL")
    demo.placed(margin, sell)
    assert demo.held(margin, "KO") == 0
    fees = {f["type"] for f in demo.item(margin, sell["client_order_id"])["fees"]}
    assert fees == {"FINRA_CAT_REGULATORY_FEE", "SEC_REGULATORY_FEE",
                    "FINRA_TRADING_ACTIVITY_FEE"}


def test_limit_order_holds_buying_power_then_fills_when_the_price_crosses(
        demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    last = demo.sim.state.market.price("NVDA")
    path = path_extremes(demo.sim, "NVDA", 600)
    low = min(p for _, p in path)
    assert low < last
    limit = _cents((low + last) / 2)
    order = stock(symbol="NVDA", quantity="5", order_type="LIMIT", limit_price=f"{limit}")
    preview = demo.preview(margin, order).json()
    before = demo.balance(margin)
    demo.placed(margin, order)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "SUBMITTED" and item["filled_quantity"] == "0"
    after = demo.balance(margin)
    held = Decimal(preview["estimated_cost"]) + Decimal(preview["estimated_transaction_fee"])
    assert Decimal(after["used_margin_for_open_order"]) == Decimal(
        before["used_margin_for_open_order"]) + held
    assert after["total_cash_balance"] == before["total_cash_balance"]
    open_list = demo.call("/trading/orders/open-orders/list", query={"account_id": margin})
    check("orderDetail", open_list.json()["data"][0])
    assert order["client_order_id"] in {g["client_order_id"] for g in open_list.json()["data"]}
    clock.advance(600)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "FILLED"
    crossed = next(p for _, p in path if p <= limit)
    assert Decimal(item["filled_price"]) == crossed <= limit
    done = demo.balance(margin)
    assert Decimal(done["used_margin_for_open_order"]) == Decimal(
        before["used_margin_for_open_order"])
    assert Decimal(done["total_cash_balance"]) == Decimal(before["total_cash_balance"]) - \
        _cents(crossed * 5) - Decimal("0.01")
    open_ids = {g["client_order_id"] for g in demo.call(
        "/trading/orders/open-orders/list", query={"account_id": margin}).json()["data"]}
    assert order["client_order_id"] not in open_ids


def test_large_orders_fill_in_parts(demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    order = stock(symbol="F", quantity="2500")
    demo.placed(margin, order)
    item = demo.item(margin, order["client_order_id"])
    assert (item["status"], item["filled_quantity"]) == ("PARTIAL_FILLED", "1000")
    clock.advance(1)
    item = demo.item(margin, order["client_order_id"])
    assert (item["status"], item["filled_quantity"]) == ("PARTIAL_FILLED", "2000")
    clock.advance(1)
    item = demo.item(margin, order["client_order_id"])
    assert (item["status"], item["filled_quantity"]) == ("FILLED", "2500")
    assert demo.held(margin, "F") == 2500


def test_stop_loss_triggers(demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    last = demo.sim.state.market.price("AAPL")
    path = path_extremes(demo.sim, "AAPL", 600)
    low = min(p for _, p in path)
    stop = _cents((low + last) / 2)
    order = stock(quantity="10", side="SELL", order_type="STOP_LOSS", stop_price=f"{stop}")
    demo.placed(margin, order)
    assert demo.item(margin, order["client_order_id"])["status"] == "SUBMITTED"
    clock.advance(600)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "FILLED"
    assert Decimal(item["filled_price"]) == next(p for _, p in path if p <= stop)
    assert demo.held(margin, "AAPL") == 90


def test_trailing_stop_tracks_the_price(demo: Session, clock: ManualClock) -> None:
    margin = demo.accounts()["margin"]
    step = Decimal("0.0005")
    order = stock(quantity="10", side="SELL", order_type="TRAILING_STOP_LOSS",
                  trailing_type="PERCENTAGE", trailing_stop_step=str(step))
    start = demo.sim.state.market.price("AAPL")
    path = path_extremes(demo.sim, "AAPL", 600)
    demo.placed(margin, order)
    anchor, expected = start, None
    for _, price in path:
        anchor = max(anchor, price)
        if price <= anchor - anchor * step:
            expected = price
            break
    assert expected is not None
    clock.advance(600)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "FILLED" and Decimal(item["filled_price"]) == expected
    assert item["trailing_type"] == "PERCENTAGE" and item["trailing_stop_step"] == "0.0005"


def test_day_orders_expire_at_the_close(sim: SimServer, http: httpx.Client,
                                        clock: ManualClock) -> None:
    demo = trading_session(http, sim)  # its token outlives the afternoon
    margin = demo.accounts()["margin"]
    day = stock(order_type="LIMIT", limit_price="1.00")
    gtc = stock(order_type="LIMIT", limit_price="1.00", time_in_force="GTC")
    demo.placed(margin, day)
    demo.placed(margin, gtc)
    clock.advance(5 * 3600 + 30 * 60)  # 10:35 → 16:05 ET
    assert demo.item(margin, day["client_order_id"])["status"] == "CANCELLED"
    assert demo.item(margin, gtc["client_order_id"])["status"] == "SUBMITTED"


def test_seeded_history_and_open_order(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    history = demo.call("/trading/orders/historical-orders/list", query={"account_id": margin})
    assert history.status_code == 200, history.text
    statuses = {o["status"] for g in history.json()["data"] for o in g["orders"]}
    assert {"FILLED", "CANCELLED", "SUBMITTED"} <= statuses
    for group in history.json()["data"]:
        check("orderDetail", group)
    open_orders = demo.call("/trading/orders/open-orders/list",
                            query={"account_id": margin}).json()["data"]
    assert [o["time_in_force"] for g in open_orders for o in g["orders"]] == ["GTC"]
    assert Decimal(demo.balance(margin)["used_margin_for_open_order"]) > 0


def test_pagination_of_open_orders_and_history(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    demo.sim.config.page_size = 2
    ids = _rest_gtc_orders(demo, margin, 4)

    def walk(path: str, **query: str) -> list[str]:
        seen: list[str] = []
        key = None
        while True:
            q = {"account_id": margin, **query, **({"pagination_key": key} if key else {})}
            response = demo.call(path, query=q)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["data"]) <= 2
            seen += [g["orders"][0]["client_order_id"] for g in body["data"]]
            key = body.get("pagination_key")
            if not key:
                return seen

    opened = walk("/trading/orders/open-orders/list")
    assert opened[:4] == ids[::-1] and len(opened) == 5  # newest first, plus the seeded GTC
    history = walk("/trading/orders/historical-orders/list")
    assert history[:4] == ids[::-1] and len(history) >= 7
    window = walk("/trading/orders/historical-orders/list",
                  start_time="2026-09-21T14:00:00.000Z", end_time="2026-09-21T15:00:00.000Z")
    assert window == ids[::-1]
    bad = demo.call("/trading/orders/historical-orders/list",
                    query={"account_id": margin, "start_time": "2026-09-21"})
    assert demo.refused(bad) == "OAUTH_OPENAPI_PARAM_ERR"


def test_futures_preview_is_initial_margin_and_is_held(demo: Session) -> None:
    futures = demo.accounts()["futures"]
    contract = min((c for c in demo.sim.state.catalog.futures.values() if c.code == "MES"),
                   key=lambda c: c.last_trading)
    last = demo.sim.state.market.price(contract.symbol)
    order = plain_order("FUTURES", contract.symbol, quantity="2",
                        limit_price=f"{last - 50 * contract.tick}", time_in_force="GTC")
    preview = demo.preview(futures, order).json()
    assert Decimal(preview["estimated_cost"]) == 2 * contract.product.init_margin
    assert preview["estimated_transaction_fee"] == "4.50"
    before = demo.balance(futures)
    demo.placed(futures, order)
    after = demo.balance(futures)
    assert Decimal(after["used_margin_for_open_order"]) - Decimal(
        before["used_margin_for_open_order"]) == Decimal(preview["estimated_cost"]) + Decimal(
        preview["estimated_transaction_fee"])


def test_futures_fill_moves_cash_by_fees_only(demo: Session) -> None:
    futures = demo.accounts()["futures"]
    contract = min((c for c in demo.sim.state.catalog.futures.values() if c.code == "MES"),
                   key=lambda c: c.last_trading)
    order = plain_order("FUTURES", contract.symbol, order_type="MARKET")
    preview = demo.preview(futures, order).json()
    cash = Decimal(demo.balance(futures)["total_cash_balance"])
    demo.placed(futures, order)
    item = demo.item(futures, order["client_order_id"])
    assert item["status"] == "FILLED" and item["commission"]["actual_commission"] == "0.25"
    assert Decimal(demo.balance(futures)["total_cash_balance"]) == cash - Decimal(
        preview["estimated_transaction_fee"])
    assert demo.held(futures, contract.symbol) == 1


def test_crypto_market_order_and_amount_order(demo: Session) -> None:
    crypto = demo.accounts()["crypto"]
    cash = Decimal(demo.balance(crypto)["total_cash_balance"])
    order = plain_order("CRYPTO", "ETHUSD", order_type="MARKET", time_in_force="IOC",
                        quantity="0.1")
    demo.placed(crypto, order)
    item = demo.item(crypto, order["client_order_id"])
    assert item["status"] == "FILLED"
    fee = Decimal(item["fees"][0]["actual_value"])
    assert item["fees"][0]["type"] == "CRYPTO_SPREAD_FEE"
    spent = _cents(Decimal(item["filled_price"]) * Decimal("0.1"))
    assert Decimal(demo.balance(crypto)["total_cash_balance"]) == cash - spent - fee
    by_amount = plain_order("CRYPTO", "BTCUSD", order_type="MARKET", time_in_force="IOC",
                            entrust_type="AMOUNT", quantity=None, total_cash_amount="50")
    demo.placed(crypto, by_amount)
    item = demo.item(crypto, by_amount["client_order_id"])
    assert item["status"] == "FILLED" and item["entrust_type"] == "AMOUNT"
    assert Decimal(item["filled_quantity"]) * Decimal(item["filled_price"]) <= 50


def test_event_contracts_buy_to_open_and_sell_to_close(demo: Session) -> None:
    events = demo.accounts()["events"]
    symbol = next(s for s in demo.sim.state.catalog.events
                  if s.startswith("KXRATECUTCOUNT") and s.endswith("-T3"))
    price = demo.sim.state.market.price(symbol)
    before = demo.positions(events)
    held = next(Decimal(p["quantity"]) for p in before
                if p["symbol"] == symbol and p.get("event_outcome") == "yes")
    buying = Decimal(demo.assets(events)["buying_power"])
    order = plain_order("EVENT", symbol, quantity="10", limit_price=f"{price}",
                        event_outcome="yes")
    preview = demo.preview(events, order).json()
    assert preview["estimated_transaction_fee"] == "0.20"
    demo.placed(events, order)
    item = demo.item(events, order["client_order_id"])
    assert item["status"] == "FILLED" and item["event_outcome"] == "yes"
    assert {f["type"] for f in item["fees"]} == {"EXCHANGE_FEE", "FIRM_FEE"}
    assert Decimal(demo.assets(events)["buying_power"]) == buying - Decimal(
        preview["estimated_cost"]) - Decimal("0.20")
    sell = plain_order("EVENT", symbol, quantity=str(held + 10), side="SELL",
                       limit_price="0.01", event_outcome="yes")
    demo.placed(events, sell)
    assert demo.item(events, sell["client_order_id"])["status"] == "FILLED"
    assert all(not (p["symbol"] == symbol and p.get("event_outcome") == "yes")
               for p in demo.positions(events))


def test_trading_api_side_works_the_same(sim: SimServer, http: httpx.Client) -> None:
    session = trading_session(http, sim)
    margin = session.accounts()["margin"]
    order = stock(quantity="1")
    session.placed(margin, order)
    assert session.item(margin, order["client_order_id"])["status"] == "FILLED"
    prefixed = session.call("/oauth-openapi/trading/orders/get",
                            query={"account_id": margin, "client_order_id": new_id()})
    assert prefixed.status_code == 404


def test_fractional_amount_order_charges_the_amount(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    order = stock(entrust_type="AMOUNT", quantity=None, total_cash_amount="100.00")
    preview = demo.preview(margin, order).json()
    assert preview["estimated_cost"] == "100.00"
    cash = Decimal(demo.balance(margin)["total_cash_balance"])
    held = demo.held(margin, "AAPL")
    demo.placed(margin, order)
    item = demo.item(margin, order["client_order_id"])
    assert item["status"] == "FILLED" and item["entrust_type"] == "AMOUNT"
    bought = Decimal(item["filled_quantity"])
    assert 0 < bought < 1 and demo.held(margin, "AAPL") == held + bought
    assert Decimal(demo.balance(margin)["total_cash_balance"]) == cash - Decimal("100.00") - \
        Decimal(preview["estimated_transaction_fee"])


def test_a_fill_the_cash_account_cannot_pay_fails(sim: SimServer, http: httpx.Client,
                                                  clock: ManualClock) -> None:
    alice = connect_session(http, sim, "alice", "alice1234")
    cash_account = alice.accounts()["cash"]
    last = sim.state.market.price("KO")
    path = path_extremes(sim, "KO", 600)
    limit = _cents((min(p for _, p in path) + last) / 2)
    order = stock(symbol="KO", quantity="10", order_type="LIMIT", limit_price=f"{limit}")
    alice.placed(cash_account, order)
    account = sim.state.registry.account(cash_account)
    assert account is not None
    account.cash = Decimal("5.00")  # the money went elsewhere (e.g. a withdrawal)
    clock.advance(600)
    assert alice.item(cash_account, order["client_order_id"])["status"] == "FAILED"
    assert Decimal(alice.balance(cash_account)["total_cash_balance"]) == Decimal("5.00")


EXAMPLES = {"preview_stock": "margin", "preview_futures": "futures",
            "place_stock_limit": "margin", "place_stock_fractional_amount": "margin",
            "place_stock_tpsl_combo": "margin", "place_stock_otoco": "margin",
            "place_stock_algo_twap": "margin", "place_futures": "futures",
            "place_crypto": "crypto", "place_event": "events", "batch_place": "margin"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documented_request_bodies_are_accepted(demo: Session, name: str) -> None:
    """examples.json's order requests, sent to the simulator's accounts."""
    from tests.webull.openapi_support import load_examples
    example = load_examples()["trading"][name]
    body = {**example["request"]["body"], "account_id": demo.accounts()[EXAMPLES[name]]}
    response = demo.post(example["request"]["path"], body)
    assert response.status_code == 200, response.text
    expected = example["response"]["body"]
    assert set(response.json()) == set(expected)
    if name.startswith("place_") and "client_order_id" in expected:
        item = demo.item(body["account_id"], expected["client_order_id"])
        assert item["status"] in ("SUBMITTED", "FILLED")
        if name == "place_stock_algo_twap":
            assert (item["algo_type"], item["max_target_percent"]) == ("TWAP", "10")


def test_event_amount_orders_are_marketable_fok_buys(demo: Session) -> None:
    events = demo.accounts()["events"]
    symbol = next(s for s in demo.sim.state.catalog.events if s.startswith("KXFEDDECISION"))
    price = demo.sim.state.market.price(symbol)
    order = plain_order("EVENT", symbol, order_type="MARKET", time_in_force="FOK",
                        entrust_type="AMOUNT", quantity=None, total_cash_amount="10",
                        event_outcome="yes", event_trade_mode="TRADE_IN_AMOUNT")
    demo.placed(events, order)
    item = demo.item(events, order["client_order_id"])
    assert item["status"] == "FILLED" and item["event_trade_mode"] == "TRADE_IN_AMOUNT"
    assert Decimal(item["filled_quantity"]) == (Decimal(10) / price).to_integral_value("ROUND_DOWN")
    no_mode = plain_order("EVENT", symbol, order_type="MARKET", event_outcome="yes")
    assert demo.refused(demo.place(events, no_mode)) == "OAUTH_OPENAPI_PARAM_ERR"
    day_amount = dict(order, client_order_id=new_id(), time_in_force="DAY")
    assert demo.refused(demo.place(events, day_amount)) == "OAUTH_OPENAPI_PARAM_ERR"


def test_open_orders_pages_survive_orders_that_close_meanwhile(demo: Session) -> None:
    margin = demo.accounts()["margin"]
    demo.sim.config.page_size = 2
    ids = _rest_gtc_orders(demo, margin, 4)
    query = {"account_id": margin}
    first = demo.call("/trading/orders/open-orders/list", query=query).json()
    assert [g["client_order_id"] for g in first["data"]] == ids[:1:-1]
    assert demo.cancel(margin, ids[2]).status_code == 200  # the last one shown
    second = demo.call("/trading/orders/open-orders/list",
                       query={**query, "pagination_key": first["pagination_key"]}).json()
    assert [g["client_order_id"] for g in second["data"]] == [ids[1], ids[0]]
