"""What the order ticket may offer, per instrument class and account (API.md §7, issue 5).

The ticket builds its choices from this table, so a combination Webull would refuse cannot be
entered in the first place; ``refusals`` explains, field by field, why a given combination is
not allowed (the ticket shows those words, and they double as a check before preview).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from app.webull.models import (
    Account,
    AccountClass,
    AccountType,
    ComboType,
    EntrustType,
    InstrumentType,
    OrderType,
    Side,
    TimeInForce,
    TradingSession,
)

B, S, SH = Side.BUY, Side.SELL, Side.SHORT
MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)
DAY, GTC, IOC = TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC


@dataclass(frozen=True)
class Capability:
    instrument: InstrumentType
    label: str
    sides: tuple[Side, ...]
    order_types: tuple[OrderType, ...]
    #: time in force allowed for each order type
    tifs: Mapping[OrderType, tuple[TimeInForce, ...]]
    entrust: tuple[EntrustType, ...] = (EntrustType.QTY,)
    sessions: tuple[TradingSession, ...] = ()
    combos: tuple[ComboType, ...] = (ComboType.NORMAL,)
    #: digits after the point a quantity may have (whole contracts: 0)
    quantity_places: int = 0
    max_quantity: Decimal | None = None
    #: notional limits per order (crypto), in USD
    min_notional: Decimal | None = None
    max_notional: Decimal | None = None
    price_range: tuple[Decimal, Decimal] | None = None
    previewable: bool = True  # False: the figures are local estimates (crypto)
    modifiable: bool = True
    notes: tuple[str, ...] = field(default=())


_EQUITY = Capability(
    InstrumentType.EQUITY, "Stocks & ETFs", (B, S, SH), (MKT, LMT, STP, STPLMT, TRAIL),
    {t: (DAY, GTC) for t in (MKT, LMT, STP, STPLMT, TRAIL)},
    entrust=(EntrustType.QTY, EntrustType.AMOUNT),
    sessions=(TradingSession.CORE, TradingSession.ALL, TradingSession.NIGHT),
    combos=tuple(ComboType), quantity_places=5,
)
_OPTION = Capability(
    InstrumentType.OPTION, "Options", (B, S), (MKT, LMT, STP, STPLMT),
    {t: (DAY, GTC) for t in (MKT, LMT, STP, STPLMT)},
    combos=(ComboType.NORMAL, ComboType.MASTER, ComboType.STOP_PROFIT, ComboType.STOP_LOSS),
    notes=("Sell-side option orders are DAY only.",
           "Brackets (take-profit/stop-loss) only for single-leg options."),
)
_FUTURES = Capability(
    InstrumentType.FUTURES, "Futures", (B, S), (MKT, LMT, STP, STPLMT, TRAIL),
    {t: (DAY, GTC) for t in (MKT, LMT, STP, STPLMT, TRAIL)},
)
_CRYPTO = Capability(
    InstrumentType.CRYPTO, "Crypto", (B, S), (MKT, LMT, STPLMT),
    {MKT: (IOC,), LMT: (DAY, GTC), STPLMT: (DAY, GTC)},
    entrust=(EntrustType.QTY, EntrustType.AMOUNT), quantity_places=8,
    min_notional=Decimal("2"), max_notional=Decimal("100000"),
    previewable=False, modifiable=False,
    notes=("Webull has no preview for crypto: the figures are local estimates.",
           "A stop-limit sell is entered as a quantity."),
)
_EVENT = Capability(
    InstrumentType.EVENT, "Event contracts", (B, S), (LMT,), {LMT: (DAY,)},
    max_quantity=Decimal("50000"), price_range=(Decimal("0.01"), Decimal("0.99")),
    notes=("Buy opens a position, sell closes it.",),
)

CAPABILITIES: Mapping[InstrumentType, Capability] = {
    c.instrument: c for c in (_EQUITY, _OPTION, _FUTURES, _CRYPTO, _EVENT)}

_SECURITIES = frozenset({AccountClass.INDIVIDUAL_CASH, AccountClass.INDIVIDUAL_MARGIN,
                         AccountClass.INDIVIDUAL_MRGN, AccountClass.INSTITUTIONAL_CASH,
                         AccountClass.INSTITUTIONAL_MRGN})
_FUTURES_CLASSES = frozenset({AccountClass.FUTURES, AccountClass.FUTURES_MRGN,
                              AccountClass.INSTITUTIONAL_FUTURES_MRGN})


def instruments_for(account: Account) -> tuple[InstrumentType, ...]:
    """The instrument classes an account trades."""
    cls = account.account_class
    if cls in _SECURITIES:
        return (InstrumentType.EQUITY, InstrumentType.OPTION)
    if cls in _FUTURES_CLASSES:
        return (InstrumentType.FUTURES,)
    if cls is AccountClass.CRYPTO:
        return (InstrumentType.CRYPTO,)
    if cls is AccountClass.EVENTS_CASH:
        return (InstrumentType.EVENT,)
    return ()


def capability_for(account: Account, instrument: InstrumentType) -> Capability | None:
    """The ticket's choices for this instrument in this account (None: not tradable here).
    Short selling is offered in margin accounts only."""
    if instrument not in instruments_for(account):
        return None
    cap = CAPABILITIES[instrument]
    if instrument is InstrumentType.EQUITY and account.account_type is not AccountType.MARGIN:
        return _without_short(cap)
    return cap


def _without_short(cap: Capability) -> Capability:
    return replace(cap, sides=tuple(s for s in cap.sides if s is not Side.SHORT))


@dataclass(frozen=True)
class Choice:
    side: Side
    order_type: OrderType
    tif: TimeInForce
    entrust: EntrustType = EntrustType.QTY
    session: TradingSession | None = None
    combo: ComboType = ComboType.NORMAL
    multi_leg: bool = False  # options: more than one leg


def refusals(cap: Capability, choice: Choice) -> dict[str, str]:
    """Field → why this combination cannot be sent ({} when it can)."""
    out: dict[str, str] = {}
    if choice.side not in cap.sides:
        out["side"] = (f"{choice.side.value.title()} is not available for {cap.label.lower()}"
                       + (" in a cash account" if choice.side is Side.SHORT else ""))
    if choice.order_type not in cap.order_types:
        out["order_type"] = f"{_words(choice.order_type)} orders are not available for " \
                            f"{cap.label.lower()}"
    else:
        allowed = cap.tifs[choice.order_type]
        if choice.tif not in allowed:
            out["tif"] = (f"{_words(choice.order_type)} orders for {cap.label.lower()} are "
                          f"{' or '.join(t.value for t in allowed)} only")
    if choice.entrust not in cap.entrust:
        out["entrust"] = f"{cap.label} are ordered by quantity only"
    if cap.sessions:
        if choice.session is not None and choice.session not in cap.sessions:
            out["session"] = f"{choice.session.value} is not a trading session"
    elif choice.session is not None:
        out["session"] = f"Trading sessions apply to stocks and ETFs only, not {cap.label.lower()}"
    if choice.combo not in cap.combos:
        out["combo"] = f"{_words(choice.combo)} orders are not available for {cap.label.lower()}"
    _class_rules(cap, choice, out)
    return out


def _class_rules(cap: Capability, choice: Choice, out: dict[str, str]) -> None:
    inst = cap.instrument
    if inst is InstrumentType.OPTION:
        if choice.side is Side.SELL and choice.tif is not TimeInForce.DAY:
            out.setdefault("tif", "Sell-side option orders are DAY only")
        if choice.multi_leg and choice.combo is not ComboType.NORMAL:
            out.setdefault("combo", "Brackets are for single-leg options only")
    if inst is InstrumentType.EQUITY and choice.entrust is EntrustType.AMOUNT:
        if choice.order_type is not OrderType.MARKET:
            out.setdefault("entrust", "Dollar-amount (fractional) orders are market orders")
    if inst is InstrumentType.CRYPTO and choice.entrust is EntrustType.AMOUNT \
            and choice.order_type is OrderType.STOP_LOSS_LIMIT and choice.side is Side.SELL:
        out.setdefault("entrust", "A crypto stop-limit sell is entered as a quantity")


def _words(value: OrderType | ComboType) -> str:
    return value.value.replace("_", " ").capitalize().replace("Stop loss", "Stop")
