"""The order ticket's model (issue 5): what the trader typed → an order request, or the reasons
it cannot be one, field by field.

``build`` reads only the fields the chosen order uses (a stale stop price in a LIMIT ticket is
ignored), checks them against the capability table (API.md §7) and the instrument's rules, and
keys every message by the TicketDraft field it belongs to, so the ticket shows it there.
Option legs live in ticket_options; replacing orders, closing positions and local estimates
in ticket_modify; parsing, bracket orders and words in ticket_words. Their public names are
re-exported here: import them from this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from app.webull.models import (
    Account,
    ComboType,
    EntrustType,
    EventOutcome,
    InstrumentType,
    NewOrder,
    OptionStrategy,
    OrderType,
    Position,
    PositionIntent,
    PriceRange,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

from .capabilities import CAPABILITIES, Choice, capability_for, refusals
from .order_request import OrderRequest
from .precautions import OrderFacts
from .ticket_input import NumberFormat, format_plain
from .ticket_modify import (
    LocalEstimate,
    ModifyDraft,
    ModifyField,
    ModifyResult,
    ModifyRules,
    build_modify,
    draft_to_close,
    estimate_locally,
    modify_rules,
)
from .ticket_options import (
    LegDraft,
    intent_for,
    option_legs,
    reduces,
    strategy_template,
)
from .ticket_words import (
    Bracket,
    Fields,
    account_words,
    bracket_orders,
    crypto_rules,
    default_tick,
    oco_orders,
    order_words,
    share_rules,
    type_words,
)

__all__ = [
    "Bracket", "BuildResult", "InstrumentInfo", "LegDraft", "LocalEstimate", "ModifyDraft",
    "ModifyField", "ModifyResult", "ModifyRules", "TicketDraft", "TicketIds", "build",
    "build_modify", "draft_to_close", "estimate_locally", "modify_rules", "strategy_template",
]


@dataclass(frozen=True)
class InstrumentInfo:
    """What the ticket knows of the instrument being traded (built by app.core.catalogue)."""

    instrument: InstrumentType
    symbol: str  # stock/ETF/crypto/futures contract/event market symbol; options: underlying
    name: str = ""
    lot_size: Decimal | None = None
    tick: Decimal | None = None  # price step
    fractionable: bool = False
    shortable: bool = False
    multiplier: Decimal = Decimal(1)  # option contract 100, futures contract size
    min_quantity: Decimal | None = None
    max_quantity: Decimal | None = None
    min_amount: Decimal | None = None  # crypto: min/max trade amount in USD
    max_amount: Decimal | None = None
    price_ranges: tuple[PriceRange, ...] = ()  # event contracts
    tradable: bool = True
    why_not_tradable: str = ""
    #: only closing trades are allowed (Webull's tradable status CO): sales, not buys
    closing_only: bool = False
    #: stocks: whether the overnight (NIGHT) session trades it (None: Webull did not say)
    overnight: bool | None = None
    #: the last price Pennant knows, and where it comes from (None: none known)
    last_price: Decimal | None = None
    last_price_source: str = ""
    #: futures: the contract month (yyyyMM); events: the yes condition
    detail: str = ""


@dataclass(frozen=True)
class TicketDraft:
    """The ticket's fields as the trader set them. Text fields are raw text, parsed by
    ``build`` (so a half-typed number is an error message, not an exception)."""

    account_id: str
    instrument: InstrumentType
    symbol: str = ""
    side: Side = Side.BUY
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.DAY
    entrust: EntrustType = EntrustType.QTY
    session: TradingSession | None = None  # stocks only
    quantity: str = ""
    amount: str = ""  # dollar amount (entrust AMOUNT)
    limit_price: str = ""
    stop_price: str = ""
    trailing_type: TrailingType = TrailingType.AMOUNT
    trailing_step: str = ""  # amount in $, or percent as typed (5 = 5 %)
    # stock brackets
    bracket: Bracket = Bracket.NONE
    take_profit_price: str = ""  # limit price of the STOP_PROFIT / OCO limit leg
    stop_loss_price: str = ""  # stop price of the STOP_LOSS / OCO stop leg
    follow_up_side: Side = Side.SELL  # OTO: the triggered order
    follow_up_type: OrderType = OrderType.LIMIT
    follow_up_price: str = ""
    # options
    strategy: OptionStrategy = OptionStrategy.SINGLE
    legs: tuple[LegDraft, ...] = ()
    position_intent: PositionIntent | None = None
    # event contracts
    event_outcome: EventOutcome | None = None
    #: the ticket was opened to close a position (prefilled; the precautions check its size)
    closing: bool = False


#: client ids per ticket attempt: the largest combo has three orders; the rest are spares
ORDER_IDS_PER_TICKET = 8


@dataclass(frozen=True)
class TicketIds:
    """The client ids one ticket attempt uses; the same ids for preview and submit, renewed
    after a submit reached the journal (so a second order never reuses an id)."""

    order_ids: tuple[str, ...]  # enough for the largest combo (a few spares)
    combo_id: str

    @classmethod
    def fresh(cls, new_id: Callable[[], str] | None = None) -> TicketIds:
        make = new_id or (lambda: uuid.uuid4().hex)
        return cls(tuple(make() for _ in range(ORDER_IDS_PER_TICKET)), make())


@dataclass(frozen=True)
class BuildResult:
    request: OrderRequest | None  # None when errors is not empty
    errors: dict[str, str] = field(default_factory=dict)  # field name → message
    facts: OrderFacts | None = None  # for app.core.precautions.check
    words: tuple[str, ...] = ()  # the order in plain words, one line per order / leg


def build(draft: TicketDraft, instrument: InstrumentInfo | None, account: Account,
          ids: TicketIds, *, fmt: NumberFormat = NumberFormat(),  # noqa: B008 - immutable
          position: Position | None = None) -> BuildResult:
    """Parse and check every field; the request when all is well. Never raises: whatever
    the text fields hold, the answer is a request or messages keyed by field.

    ``position`` is the account's position in this instrument when Pennant holds one: it
    decides an option's default position intent, refuses selling event contracts or crypto
    not held, and tells the precautions which position an order reduces."""
    return _Builder(draft, instrument, account, fmt, position).result(ids)


# ---------------------------------------------------------------------------- building

MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)
_COMBOS = {Bracket.NONE: ComboType.NORMAL, Bracket.TP_SL: ComboType.MASTER,
           Bracket.OTO: ComboType.OTO, Bracket.OCO: ComboType.OCO,
           Bracket.OTOCO: ComboType.OTOCO}
#: the entry orders each bracket takes (API.md §6.13; OCO has no entry order)
_ENTRY_TYPES = {Bracket.TP_SL: (MKT, LMT), Bracket.OTO: (MKT, LMT, STP, STPLMT),
                Bracket.OTOCO: (MKT, LMT, STP, STPLMT)}
MAX_SHARES = Decimal(10) ** 9
MAX_CONTRACTS = Decimal(10) ** 6
_EVENT_PRICES = ((Decimal("0.01"), Decimal("0.99"), Decimal("0.01")),)
Spec = dict[str, Any]


class _Builder:
    """One ``build`` call: reads the draft's fields into order specs and messages."""

    def __init__(self, draft: TicketDraft, info: InstrumentInfo | None, account: Account,
                 fmt: NumberFormat, position: Position | None) -> None:
        self.d, self.account, self.fmt, self.position = draft, account, fmt, position
        self.f = Fields(fmt)
        self.kind = draft.instrument
        self.given = info
        self.symbol = self.f.symbol(draft.symbol)
        self.info = info or InstrumentInfo(self.kind, self.symbol or "")
        self.cap = capability_for(account, self.kind)
        self.session: TradingSession | None = None
        self.orders: list[Spec] = []

    def result(self, ids: TicketIds) -> BuildResult:
        f, d = self.f, self.d
        if d.account_id != self.account.account_id:
            f.fail("account", "The ticket's account is not the account selected; choose it again")
        if self.cap is None:
            label = CAPABILITIES[self.kind].label if self.kind in CAPABILITIES else self.kind.value
            f.fail("account", f"{label} cannot be traded in the "
                              f"{account_words(self.account).removeprefix('account ')} account")
            return BuildResult(None, dict(f.errors))
        self._instrument()
        self._choice()
        facts = {InstrumentType.EQUITY: self._equity, InstrumentType.OPTION: self._option,
                 InstrumentType.FUTURES: self._futures, InstrumentType.CRYPTO: self._crypto,
                 InstrumentType.EVENT: self._event}[self.kind]()
        if f.errors:
            return BuildResult(None, dict(f.errors))
        return self._assemble(ids, facts)

    # ------------------------------------------------------------------ shared checks
    def _instrument(self) -> None:
        f, info = self.f, self.given
        if info is None:
            f.fail("instrument", "Look up the instrument first")
        elif info.instrument != self.kind:
            listed = CAPABILITIES[info.instrument].label if info.instrument in CAPABILITIES \
                else info.instrument.value
            f.fail("instrument", f"{info.symbol} is listed under {listed}, not "
                                 f"{self.cap.label}; look it up again")  # type: ignore[union-attr]
        elif not info.tradable:
            f.fail("instrument", info.why_not_tradable or f"{info.symbol} cannot be traded now")
        elif self.symbol is not None and self.symbol != info.symbol:
            f.fail("symbol", f"The instrument looked up is {info.symbol}; look up "
                             f"{self.symbol} again")

    def _choice(self) -> None:
        d, cap = self.d, self.cap
        assert cap is not None
        order_type = LMT if d.bracket is Bracket.OCO else d.order_type
        if self.kind is InstrumentType.EQUITY:
            self.session = d.session or TradingSession.CORE
        multi = self.kind is InstrumentType.OPTION and d.strategy is not OptionStrategy.SINGLE
        choice = Choice(d.side, order_type, d.tif, d.entrust, self.session, _COMBOS[d.bracket],
                        multi)
        for key, message in refusals(cap, choice).items():
            self.f.fail("bracket" if key == "combo" else key, message)
        if self.info.closing_only and d.side is not Side.SELL \
                and self.kind is not InstrumentType.OPTION:
            self.f.fail("side", self.info.why_not_tradable
                        or f"{self.info.symbol} can only be sold for now (closing only)")
        if self.session is TradingSession.NIGHT and self.info.overnight is False \
                and "session" not in self.f.errors:
            self.f.fail("session", f"{self.info.symbol or 'This stock'} does not trade in the "
                                   "overnight session: choose Core or All")
        if d.side is Side.SHORT and "side" not in self.f.errors and not self.info.shortable:
            self.f.fail("side", f"{self.info.symbol or 'This stock'} cannot be sold short "
                                "(no shares to borrow)")

    def _base(self, combo: ComboType, side: Side, order_type: OrderType,
              tif: TimeInForce) -> Spec:
        return {"combo_type": combo, "symbol": self.symbol, "instrument_type": self.kind,
                "side": side, "order_type": order_type, "time_in_force": tif,
                "entrust_type": EntrustType.QTY, "support_trading_session": self.session}

    def _price(self, key: str, text: str) -> Decimal | None:
        if self.kind is InstrumentType.EVENT:
            ranges = [(r.start, r.end, r.step) for r in self.info.price_ranges] or _EVENT_PRICES
            return self.f.event_price(key, text, ranges)
        return self.f.price(key, text, self.kind, self.info.tick)

    def _prices(self, order_type: OrderType) -> Spec:
        """The price fields this order type uses (and only those)."""
        d, out = self.d, {}
        if order_type in (LMT, STPLMT):
            out["limit_price"] = self._price("limit_price", d.limit_price)
        if order_type in (STP, STPLMT):
            out["stop_price"] = self._price("stop_price", d.stop_price)
        if order_type is TRAIL:
            out["trailing_type"] = d.trailing_type
            last = self.info.last_price  # a $ trail moves the stop on the price's tick
            tick = self.info.tick or (default_tick(self.kind, last) if last else None)
            out["trailing_stop_step"] = self.f.trailing("trailing_step", d.trailing_step,
                                                        d.trailing_type, self.kind, tick)
        return out

    def _held(self) -> Decimal | None:
        """The signed quantity of this instrument (event: this outcome) held, if known."""
        p = self.position
        if p is None or p.instrument_type != self.kind or p.symbol != self.symbol:
            return None
        if self.kind is InstrumentType.EVENT and p.event_outcome != self.d.event_outcome:
            return None
        return p.quantity

    def _last(self) -> Decimal | None:
        """The last price of what this order trades: an option's only for one contract; an
        event's NO side is 1 minus the market's (YES) price."""
        last, d = self.info.last_price, self.d
        if last is None or (self.kind is InstrumentType.OPTION
                            and d.strategy is not OptionStrategy.SINGLE):
            return None
        if self.kind is InstrumentType.EVENT and d.event_outcome is EventOutcome.NO:
            return 1 - last
        return last

    def _facts(self, side: Side, order_type: OrderType, qty: Decimal | None, prices: Spec,
               amount: Decimal | None = None, reduced: Decimal | None = None) -> OrderFacts:
        last = self._last()
        tick = self.info.tick or (default_tick(self.kind, last) if last else None)
        if self.kind is not InstrumentType.OPTION:
            held = self._held()
            if held is not None and ((side is Side.SELL and held > 0)
                                     or (side is Side.BUY and held < 0)):
                reduced = held
        multiplier = self.info.multiplier if self.kind in (
            InstrumentType.OPTION, InstrumentType.FUTURES) else Decimal(1)
        if self.kind is InstrumentType.OPTION and multiplier <= 1:
            multiplier = Decimal(100)  # a standard contract when the chain names none
        return OrderFacts(side, order_type, qty, multiplier, prices.get("limit_price"),
                          prices.get("stop_price"), amount, last, tick, reduced,
                          self.d.closing or reduced is not None,
                          futures=self.kind is InstrumentType.FUTURES)

    # ------------------------------------------------------------------ classes
    def _equity(self) -> OrderFacts | None:
        d, f, info = self.d, self.f, self.info
        qty = amount = None
        if d.entrust is EntrustType.AMOUNT:
            if not info.fractionable:
                f.fail("entrust", f"{info.symbol} is not fractionable: order whole shares")
            if d.side is not Side.BUY:
                f.fail("entrust", "Dollar-amount orders are buys; sell by quantity")
            if d.bracket is not Bracket.NONE:
                f.fail("bracket", "A bracket needs a number of shares, not a dollar amount")
            amount = f.number("amount", d.amount, places=2, minimum=info.min_amount or Decimal(1))
        else:
            least = info.min_quantity or Decimal("0.00001")
            qty = f.number("quantity", d.quantity, places=5, maximum=MAX_SHARES,
                           minimum=least if info.fractionable else None)
            if qty is not None:
                share_rules(self.f, qty, symbol=info.symbol, fractionable=info.fractionable,
                            lot_size=info.lot_size, last=info.last_price,
                            bracket=d.bracket is not Bracket.NONE, side=d.side,
                            order_type=d.order_type)
        if d.bracket is Bracket.OCO:
            return self._oco(qty)
        return self._entry(qty, amount)

    def _entry(self, qty: Decimal | None, amount: Decimal | None = None,
               extra: Spec | None = None) -> OrderFacts:
        """The entry order (alone, or as a bracket's MASTER) and the bracket's children."""
        d = self.d
        prices = self._prices(d.order_type)
        combo = ComboType.NORMAL if d.bracket is Bracket.NONE else ComboType.MASTER
        entry = {**self._base(combo, d.side, d.order_type, d.tif), **prices, **(extra or {})}
        if amount is not None:
            entry.update(entrust_type=EntrustType.AMOUNT, total_cash_amount=amount)
        else:
            entry["quantity"] = qty
        self.orders.append(entry)
        allowed = _ENTRY_TYPES.get(d.bracket)
        if allowed is not None and "bracket" not in self.f.errors:
            if d.order_type not in allowed:
                self.f.fail("order_type", "The entry of this bracket is a "
                            + " or ".join(type_words(t).lower() for t in allowed) + " order")
            ref = prices.get("limit_price") or prices.get("stop_price") or self._last()
            assert self.cap is not None
            self.orders += bracket_orders(self.f, d, entry, ref, self._price,
                                          sides=self.cap.sides, shortable=self.info.shortable,
                                          symbol=self.info.symbol)
        reduced = extra.pop("_reduced", None) if extra else None
        return self._facts(d.side, d.order_type, qty, prices, amount, reduced)

    def _oco(self, qty: Decimal | None) -> OrderFacts:
        """Two orders closing a position, the first to fill cancelling the other."""
        d = self.d
        base = {**self._base(ComboType.OCO, d.side, LMT, d.tif), "quantity": qty}
        orders, tp, sl = oco_orders(self.f, d, base, self.info.last_price, self._price)
        self.orders += orders
        # both prices in one set of facts: the deviation and wrong-side checks see each
        return self._facts(d.side, STPLMT, qty, {"limit_price": tp, "stop_price": sl})

    def _option(self) -> OrderFacts:
        d, f = self.d, self.f
        units = f.number("quantity", d.quantity, places=0, maximum=MAX_CONTRACTS)
        legs = option_legs(f, d.strategy, d.legs, self.symbol or "X", units, d.side)
        reducing = legs is not None and units is not None and reduces(self.position, legs,
                                                                       units)
        intent = None
        if d.strategy is OptionStrategy.SINGLE and d.side in (Side.BUY, Side.SELL):
            intent = intent_for(f, d.position_intent, d.side, reducing, self.position is not None)
        if self.info.closing_only and not reducing and not (
                intent is not None and intent.value.endswith("_TO_CLOSE")):
            f.fail("instrument", self.info.why_not_tradable
                   or f"Options on {self.info.symbol} can only be closed for now")
        extra = {"option_strategy": d.strategy, "legs": legs, "position_intent": intent,
                 "_reduced": self.position.quantity if reducing and self.position else None}
        return self._entry(units, extra=extra)

    def _futures(self) -> OrderFacts:
        qty = self.f.number("quantity", self.d.quantity, places=0, maximum=MAX_CONTRACTS)
        return self._entry(qty)

    def _crypto(self) -> OrderFacts:
        d, f, info, cap = self.d, self.f, self.info, self.cap
        assert cap is not None
        low = info.min_amount or cap.min_notional
        high = info.max_amount or cap.max_notional
        if d.entrust is EntrustType.AMOUNT:
            amount = f.number("amount", d.amount, places=2, minimum=low, maximum=high)
            return self._entry(None, amount)
        qty = f.number("quantity", d.quantity, places=8,
                       minimum=info.min_quantity or Decimal("0.00000001"),
                       maximum=info.max_quantity or MAX_SHARES * 100,
                       step=info.lot_size if info.lot_size and info.lot_size > 0 else None)
        facts = self._entry(qty)
        price = facts.limit_price or info.last_price
        if qty is not None and price:
            crypto_rules(f, qty, price, symbol=info.symbol, low=low, high=high, side=d.side,
                         held=self._held(), last=info.last_price)
        return facts

    def _event(self) -> OrderFacts:
        d, f, info, cap = self.d, self.f, self.info, self.cap
        assert cap is not None
        outcome = d.event_outcome
        if outcome is None or not outcome.known:
            f.fail("event_outcome", "Choose Yes or No")
        most = min(m for m in (cap.max_quantity, info.max_quantity) if m is not None)
        qty = f.number("quantity", d.quantity, places=2 if info.fractionable else 0,
                       maximum=most)
        held = self._held()
        if d.side is Side.SELL and self.position is not None and outcome is not None:
            name = outcome.value.title()
            if held is None or held <= 0:
                f.fail("side", f"You hold no {name} contracts of {info.symbol}; event contracts "
                               "are sold only to close a position")
            elif qty is not None and qty > held:
                f.fail("quantity", f"You hold {format_plain(held, self.fmt)} {name} contracts")
        return self._entry(qty, extra={"event_outcome": outcome})

    # ------------------------------------------------------------------ the request
    def _assemble(self, ids: TicketIds, facts: OrderFacts | None) -> BuildResult:
        specs = self.orders
        if len(ids.order_ids) < len(specs):
            return BuildResult(None, {"order": f"{len(specs)} orders need {len(specs)} ids"})
        try:
            orders = tuple(NewOrder(client_order_id=ids.order_ids[i], **{
                k: v for k, v in spec.items() if not k.startswith("_")})
                for i, spec in enumerate(specs))
            combo = ids.combo_id if len(orders) > 1 or \
                orders[0].combo_type is not ComboType.NORMAL else None
            request = OrderRequest(self.account.account_id, orders, combo)
        except ValidationError as exc:
            return BuildResult(None, _validation_errors(exc))
        except ValueError as exc:
            return BuildResult(None, {"order": str(exc)})
        return BuildResult(request, {}, facts, order_words(orders, self.account, self.fmt))


def _validation_errors(exc: ValidationError) -> dict[str, str]:
    """A request the checks let through but the wire model refused: said per field."""
    out: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "order"
        out.setdefault(name, error["msg"])
    return out
