"""The order precautions, as a group of the Settings dialog (issue 5).

Each check the ticket runs before Submit (app.core.precautions) is set here: its limit (blank
turns a limit off) and whether it blocks Submit or only warns. Numbers are read the way the
ticket reads them: strictly, in the user's locale.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.precautions import Limits, Severity
from app.core.ticket_input import InputError, NumberFormat, format_plain, parse_decimal

from .login_panels import ERROR_RED
from .numbers import locale_number_format

_SEVERITY_TEXT = ((Severity.BLOCK, "Block Submit"), (Severity.ADVISE, "Warn only"))


class _Row(QWidget):
    """A limit (optional) and its severity, with its error below."""

    def __init__(self, with_limit: bool, placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self) if with_limit else None
        self.severity = QComboBox(self)
        for value, text in _SEVERITY_TEXT:
            self.severity.addItem(text, value.value)
        self.error = QLabel(self)
        self.error.setStyleSheet(f"color: {ERROR_RED};")
        self.error.setWordWrap(True)
        self.error.hide()
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        if self.edit is not None:
            self.edit.setPlaceholderText(placeholder)
            self.edit.setClearButtonEnabled(True)
            line.addWidget(self.edit, 1)
        else:
            line.addStretch(1)
        line.addWidget(self.severity)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.error)

    def set_severity(self, severity: Severity) -> None:
        self.severity.setCurrentIndex(max(0, self.severity.findData(severity.value)))

    def current_severity(self) -> Severity:
        return Severity(self.severity.currentData())

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class PrecautionsForm(QGroupBox):
    """Edit ``Limits``; ``limits()`` gives the new limits or shows what is wrong."""

    def __init__(self, limits: Limits, fmt: NumberFormat | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Order precautions (checked before every Submit)", parent)
        self._fmt = fmt or locale_number_format()
        self.order_value = _Row(True, "off", self)
        self.futures_value = _Row(True, "off", self)
        self.futures_value.severity.hide()  # one severity for both value limits
        self.quantity = _Row(True, "off", self)
        self.deviation_pct = _Row(True, "off", self)
        self.deviation_ticks = QLineEdit(self)
        self.deviation_ticks.setPlaceholderText("off")
        self.deviation_ticks.setClearButtonEnabled(True)
        self.ticks_error = QLabel(self)
        self.ticks_error.setStyleSheet(f"color: {ERROR_RED};")
        self.ticks_error.hide()
        self.wrong_side = _Row(False, parent=self)
        self.oversized = _Row(False, parent=self)
        note = QLabel("A blank limit is off. “Block Submit” keeps an order from being sent; "
                      "“Warn only” shows the warning in the preview, to be acknowledged "
                      "before Submit.", self)
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(note)
        form.addRow("Largest order value ($)", self.order_value)
        form.addRow("… futures, at notional ($)", self.futures_value)
        form.addRow("Largest quantity per order", self.quantity)
        form.addRow("Price away from last (%)", self.deviation_pct)
        form.addRow("… or away from last (ticks)", self.deviation_ticks)
        form.addRow("", self.ticks_error)
        form.addRow("Stop on the wrong side of the market", self.wrong_side)
        form.addRow("Closing more than the position", self.oversized)
        self.set_limits(limits)

    def set_limits(self, limits: Limits) -> None:
        for row, value in ((self.order_value, limits.max_order_value),
                           (self.futures_value, limits.max_futures_order_value),
                           (self.quantity, limits.max_quantity),
                           (self.deviation_pct, limits.max_deviation_pct)):
            assert row.edit is not None
            row.edit.setText("" if value is None else format_plain(value, self._fmt))
            row.set_error("")
        self.deviation_ticks.setText("" if limits.max_deviation_ticks is None
                                     else str(limits.max_deviation_ticks))
        self.ticks_error.hide()
        self.order_value.set_severity(limits.max_order_value_severity)
        self.quantity.set_severity(limits.max_quantity_severity)
        self.deviation_pct.set_severity(limits.deviation_severity)
        self.wrong_side.set_severity(limits.wrong_side_stop_severity)
        self.oversized.set_severity(limits.oversized_close_severity)

    def limits(self, base: Limits | None = None) -> Limits | None:
        """The limits as entered (None, with the errors shown next to the fields, if any
        value cannot be used)."""
        ok = True
        values: dict[str, Decimal | None] = {}
        for name, row in (("max_order_value", self.order_value),
                          ("max_futures_order_value", self.futures_value),
                          ("max_quantity", self.quantity),
                          ("max_deviation_pct", self.deviation_pct)):
            assert row.edit is not None
            text = row.edit.text().strip()
            row.set_error("")
            if not text:
                values[name] = None
                continue
            try:
                values[name] = parse_decimal(text, name, self._fmt, max_places=4)
            except InputError as exc:
                row.set_error(exc.message.capitalize() + ".")
                ok = False
        ticks_text = self.deviation_ticks.text().strip()
        ticks: int | None = None
        self.ticks_error.hide()
        if ticks_text:
            try:
                ticks = int(parse_decimal(ticks_text, "ticks", self._fmt, max_places=0))
            except InputError as exc:
                self.ticks_error.setText(exc.message.capitalize() + ".")
                self.ticks_error.show()
                ok = False
        if not ok:
            return None
        return replace(
            base or Limits(), **values, max_deviation_ticks=ticks,
            max_order_value_severity=self.order_value.current_severity(),
            max_quantity_severity=self.quantity.current_severity(),
            deviation_severity=self.deviation_pct.current_severity(),
            wrong_side_stop_severity=self.wrong_side.current_severity(),
            oversized_close_severity=self.oversized.current_severity())
