"""The instrument catalogue: stocks/ETFs, crypto pairs, futures contracts, option chains and
event-contract markets, generated from the reference tables, the seed and the start date.

Dates (option expirations, futures months, event dates) are relative to the ET date the
simulator started on, so the catalogue always looks current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from . import calendar as cal
from .reference import (
    CRYPTOS,
    EVENT_SERIES,
    FUTURES,
    MONTH_CODES,
    MONTH_NAMES,
    OPTION_UNDERLYINGS,
    STOCKS,
    EventSeriesRef,
    FuturesRef,
    StockRef,
)
from .seed import IdAllocator, rng
from .wire import plain, quantize


@dataclass(frozen=True)
class Stock:
    ref: StockRef
    instrument_id: str
    start_price: Decimal

    @property
    def symbol(self) -> str:
        return self.ref.symbol

    def wire(self) -> dict[str, Any]:
        r = self.ref
        margin = "0.5" if r.marginable else "1"
        return {
            "name": r.name,
            "instrument_id": self.instrument_id,
            "exchange_code": r.exchange,
            "category": "US_STOCK",
            "symbol": r.symbol,
            "status": r.status,
            "shortable": r.shortable,
            "fractionable": r.fractionable,
            "marginable": r.marginable,
            "overnight_trading_supported": r.overnight,
            "margin_requirement_long": margin,
            "margin_requirement_short": margin if r.shortable else "1",
            "intraday_margin_long": r.maint_long if r.marginable else "1",
            "intraday_margin_short": "0.3" if r.shortable else "1",
            "maintenance_margin_long": r.maint_long if r.marginable else "1",
            "maintenance_margin_short": "0.3" if r.shortable else "1",
            "easy_to_borrow": r.shortable,
            "lot_size": "1",
            "currency": "USD",
            "sub_category": "ETF" if r.etf else "COMMON_STOCK",
            "etf_leveraged_flag": "YES" if r.leverage else "NO",
            "etf_leveraged_factor": str(r.leverage),
            "crypto_etf": r.crypto_etf,
        }


@dataclass(frozen=True)
class Crypto:
    symbol: str
    instrument_id: str
    start_price: Decimal
    price_step: Decimal
    vol: float

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.symbol,
            "instrument_id": self.instrument_id,
            "exchange_code": "CCC",
            "category": "US_CRYPTO",
            "symbol": self.symbol,
            "status": "OC",
            "min_trade_amt": "2.00",
            "max_trade_amt": "100000.00",
            "min_trade_qty": "0.00000001",
            "max_trade_qty": "10000000000",
            "price_step": plain(self.price_step),
            "lot_size": "0.00000001",
            "currency": "USD",
        }


@dataclass(frozen=True)
class FuturesContract:
    product: FuturesRef
    symbol: str
    instrument_id: str
    year: int
    month: int
    first_trading: date
    last_trading: date
    first_notice: date | None
    last_notice: date | None

    @property
    def code(self) -> str:
        return self.product.code

    @property
    def size(self) -> Decimal:
        return Decimal(self.product.size)

    @property
    def tick(self) -> Decimal:
        return Decimal(self.product.min_tick)

    def wire(self) -> dict[str, Any]:
        p = self.product
        return {
            "symbol": self.symbol,
            "instrument_id": self.instrument_id,
            "exchange_code": p.exchange,
            "code": p.code,
            "name": f"{p.name} {MONTH_NAMES[self.month - 1]} {self.year}",
            "product_class_id": p.class_id,
            "product_class_name": p.class_name,
            "status": "OC",
            "currency": "USD",
            "contract_month": f"{self.year}{self.month:02d}",
            "settlement_date": self.last_trading.isoformat(),
            "size": p.size,
            "unit": p.unit,
            "min_tick": p.min_tick,
            "first_notice_date": self.first_notice.isoformat() if self.first_notice else "",
            "last_notice_date": self.last_notice.isoformat() if self.last_notice else "",
            "first_trading_date": self.first_trading.isoformat(),
            "last_trading_date": self.last_trading.isoformat(),
            "contract_type": "MONTHLY",
            "settlement": p.settlement,
        }


@dataclass(frozen=True)
class OptionContract:
    symbol: str  # OCC, e.g. AAPL261120C00330000
    instrument_id: str
    underlying: Stock
    expiration: date
    strike: Decimal
    option_type: str  # CALL | PUT
    cycle: str  # WEEKLY | MONTHLY

    @property
    def expires_at(self) -> datetime:
        return cal.et_to_utc(datetime.combine(self.expiration, datetime.min.time())
                             + timedelta(hours=16))

    def wire(self) -> dict[str, Any]:
        return {
            "instrument_id": self.instrument_id,
            "symbol": self.symbol,
            "status": "LISTING",
            "tradable_status": "OC",
            "expiration_date": self.expiration.isoformat(),
            "root_symbol": self.underlying.symbol,
            "underlying_symbol": self.underlying.symbol,
            "underlying_instrument_id": self.underlying.instrument_id,
            "underlying_type": f"EQUITY_{self.option_type}_OPTION",
            "option_type": self.option_type,
            "style": "AMERICAN",
            "strike_price": f"{self.strike:.1f}" if self.strike == self.strike.to_integral()
            else plain(self.strike),
            "multiplier": "100",
            "settlement_method": "PHYSICAL",
            "expired_cycle": self.cycle,
            "ppind": True,
            "currency": "USD",
            "def_type": "STANDARD",
            "listed_exchanges": ["CBOE", "ISE"],
        }


@dataclass(frozen=True)
class EventMarket:
    series: EventSeriesRef
    series_id: str
    event_symbol: str
    event_name: str
    symbol: str
    instrument_id: str
    name: str
    yes_condition: str
    expiry: date
    start_price: Decimal

    def wire(self) -> dict[str, Any]:
        return {
            "series_id": self.series_id,
            "series_symbol": self.series.series_symbol,
            "series_name": self.series.series_name,
            "event_symbol": self.event_symbol,
            "event_name": self.event_name,
            "instrument_id": self.instrument_id,
            "symbol": self.symbol,
            "name": self.name,
            "yes_condition": self.yes_condition,
            "last_trading_date": self.expiry.isoformat(),
            "status": "LISTING",
            "tradable_status": "OC",
            "can_close_early": True,
            "expected_exp_date": self.expiry.isoformat(),
            "latest_exp_date": (self.expiry + timedelta(days=1)).isoformat(),
            "payout_date": self.expiry.isoformat(),
            "fractionable": self.series.fractionable,
            "price_ranges": [{"start": "0.01", "end": "0.99", "step": "0.01"}],
        }


@lru_cache(maxsize=8)
def catalog_for(seed: int, start_date: date) -> Catalog:
    """The (immutable, so shareable) catalogue of a seed and start date, built once."""
    return Catalog(seed, cal.et_to_utc(datetime.combine(start_date, datetime.min.time())
                                       + timedelta(hours=12)))


def occ_symbol(root: str, expiration: date, option_type: str, strike: Decimal) -> str:
    return f"{root}{expiration:%y%m%d}{option_type[0]}{int(strike * 1000):08d}"


def strike_step(price: Decimal) -> Decimal:
    for limit, step in ((25, "0.5"), (100, "1"), (250, "2.5"), (500, "5")):
        if price < limit:
            return Decimal(step)
    return Decimal("10")


def price_step(price: Decimal) -> Decimal:
    if price >= 1:
        return Decimal("0.01")
    if price >= Decimal("0.01"):
        return Decimal("0.0001")
    return Decimal("0.00000001")


class Catalog:
    """Every instrument the simulator knows, by symbol. Never changed once built."""

    STRIKES_EACH_SIDE = 12

    def __init__(self, seed: int, start: datetime) -> None:
        self.seed = seed
        self.start_date = cal.et_date(start)
        ids = IdAllocator(seed, "instrument-ids")
        r = rng(seed, "start-prices")

        def jitter(price: float) -> Decimal:
            return Decimal(repr(price * (1 + r.gauss(0, 0.03))))

        self.stocks: dict[str, Stock] = {}
        for ref in STOCKS:
            p = jitter(ref.price)
            self.stocks[ref.symbol] = Stock(ref, ids.numeric("91", 9), quantize(p, price_step(p)))
        self.crypto: dict[str, Crypto] = {}
        for c in CRYPTOS:
            p = jitter(c.price)
            step = price_step(p)
            self.crypto[c.symbol] = Crypto(c.symbol, ids.numeric("95", 9), quantize(p, step),
                                           step, c.vol)
        self.futures_start: dict[str, Decimal] = {}
        for f in FUTURES:
            key = f.walk or f.code
            if key not in self.futures_start:
                self.futures_start[key] = quantize(jitter(f.price), Decimal(f.min_tick))
        self.futures: dict[str, FuturesContract] = {}
        for f in FUTURES:
            for contract in self._contracts(f, ids):
                self.futures[contract.symbol] = contract
        self.options: dict[str, OptionContract] = {}
        for underlying in OPTION_UNDERLYINGS:
            for option in self._chain(self.stocks[underlying], ids):
                self.options[option.symbol] = option
        self.events: dict[str, EventMarket] = {}
        for series in EVENT_SERIES:
            for market in self._event_markets(series, ids, r):
                self.events[market.symbol] = market

    # ---------------------------------------------------------------- futures
    def _contracts(self, f: FuturesRef, ids: IdAllocator) -> list[FuturesContract]:
        out: list[FuturesContract] = []
        year, month = self.start_date.year, self.start_date.month
        while len(out) < f.listed:
            if MONTH_CODES[month - 1] in f.months:
                contract = self._contract(f, year, month, ids)
                if contract.last_trading >= self.start_date:
                    out.append(contract)
            year, month = cal.add_months(year, month, 1)
        return out

    @staticmethod
    def _contract(f: FuturesRef, year: int, month: int, ids: IdAllocator) -> FuturesContract:
        first_notice = last_notice = None
        if f.cycle == "equity":
            last = cal.third_friday(year, month)
            fy, fm = cal.add_months(year, month, -15)
            first = cal.third_friday(fy, fm) + timedelta(days=1)
            first = cal.add_business_days(first, 0 if first.weekday() < 5 else 1)
        elif f.cycle == "crude":
            py, pm = cal.add_months(year, month, -1)
            anchor = date(py, pm, 25)
            if anchor.weekday() >= 5:
                anchor = cal.add_business_days(anchor, -1)
            last = cal.add_business_days(anchor, -3)
            first_notice = last_notice = cal.add_business_days(last, 1)
            fy, fm = cal.add_months(year, month, -36)
            first = cal.add_business_days(date(fy, fm, 1), 0 if date(fy, fm, 1).weekday() < 5
                                          else 1)
        else:  # metal
            last = cal.add_business_days(cal.last_business_day(year, month), -2)
            py, pm = cal.add_months(year, month, -1)
            first_notice = cal.last_business_day(py, pm)
            last_notice = cal.add_business_days(cal.last_business_day(year, month), -1)
            fy, fm = cal.add_months(year, month, -24)
            first = cal.add_business_days(date(fy, fm, 1), 0 if date(fy, fm, 1).weekday() < 5
                                          else 1)
        symbol = f"{f.code}{MONTH_CODES[month - 1]}{year % 10}"
        return FuturesContract(f, symbol, ids.numeric("47", 9), year, month, first, last,
                               first_notice, last_notice)

    # ---------------------------------------------------------------- options
    def expirations(self) -> list[tuple[date, str]]:
        d = self.start_date
        fridays = [d + timedelta(days=(4 - d.weekday()) % 7 or 7)]
        while len(fridays) < 4:
            fridays.append(fridays[-1] + timedelta(days=7))
        monthly: set[date] = set()
        year, month = d.year, d.month
        while len(monthly) < 4:
            tf = cal.third_friday(year, month)
            if tf > d:
                monthly.add(tf)
            year, month = cal.add_months(year, month, 1)
        days = sorted(set(fridays) | monthly)
        return [(day, "MONTHLY" if day in monthly or day == cal.third_friday(day.year, day.month)
                 else "WEEKLY") for day in days]

    def _chain(self, underlying: Stock, ids: IdAllocator) -> list[OptionContract]:
        step = strike_step(underlying.start_price)
        atm = quantize(underlying.start_price, step)
        strikes = [atm + step * i for i in range(-self.STRIKES_EACH_SIDE,
                                                 self.STRIKES_EACH_SIDE + 1)]
        chain: list[OptionContract] = []
        for expiration, cycle in self.expirations():
            for strike in strikes:
                if strike <= 0:
                    continue
                for kind in ("CALL", "PUT"):
                    symbol = occ_symbol(underlying.symbol, expiration, kind, strike)
                    chain.append(OptionContract(symbol, ids.numeric("10", 10), underlying,
                                                expiration, strike, kind, cycle))
        return chain

    def option_at(self, underlying: str, min_days: int, offset_steps: int,
                  option_type: str) -> OptionContract:
        """The contract ``offset_steps`` strikes from the money, first monthly ≥ min_days out."""
        stock = self.stocks[underlying]
        step = strike_step(stock.start_price)
        strike = quantize(stock.start_price, step) + step * offset_steps
        expiration = min(day for day, cycle in self.expirations()
                         if cycle == "MONTHLY" and (day - self.start_date).days >= min_days)
        return self.options[occ_symbol(underlying, expiration, option_type, strike)]

    # ---------------------------------------------------------------- events
    def _event_markets(self, s: EventSeriesRef, ids: IdAllocator, r: Any) -> list[EventMarket]:
        d = self.start_date
        if s.horizon == "year_end":
            year = d.year if d.month < 12 else d.year + 1
            expiry = date(year, 12, 31)
            tag = f"{year % 100:02d}DEC31"
        elif s.horizon == "next_month":
            year, month = cal.add_months(d.year, d.month, 1)
            expiry = date(year, month, 15)
            tag = f"{year % 100:02d}{MONTH_NAMES[month - 1].upper()}"
        elif s.horizon == "tomorrow":
            expiry = d + timedelta(days=1)
            tag = f"{expiry:%y}{MONTH_NAMES[expiry.month - 1].upper()}{expiry.day:02d}"
        else:  # season: the NBA finals in June
            year = d.year + 1 if d.month >= 7 else d.year
            expiry = date(year, 6, 20)
            tag = f"{year % 100:02d}"
        event_symbol = f"{s.series_symbol}-{tag}"
        event_name = s.event_name.format(
            year=expiry.year, month=MONTH_NAMES[expiry.month - 1], date=expiry.isoformat(),
            season=f"{expiry.year - 1}-{expiry.year % 100:02d}",
        )
        series_id = ids.numeric("15", 6)
        out = []
        for m in s.markets:
            price = min(max(m.price + r.gauss(0, 0.02), 0.02), 0.98)
            out.append(EventMarket(s, series_id, event_symbol, event_name,
                                   f"{event_symbol}-{m.suffix}", ids.numeric("50", 9), m.name,
                                   m.yes_condition, expiry, quantize(Decimal(repr(price)),
                                                                     Decimal("0.01"))))
        return out
