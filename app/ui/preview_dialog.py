"""The preview before a submit (issue 5): the order in words, the figures, every finding, and a
countdown — used by the order ticket and by the modify dialog.

Webull's figures sit under "Quoted by Webull"; where Webull has no preview (crypto) Pennant's
own figures sit in a dashed, italic box headed "Local estimate", every number prefixed "≈", so
an estimate never looks like a broker quote. Blocking findings disable Submit (the reason is
shown); advisory ones need the "I have read these warnings" tick. The preview ages: past
``max_age_s`` Submit is disabled and the dialog says to preview again (the desk refuses a stale
preview anyway). Open it with ``open()``; ``accepted`` means the trader pressed Submit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.precautions import Finding, Severity
from app.core.trading import Preview
from app.webull.models import InstrumentType, Side

from . import fmt, palette

Clock = Callable[[], datetime]
APPROX = "≈"
ARROW = "→"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def muted() -> str:
    return "#9aa5b1" if palette.is_dark() else "#5f6b7a"


def dollars(value: Decimal | None, *, approx: bool = False) -> str:
    """``$1,234.56`` (``−$12.00`` below zero), exact to the cent; ``—`` when unknown."""
    if value is None:
        return fmt.DASH
    text = fmt.money(value)
    text = text[0] + "$" + text[1:] if text.startswith(fmt.MINUS) else "$" + text
    return f"{APPROX} {text}" if approx else text


def _now() -> datetime:
    return datetime.now(UTC)


def _label(text: str = "", name: str = "", *, wrap: bool = False,
           align: Qt.AlignmentFlag | None = None) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if align is not None:
        label.setAlignment(align)
    return label


class FiguresBox(QFrame):
    """A framed grid of label → right-aligned figure rows under a heading."""

    def __init__(self, heading: str, *, estimate: bool, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.estimate = estimate
        style = "dashed" if estimate else "solid"
        self.setStyleSheet(f"QFrame#{name} {{ border: 1px {style} {muted()}; "
                           "border-radius: 4px; }")
        self.heading = _label(heading, "headlineLabel", wrap=True)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(3)
        self.grid.setColumnStretch(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.heading)
        layout.addLayout(self.grid)
        self.values: dict[str, QLabel] = {}
        if estimate:
            self._italic(self.heading)

    @staticmethod
    def _italic(label: QLabel) -> None:
        font = label.font()
        font.setItalic(True)
        label.setFont(font)

    def add(self, name: str, value: str) -> QLabel:
        row = self.grid.rowCount()
        key = _label(name)
        shown = _label(value, "figure", align=_RIGHT)
        if self.estimate:
            self._italic(key)
            self._italic(shown)
        self.grid.addWidget(key, row, 0)
        self.grid.addWidget(shown, row, 1)
        self.values[name] = shown
        return shown

    def note(self, text: str) -> QLabel:
        label = _label(text, "dataAge", wrap=True)
        if self.estimate:
            self._italic(label)
        self.layout().addWidget(label)
        return label


class PreviewDialog(QDialog):
    """Review one previewed order (or change) before it is sent."""

    #: the trader asked for a fresh preview (offered once this one has expired)
    again_requested = Signal()

    def __init__(self, preview: Preview, parent: QWidget | None = None, *,
                 submit_label: str = "Submit", max_age_s: int = 30,
                 clock: Clock | None = None, offer_again: bool = False) -> None:
        super().__init__(parent)
        self.preview = preview
        self.max_age_s = max_age_s
        self._clock = clock or _now
        self._sent = False  # Submit pressed once: later presses do nothing
        change = preview.kind == "modify"
        self.setWindowTitle("Preview change" if change else "Preview order")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(_label("The change" if change else "The order", "panelTitle"))
        lines = QVBoxLayout()
        lines.setSpacing(2)
        self.order_lines = [_label(line.strip(), "headlineLabel" if i == 0 else "", wrap=True)
                            for i, line in enumerate(preview.words)]
        for line, text in zip(self.order_lines, preview.words, strict=True):
            if text.startswith(" "):
                line.setContentsMargins(18, 0, 0, 0)
            lines.addWidget(line)
        layout.addLayout(lines)

        self.quote_box: FiguresBox | None = None
        self.estimate_box: FiguresBox | None = None
        self._figures(layout)
        self.account_box = self._account()
        layout.addWidget(self.account_box)

        self.findings: list[tuple[Finding, QLabel]] = []
        for finding in preview.findings:
            label = self._finding(finding)
            self.findings.append((finding, label))
            layout.addWidget(label)
        self.ack = QCheckBox("I have read these warnings and want to submit anyway")
        self.ack.setVisible(bool(preview.advisories) and not preview.blocked)
        self.ack.toggled.connect(self.refresh)
        layout.addWidget(self.ack)

        self.countdown = _label("", "dataAge", wrap=True)
        layout.addWidget(self.countdown)
        self.reason = _label("", "fieldError", wrap=True)
        layout.addWidget(self.reason)
        layout.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.again_button = QPushButton("Preview again")
        self.again_button.setAutoDefault(False)
        self.again_button.clicked.connect(self._again)
        self.again_button.hide()
        self._offer_again = offer_again
        self.submit_button = QPushButton(submit_label)
        self.submit_button.setObjectName("primaryButton")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.submit_button)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # ------------------------------------------------------------------ sections
    def _figures(self, layout: QVBoxLayout) -> None:
        p = self.preview
        order = p.request.orders[0]
        cost_name = "Estimated cost" if order.side is Side.BUY else "Estimated order value"
        if p.quote is not None:
            box = FiguresBox("Quoted by Webull", estimate=False, name="brokerQuote")
            if order.instrument_type is InstrumentType.FUTURES:
                box.add("Initial margin", dollars(p.quote.estimated_cost))
            else:
                box.add(cost_name, dollars(p.quote.estimated_cost))
            box.add("Estimated fees", dollars(p.quote.estimated_transaction_fee))
            self.quote_box = box
            layout.addWidget(box)
        if p.estimate is not None:
            box = FiguresBox("Local estimate — computed by Pennant, not a broker quote",
                             estimate=True, name="localEstimate")
            box.add(cost_name, dollars(p.estimate.cost, approx=True))
            box.add("Fee", dollars(p.estimate.fee, approx=True))
            box.note(p.estimate.basis)
            self.estimate_box = box
            layout.addWidget(box)
        if p.quote is None and p.estimate is None:
            layout.addWidget(_label("No figures: Webull quoted none for this order and "
                                    "Pennant knows no price to estimate with.", "emptyState",
                                    wrap=True))

    def _account(self) -> QFrame:
        p = self.preview
        box = QFrame()
        grid = QGridLayout(box)
        grid.setContentsMargins(11, 0, 11, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(0, 1)
        grid.addWidget(_label("Your account", "headlineLabel"), 0, 0)
        for column, title in ((1, "Before"), (3, "After")):
            grid.addWidget(_label(title, "dataAge", align=_RIGHT), 0, column)
        symbol = p.request.orders[0].symbol
        rows = [("Buying power", dollars(p.buying_power_before), dollars(p.buying_power_after))]
        if p.position_before is not None or p.position_after is not None:
            rows.append((f"Position in {symbol}", self._qty(p.position_before),
                         self._qty(p.position_after)))
        self.account_values: dict[str, tuple[QLabel, QLabel]] = {}
        for row, (name, before, after) in enumerate(rows, start=1):
            grid.addWidget(_label(name), row, 0)
            left, right = _label(before, "figure", align=_RIGHT), _label(after, "figure",
                                                                           align=_RIGHT)
            grid.addWidget(left, row, 1)
            grid.addWidget(_label(ARROW, "dataAge"), row, 2)
            grid.addWidget(right, row, 3)
            self.account_values[name.split(" in ")[0]] = (left, right)
        if p.buying_power_basis:
            grid.addWidget(_label(p.buying_power_basis, "dataAge", wrap=True),
                           len(rows) + 1, 0, 1, 4)
        return box

    @staticmethod
    def _qty(value: Decimal | None) -> str:
        return fmt.quantity(value)

    def _finding(self, finding: Finding) -> QLabel:
        blocking = finding.severity is Severity.BLOCK
        prefix = "Blocked" if blocking else "Warning"
        label = _label(f"{'✖' if blocking else '⚠'} {prefix}: {finding.message}", wrap=True)
        color = palette.loss() if blocking else palette.stale()
        label.setStyleSheet(f"color: {color};" + (" font-weight: bold;" if blocking else ""))
        return label

    # ------------------------------------------------------------------ state
    def age_s(self) -> float:
        return (self._clock() - self.preview.made_at).total_seconds()

    def remaining_s(self) -> int:
        """Whole seconds this preview may still back a submit (0 once expired)."""
        left = self.max_age_s - self.age_s()
        return max(0, int(left)) if left > 0 else 0

    def expired(self) -> bool:
        age = self.age_s()
        return age > self.max_age_s or age < 0

    def acknowledged(self) -> bool:
        return self.ack.isChecked()

    def why_not(self) -> str:
        """Why Submit is disabled now ("" when it is enabled)."""
        p = self.preview
        if p.blocked:
            count = sum(f.severity is Severity.BLOCK for f in p.findings)
            what = "the blocked check above stops" if count == 1 else \
                f"the {count} blocked checks above stop"
            return (f"Submit is disabled: {what} this order. Change the order and preview it "
                    "again.")
        if self.expired():
            return "This preview has expired: preview again."
        if p.advisories and not self.ack.isChecked():
            return "Tick “I have read these warnings” to submit."
        return ""

    def refresh(self, *_: object) -> None:
        """Redo the countdown and Submit's state (each second, and on the tick box)."""
        if self.expired():
            self.countdown.setText("This preview has expired: preview again.")
            self.countdown.setObjectName("fieldError")
            self.again_button.setVisible(self._offer_again)
            if self._offer_again:
                self.again_button.setDefault(True)
            self.timer.stop()
        else:
            left = self.remaining_s()
            self.countdown.setText(f"Valid for {left} s (prices and buying power move: a "
                                   f"preview counts for {self.max_age_s} s)")
        self.countdown.style().unpolish(self.countdown)
        self.countdown.style().polish(self.countdown)
        why = self.why_not()
        self.reason.setText(why)
        self.reason.setVisible(bool(why) and why != self.countdown.text())
        self.submit_button.setEnabled(not why and not self._sent)

    # ------------------------------------------------------------------ actions
    def submit(self) -> None:
        """Submit pressed (or Enter): accepted once, and only while allowed at this instant."""
        if self._sent:
            return
        self.refresh()
        if self.why_not():
            return
        self._sent = True
        self.submit_button.setEnabled(False)
        self.timer.stop()
        self.accept()

    def accept(self) -> None:  # noqa: D401 - Qt override
        """Only ``submit`` may accept (Enter on the dialog goes through it)."""
        if not self._sent:
            self.submit()
            return
        if self.isVisible() or self.result() != QDialog.DialogCode.Accepted:
            super().accept()

    def _again(self) -> None:
        self.again_requested.emit()
        self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """A held-down Enter (auto-repeat) never submits: only a fresh press does."""
        if event.isAutoRepeat() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Fit the height to the wrapped text at the width shown (no empty band)."""
        super().showEvent(event)
        height = self.layout().totalHeightForWidth(self.width())
        if height > 0:
            self.resize(self.width(), max(height, self.minimumSizeHint().height()))

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        self.timer.stop()
        super().done(result)
