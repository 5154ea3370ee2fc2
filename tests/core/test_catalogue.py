"""The catalogue with a fake client that counts its calls: one read per list (shared by
concurrent searches, cached, retried after a failure), search order, look-alike refusal,
instrument facts, option chains, futures months and event markets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.core.catalogue import Catalogue, CatalogueError, SearchHit
from app.core.catalogue_info import (
    FROM_NO_POSITION,
    FROM_POSITION,
    NO_QUOTE,
    month_words,
)
from app.core.portfolio import Portfolio
from app.webull.errors import AuthError, RateLimitedError, ServerError, TransportError
from app.webull.models import (
    Account,
    CryptoInstrument,
    EventMarket,
    FuturesContract,
    InstrumentType,
    OptionContract,
    OptionType,
    Position,
    StockInstrument,
)
from tests.fakes import until

EQ, OPT, FUT, CRY, EVT = (InstrumentType.EQUITY, InstrumentType.OPTION, InstrumentType.FUTURES,
                          InstrumentType.CRYPTO, InstrumentType.EVENT)
TODAY = date(2026, 9, 21)


def stock(symbol: str, name: str, status: str = "OC", **kw: Any) -> StockInstrument:
    return StockInstrument.model_validate({"symbol": symbol, "instrument_id": "i" + symbol,
                                           "name": name, "status": status,
                                           "exchange_code": "NSQ", "lot_size": "1",
                                           "sub_category": "COMMON_STOCK", **kw})


def option(expiry: str, strike: str, kind: str, underlying: str = "AAPL") -> OptionContract:
    day = date.fromisoformat(expiry)
    occ = f"{underlying}{day:%y%m%d}{kind[0]}{int(Decimal(strike) * 1000):08d}"
    return OptionContract.model_validate({
        "instrument_id": "o" + occ, "symbol": occ, "strike_price": strike, "option_type": kind,
        "expiration_date": expiry, "underlying_symbol": underlying, "multiplier": "100",
        "tradable_status": "OC", "status": "LISTING"})


def future(symbol: str, code: str, month: str, last: str, **kw: Any) -> FuturesContract:
    return FuturesContract.model_validate({
        "symbol": symbol, "instrument_id": "f" + symbol, "code": code, "status": "OC",
        "name": f"{code} {month}", "contract_month": month, "last_trading_date": last,
        "size": "50", "min_tick": "0.25", "exchange_code": "XCME", **kw})


def market(symbol: str, name: str, yes: str, **kw: Any) -> EventMarket:
    series, event, _ = symbol.split("-")
    return EventMarket.model_validate({
        "instrument_id": "e" + symbol, "symbol": symbol, "series_symbol": series,
        "event_symbol": f"{series}-{event}", "name": name, "yes_condition": yes,
        "event_name": "Fed decision in January?", "series_name": "Fed Decision",
        "tradable_status": "OC", "fractionable": False,
        "price_ranges": [{"start": "0.01", "end": "0.99", "step": "0.01"}], **kw})


STOCKS = [stock("AAPL", "APPLE INC"), stock("AA", "ALCOA CORP"), stock("AAL", "AMERICAN AIRLINES"),
          stock("PNPL", "PINEAPPLE ENERGY"), stock("MSFT", "MICROSOFT CORP"),
          stock("SPY", "SPDR S&P 500 ETF TRUST", sub_category="ETF", exchange_code="ARCA"),
          stock("WRNT", "SOME WARRANT", sub_category="WARRANT")]
HIDDEN = [stock("ZWZZT", "NASDAQ TEST STOCK (LIQUIDATE ONLY)", status="CO", fractionable=False),
          stock("ZXZZT", "NASDAQ TEST STOCK (NOT TRADABLE)", status="NT")]
CRYPTO = [CryptoInstrument.model_validate({
    "symbol": "BTCUSD", "instrument_id": "c1", "name": "Bitcoin", "status": "OC",
    "min_trade_amt": "2", "max_trade_amt": "100000", "min_trade_qty": "0.00000001",
    "max_trade_qty": "10000", "price_step": "0.01", "lot_size": "0.00000001"})]
FUTURES = {"ES": [future("ESH7", "ES", "202703", "2027-03-19"),
                  future("ESZ6", "ES", "202612", "2026-12-18")],
           "GC": [future("GCZ6", "GC", "202612", "2026-12-29", name="Gold Futures Dec 2026")],
           "MES": [future("MESZ6", "MES", "202612", "2026-12-18")]}
OPTIONS = [option("2026-10-16", "230", "CALL"), option("2026-10-16", "230", "PUT"),
           option("2026-10-16", "225", "CALL"), option("2026-09-25", "230", "PUT"),
           option("2026-09-25", "230", "CALL")]
EVENTS = [market("KXFEDDECISION-26JAN-H0", "Will the Fed hold rates?", "Rates unchanged"),
          market("KXFEDDECISION-26JAN-C25", "Will the Fed cut by 25bps?", "Cut of 25bps"),
          market("KXCPIYOY-26JAN-T3.0", "Will CPI be above 3.0%?", "Above 3.0%",
                 series_name="CPI", event_name="CPI in January?")]


class FakeClient:
    """Serves the lists above in pages of two, recording one call per page."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None
        self.fail: dict[str, Exception] = {}  # method → raised once, on its next call

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.calls if n == name)

    async def _call(self, name: str, query: dict[str, Any]) -> None:
        self.calls.append((name, query))
        if self.gate is not None:
            await self.gate.wait()
        if name in self.fail:
            raise self.fail.pop(name)

    async def _pages(self, name: str, items: list[Any], query: dict[str, Any]
                     ) -> AsyncIterator[Any]:
        for start in range(0, max(len(items), 1), 2):
            await self._call(name, {**query, "page": start // 2})
            for item in items[start:start + 2]:
                yield item

    def iter_stock_instruments(self, *, symbols: list[str] | None = None,
                               status: str | None = None, **_: Any) -> AsyncIterator[Any]:
        items = [s for s in STOCKS + HIDDEN if (symbols is None or s.symbol in symbols)
                 and (status is None or s.status == status)]
        return self._pages("stocks", items, {"symbols": symbols, "status": status})

    def iter_crypto_instruments(self, **query: Any) -> AsyncIterator[Any]:
        return self._pages("crypto", CRYPTO, query)

    async def list_futures_contracts(self, **query: Any) -> tuple[FuturesContract, ...]:
        await self._call("futures", query)
        if query.get("symbols"):
            return tuple(f for fs in FUTURES.values() for f in fs if f.symbol in query["symbols"])
        return tuple(FUTURES.get(query["code"], ()))

    def iter_option_contracts(self, **query: Any) -> AsyncIterator[Any]:
        if query.get("option_symbols"):
            items = [o for o in OPTIONS if o.symbol in query["option_symbols"]]
        else:
            items = [o for o in OPTIONS if o.underlying_symbol in query["underlying_symbols"]]
        return self._pages("options", items, query)

    def iter_event_markets(self, **query: Any) -> AsyncIterator[Any]:
        items = [m for m in EVENTS if all(getattr(m, k) == v or (k == "symbols" and m.symbol in v)
                                          for k, v in query.items() if k != "symbols")
                 and (not query.get("symbols") or m.symbol in query["symbols"])]
        return self._pages("events", items, query)


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def portfolio() -> Portfolio:
    return Portfolio()


@pytest.fixture
async def catalogue(client: FakeClient, portfolio: Portfolio) -> AsyncIterator[Catalogue]:
    cat = Catalogue(client, portfolio, today=lambda: TODAY)  # type: ignore[arg-type]
    yield cat
    await cat.aclose()


def symbols(hits: list[SearchHit]) -> list[str]:
    return [h.symbol for h in hits]


# ------------------------------------------------------------------------------ search


async def test_one_read_of_the_list_then_local_search(catalogue: Catalogue,
                                                      client: FakeClient) -> None:
    assert symbols(await catalogue.search("aa", [EQ])) == ["AA", "AAL", "AAPL"]
    pages = client.count("stocks")
    assert pages == 4 and all(q["status"] == "OC" for _, q in client.calls)  # 7 stocks, 2/page
    assert symbols(await catalogue.search("apple", [EQ])) == ["AAPL", "PNPL"]
    assert symbols(await catalogue.search("  apple   inc ", [EQ])) == ["AAPL"]
    assert symbols(await catalogue.search("AAPL", [EQ])) == ["AAPL"]
    assert symbols(await catalogue.search("a", [EQ], limit=2)) == ["AA", "AAL"]
    assert client.count("stocks") == pages and catalogue.is_loaded(EQ)


async def test_exact_symbol_first_then_prefix_then_name(catalogue: Catalogue) -> None:
    hits = await catalogue.search("aal", [EQ])
    assert symbols(hits) == ["AAL"]
    hits = await catalogue.search("s", [EQ])  # SPY by symbol; names with an S are not searched
    assert symbols(hits) == ["SPY"] and hits[0].detail == "ETF · ARCA"
    hits = await catalogue.search("sp", [EQ])  # SPY by prefix before names that contain SP
    assert symbols(hits) == ["SPY"]
    hits = await catalogue.search("ms", [EQ, OPT])
    assert [(h.instrument, h.symbol) for h in hits] == [(EQ, "MSFT"), (OPT, "MSFT")]


async def test_concurrent_first_searches_share_one_read(catalogue: Catalogue,
                                                        client: FakeClient) -> None:
    client.gate = asyncio.Event()
    first = asyncio.ensure_future(catalogue.search("aa", [EQ]))
    second = asyncio.ensure_future(catalogue.search("apple", [EQ, OPT]))
    await until(lambda: len(client.calls) == 1)
    client.gate.set()
    assert symbols(await first) == ["AA", "AAL", "AAPL"]
    assert [(h.instrument, h.symbol) for h in await second] == [
        (EQ, "AAPL"), (EQ, "PNPL"), (OPT, "AAPL"), (OPT, "PNPL")]
    assert client.count("stocks") == 4


async def test_a_failed_read_says_why_and_is_tried_again(catalogue: Catalogue,
                                                         client: FakeClient) -> None:
    client.fail["stocks"] = ServerError("boom", status=503)
    with pytest.raises(CatalogueError, match=r"stocks and ETFs: Webull had a server problem "
                                             r"\(HTTP 503\)"):
        await catalogue.search("aa", [EQ])
    assert client.count("stocks") == 1 and not catalogue.is_loaded(EQ)
    assert symbols(await catalogue.search("aa", [EQ])) == ["AA", "AAL", "AAPL"]
    assert client.count("stocks") == 5


async def test_a_read_cancelled_by_its_caller_goes_on_for_the_next(catalogue: Catalogue,
                                                                   client: FakeClient) -> None:
    client.gate = asyncio.Event()
    first = asyncio.ensure_future(catalogue.search("aa", [EQ]))
    await until(lambda: len(client.calls) == 1)
    first.cancel()
    client.gate.set()
    assert symbols(await catalogue.search("aapl", [EQ])) == ["AAPL"]
    assert client.count("stocks") == 4


@pytest.mark.parametrize(("text", "words"), [
    ("\u0410APL", "CYRILLIC CAPITAL LETTER A"), ("AA\u200bPL", "invisible character"),
    ("ａapl", "FULLWIDTH LATIN SMALL LETTER A")])
async def test_look_alike_characters_are_refused_without_a_call(
        catalogue: Catalogue, client: FakeClient, text: str, words: str) -> None:
    with pytest.raises(CatalogueError, match=words):
        await catalogue.search(text, [EQ])
    with pytest.raises(CatalogueError, match=words):
        await catalogue.info(EQ, text)
    assert client.calls == []


async def test_empty_text_finds_nothing_and_reads_nothing(catalogue: Catalogue,
                                                          client: FakeClient) -> None:
    assert await catalogue.search("  ", [EQ, CRY, EVT, FUT]) == []
    assert client.calls == []


async def test_without_waiting_the_read_goes_on_in_the_background(catalogue: Catalogue,
                                                                  client: FakeClient) -> None:
    client.gate = asyncio.Event()
    assert await catalogue.search("aa", [EQ], wait=False) == []
    client.gate.set()
    await until(lambda: catalogue.is_loaded(EQ))
    assert symbols(await catalogue.search("aa", [EQ], wait=False)) == ["AA", "AAL", "AAPL"]
    assert client.count("stocks") == 4


async def test_options_search_lists_underlyings_from_the_stock_list(
        catalogue: Catalogue, client: FakeClient) -> None:
    hits = await catalogue.search("w", [OPT, EQ])
    assert [(h.instrument, h.symbol) for h in hits] == [(EQ, "WRNT")]  # no options on warrants
    hit = (await catalogue.search("aapl", [OPT]))[0]
    assert hit == SearchHit(OPT, "AAPL", "APPLE INC", "Options on AAPL")
    assert client.count("stocks") == 4 and client.count("options") == 0


async def test_crypto_and_event_lists(catalogue: Catalogue, client: FakeClient) -> None:
    assert symbols(await catalogue.search("btc", [CRY])) == ["BTCUSD"]
    assert symbols(await catalogue.search("bitcoin", [CRY])) == ["BTCUSD"]
    hits = await catalogue.search("kxfed", [EVT])
    assert symbols(hits) == ["KXFEDDECISION-26JAN-H0", "KXFEDDECISION-26JAN-C25"]
    assert hits[0].detail == "Rates unchanged"
    assert symbols(await catalogue.search("cut by", [EVT])) == ["KXFEDDECISION-26JAN-C25"]
    assert symbols(await catalogue.search("cpi", [EVT, CRY])) == ["KXCPIYOY-26JAN-T3.0"]
    assert client.count("crypto") == 1 and client.count("events") == 2


async def test_futures_search_reads_only_the_codes_the_text_points_to(
        catalogue: Catalogue, client: FakeClient) -> None:
    hits = await catalogue.search("es", [FUT])
    assert symbols(hits) == ["ESZ6", "ESH7"]  # nearest month first
    assert [q["code"] for _, q in client.calls] == ["ES"]
    assert hits[0].detail.endswith("· XCME")
    assert symbols(await catalogue.search("ESZ6", [FUT]))[0] == "ESZ6"
    assert len(client.calls) == 1  # ES is read already
    assert symbols(await catalogue.search("gold", [FUT])) == ["GCZ6"]
    assert {q["code"] for _, q in client.calls} == {"ES", "GC", "MGC"}
    client.calls.clear()
    await catalogue.search("m", [FUT])  # six codes start with M: at most three are read
    assert len(client.calls) == 3


# ------------------------------------------------------------------------------ facts


async def test_stock_info_from_the_list_without_another_call(catalogue: Catalogue,
                                                             client: FakeClient) -> None:
    await catalogue.search("aapl", [EQ])
    before = len(client.calls)
    info = await catalogue.info(EQ, "aapl")
    assert len(client.calls) == before
    assert info.symbol == "AAPL" and info.name == "APPLE INC" and info.tick is None
    assert info.tradable and not info.closing_only and info.why_not_tradable == ""
    assert info.multiplier == 1
    assert info.last_price is None and info.last_price_source == NO_QUOTE


async def test_stock_info_by_symbol_finds_liquidate_only_and_unknown_once(
        catalogue: Catalogue, client: FakeClient) -> None:
    info = await catalogue.info(EQ, "ZWZZT")
    assert client.calls == [("stocks", {"symbols": ["ZWZZT"], "status": None, "page": 0})]
    # liquidate-only: still tradable, for closing trades only
    assert info.tradable and info.closing_only and "liquidate-only" in info.why_not_tradable
    assert not info.fractionable and info.min_quantity == 1 and info.min_amount is None
    untradable = await catalogue.info(EQ, "ZXZZT")
    assert not untradable.tradable and not untradable.closing_only
    assert "does not allow trading ZXZZT" in untradable.why_not_tradable
    for _ in range(2):
        with pytest.raises(CatalogueError, match="no stock or ETF with the symbol NOPE"):
            await catalogue.info(EQ, "NOPE")
    assert client.count("stocks") == 3  # the miss is remembered too


def _account(portfolio: Portfolio, account_id: str, positions: list[dict[str, Any]]) -> None:
    accounts = [*portfolio.accounts, Account.model_validate(
        {"account_id": account_id, "account_number": "N" + account_id,
         "account_type": "MARGIN", "account_class": "INDIVIDUAL_MARGIN"})]
    portfolio.set_accounts(accounts)
    portfolio.apply_positions(account_id, [Position.model_validate(
        {"currency": "USD", "cost_price": "1", "unrealized_profit_loss": "0",
         "option_strategy": "", **p}) for p in positions])


async def test_last_price_comes_from_a_position_of_any_account(
        catalogue: Catalogue, portfolio: Portfolio) -> None:
    _account(portfolio, "A1", [{"position_id": "p1", "symbol": "MSFT", "quantity": "3",
                                "instrument_type": "EQUITY", "last_price": "428.10"}])
    _account(portfolio, "A2", [
        {"position_id": "p2", "symbol": "AAPL", "quantity": "10", "instrument_type": "EQUITY",
         "last_price": "231.45"},
        {"position_id": "p3", "symbol": "AAPL", "quantity": "1", "instrument_type": "OPTION",
         "last_price": "4.20", "option_strategy": "SINGLE",
         "legs": [{"leg_id": "l1", "symbol": "AAPL", "quantity": "1", "option_type": "CALL",
                   "option_expire_date": "2026-10-16", "option_exercise_price": "230"}]},
        {"position_id": "p4", "symbol": "KXFEDDECISION-26JAN-H0", "quantity": "5",
         "instrument_type": "EVENT", "last_price": "0.65", "event_outcome": "no"}])
    info = await catalogue.info(EQ, "AAPL")
    assert info.last_price == Decimal("231.45") and info.last_price_source == FROM_POSITION
    contract = await catalogue.info(OPT, "AAPL261016C00230000")
    assert contract.symbol == "AAPL" and contract.last_price == Decimal("4.20")
    assert contract.detail == "AAPL Oct 16 2026 230 Call" and contract.multiplier == 100
    other = await catalogue.info(OPT, "AAPL261016P00230000")
    assert other.last_price is None and other.last_price_source == NO_QUOTE
    underlying = await catalogue.info(OPT, "AAPL")  # the stock's price is not an option's
    assert underlying.last_price is None and underlying.multiplier == 100
    event = await catalogue.info(EVT, "KXFEDDECISION-26JAN-H0")
    assert event.last_price == Decimal("0.35") and event.last_price_source == FROM_NO_POSITION


async def test_crypto_futures_and_event_facts(catalogue: Catalogue) -> None:
    btc = await catalogue.info(CRY, "btcusd")
    assert (btc.tick, btc.min_amount, btc.max_amount, btc.min_quantity) == (
        Decimal("0.01"), 2, 100_000, Decimal("0.00000001"))
    assert btc.fractionable and not btc.shortable
    with pytest.raises(CatalogueError, match="no tradable crypto pair DOGEUSD"):
        await catalogue.info(CRY, "DOGEUSD")
    es = await catalogue.info(FUT, "ESZ6")
    assert (es.multiplier, es.tick, es.detail) == (50, Decimal("0.25"), "Dec 2026")
    with pytest.raises(CatalogueError, match="ES is a futures product"):
        await catalogue.info(FUT, "ES")
    with pytest.raises(CatalogueError, match="no futures contract QQZ9"):
        await catalogue.info(FUT, "QQZ9")
    event = await catalogue.info(EVT, "KXFEDDECISION-26JAN-C25")
    assert event.detail == "Cut of 25bps" and event.tick == Decimal("0.01")
    assert event.price_ranges[0].end == Decimal("0.99") and event.max_quantity == 50_000
    assert event.min_quantity == 1 and not event.fractionable


def test_month_words() -> None:
    assert month_words("202612") == "Dec 2026" and month_words("202601") == "Jan 2026"
    assert month_words("2026-12") == "2026-12" and month_words(None) == ""


# ------------------------------------------------------------------------------ chains


async def test_option_chain_by_expiration_and_strike_cached(catalogue: Catalogue,
                                                            client: FakeClient) -> None:
    chain = await catalogue.option_chain("aapl")
    assert chain.underlying == "AAPL" and chain.multiplier == 100
    assert chain.expirations == (date(2026, 9, 25), date(2026, 10, 16))
    rows = chain.rows[date(2026, 10, 16)]
    assert [r.strike for r in rows] == [Decimal(225), Decimal(230)]
    assert rows[0].put is None and rows[1].put is not None
    call = chain.contract(date(2026, 10, 16), Decimal("230.0"), OptionType.CALL)
    assert call is not None and call.symbol == "AAPL261016C00230000"
    assert chain.contract(date(2026, 10, 16), Decimal(225), OptionType.PUT) is None
    assert chain.contract(date(2027, 1, 15), Decimal(230), OptionType.CALL) is None
    query = client.calls[0][1]
    assert query["underlying_symbols"] == ["AAPL"] and query["status"] == "LISTING"
    assert query["start_date"] == TODAY and (query["end_date"] - TODAY).days == 120
    calls = len(client.calls)
    assert await catalogue.option_chain("AAPL") is chain
    await catalogue.info(OPT, "AAPL260925P00230000")  # found in the chain: no call
    assert len(client.calls) == calls
    assert (await catalogue.option_chain("MSFT")).expirations == ()


async def test_futures_months_nearest_first_and_event_markets(catalogue: Catalogue,
                                                              client: FakeClient) -> None:
    months = await catalogue.futures_months("es")
    assert [m.symbol for m in months] == ["ESZ6", "ESH7"]
    assert client.calls == [("futures", {"code": "ES", "status": "OC"})]
    assert await catalogue.futures_months("ES") is months
    series = await catalogue.event_markets("KXFEDDECISION")
    assert [m.symbol for m in series] == ["KXFEDDECISION-26JAN-H0", "KXFEDDECISION-26JAN-C25"]
    assert client.calls[-1][1]["series_symbol"] == "KXFEDDECISION"
    event = await catalogue.event_markets("KXCPIYOY-26JAN")
    assert [m.symbol for m in event] == ["KXCPIYOY-26JAN-T3.0"]
    assert client.calls[-1][1]["event_symbol"] == "KXCPIYOY-26JAN"


async def test_event_markets_come_from_the_list_once_it_is_read(
        catalogue: Catalogue, client: FakeClient) -> None:
    await catalogue.search("kx", [EVT])
    calls = len(client.calls)
    assert len(await catalogue.event_markets("KXFEDDECISION")) == 2
    assert len(client.calls) == calls


@pytest.mark.parametrize(("error", "words"), [
    (TransportError("reset", request_sent=True), "could not be reached"),
    (RateLimitedError("slow", status=429), "slow down"),
    (AuthError("expired", status=401), "sign in again")])
async def test_failures_in_words(catalogue: Catalogue, client: FakeClient,
                                 error: Exception, words: str) -> None:
    client.fail["futures"] = error
    with pytest.raises(CatalogueError, match=f"futures contracts of ES: .*{words}"):
        await catalogue.futures_months("ES")
    assert len(await catalogue.futures_months("ES")) == 2


async def test_closing_stops_reads_in_flight(catalogue: Catalogue, client: FakeClient) -> None:
    client.gate = asyncio.Event()
    pending = asyncio.ensure_future(catalogue.option_chain("AAPL"))
    await until(lambda: len(client.calls) == 1)
    await catalogue.aclose()
    with pytest.raises(asyncio.CancelledError):
        await pending


async def test_forgetting_drops_what_was_read_and_stops_reads(catalogue: Catalogue,
                                                              client: FakeClient) -> None:
    await catalogue.search("aa", [EQ])
    client.gate = asyncio.Event()
    pending = asyncio.ensure_future(catalogue.futures_months("ES"))
    await until(lambda: client.count("futures") == 1)
    ready = asyncio.Event()

    async def after_forgetting() -> tuple[Any, ...]:
        await ready.wait()
        return await catalogue.futures_months("ES")

    again = asyncio.ensure_future(after_forgetting())
    await asyncio.sleep(0)
    ready.set()  # the new read starts before the old one has noticed it was stopped
    catalogue.forget()
    assert not catalogue.is_loaded(EQ)
    await until(lambda: client.count("futures") == 2)
    with pytest.raises(asyncio.CancelledError):
        await pending
    third = asyncio.ensure_future(catalogue.futures_months("ES"))  # shares the new read
    client.gate.set()
    assert await again == await third and client.count("futures") == 2


def test_stock_info_says_whether_the_overnight_session_trades_it() -> None:
    from app.core.catalogue import stock_info

    assert stock_info(stock("AAPL", "APPLE INC", overnight_trading_supported=True)).overnight
    assert stock_info(stock("XYZ", "XYZ", overnight_trading_supported=False)).overnight is False
    assert stock_info(stock("ABC", "ABC")).overnight is None  # not said: Webull decides
