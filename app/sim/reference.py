"""Static reference data the seeded catalogue is built from: real US symbols, names, venues.

Prices are only starting points; the seed perturbs them and the market walks from there.
ZVZZT, ZWZZT and ZXZZT are Nasdaq's official test symbols, used here for the odd statuses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StockRef:
    symbol: str
    name: str
    exchange: str
    price: float
    vol: float  # annualised volatility
    etf: bool = False
    fractionable: bool = True
    shortable: bool = True
    marginable: bool = True
    overnight: bool = True
    leverage: int = 0  # leveraged ETF factor (0 = not leveraged)
    crypto_etf: bool = False
    status: str = "OC"
    maint_long: str = "0.25"


STOCKS: tuple[StockRef, ...] = (
    StockRef("AAPL", "APPLE INC", "NSQ", 231.45, 0.25),
    StockRef("MSFT", "MICROSOFT CORP", "NSQ", 428.10, 0.22),
    StockRef("NVDA", "NVIDIA CORP", "NSQ", 176.30, 0.45),
    StockRef("AMZN", "AMAZON.COM INC", "NSQ", 219.80, 0.30),
    StockRef("GOOGL", "ALPHABET INC-CL A", "NSQ", 251.60, 0.28),
    StockRef("META", "META PLATFORMS INC-CLASS A", "NSQ", 752.20, 0.33),
    StockRef("TSLA", "TESLA INC", "NSQ", 405.20, 0.55, maint_long="0.3"),
    StockRef("AMD", "ADVANCED MICRO DEVICES", "NSQ", 158.40, 0.48),
    StockRef("NFLX", "NETFLIX INC", "NSQ", 1205.50, 0.35),
    StockRef("INTC", "INTEL CORP", "NSQ", 24.85, 0.45),
    StockRef("AVGO", "BROADCOM INC", "NSQ", 345.10, 0.40),
    StockRef("COST", "COSTCO WHOLESALE CORP", "NSQ", 935.40, 0.20),
    StockRef("PEP", "PEPSICO INC", "NSQ", 142.90, 0.17),
    StockRef("PLTR", "PALANTIR TECHNOLOGIES INC-A", "NSQ", 182.60, 0.60, maint_long="0.3"),
    StockRef("SOFI", "SOFI TECHNOLOGIES INC", "NSQ", 26.40, 0.55, maint_long="0.3"),
    StockRef("WMT", "WALMART INC", "NSQ", 103.20, 0.18),
    StockRef("JPM", "JPMORGAN CHASE & CO", "NYSE", 308.20, 0.22),
    StockRef("BAC", "BANK OF AMERICA CORP", "NYSE", 51.30, 0.25),
    StockRef("V", "VISA INC-CLASS A SHARES", "NYSE", 345.70, 0.20),
    StockRef("MA", "MASTERCARD INC - A", "NYSE", 585.10, 0.20),
    StockRef("KO", "COCA-COLA CO/THE", "NYSE", 68.40, 0.15),
    StockRef("JNJ", "JOHNSON & JOHNSON", "NYSE", 178.50, 0.16),
    StockRef("PFE", "PFIZER INC", "NYSE", 24.60, 0.25),
    StockRef("UNH", "UNITEDHEALTH GROUP INC", "NYSE", 351.20, 0.35),
    StockRef("XOM", "EXXON MOBIL CORP", "NYSE", 113.70, 0.22),
    StockRef("CVX", "CHEVRON CORP", "NYSE", 158.90, 0.23),
    StockRef("DIS", "WALT DISNEY CO/THE", "NYSE", 114.30, 0.27),
    StockRef("NKE", "NIKE INC -CL B", "NYSE", 72.80, 0.33),
    StockRef("BA", "BOEING CO/THE", "NYSE", 221.40, 0.35),
    StockRef("F", "FORD MOTOR CO", "NYSE", 11.85, 0.32),
    StockRef("UBER", "UBER TECHNOLOGIES INC", "NYSE", 94.60, 0.38),
    StockRef("ORCL", "ORACLE CORP", "NYSE", 295.30, 0.40),
    StockRef("CRM", "SALESFORCE INC", "NYSE", 243.10, 0.30),
    StockRef("SPY", "SPDR S&P 500 ETF TRUST", "ARCA", 663.70, 0.15, etf=True),
    StockRef("QQQ", "INVESCO QQQ TRUST SERIES 1", "NSQ", 595.30, 0.19, etf=True),
    StockRef("IWM", "ISHARES RUSSELL 2000 ETF", "ARCA", 243.80, 0.22, etf=True),
    StockRef("DIA", "SPDR DOW JONES INDUSTRIAL AVERAGE ETF", "ARCA", 462.10, 0.14, etf=True),
    StockRef("VTI", "VANGUARD TOTAL STOCK MKT ETF", "ARCA", 326.40, 0.16, etf=True),
    StockRef("VOO", "VANGUARD S&P 500 ETF", "ARCA", 610.20, 0.15, etf=True),
    StockRef("BND", "VANGUARD TOTAL BOND MARKET ETF", "NSQ", 74.30, 0.05, etf=True),
    StockRef("SCHD", "SCHWAB US DIVIDEND EQUITY ETF", "ARCA", 27.40, 0.13, etf=True),
    StockRef("GLD", "SPDR GOLD SHARES", "ARCA", 338.60, 0.15, etf=True),
    StockRef("TLT", "ISHARES 20+ YEAR TREASURY BOND ETF", "NSQ", 89.70, 0.14, etf=True),
    StockRef("TQQQ", "PROSHARES ULTRAPRO QQQ", "NSQ", 98.50, 0.60, etf=True, leverage=3,
             fractionable=False, maint_long="0.75"),
    StockRef("SQQQ", "PROSHARES ULTRAPRO SHORT QQQ", "NSQ", 16.20, 0.60, etf=True, leverage=-3,
             fractionable=False, maint_long="0.75"),
    StockRef("IBIT", "ISHARES BITCOIN TRUST ETF", "NSQ", 65.40, 0.50, etf=True, crypto_etf=True),
    StockRef("ZVZZT", "NASDAQ TEST STOCK", "NSQ", 10.00, 0.30, fractionable=False,
             shortable=False, marginable=False, overnight=False),
    StockRef("ZWZZT", "NASDAQ TEST STOCK (LIQUIDATE ONLY)", "NSQ", 0.45, 0.60,
             fractionable=False, shortable=False, marginable=False, overnight=False,
             status="CO"),
    StockRef("ZXZZT", "NASDAQ TEST STOCK (NOT TRADABLE)", "NSQ", 5.00, 0.30,
             fractionable=False, shortable=False, marginable=False, overnight=False,
             status="NT"),
)

#: underlyings with listed option chains
OPTION_UNDERLYINGS = ("AAPL", "TSLA", "NVDA", "MSFT", "AMZN", "SPY", "QQQ")


@dataclass(frozen=True)
class CryptoRef:
    symbol: str
    price: float
    vol: float


CRYPTOS: tuple[CryptoRef, ...] = (
    CryptoRef("BTCUSD", 115_000.0, 0.55),
    CryptoRef("ETHUSD", 4_450.0, 0.70),
    CryptoRef("SOLUSD", 235.0, 0.85),
    CryptoRef("XRPUSD", 3.02, 0.90),
    CryptoRef("DOGEUSD", 0.265, 1.00),
    CryptoRef("ADAUSD", 0.88, 0.90),
    CryptoRef("AVAXUSD", 33.5, 0.95),
    CryptoRef("LINKUSD", 23.6, 0.90),
    CryptoRef("LTCUSD", 114.0, 0.75),
    CryptoRef("DOTUSD", 4.35, 0.90),
    CryptoRef("SHIBUSD", 0.0000131, 1.10),
    CryptoRef("UNIUSD", 9.9, 0.95),
    CryptoRef("BCHUSD", 590.0, 0.80),
    CryptoRef("XLMUSD", 0.39, 0.90),
    CryptoRef("AAVEUSD", 295.0, 1.00),
)


@dataclass(frozen=True)
class FuturesRef:
    code: str
    name: str
    exchange: str
    class_id: int
    class_name: str
    size: str
    unit: str
    min_tick: str
    months: str  # month codes listed
    listed: int  # how many contract months are listed
    settlement: str
    cycle: str  # how dates are computed: "equity", "crude", "metal"
    price: float
    vol: float
    init_margin: int
    maint_margin: int
    walk: str = ""  # share the price walk of another code (micro contracts)


FUTURES: tuple[FuturesRef, ...] = (
    FuturesRef("ES", "E-mini S&P 500 Futures", "XCME", 2, "Equities", "50.0", "1 - Index points",
               "0.25", "HMUZ", 4, "Cash", "equity", 6650.0, 0.16, 24_000, 22_000),
    FuturesRef("MES", "Micro E-mini S&P 500 Futures", "XCME", 2, "Equities", "5.0",
               "1 - Index points", "0.25", "HMUZ", 4, "Cash", "equity", 6650.0, 0.16,
               2_400, 2_200, walk="ES"),
    FuturesRef("NQ", "E-mini Nasdaq-100 Futures", "XCME", 2, "Equities", "20.0",
               "1 - Index points", "0.25", "HMUZ", 4, "Cash", "equity", 24_500.0, 0.20,
               34_000, 31_000),
    FuturesRef("CL", "Crude Oil Futures", "XNYM", 3, "Energy", "1000.0", "19 - Barrels", "0.01",
               "FGHJKMNQUVXZ", 6, "Physical", "crude", 63.50, 0.35, 7_000, 6_400),
    FuturesRef("GC", "Gold Futures", "XCEC", 4, "Metals", "100.0", "12 - Troy ounces", "0.1",
               "GJMQVZ", 4, "Physical", "metal", 3_680.0, 0.16, 11_000, 10_000),
)

MONTH_CODES = "FGHJKMNQUVXZ"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class EventMarketRef:
    suffix: str
    name: str
    yes_condition: str
    price: float


@dataclass(frozen=True)
class EventSeriesRef:
    series_symbol: str
    series_name: str
    event_name: str  # may use {year}, {month}, {date}
    horizon: str  # "year_end", "next_month", "tomorrow", "season"
    markets: tuple[EventMarketRef, ...]
    fractionable: bool = True


EVENT_SERIES: tuple[EventSeriesRef, ...] = (
    EventSeriesRef(
        "KXRATECUTCOUNT", "Number of Rate Cuts", "Number of rate cuts in {year}?", "year_end",
        tuple(
            EventMarketRef(f"T{n}", f"Will the Fed cut rates {n} time{'s' if n != 1 else ''}?",
                           f"Exactly {n} cut{'s' if n != 1 else ''}", p)
            for n, p in enumerate((0.05, 0.12, 0.30, 0.30, 0.15, 0.08))
        ),
    ),
    EventSeriesRef(
        "KXFEDDECISION", "Fed Decision", "Fed decision in {month} {year}?", "next_month",
        (
            EventMarketRef("H0", "Will the Fed hold rates?", "Rates unchanged", 0.35),
            EventMarketRef("C25", "Will the Fed cut by 25bps?", "Cut of 25bps", 0.55),
            EventMarketRef("C26", "Will the Fed cut by more than 25bps?", "Cut >25bps", 0.07),
            EventMarketRef("H25", "Will the Fed hike by 25bps?", "Hike of 25bps", 0.03),
        ),
    ),
    EventSeriesRef(
        "KXCPIYOY", "CPI Year-over-Year", "CPI year-over-year in {month} {year}?", "next_month",
        tuple(
            EventMarketRef(f"T{level}", f"Will CPI be above {level}%?", f"Above {level}%", p)
            for level, p in (("2.6", 0.85), ("2.8", 0.62), ("3.0", 0.38), ("3.2", 0.16))
        ),
    ),
    EventSeriesRef(
        "KXHIGHNY", "Highest temperature in NYC", "Highest temperature in NYC on {date}?",
        "tomorrow",
        tuple(
            EventMarketRef(f"B{low}.5", f"Will the high be {low}-{low + 1}°?",
                           f"Between {low}° and {low + 1}°", p)
            for low, p in ((66, 0.10), (68, 0.24), (70, 0.33), (72, 0.21), (74, 0.08))
        ),
        fractionable=False,
    ),
    EventSeriesRef(
        "KXNBACHAMP", "NBA Champion", "NBA champion {season}?", "season",
        tuple(
            EventMarketRef(team, f"Will {name} win the NBA title?", f"{name} win", p)
            for team, name, p in (
                ("OKC", "Oklahoma City", 0.24), ("BOS", "Boston", 0.14), ("DEN", "Denver", 0.11),
                ("NYK", "New York", 0.10), ("CLE", "Cleveland", 0.12), ("HOU", "Houston", 0.07),
            )
        ),
    ),
)
