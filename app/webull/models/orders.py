"""Orders: what Webull returns (order groups, preview, write and batch results) and the
request items the client sends (new, modified and batch orders).

Open orders, order history and order detail all return the same *group* shape: a combo (or a
single order) with its member orders. Request items validate their structure at construction
and turn into Webull's JSON with ``to_wire()``; the client wraps them in the envelope.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ._types import (
    AlgoType,
    ComboType,
    Dec,
    EmptyIsNone,
    EntrustType,
    EventOutcome,
    EventTradeMode,
    InstrumentType,
    LegInOrOut,
    Market,
    NullIsEmpty,
    OpenEnum,
    OptClockTime,
    OptDate,
    OptDec,
    OptEpochMs,
    OptionCategory,
    OptionStrategy,
    OptionType,
    OptPosDec,
    OptStr,
    OptUtcDatetime,
    OptWholeNumber,
    OrderStatus,
    OrderType,
    PosDec,
    PositionIntent,
    ResponseModel,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
    UtcDatetime,
    WholeNumber,
    validated_by,
    wire_value,
)

# ------------------------------------------------------------------ responses


class OrderLeg(ResponseModel):
    """A leg of an option order; ``id`` is what a replace refers to."""

    id: str
    symbol: str
    side: Side
    quantity: Dec
    option_type: Annotated[OptionType | None, EmptyIsNone] = None
    option_category: Annotated[OptionCategory | None, EmptyIsNone] = None
    strike_price: OptDec = None
    option_contract_multiplier: OptDec = None
    option_contract_deliverable: OptDec = None
    option_expire_date: OptDate = None
    instrument_type: Annotated[InstrumentType | None, EmptyIsNone] = None


class Commission(ResponseModel):
    actual_commission: OptDec = None
    receivable_commission: OptDec = None


class Fee(ResponseModel):
    type: str  # e.g. FINRA_CAT_REGULATORY_FEE
    actual_value: OptDec = None
    receivable_value: OptDec = None


class OrderItem(ResponseModel):
    """One order as Webull reports it (OrderDetailItem).

    ``filled_price`` is the average fill price. ``place_time``/``filled_time`` are Webull's
    deprecated epoch twins of ``place_time_at``/``filled_time_at``.
    """

    client_order_id: str
    order_id: str
    symbol: str
    side: Side
    status: OrderStatus
    order_type: OrderType
    time_in_force: TimeInForce
    entrust_type: EntrustType
    total_quantity: OptDec = None
    place_time_at: UtcDatetime
    instrument_type: Annotated[InstrumentType | None, EmptyIsNone] = None
    support_trading_session: Annotated[TradingSession | None, EmptyIsNone] = None
    expire_date: OptDate = None
    filled_quantity: OptDec = None
    filled_price: OptDec = None
    limit_price: OptDec = None
    stop_price: OptDec = None
    total_cash_amount: OptDec = None
    trailing_type: Annotated[TrailingType | None, EmptyIsNone] = None
    trailing_stop_step: OptDec = None
    place_time: OptEpochMs = None
    filled_time: OptEpochMs = None
    filled_time_at: OptUtcDatetime = None
    algo_type: Annotated[AlgoType | None, EmptyIsNone] = None
    target_vol_percent: OptDec = None
    max_target_percent: OptDec = None
    algo_start_time: OptClockTime = None
    algo_end_time: OptClockTime = None
    event_outcome: Annotated[EventOutcome | None, EmptyIsNone] = None
    event_trade_mode: Annotated[EventTradeMode | None, EmptyIsNone] = None
    position_intent: Annotated[PositionIntent | None, EmptyIsNone] = None
    leg_in_or_out: Annotated[LegInOrOut | None, EmptyIsNone] = None
    position_id: OptStr = None
    leg_in_strategy: Annotated[OptionStrategy | None, EmptyIsNone] = None
    option_strategy: Annotated[OptionStrategy | None, EmptyIsNone] = None
    legs: Annotated[tuple[OrderLeg, ...], NullIsEmpty] = ()
    commission: Commission | None = None
    fees: Annotated[tuple[Fee, ...], NullIsEmpty] = ()


class OrderGroup(ResponseModel):
    """A single order or a combo with its member orders (open orders, history, detail).

    Ids Webull sends as "" (``client_order_id`` of a combo, ``combo_order_id`` of a plain
    order) are None.
    """

    client_order_id: OptStr = None
    combo_order_id: OptStr = None
    combo_type: ComboType
    orders: tuple[OrderItem, ...]


class PreviewResult(ResponseModel):
    """Estimated cost (for futures: initial margin) and fees of a previewed order."""

    estimated_cost: Dec
    estimated_transaction_fee: Dec


class WriteResult(ResponseModel):
    """Acknowledgement of place/replace/cancel: order ids for a single order, combo ids for a
    combo. Acceptance is asynchronous; the order's fate comes from detail or the lists."""

    client_order_id: OptStr = None
    order_id: OptStr = None
    client_combo_order_id: OptStr = None
    combo_order_id: OptStr = None


class BatchOrderResult(ResponseModel):
    """One batch item: ``order_id`` on success, ``error_code`` and ``message`` on failure."""

    client_order_id: OptStr = None
    order_id: OptStr = None
    error_code: OptStr = None
    message: OptStr = None

    @property
    def ok(self) -> bool:
        return self.order_id is not None and self.error_code is None


class BatchPlaceResult(ResponseModel):
    """Batch placement answer: per-order outcomes inside an HTTP 200."""

    total: WholeNumber
    success: WholeNumber
    failed: WholeNumber
    batch_orders: Annotated[tuple[BatchOrderResult, ...], NullIsEmpty] = ()


ORDER_GROUP: TypeAdapter[OrderGroup] = TypeAdapter(OrderGroup)


def decode_order_group(obj: Any) -> OrderGroup:
    """The decoded JSON of an order detail response → its group."""
    return ORDER_GROUP.validate_python(obj)


# ------------------------------------------------------------------ requests

Problem = tuple[str, str]
"""(field name, message) of a structural error in a request."""


class RequestModel(BaseModel):
    """A request body item: immutable, strict about unknown keyword arguments and enum values.

    Subclasses list structural errors in ``_problems``; ``to_wire()`` gives the JSON Webull
    expects (decimals as plain-notation strings, enum values, None fields left out).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: fields whose values must be one of these members (beyond being a known member)
    _allowed: ClassVar[dict[str, frozenset[OpenEnum]]] = {}

    def _problems(self) -> list[Problem]:
        return []

    @model_validator(mode="after")
    def _check_structure(self) -> Self:
        found: list[Problem] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, OpenEnum):
                allowed = self._allowed.get(name)
                if not value.known or (allowed is not None and value not in allowed):
                    choices = ", ".join(sorted(m.value for m in (allowed or type(value))))
                    found.append((name, f"must be one of {choices}"))
        found.extend(self._problems())
        if found:  # one error per problem, each located at its field
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("invalid_request", message),
                                 loc=(name,), input=getattr(self, name))
                for name, message in found
            ])
        return self

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                out[name] = wire_value(value)
        return out


_CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_SYMBOL = re.compile(r"[!-+\--~]{1,64}")  # printable ASCII without space and comma


def check_client_order_id(value: Any) -> str:
    """A client_order_id as Webull takes it: 1–32 ASCII letters or digits."""
    if type(value) is str and _CLIENT_ORDER_ID.fullmatch(value):
        return value
    raise ValueError("must be 1 to 32 ASCII letters or digits")


def check_symbol(value: Any) -> str:
    """A symbol of any class: 1–64 printable ASCII characters, no space or comma."""
    if type(value) is str and _SYMBOL.fullmatch(value):
        return value
    raise ValueError("must be 1 to 64 printable ASCII characters, without spaces or commas")


#: caller-chosen order id, unique per account: 1–32 ASCII letters and digits
ClientOrderId = Annotated[str, validated_by(check_client_order_id)]
#: a ticker, OCC option symbol, futures contract or event market symbol
Symbol = Annotated[str, validated_by(check_symbol)]

_LIMIT_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.LIMIT_ON_OPEN})
_STOP_TYPES = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})
_ALGO_FIELDS = ("target_vol_percent", "max_target_percent", "algo_start_time", "algo_end_time")
_MAX_ALGO_PERCENT = 20


def _algo_and_trailing(item: Any, problems: list[Problem]) -> None:
    """Checks shared by new and modified orders."""
    for name in ("target_vol_percent", "max_target_percent"):
        value = getattr(item, name)
        if value is not None and not 1 <= value <= _MAX_ALGO_PERCENT:
            problems.append((name, f"must be a whole number from 1 to {_MAX_ALGO_PERCENT}"))
    start, end = item.algo_start_time, item.algo_end_time
    if start is not None and end is not None and start >= end:
        problems.append(("algo_end_time", "must be after algo_start_time"))
    step = item.trailing_stop_step
    if item.trailing_type is TrailingType.PERCENTAGE and step is not None and step > 1:
        problems.append(("trailing_stop_step",
                         "a PERCENTAGE step is a fraction (0.01 = 1 %) and at most 1"))


class NewOrderLeg(RequestModel):
    """A leg of an option order. ``symbol`` is the underlying; an OPTION leg names its
    contract by strike, expiry and type, an EQUITY leg (covered stock, collar) does not."""

    _allowed: ClassVar[dict[str, frozenset[OpenEnum]]] = {
        "instrument_type": frozenset({InstrumentType.EQUITY, InstrumentType.OPTION}),
    }

    side: Side
    quantity: OptPosDec = None
    market: Market = Market.US
    instrument_type: InstrumentType
    symbol: Symbol
    strike_price: OptPosDec = None
    option_expire_date: OptDate = None
    option_type: OptionType | None = None

    def _problems(self) -> list[Problem]:
        contract = ("strike_price", "option_expire_date", "option_type")
        if self.instrument_type is InstrumentType.OPTION:
            return [(f, "required for an OPTION leg") for f in contract
                    if getattr(self, f) is None]
        return [(f, "only OPTION legs name a contract") for f in contract
                if getattr(self, f) is not None]


class NewOrder(RequestModel):
    """One ``new_orders`` item for preview and place.

    Structural rules the wire format needs are checked here (a LIMIT order has a
    ``limit_price``, a QTY order a ``quantity``, an OPTION order ``legs``, …); which
    combinations a given account and instrument accept is left to the caller and Webull.
    """

    client_order_id: ClientOrderId
    combo_type: ComboType = ComboType.NORMAL
    symbol: Symbol
    instrument_type: InstrumentType
    market: Market = Market.US
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    entrust_type: EntrustType = EntrustType.QTY
    support_trading_session: TradingSession | None = None
    quantity: OptPosDec = None
    total_cash_amount: OptPosDec = None
    limit_price: OptPosDec = None
    stop_price: OptPosDec = None
    expire_date: OptDate = None
    trailing_type: TrailingType | None = None
    trailing_stop_step: OptPosDec = None
    current_ask: OptPosDec = None
    current_bid: OptPosDec = None
    algo_type: AlgoType | None = None
    target_vol_percent: OptWholeNumber = None
    max_target_percent: OptWholeNumber = None
    algo_start_time: OptClockTime = None
    algo_end_time: OptClockTime = None
    event_outcome: EventOutcome | None = None
    event_trade_mode: EventTradeMode | None = None
    option_strategy: OptionStrategy | None = None
    position_intent: PositionIntent | None = None
    leg_in_or_out: LegInOrOut | None = None
    position_id: OptStr = None
    leg_in_strategy: OptionStrategy | None = None
    legs: tuple[NewOrderLeg, ...] | None = None

    def _problems(self) -> list[Problem]:
        p: list[Problem] = []
        kind, it = self.order_type, self.instrument_type
        by_mode = self.event_trade_mode is not None  # marketable event order: no limit price
        if kind in _LIMIT_TYPES and self.limit_price is None and not by_mode:
            p.append(("limit_price", f"required for {kind.value} orders"))
        elif kind.known and kind not in _LIMIT_TYPES and self.limit_price is not None:
            p.append(("limit_price", f"not used by {kind.value} orders"))
        if kind in _STOP_TYPES and self.stop_price is None:
            p.append(("stop_price", f"required for {kind.value} orders"))
        elif kind.known and kind not in _STOP_TYPES and self.stop_price is not None:
            p.append(("stop_price", f"not used by {kind.value} orders"))
        trailing = kind is OrderType.TRAILING_STOP_LOSS
        for name in ("trailing_type", "trailing_stop_step"):
            if trailing and getattr(self, name) is None:
                p.append((name, "required for TRAILING_STOP_LOSS orders"))
            elif kind.known and not trailing and getattr(self, name) is not None:
                p.append((name, "only for TRAILING_STOP_LOSS orders"))
        gtd = self.time_in_force is TimeInForce.GTD
        if gtd != (self.expire_date is not None):
            p.append(("expire_date", "required for GTD orders" if gtd else "only for GTD orders"))
        self._amounts(p, by_mode)
        if self.algo_type is None:
            p.extend((f, "needs algo_type") for f in _ALGO_FIELDS if getattr(self, f) is not None)
        _algo_and_trailing(self, p)
        if it is InstrumentType.OPTION:
            if not self.legs:
                p.append(("legs", "required for OPTION orders (at least one leg)"))
            if self.option_strategy is None:
                p.append(("option_strategy", "required for OPTION orders"))
        elif it.known:
            for name in ("legs", "option_strategy", "position_intent"):
                if getattr(self, name) is not None:
                    p.append((name, "only for OPTION orders"))
        if it is InstrumentType.EVENT:
            if self.event_outcome is None:
                p.append(("event_outcome", "required for EVENT orders"))
        elif it.known:
            for name in ("event_outcome", "event_trade_mode"):
                if getattr(self, name) is not None:
                    p.append((name, "only for EVENT orders"))
        return p

    def _amounts(self, p: list[Problem], by_mode: bool) -> None:
        qty, cash = self.quantity, self.total_cash_amount
        if by_mode:
            if qty is None and cash is None:
                p.append(("quantity", "an event_trade_mode order needs quantity or "
                                      "total_cash_amount"))
        elif self.entrust_type is EntrustType.QTY:
            if qty is None:
                p.append(("quantity", "required when entrust_type is QTY"))
            if cash is not None:
                p.append(("total_cash_amount", "only when entrust_type is AMOUNT"))
        elif self.entrust_type is EntrustType.AMOUNT:
            if cash is None:
                p.append(("total_cash_amount", "required when entrust_type is AMOUNT"))
            if qty is not None:
                p.append(("quantity", "not used when entrust_type is AMOUNT"))


class ModifyLeg(RequestModel):
    """New quantity for one leg of an option order (``id`` from order detail)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: PosDec


class ModifyOrder(RequestModel):
    """One ``modify_orders`` item for replace: the order's id and only what changes."""

    client_order_id: ClientOrderId
    time_in_force: TimeInForce | None = None
    stop_price: OptPosDec = None
    limit_price: OptPosDec = None
    quantity: OptPosDec = None
    order_type: OrderType | None = None
    trailing_type: TrailingType | None = None
    trailing_stop_step: OptPosDec = None
    target_vol_percent: OptWholeNumber = None
    max_target_percent: OptWholeNumber = None
    algo_start_time: OptClockTime = None
    algo_end_time: OptClockTime = None
    legs: tuple[ModifyLeg, ...] | None = None

    def _problems(self) -> list[Problem]:
        p: list[Problem] = []
        changes = [n for n in type(self).model_fields
                   if n != "client_order_id" and getattr(self, n) is not None]
        if not changes:
            p.append(("client_order_id", "a replace must change at least one field"))
        if self.legs is not None and not self.legs:
            p.append(("legs", "must not be empty (leave it out instead)"))
        _algo_and_trailing(self, p)
        return p


class BatchOrder(RequestModel):
    """One ``batch_orders`` item. Batches take only simple stock orders: EQUITY, NORMAL,
    QTY, MARKET or LIMIT, BUY or SELL, DAY."""

    _allowed: ClassVar[dict[str, frozenset[OpenEnum]]] = {
        "combo_type": frozenset({ComboType.NORMAL}),
        "instrument_type": frozenset({InstrumentType.EQUITY}),
        "entrust_type": frozenset({EntrustType.QTY}),
        "order_type": frozenset({OrderType.MARKET, OrderType.LIMIT}),
        "side": frozenset({Side.BUY, Side.SELL}),
        "time_in_force": frozenset({TimeInForce.DAY}),
    }

    client_order_id: ClientOrderId
    combo_type: ComboType = ComboType.NORMAL
    instrument_type: InstrumentType = InstrumentType.EQUITY
    entrust_type: EntrustType = EntrustType.QTY
    support_trading_session: TradingSession
    symbol: Symbol
    market: Market = Market.US
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce = TimeInForce.DAY
    quantity: PosDec
    limit_price: OptPosDec = None

    def _problems(self) -> list[Problem]:
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            return [("limit_price", "required for LIMIT orders")]
        if self.order_type is OrderType.MARKET and self.limit_price is not None:
            return [("limit_price", "not used by MARKET orders")]
        return []
