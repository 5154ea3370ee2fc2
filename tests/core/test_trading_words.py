"""The desk's words and figures that need no broker: links in Webull's messages, failures in
plain words, whether an order opens a position, and which orders a cancel-all sends."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.core.journal import IntentState
from app.core.order_request import OrderRequest
from app.core.portfolio import Portfolio
from app.core.rows import order_rows
from app.core.trading_changes import cancel_targets
from app.core.trading_words import (
    buying_power_after,
    links_in,
    opens,
    refusal,
    write_state,
)
from app.webull.errors import (
    AuthError,
    BusinessRejectionError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from app.webull.models import NewOrder, OrderGroup
from tests.core.trading_fakes import group


def order(side: str = "BUY", kind: str = "EQUITY", **extra: str) -> NewOrder:
    fields: dict[str, object] = {
        "client_order_id": uuid.uuid4().hex, "symbol": "AAPL", "instrument_type": kind,
        "order_type": "MARKET", "quantity": "1", "side": side, "time_in_force": "DAY"}
    if kind == "OPTION":
        fields |= {"option_strategy": "SINGLE", "legs": [{
            "side": side, "quantity": "1", "instrument_type": "OPTION", "symbol": "AAPL",
            "strike_price": "200", "option_expire_date": "2026-12-18", "option_type": "CALL"}]}
    return NewOrder.model_validate({**fields, **extra})


@pytest.mark.parametrize(("text", "links"), [
    ("Sign it at https://www.webull.com/agreement/options.", (
        "https://www.webull.com/agreement/options",)),
    ("See (https://a.example/x?y=1) and https://a.example/x?y=1, then http://b.example/z",
     ("https://a.example/x?y=1", "http://b.example/z")),
    ("no link here; not even www.example.com", ()),
    (None, ()),
])
def test_links_in_webulls_messages(text: str | None, links: tuple[str, ...]) -> None:
    assert links_in(text) == links


def test_failures_in_words_and_what_they_mean_for_the_order() -> None:
    refused = BusinessRejectionError("Insufficient buying power.", status=417,
                                     error_code="OPENAPI_NO_BP")
    assert refusal(refused, "cancel") == (
        "Webull refused the cancel [OPENAPI_NO_BP]: Insufficient buying power.", "OPENAPI_NO_BP")
    assert write_state(refused) is IntentState.REJECTED
    lost = OutcomeUnknownError("no answer", cause=TransportError("x", request_sent=True))
    assert write_state(lost) is IntentState.UNKNOWN
    assert write_state(ServerError("down", status=500)) is IntentState.UNKNOWN
    assert write_state(RateLimitedError("slow", status=429)) is IntentState.ABSENT
    assert write_state(AuthError("expired", status=401)) is IntentState.ABSENT
    assert write_state(TransportError("refused", request_sent=False)) is IntentState.ABSENT
    assert "reconnect" in refusal(AuthError("expired", status=401), "modify")[0]


@pytest.mark.parametrize(("new", "held", "expected"), [
    (order("BUY"), None, True),
    (order("SHORT"), None, True),
    (order("SELL"), Decimal(10), False),  # sells what is held
    (order("BUY"), Decimal(-10), False),  # buys back a short
    (order("SELL"), None, None),  # cannot tell
    (order("SELL", "FUTURES", symbol="ESZ6"), None, True),  # a futures sell opens a short
    (order("SELL", "OPTION", position_intent="SELL_TO_OPEN"), None, True),
    (order("BUY", "OPTION", position_intent="BUY_TO_CLOSE"), None, False),
])
def test_whether_an_order_opens_a_position(new: NewOrder, held: Decimal | None,
                                           expected: bool | None) -> None:
    assert opens(new, held) is expected


def test_buying_power_after_only_when_it_can_be_known() -> None:
    request = OrderRequest("A1", (order("BUY"),))
    empty = Portfolio().positions("A1")
    assert buying_power_after(Decimal(1000), Decimal(100), request, empty)[0] == Decimal(900)
    assert buying_power_after(None, Decimal(100), request, empty)[0] is None
    assert buying_power_after(Decimal(1000), None, request, empty)[0] is None
    unclear = OrderRequest("A1", (order("SELL"),))
    after, basis = buying_power_after(Decimal(1000), Decimal(100), unclear, empty)
    assert after is None and "cannot tell" in basis


def test_cancel_all_sends_one_cancel_per_working_group() -> None:
    bracket = OrderGroup.model_validate({
        "client_order_id": "b" * 32, "combo_order_id": "C1", "combo_type": "OTOCO",
        "orders": [group("1" * 32).orders[0].model_dump(mode="json"),
                   group("2" * 32).orders[0].model_dump(mode="json")]})
    rows = order_rows([group("3" * 32, status="CANCELLED"), bracket, group("4" * 32)])
    assert cancel_targets(rows) == ("1" * 32, "4" * 32)
