"""Stocks and ETFs in Demo, through the real window and ticket against the simulator: a
market order that fills, a limit modified then cancelled, closing a position from the
positions tree, and the brackets — take profit/stop loss, OCO and OTOCO."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.core.ticket import ModifyField
from app.sim import SimServer
from app.ui.main_window import MainWindow
from app.ui.ticket_window import TicketWindow
from app.webull.models import InstrumentType, OrderType, Side, TimeInForce
from tests.ui import flows

E = InstrumentType


def price_of(ticket: TicketWindow, factor: str) -> str:
    """The instrument's last price times ``factor``, to the cent (limits that wait)."""
    info = ticket.area.info
    assert info is not None and info.last_price is not None
    return f"{(info.last_price * Decimal(factor)).quantize(Decimal('0.01'))}"


def test_stock_market_buy_fills_and_the_position_grows(window: MainWindow, qtbot: Any,
                                                       sim: SimServer) -> None:
    account = flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    before = flows.position_qty(window, "MSFT", E.EQUITY)
    ticket = flows.new_ticket(window, qtbot)
    assert ticket.draft.account_id == account
    flows.choose_tab(ticket, E.EQUITY)
    flows.search(ticket, qtbot, "MSFT")
    flows.pick(ticket, "side", Side.BUY)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "3")
    result = flows.submit(ticket, qtbot, "stock-market")
    order = flows.accepted(window, sim, result)
    assert order.symbol == "MSFT" and order.order_type == "MARKET"
    key = result.intent.client_order_id
    flows.wait_filled(window, qtbot, key)
    qtbot.waitUntil(lambda: flows.position_qty(window, "MSFT", E.EQUITY) == before + 3,
                    timeout=flows.WAIT)
    flows.shot(window, "stock-filled-window")
    window.orders.tabs.setCurrentIndex(1)  # History: the fill, as the trader looks it up
    flows.shot(window.orders, "stock-filled-history")
    window.docks["activity"].raise_()
    flows.shot(window.activity, "stock-filled-activity")


def test_stock_limit_is_modified_then_cancelled(window: MainWindow, qtbot: Any,
                                                sim: SimServer) -> None:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    ticket = flows.new_ticket(window, qtbot)
    flows.search(ticket, qtbot, "NVDA")
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.pick(ticket, "tif", TimeInForce.GTC)
    flows.type_in(ticket, qtbot, "quantity", "5")
    price = price_of(ticket, "0.8")
    flows.type_in(ticket, qtbot, "limit_price", price)
    result = flows.submit(ticket, qtbot, "stock-limit")
    order = flows.accepted(window, sim, result)
    assert order.limit_price == Decimal(price) and order.status == "SUBMITTED"
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    new_price = (Decimal(price) - Decimal("1.50")).quantize(Decimal("0.01"))
    flows.modify(window, qtbot, key, {ModifyField.QUANTITY: "7",
                                      ModifyField.LIMIT_PRICE: f"{new_price}"}, "stock-limit")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, key)) is not None
                    and row.item.limit_price == new_price
                    and row.item.total_quantity == 7, timeout=flows.WAIT)
    assert sim.orders.get(result.intent.account_id, key).limit_price == new_price
    flows.shot(window.orders, "stock-limit-modified-orders")
    flows.cancel(window, qtbot, key, "stock-limit")
    flows.shot(window.orders, "stock-limit-cancelled-orders")


def test_close_a_stock_position_from_the_positions_tree(window: MainWindow, qtbot: Any,
                                                        sim: SimServer) -> None:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    held = flows.position_qty(window, "AMZN", E.EQUITY)
    assert held > 0
    ticket = flows.double_click_position(window, qtbot, "AMZN")
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=flows.WAIT)
    assert ticket.draft.closing and ticket.draft.side is Side.SELL
    assert ticket.form.edit("quantity").text() == f"{held.normalize():f}"
    # the trader makes it a market order to be out at once
    flows.pick(ticket, "order_type", OrderType.MARKET)
    result = flows.submit(ticket, qtbot, "stock-close")
    flows.accepted(window, sim, result)
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: flows.position_qty(window, "AMZN", E.EQUITY) == 0,
                    timeout=flows.WAIT)


def test_take_profit_stop_loss_bracket(window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    ticket = flows.new_ticket(window, qtbot)
    flows.search(ticket, qtbot, "SPY")
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "2")
    flows.pick(ticket, "bracket", "tp_sl")
    flows.type_in(ticket, qtbot, "take_profit_price", price_of(ticket, "1.2"))
    flows.type_in(ticket, qtbot, "stop_loss_price", price_of(ticket, "0.8"))
    result = flows.submit(ticket, qtbot, "bracket-tpsl")
    flows.accepted(window, sim, result)
    orders = result.intent.request["new_orders"]
    assert [o["combo_type"] for o in orders] == ["MASTER", "STOP_PROFIT", "STOP_LOSS"]
    master, profit, loss = (o["client_order_id"] for o in orders)
    flows.wait_filled(window, qtbot, master)
    flows.wait_working(window, qtbot, profit)
    flows.wait_working(window, qtbot, loss)
    flows.shot(window.orders, "bracket-tpsl-orders")
    new = (Decimal(price_of(ticket, "1.25"))).quantize(Decimal("0.01"))
    flows.modify(window, qtbot, profit, {ModifyField.LIMIT_PRICE: f"{new}"}, "bracket-tpsl")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, profit)) is not None
                    and row.item.limit_price == new, timeout=flows.WAIT)
    flows.cancel(window, qtbot, loss, "bracket-tpsl")


def test_oco_pair_on_a_held_stock(window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    ticket = flows.new_ticket(window, qtbot)
    flows.search(ticket, qtbot, "NVDA")
    flows.pick(ticket, "side", Side.SELL)
    flows.pick(ticket, "bracket", "oco")
    flows.type_in(ticket, qtbot, "quantity", "10")
    flows.type_in(ticket, qtbot, "take_profit_price", price_of(ticket, "1.3"))
    flows.type_in(ticket, qtbot, "stop_loss_price", price_of(ticket, "0.7"))
    result = flows.submit(ticket, qtbot, "bracket-oco")
    flows.accepted(window, sim, result)
    orders = result.intent.request["new_orders"]
    assert [o["combo_type"] for o in orders] == ["OCO", "OCO"]
    first, second = (o["client_order_id"] for o in orders)
    flows.wait_working(window, qtbot, first)
    flows.wait_working(window, qtbot, second)
    flows.modify(window, qtbot, first, {ModifyField.QUANTITY: "8"}, "bracket-oco")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, first)) is not None
                    and row.item.total_quantity == 8, timeout=flows.WAIT)
    flows.cancel(window, qtbot, second, "bracket-oco")
    flows.shot(window.orders, "bracket-oco-orders")


def test_otoco_waits_for_its_entry_and_is_cancelled_whole(window: MainWindow, qtbot: Any,
                                                          sim: SimServer) -> None:
    flows.show_account(window, qtbot, "INDIVIDUAL_MARGIN")
    ticket = flows.new_ticket(window, qtbot)
    flows.search(ticket, qtbot, "MSFT")
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.type_in(ticket, qtbot, "quantity", "1")
    flows.type_in(ticket, qtbot, "limit_price", price_of(ticket, "0.8"))
    flows.pick(ticket, "bracket", "otoco")
    flows.type_in(ticket, qtbot, "take_profit_price", price_of(ticket, "1.2"))
    flows.type_in(ticket, qtbot, "stop_loss_price", price_of(ticket, "0.6"))
    result = flows.submit(ticket, qtbot, "bracket-otoco")
    flows.accepted(window, sim, result)
    orders = result.intent.request["new_orders"]
    assert [o["combo_type"] for o in orders] == ["MASTER", "OTOCO", "OTOCO"]
    keys = [o["client_order_id"] for o in orders]
    for key in keys:
        flows.wait_working(window, qtbot, key)
    new = Decimal(price_of(ticket, "0.78"))
    flows.modify(window, qtbot, keys[0], {ModifyField.LIMIT_PRICE: f"{new}"}, "bracket-otoco")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, keys[0])) is not None
                    and row.item.limit_price == new, timeout=flows.WAIT)
    flows.cancel(window, qtbot, keys[0], "bracket-otoco")
    for key in keys[1:]:
        qtbot.waitUntil(lambda k=key: flows.history_status(window, k) == "CANCELLED",
                        timeout=flows.WAIT)
