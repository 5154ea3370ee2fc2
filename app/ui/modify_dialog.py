"""Modify (replace) a working order: only the fields Webull lets this order change, prefilled
from the order; the change is previewed like a new order before it is sent.

Preview change → ``desk.preview_modify`` → PreviewDialog("Send change") → ``desk.modify``; the
dialog then shows the outcome in words and the orders table shows the new figures once the
poller sees them.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from uuid import uuid4

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.catalogue import Catalogue
from app.core.journal import IntentState
from app.core.portfolio import Portfolio
from app.core.ticket import (
    InstrumentInfo,
    ModifyDraft,
    ModifyField,
    ModifyResult,
    build_modify,
    modify_rules,
)
from app.core.ticket_input import NumberFormat, format_plain
from app.core.ticket_words import tif_words
from app.core.trading import Preview, PreviewError, TradeResult, TradingDesk
from app.webull.models import (
    InstrumentType,
    ModifyOrder,
    OrderItem,
    OrderType,
    Position,
    TrailingType,
)

from . import fmt
from .cancel_dialogs import OutcomeLabel, failure_text, order_phrase, spawn_for

log = logging.getLogger(__name__)

#: the price fields each order type carries
_USES: dict[OrderType, frozenset[ModifyField]] = {
    OrderType.LIMIT: frozenset({ModifyField.LIMIT_PRICE}),
    OrderType.STOP_LOSS: frozenset({ModifyField.STOP_PRICE}),
    OrderType.STOP_LOSS_LIMIT: frozenset({ModifyField.LIMIT_PRICE, ModifyField.STOP_PRICE}),
    OrderType.TRAILING_STOP_LOSS: frozenset({ModifyField.TRAILING_STEP}),
}
_PRICE_FIELDS = frozenset({ModifyField.LIMIT_PRICE, ModifyField.STOP_PRICE,
                           ModifyField.TRAILING_STEP})
_HUNDRED = Decimal(100)


class ModifyDialog(QDialog):
    """One working order's change. Open it with ``open()``; ``completed`` carries the desk's
    TradeResult once the change was sent."""

    completed = Signal(object)

    def __init__(self, desk: TradingDesk, catalogue: Catalogue | None, item: OrderItem,
                 account_id: str, parent: QWidget | None = None, *,
                 number_format: NumberFormat | None = None,
                 portfolio: Portfolio | None = None) -> None:
        super().__init__(parent)
        self.desk, self.catalogue, self.item, self.account_id = desk, catalogue, item, account_id
        #: what the account holds (the precautions tell a closing order from an opening one)
        self.portfolio = portfolio
        self.number_format = number_format or NumberFormat()
        self.rules = modify_rules(item)
        self.info: InstrumentInfo | None = None
        self.preview_id = uuid4().hex
        self.preview_dialog: QDialog | None = None
        self.result_value: TradeResult | None = None
        self.last_build: ModifyResult | None = None
        self._busy = False
        self._info_loaded = catalogue is None
        self.setWindowTitle(f"Modify order — {item.symbol}")
        self.headline = QLabel(f"Modify {order_phrase(item)}")
        self.headline.setObjectName("headlineLabel")
        self.headline.setWordWrap(True)
        tif = tif_words(item.time_in_force)
        self.subline = QLabel(f"{tif} · {fmt.status(item.status)} · placed "
                              f"{fmt.local_time(item.place_time_at)}")
        self.why_not = QLabel(self.rules.why_not)
        self.why_not.setObjectName("fieldError")
        self.why_not.setWordWrap(True)
        self.why_not.setVisible(bool(self.rules.why_not))

        self.inputs: dict[ModifyField, QWidget] = {}
        self.errors: dict[ModifyField, QLabel] = {}
        self._labels: dict[ModifyField, QLabel] = {}
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(2)
        self._build_fields()
        self.general_error = QLabel("")
        self.general_error.setObjectName("fieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.changes = QLabel("")
        self.changes.setWordWrap(True)
        self.changes.hide()
        self.outcome = OutcomeLabel()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        self.preview_button = QPushButton("Preview change")
        self.preview_button.setObjectName("primaryButton")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.preview)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subline)
        layout.addWidget(self.why_not)
        layout.addLayout(self.grid)
        layout.addWidget(self.general_error)
        layout.addWidget(self.changes)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(440)
        self._type_changed()
        self._update_button()
        if catalogue is not None and not self.rules.why_not:
            spawn_for(self, catalogue.info(item.instrument_type or InstrumentType.EQUITY,
                                     item.symbol),
                      self._info_done)

    # ------------------------------------------------------------------ fields
    def _build_fields(self) -> None:
        item, allowed = self.item, self.rules.fields
        if self.rules.why_not:
            return
        rows: list[tuple[ModifyField, str, QWidget]] = []
        if ModifyField.ORDER_TYPE in allowed and len(self.rules.order_types) > 1:
            combo = QComboBox()
            for kind in self.rules.order_types:
                combo.addItem(fmt.order_type(kind).capitalize(), kind)
            combo.setCurrentIndex(max(0, combo.findData(item.order_type)))
            combo.currentIndexChanged.connect(self._type_changed)
            rows.append((ModifyField.ORDER_TYPE, "Order type", combo))
        if ModifyField.QUANTITY in allowed:
            rows.append((ModifyField.QUANTITY, "Quantity",
                         self._edit(item.total_quantity)))
        if ModifyField.LIMIT_PRICE in allowed:
            rows.append((ModifyField.LIMIT_PRICE, "Limit price", self._edit(item.limit_price)))
        if ModifyField.STOP_PRICE in allowed:
            rows.append((ModifyField.STOP_PRICE, "Stop price", self._edit(item.stop_price)))
        if ModifyField.TRAILING_STEP in allowed:
            step = item.trailing_stop_step
            percent = item.trailing_type is TrailingType.PERCENTAGE
            if percent and step is not None:
                step = step * _HUNDRED
            rows.append((ModifyField.TRAILING_STEP,
                         "Trailing step (%)" if percent else "Trailing step ($)",
                         self._edit(step)))
        if ModifyField.TIF in allowed and len(self.rules.tifs) > 1:
            combo = QComboBox()
            for tif in self.rules.tifs:
                combo.addItem(tif_words(tif), tif)
            combo.setCurrentIndex(max(0, combo.findData(item.time_in_force)))
            rows.append((ModifyField.TIF, "Time in force", combo))
        for n, (name, label, widget) in enumerate(rows):
            caption = QLabel(label)
            caption.setBuddy(widget)
            error = QLabel("")
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            self.grid.addWidget(caption, 2 * n, 0)
            self.grid.addWidget(widget, 2 * n, 1)
            self.grid.addWidget(error, 2 * n + 1, 1)
            self.inputs[name], self.errors[name], self._labels[name] = widget, error, caption
            if isinstance(widget, QLineEdit):
                widget.textEdited.connect(self._edited)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._edited)

    def _edit(self, value: Decimal | None) -> QLineEdit:
        edit = QLineEdit("" if value is None else format_plain(value, self.number_format))
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        return edit

    def order_type(self) -> OrderType:
        combo = self.inputs.get(ModifyField.ORDER_TYPE)
        if isinstance(combo, QComboBox) and combo.currentData() is not None:
            return combo.currentData()  # type: ignore[no-any-return]
        return self.item.order_type

    def _type_changed(self) -> None:
        uses = _USES.get(self.order_type(), frozenset())
        for name in _PRICE_FIELDS & self.inputs.keys():
            shown = name in uses
            for widget in (self.inputs[name], self._labels[name]):
                widget.setVisible(shown)
            if not shown:
                self.errors[name].hide()

    def shown_fields(self) -> list[ModifyField]:
        return [name for name, widget in self.inputs.items() if not widget.isHidden()]

    def set_text(self, name: ModifyField, text: str) -> None:
        widget = self.inputs[name]
        assert isinstance(widget, QLineEdit), f"{name} is not a text field"
        widget.setText(text)
        self._edited()

    def draft(self) -> ModifyDraft:
        def text(name: ModifyField) -> str:
            widget = self.inputs.get(name)
            if isinstance(widget, QLineEdit) and not widget.isHidden():
                return widget.text()
            return ""

        tif = self.inputs.get(ModifyField.TIF)
        return ModifyDraft(
            quantity=text(ModifyField.QUANTITY), limit_price=text(ModifyField.LIMIT_PRICE),
            stop_price=text(ModifyField.STOP_PRICE),
            tif=tif.currentData() if isinstance(tif, QComboBox) else None,
            order_type=self.order_type() if ModifyField.ORDER_TYPE in self.inputs else None,
            trailing_step=text(ModifyField.TRAILING_STEP))

    def _edited(self, *_args: Any) -> None:
        """Any edit makes a shown outcome or change list out of date."""
        self.changes.hide()
        if self.result_value is None:
            self.outcome.hide()

    # ------------------------------------------------------------------ state
    def _info_done(self, info: InstrumentInfo | None, error: BaseException | None) -> None:
        if error is not None:  # the rules of the instrument stay unknown: Webull checks them
            log.info("instrument rules for %s unavailable: %s", self.item.symbol, error)
        self.info = info
        self._info_loaded = True
        self._update_button()

    def _update_button(self) -> None:
        reason = ""
        if self.rules.why_not:
            reason = self.rules.why_not
        elif not self._info_loaded:
            reason = "Loading the instrument's rules…"
        elif self._busy:
            reason = "Waiting for Webull…"
        elif self.result_value is not None:
            reason = "The change was sent. Open Modify again to change it further."
        self.preview_button.setEnabled(not reason)
        self.preview_button.setToolTip(reason or "Preview the change before it is sent")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        for widget in self.inputs.values():
            widget.setEnabled(not busy and self.result_value is None)
        if text:
            self.outcome.show_text(text)
        self._update_button()

    def errors_shown(self) -> dict[str, str]:
        out = {name.value: label.text() for name, label in self.errors.items()
               if not label.isHidden()}
        if not self.general_error.isHidden():
            out[""] = self.general_error.text()
        return out

    # ------------------------------------------------------------------ preview and send
    def preview(self) -> None:
        if not self.preview_button.isEnabled():
            return
        built = build_modify(self.item, self.draft(), self.info, self.account_id,
                             self.preview_id, fmt=self.number_format, position=self._position())
        self.last_build = built
        for name, label in self.errors.items():
            message = built.errors.get(name.value, "")
            label.setText(message)
            label.setVisible(bool(message) and not self.inputs[name].isHidden())
        known = {n.value for n in self.errors}
        general = [m for k, m in built.errors.items() if k not in known]
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
        if built.modification is None:
            self.changes.hide()
            return
        self.changes.setText("\n".join(built.words))
        self.changes.setVisible(bool(built.words))
        self._set_busy(True, "Asking Webull to preview the change…")
        # the order being changed heads the preview; the changes follow, indented
        words = (f"Modify {order_phrase(self.item)}", *(f"  {w}" for w in built.words))
        spawn_for(self, self.desk.preview_modify(self.item, built.modification,
                                                 built.preview_request, words,
                                                 facts=built.facts),
                  lambda preview, error: self._previewed(preview, error, built.modification))

    def _previewed(self, preview: Preview | None, error: BaseException | None,
                   modification: ModifyOrder | None) -> None:
        self._set_busy(False)
        if error is not None or preview is None or modification is None:
            if isinstance(error, PreviewError):  # the desk's words: Webull's code included
                self.outcome.show_text(error.message, error=True, links=error.links)
            else:
                self.outcome.show_text(failure_text("preview", error or RuntimeError(
                    "no preview")), error=True)
            return
        self.outcome.hide()
        from .preview_dialog import PreviewDialog  # the ticket's dialog, shared

        dialog = PreviewDialog(preview, self, submit_label="Send change", offer_again=True)
        self.preview_dialog = dialog
        dialog.again_requested.connect(self.preview)  # it expired: the same change, again
        dialog.accepted.connect(lambda: self._send(preview, modification,
                                                   dialog.acknowledged()))
        dialog.rejected.connect(self._preview_closed)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def _preview_closed(self) -> None:
        self.preview_dialog = None

    def _send(self, preview: Preview, modification: ModifyOrder, acknowledged: bool) -> None:
        self.preview_dialog = None
        self._set_busy(True, "Sending the change to Webull…")
        spawn_for(self, self.desk.modify(preview, modification, acknowledged=acknowledged),
                  self._sent)

    def _sent(self, result: TradeResult | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            self._set_busy(False)
            self.outcome.show_text(failure_text("change", error or RuntimeError("no answer")),
                                   error=True)
            return
        # refused by Webull's rules (REJECTED) or turned away before it counted (ABSENT: a
        # 429 or an expired sign-in): nothing changed at Webull, so it may be tried again
        rejected = result.state in (IntentState.REJECTED, IntentState.ABSENT)
        if rejected:
            self.preview_id = uuid4().hex
        else:
            self.result_value = result
        self._set_busy(False)
        self.outcome.show_text(result.message, error=rejected, links=result.links)
        self.completed.emit(result)

    def _position(self) -> Position | None:
        if self.portfolio is None:
            return None
        kind = self.item.instrument_type or InstrumentType.EQUITY
        return next((p for p in self.portfolio.positions(self.account_id).values()
                     if p.symbol == self.item.symbol and p.instrument_type == kind
                     and (kind is not InstrumentType.EVENT
                          or p.event_outcome == self.item.event_outcome)), None)

    def outcome_text(self) -> str:
        return "" if self.outcome.isHidden() else self.outcome.plain

