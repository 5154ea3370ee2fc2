"""Options in Demo — single legs picked from the chain, a vertical spread and a covered stock —
through the real window and ticket against the simulator: place, fill, modify, cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import shiboken6
from PySide6.QtCore import Qt

from app.core.ticket import ModifyField
from app.sim import SimServer
from app.ui.main_window import MainWindow
from app.ui.ticket_window import TicketWindow
from app.webull.models import (
    InstrumentType,
    OptionStrategy,
    OptionType,
    OrderType,
    PositionIntent,
    Side,
)
from tests.ui import flows

E = InstrumentType


def option_ticket(window: MainWindow, qtbot: Any, underlying: str,
                  strategy: OptionStrategy = OptionStrategy.SINGLE) -> TicketWindow:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    ticket = flows.new_ticket(window, qtbot)
    flows.choose_tab(ticket, E.OPTION)
    flows.search(ticket, qtbot, underlying)
    qtbot.waitUntil(lambda: ticket.area.chain is not None, timeout=flows.WAIT)
    if strategy is not OptionStrategy.SINGLE:
        flows.choose(ticket.area.strategy, strategy, "strategy")
    return ticket


def pick_from_chain(ticket: TicketWindow, qtbot: Any, leg: int, kind: OptionType,
                    strike_offset: int = 0) -> tuple[Any, Decimal]:
    """Press the leg's Chain… button, double-click a contract in the chain window."""
    flows.click(qtbot, ticket.area.legs.row_widgets(leg).chain)
    picker = ticket.area.chain_picker
    assert picker is not None
    qtbot.waitExposed(picker)
    qtbot.waitUntil(lambda: picker.state == "ready", timeout=flows.WAIT)
    flows.shot(picker, "option-chain")
    near = picker.model.near_rows() or [picker.model.rowCount() // 2]
    row = near[0] + strike_offset
    column = 0 if kind is OptionType.CALL else 4
    index = picker.model.index(row, column)
    chain_row = picker.model.row(row)
    assert chain_row is not None
    expiry = picker.current_expiry()
    picker.table.scrollTo(index)
    rect = picker.table.visualRect(index)
    viewport = picker.table.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(picker.picked, timeout=5_000):
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: ticket.area.chain_picker is None, timeout=5_000)  # closed, forgotten
    picked = ticket.area.legs.legs()[leg]
    assert picked.strike == chain_row.strike and picked.option_type is kind
    assert picked.expiry == expiry
    return expiry, chain_row.strike


def option_position(window: MainWindow, underlying: str, strategy: str) -> Decimal:
    return sum((p.quantity for p in flows.shown_positions(window)
                if p.instrument_type == E.OPTION and p.symbol == underlying
                and (p.option_strategy or "") == strategy), Decimal(0))


def test_single_leg_call_from_the_chain_fills(window: MainWindow, qtbot: Any,
                                              sim: SimServer) -> None:
    ticket = option_ticket(window, qtbot, "NVDA")
    before = option_position(window, "NVDA", "SINGLE")
    pick_from_chain(ticket, qtbot, 0, OptionType.CALL)
    flows.pick(ticket, "side", Side.BUY)
    flows.pick(ticket, "position_intent", PositionIntent.BUY_TO_OPEN)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "2")
    result = flows.submit(ticket, qtbot, "option-single")
    order = flows.accepted(window, sim, result)
    assert order.instrument_type == "OPTION" and order.option_strategy == "SINGLE"
    key = result.intent.client_order_id
    flows.wait_filled(window, qtbot, key)
    qtbot.waitUntil(lambda: option_position(window, "NVDA", "SINGLE") == before + 2,
                    timeout=flows.WAIT)
    # the ticket closes cleanly after the chain window it opened has gone
    flows.click(qtbot, ticket.close_button)
    qtbot.waitUntil(lambda: not shiboken6.isValid(ticket), timeout=5_000)  # deleted on close
    assert ticket not in window.tickets


def test_single_leg_limit_is_modified_then_cancelled(window: MainWindow, qtbot: Any,
                                                     sim: SimServer) -> None:
    ticket = option_ticket(window, qtbot, "MSFT")
    expiry, strike = pick_from_chain(ticket, qtbot, 0, OptionType.PUT, -1)
    leg = ticket.area.legs.row_widgets(0)
    flows.pick(ticket, "side", Side.SELL)  # a single option's leg follows the order's side
    assert leg.side.currentText() == "Sell" and not leg.side.isEnabled()
    flows.pick(ticket, "side", Side.BUY)
    assert leg.side.currentText() == "Buy"
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.type_in(ticket, qtbot, "quantity", "1")
    flows.type_in(ticket, qtbot, "limit_price", "0.05")  # far under the market: it waits
    result = flows.submit(ticket, qtbot, "option-limit")
    flows.accepted(window, sim, result)
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    flows.modify(window, qtbot, key, {ModifyField.QUANTITY: "3",
                                      ModifyField.LIMIT_PRICE: "0.04"}, "option-limit")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, key)) is not None
                    and row.item.limit_price == Decimal("0.04")
                    and row.item.total_quantity == 3, timeout=flows.WAIT)
    question = flows.cancel(window, qtbot, key, "option-limit")
    assert question == f"Cancel Buy 3 MSFT {expiry:%Y-%m-%d} {strike.normalize():f} Put limit 0.04?"


def test_vertical_spread_fills_at_market(window: MainWindow, qtbot: Any,
                                         sim: SimServer) -> None:
    ticket = option_ticket(window, qtbot, "AAPL", OptionStrategy.VERTICAL)
    before = option_position(window, "AAPL", "VERTICAL")
    assert ticket.area.legs.count() == 2
    pick_from_chain(ticket, qtbot, 0, OptionType.CALL)
    pick_from_chain(ticket, qtbot, 1, OptionType.CALL, 2)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "1")
    result = flows.submit(ticket, qtbot, "option-vertical")
    order = flows.accepted(window, sim, result)
    assert order.option_strategy == "VERTICAL" and len(order.legs) == 2
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: option_position(window, "AAPL", "VERTICAL") == before + 1,
                    timeout=flows.WAIT)


def test_vertical_spread_limit_is_modified_then_cancelled(window: MainWindow, qtbot: Any,
                                                          sim: SimServer) -> None:
    ticket = option_ticket(window, qtbot, "SPY", OptionStrategy.VERTICAL)
    # the short leg's strike typed into the legs editor: two listed strikes above the long's
    first = ticket.area.legs.legs()[0]
    chain = ticket.area.chain
    assert chain is not None and first.expiry is not None
    strikes = [row.strike for row in chain.rows[first.expiry]]
    wider = strikes[strikes.index(first.strike) + 2]
    strike = ticket.area.legs.row_widgets(1).strike
    strike.setFocus()
    strike.selectAll()
    qtbot.keyClicks(strike, f"{wider.normalize():f}")
    assert ticket.draft.legs[1].strike == wider
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.type_in(ticket, qtbot, "quantity", "2")
    flows.type_in(ticket, qtbot, "limit_price", "0.02")  # a debit far under the spread's value
    result = flows.submit(ticket, qtbot, "option-vertical-limit")
    flows.accepted(window, sim, result)
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    flows.shot(window.orders, "option-vertical-orders")
    flows.modify(window, qtbot, key, {ModifyField.LIMIT_PRICE: "0.03"}, "option-vertical")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, key)) is not None
                    and row.item.limit_price == Decimal("0.03"), timeout=flows.WAIT)
    legs = sim.orders.get(result.intent.account_id, key).legs
    assert [leg.option.strike for leg in legs] == [first.strike, wider]
    question = flows.cancel(window, qtbot, key, "option-vertical")
    assert question == "Cancel Buy 2 SPY vertical spread limit 0.03?"


def test_covered_stock_buys_shares_and_writes_the_call(window: MainWindow, qtbot: Any,
                                                       sim: SimServer) -> None:
    ticket = option_ticket(window, qtbot, "MSFT", OptionStrategy.COVERED_STOCK)
    before = option_position(window, "MSFT", "COVERED_STOCK")
    legs = ticket.area.legs.legs()
    assert legs[0].option_type is None and legs[1].option_type is OptionType.CALL
    pick_from_chain(ticket, qtbot, 1, OptionType.CALL, 1)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "1")
    result = flows.submit(ticket, qtbot, "option-covered")
    order = flows.accepted(window, sim, result)
    assert order.option_strategy == "COVERED_STOCK"
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: option_position(window, "MSFT", "COVERED_STOCK") == before + 1,
                    timeout=flows.WAIT)
    held = next(p for p in flows.shown_positions(window)
                if p.option_strategy is OptionStrategy.COVERED_STOCK and p.symbol == "MSFT")
    assert sorted((leg.option_type is None, leg.quantity) for leg in held.legs) == [
        (False, Decimal(-1)), (True, Decimal(100))]  # a short call, 100 shares
    flows.shot(window, "option-covered-window")
