"""Small stand-ins for the ticket's collaborators (catalogue, desk) with the real signatures, and
a few Webull models built the way the wire sends them. Used by the ticket tests and by the
render script that looks at the ticket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.core.catalogue import CatalogueError, SearchHit
from app.core.journal import Intent, IntentState
from app.core.option_chain import OptionChain, build_chain
from app.core.portfolio import Portfolio
from app.core.precautions import Finding
from app.core.preview_binding import bind
from app.core.ticket import InstrumentInfo, LocalEstimate
from app.core.trading import DeskState, Preview, PreviewError, TradeResult
from app.webull.models import (
    Account,
    Balance,
    EventMarket,
    FuturesContract,
    InstrumentType,
    OptionContract,
    Position,
    PreviewResult,
    PriceRange,
)

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
E = InstrumentType
POSITION_SOURCE = "last price of your position, as of the last poll"
NO_QUOTE = "no quote: Webull's Connect API has no market-data endpoint"


def account(kind: str, number: str = "5MV00001234") -> Account:
    table = {"margin": ("MARGIN", "INDIVIDUAL_MARGIN", "Individual Margin"),
             "cash": ("CASH", "INDIVIDUAL_CASH", "Individual Cash"),
             "futures": ("MARGIN", "FUTURES", "Futures"),
             "crypto": ("CASH", "CRYPTO", "Crypto"),
             "events": ("CASH", "EVENTS_CASH", "Events Cash")}
    kind_, cls, label = table[kind]
    return Account.model_validate({"account_id": f"ACC-{kind}", "account_number": number,
                                   "account_type": kind_, "account_class": cls,
                                   "account_label": label})


ACCOUNTS = (account("margin", "5MV00001234"), account("cash", "5MV00005678"),
            account("futures", "FUT00004321"), account("crypto", "CF000008765"),
            account("events", "5ME00002468"))


def balance(buying_power: str = "25000.00") -> Balance:
    return Balance.model_validate({
        "total_asset_currency": "USD", "total_cash_balance": buying_power,
        "total_market_value": "0", "total_unrealized_profit_loss": "0",
        "total_day_profit_loss": "0",
        "account_currency_assets": [{"currency": "USD", "market_value": "0",
                                     "unrealized_profit_loss": "0",
                                     "buying_power": buying_power}]})


def position(symbol: str = "AAPL", quantity: str = "10", last: str = "187.43",
             kind: str = "EQUITY") -> Position:
    return Position.model_validate({
        "position_id": f"P-{symbol}", "currency": "USD", "quantity": quantity,
        "symbol": symbol, "instrument_type": kind, "last_price": last, "cost_price": "150",
        "unrealized_profit_loss": "374.30"})


def portfolio(*positions: Position) -> Portfolio:
    p = Portfolio()
    p.set_accounts(ACCOUNTS)
    for a in ACCOUNTS:
        p.apply_balance(a.account_id, balance())
    if positions:
        p.apply_positions("ACC-margin", positions)
    return p


# ---------------------------------------------------------------------------- catalogue

def option_contract(expiry: date, strike: str, kind: str, underlying: str = "AAPL"
                    ) -> OptionContract:
    cents = int(Decimal(strike) * 1000)
    return OptionContract.model_validate({
        "instrument_id": f"{underlying}{expiry:%y%m%d}{kind[0]}{cents:08d}",
        "symbol": f"{underlying}{expiry:%y%m%d}{kind[0]}{cents:08d}", "strike_price": strike,
        "status": "LISTING", "tradable_status": "OC", "expiration_date": expiry.isoformat(),
        "underlying_symbol": underlying, "option_type": kind, "multiplier": "100"})


def futures_contract(symbol: str, month: str, last_day: date) -> FuturesContract:
    return FuturesContract.model_validate({
        "symbol": symbol, "instrument_id": f"F-{symbol}", "code": "ES",
        "name": "E-mini S&P 500", "exchange_code": "XCME", "status": "OC",
        "contract_month": month, "size": "50", "min_tick": "0.25",
        "last_trading_date": last_day.isoformat()})


def event_market(suffix: str, name: str, yes: str) -> EventMarket:
    return EventMarket.model_validate({
        "instrument_id": f"EV-{suffix}", "symbol": f"KXFEDDECISION-26DEC-{suffix}",
        "series_symbol": "KXFEDDECISION", "event_symbol": "KXFEDDECISION-26DEC",
        "name": name, "yes_condition": yes, "status": "LISTING", "tradable_status": "OC",
        "fractionable": False,
        "price_ranges": [{"start": "0.01", "end": "0.99", "step": "0.01"}]})


INFOS: dict[tuple[InstrumentType, str], InstrumentInfo] = {
    (E.EQUITY, "AAPL"): InstrumentInfo(E.EQUITY, "AAPL", "APPLE INC", lot_size=Decimal(1),
                                       tick=Decimal("0.01"), fractionable=True, shortable=True,
                                       last_price=Decimal("187.43"),
                                       last_price_source=POSITION_SOURCE),
    (E.EQUITY, "INTC"): InstrumentInfo(E.EQUITY, "INTC", "INTEL CORP", lot_size=Decimal(1),
                                       tick=Decimal("0.01"), fractionable=False,
                                       shortable=False, last_price_source=NO_QUOTE),
    (E.OPTION, "AAPL"): InstrumentInfo(E.OPTION, "AAPL", "APPLE INC", tick=Decimal("0.01"),
                                       multiplier=Decimal(100), last_price=Decimal("187.43"),
                                       last_price_source=POSITION_SOURCE),
    (E.CRYPTO, "BTCUSD"): InstrumentInfo(E.CRYPTO, "BTCUSD", "Bitcoin", tick=Decimal("0.01"),
                                         fractionable=True, min_amount=Decimal(2),
                                         max_amount=Decimal(100000),
                                         min_quantity=Decimal("0.00000001"),
                                         last_price=Decimal("115000.00"),
                                         last_price_source=POSITION_SOURCE),
    (E.FUTURES, "ESZ6"): InstrumentInfo(E.FUTURES, "ESZ6", "E-mini S&P 500 Dec 2026",
                                        tick=Decimal("0.25"), multiplier=Decimal(50),
                                        last_price_source=NO_QUOTE, detail="202612"),
    (E.FUTURES, "ESH7"): InstrumentInfo(E.FUTURES, "ESH7", "E-mini S&P 500 Mar 2027",
                                        tick=Decimal("0.25"), multiplier=Decimal(50),
                                        last_price_source=NO_QUOTE, detail="202703"),
}
for _m in ("H0", "C25"):
    INFOS[(E.EVENT, f"KXFEDDECISION-26DEC-{_m}")] = InstrumentInfo(
        E.EVENT, f"KXFEDDECISION-26DEC-{_m}", "Fed decision in December 2026",
        tick=Decimal("0.01"), max_quantity=Decimal(50000),
        price_ranges=(PriceRange.model_validate({"start": "0.01", "end": "0.99",
                                                 "step": "0.01"}),),
        last_price_source=NO_QUOTE, detail="Rates unchanged" if _m == "H0" else "Cut of 25bps")


class FakeCatalogue:
    """The Catalogue's methods over a few fixed instruments; every call is recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.expiries = (TODAY + timedelta(days=7), TODAY + timedelta(days=35))

    async def search(self, text: str, instruments: Sequence[InstrumentType], limit: int = 20,
                     *, wait: bool = True) -> list[SearchHit]:
        self.calls.append(("search", text))
        word = text.strip().upper()
        return [SearchHit(kind, symbol, info.name) for (kind, symbol), info in INFOS.items()
                if kind in instruments and word and (symbol.startswith(word)
                                                     or word in info.name.upper())][:limit]

    async def info(self, instrument: InstrumentType, symbol: str) -> InstrumentInfo:
        self.calls.append(("info", symbol))
        found = INFOS.get((instrument, symbol.upper()))
        if found is None:
            raise CatalogueError(f"Webull lists no instrument {symbol.upper()}")
        return found

    async def option_chain(self, underlying: str, *, until: date | None = None) -> OptionChain:
        self.calls.append(("chain", underlying))
        strikes = ("180", "185", "190", "195")
        return build_chain(underlying, [option_contract(e, s, k, underlying)
                                        for e in self.expiries for s in strikes
                                        for k in ("CALL", "PUT")])

    async def futures_months(self, code: str) -> tuple[FuturesContract, ...]:
        self.calls.append(("months", code))
        return (futures_contract("ESZ6", "202612", date(2026, 12, 18)),
                futures_contract("ESH7", "202703", date(2027, 3, 19)))

    async def event_markets(self, series_or_event: str) -> tuple[EventMarket, ...]:
        self.calls.append(("markets", series_or_event))
        return (event_market("H0", "Will the Fed hold rates?", "Rates unchanged"),
                event_market("C25", "Will the Fed cut by 25bps?", "Cut of 25bps"))


# ---------------------------------------------------------------------------- desk

def intent(key: str, state: IntentState, account_id: str = "ACC-margin") -> Intent:
    return Intent(key, "demo", account_id, "place", {}, state, "W-1" if state in (
        IntentState.ACCEPTED, IntentState.PLACED) else None, None, T0, T0)


class FakeDesk:
    """The TradingDesk's ticket-facing methods; answers are set by the test. ``gate`` (a
    future) holds a submit in flight until the test resolves it."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.state = DeskState.READY
        self.why = ""
        self.now = now
        self.findings: tuple[Finding, ...] = ()
        self.estimate = False
        self.preview_error: PreviewError | None = None
        self.answer = IntentState.ACCEPTED
        self.message = "Accepted by Webull (order W-1)."
        self.links: tuple[str, ...] = ()
        self.gate: asyncio.Future[None] | None = None
        self.previews: list[Any] = []
        self.submits: list[tuple[Preview, bool]] = []
        self.resubmits: list[str] = []
        self.absent_keys: list[str] = []
        self.resolves: list[str] = []
        self.resolve_answer = IntentState.PLACED

    async def preview(self, request: Any, facts: Any, instrument: Any,
                      words: Sequence[str]) -> Preview:
        self.previews.append((request, facts, instrument, tuple(words)))
        await asyncio.sleep(0)
        if self.preview_error is not None:
            raise self.preview_error
        return make_preview(request, words, self.now(), findings=self.findings,
                            estimate=self.estimate)

    async def submit(self, preview: Preview, *, acknowledged: bool) -> TradeResult:
        self.submits.append((preview, acknowledged))
        if self.gate is not None:
            await self.gate
        if self.answer is IntentState.ABSENT:
            self.absent_keys.append(preview.request.key)
        return TradeResult(intent(preview.request.key, self.answer), self.message, self.links)

    def absent(self) -> list[Intent]:
        return [intent(key, IntentState.ABSENT) for key in self.absent_keys]

    def dismiss(self, key: str) -> TradeResult:
        if key not in self.absent_keys:
            raise ValueError(f"Order {key} is not absent.")
        self.absent_keys.remove(key)
        return TradeResult(intent(key, IntentState.DISMISSED), "Dismissed: this order will not "
                                                               "be sent.")

    async def preview_resubmit(self, key: str) -> Preview:
        await asyncio.sleep(0)
        request = next(p.request for p, _ in reversed(self.submits) if p.request.key == key)
        return make_preview(request, ("The order as journaled",), self.now(),
                            findings=self.findings)

    async def resubmit(self, key: str, preview: Preview | None = None, *,
                       acknowledged: bool = False) -> TradeResult:
        self.resubmits.append(key)
        await asyncio.sleep(0)
        if key in self.absent_keys:
            self.absent_keys.remove(key)
        return TradeResult(intent(key, IntentState.ACCEPTED), "Accepted by Webull (order W-2).")

    async def resolve(self, key: str) -> TradeResult:
        self.resolves.append(key)
        await asyncio.sleep(0)
        return TradeResult(intent(key, self.resolve_answer), f"Order {key}: placed.")


def make_preview(request: Any, words: Sequence[str], at: datetime, *,
                 findings: Sequence[Finding] = (), estimate: bool = False,
                 cost: str = "1874.30", fee: str = "0.02") -> Preview:
    quote = None if estimate else PreviewResult.model_validate(
        {"estimated_cost": cost, "estimated_transaction_fee": fee})
    local = LocalEstimate(Decimal(cost), Decimal(fee), "Pennant's estimate, not a Webull "
                          "quote: at the limit price. Fee: Webull's crypto spread of 1%.") \
        if estimate else None
    return Preview(request=request, binding=bind(request.account_id, request.body(), quote, at),
                   quote=quote, estimate=local, findings=tuple(findings),
                   buying_power_before=Decimal("25000.00"),
                   buying_power_after=Decimal("23125.68"), position_before=Decimal(0),
                   position_after=Decimal(10), words=tuple(words), made_at=at,
                   buying_power_basis="Buying power before, less the estimated cost and fees "
                                      "(worked out by Pennant).")
