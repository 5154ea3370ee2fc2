"""The one place where background work reaches the GUI: core events become a Qt signal.

Core publishes on the event loop's thread, which under qasync is the GUI thread. Delivery is
queued all the same: the widgets' work (applying a 2,000-row diff to a model) then runs in its
own turn of the event loop instead of straight after the core's work (computing that diff), so
the two never add up to one long stall. Order is kept: queued events are delivered first in,
first out. Widgets connect to the typed signals they care about.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from app.core import events as ev
from app.core.trading import DeskChanged, TradeEvent


class EventBridge(QObject):
    session = Signal(object)  # SessionChanged
    health = Signal(object)  # HealthChanged
    accounts = Signal(object)  # AccountsUpdated
    balance = Signal(object)  # BalanceUpdated
    positions = Signal(object)  # PositionsUpdated
    open_orders = Signal(object)  # OpenOrdersUpdated
    history = Signal(object)  # HistoryLoaded
    freshness = Signal(object)  # Freshness
    nlv_point = Signal(object)  # NetLiquidationPoint
    activity = Signal(object)  # Activity
    desk = Signal(object)  # DeskChanged: the trading desk's state changed
    trade = Signal(object)  # TradeEvent: what the desk did with an order
    _queued = Signal(object)  # any event, on its way to the typed signal

    def __init__(self, bus: ev.EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._routes = {
            ev.SessionChanged: self.session,
            ev.HealthChanged: self.health,
            ev.AccountsUpdated: self.accounts,
            ev.BalanceUpdated: self.balance,
            ev.PositionsUpdated: self.positions,
            ev.OpenOrdersUpdated: self.open_orders,
            ev.HistoryLoaded: self.history,
            ev.Freshness: self.freshness,
            ev.NetLiquidationPoint: self.nlv_point,
            ev.Activity: self.activity,
            DeskChanged: self.desk,
            TradeEvent: self.trade,
        }
        self._queued.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = bus.subscribe(self._forward)

    def _forward(self, event: ev.Event) -> None:
        if not shiboken6.isValid(self):  # the window went first: nobody is listening
            self._unsubscribe()
            return
        self._queued.emit(event)

    def _deliver(self, event: ev.Event) -> None:
        signal = self._routes.get(type(event))
        if signal is not None:
            signal.emit(event)

    def detach(self) -> None:
        self._unsubscribe()
