"""Futures in Demo — the product, then the contract month, quantity only — through the real
window and ticket against the simulator: place, fill, modify, cancel, close a position."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from app.core.ticket import ModifyField
from app.sim import SimServer
from app.ui.main_window import MainWindow
from app.ui.ticket_window import TicketWindow
from app.webull.models import InstrumentType, OrderType, Side
from tests.ui import flows

E = InstrumentType


def futures_ticket(window: MainWindow, qtbot: Any, product: str, month: int = 0
                   ) -> TicketWindow:
    """A ticket of the Futures account: the product, then the month from their combos."""
    flows.show_account(window, qtbot, "FUTURES")
    ticket = flows.new_ticket(window, qtbot)
    assert ticket.draft.instrument is E.FUTURES
    assert not ticket.area.search.isVisibleTo(ticket)  # no free text: product and month
    flows.choose(ticket.area.product, product, "product")
    area = ticket.area
    qtbot.waitUntil(lambda: area.month.count() > 0 or bool(area.lookup_error),
                    timeout=flows.WAIT)
    assert not area.lookup_error, area.lookup_error
    area.month.setCurrentIndex(month)
    symbol = area.month.current_contract().symbol  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: area.info is not None and area.info.symbol == symbol,
                    timeout=flows.WAIT)
    assert "entrust" not in ticket.visible_fields() and "amount" not in ticket.visible_fields()
    return ticket


def on_tick(ticket: TicketWindow, sim: SimServer, factor: str) -> str:
    """The contract's price now times ``factor``, on its price step."""
    info = ticket.area.info
    assert info is not None and info.tick
    last = flows.market_price(sim, info.symbol)
    steps = (last * Decimal(factor) / info.tick).to_integral_value(ROUND_FLOOR)
    return f"{steps * info.tick:f}"


def futures_qty(window: MainWindow, symbol: str) -> Decimal:
    return flows.position_qty(window, symbol, E.FUTURES)


def test_futures_market_buy_fills(window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    ticket = futures_ticket(window, qtbot, "MES")  # a micro: the account's margin allows 2
    symbol = ticket.area.symbol()
    before = futures_qty(window, symbol)
    flows.pick(ticket, "side", Side.BUY)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.type_in(ticket, qtbot, "quantity", "2")
    result = flows.submit(ticket, qtbot, "futures-market")
    order = flows.accepted(window, sim, result)
    assert order.instrument_type == "FUTURES" and order.symbol == symbol
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: futures_qty(window, symbol) == before + 2, timeout=flows.WAIT)


def test_futures_limit_is_modified_then_cancelled(window: MainWindow, qtbot: Any,
                                                  sim: SimServer) -> None:
    ticket = futures_ticket(window, qtbot, "CL", month=1)
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.type_in(ticket, qtbot, "quantity", "1")
    price = on_tick(ticket, sim, "0.9")
    flows.type_in(ticket, qtbot, "limit_price", price)
    result = flows.submit(ticket, qtbot, "futures-limit")
    flows.accepted(window, sim, result)
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    new = Decimal(on_tick(ticket, sim, "0.88"))
    flows.modify(window, qtbot, key, {ModifyField.QUANTITY: "2",
                                      ModifyField.LIMIT_PRICE: f"{new}"}, "futures-limit")
    qtbot.waitUntil(lambda: (row := flows.open_row(window, key)) is not None
                    and row.item.limit_price == new and row.item.total_quantity == 2,
                    timeout=flows.WAIT)
    flows.shot(window.orders, "futures-modified-orders")
    flows.cancel(window, qtbot, key, "futures-limit")


def test_close_a_futures_position_from_the_positions_tree(window: MainWindow, qtbot: Any,
                                                          sim: SimServer) -> None:
    flows.show_account(window, qtbot, "FUTURES")
    held = next(p for p in flows.shown_positions(window) if p.symbol.startswith("GC"))
    ticket = flows.double_click_position(window, qtbot, held.symbol)
    qtbot.waitUntil(lambda: ticket.area.info is not None, timeout=flows.WAIT)
    assert ticket.draft.closing and ticket.draft.side is Side.SELL
    assert ticket.area.symbol() == held.symbol
    flows.pick(ticket, "order_type", OrderType.MARKET)
    result = flows.submit(ticket, qtbot, "futures-close")
    flows.accepted(window, sim, result)
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: futures_qty(window, held.symbol) == 0, timeout=flows.WAIT)
