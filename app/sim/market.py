"""A seeded market: a random-walk last price for every instrument, advanced by the clock.

Each walk is a Brownian path built by midpoint (Lévy) construction from hashed normals: the
value at any second is a pure function of (seed, walk name, second), computed in ~40 steps, so
prices are identical however often, in whatever order and after however large a clock jump they
are asked for. A walk only advances while its market is open (unless the market is kept open):
stocks from Sunday 20:00 to Friday 20:00 ET, futures on the Globex week, crypto and event
contracts always. Options are priced from their underlying with Black–Scholes (fixed volatility
per underlying, 4 % rate), event contracts move in log-odds and stay within 0.01–0.99.
"""

from __future__ import annotations

import hashlib
import math
import struct
import threading
from collections import OrderedDict
from datetime import datetime, time
from decimal import Decimal
from statistics import NormalDist

from . import calendar as cal
from .clock import Clock
from .instruments import Catalog, OptionContract
from .wire import CENT, quantize

_LEVELS = 40
_ORIGIN = 1 << (_LEVELS - 1)  # the start time sits in the middle of the path
_SECONDS_PER_YEAR = 365.25 * 24 * 3600
_NORMAL = NormalDist()
_RATE = 0.04


class _Walk:
    """Standard Brownian motion W(n) on integer seconds, W(0) = 0, deterministic per key."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()
        self._cache: OrderedDict[int, float] = OrderedDict()

    def _normal(self, level: int, index: int) -> float:
        digest = hashlib.blake2b(self._key + struct.pack(">Bq", level, index), digest_size=8)
        (value,) = struct.unpack(">Q", digest.digest())
        return _NORMAL.inv_cdf((value + 0.5) / 2**64)

    def at(self, n: int) -> float:
        n = max(0, min(n, 1 << _LEVELS))
        cached = self._cache.get(n)
        if cached is not None:
            return cached
        lo, hi = 0, 1 << _LEVELS
        w_lo, w_hi = 0.0, math.sqrt(hi) * self._normal(0, 0)
        level = 1
        while hi - lo > 1 and n not in (lo, hi):
            mid = (lo + hi) // 2
            w_mid = (w_lo + w_hi) / 2 + math.sqrt((hi - lo) / 4) * self._normal(level, mid)
            if n < mid:
                hi, w_hi = mid, w_mid
            else:
                lo, w_lo = mid, w_mid
            level += 1
        value = w_lo if n == lo else w_hi
        self._cache[n] = value
        if len(self._cache) > 4096:
            self._cache.popitem(last=False)
        return value


class Market:
    """Last prices of the catalogue's instruments and the trading sessions."""

    def __init__(self, catalog: Catalog, clock: Clock, seed: int, *, always_open: bool = True,
                 volatility_scale: float = 1.0) -> None:
        self.catalog = catalog
        self.clock = clock
        self.seed = seed
        self.volatility_scale = volatility_scale
        self._always_open = always_open
        self._lock = threading.RLock()
        self._walks: dict[str, _Walk] = {}
        now = clock.now().replace(microsecond=0)
        self.start = now
        # piecewise wall time → market time: a new segment starts when always_open flips
        self._segments: list[tuple[datetime, bool]] = [(now, always_open)]

    # ---------------------------------------------------------------- sessions
    @property
    def always_open(self) -> bool:
        return self._always_open

    @always_open.setter
    def always_open(self, value: bool) -> None:
        """Keep every market open (or not). Prices continue from where they are."""
        with self._lock:
            if value == self._always_open:
                return
            self._segments.append((max(self.clock.now(), self._segments[-1][0]), value))
            self._always_open = value

    def session(self, at: datetime | None = None) -> cal.Session:
        """The US equity session now (CORE, PRE, AFTER, NIGHT or CLOSED), by the calendar."""
        return cal.stock_session(at or self.clock.now())

    def is_open(self, instrument_type: str, trading_session: str = "CORE",
                at: datetime | None = None) -> bool:
        """Whether ``instrument_type`` trades now in ``trading_session`` (CORE, ALL, NIGHT)."""
        if self._always_open:
            return True
        when = at or self.clock.now()
        if instrument_type in ("CRYPTO", "EVENT"):
            return True
        if instrument_type == "FUTURES":
            return cal.in_windows(cal.FUTURES_WINDOWS, when)
        session = cal.stock_session(when)
        if instrument_type == "OPTION" or trading_session == "CORE":
            return session is cal.Session.CORE
        if trading_session == "NIGHT":
            return session is cal.Session.NIGHT
        return session in (cal.Session.PRE, cal.Session.CORE, cal.Session.AFTER)

    # ---------------------------------------------------------------- market time
    def _windows(self, kind: str) -> cal.Windows:
        return {"EQUITY": cal.EQUITY_WINDOWS, "FUTURES": cal.FUTURES_WINDOWS}.get(
            kind, cal.ALWAYS_WINDOWS)

    def market_time(self, kind: str, when: datetime) -> float:
        """Seconds of open market for ``kind`` between the start and ``when``."""
        with self._lock:
            segments = self._segments
            index = max((i for i, (start, _) in enumerate(segments) if when >= start), default=0)
            total = 0.0
            for i, (start, always) in enumerate(segments[:index + 1]):
                end = segments[i + 1][0] if i < index else when
                windows = cal.ALWAYS_WINDOWS if always else self._windows(kind)
                total += cal.open_seconds(windows, start, end)
            return total

    def _shock(self, name: str, kind: str, vol: float, when: datetime) -> float:
        """σ·(W(t) − W(start)) for the walk ``name`` in market time."""
        seconds = int(math.floor(self.market_time(kind, when)))
        sigma = vol * self.volatility_scale / math.sqrt(_SECONDS_PER_YEAR)
        with self._lock:
            walk = self._walks.get(name)
            if walk is None:
                walk = self._walks[name] = _Walk(f"{self.seed}:{name}")
            return sigma * (walk.at(_ORIGIN + seconds) - walk.at(_ORIGIN))

    # ---------------------------------------------------------------- prices
    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        """The last price of a stock, crypto pair, futures contract, option or event market."""
        when = at or self.clock.now()
        c = self.catalog
        if symbol in c.stocks:
            stock = c.stocks[symbol]
            value = float(stock.start_price) * math.exp(
                self._shock(symbol, "EQUITY", stock.ref.vol, when))
            return quantize(Decimal(repr(value)), _tick(value))
        if symbol in c.crypto:
            crypto = c.crypto[symbol]
            value = float(crypto.start_price) * math.exp(
                self._shock(symbol, "CRYPTO", crypto.vol, when))
            return max(quantize(Decimal(repr(value)), crypto.price_step), crypto.price_step)
        if symbol in c.futures:
            contract = c.futures[symbol]
            key = contract.product.walk or contract.code
            spot = float(c.futures_start[key]) * math.exp(
                self._shock(key, "FUTURES", contract.product.vol, when))
            years = max((contract.last_trading - cal.et_date(when)).days, 0) / 365.25
            value = spot * (1 + 0.01 * years)  # a little contango
            return quantize(Decimal(repr(value)), contract.tick)
        if symbol in c.options:
            return self.option_price(c.options[symbol], when)
        if symbol in c.events:
            market = c.events[symbol]
            p0 = float(market.start_price)
            logit = math.log(p0 / (1 - p0)) + self._shock(symbol, "EVENT", 2.0, when)
            value = 1 / (1 + math.exp(-logit))
            return min(max(quantize(Decimal(repr(value)), CENT), Decimal("0.01")),
                       Decimal("0.99"))
        raise KeyError(symbol)

    def option_price(self, option: OptionContract, at: datetime | None = None) -> Decimal:
        when = at or self.clock.now()
        spot = float(self.price(option.underlying.symbol, when))
        strike = float(option.strike)
        years = max((option.expires_at - when).total_seconds(), 0.0) / _SECONDS_PER_YEAR
        vol = max(option.underlying.ref.vol, 0.05)
        value = black_scholes(spot, strike, years, vol, option.option_type == "CALL")
        return max(quantize(Decimal(repr(value)), CENT), CENT)

    def previous_close(self, symbol: str, at: datetime | None = None) -> Decimal:
        """The reference price for day P&L (see calendar.previous_close)."""
        when = at or self.clock.now()
        c = self.catalog
        if symbol in c.stocks or symbol in c.options:
            ref = cal.previous_close(when, time(16))
        elif symbol in c.futures:
            ref = cal.previous_close(when, time(17))
        else:  # crypto and event contracts: midnight ET
            ref = cal.start_of_et_day(when)
        return self.price(symbol, ref)


def _tick(value: float) -> Decimal:
    return Decimal("0.01") if value >= 1 else Decimal("0.0001")


def black_scholes(spot: float, strike: float, years: float, vol: float, call: bool) -> float:
    """European Black–Scholes value; intrinsic value at expiry."""
    if years <= 0 or vol <= 0:
        return max(spot - strike, 0.0) if call else max(strike - spot, 0.0)
    sd = vol * math.sqrt(years)
    d1 = (math.log(spot / strike) + (_RATE + vol * vol / 2) * years) / sd
    d2 = d1 - sd
    discount = strike * math.exp(-_RATE * years)
    if call:
        return spot * _NORMAL.cdf(d1) - discount * _NORMAL.cdf(d2)
    return discount * _NORMAL.cdf(-d2) - spot * _NORMAL.cdf(-d1)
