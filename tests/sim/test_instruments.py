"""Instrument lists (API.md §6.5): schemas, filters, pagination."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimServer
from tests.webull.openapi_support import load_examples

from .schemas import check, check_option_page
from .support import call, connect_tokens, error_of

STOCKS = "/trading/instruments/stocks/profiles/list"
CRYPTO = "/trading/instruments/crypto/profiles/list"
FUTURES = "/trading/instruments/futures/contracts/list"
OPTIONS = "/trading/instruments/options/contracts/list"
EVENTS = "/trading/instruments/event-contracts/markets/list"
MONTHS = "FGHJKMNQUVXZ"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(seed=7, clock=ManualClock(), rate_limits=None, page_size=7) as server:
        yield server


@pytest.fixture(scope="module")
def access(sim: SimServer) -> str:
    with httpx.Client(trust_env=False, timeout=5) as http:
        return connect_tokens(http, sim).access_token


def _get(http: httpx.Client, sim: SimServer, access: str, path: str,
         **query: str) -> httpx.Response:
    return call(http, sim, path, query=query, bearer=access)


def _walk(http: httpx.Client, sim: SimServer, access: str, path: str,
          **query: str) -> list[dict[str, Any]]:
    """Every page of a cursor list, checking each page; ids never repeat."""
    items: list[dict[str, Any]] = []
    key: str | None = None
    for _ in range(1000):
        response = _get(http, sim, access, path, **query, **({"pagination_key": key} if key
                                                            else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) <= sim.config.page_size
        items += body["data"]
        key = body.get("pagination_key")
        if key is None:
            break
        assert body["data"], "a page with a next key is never empty"
        assert json.loads(base64.b64decode(key))["v"] == 1
    ids = [i["instrument_id"] for i in items]
    assert len(ids) == len(set(ids)), "an item came twice"
    return items


def test_examples_pass_the_checks() -> None:
    trading = load_examples()["trading"]
    check("instrumentList", trading["instruments_stock"]["response"]["body"])
    check("cryptoInstrumentList", trading["instruments_crypto"]["response"]["body"])
    check("futuresInstrumentList", trading["instruments_futures"]["response"]["body"])
    check("eventMarketList", trading["instruments_event_markets"]["response"]["body"])
    check_option_page(trading["option_contracts"]["response"]["body"])


def test_stocks(sim: SimServer, http: httpx.Client, access: str) -> None:
    everything = _walk(http, sim, access, STOCKS, category="US_STOCK")
    assert len(everything) >= 36
    for page_start in range(0, len(everything), 7):
        check("instrumentList", {"data": everything[page_start:page_start + 7]})
    symbols = {s["symbol"] for s in everything}
    assert {"AAPL", "TSLA", "SPY", "QQQ", "MSFT"} <= symbols
    assert {s["sub_category"] for s in everything} == {"COMMON_STOCK", "ETF"}
    assert {s["status"] for s in everything} == {"OC", "CO", "NT"}
    assert any(not s["fractionable"] for s in everything)
    assert any(not s["marginable"] for s in everything)
    assert any(s["etf_leveraged_flag"] == "YES" for s in everything)
    assert all(s["lot_size"] == "1" and s["currency"] == "USD" for s in everything)

    two = _get(http, sim, access, STOCKS, category="US_STOCK", symbols="TSLA,AAPL,NOPE").json()
    assert sorted(s["symbol"] for s in two["data"]) == ["AAPL", "TSLA"]
    assert "pagination_key" not in two
    etfs = _walk(http, sim, access, STOCKS, category="US_STOCK", sub_category="ETF")
    assert etfs and all(s["sub_category"] == "ETF" for s in etfs)
    ignored = _get(http, sim, access, STOCKS, category="US_STOCK", symbols="AAPL",
                   sub_category="ETF").json()
    assert [s["symbol"] for s in ignored["data"]] == ["AAPL"]
    liquidate = _walk(http, sim, access, STOCKS, category="US_STOCK", status="CO")
    assert [s["status"] for s in liquidate] == ["CO"]


@pytest.mark.parametrize("query", [
    {}, {"category": "US_ETF"}, {"category": "US_STOCK", "status": "XX"},
    {"category": "US_STOCK", "sub_category": "BOND"},
    {"category": "US_STOCK", "symbols": ",".join(f"S{i}" for i in range(101))},
    {"category": "US_STOCK", "pagination_key": "not-base64!"},
])
def test_stock_parameter_errors(sim: SimServer, http: httpx.Client, access: str,
                                query: dict[str, str]) -> None:
    assert error_of(_get(http, sim, access, STOCKS, **query)) == (417, "OAUTH_OPENAPI_PARAM_ERR")


def test_a_key_only_fits_its_own_query(sim: SimServer, http: httpx.Client, access: str) -> None:
    first = _get(http, sim, access, STOCKS, category="US_STOCK").json()
    key = first["pagination_key"]
    other = _get(http, sim, access, STOCKS, category="US_STOCK", sub_category="ETF",
                 pagination_key=key)
    assert error_of(other) == (417, "OAUTH_OPENAPI_PARAM_ERR")
    forged = base64.b64encode(json.dumps({"v": 1, "lastId": "nope", "pageIndex": 0,
                                          "pageSize": 7, "condition": "x"}).encode()).decode()
    assert _get(http, sim, access, STOCKS, category="US_STOCK",
                pagination_key=forged).status_code == 417
    second = _get(http, sim, access, STOCKS, category="US_STOCK", pagination_key=key).json()
    assert second["data"][0]["instrument_id"] != first["data"][0]["instrument_id"]


def test_crypto(sim: SimServer, http: httpx.Client, access: str) -> None:
    pairs = _walk(http, sim, access, CRYPTO, category="US_CRYPTO")
    check("cryptoInstrumentList", {"data": pairs})
    by_symbol = {p["symbol"]: p for p in pairs}
    assert {"BTCUSD", "ETHUSD", "SOLUSD", "DOGEUSD"} <= set(by_symbol)
    btc = by_symbol["BTCUSD"]
    assert (btc["min_trade_amt"], btc["max_trade_amt"]) == ("2.00", "100000.00")
    assert btc["category"] == "US_CRYPTO" and btc["exchange_code"] == "CCC"
    assert Decimal(by_symbol["SHIBUSD"]["price_step"]) < Decimal("0.0001")
    one = _get(http, sim, access, CRYPTO, category="US_CRYPTO", symbols="ETHUSD").json()
    assert [p["symbol"] for p in one["data"]] == ["ETHUSD"]
    assert _get(http, sim, access, CRYPTO).status_code == 417


def test_futures(sim: SimServer, http: httpx.Client, access: str) -> None:
    es = _get(http, sim, access, FUTURES, category="US_FUTURES", code="ES").json()
    assert isinstance(es, list) and len(es) >= 3
    check("futuresInstrumentList", es)
    today = date(2026, 9, 21)
    for contract in es:
        symbol = contract["symbol"]
        assert re.fullmatch(r"ES[HMUZ]\d", symbol)
        month = MONTHS.index(symbol[2]) + 1
        assert contract["contract_month"] == f"{2020 + int(symbol[3])}{month:02d}"
        assert date.fromisoformat(contract["last_trading_date"]) >= today
        assert contract["size"] == "50.0" and contract["min_tick"] == "0.25"
        assert contract["settlement"] == "Cash" and contract["first_notice_date"] == ""
    months = [c["contract_month"] for c in es]
    assert months == sorted(months)
    several = _get(http, sim, access, FUTURES, category="US_FUTURES", code="CL,GC,NQ").json()
    assert {c["code"] for c in several} == {"CL", "GC", "NQ"}
    cl = [c for c in several if c["code"] == "CL"]
    assert len(cl) >= 6 and all(c["settlement"] == "Physical" and c["unit"] == "19 - Barrels"
                                for c in cl)
    picked = _get(http, sim, access, FUTURES, category="US_FUTURES",
                  symbols=f"{es[0]['symbol']},{cl[0]['symbol']}").json()
    assert sorted(c["symbol"] for c in picked) == sorted([es[0]["symbol"], cl[0]["symbol"]])
    as_json = _get(http, sim, access, FUTURES, category="US_FUTURES",
                   symbols=json.dumps([es[1]["symbol"]])).json()
    assert [c["symbol"] for c in as_json] == [es[1]["symbol"]]
    assert _get(http, sim, access, FUTURES, category="US_FUTURES", code="ES",
                status="NT").json() == []
    assert error_of(_get(http, sim, access, FUTURES, category="US_FUTURES"))[0] == 417
    assert error_of(_get(http, sim, access, FUTURES, code="ES"))[0] == 417


def test_option_chain(sim: SimServer, http: httpx.Client, access: str) -> None:
    chain = _walk(http, sim, access, OPTIONS, category="US_OPTION", underlying_symbols="AAPL")
    check_option_page({"data": chain})
    assert len(chain) > 300
    expirations = sorted({o["expiration_date"] for o in chain})
    assert len(expirations) >= 6
    assert {o["option_type"] for o in chain} == {"CALL", "PUT"}
    price = sim.state.market.price("AAPL")
    strikes = sorted({Decimal(o["strike_price"]) for o in chain})
    assert strikes[0] < price * Decimal("0.9") and strikes[-1] > price * Decimal("1.1")
    for o in chain:
        d = date.fromisoformat(o["expiration_date"])
        kind = o["option_type"][0]
        strike = int(Decimal(o["strike_price"]) * 1000)
        assert o["symbol"] == f"AAPL{d:%y%m%d}{kind}{strike:08d}"
        assert o["underlying_symbol"] == o["root_symbol"] == "AAPL"
        assert o["expired_cycle"] in ("WEEKLY", "MONTHLY")
    assert [o["symbol"] for o in chain] == [o["symbol"] for o in sorted(
        chain, key=lambda o: (o["expiration_date"], Decimal(o["strike_price"]),
                              o["option_type"]))]


def test_option_filters(sim: SimServer, http: httpx.Client, access: str) -> None:
    chain = _walk(http, sim, access, OPTIONS, category="US_OPTION", underlying_symbols="TSLA")
    expiry = sorted({o["expiration_date"] for o in chain})[3]
    strikes = sorted({Decimal(o["strike_price"]) for o in chain})
    low, high = strikes[5], strikes[8]
    subset = _walk(http, sim, access, OPTIONS, category="US_OPTION", underlying_symbols="TSLA",
                   option_type="PUT", start_date=expiry, end_date=expiry,
                   strike_price_gte=str(low), strike_price_lte=str(high))
    assert len(subset) == 4
    assert all(o["option_type"] == "PUT" and o["expiration_date"] == expiry
               and low <= Decimal(o["strike_price"]) <= high for o in subset)
    wanted = [chain[0]["symbol"], chain[-1]["symbol"]]
    picked = _walk(http, sim, access, OPTIONS, category="US_OPTION",
                   option_symbols=",".join(wanted))
    assert sorted(o["symbol"] for o in picked) == sorted(wanted)
    both = _walk(http, sim, access, OPTIONS, category="US_OPTION",
                 underlying_symbols="SPY,QQQ", start_date=expiry, end_date=expiry)
    assert {o["underlying_symbol"] for o in both} == {"SPY", "QQQ"}
    for bad in ({"underlying_symbols": "AAPL"}, {"category": "US_OPTION"},
                {"category": "US_OPTION", "underlying_symbols": "AAPL", "option_type": "X"},
                {"category": "US_OPTION", "underlying_symbols": "AAPL", "start_date": "21/09/26"},
                {"category": "US_OPTION", "underlying_symbols": "AAPL",
                 "strike_price_gte": "abc"}):
        assert _get(http, sim, access, OPTIONS, **bad).status_code == 417, bad


def test_event_markets(sim: SimServer, http: httpx.Client, access: str) -> None:
    markets = _walk(http, sim, access, EVENTS)
    check("eventMarketList", {"data": markets})
    series = {m["series_symbol"] for m in markets}
    assert {"KXRATECUTCOUNT", "KXFEDDECISION"} <= series and len(series) >= 4
    for m in markets:
        assert m["symbol"].startswith(m["event_symbol"] + "-")
        assert m["event_symbol"].startswith(m["series_symbol"] + "-")
        assert m["price_ranges"] == [{"start": "0.01", "end": "0.99", "step": "0.01"}]
        assert date.fromisoformat(m["expected_exp_date"]) >= date(2026, 9, 21)
    cuts = _walk(http, sim, access, EVENTS, series_symbol="KXRATECUTCOUNT")
    assert len(cuts) == 6 and {m["series_symbol"] for m in cuts} == {"KXRATECUTCOUNT"}
    event = cuts[0]["event_symbol"]
    assert len(_walk(http, sim, access, EVENTS, event_symbol=event)) == 6
    one = _walk(http, sim, access, EVENTS, symbols=cuts[3]["symbol"])
    assert [m["symbol"] for m in one] == [cuts[3]["symbol"]]
    later = _walk(http, sim, access, EVENTS, expiration_date_after="2026-12-01")
    assert 0 < len(later) < len(markets)
    assert _get(http, sim, access, EVENTS, expiration_date_after="soon").status_code == 417


def test_expired_contracts_leave_the_lists(http: httpx.Client) -> None:
    clock = ManualClock()
    with SimServer(clock=clock, rate_limits=None) as sim:
        access = connect_tokens(http, sim).access_token
        chain = _walk(http, sim, access, OPTIONS, category="US_OPTION",
                      underlying_symbols="SPY")
        markets = _walk(http, sim, access, EVENTS)
        clock.advance(8 * 86400)
        access = connect_tokens(http, sim).access_token
        later_chain = _walk(http, sim, access, OPTIONS, category="US_OPTION",
                            underlying_symbols="SPY")
        later_markets = _walk(http, sim, access, EVENTS)
        assert len(later_chain) < len(chain) and len(later_markets) < len(markets)
        assert min(o["expiration_date"] for o in later_chain) >= "2026-09-29"
