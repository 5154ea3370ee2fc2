"""The legs of an option strategy, one row each: side, call/put (or the stock of a covered
stock or collar), strike, expiry, ratio and a button that opens the chain for that leg.

The strategy fixes how many legs there are (its template from app.core.ticket); the trader
edits each leg. A strike stays exactly as typed — the ticket parses it and puts any message
next to the leg (``set_leg_error``) — so a half-typed number is never reformatted under the
cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.ticket import LegDraft
from app.core.ticket_input import InputError, NumberFormat, format_plain, parse_decimal
from app.webull.models import OptionStrategy, OptionType, Side

from .option_chain import LegPick

_ET = ZoneInfo("America/New_York")
#: strategies whose first leg may be shares instead of an option
STOCK_STRATEGIES = frozenset({OptionStrategy.COVERED_STOCK, OptionStrategy.COLLAR_WITH_STOCK})
MAX_RATIO = 10
_STOCK = "STOCK"  # the kind combo's data for the stock leg
_SIDES = ((Side.BUY, "Buy"), (Side.SELL, "Sell"))
_HEADERS = ("Leg", "Side", "Type", "Strike", "Expiry", "Ratio", "")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class ExpiryField(QStackedWidget):
    """The listed expirations as a list once they are known; a date field until then."""

    changed = Signal()

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.combo = QComboBox()
        self.combo.setToolTip("Expiration date (from the option chain)")
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setSpecialValueText("—")  # shown at the minimum date: no expiry yet
        self.date_edit.setToolTip("Expiration date (the option chain lists the real ones)")
        self._set_floor(today)
        self.date_edit.setDate(self.date_edit.minimumDate())
        self.addWidget(self.date_edit)
        self.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self.changed)
        self.date_edit.dateChanged.connect(self.changed)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._known: tuple[date, ...] = ()

    def _set_floor(self, day: date) -> None:
        # the day before the earliest allowed is the "not set" value, so stepping up from
        # "—" lands on a sensible date rather than in the distant past
        self.date_edit.setMinimumDate(_qdate(day - timedelta(days=1)))

    def set_known(self, expirations: Sequence[date]) -> None:
        """The expirations the chain lists (empty: type a date)."""
        value = self.value()
        self._known = tuple(sorted(set(expirations)))
        self.blockSignals(True)
        self.combo.clear()
        for expiry in self._known:
            self._add_item(expiry, listed=True)
        self.setCurrentWidget(self.combo if self._known else self.date_edit)
        self.set_value(value)
        self.blockSignals(False)

    def _add_item(self, expiry: date, *, listed: bool) -> None:
        days = (expiry - self._today).days
        text = f"{expiry:%Y-%m-%d} · {days} d" if listed else f"{expiry:%Y-%m-%d} (not listed)"
        self.combo.addItem(text, expiry.isoformat())  # Qt cannot findData() a Python date

    def value(self) -> date | None:
        if self.currentWidget() is self.combo:
            data = self.combo.currentData()
            return date.fromisoformat(data) if isinstance(data, str) else None
        qd = self.date_edit.date()
        if qd == self.date_edit.minimumDate():
            return None
        return date(qd.year(), qd.month(), qd.day())

    def set_value(self, expiry: date | None) -> None:
        if self.currentWidget() is self.combo:
            if expiry is None:
                self.combo.setCurrentIndex(-1)
                return
            index = self.combo.findData(expiry.isoformat())
            if index < 0:  # keep what the draft says; the ticket says if it is not listed
                self._add_item(expiry, listed=False)
                index = self.combo.count() - 1
            self.combo.setCurrentIndex(index)
            return
        if expiry is None:
            self.date_edit.setDate(self.date_edit.minimumDate())
            return
        if expiry <= self._today - timedelta(days=1):
            self._set_floor(expiry - timedelta(days=1))
        self.date_edit.setDate(_qdate(expiry))


@dataclass
class _Row:
    number: QLabel
    side: QComboBox
    kind: QComboBox
    strike: QLineEdit
    expiry: ExpiryField
    ratio: QSpinBox
    chain: QPushButton
    error: QLabel

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.number, self.side, self.kind, self.strike, self.expiry, self.ratio,
                self.chain, self.error)

    def is_stock(self) -> bool:
        return self.kind.currentData() == _STOCK


class LegsEditor(QWidget):
    """Rows of legs for an option strategy; ``changed`` fires on every edit."""

    changed = Signal()
    chain_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, fmt: NumberFormat | None = None,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self._fmt = fmt or NumberFormat()
        self._today = today or datetime.now(_ET).date()
        self._strategy = OptionStrategy.SINGLE
        self._expirations: tuple[date, ...] = ()
        self._rows: list[_Row] = []
        self._quiet = 0  # >0 while the editor fills itself: one `changed` at the end
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(3)
        for column, title in enumerate(_HEADERS):
            label = QLabel(title)
            label.setObjectName("dataAge")
            self.grid.addWidget(label, 0, column)
        self.grid.setColumnStretch(len(_HEADERS), 1)  # spare width goes right of the rows
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.grid)
        layout.addWidget(self.error)
        layout.addStretch(1)  # rows stay together at the top when the editor is tall

    # ------------------------------------------------------------------ public API
    def strategy(self) -> OptionStrategy:
        return self._strategy

    def set_strategy(self, strategy: OptionStrategy, template: tuple[LegDraft, ...]) -> None:
        """A new strategy: as many rows as its template, filled from it."""
        self._strategy = strategy
        self._build(len(template))
        self.set_legs(template)

    def follow_side(self, side: Side) -> None:
        """A single option takes the order's side and one contract per unit: its leg shows
        that side and ratio 1, not editable, so the row never contradicts the order."""
        if self._strategy is not OptionStrategy.SINGLE or len(self._rows) != 1:
            return
        row = self._rows[0]
        index = row.side.findData(side.value)
        if index >= 0 and index != row.side.currentIndex():
            row.side.blockSignals(True)
            row.side.setCurrentIndex(index)
            row.side.blockSignals(False)
        row.side.setEnabled(False)
        row.side.setToolTip("A single option is bought or sold as the order's Side says")
        row.ratio.setEnabled(False)
        row.ratio.setToolTip("A single option: the order's quantity is the contracts")

    def set_number_format(self, fmt: NumberFormat) -> None:
        self._fmt = fmt

    def set_expirations(self, expirations: tuple[date, ...]) -> None:
        """The listed expirations (from the chain): each expiry becomes a list to pick from."""
        self._expirations = tuple(expirations)
        for row in self._rows:
            row.expiry.set_known(self._expirations)

    def legs(self) -> tuple[LegDraft, ...]:
        """The legs as drafts; a strike that does not parse is None (the ticket says why)."""
        out: list[LegDraft] = []
        for row in self._rows:
            side = Side(row.side.currentData())  # Qt hands back a plain str
            if row.is_stock():
                out.append(LegDraft(side, None, None, None, row.ratio.value()))
                continue
            try:
                strike = parse_decimal(row.strike.text(), "Strike", self._fmt)
            except InputError:
                strike = None
            out.append(LegDraft(side, OptionType(row.kind.currentData()), strike,
                                row.expiry.value(), row.ratio.value()))
        return tuple(out)

    def leg_texts(self) -> tuple[str, ...]:
        """Each leg's strike exactly as typed (for the ticket's parser and its messages)."""
        return tuple("" if row.is_stock() else row.strike.text() for row in self._rows)

    def set_legs(self, legs: Sequence[LegDraft]) -> None:
        """Fill the rows (a prefilled ticket, a template); rebuilt if the count differs."""
        if len(legs) != len(self._rows):
            self._build(len(legs))
        with _Quiet(self):
            for index, (row, leg) in enumerate(zip(self._rows, legs, strict=True)):
                self._fill(index, row, leg)

    def set_leg_from_pick(self, index: int, pick: LegPick) -> None:
        """A contract picked from the chain: its type, strike and expiry go on that leg."""
        if not 0 <= index < len(self._rows):
            raise IndexError(f"there is no leg {index + 1}")
        row = self._rows[index]
        with _Quiet(self):
            row.kind.setCurrentIndex(row.kind.findData(pick.option_type.value))
            row.strike.setText(format_plain(pick.strike, self._fmt))
            row.expiry.set_value(pick.expiry)
            row.error.clear()
            row.error.hide()

    def set_error(self, text: str) -> None:
        """A message about the legs as a whole (below them); "" clears it."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_leg_error(self, index: int, text: str) -> None:
        """A message about one leg (under its row); "" clears it."""
        if 0 <= index < len(self._rows):
            label = self._rows[index].error
            label.setText(text)
            label.setVisible(bool(text))

    def clear_errors(self) -> None:
        self.set_error("")
        for index in range(len(self._rows)):
            self.set_leg_error(index, "")

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def leg_error(self, index: int) -> str:
        label = self._rows[index].error
        return label.text() if not label.isHidden() else ""

    def row_widgets(self, index: int) -> _Row:
        """The widgets of one leg (for the ticket's focus handling and for tests)."""
        return self._rows[index]

    def count(self) -> int:
        return len(self._rows)

    # ------------------------------------------------------------------ rows
    def _build(self, count: int) -> None:
        for row in self._rows:
            for widget in row.widgets():
                self.grid.removeWidget(widget)
                widget.hide()  # gone now, not when the event loop gets to deleting it
                widget.deleteLater()
        self._rows = [self._make_row(index) for index in range(count)]

    def _make_row(self, index: int) -> _Row:
        number = QLabel(str(index + 1))
        number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side = QComboBox()
        for value, text in _SIDES:
            side.addItem(text, value.value)
        kind = QComboBox()
        kind.addItem("Call", OptionType.CALL.value)
        kind.addItem("Put", OptionType.PUT.value)
        if self._strategy in STOCK_STRATEGIES and index == 0:
            kind.addItem("Stock", _STOCK)
        strike = QLineEdit()
        strike.setPlaceholderText("Strike")
        strike.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        strike.setMaximumWidth(110)
        expiry = ExpiryField(self._today)
        expiry.set_known(self._expirations)
        expiry.setMinimumWidth(170)
        ratio = QSpinBox()
        ratio.setRange(1, MAX_RATIO)
        ratio.setToolTip("Contracts of this leg per unit of the strategy (a butterfly's "
                         "body is 2)")
        chain = QPushButton("Chain…")
        chain.setToolTip(f"Pick leg {index + 1} from the option chain")
        chain.clicked.connect(lambda _=False, i=index: self.chain_requested.emit(i))
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        row = _Row(number, side, kind, strike, expiry, ratio, chain, error)
        grid_row = 1 + 2 * index
        for column, widget in enumerate(row.widgets()[:-1]):
            self.grid.addWidget(widget, grid_row, column)
        self.grid.addWidget(error, grid_row + 1, 1, 1, len(_HEADERS) - 1)
        side.currentIndexChanged.connect(self._edited)
        kind.currentIndexChanged.connect(lambda _=0, r=row: self._kind_changed(r))
        strike.textEdited.connect(self._edited)
        expiry.changed.connect(self._edited)
        ratio.valueChanged.connect(self._edited)
        return row

    def _fill(self, index: int, row: _Row, leg: LegDraft) -> None:
        side = row.side.findData(leg.side.value)
        if side < 0:  # a side the row does not offer (SHORT): show it rather than hide it
            row.side.addItem(leg.side.value.title(), leg.side.value)
            side = row.side.count() - 1
        row.side.setCurrentIndex(side)
        kind = _STOCK if leg.option_type is None else leg.option_type.value
        found = row.kind.findData(kind)
        if found < 0 and kind == _STOCK:  # a stock leg where the strategy has none
            row.kind.addItem("Stock", _STOCK)
            found = row.kind.count() - 1
        row.kind.setCurrentIndex(found)
        row.strike.setText("" if leg.strike is None else format_plain(leg.strike, self._fmt))
        row.expiry.set_value(leg.expiry)
        row.ratio.setValue(max(1, min(MAX_RATIO, leg.ratio)))
        self._kind_changed(row)

    def _kind_changed(self, row: _Row) -> None:
        option = not row.is_stock()
        for widget in (row.strike, row.expiry, row.chain):
            widget.setEnabled(option)
        row.strike.setPlaceholderText("Strike" if option else "—")
        self._edited()

    def _edited(self, *_: object) -> None:
        if not self._quiet:
            self.changed.emit()


class _Quiet:
    """Fill the editor without a `changed` per widget; one `changed` when done."""

    def __init__(self, editor: LegsEditor) -> None:
        self.editor = editor

    def __enter__(self) -> None:
        self.editor._quiet += 1

    def __exit__(self, *exc: object) -> None:
        self.editor._quiet -= 1
        if not self.editor._quiet:
            self.editor.changed.emit()
