"""Futures month and event market combos: the words of each entry, the choice kept across a
refresh, the empty state. Also the simulator-backed catalogue the other picker tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.core.catalogue import Catalogue
from app.core.portfolio import Portfolio
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.ui.instrument_pickers import (
    EventMarketCombo,
    FuturesMonthCombo,
    contract_month,
    event_label,
    futures_label,
)
from app.webull.client import WebullClient
from app.webull.models import EventMarket, FuturesContract
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import Transport

from .support import run


class SimInstruments:
    """A signed-in client of a running simulator and the real Catalogue over it.

    Its own rate limiter, with instruments at the 60/60 s the simulator enforces rather than
    the app's stricter 10/30 s, so that several tests reading whole lists stay fast."""

    def __init__(self, sim: SimServer) -> None:
        env, creds = demo_connection(sim)
        self.limiter = RateLimiter({**WEBULL_LIMITS, "instruments": Limit(60, 60)})
        self.transport = Transport(env, creds.signing_key, limiter=self.limiter)
        self.tokens = TokenManager(self.transport, creds)
        self.flow = AuthorizationFlow(env, creds)
        self.client = WebullClient(self.transport, self.tokens.access_token)
        self.catalogue = Catalogue(self.client, Portfolio())
        self.search = self.catalogue.search
        self.option_chain = self.catalogue.option_chain

    async def start(self) -> None:
        await auto_sign_in(self.flow, self.tokens)

    async def close(self) -> None:
        await self.catalogue.aclose()
        await self.transport.aclose()


@pytest.fixture
def sim_instruments(qtbot: Any, loop: asyncio.AbstractEventLoop) -> Iterator[SimInstruments]:
    with SimServer(seed=7, auto_approve=True) as sim:
        instruments = SimInstruments(sim)
        run(loop, qtbot, instruments.start())
        yield instruments
        run(loop, qtbot, instruments.close())


def futures(symbol: str, month: str, last: str, status: str = "OC") -> FuturesContract:
    return FuturesContract.model_validate({
        "symbol": symbol, "instrument_id": f"id-{symbol}", "code": symbol[:-2],
        "exchange_code": "XCME", "name": f"E-mini S&P 500 Futures {symbol}",
        "status": status, "contract_month": month, "last_trading_date": last,
        "size": "50.0", "unit": "1 - Index points", "min_tick": "0.25",
        "settlement": "Cash"})


def market(symbol: str, name: str, yes: str, status: str = "OC") -> EventMarket:
    return EventMarket.model_validate({
        "symbol": symbol, "instrument_id": f"id-{symbol}", "name": name, "yes_condition": yes,
        "event_name": "Number of rate cuts in 2026?", "last_trading_date": "2026-12-31",
        "tradable_status": status,
        "price_ranges": [{"start": "0.01", "end": "0.99", "step": "0.01"}]})


ESZ6 = futures("ESZ6", "202612", "2026-12-18")
ESH7 = futures("ESH7", "202703", "2027-03-19")
ESM7 = futures("ESM7", "202706", "2027-06-18", status="CO")
T2 = market("KXRATECUTCOUNT-26DEC31-T2", "Will the Fed cut rates 2 times?", "Exactly 2 cuts")
T3 = market("KXRATECUTCOUNT-26DEC31-T3", "Will the Fed cut rates 3 times?", "Exactly 3 cuts",
            status="NT")


def test_futures_entries_name_symbol_month_and_last_trade() -> None:
    assert futures_label(ESZ6) == "ESZ6 · Dec 2026 · last trade 2026-12-18"
    assert futures_label(ESM7).endswith("· closing only")
    assert contract_month("202703") == "Mar 2027"
    assert contract_month("2027-3") == "2027-3"  # not Webull's yyyyMM: shown as sent
    assert contract_month(None) == ""


def test_event_entries_name_condition_and_price_range() -> None:
    assert event_label(T2) == ("Will the Fed cut rates 2 times? · Yes: Exactly 2 cuts · "
                               "0.01–0.99 by 0.01")
    assert event_label(T3).endswith("· not tradable")


def test_futures_combo_keeps_the_choice_across_a_refresh(qtbot: Any) -> None:
    combo = FuturesMonthCombo()
    qtbot.addWidget(combo)
    seen: list[Any] = []
    combo.current_changed.connect(seen.append)
    assert combo.current_contract() is None
    assert combo.placeholderText() == "No contract months listed"
    combo.set_contracts((ESZ6, ESH7, ESM7))
    assert combo.current_contract() == ESZ6  # nearest month first
    assert seen == [ESZ6]
    assert combo.itemText(1) == "ESH7 · Mar 2027 · last trade 2027-03-19"
    combo.setCurrentIndex(1)
    assert seen[-1] == ESH7 and "Contract size: 50 Index points" in combo.toolTip()
    combo.set_contracts((ESZ6, ESH7, ESM7))  # a refresh: same list
    assert combo.current_contract() == ESH7 and len(seen) == 2
    combo.set_contracts((ESM7,))  # the chosen month is gone: the first one, announced
    assert combo.current_contract() == ESM7 and seen[-1] == ESM7
    combo.set_contracts(())
    assert combo.current_contract() is None and seen[-1] is None
    assert combo.toolTip() == ""


def test_event_combo_lists_markets_and_selects_by_symbol(qtbot: Any) -> None:
    combo = EventMarketCombo()
    qtbot.addWidget(combo)
    combo.set_markets((T2, T3))
    assert combo.current_market() == T2
    assert combo.select_symbol(T3.symbol) and combo.current_market() == T3
    assert not combo.select_symbol("KXNOPE") and combo.current_market() == T3
    assert "Pays out if: Exactly 3 cuts" in combo.toolTip()
    assert combo.count() == 2


def test_combos_against_the_simulator(qtbot: Any, loop: asyncio.AbstractEventLoop,
                                      sim_instruments: SimInstruments) -> None:
    months = run(loop, qtbot, sim_instruments.catalogue.futures_months("ES"))
    markets = run(loop, qtbot, sim_instruments.catalogue.event_markets("KXRATECUTCOUNT"))
    futures_combo = FuturesMonthCombo()
    events_combo = EventMarketCombo()
    qtbot.addWidget(futures_combo)
    qtbot.addWidget(events_combo)
    futures_combo.set_contracts(months)
    events_combo.set_markets(markets)
    first = futures_combo.current_contract()
    assert first is not None and first.symbol.startswith("ES") and first.size == Decimal(50)
    assert first.last_trading_date is not None and first.last_trading_date >= date(2000, 1, 1)
    assert futures_combo.currentText().startswith(f"{first.symbol} · ")
    assert "last trade" in futures_combo.currentText()
    assert events_combo.count() == len(markets) > 1
    assert "Yes: Exactly" in events_combo.currentText()
    assert "0.01–0.99 by 0.01" in events_combo.currentText()
