"""What the order ticket offers, field by field, for one account and instrument class (issue 5).

The choices come from the capability table (app.core.capabilities): each field offers only the
values that, together with the choices above it, Webull would accept — side, then order type,
time in force, quantity or amount, session and bracket. ``normalize`` moves a draft onto offered
values (a value that is no longer offered falls back to the first that is), so an impossible
combination cannot even be entered. Qt-free: the ticket window renders what this decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from app.core.capabilities import Capability, Choice, capability_for, refusals
from app.core.ticket import Bracket, InstrumentInfo, TicketDraft
from app.core.ticket_input import InputError, NumberFormat, format_plain, parse_decimal
from app.core.ticket_options import STRATEGY_LEGS
from app.core.ticket_words import tif_words, type_words
from app.webull.models import (
    Account,
    ComboType,
    EntrustType,
    EventOutcome,
    InstrumentType,
    OptionStrategy,
    OrderType,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

#: the combo orders each bracket sends (all must be allowed for the bracket to be offered)
BRACKET_COMBOS: dict[Bracket, tuple[ComboType, ...]] = {
    Bracket.NONE: (ComboType.NORMAL,),
    Bracket.TP_SL: (ComboType.MASTER, ComboType.STOP_PROFIT, ComboType.STOP_LOSS),
    Bracket.OTO: (ComboType.OTO,),
    Bracket.OCO: (ComboType.OCO,),
    Bracket.OTOCO: (ComboType.OTOCO,),
}
#: the combo type that stands for the bracket in a capability check
_BRACKET_CHECK = {Bracket.NONE: ComboType.NORMAL, Bracket.TP_SL: ComboType.MASTER,
                  Bracket.OTO: ComboType.OTO, Bracket.OCO: ComboType.OCO,
                  Bracket.OTOCO: ComboType.OTOCO}
#: the draft's free-text fields (numbers as the trader types them)
TEXT_FIELDS = ("quantity", "amount", "limit_price", "stop_price", "trailing_step",
               "take_profit_price", "stop_loss_price", "follow_up_price")
FOLLOW_UP_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS)
#: the entry order types each bracket takes (API.md §6.13; an OCO pair has no entry order)
ENTRY_TYPES: dict[Bracket, tuple[OrderType, ...]] = {
    Bracket.TP_SL: (OrderType.MARKET, OrderType.LIMIT),
    Bracket.OTO: (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                  OrderType.STOP_LOSS_LIMIT),
    Bracket.OTOCO: (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                    OrderType.STOP_LOSS_LIMIT),
}
#: the sides each stock bracket goes with (TP/SL protect a new position; OCO closes one)
_BRACKET_SIDES: dict[Bracket, tuple[Side, ...]] = {
    Bracket.TP_SL: (Side.BUY, Side.SHORT), Bracket.OTOCO: (Side.BUY, Side.SHORT),
    Bracket.OCO: (Side.BUY, Side.SELL),
}


@dataclass(frozen=True)
class Offer:
    """The values each field offers now (empty: the field does not apply)."""

    sides: tuple[Side, ...] = ()
    order_types: tuple[OrderType, ...] = ()
    tifs: tuple[TimeInForce, ...] = ()
    entrusts: tuple[EntrustType, ...] = ()
    sessions: tuple[TradingSession, ...] = ()
    brackets: tuple[Bracket, ...] = ()
    strategies: tuple[OptionStrategy, ...] = ()
    intents: tuple[PositionIntent | None, ...] = ()
    outcomes: tuple[EventOutcome, ...] = ()
    trailing_types: tuple[TrailingType, ...] = ()
    follow_up_sides: tuple[Side, ...] = ()
    follow_up_types: tuple[OrderType, ...] = ()
    #: field → why some of the class's values are not offered now (shown as a tooltip)
    notes: Mapping[str, str] = field(default_factory=dict)


def _pick(value: object, offered: tuple) -> object:  # type: ignore[type-arg]
    if value in offered or not offered:
        return value
    return offered[0]


def _choice(d: TicketDraft, multi_leg: bool, **over: object) -> Choice:
    base = Choice(side=d.side, order_type=d.order_type, tif=d.tif, entrust=d.entrust,
                  session=d.session, combo=_BRACKET_CHECK.get(d.bracket, ComboType.NORMAL),
                  multi_leg=multi_leg)
    return replace(base, **over)  # type: ignore[arg-type]


def _ok(cap: Capability, choice: Choice, field: str) -> bool:
    return field not in refusals(cap, choice)


def multi_leg(draft: TicketDraft) -> bool:
    return draft.instrument is InstrumentType.OPTION and (
        draft.strategy is not OptionStrategy.SINGLE or len(draft.legs) > 1)


def normalize(draft: TicketDraft, account: Account, info: InstrumentInfo | None = None
              ) -> tuple[TicketDraft, Offer]:
    """The draft moved onto values the ticket offers, and what each field offers."""
    cap = capability_for(account, draft.instrument)
    if cap is None:
        return draft, Offer()
    d = draft
    legs = multi_leg(d)
    sides = tuple(s for s in cap.sides if _side_ok(cap, s, info))
    d = replace(d, side=_pick(d.side, sides))  # type: ignore[arg-type]
    types = tuple(t for t in cap.order_types if _ok(cap, _choice(d, legs, order_type=t),
                                                    "order_type"))
    d = replace(d, order_type=_pick(d.order_type, types))  # type: ignore[arg-type]
    notes: dict[str, str] = {}
    tifs = tuple(t for t in cap.tifs.get(d.order_type, ())
                 if _ok(cap, _choice(d, legs, tif=t), "tif"))
    _note(notes, "tif", [refusals(cap, _choice(d, legs, tif=t)).get("tif", "")
                         for t in cap.tifs.get(d.order_type, ()) if t not in tifs])
    d = replace(d, tif=_pick(d.tif, tifs))  # type: ignore[arg-type]
    entrusts = tuple(e for e in cap.entrust if _ok(cap, _choice(d, legs, entrust=e), "entrust")
                     and _amount_ok(cap, e, d.side, info))
    d = replace(d, entrust=_pick(d.entrust, entrusts))  # type: ignore[arg-type]
    _note(notes, "entrust", [_amount_note(cap, _choice(d, legs, entrust=e), info)
                             for e in cap.entrust if e not in entrusts])
    sessions = tuple(t for t in cap.sessions
                     if not (t is TradingSession.NIGHT and info is not None
                             and info.overnight is False))
    if len(sessions) < len(cap.sessions) and info is not None:
        notes["session"] = f"{info.symbol} does not trade in the overnight session"
    d = replace(d, session=_pick(d.session or (sessions[0] if sessions else None), sessions)
                if sessions else None)  # type: ignore[arg-type]
    brackets = tuple(b for b, combos in BRACKET_COMBOS.items()
                     if all(c in cap.combos for c in combos)
                     and _ok(cap, _choice(d, legs, combo=_BRACKET_CHECK[b]), "combo")
                     and _bracket_ok(cap, b, d))
    d = replace(d, bracket=_pick(d.bracket, brackets))  # type: ignore[arg-type]
    if len(brackets) < 2 and len(cap.combos) > 1:
        _note(notes, "bracket", [
            "Brackets are for single-leg options only" if legs else
            "Brackets need a quantity (not a dollar amount) and a market or limit entry; "
            "take profit/stop loss protect a buy or a short sale, OCO closes a position"])
    offer = Offer(sides=sides, order_types=types, tifs=tifs, entrusts=entrusts,
                  sessions=sessions, brackets=brackets, notes=notes,
                  trailing_types=(TrailingType.AMOUNT, TrailingType.PERCENTAGE)
                  if OrderType.TRAILING_STOP_LOSS in cap.order_types else ())
    if d.bracket is Bracket.OTO:
        offer = replace(offer, follow_up_sides=cap.sides, follow_up_types=FOLLOW_UP_TYPES)
        d = replace(d, follow_up_side=_pick(d.follow_up_side, offer.follow_up_sides),
                    follow_up_type=_pick(d.follow_up_type, FOLLOW_UP_TYPES))  # type: ignore[arg-type]
    if cap.instrument is InstrumentType.OPTION:
        strategies = tuple(s for s in OptionStrategy if s in STRATEGY_LEGS)
        d = replace(d, strategy=_pick(d.strategy, strategies))  # type: ignore[arg-type]
        intents: tuple[PositionIntent | None, ...] = ()
        if d.strategy is OptionStrategy.SINGLE:
            intents = (None, PositionIntent(f"{d.side.value}_TO_OPEN"),
                       PositionIntent(f"{d.side.value}_TO_CLOSE"))
        d = replace(d, position_intent=_pick(d.position_intent, intents)
                    if intents else None)  # type: ignore[arg-type]
        offer = replace(offer, strategies=strategies, intents=intents)
    if cap.instrument is InstrumentType.EVENT:
        outcomes = (EventOutcome.YES, EventOutcome.NO)
        d = replace(d, event_outcome=_pick(d.event_outcome or EventOutcome.YES, outcomes))  # type: ignore[arg-type]
        offer = replace(offer, outcomes=outcomes)
    return d, offer


def _note(notes: dict[str, str], name: str, reasons: list[str]) -> None:
    said = [r for r in dict.fromkeys(reasons) if r]
    if said:
        notes[name] = "; ".join(said)


def _amount_note(cap: Capability, choice: Choice, info: InstrumentInfo | None) -> str:
    said = refusals(cap, choice).get("entrust", "")
    if said or cap.instrument is not InstrumentType.EQUITY:
        return said
    if choice.side is not Side.BUY:
        return "Dollar-amount orders are buys; sell by quantity"
    if info is not None and not info.fractionable:
        return f"{info.symbol} is not fractionable: order whole shares"
    return ""


def _side_ok(cap: Capability, side: Side, info: InstrumentInfo | None) -> bool:
    """Short only where shares can be borrowed; a closing-only instrument is only sold (as far
    as the instrument is known: before that every side of the class is offered)."""
    if info is None or cap.instrument is InstrumentType.OPTION:
        return True
    if info.closing_only and side is not Side.SELL:
        return False
    return side is not Side.SHORT or info.shortable


def _amount_ok(cap: Capability, entrust: EntrustType, side: Side,
               info: InstrumentInfo | None) -> bool:
    """A dollar amount buys fractional shares: a buy, of a fractionable stock (offered while
    the stock is not known yet; the ticket's check then says why not)."""
    if entrust is not EntrustType.AMOUNT or cap.instrument is not InstrumentType.EQUITY:
        return True
    return side is Side.BUY and (info is None or info.fractionable)


def _bracket_ok(cap: Capability, bracket: Bracket, d: TicketDraft) -> bool:
    """A bracket goes with a share quantity, an entry order type it takes, and (stocks) the
    sides it protects."""
    if bracket is Bracket.NONE:
        return True
    if d.entrust is EntrustType.AMOUNT:
        return False
    if bracket in ENTRY_TYPES and d.order_type not in ENTRY_TYPES[bracket]:
        return False
    if cap.instrument is InstrumentType.EQUITY and bracket in _BRACKET_SIDES:
        return d.side in _BRACKET_SIDES[bracket]
    return True


def localized(draft: TicketDraft, fmt: NumberFormat) -> TicketDraft:
    """A draft whose numbers are written plainly ("187.43", as app.core builds them) in the
    user's number format instead ("187,43"), so a prefilled ticket reads like typed input."""
    plain = NumberFormat()
    if fmt == plain:
        return draft
    changes: dict[str, str] = {}
    for name in TEXT_FIELDS:
        text = getattr(draft, name).strip()
        if not text:
            continue
        try:
            value = parse_decimal(text, name, plain, allow_zero=True)
        except InputError:
            continue  # not a plain number: left for the ticket's own message
        changes[name] = format_plain(value, fmt)
    return replace(draft, **changes)


# ---------------------------------------------------------------------------- which fields

def uses(draft: TicketDraft) -> frozenset[str]:
    """The TicketDraft fields this order uses (the ticket hides the others)."""
    kind = draft.instrument
    out = {"account_id", "symbol", "side", "order_type", "tif"}
    t = draft.order_type
    if draft.bracket is Bracket.OCO:  # the pair's own prices stand for the order type
        out.discard("order_type")
        t = OrderType.MARKET
    if t in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT):
        out.add("limit_price")
    if t in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT):
        out.add("stop_price")
    if t is OrderType.TRAILING_STOP_LOSS:
        out |= {"trailing_type", "trailing_step"}
    out.add("amount" if draft.entrust is EntrustType.AMOUNT else "quantity")
    if kind in (InstrumentType.EQUITY, InstrumentType.CRYPTO):
        out.add("entrust")
    if kind is InstrumentType.EQUITY:
        out |= {"session", "bracket"}
        if draft.bracket in (Bracket.TP_SL, Bracket.OCO, Bracket.OTOCO):
            out |= {"take_profit_price", "stop_loss_price"}
        if draft.bracket is Bracket.OTO:
            out |= {"follow_up_side", "follow_up_type"}
            if draft.follow_up_type is not OrderType.MARKET:
                out.add("follow_up_price")
    if kind is InstrumentType.OPTION:
        out |= {"strategy", "legs"}
        if draft.strategy is OptionStrategy.SINGLE:
            out |= {"position_intent", "bracket"}
            if draft.bracket is Bracket.TP_SL:
                out |= {"take_profit_price", "stop_loss_price"}
    if kind is InstrumentType.EVENT:
        out.add("event_outcome")
    return frozenset(out)


# ---------------------------------------------------------------------------- words

SIDE_WORDS = {Side.BUY: "Buy", Side.SELL: "Sell", Side.SHORT: "Sell short"}
EVENT_SIDE_WORDS = {Side.BUY: "Buy (opens a position)", Side.SELL: "Sell (closes a position)"}
TYPE_WORDS = {t: type_words(t) for t in OrderType}
TIF_WORDS = {t: tif_words(t) for t in TimeInForce}
SESSION_WORDS = {TradingSession.CORE: "Core (9:30–16:00 ET)",
                 TradingSession.ALL: "Extended (pre-market, core, after-hours)",
                 TradingSession.NIGHT: "Overnight"}
BRACKET_WORDS = {Bracket.NONE: "None", Bracket.TP_SL: "Take profit / stop loss",
                 Bracket.OTO: "Then another order (OTO)",
                 Bracket.OCO: "One cancels the other (OCO)",
                 Bracket.OTOCO: "Then take profit / stop loss (OTOCO)"}
TRAILING_WORDS = {TrailingType.AMOUNT: "By amount ($)", TrailingType.PERCENTAGE: "By percent (%)"}
OUTCOME_WORDS = {EventOutcome.YES: "Yes", EventOutcome.NO: "No"}


def entrust_words(kind: InstrumentType, entrust: EntrustType) -> str:
    if entrust is EntrustType.AMOUNT:
        return "Dollar amount"
    return {InstrumentType.EQUITY: "Shares", InstrumentType.CRYPTO: "Coins"}.get(
        kind, "Quantity")


def intent_words(intent: PositionIntent | None) -> str:
    if intent is None:
        return "Automatic (opens, or closes a position held)"
    return intent.value.replace("_", " ").capitalize()


def strategy_label(strategy: OptionStrategy) -> str:
    from app.core.ticket_words import strategy_words

    return "Single option" if strategy is OptionStrategy.SINGLE else strategy_words(strategy)


def quantity_label(draft: TicketDraft) -> str:
    kind = draft.instrument
    if kind is InstrumentType.OPTION:
        return "Contracts" if draft.strategy is OptionStrategy.SINGLE else "Strategy units"
    return {InstrumentType.EQUITY: "Shares", InstrumentType.CRYPTO: "Quantity (coins)",
            InstrumentType.FUTURES: "Contracts", InstrumentType.EVENT: "Contracts"}.get(
        kind, "Quantity")


def limit_label(draft: TicketDraft) -> str:
    if multi_leg(draft):
        return "Net price (debit)" if draft.side is Side.BUY else "Net price (credit)"
    return "Limit price"
