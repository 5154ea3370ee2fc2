"""Event contracts in Demo — an event from the search, one of its markets, yes or no, limit
prices within the market's range; buy to open, sell to close — through the real window and
ticket against the simulator: place, fill, modify, cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from app.core.ticket import ModifyField
from app.sim import SimServer
from app.ui.main_window import MainWindow
from app.ui.ticket_window import TicketWindow
from app.webull.models import EventOutcome, InstrumentType, OrderType, Side
from tests.ui import flows

E = InstrumentType


def event_ticket(window: MainWindow, qtbot: Any, words: str, market: str) -> TicketWindow:
    """Search the event by a word of its question, take the first hit (Down, Enter), then
    choose ``market`` in the event's market list."""
    flows.show_account(window, qtbot, "EVENTS_CASH")
    ticket = flows.new_ticket(window, qtbot)
    assert ticket.draft.instrument is E.EVENT
    area = ticket.area
    edit = area.search_edit
    edit.setFocus()
    qtbot.keyClicks(edit, words)
    qtbot.waitUntil(lambda: area.search.popup_visible() and bool(area.search.hits()),
                    timeout=flows.WAIT)
    flows.shot(ticket, "event-search")
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: area.market.count() > 0 and area.info is not None,
                    timeout=flows.WAIT)
    assert area.search.text() == market.rsplit("-", 1)[0]  # the field names the event
    flows.choose(area.market, market, "market")
    qtbot.waitUntil(lambda: area.info is not None and area.info.symbol == market,
                    timeout=flows.WAIT)
    assert ticket.draft.symbol == market
    assert ticket.form.combo("order_type").currentData() == OrderType.LIMIT.value
    return ticket


def held(window: MainWindow, market: str, outcome: EventOutcome) -> Decimal:
    return sum((p.quantity for p in flows.shown_positions(window)
                if p.symbol == market and p.event_outcome is outcome), Decimal(0))


def test_buy_yes_through_the_market_fills(window: MainWindow, qtbot: Any,
                                          sim: SimServer) -> None:
    market = "KXFEDDECISION-26DEC-C25"
    ticket = event_ticket(window, qtbot, "Fed", market)
    before = held(window, market, EventOutcome.YES)
    flows.pick(ticket, "side", Side.BUY)
    flows.pick(ticket, "event_outcome", EventOutcome.YES)
    flows.type_in(ticket, qtbot, "quantity", "10")
    flows.type_in(ticket, qtbot, "limit_price", "0.99")  # the range's top: it fills now
    result = flows.submit(ticket, qtbot, "event-buy")
    order = flows.accepted(window, sim, result)
    assert order.symbol == market and order.event_outcome == "yes"
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: held(window, market, EventOutcome.YES) == before + 10,
                    timeout=flows.WAIT)


def test_yes_limit_is_modified_then_cancelled(window: MainWindow, qtbot: Any,
                                              sim: SimServer) -> None:
    market = "KXFEDDECISION-26DEC-H25"
    ticket = event_ticket(window, qtbot, "hike", market)
    flows.pick(ticket, "event_outcome", EventOutcome.NO)
    flows.type_in(ticket, qtbot, "quantity", "20")
    flows.type_in(ticket, qtbot, "limit_price", "0.01")  # the range's bottom: it waits
    result = flows.submit(ticket, qtbot, "event-limit")
    flows.accepted(window, sim, result)
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    flows.modify(window, qtbot, key, {ModifyField.QUANTITY: "30",
                                      ModifyField.LIMIT_PRICE: "0.02"}, "event-limit")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, key)) is not None
                    and row.item.limit_price == Decimal("0.02")
                    and row.item.total_quantity == 30, timeout=flows.WAIT)
    question = flows.cancel(window, qtbot, key, "event")
    assert "NO" in question and "0.02" in question


def test_sell_to_close_from_the_positions_tree(window: MainWindow, qtbot: Any,
                                               sim: SimServer) -> None:
    flows.show_account(window, qtbot, "EVENTS_CASH")
    position = next(p for p in flows.shown_positions(window)
                    if p.symbol.startswith("KXRATECUTCOUNT"))
    assert position.event_outcome is EventOutcome.YES
    ticket = flows.double_click_position(window, qtbot, position.symbol)
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=flows.WAIT)
    assert ticket.draft.closing and ticket.draft.side is Side.SELL
    assert ticket.draft.event_outcome is EventOutcome.YES
    assert ticket.form.edit("quantity").text() == f"{position.quantity.normalize():f}"
    flows.type_in(ticket, qtbot, "quantity", "15")  # part of it
    flows.type_in(ticket, qtbot, "limit_price", "0.01")  # a sell at the bottom fills now
    result = flows.submit(ticket, qtbot, "event-close")
    flows.accepted(window, sim, result)
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: held(window, position.symbol, EventOutcome.YES)
                    == position.quantity - 15, timeout=flows.WAIT)
