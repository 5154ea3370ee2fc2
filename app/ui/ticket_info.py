"""Words and starting values for the ticket's instrument area (issue 5), Qt-free: an
instrument's rules in one line, its last price with where it comes from, the event a market
belongs to, and the legs a strategy starts with around the money of the nearest expiration.
"""

from __future__ import annotations

from decimal import Decimal

from app.core.catalogue import OptionChain
from app.core.ticket import InstrumentInfo, LegDraft, strategy_template
from app.webull.models import InstrumentType, OptionStrategy

from . import fmt

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def event_of(market_symbol: str) -> str:
    """The event a market belongs to (KXFEDDECISION-26JAN-H0 → KXFEDDECISION-26JAN)."""
    return market_symbol.rsplit("-", 1)[0] if market_symbol.count("-") >= 2 else market_symbol


def detail_words(info: InstrumentInfo) -> str:
    """Futures: the contract month as "Dec 2026" (Webull's yyyyMM); events: the yes condition."""
    text = info.detail.strip()
    if info.instrument is InstrumentType.FUTURES and len(text) == 6 and text.isdigit() \
            and 1 <= int(text[4:]) <= 12:
        return f"{_MONTHS[int(text[4:]) - 1]} {text[:4]}"
    if info.instrument is InstrumentType.EVENT and text:
        return f"Yes if: {text}"
    return text


def title_words(info: InstrumentInfo) -> str:
    parts = [info.symbol]
    if info.name and info.name.strip().upper() != info.symbol.upper():  # crypto: "ETHUSD"
        parts.append(info.name)
    detail = detail_words(info)
    if detail and detail not in info.name:
        parts.append(detail)
    return " · ".join(parts)


def rules_text(info: InstrumentInfo) -> str:
    """The instrument's trading rules in one line."""
    kind = info.instrument
    parts: list[str] = []
    if info.lot_size:
        parts.append(f"lot {fmt.quantity(info.lot_size)}")
    if info.tick:
        parts.append(f"price step {fmt.quantity(info.tick)}")
    if info.multiplier != 1:
        parts.append(f"multiplier {fmt.quantity(info.multiplier)}")
    if kind in (InstrumentType.EQUITY, InstrumentType.CRYPTO, InstrumentType.EVENT):
        parts.append("fractional" if info.fractionable else "whole units only")
    if kind is InstrumentType.EQUITY:
        parts.append("shortable" if info.shortable else "not shortable")
    if info.min_quantity is not None:
        parts.append(f"min quantity {fmt.quantity(info.min_quantity)}")
    if info.max_quantity is not None:
        parts.append(f"max quantity {fmt.quantity(info.max_quantity)}")
    if info.min_amount is not None:
        parts.append(f"min amount ${fmt.money(info.min_amount)}")
    if info.max_amount is not None:
        parts.append(f"max amount ${fmt.money(info.max_amount)}")
    for r in info.price_ranges:
        parts.append(f"prices {fmt.price(r.start)}–{fmt.price(r.end)} by {fmt.price(r.step)}")
    return "Rules: " + " · ".join(parts) if parts else "Rules: none listed by Webull"


def last_text(info: InstrumentInfo) -> str:
    """The last price Pennant knows and its source — or, honestly, that it knows none."""
    source = info.last_price_source or "source not known"
    if info.last_price is None:
        return f"Last price: none — {source}"
    return f"Last {fmt.price(info.last_price)} — {source}"


def template_for(strategy: OptionStrategy, chain: OptionChain | None,
                 last: Decimal | None) -> tuple[LegDraft, ...]:
    """Starting legs around the money of the nearest expiration (strikes left empty while the
    chain is not known)."""
    expirations = [e for e in chain.expirations if chain.rows.get(e)] if chain else []
    if chain is None or not expirations:
        return strategy_template(strategy, expiry=None, strike=None, step=None)
    strikes = [row.strike for row in chain.rows[expirations[0]]]
    if last is None:
        strike = strikes[len(strikes) // 2]
    else:
        strike = min(strikes, key=lambda s: (abs(s - last), s))
    at = strikes.index(strike)
    neighbours = [abs(strikes[i + 1] - strikes[i]) for i in (at - 1, at)
                  if 0 <= i < len(strikes) - 1]
    step = min(neighbours) if neighbours else None
    later = expirations[1] if len(expirations) > 1 else None
    return strategy_template(strategy, expiry=expirations[0], strike=strike, step=step,
                             later_expiry=later)
