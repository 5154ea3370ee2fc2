"""Cancelling from the orders table: one order after a confirmation that names it, or every
working order of the account after the trader typed the desk's confirmation phrase.

Both dialogs open non-modally (``open()``), send through the trading desk themselves and then
show the outcome in words; the order's new status reaches the table through the poller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.journal import IntentState
from app.core.ticket_words import strategy_words, type_words
from app.core.trading import SubmitRefused, TradeResult, TradingDesk
from app.webull.models import (
    ComboType,
    EntrustType,
    InstrumentType,
    OptionStrategy,
    OptionType,
    OrderItem,
    OrderType,
)

from . import fmt
from .ticket_status import StatusLine

log = logging.getLogger(__name__)



def _option_words(item: OrderItem) -> str:
    """What an option order trades, after its symbol (the underlying): the contract of a
    single leg ("2026-12-04 405 Put"), else the strategy ("vertical spread")."""
    strategy = item.option_strategy
    options = [leg for leg in item.legs if leg.option_type is not None]
    if (strategy in (None, OptionStrategy.SINGLE)) and len(options) == 1:
        leg = options[0]
        parts = [f"{leg.option_expire_date:%Y-%m-%d}" if leg.option_expire_date else "",
                 fmt.quantity(leg.strike_price) if leg.strike_price is not None else "",
                 "Call" if leg.option_type is OptionType.CALL else "Put"]
        return " ".join(p for p in parts if p)
    if strategy is not None and strategy is not OptionStrategy.SINGLE:
        return strategy_words(strategy).lower()
    return "option"


def order_phrase(item: OrderItem) -> str:
    """The order in a few words: ``Buy 10 AAPL limit 187.50``; an option order names its
    contract or strategy (``Buy 1 SPY vertical spread limit 1.20``), so a price of 0.05
    is never mistaken for a stock's."""
    if item.entrust_type is EntrustType.AMOUNT and item.total_cash_amount is not None:
        what = f"${fmt.money(item.total_cash_amount)} of {item.symbol}"
    else:
        what = f"{fmt.quantity(item.total_quantity)} {item.symbol}"
    if item.instrument_type is InstrumentType.OPTION:
        what = f"{what} {_option_words(item)}"
    parts = [fmt.words(item.side), what]
    if item.event_outcome is not None:
        parts.append(item.event_outcome.value.upper())
    kind = item.order_type
    parts.append(type_words(kind).lower())
    if kind is OrderType.TRAILING_STOP_LOSS:
        parts.append(fmt.trailing(item))
    elif item.stop_price is not None and item.limit_price is not None:
        parts[-1] = f"stop {fmt.price(item.stop_price)} limit {fmt.price(item.limit_price)}"
    elif item.stop_price is not None:
        parts.append(fmt.price(item.stop_price))
    elif item.limit_price is not None:
        parts.append(fmt.price(item.limit_price))
    return " ".join(parts)


#: every request spawn_for started and that has not ended yet (strong references)
RUNNING: set[asyncio.Future[Any]] = set()


def spawn_for(widget: QWidget, coro: Coroutine[Any, Any, Any],
              done: Callable[[Any, BaseException | None], None]) -> asyncio.Future[Any]:
    """Run ``coro`` on the running loop; ``done(result, error)`` runs on the GUI thread only if
    ``widget`` still exists (a dialog closed meanwhile just lets the request finish). The task
    is kept in ``RUNNING`` until it ends: the loop holds tasks only weakly, and a request
    collected half-way would leave an order's outcome unsaid."""
    task = asyncio.ensure_future(coro)
    RUNNING.add(task)

    def finished(t: asyncio.Future[Any]) -> None:
        RUNNING.discard(t)
        if t.cancelled() or not shiboken6.isValid(widget):
            return
        error = t.exception()
        done(None if error is not None else t.result(), error)

    task.add_done_callback(finished)
    return task


def failure_text(action: str, error: BaseException) -> str:
    """Why nothing was sent, in words. The desk's refusals already say so ("Not sent: …",
    "Nothing was cancelled: …"); anything else is unexpected and logged."""
    if isinstance(error, SubmitRefused | ValueError):
        return str(error)
    log.error("the %s failed", action, exc_info=error)
    return f"Pennant could not send the {action}: {error}"


class OutcomeLabel(StatusLine):
    """What happened, in words, with Webull's links (an agreement to accept…) clickable: the
    ticket's status line, said as plain or as an error."""

    def show_text(self, text: str, *, error: bool = False, kind: str = "",
                  links: Sequence[str] = ()) -> None:
        super().show_text(text, kind="error" if error else kind, links=links)


class CancelOrderDialog(QDialog):
    """"Cancel Buy 10 AAPL limit 187.50?" — Keep order / Cancel order."""

    #: the desk's answer (a TradeResult), once the cancel was sent
    completed = Signal(object)

    def __init__(self, desk: TradingDesk, item: OrderItem, account_id: str,
                 parent: QWidget | None = None, *, combo: ComboType | None = None) -> None:
        super().__init__(parent)
        self.desk, self.item, self.account_id = desk, item, account_id
        self.result_value: TradeResult | None = None
        self.task: asyncio.Future[Any] | None = None
        self.setWindowTitle("Cancel order")
        self.question = QLabel(f"Cancel {order_phrase(item)}?")
        self.question.setObjectName("headlineLabel")
        self.question.setWordWrap(True)
        filled = item.filled_quantity or 0
        details = [fmt.status(item.status), f"placed {fmt.local_time(item.place_time_at)}"]
        if filled:
            details.append(f"{fmt.quantity(item.filled_quantity)} filled already: only the rest "
                           "is cancelled")
        if combo is not None and combo is not ComboType.NORMAL:
            details.append(f"part of a {combo.value} combo: Webull cancels the whole combo")
        self.details = QLabel(" · ".join(details))
        self.details.setWordWrap(True)
        self.outcome = OutcomeLabel()
        self.keep_button = QPushButton("Keep order")
        self.cancel_button = QPushButton("Cancel order")
        self.cancel_button.setObjectName("primaryButton")
        self.keep_button.setDefault(True)  # Enter keeps the order: cancelling takes a click
        self.keep_button.clicked.connect(self.reject)
        self.cancel_button.clicked.connect(self.send)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.details)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.setMinimumWidth(420)

    def send(self) -> None:
        if self.task is not None:  # one cancel per dialog
            return
        self.cancel_button.setEnabled(False)
        _become_close(self.keep_button, self)
        self.outcome.show_text("Sending the cancel to Webull… (closing this does not stop it; "
                               "the activity log will say what Webull answered)")
        self.task = spawn_for(self, self.desk.cancel(self.account_id, self.item.client_order_id),
                              self._sent)

    def _sent(self, result: TradeResult | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            self.outcome.show_text(failure_text("cancel", error or RuntimeError("no answer")),
                                   error=True)
            return
        self.result_value = result
        self.outcome.show_text(result.message, error=result.state is IntentState.REJECTED,
                               links=result.links)
        self.completed.emit(result)

    def outcome_text(self) -> str:
        return "" if self.outcome.isHidden() else self.outcome.plain


class CancelAllDialog(QDialog):
    """Every working order of the account, and a typed confirmation: the button enables only
    when the text matches ``desk.cancel_all_phrase(account)`` exactly."""

    #: the desk's answers (a list of TradeResult), once the cancels were sent
    completed = Signal(object)

    def __init__(self, desk: TradingDesk, account_id: str, account_label: str,
                 orders: Sequence[OrderItem], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.account_id = desk, account_id
        self.orders = tuple(orders)
        self.keys = tuple(o.client_order_id for o in self.orders)  # what is shown
        self.phrase = desk.cancel_all_phrase(account_id, self.keys)
        self.results: list[TradeResult] | None = None
        self.task: asyncio.Future[Any] | None = None
        self.setWindowTitle("Cancel all working orders")
        count = len(self.orders)
        self.intro = QLabel(
            f"This asks Webull to cancel every working order of {account_label} "
            f"({count} order{'s' if count != 1 else ''}):" if count else
            f"{account_label} has no working orders to cancel.")
        self.intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.addItems([f"{order_phrase(o)} · {o.time_in_force.value} · "
                            f"{fmt.status(o.status)}" for o in self.orders])
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a list to read, not to pick from
        self.list.setMaximumHeight(max(60, min(220, 24 * count + 8)))
        self.prompt = QLabel(f"To confirm, type <b>{_html(self.phrase)}</b> below.")
        self.prompt.setWordWrap(True)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.phrase)
        self.edit.textChanged.connect(self._typed)
        self.hint = QLabel("")
        self.hint.setObjectName("fieldError")
        self.outcome = OutcomeLabel()
        self.close_button = QPushButton("Keep orders")
        self.close_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton(f"Cancel {count} order{'s' if count != 1 else ''}")
        self.confirm_button.setObjectName("primaryButton")
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(self.send)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.list)
        layout.addWidget(self.prompt)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.list.setVisible(bool(count))
        for widget in (self.prompt, self.edit):
            widget.setEnabled(bool(count))
        self.setMinimumWidth(480)

    def _typed(self, text: str) -> None:
        match = text == self.phrase
        self.confirm_button.setEnabled(match and bool(self.orders) and self.task is None)
        if not text or match:
            self.hint.setText("")
        elif text.strip() == self.phrase:
            self.hint.setText("Remove the spaces before or after the text.")
        elif text.casefold() == self.phrase.casefold():
            self.hint.setText("Type it exactly, with the same capitals.")
        else:
            self.hint.setText("")

    def send(self) -> None:
        typed = self.edit.text()
        if self.task is not None or typed != self.phrase or not self.orders:
            return
        self.confirm_button.setEnabled(False)
        _become_close(self.close_button, self)
        self.edit.setEnabled(False)
        self.outcome.show_text("Sending the cancels to Webull… (closing this does not stop "
                               "them; the activity log will say what Webull answered)")
        self.task = spawn_for(self, self.desk.cancel_all(self.account_id, typed, self.keys), self._sent)

    def _sent(self, results: list[TradeResult] | None, error: BaseException | None) -> None:
        if error is not None or results is None:
            self.outcome.show_text(failure_text("cancels", error or RuntimeError("no answer")),
                                   error=True)
            return
        self.results = list(results)
        self.outcome.show_text(summary(self.results), error=any(
            r.state is IntentState.REJECTED for r in self.results),
            links=[u for r in self.results for u in r.links])
        self.list.clear()
        self.list.addItems([r.message for r in self.results])
        self.completed.emit(self.results)

    def outcome_text(self) -> str:
        return "" if self.outcome.isHidden() else self.outcome.plain


def summary(results: Sequence[TradeResult]) -> str:
    """"Cancel sent for 3 orders; 1 refused." — the list below says which."""
    if not results:
        return "There was nothing to cancel: no working orders were left."
    states = [r.state for r in results]
    sent = sum(s in (IntentState.ACCEPTED, IntentState.PLACED) for s in states)
    refused = states.count(IntentState.REJECTED)
    unsure = len(states) - sent - refused
    parts = [f"Cancel sent for {sent} order{'s' if sent != 1 else ''}"]
    if refused:
        parts.append(f"{refused} refused by Webull")
    if unsure:
        parts.append(f"{unsure} not confirmed yet (Pennant is checking)")
    return "; ".join(parts) + ". The orders table shows each order's status as Webull reports it."


def _become_close(button: QPushButton, dialog: QDialog) -> None:
    """Once the request is sent, "Keep…" means nothing any more: the button just closes."""
    button.setText("Close")
    button.clicked.disconnect()
    button.clicked.connect(dialog.accept)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
