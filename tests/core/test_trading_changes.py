"""The desk's previews, modifies, cancels and audit export, against a scripted broker: Webull's
quote or a labelled local estimate, buying power and position after, refusals in words with
links, a change bound to its preview, cancel-all behind a typed phrase."""

from __future__ import annotations

import asyncio
import csv
from decimal import Decimal
from pathlib import Path

import pytest

from app.core.events import EventBus
from app.core.journal import IntentState, OrderJournal
from app.core.order_request import OrderRequest
from app.core.portfolio import Portfolio
from app.core.precautions import Severity
from app.core.trading import (
    DeskState,
    PreviewError,
    SubmitRefused,
    TradeEvent,
    TradingDesk,
)
from app.webull.errors import (
    BusinessRejectionError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from app.webull.models import ModifyOrder, OrderGroup
from tests.core.trading_fakes import (
    ACCOUNT,
    BTC,
    Broker,
    Clock,
    Sleeps,
    crypto,
    fake_estimate,
    filled_portfolio,
    group,
    stock,
)
from tests.fakes import Recorder


@pytest.fixture
async def started(desk: TradingDesk) -> TradingDesk:
    await desk.start()
    assert desk.state is DeskState.READY
    return desk


def events(journal: OrderJournal) -> list[str]:
    return [e["event"] for e in journal.audit("demo")]


# ------------------------------------------------------------------ preview


async def test_a_preview_needs_a_ready_desk(desk: TradingDesk, broker: Broker) -> None:
    with pytest.raises(PreviewError, match="not connected"):
        await desk.preview(stock(), None, None, ())
    assert broker.count("preview_order") == 0


async def test_a_stock_preview_shows_webulls_quote_and_what_changes(
        started: TradingDesk, journal: OrderJournal) -> None:
    preview = await started.preview(stock(qty="10"), None, None, ("Buy 10 AAPL",))
    assert preview.quote is not None and preview.estimate is None
    assert preview.buying_power_before == Decimal(50000)
    assert preview.buying_power_after == Decimal(50000) - Decimal("1872.52")
    assert "opens or adds" in preview.buying_power_basis
    assert (preview.position_before, preview.position_after) == (Decimal(5), Decimal(15))
    assert preview.words == ("Buy 10 AAPL",) and preview.kind == "place"
    (entry,) = journal.audit("demo")
    assert entry["event"] == "preview" and entry["client_order_id"] == preview.request.key
    assert entry["payload"]["response"]["estimated_cost"] == "1872.50"


async def test_closing_a_position_does_not_guess_buying_power(started: TradingDesk) -> None:
    preview = await started.preview(stock(qty="5", side="SELL"), None, None, ())
    assert preview.buying_power_after is None and "closes or reduces" in \
        preview.buying_power_basis
    assert (preview.position_before, preview.position_after) == (Decimal(5), Decimal(0))


async def test_crypto_is_estimated_locally_without_calling_webull(started: TradingDesk,
                                                                   broker: Broker) -> None:
    preview = await started.preview(crypto(), None, BTC, ())
    assert broker.count("preview_order") == 0
    assert preview.quote is None and preview.estimate is not None
    assert preview.estimate.cost == Decimal("600.00")
    assert preview.buying_power_after == Decimal(50000) - Decimal("601.50")
    assert preview.binding.result is preview.estimate


async def test_a_refused_preview_says_why_with_code_and_links(
        started: TradingDesk, broker: Broker, journal: OrderJournal) -> None:
    broker.fail("preview_order", BusinessRejectionError(
        "Overnight trading needs the agreement at https://www.webull.com/night-agreement",
        status=417, error_code="OPENAPI_NO_NIGHT_TRADING_TIME"))
    with pytest.raises(PreviewError) as refused:
        await started.preview(stock(), None, None, ())
    assert refused.value.code == "OPENAPI_NO_NIGHT_TRADING_TIME"
    assert refused.value.message.startswith(
        "Webull refused the preview [OPENAPI_NO_NIGHT_TRADING_TIME]: Overnight trading")
    assert refused.value.links == ("https://www.webull.com/night-agreement",)
    assert journal.audit("demo")[-1]["payload"]["outcome"] == "refused"
    broker.fail("preview_order", RateLimitedError("Rate limit exceeded", status=429,
                                                  retry_after=3))
    with pytest.raises(PreviewError, match="slow down.*again in 3 s"):
        await started.preview(stock(), None, None, ())


# ------------------------------------------------------------------ modify


def working(portfolio: Portfolio, *groups: OrderGroup) -> None:
    portfolio.apply_open_orders(ACCOUNT, list(groups))


async def test_a_change_is_previewed_bound_and_sent_once(
        started: TradingDesk, broker: Broker, journal: OrderJournal, clock: Clock,
        recorder: Recorder) -> None:
    item = group("a" * 32).orders[0]
    change = ModifyOrder(client_order_id=item.client_order_id, limit_price=Decimal("186.50"))
    as_it_would_stand = stock(price="186.50")
    preview = await started.preview_modify(item, change, as_it_would_stand,
                                           ("Limit 187.25 → 186.50",))
    assert preview.kind == "modify" and preview.quote is not None
    assert broker.calls[-1] == ("preview_order", [as_it_would_stand.key])
    other = ModifyOrder(client_order_id=item.client_order_id, limit_price=Decimal(180))
    with pytest.raises(SubmitRefused, match="changed since it was previewed"):
        await started.modify(preview, other)
    new_order = await started.preview(stock(), None, None, ())
    with pytest.raises(SubmitRefused, match="of a new order, not of a change"):
        await started.modify(new_order, change)
    result = await started.modify(preview, change)
    assert result.state is IntentState.ACCEPTED and result.intent.action == "replace"
    assert broker.calls[-1] == ("replace_order", [change.to_wire()])
    assert events(journal) == ["preview:modify", "preview", "modify:request", "modify:accepted"]
    assert recorder.of(TradeEvent)[-1].action == "modify"
    clock.advance(40)
    with pytest.raises(SubmitRefused, match="40 s old"):
        await started.modify(preview, change)
    assert broker.count("replace_order") == 1


async def test_a_change_webull_will_not_quote_as_a_new_order_is_advised_not_refused(
        started: TradingDesk, broker: Broker) -> None:
    item = group("b" * 32).orders[0]
    change = ModifyOrder(client_order_id=item.client_order_id, quantity=Decimal(12))
    broker.fail("preview_order", BusinessRejectionError(
        "Insufficient day buying power", status=417,
        error_code="OAUTH_OPENAPI_DAY_BUYING_POWER_INSUFFICIENT"))
    preview = await started.preview_modify(item, change, stock(qty="12"), ())
    assert preview.quote is None and not preview.blocked
    (finding,) = preview.findings
    assert finding.check == "change_not_quoted" and finding.severity is Severity.ADVISE
    assert "Insufficient day buying power" in finding.message
    with pytest.raises(SubmitRefused, match="acknowledge|warning"):
        await started.modify(preview, change)
    assert (await started.modify(preview, change, acknowledged=True)).state \
        is IntentState.ACCEPTED
    # Webull out of reach is not a rule: nothing to acknowledge, the preview fails
    broker.fail("preview_order", ServerError("Internal Server Error", status=500))
    with pytest.raises(PreviewError):
        await started.preview_modify(item, change, stock(qty="12"), ())


async def test_one_change_per_order_at_a_time(started: TradingDesk, broker: Broker) -> None:
    item = group("b" * 32).orders[0]
    change = ModifyOrder(client_order_id=item.client_order_id, quantity=Decimal(5))
    preview = await started.preview_modify(item, change, stock(qty="5"), ())
    hold = asyncio.Event()
    original = broker.replace_order

    async def slow(*args: object, **kwargs: object) -> object:
        await hold.wait()
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    broker.replace_order = slow  # type: ignore[method-assign]
    first = asyncio.ensure_future(started.modify(preview, change))
    await asyncio.sleep(0)
    with pytest.raises(SubmitRefused, match="under way already"):
        await started.modify(preview, change)
    hold.set()
    assert (await first).state is IntentState.ACCEPTED


async def test_crypto_orders_cannot_be_modified(started: TradingDesk, broker: Broker) -> None:
    item = OrderGroup.model_validate({**group("c" * 32).model_dump(mode="json"), "orders": [
        {**group("c" * 32).orders[0].model_dump(mode="json"), "instrument_type": "CRYPTO"}]}
    ).orders[0]
    change = ModifyOrder(client_order_id=item.client_order_id, quantity=Decimal(1))
    with pytest.raises(PreviewError, match="Crypto orders cannot be modified"):
        await started.preview_modify(item, change, crypto(), ())
    assert broker.count("preview_order") == 0


async def test_a_refused_change_keeps_webulls_words(started: TradingDesk,
                                                    broker: Broker) -> None:
    item = group("d" * 32).orders[0]
    change = ModifyOrder(client_order_id=item.client_order_id, limit_price=Decimal(1))
    preview = await started.preview_modify(item, change, stock(price="1"), ())
    broker.fail("replace_order", BusinessRejectionError("the order is already FILLED",
                                                        status=417,
                                                        error_code="OPENAPI_PARAM_ERR"))
    result = await started.modify(preview, change)
    assert result.state is IntentState.REJECTED
    assert result.message == "Webull refused the modify [OPENAPI_PARAM_ERR]: the order is " \
                             "already FILLED."


# ------------------------------------------------------------------ cancel


async def test_cancel_outcomes_in_words(started: TradingDesk, broker: Broker,
                                        journal: OrderJournal) -> None:
    done = await started.cancel(ACCOUNT, "e" * 32)
    assert done.state is IntentState.ACCEPTED and broker.calls[-1] == ("cancel_order", "e" * 32)
    assert events(journal)[-2:] == ["cancel:request", "cancel:accepted"]
    broker.fail("cancel_order", OutcomeUnknownError(
        "no answer", cause=TransportError("reset", request_sent=True)))
    lost = await started.cancel(ACCOUNT, "e" * 32)
    assert lost.state is IntentState.UNKNOWN and "orders table will show" in lost.message
    broker.fail("cancel_order", TransportError("connect failed", request_sent=False))
    unsent = await started.cancel(ACCOUNT, "e" * 32)
    assert unsent.state is IntentState.ABSENT and "could not be reached" in unsent.message


async def test_cancel_all_needs_the_typed_phrase_and_goes_on_after_a_failure(
        broker: Broker, journal: OrderJournal, bus: EventBus, clock: Clock,
        sleeps: Sleeps) -> None:
    portfolio = filled_portfolio()
    desk = TradingDesk(broker, journal, bus, "demo", portfolio=portfolio,
                       estimator=fake_estimate, now=clock, sleep=sleeps)
    try:
        await desk.start()
        bracket = OrderGroup.model_validate({
            "client_order_id": "f" * 32, "combo_order_id": "C1", "combo_type": "OTOCO",
            "orders": [group("1" * 32).orders[0].model_dump(mode="json"),
                       group("2" * 32).orders[0].model_dump(mode="json")]})
        working(portfolio, group("3" * 32), bracket, group("4" * 32),
                group("5" * 32, status="FILLED"))
        # every working order listed counts (both orders of the bracket), as the dialog shows
        assert desk.cancel_all_phrase(ACCOUNT) == "CANCEL 4"
        with pytest.raises(ValueError, match='type "CANCEL 4" to cancel all 4 working orders '
                                             "of Margin ·1234"):
            await desk.cancel_all(ACCOUNT, "cancel")
        assert broker.count("cancel_order") == 0
        broker.fail("cancel_order", ServerError("Internal Server Error", status=500))
        results = await desk.cancel_all(ACCOUNT, "  cancel   4 ")
        assert [c[1] for c in broker.calls if c[0] == "cancel_order"] == [
            "3" * 32, "1" * 32, "4" * 32]  # one per combo group
        assert [r.state for r in results] == [IntentState.UNKNOWN, IntentState.ACCEPTED,
                                              IntentState.ACCEPTED]
    finally:
        await desk.aclose()


async def test_cancel_all_cancels_only_the_orders_the_trader_was_shown(
        broker: Broker, journal: OrderJournal, bus: EventBus, clock: Clock,
        sleeps: Sleeps) -> None:
    portfolio = filled_portfolio()
    desk = TradingDesk(broker, journal, bus, "demo", portfolio=portfolio,
                       estimator=fake_estimate, now=clock, sleep=sleeps)
    try:
        await desk.start()
        working(portfolio, group("3" * 32), group("4" * 32))
        shown = ("3" * 32, "4" * 32)
        phrase = desk.cancel_all_phrase(ACCOUNT, shown)
        assert phrase == "CANCEL 2"
        # an order placed meanwhile (another window): the typed phrase is for what was shown
        working(portfolio, group("3" * 32), group("4" * 32), group("6" * 32))
        assert desk.cancel_all_phrase(ACCOUNT) == "CANCEL 3"
        await desk.cancel_all(ACCOUNT, phrase, shown)
        assert [c[1] for c in broker.calls if c[0] == "cancel_order"] == ["3" * 32, "4" * 32]
    finally:
        await desk.aclose()


# ------------------------------------------------------------------ audit export


async def test_the_audit_exports_as_safe_csv(started: TradingDesk, journal: OrderJournal,
                                             tmp_path: Path) -> None:
    preview = await started.preview(stock(), None, None, ())
    await started.submit(preview, acknowledged=False)
    journal.note("demo", ACCOUNT, "g" * 32, "=HYPERLINK(\"http://evil\")", {"x": 1},
                 preview.made_at)
    path = tmp_path / "audit.csv"
    assert started.export_audit(path) == len(journal.audit("demo")) == 5
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["at", "environment", "account_id", "client_order_id", "event",
                       "payload"]
    assert [r[4] for r in rows[1:]] == ["preview", "intent:place", "sent", "accepted",
                                        "'=HYPERLINK(\"http://evil\")"]
    assert rows[1][0] == "2026-11-30T15:00:00Z"
    assert not (tmp_path / "audit.csv.part").exists()


def test_orders_requests_round_trip_for_a_resubmit() -> None:
    request = stock()
    assert OrderRequest.from_body(ACCOUNT, request.body()) == request


async def test_a_market_order_without_a_last_price_is_valued_by_webulls_quote(
        started: TradingDesk, broker: Broker) -> None:
    from app.core.precautions import OrderFacts
    from app.webull.models import OrderType, PreviewResult, Side

    # no last price (the Connect API has no quotes): the ticket cannot value a market order
    facts = OrderFacts(side=Side.BUY, order_type=OrderType.MARKET, quantity=Decimal(900))
    broker.quote = PreviewResult(estimated_cost=Decimal("207891.00"),
                                 estimated_transaction_fee=Decimal("0"))
    preview = await started.preview(stock(qty="900"), facts, None, ())
    assert preview.blocked
    assert preview.findings[0].check == "max_order_value"
    assert "207,891.00" in preview.findings[0].message
    broker.quote = PreviewResult(estimated_cost=Decimal("900.00"),
                                 estimated_transaction_fee=Decimal("0"))
    assert (await started.preview(stock(qty="900"), facts, None, ())).findings == ()


async def test_a_futures_market_order_without_a_price_says_its_value_was_not_checked(
        started: TradingDesk) -> None:
    from app.core.precautions import OrderFacts, Severity
    from app.webull.models import NewOrder, OrderType, Side

    es = NewOrder(client_order_id="f" * 32, symbol="ESZ6", instrument_type="FUTURES",
                  order_type="MARKET", quantity="2", side="BUY", time_in_force="DAY")
    facts = OrderFacts(side=Side.BUY, order_type=OrderType.MARKET, quantity=Decimal(2),
                       multiplier=Decimal(50))
    # Webull's figure for futures is the initial margin: it does not measure the order's value
    preview = await started.preview(OrderRequest(ACCOUNT, (es,)), facts, None, ())
    (finding,) = preview.findings
    assert finding.severity is Severity.ADVISE and "could not be checked" in finding.message
