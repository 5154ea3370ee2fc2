"""The trading desk against the simulator: preview, place, modify and cancel a stock order,
a bracket in one call, crypto on a local estimate, cancel-all behind its phrase, and Webull's
refusals in words (the rig is in trading_rig.py, shared with the fault suite)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.core.journal import IntentState
from app.core.order_request import OrderRequest
from app.core.trading import PreviewError
from app.webull.models import ModifyOrder, NewOrder
from tests.e2e.trading_rig import Rig, limit_buy, started
from tests.fakes import Recorder


async def test_place_modify_and_cancel_a_stock_order(rig: Rig, recorder: Recorder) -> None:
    desk = await started(rig)
    request = OrderRequest(rig.margin, (limit_buy("1.00", "2"),))
    preview = await desk.preview(request, None, None, ("Buy 2 AAPL limit 1.00",))
    assert preview.quote is not None and preview.quote.estimated_cost >= Decimal("2.00")
    assert preview.buying_power_before is not None
    assert preview.buying_power_after == preview.buying_power_before - (
        preview.quote.estimated_cost + preview.quote.estimated_transaction_fee)
    placed = await desk.submit(preview, acknowledged=False)
    assert placed.state is IntentState.ACCEPTED and rig.at_sim(request.key) == 1

    (item,) = (await rig.client.get_order(rig.margin, request.key)).orders
    change = ModifyOrder(client_order_id=request.key, limit_price=Decimal("1.05"))
    standing = OrderRequest(rig.margin, (limit_buy("1.05", "2"),))
    changed = await desk.preview_modify(item, change, standing, ("Limit 1.00 → 1.05",))
    assert (await desk.modify(changed, change)).state is IntentState.ACCEPTED
    (item,) = (await rig.client.get_order(rig.margin, request.key)).orders
    assert item.limit_price == Decimal("1.05")

    cancelled = await desk.cancel(rig.margin, request.key)
    assert cancelled.state is IntentState.ACCEPTED and rig.status(request.key) == "CANCELLED"
    assert [e["event"] for e in rig.journal.audit("demo")] == [
        "preview", "intent:place", "sent", "accepted", "preview:modify", "modify:request",
        "modify:accepted", "cancel:request", "cancel:accepted"]
    assert rig.wire.places == 1


async def test_a_bracket_goes_in_one_call(rig: Rig) -> None:
    desk = await started(rig)

    def leg(**fields: str) -> NewOrder:
        return NewOrder(client_order_id=uuid.uuid4().hex, symbol="MSFT",
                        instrument_type="EQUITY", quantity="1", time_in_force="DAY",
                        support_trading_session="CORE", **fields)  # type: ignore[arg-type]

    request = OrderRequest(rig.margin, (
        leg(combo_type="MASTER", side="BUY", order_type="LIMIT", limit_price="1.00"),
        leg(combo_type="STOP_PROFIT", side="SELL", order_type="LIMIT", limit_price="2.00"),
        leg(combo_type="STOP_LOSS", side="SELL", order_type="STOP_LOSS", stop_price="0.50"),
    ), uuid.uuid4().hex)
    preview = await desk.preview(request, None, None, ())
    result = await desk.submit(preview, acknowledged=False)
    assert result.state is IntentState.ACCEPTED and result.intent.order_id
    assert all(rig.at_sim(o.client_order_id) == 1 for o in request.orders)
    assert rig.wire.places == 1


async def test_crypto_trades_on_a_local_estimate(rig: Rig) -> None:
    from app.core.ticket import InstrumentInfo
    from app.webull.models import InstrumentType

    desk = await started(rig)
    order = NewOrder(client_order_id=uuid.uuid4().hex, symbol="BTCUSD",
                     instrument_type="CRYPTO", order_type="MARKET", quantity="0.001",
                     side="BUY", time_in_force="IOC")
    request = OrderRequest(rig.accounts["CRYPTO"], (order,))
    btc = InstrumentInfo(InstrumentType.CRYPTO, "BTCUSD", last_price=Decimal(115000))
    preview = await desk.preview(request, None, btc, ())  # Webull would refuse a preview
    assert preview.quote is None and preview.estimate is not None
    assert (await desk.submit(preview, acknowledged=False)).state is IntentState.ACCEPTED
    assert rig.at_sim(order.client_order_id) == 1


async def test_cancel_all_working_orders(rig: Rig) -> None:
    desk = await started(rig)
    keys = []
    for price in ("1.00", "1.01", "1.02"):
        request = OrderRequest(rig.margin, (limit_buy(price),))
        await desk.submit(await desk.preview(request, None, None, ()), acknowledged=False)
        keys.append(request.key)
    await rig.refresh_open_orders(rig.margin)
    phrase = desk.cancel_all_phrase(rig.margin)
    with pytest.raises(ValueError, match="Nothing was cancelled"):
        await desk.cancel_all(rig.margin, "yes")
    assert all(rig.status(k) != "CANCELLED" for k in keys)
    results = await desk.cancel_all(rig.margin, phrase.lower())
    assert all(r.state is IntentState.ACCEPTED for r in results)
    assert all(rig.status(k) == "CANCELLED" for k in keys)


async def test_webulls_refusal_in_words(rig: Rig) -> None:
    desk = await started(rig)
    request = OrderRequest(rig.margin, (limit_buy(symbol="NOSUCHSYM"),))
    with pytest.raises(PreviewError) as refused:
        await desk.preview(request, None, None, ())
    assert refused.value.code and refused.value.message.startswith(
        f"Webull refused the preview [{refused.value.code}]")
    assert rig.wire.places == 0
