"""What the ticket is told about one instrument (issue 5): Webull's instrument record turned into
an ``InstrumentInfo``, with the last price Pennant knows from the positions it polls.

Webull's Connect API has no market-data endpoint (API.md §5 lists none), so the only prices
Pennant sees are the ``last_price`` of positions; the info says where its price comes from, or
that there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.webull.models import (
    CryptoInstrument,
    EventMarket,
    EventOutcome,
    FuturesContract,
    InstrumentType,
    OptionContract,
    OptionType,
    Position,
    StockInstrument,
    TradableStatus,
)

from .portfolio import Portfolio
from .ticket import InstrumentInfo

# Webull gives no price step for stocks: the tick is left None and the ticket applies the US
# rule itself ($0.01 from $1, $0.0001 below), since it depends on the price typed.
OPTION_TICK = Decimal("0.01")
OPTION_MULTIPLIER = Decimal(100)
#: API.md §7.1: the smallest fractional order is 0.00001 share, or $1 by amount
FRACTIONAL_MIN_QTY = Decimal("0.00001")
FRACTIONAL_MIN_AMOUNT = Decimal(1)
#: API.md §7.5: at most 50,000 event contracts per order
EVENT_MAX_CONTRACTS = Decimal(50_000)

NO_QUOTE = "no quote: Webull's Connect API has no market-data endpoint"
FROM_POSITION = "last price of your position, as of the last poll"
FROM_NO_POSITION = ("1 minus the last price of your NO position (the YES price), "
                    "as of the last poll")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: an OCC option symbol: root, yymmdd, C|P, strike × 1000 in 8 digits
OCC = re.compile(r"([A-Z][A-Z0-9.]{0,5})(\d{6})([CP])(\d{8})")


@dataclass(frozen=True)
class OccSymbol:
    underlying: str
    expiry: date
    option_type: OptionType
    strike: Decimal


def parse_occ(symbol: str) -> OccSymbol | None:
    """The parts of an OCC option symbol (AAPL261120C00330000), or None if it is not one."""
    found = OCC.fullmatch(symbol)
    if found is None:
        return None
    root, day, kind, strike = found.groups()
    try:
        expiry = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        return None
    return OccSymbol(root, expiry, OptionType.CALL if kind == "C" else OptionType.PUT,
                     Decimal(int(strike)) / 1000)


def month_words(contract_month: str | None) -> str:
    """``202612`` → ``Dec 2026`` (the wire's yyyyMM; anything else is shown as it came)."""
    if not contract_month:
        return ""
    if len(contract_month) == 6 and contract_month.isdigit() and \
            1 <= int(contract_month[4:]) <= 12:
        return f"{MONTHS[int(contract_month[4:]) - 1]} {contract_month[:4]}"
    return contract_month


def contract_words(contract: OptionContract) -> str:
    """``AAPL Nov 20 2026 330 Call`` — an option contract as a trader reads it."""
    kind = str(contract.option_type or "").title()
    when = (f"{MONTHS[contract.expiration_date.month - 1]} {contract.expiration_date.day} "
            f"{contract.expiration_date.year}") if contract.expiration_date else ""
    strike = format(contract.strike_price.normalize(), "f")
    parts = [contract.underlying_symbol or contract.root_symbol or "", when, strike, kind]
    return " ".join(p for p in parts if p)


def _tradability(status: str | None, symbol: str, what: str) -> dict[str, Any]:
    """InstrumentInfo's tradable / closing_only / why_not_tradable from Webull's OC / CO / NT
    status. Liquidate-only (CO) stays tradable: positions may still be closed."""
    if status is None or status == TradableStatus.OC:
        return {"tradable": True, "closing_only": False, "why_not_tradable": ""}
    if status == TradableStatus.CO:
        return {"tradable": True, "closing_only": True,
                "why_not_tradable": f"{symbol} is liquidate-only at Webull: only orders that "
                                    "close a position are accepted"}
    if status == TradableStatus.NT:
        why = f"Webull does not allow trading {symbol} at present"
    else:
        why = f"Webull lists {what} {symbol} with status {status}, which is not tradable"
    return {"tradable": False, "closing_only": False, "why_not_tradable": why}


def _positions(portfolio: Portfolio | None) -> list[Position]:
    if portfolio is None:
        return []
    out: list[Position] = []
    for account in portfolio.accounts:
        out.extend(portfolio.positions(account.account_id).values())
    return out


def last_price(portfolio: Portfolio | None, instrument: InstrumentType, symbol: str,
               contract: OccSymbol | None = None) -> tuple[Decimal | None, str]:
    """(last price, where it comes from) from the positions of any account.

    Options: only a position holding exactly ``contract`` (one leg) has that contract's price;
    a multi-leg position's price is the strategy's. Events: the YES price (a NO position's
    price is 1 minus it)."""
    no_side: Decimal | None = None
    for p in _positions(portfolio):
        if p.instrument_type != instrument:
            continue
        if instrument == InstrumentType.OPTION:
            if contract is None or len(p.legs) != 1:
                continue
            leg = p.legs[0]
            if (leg.symbol == contract.underlying and leg.option_type == contract.option_type
                    and leg.option_expire_date == contract.expiry
                    and leg.option_exercise_price == contract.strike):
                return p.last_price, FROM_POSITION
            continue
        if p.symbol != symbol:
            continue
        if instrument == InstrumentType.EVENT and p.event_outcome == EventOutcome.NO:
            no_side = 1 - p.last_price
            continue
        return p.last_price, FROM_POSITION
    if no_side is not None:
        return no_side, FROM_NO_POSITION
    return None, NO_QUOTE


def stock_info(item: StockInstrument, portfolio: Portfolio | None = None) -> InstrumentInfo:
    fractionable = bool(item.fractionable)
    status = _tradability(item.status, item.symbol, "the stock")
    price, source = last_price(portfolio, InstrumentType.EQUITY, item.symbol)
    lot = item.lot_size or Decimal(1)
    return InstrumentInfo(
        instrument=InstrumentType.EQUITY, symbol=item.symbol, name=item.name or "",
        lot_size=lot, tick=None, fractionable=fractionable,
        shortable=bool(item.shortable), multiplier=Decimal(1),
        overnight=item.overnight_trading_supported,
        min_quantity=FRACTIONAL_MIN_QTY if fractionable else lot,
        min_amount=FRACTIONAL_MIN_AMOUNT if fractionable else None,
        last_price=price, last_price_source=source, **status)


def option_info(underlying: StockInstrument | None, symbol: str,
                contract: OptionContract | None = None,
                portfolio: Portfolio | None = None) -> InstrumentInfo:
    """Options on ``symbol`` (the underlying); with ``contract``, that contract's facts and
    price. Whole contracts only, never fractional, never "short" (selling to open is a SELL)."""
    name = (underlying.name or "") if underlying is not None else ""
    status = _tradability(underlying.status if underlying else None, symbol, "the underlying")
    price: Decimal | None = None
    source = NO_QUOTE
    detail = ""
    multiplier = OPTION_MULTIPLIER
    if contract is not None:
        detail = contract_words(contract)
        name = name or detail
        multiplier = contract.multiplier or OPTION_MULTIPLIER
        if status["tradable"] and not status["closing_only"]:
            status = _tradability(contract.tradable_status, contract.symbol,
                                  "the option contract")
        occ = parse_occ(contract.symbol)
        if occ is not None:
            price, source = last_price(portfolio, InstrumentType.OPTION, symbol, occ)
    return InstrumentInfo(
        instrument=InstrumentType.OPTION, symbol=symbol, name=name, lot_size=Decimal(1),
        tick=OPTION_TICK, fractionable=False, shortable=False, multiplier=multiplier,
        min_quantity=Decimal(1), last_price=price, last_price_source=source, detail=detail,
        **status)


def crypto_info(item: CryptoInstrument, portfolio: Portfolio | None = None) -> InstrumentInfo:
    status = _tradability(item.status, item.symbol, "the crypto pair")
    price, source = last_price(portfolio, InstrumentType.CRYPTO, item.symbol)
    return InstrumentInfo(
        instrument=InstrumentType.CRYPTO, symbol=item.symbol, name=item.name or item.symbol,
        lot_size=item.lot_size, tick=item.price_step, fractionable=True, shortable=False,
        multiplier=Decimal(1), min_quantity=item.min_trade_qty, max_quantity=item.max_trade_qty,
        min_amount=item.min_trade_amt, max_amount=item.max_trade_amt, last_price=price,
        last_price_source=source, **status)


def futures_info(item: FuturesContract, portfolio: Portfolio | None = None) -> InstrumentInfo:
    status = _tradability(item.status, item.symbol, "the futures contract")
    price, source = last_price(portfolio, InstrumentType.FUTURES, item.symbol)
    return InstrumentInfo(
        instrument=InstrumentType.FUTURES, symbol=item.symbol, name=item.name or item.symbol,
        lot_size=Decimal(1), tick=item.min_tick, fractionable=False, shortable=False,
        multiplier=item.size or Decimal(1), min_quantity=Decimal(1), last_price=price,
        last_price_source=source, detail=month_words(item.contract_month), **status)


def event_info(item: EventMarket, portfolio: Portfolio | None = None) -> InstrumentInfo:
    """``last_price`` is the YES price; a NO order's price is 1 minus it."""
    status = _tradability(item.tradable_status, item.symbol, "the event market")
    price, source = last_price(portfolio, InstrumentType.EVENT, item.symbol)
    steps = [r.step for r in item.price_ranges if r.step > 0]
    fractionable = bool(item.fractionable)
    return InstrumentInfo(
        instrument=InstrumentType.EVENT, symbol=item.symbol, name=item.name or item.symbol,
        lot_size=None if fractionable else Decimal(1),
        tick=min(steps) if steps else Decimal("0.01"), fractionable=fractionable,
        shortable=False, multiplier=Decimal(1),
        min_quantity=None if fractionable else Decimal(1), max_quantity=EVENT_MAX_CONTRACTS,
        price_ranges=item.price_ranges, last_price=price, last_price_source=source,
        detail=item.yes_condition or "", **status)
