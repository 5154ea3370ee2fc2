"""The order fields of the ticket (issue 5): one row per TicketDraft field, each with its error
underneath, shown only when the order uses the field.

The form holds no state of its own: ``render`` draws a draft and what each field offers
(ticket_choices), and every edit by the trader is reported as ``edited(field, value)`` — the
window applies it to its draft and renders again. Combo entries carry the enum's value, so a
choice always maps back to exactly one wire value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from app.core.ticket import Bracket, InstrumentInfo, TicketDraft
from app.core.ticket_input import NumberFormat, format_plain
from app.webull.models import (
    EntrustType,
    EventOutcome,
    InstrumentType,
    OrderType,
    PositionIntent,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)

from . import ticket_choices as tc

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: the label column and the field column of the ticket (the instrument area lines up with it)
LABEL_WIDTH = 120
FIELD_WIDTH = 300
#: combo fields: the enum their entries come from
_COMBOS: dict[str, type[Enum]] = {
    "side": Side, "event_outcome": EventOutcome, "position_intent": PositionIntent,
    "order_type": OrderType, "entrust": EntrustType, "tif": TimeInForce,
    "session": TradingSession, "trailing_type": TrailingType, "bracket": Bracket,
    "follow_up_side": Side, "follow_up_type": OrderType,
}
_TEXTS = tc.TEXT_FIELDS
#: the form's rows, top to bottom, with their default labels
ROWS: tuple[tuple[str, str], ...] = (
    ("side", "Side"), ("event_outcome", "Outcome"), ("position_intent", "Position"),
    ("order_type", "Order type"), ("entrust", "Order by"), ("quantity", "Quantity"),
    ("amount", "Amount ($)"), ("limit_price", "Limit price"), ("stop_price", "Stop price"),
    ("trailing_type", "Trail"), ("trailing_step", "Trail by"), ("tif", "Time in force"),
    ("session", "Session"), ("bracket", "Bracket"), ("take_profit_price", "Take profit at"),
    ("stop_loss_price", "Stop loss at"), ("follow_up_side", "Then"),
    ("follow_up_type", "Then order type"), ("follow_up_price", "Then at price"),
)


def _words(name: str, draft: TicketDraft) -> Callable[[object], str]:
    kind = draft.instrument
    if name == "side":
        table = tc.EVENT_SIDE_WORDS if kind is InstrumentType.EVENT else tc.SIDE_WORDS
        return lambda v: table.get(v, str(v))  # type: ignore[call-overload]
    if name == "entrust":
        return lambda v: tc.entrust_words(kind, v)  # type: ignore[arg-type]
    if name == "position_intent":
        return lambda v: tc.intent_words(v)  # type: ignore[arg-type]
    table: Mapping[object, str] = {
        "event_outcome": tc.OUTCOME_WORDS, "order_type": tc.TYPE_WORDS,
        "follow_up_type": tc.TYPE_WORDS, "tif": tc.TIF_WORDS, "session": tc.SESSION_WORDS,
        "trailing_type": tc.TRAILING_WORDS, "bracket": tc.BRACKET_WORDS,
        "follow_up_side": tc.SIDE_WORDS}[name]
    return lambda v: table.get(v, str(v))  # type: ignore[union-attr]


class OrderForm(QWidget):
    """The order's fields in a grid; ``edited(field, value)`` on each change by the trader."""

    edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        self.grid.setColumnMinimumWidth(1, FIELD_WIDTH)
        self.grid.setColumnStretch(2, 1)
        self.labels: dict[str, QLabel] = {}
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._filling = False
        for row, (name, title) in enumerate(ROWS):
            label = QLabel(title)
            widget = self._combo(name) if name in _COMBOS else self._edit(name)
            label.setBuddy(widget)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            self.grid.addWidget(label, 2 * row, 0)
            self.grid.addWidget(widget, 2 * row, 1)
            self.grid.addWidget(error, 2 * row + 1, 1, 1, 2)
            self.labels[name], self.fields[name], self.errors[name] = label, widget, error

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.currentIndexChanged.connect(lambda _i, n=name: self._combo_changed(n))
        return combo

    def _edit(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAlignment(_RIGHT)
        edit.textEdited.connect(lambda text, n=name: self.edited.emit(n, text))
        return edit

    def _combo_changed(self, name: str) -> None:
        if self._filling:
            return
        combo = self.fields[name]
        assert isinstance(combo, QComboBox)
        self.edited.emit(name, self._value(name, combo.currentData()))

    @staticmethod
    def _value(name: str, data: object) -> object:
        if data is None or data == "":
            return None
        return _COMBOS[name](data)

    # ------------------------------------------------------------------ drawing
    def render(self, draft: TicketDraft, offer: tc.Offer, used: frozenset[str],
               fmt: NumberFormat, info: InstrumentInfo | None = None) -> None:
        """Draw the draft: entries from the offer, values from the draft, unused rows hidden."""
        self._filling = True
        try:
            offered: dict[str, Sequence[object]] = {
                "side": offer.sides, "event_outcome": offer.outcomes,
                "position_intent": offer.intents, "order_type": offer.order_types,
                "entrust": offer.entrusts, "tif": offer.tifs, "session": offer.sessions,
                "trailing_type": offer.trailing_types, "bracket": offer.brackets,
                "follow_up_side": offer.follow_up_sides,
                "follow_up_type": offer.follow_up_types}
            for name, values in offered.items():
                self._fill(name, values, getattr(draft, name), _words(name, draft),
                           offer.notes.get(name, ""))
            for name in _TEXTS:
                edit = self.fields[name]
                assert isinstance(edit, QLineEdit)
                text = getattr(draft, name)
                if edit.text() != text:
                    edit.setText(text)
        finally:
            self._filling = False
        shown = set(used)
        for name, values in offered.items():
            if name in shown and len(values) < 1:
                shown.discard(name)
        for name, _title in ROWS:
            visible = name in shown
            self.labels[name].setVisible(visible)
            self.fields[name].setVisible(visible)
            if not visible:
                self.errors[name].hide()
        self._labels(draft, fmt, info)

    def _fill(self, name: str, values: Sequence[object], current: object,
              words: Callable[[object], str], note: str) -> None:
        combo = self.fields[name]
        assert isinstance(combo, QComboBox)
        wanted = [(words(v), "" if v is None else str(getattr(v, "value", v))) for v in values]
        have = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        if wanted != have:
            combo.clear()
            for text, data in wanted:
                combo.addItem(text, data)
        key = "" if current is None else str(getattr(current, "value", current))
        index = combo.findData(key)
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))
        combo.setEnabled(combo.count() > 1)
        combo.setToolTip(note or ("" if combo.count() != 1 else "The only choice for this order"))

    def _labels(self, draft: TicketDraft, fmt: NumberFormat,
                info: InstrumentInfo | None) -> None:
        self.labels["quantity"].setText(tc.quantity_label(draft))
        self.labels["limit_price"].setText(tc.limit_label(draft))
        self.labels["trailing_step"].setText(
            "Trail by (%)" if draft.trailing_type is TrailingType.PERCENTAGE else "Trail by ($)")
        self.labels["position_intent"].setText("Position")
        tick = info.tick if info is not None and info.tick else None
        hint = f"step {format_plain(tick, fmt)}" if tick is not None else ""
        for name in ("limit_price", "stop_price", "take_profit_price", "stop_loss_price",
                     "follow_up_price"):
            edit = self.fields[name]
            assert isinstance(edit, QLineEdit)
            edit.setPlaceholderText(hint)
        if info is not None and info.price_ranges:
            first, last = info.price_ranges[0], info.price_ranges[-1]
            self.edit("limit_price").setPlaceholderText(
                f"{format_plain(first.start, fmt)}–{format_plain(last.end, fmt)}")
        qty = self.fields["quantity"]
        assert isinstance(qty, QLineEdit)
        lot = info.lot_size if info is not None and info.lot_size else None
        qty.setPlaceholderText(f"lot {format_plain(lot, fmt)}" if lot and lot != 1 else "")

    # ------------------------------------------------------------------ errors
    def set_errors(self, errors: Mapping[str, str], shown: Callable[[str], bool]) -> None:
        """Each message under its field (only for fields ``shown`` says to show)."""
        for name, label in self.errors.items():
            text = errors.get(name, "") if shown(name) and self.is_shown(name) else ""
            text = text[:1].upper() + text[1:]
            label.setText(text)
            label.setVisible(bool(text))

    def is_shown(self, name: str) -> bool:
        return not self.fields[name].isHidden()

    def error_text(self, name: str) -> str:
        label = self.errors[name]
        return label.text() if not label.isHidden() else ""

    def edit(self, name: str) -> QLineEdit:
        widget = self.fields[name]
        assert isinstance(widget, QLineEdit)
        return widget

    def combo(self, name: str) -> QComboBox:
        widget = self.fields[name]
        assert isinstance(widget, QComboBox)
        return widget

    def names(self) -> frozenset[str]:
        return frozenset(self.fields)
