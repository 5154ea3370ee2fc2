"""The catalogue with the real client against the simulator's instruments, within Pennant's
own instrument limit (10 calls per 30 s): search, facts, option chains, futures months, event
markets, and last prices from the positions the app polls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.core.catalogue import DEFAULT_CHAIN_DAYS, Catalogue, CatalogueError
from app.core.catalogue_info import FROM_POSITION, NO_QUOTE
from app.core.portfolio import Portfolio
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.sim.instruments import occ_symbol
from app.webull.client import WebullClient
from app.webull.models import InstrumentType, OptionType
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, RateLimiter
from app.webull.transport import Transport

EQ, OPT, FUT, CRY, EVT = (InstrumentType.EQUITY, InstrumentType.OPTION, InstrumentType.FUTURES,
                          InstrumentType.CRYPTO, InstrumentType.EVENT)
INSTRUMENT_METHODS = {"iter_stock_instruments", "iter_crypto_instruments",
                      "list_futures_contracts", "iter_option_contracts", "iter_event_markets"}


class Counting:
    """The real client, counting the instrument calls the catalogue makes."""

    def __init__(self, client: WebullClient) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if name not in INSTRUMENT_METHODS:
            return target

        def call(*args: Any, **kw: Any) -> Any:
            self.calls.append(name)
            return target(*args, **kw)

        return call


@pytest.fixture
async def client(sim: SimServer) -> AsyncIterator[Counting]:
    env, creds = demo_connection(sim)
    limiter = RateLimiter(WEBULL_LIMITS)  # instruments: 10 per 30 s, as the app runs
    transport = Transport(env, creds.signing_key, limiter=limiter)
    tokens = TokenManager(transport, creds)
    await auto_sign_in(AuthorizationFlow(env, creds), tokens)
    yield Counting(WebullClient(transport, tokens.access_token))
    await transport.aclose()


@pytest.fixture
async def catalogue(client: Counting) -> AsyncIterator[Catalogue]:
    cat = Catalogue(client, Portfolio())  # type: ignore[arg-type]
    yield cat
    await cat.aclose()


async def test_search_and_facts_from_the_lists(catalogue: Catalogue, client: Counting) -> None:
    hits = await catalogue.search("aap", [EQ])
    assert hits[0].symbol == "AAPL" and hits[0].name == "APPLE INC"
    assert hits[0].detail == "Stock · NSQ"
    assert [h.symbol for h in await catalogue.search("apple", [EQ, OPT])] == ["AAPL", "AAPL"]
    spdr = await catalogue.search("spdr", [EQ])
    assert {h.symbol for h in spdr} == {"SPY", "DIA", "GLD"}
    assert all(h.detail == "ETF · ARCA" for h in spdr)
    assert await catalogue.search("ZWZZT", [EQ]) == []  # liquidate-only: not in the list
    assert client.calls == ["iter_stock_instruments"]  # 47 tradable stocks: one page
    aapl = await catalogue.info(EQ, "AAPL")
    assert aapl.fractionable and aapl.shortable and aapl.lot_size == 1
    assert aapl.last_price is None and aapl.last_price_source == NO_QUOTE
    tqqq = await catalogue.info(EQ, "TQQQ")
    assert not tqqq.fractionable and tqqq.min_amount is None
    co = await catalogue.info(EQ, "ZWZZT")
    assert co.tradable and co.closing_only and "liquidate-only" in co.why_not_tradable
    nt = await catalogue.info(EQ, "ZXZZT")
    assert not nt.tradable and "does not allow trading" in nt.why_not_tradable
    with pytest.raises(CatalogueError, match="no stock or ETF with the symbol QQQQ"):
        await catalogue.info(EQ, "QQQQ")
    assert [h.symbol for h in await catalogue.search("btc", [CRY])] == ["BTCUSD"]
    btc = await catalogue.info(CRY, "BTCUSD")
    assert (btc.min_amount, btc.max_amount) == (2, 100_000)
    assert btc.min_quantity == Decimal("0.00000001") and btc.tick is not None
    fed = await catalogue.search("kxfeddecision", [EVT])
    assert len(fed) == 4 and all(h.symbol.startswith("KXFEDDECISION-") for h in fed)
    assert [h.symbol for h in await catalogue.search("hike of", [EVT])] == \
        [h.symbol for h in fed if h.symbol.endswith("-H25")]
    event = await catalogue.info(EVT, fed[0].symbol)
    assert event.tick == Decimal("0.01") and event.detail and event.price_ranges
    assert len(await catalogue.event_markets("KXFEDDECISION")) == 4
    assert client.calls == ["iter_stock_instruments"] * 4 + [  # the list, 3 by symbol
        "iter_crypto_instruments", "iter_event_markets"]


async def test_option_chain_and_futures_months(sim: SimServer, catalogue: Catalogue,
                                               client: Counting) -> None:
    chain = await catalogue.option_chain("AAPL")
    catalog = sim.state.catalog
    assert chain.multiplier == 100
    horizon = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(
        days=DEFAULT_CHAIN_DAYS)
    aapl = [o for o in catalog.options.values()
            if o.underlying.symbol == "AAPL" and o.expiration <= horizon]
    days = sorted({o.expiration for o in aapl})
    assert list(chain.expirations) == days and len(days) >= 6
    assert {c.symbol for c in chain.contracts()} == {o.symbol for o in aapl}
    for expiry in chain.expirations:
        strikes = [row.strike for row in chain.rows[expiry]]
        assert strikes == sorted(strikes) and len(strikes) == 25
    wanted = catalog.option_at("AAPL", 25, 2, "CALL")
    found = chain.contract(wanted.expiration, wanted.strike, OptionType.CALL)
    assert found is not None and found.symbol == wanted.symbol
    info = await catalogue.info(OPT, wanted.symbol)
    assert info.symbol == "AAPL" and info.multiplier == 100 and info.tradable
    pages = len(client.calls)
    near = await catalogue.option_chain("AAPL", until=days[0] + timedelta(days=1))
    assert near.expirations == (days[0],) and len(client.calls) == pages + 1
    months = await catalogue.futures_months("ES")
    assert [m.code for m in months] == ["ES"] * len(months) and len(months) >= 2
    assert [m.last_trading_date for m in months] == sorted(m.last_trading_date  # type: ignore
                                                           for m in months)
    hits = await catalogue.search("es", [FUT])
    assert [h.symbol for h in hits][:len(months)] == [m.symbol for m in months]
    es = await catalogue.info(FUT, months[0].symbol)
    assert es.multiplier == 50 and es.tick == Decimal("0.25") and es.detail.count(" ") == 1
    gold = await catalogue.search("gold", [FUT])
    assert gold and all(h.symbol.startswith("GC") for h in gold)
    assert len(client.calls) <= 10  # within one window of Pennant's instrument limit


async def test_last_price_from_the_positions_the_app_polls(sim: SimServer, client: Counting
                                                           ) -> None:
    portfolio = Portfolio()
    accounts = await client.list_accounts()
    portfolio.set_accounts(accounts)
    margin = next(a for a in accounts if a.account_class == "INDIVIDUAL_MARGIN")
    positions = await client.list_positions(margin.account_id)
    portfolio.apply_positions(margin.account_id, positions)
    catalogue = Catalogue(client, portfolio)  # type: ignore[arg-type]
    try:
        held = next(p for p in positions if p.symbol == "AAPL" and p.legs == ())
        aapl = await catalogue.info(EQ, "aapl")
        assert aapl.last_price == held.last_price and aapl.last_price_source == FROM_POSITION
        put = next(p for p in positions if p.symbol == "SPY" and len(p.legs) == 1)
        leg = put.legs[0]
        assert leg.option_expire_date and leg.option_exercise_price and leg.option_type
        occ = occ_symbol("SPY", leg.option_expire_date, leg.option_type.value,
                         leg.option_exercise_price)
        option = await catalogue.info(OPT, occ)
        assert option.last_price == put.last_price and option.last_price_source == FROM_POSITION
    finally:
        await catalogue.aclose()
