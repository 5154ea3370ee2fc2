"""Every endpoint: the request it sends (method, path, query, body, headers) and what it decodes.

The mock Webull answers with the example payloads of ../shared/webull/examples.json.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from app.webull.client import WebullClient
from app.webull.errors import BusinessRejectionError, OutcomeUnknownError, ResponseDecodeError
from app.webull.models import BatchOrder, ModifyOrder, ModifyLeg, NewOrder, NewOrderLeg

from .conftest import json_response
from .openapi_support import request_body_validator, validation_errors

ACCT = "LOJOQITOD49R6G9BPQM489CISA"


async def bearer() -> str:
    return "TOKEN-FOR-TESTS"


class MockWebull:
    """Answers each request from a queue (or a callable) and records what it received."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer):
            return answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        return json_response(200, answer)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def query(self, i: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.requests[i].url.query.decode(), keep_blank_values=True))

    def body(self, i: int = -1) -> Any:
        return json.loads(self.requests[i].content)


@pytest.fixture
def webull(transport_factory: Any) -> Any:
    def make(*answers: Any) -> tuple[WebullClient, MockWebull]:
        mock = MockWebull(*answers)
        return WebullClient(transport_factory(mock), bearer), mock

    return make


def ex(examples: dict[str, Any], name: str) -> Any:
    return examples["trading"][name]


def assert_common(request: httpx.Request, method: str, path: str) -> None:
    assert request.method == method
    assert request.url.path == path
    assert request.url.host == "oauth-open-api.sandbox.webull.com"
    assert request.headers["authorization"] == "Bearer TOKEN-FOR-TESTS"
    assert request.headers["x-version"] == "v3"
    assert request.headers["x-signature"] and request.headers["x-app-key"]


# ------------------------------------------------------------------ accounts and assets


async def test_list_accounts(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "account_list")
    client, mock = webull(e["response"]["body"])
    accounts = await client.list_accounts()
    assert_common(mock.last, "GET", "/trading/accounts/list")
    assert mock.query() == {}
    assert [a.account_id for a in accounts] == [a["account_id"] for a in e["response"]["body"]]
    assert accounts[0].account_class == "INDIVIDUAL_MARGIN"
    assert accounts[0].account_type == "MARGIN"
    assert accounts[3].account_label == "Events Cash"


async def test_get_balance(webull: Any, examples: dict[str, Any]) -> None:
    client, mock = webull(ex(examples, "balance")["response"]["body"])
    bal = await client.get_balance(ACCT)
    assert_common(mock.last, "GET", "/trading/assets/balances/get")
    assert mock.query() == {"account_id": ACCT}
    assert bal.total_net_liquidation_value == Decimal("124662.90")
    assert bal.total_day_profit_loss == Decimal("-132.75")
    assert bal.account_currency_assets[0].day_buying_power == Decimal("445826.60")
    assert bal.open_margin_calls == ()


async def test_get_balance_events_cash_has_empty_amounts(webull: Any,
                                                         examples: dict[str, Any]) -> None:
    client, _ = webull(ex(examples, "balance_events_cash")["response"]["body"])
    bal = await client.get_balance("E5V2N8T4C1A7S3H9Q6W0R2T5Y8")
    assert bal.total_cash_balance is None and bal.total_net_liquidation_value is None
    assert bal.account_currency_assets[0].buying_power == Decimal("488.00")


async def test_list_positions_with_option_legs(webull: Any, examples: dict[str, Any]) -> None:
    client, mock = webull(ex(examples, "positions")["response"]["body"])
    positions = await client.list_positions(ACCT)
    assert_common(mock.last, "GET", "/trading/assets/positions/list")
    assert mock.query() == {"account_id": ACCT}
    stock, spread = positions
    assert stock.quantity == Decimal("100") and stock.option_strategy is None
    assert spread.option_strategy == "VERTICAL"
    assert [leg.quantity for leg in spread.legs] == [Decimal("1"), Decimal("-1")]
    assert spread.legs[0].option_expire_date == date(2026, 10, 16)


async def test_positions_event_outcome(webull: Any, examples: dict[str, Any]) -> None:
    client, _ = webull(ex(examples, "positions_events_account")["response"]["body"])
    (pos,) = await client.list_positions("E5V2N8T4C1A7S3H9Q6W0R2T5Y8")
    assert pos.instrument_type == "EVENT" and pos.event_outcome == "yes"
    assert pos.cost_price == Decimal("0.2625")


@pytest.mark.parametrize("bad", ["", "  "])
async def test_account_id_checked_before_sending(webull: Any, bad: str) -> None:
    client, mock = webull({})
    with pytest.raises(ValueError, match="account_id"):
        await client.get_balance(bad)
    assert mock.requests == []


async def test_decode_error_names_the_field(webull: Any) -> None:
    bad = [{"position_id": "p", "currency": "USD", "quantity": "abc", "symbol": "AAPL",
            "option_strategy": "", "instrument_type": "EQUITY", "last_price": "1",
            "cost_price": "1", "unrealized_profit_loss": "0"}]
    client, _ = webull(bad)
    with pytest.raises(ResponseDecodeError) as info:
        await client.list_positions(ACCT)
    assert info.value.field == "0.quantity"
    assert "quantity" in str(info.value) and "abc" not in str(info.value)


async def test_a_large_positions_list_is_decoded_in_slices(webull: Any,
                                                             examples: dict[str, Any]) -> None:
    from app.webull.client import DECODE_SLICE
    from app.webull.models import decode_positions

    rows = ex(examples, "positions")["response"]["body"]
    many = [dict(rows[i % len(rows)], position_id=f"P{i}") for i in range(DECODE_SLICE * 2 + 7)]
    client, _ = webull(many)
    assert await client.list_positions(ACCT) == decode_positions(many)  # same as in one go


async def test_a_bad_row_in_a_later_slice_is_named_by_its_place_in_the_list(
        webull: Any, examples: dict[str, Any]) -> None:
    from app.webull.client import DECODE_SLICE

    rows = ex(examples, "positions")["response"]["body"]
    many = [dict(rows[0], position_id=f"P{i}") for i in range(DECODE_SLICE * 2)]
    bad = DECODE_SLICE + 3
    many[bad] = dict(many[bad], quantity="abc")
    client, _ = webull(many)
    with pytest.raises(ResponseDecodeError) as info:
        await client.list_positions(ACCT)
    assert info.value.field == f"{bad}.quantity"
    assert f"field {bad}.quantity:" in info.value.message and "abc" not in str(info.value)


# ------------------------------------------------------------------ instruments and pagination


def page(data: list[Any], key: str | None) -> dict[str, Any]:
    return {"data": data, **({"pagination_key": key} if key else {})}


async def test_stock_instruments_paginate(webull: Any, examples: dict[str, Any]) -> None:
    aapl, tsla = ex(examples, "instruments_stock")["response"]["body"]["data"]
    client, mock = webull(page([aapl], "k1"), page([tsla], None))
    got = [i async for i in client.iter_stock_instruments(sub_category="COMMON_STOCK")]
    assert [i.symbol for i in got] == ["AAPL", "TSLA"]
    assert_common(mock.requests[0], "GET", "/trading/instruments/stocks/profiles/list")
    assert mock.query(0) == {"category": "US_STOCK", "sub_category": "COMMON_STOCK"}
    assert mock.query(1) == {"category": "US_STOCK", "sub_category": "COMMON_STOCK",
                             "pagination_key": "k1"}
    assert got[0].fractionable is True and got[0].lot_size == Decimal("1")


async def test_stock_instruments_by_symbols(webull: Any, examples: dict[str, Any]) -> None:
    client, mock = webull(ex(examples, "instruments_stock")["response"]["body"])
    got = [i async for i in client.iter_stock_instruments(symbols=["AAPL", "TSLA"],
                                                           sub_category="ETF")]
    assert len(got) == 2
    # sub_category only applies without symbols (§6.5)
    assert mock.query() == {"category": "US_STOCK", "symbols": "AAPL,TSLA"}


@pytest.mark.parametrize(
    ("symbols", "error"),
    [([f"S{i}" for i in range(101)], "at most 100"), ([], "must not be empty"),
     (["AA PL"], "not a valid symbol"), (["A,B"], "not a valid symbol"), ("AAPL", "sequence")],
)
async def test_symbol_lists_checked(webull: Any, symbols: Any, error: str) -> None:
    client, mock = webull(page([], None))
    with pytest.raises((ValueError, TypeError), match=error):
        [i async for i in client.iter_stock_instruments(symbols=symbols)]
    assert mock.requests == []


async def test_repeated_pagination_key_is_refused(webull: Any) -> None:
    client, mock = webull(page([], "same"))
    with pytest.raises(ResponseDecodeError, match="repeated a pagination key"):
        [i async for i in client.iter_crypto_instruments()]
    assert len(mock.requests) == 2


async def test_crypto_instruments(webull: Any, examples: dict[str, Any]) -> None:
    client, mock = webull(ex(examples, "instruments_crypto")["response"]["body"])
    (btc,) = [i async for i in client.iter_crypto_instruments(symbols=["BTCUSD"])]
    assert_common(mock.last, "GET", "/trading/instruments/crypto/profiles/list")
    assert mock.query() == {"category": "US_CRYPTO", "symbols": "BTCUSD"}
    assert btc.min_trade_qty == Decimal("0.00000001") and btc.max_trade_amt == Decimal("100000")


async def test_futures_contracts_bare_array(webull: Any, examples: dict[str, Any]) -> None:
    client, mock = webull(ex(examples, "instruments_futures")["response"]["body"])
    (es,) = await client.list_futures_contracts(code="ES")
    assert_common(mock.last, "GET", "/trading/instruments/futures/contracts/list")
    assert mock.query() == {"category": "US_FUTURES", "code": "ES"}
    assert es.size == Decimal("50") and es.min_tick == Decimal("0.25")
    assert es.first_notice_date is None  # "" on the wire
    assert es.contract_month == "202612"


async def test_futures_needs_symbols_or_code(webull: Any) -> None:
    client, mock = webull([])
    with pytest.raises(ValueError, match="either symbols or a product code"):
        await client.list_futures_contracts()
    with pytest.raises(ValueError, match="either symbols or a product code"):
        await client.list_futures_contracts(symbols=["ESZ6"], code="ES")
    assert mock.requests == []


async def test_option_contracts(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "option_contracts")
    client, mock = webull(e["response"]["body"])
    got = [c async for c in client.iter_option_contracts(
        underlying_symbols=["AAPL"], start_date=date(2026, 11, 20), option_type="CALL",
        strike_price_gte=Decimal("330"), strike_price_lte=Decimal("330"))]
    assert_common(mock.last, "GET", "/trading/instruments/options/contracts/list")
    assert mock.query() == {"category": "US_OPTION", **{k: v for k, v in e["request"]["query"].items()
                                                        if k != "category"}}
    assert got[0].strike_price == Decimal("330") and got[0].expiration_date == date(2026, 11, 20)
    # the optional filters are simply left out when not given
    [c async for c in client.iter_option_contracts(underlying_symbols=["AAPL"])]
    assert mock.query() == {"category": "US_OPTION", "underlying_symbols": "AAPL"}


async def test_event_markets(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "instruments_event_markets")
    client, mock = webull(e["response"]["body"])
    got = [m async for m in client.iter_event_markets(
        series_symbol="KXRATECUTCOUNT", symbols=["KXRATECUTCOUNT-26DEC31-T3"])]
    assert_common(mock.last, "GET", "/trading/instruments/event-contracts/markets/list")
    assert mock.query() == e["request"]["query"]
    assert got[0].price_ranges[0].step == Decimal("0.01")


# ------------------------------------------------------------------ orders


def new_order_from_wire(item: dict[str, Any]) -> NewOrder:
    legs = [NewOrderLeg(**leg) for leg in item.get("legs", [])]
    fields = {k: v for k, v in item.items() if k != "legs"}
    return NewOrder(**fields, **({"legs": legs} if legs else {}))


@pytest.mark.parametrize(
    "name",
    ["place_stock_limit", "place_stock_fractional_amount", "place_stock_tpsl_combo",
     "place_stock_otoco", "place_stock_algo_twap", "place_option_single", "place_option_vertical",
     "place_option_covered_stock", "place_futures", "place_crypto", "place_event"],
)
async def test_place_sends_the_documented_body(webull: Any, examples: dict[str, Any],
                                               name: str) -> None:
    e = ex(examples, name)
    body = e["request"]["body"]
    client, mock = webull(e["response"]["body"])
    orders = [new_order_from_wire(item) for item in body["new_orders"]]
    result = await client.place_order(body["account_id"], orders,
                                      body.get("client_combo_order_id"))
    assert_common(mock.last, "POST", "/trading/orders/place")
    assert mock.last.headers["content-type"] == "application/json"
    assert mock.body() == body
    for k, v in e["response"]["body"].items():
        assert getattr(result, k) == v


async def test_preview(webull: Any, examples: dict[str, Any]) -> None:
    for name in ("preview_stock", "preview_futures"):
        e = ex(examples, name)
        body = e["request"]["body"]
        client, mock = webull(e["response"]["body"])
        res = await client.preview_order(body["account_id"],
                                         [new_order_from_wire(i) for i in body["new_orders"]])
        assert_common(mock.last, "POST", "/trading/orders/preview")
        assert mock.body() == body
        assert res.estimated_cost == Decimal(e["response"]["body"]["estimated_cost"])


async def test_preview_rejection(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "preview_night_rejected")
    client, _ = webull(json_response(417, e["response"]["body"]))
    with pytest.raises(BusinessRejectionError) as info:
        await client.preview_order(ACCT, [new_order_from_wire(e["request"]["body"]["new_orders"][0])])
    assert info.value.error_code == "OPENAPI_NO_NIGHT_TRADING_TIME"


async def test_batch_place_partial_failure(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "batch_place")
    body = e["request"]["body"]
    client, mock = webull(e["response"]["body"])
    res = await client.batch_place(ACCT, [BatchOrder(**i) for i in body["batch_orders"]])
    assert_common(mock.last, "POST", "/trading/orders/batch-place")
    assert mock.body() == body
    assert (res.total, res.success, res.failed) == (2, 1, 1)
    assert res.batch_orders[1].error_code == "OPENAPI_NO_TRADING_TIME"


async def test_batch_limit(webull: Any, examples: dict[str, Any]) -> None:
    item = ex(examples, "batch_place")["request"]["body"]["batch_orders"][0]
    client, mock = webull({})
    orders = [BatchOrder(**{**item, "client_order_id": f"id{i}"}) for i in range(51)]
    with pytest.raises(ValueError, match="at most 50"):
        await client.batch_place(ACCT, orders)
    with pytest.raises(ValueError, match="at least one"):
        await client.batch_place(ACCT, [])
    assert mock.requests == []


@pytest.mark.parametrize("name", ["replace_stock", "replace_option_vertical", "replace_futures"])
async def test_replace(webull: Any, examples: dict[str, Any], name: str) -> None:
    e = ex(examples, name)
    body = e["request"]["body"]
    client, mock = webull(e["response"]["body"])
    mods = []
    for item in body["modify_orders"]:
        legs = [ModifyLeg(**leg) for leg in item.get("legs", [])]
        mods.append(ModifyOrder(**{k: v for k, v in item.items() if k != "legs"},
                                **({"legs": legs} if legs else {})))
    res = await client.replace_order(body["account_id"], mods)
    assert_common(mock.last, "POST", "/trading/orders/replace")
    assert mock.body() == body
    assert res.order_id == e["response"]["body"]["order_id"]


async def test_cancel(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "cancel")
    client, mock = webull(e["response"]["body"])
    res = await client.cancel_order(ACCT, "0KGOHL4PR2SLC0DKIND4TI0002")
    assert_common(mock.last, "POST", "/trading/orders/cancel")
    assert mock.body() == e["request"]["body"]
    assert res.client_order_id == "0KGOHL4PR2SLC0DKIND4TI0002"


@pytest.mark.parametrize("bad", ["", "x" * 33, "has-dash", "ünïcode"])
async def test_client_order_id_checked(webull: Any, bad: str) -> None:
    client, mock = webull({})
    with pytest.raises(ValueError, match="client_order_id"):
        await client.cancel_order(ACCT, bad)
    with pytest.raises(ValueError, match="client_order_id"):
        await client.get_order(ACCT, bad)
    assert mock.requests == []


async def test_open_orders_groups_and_pages(webull: Any, examples: dict[str, Any]) -> None:
    body = ex(examples, "open_orders")["response"]["body"]
    client, mock = webull(body, page([], None))
    groups = [g async for g in client.iter_open_orders(ACCT)]
    assert_common(mock.requests[0], "GET", "/trading/orders/open-orders/list")
    assert mock.query(0) == {"account_id": ACCT}
    assert mock.query(1) == {"account_id": ACCT, "pagination_key": body["pagination_key"]}
    normal, combo = groups
    assert normal.combo_order_id is None and normal.client_order_id == "0KGOHL4PR2SLC0DKIND4TI0002"
    assert combo.combo_type == "MASTER" and len(combo.orders) == 3
    assert combo.orders[2].stop_price == Decimal("218.00")
    assert combo.orders[1].status == "PENDING"
    assert normal.orders[0].place_time_at == datetime(2026, 9, 21, 14, 35, 12, tzinfo=UTC)


async def test_order_history_time_window(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "order_history")
    client, mock = webull(e["response"]["body"])
    start = datetime(2026, 9, 14, tzinfo=UTC)
    end = datetime(2026, 9, 21, 19, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-4)))
    groups = [g async for g in client.iter_order_history(ACCT, start, end)]
    assert_common(mock.last, "GET", "/trading/orders/historical-orders/list")
    assert mock.query() == {"account_id": ACCT, "start_time": "2026-09-14T00:00:00.000Z",
                            "end_time": "2026-09-21T23:59:59.999Z"}
    filled = groups[1].orders[0]
    assert filled.entrust_type == "AMOUNT" and filled.filled_quantity == Decimal("0.43206")
    with pytest.raises(ValueError, match="timezone-aware"):
        [g async for g in client.iter_order_history(ACCT, datetime(2026, 1, 1))]
    with pytest.raises(ValueError, match="start is after end"):
        [g async for g in client.iter_order_history(ACCT, end, start)]


async def test_order_detail(webull: Any, examples: dict[str, Any]) -> None:
    e = ex(examples, "order_detail_option_vertical")
    client, mock = webull(e["response"]["body"])
    group = await client.get_order(ACCT, "e5f6a7b8c9d00112233445566778899b")
    assert_common(mock.last, "GET", "/trading/orders/get")
    assert mock.query() == e["request"]["query"]
    (order,) = group.orders
    assert [leg.id for leg in order.legs] == ["G2JAJPOR4KUA0F5I9LONH8J83A",
                                              "H3KBKQPS5LVB1G6J0MPOI9K94B"]
    assert order.legs[0].strike_price == Decimal("400")


async def test_order_detail_fees(webull: Any, examples: dict[str, Any]) -> None:
    client, _ = webull(ex(examples, "order_detail_stock")["response"]["body"])
    group = await client.get_order(ACCT, "0KGOHL4PR2SLC0DKIND4TI0002")
    order = group.orders[0]
    assert order.status == "PARTIAL_FILLED" and order.filled_price == Decimal("179.98")
    assert order.fees[0].type == "FINRA_CAT_REGULATORY_FEE"
    assert order.commission.actual_commission == Decimal("0.00")


async def test_unknown_enum_values_survive(webull: Any, examples: dict[str, Any]) -> None:
    body = json.loads(json.dumps(ex(examples, "order_detail_stock")["response"]["body"]))
    body["orders"][0]["status"] = "PENDING_CANCEL"
    client, _ = webull(body)
    group = await client.get_order(ACCT, "0KGOHL4PR2SLC0DKIND4TI0002")
    assert group.orders[0].status.value == "PENDING_CANCEL"
    assert group.orders[0].status.known is False


async def test_client_bodies_validate_against_published_schemas(webull: Any,
                                                                examples: dict[str, Any]) -> None:
    """What the client sends for preview, replace and batch place fits Webull's requestBody."""
    client, mock = webull({"estimated_cost": "1", "estimated_transaction_fee": "0",
                           "client_order_id": "x", "order_id": "y", "total": 1, "success": 1,
                           "failed": 0, "batch_orders": []})
    for name in ("preview_stock", "preview_futures", "place_option_vertical", "place_event"):
        body = ex(examples, name)["request"]["body"]
        await client.preview_order(body["account_id"],
                                   [new_order_from_wire(i) for i in body["new_orders"]])
        assert validation_errors(request_body_validator("CommonOrderPreview.json"),
                                 mock.body()) == []
    body = ex(examples, "replace_option_vertical")["request"]["body"]
    item = body["modify_orders"][0]
    await client.replace_order(ACCT, [ModifyOrder(
        **{k: v for k, v in item.items() if k != "legs"},
        legs=[ModifyLeg(**leg) for leg in item["legs"]])])
    assert validation_errors(request_body_validator("CommonOrderReplace.json"), mock.body()) == []
    items = ex(examples, "batch_place")["request"]["body"]["batch_orders"]
    await client.batch_place(ACCT, [BatchOrder(**i) for i in items])
    assert validation_errors(request_body_validator("OrderBatchPlace.json"), mock.body()) == []


@pytest.mark.parametrize(
    ("call", "answer"),
    [("place", []), ("place", {"client_order_id": 5}),
     ("batch", {"success": 1, "failed": 0, "batch_orders": []}), ("cancel", "yes")],
)
async def test_unreadable_write_answers_are_outcome_unknown(
    webull: Any, examples: dict[str, Any], call: str, answer: Any
) -> None:
    client, mock = webull(answer)
    with pytest.raises(OutcomeUnknownError) as info:
        if call == "place":
            item = ex(examples, "place_stock_limit")["request"]["body"]["new_orders"][0]
            await client.place_order(ACCT, [new_order_from_wire(item)])
        elif call == "batch":
            items = ex(examples, "batch_place")["request"]["body"]["batch_orders"]
            await client.batch_place(ACCT, [BatchOrder(**i) for i in items])
        else:
            await client.cancel_order(ACCT, "0KGOHL4PR2SLC0DKIND4TI0002")
    assert isinstance(info.value.cause, ResponseDecodeError)
    assert len(mock.requests) == 1


async def test_unreadable_read_answers_stay_decode_errors(webull: Any) -> None:
    client, _ = webull({"estimated_cost": "x"})
    with pytest.raises(ResponseDecodeError):
        await client.get_order(ACCT, "abc")


async def test_endless_fresh_pagination_keys_are_refused(webull: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools

    import app.webull.client as client_module

    monkeypatch.setattr(client_module, "MAX_PAGES", 5)
    keys = itertools.count()
    client, mock = webull(lambda r: json_response(200, page([], f"k{next(keys)}")))
    with pytest.raises(ResponseDecodeError, match="more than 5 pages"):
        [m async for m in client.iter_event_markets()]
    assert len(mock.requests) == 5
