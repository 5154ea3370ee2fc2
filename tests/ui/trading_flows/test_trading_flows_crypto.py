"""Crypto in Demo — coins to 8 decimals or a dollar amount, a local estimate instead of a
broker quote, no modify — through the real window and ticket against the simulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.sim import SimServer
from app.ui.main_window import MainWindow
from app.ui.ticket_window import TicketWindow
from app.webull.models import EntrustType, InstrumentType, OrderType, Side, TimeInForce
from tests.ui import flows

E = InstrumentType


def crypto_ticket(window: MainWindow, qtbot: Any, pair: str) -> TicketWindow:
    flows.show_account(window, qtbot, "CRYPTO")
    ticket = flows.new_ticket(window, qtbot)
    assert ticket.draft.instrument is E.CRYPTO
    flows.search(ticket, qtbot, pair)
    return ticket


def test_crypto_market_buy_by_dollar_amount_fills(window: MainWindow, qtbot: Any,
                                                  sim: SimServer) -> None:
    ticket = crypto_ticket(window, qtbot, "ETHUSD")
    before = flows.position_qty(window, "ETHUSD", E.CRYPTO)
    flows.pick(ticket, "side", Side.BUY)
    flows.pick(ticket, "order_type", OrderType.MARKET)
    flows.pick(ticket, "entrust", EntrustType.AMOUNT)
    flows.type_in(ticket, qtbot, "amount", "250")
    dialog = flows.preview(ticket, qtbot, "crypto-amount")
    # Webull has no crypto preview: the figures are Pennant's, and say so
    assert dialog.quote_box is None and dialog.estimate_box is not None
    assert "not a broker quote" in dialog.estimate_box.heading.text()
    dialog.reject()
    qtbot.waitUntil(lambda: ticket.preview_dialog is None, timeout=5_000)
    result = flows.submit(ticket, qtbot)
    order = flows.accepted(window, sim, result)
    assert order.entrust_type == "AMOUNT" and order.amount == Decimal("250")
    assert order.time_in_force == "IOC"  # crypto market orders are immediate-or-cancel
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: flows.position_qty(window, "ETHUSD", E.CRYPTO) > before,
                    timeout=flows.WAIT)


def test_crypto_limit_through_the_market_fills_to_eight_decimals(
        window: MainWindow, qtbot: Any, sim: SimServer) -> None:
    ticket = crypto_ticket(window, qtbot, "BTCUSD")
    before = flows.position_qty(window, "BTCUSD", E.CRYPTO)
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.type_in(ticket, qtbot, "quantity", "0.00123456")
    above = (flows.market_price(sim, "BTCUSD") * Decimal("1.02")).quantize(Decimal("0.01"))
    flows.type_in(ticket, qtbot, "limit_price", f"{above}")
    result = flows.submit(ticket, qtbot, "crypto-limit")
    flows.accepted(window, sim, result)
    flows.wait_filled(window, qtbot, result.intent.client_order_id)
    qtbot.waitUntil(lambda: flows.position_qty(window, "BTCUSD", E.CRYPTO)
                    == before + Decimal("0.00123456"), timeout=flows.WAIT)


def test_crypto_limit_cannot_be_modified_but_is_cancelled(window: MainWindow, qtbot: Any,
                                                          sim: SimServer) -> None:
    ticket = crypto_ticket(window, qtbot, "SOLUSD")
    flows.pick(ticket, "order_type", OrderType.LIMIT)
    flows.pick(ticket, "tif", TimeInForce.GTC)
    flows.type_in(ticket, qtbot, "quantity", "1.5")
    below = (flows.market_price(sim, "SOLUSD") * Decimal("0.7")).quantize(Decimal("0.01"))
    flows.type_in(ticket, qtbot, "limit_price", f"{below}")
    result = flows.submit(ticket, qtbot, "crypto-working")
    flows.accepted(window, sim, result)
    key = result.intent.client_order_id
    flows.wait_working(window, qtbot, key)
    orders = window.orders
    assert orders.select_open(key)
    assert not orders.modify_button.isEnabled() and not orders.modify_action.isEnabled()
    why = orders.modify_button.toolTip()
    assert why == "Webull does not allow changing crypto orders; cancel it and place a new one"
    assert orders.action_reason.text() == why  # said next to the buttons, not only on hover
    count = len(window.dialogs)
    orders.modify_action.trigger()  # asking anyway opens nothing
    assert len(window.dialogs) == count
    flows.shot(window.orders, "crypto-modify-refused")
    flows.cancel(window, qtbot, key, "crypto")
