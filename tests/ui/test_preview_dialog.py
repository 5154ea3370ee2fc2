"""The preview dialog on its own: Webull's quote vs Pennant's local estimate (and that they look
different), figures exact to the cent and right-aligned, blocking and advisory findings, the
countdown to expiry on an injected clock, and one accept however often Submit is pressed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.core.order_request import OrderRequest
from app.core.precautions import Finding, Severity
from app.ui import palette
from app.ui.preview_dialog import PreviewDialog, dollars
from app.webull.models import NewOrder
from tests.ui.ticket_fakes import T0, make_preview

WORDS = ("Buy 10 AAPL · Limit 187.43 · Day · Core session · account Individual Margin (…1234)",)


def request(kind: str = "EQUITY", symbol: str = "AAPL", side: str = "BUY") -> OrderRequest:
    order = NewOrder(client_order_id=uuid.uuid4().hex, symbol=symbol, instrument_type=kind,
                     order_type="LIMIT", limit_price="187.43", quantity="10", side=side,
                     time_in_force="DAY",
                     support_trading_session="CORE" if kind == "EQUITY" else None)
    return OrderRequest("ACC-margin", (order,))


def dialog_for(qtbot: Any, now: list[Any], **kw: Any) -> PreviewDialog:
    submit_label = kw.pop("submit_label", "Submit")
    preview = make_preview(kw.pop("req", None) or request(), kw.pop("words", WORDS), T0, **kw)
    dialog = PreviewDialog(preview, clock=lambda: now[0], submit_label=submit_label)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


@pytest.fixture
def now() -> list[Any]:
    return [T0 + timedelta(seconds=2)]


def test_broker_quote_is_labelled_and_exact(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now, cost="1874.305", fee="0.02")
    assert dialog.windowTitle() == "Preview order"
    assert dialog.order_lines[0].text() == WORDS[0]
    assert dialog.estimate_box is None and dialog.quote_box is not None
    assert dialog.quote_box.heading.text() == "Quoted by Webull"
    cost = dialog.quote_box.values["Estimated cost"]
    assert cost.text() == "$1,874.31"  # to the cent, half up
    assert cost.alignment() & Qt.AlignmentFlag.AlignRight
    assert dialog.quote_box.values["Estimated fees"].text() == "$0.02"
    assert "≈" not in cost.text() and not cost.font().italic()
    before, after = dialog.account_values["Buying power"]
    assert (before.text(), after.text()) == ("$25,000.00", "$23,125.68")
    before, after = dialog.account_values["Position"]
    assert (before.text(), after.text()) == ("0", "10")
    assert dialog.submit_button.isEnabled() and not dialog.ack.isVisibleTo(dialog)
    assert dialog.countdown.text().startswith("Valid for 28 s")


def test_local_estimate_never_looks_like_a_quote(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now, estimate=True, req=request("CRYPTO", "BTCUSD"),
                        words=("Buy 10 BTCUSD · Limit 187.43 · Day",))
    assert dialog.quote_box is None and dialog.estimate_box is not None
    box = dialog.estimate_box
    assert box.heading.text() == "Local estimate — computed by Pennant, not a broker quote"
    assert box.heading.font().italic()
    figure = box.values["Estimated cost"]
    assert figure.text() == "≈ $1,874.30" and figure.font().italic()
    assert "dashed" in box.styleSheet()
    assert dialog.findChild(QDialog) is None  # nothing nested


def test_futures_quote_is_initial_margin_and_sells_show_value(qtbot: Any,
                                                              now: list[Any]) -> None:
    futures = dialog_for(qtbot, now, req=request("FUTURES", "ESZ6"))
    assert futures.quote_box is not None and "Initial margin" in futures.quote_box.values
    sell = dialog_for(qtbot, now, req=request(side="SELL"))
    assert sell.quote_box is not None and "Estimated order value" in sell.quote_box.values


def test_blocking_finding_disables_submit_with_the_reason(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now, findings=(
        Finding("wrong_side_stop", Severity.BLOCK, "The stop is above the market for a buy."),
        Finding("deviation", Severity.ADVISE, "The limit is 12.0% from the last price.")))
    assert not dialog.submit_button.isEnabled()
    assert dialog.reason.text().startswith("Submit is disabled: the blocked check above stops")
    assert not dialog.ack.isVisibleTo(dialog)  # nothing to acknowledge while blocked
    blocked, advisory = (label for _, label in dialog.findings)
    assert palette.loss() in blocked.styleSheet() and blocked.text().startswith("✖ Blocked:")
    assert palette.stale() in advisory.styleSheet() and advisory.text().startswith("⚠ Warning:")
    with qtbot.assertNotEmitted(dialog.accepted):
        dialog.submit()
        qtbot.keyClick(dialog, Qt.Key.Key_Return)


def test_advisory_finding_needs_the_tick(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now, findings=(
        Finding("max_quantity", Severity.ADVISE, "10,000 is more than your limit."),))
    assert dialog.ack.isVisibleTo(dialog) and not dialog.submit_button.isEnabled()
    assert dialog.reason.text() == "Tick “I have read these warnings” to submit."
    assert not dialog.acknowledged()
    dialog.ack.setChecked(True)
    assert dialog.submit_button.isEnabled() and dialog.acknowledged()
    assert dialog.reason.isHidden()


def test_countdown_and_expiry(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now)
    assert dialog.timer.isActive() and dialog.timer.interval() == 1000
    now[0] = T0 + timedelta(seconds=20)
    dialog.timer.timeout.emit()
    assert dialog.remaining_s() == 10 and dialog.countdown.text().startswith("Valid for 10 s")
    now[0] = T0 + timedelta(seconds=30, milliseconds=1)
    dialog.timer.timeout.emit()
    assert dialog.expired() and not dialog.submit_button.isEnabled()
    assert dialog.countdown.text() == "This preview has expired: preview again."
    assert not dialog.timer.isActive()
    assert not dialog.again_button.isVisibleTo(dialog)  # nobody offered to preview again here
    with qtbot.assertNotEmitted(dialog.accepted):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        dialog.submit()


def test_expiry_is_checked_at_the_moment_of_the_press(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now)
    assert dialog.submit_button.isEnabled()
    now[0] = T0 + timedelta(seconds=45)  # the timer has not ticked yet
    with qtbot.assertNotEmitted(dialog.accepted):
        dialog.submit()
    assert not dialog.submit_button.isEnabled()


def test_submit_accepts_once(qtbot: Any, now: list[Any]) -> None:
    dialog = dialog_for(qtbot, now, submit_label="Send change")
    assert dialog.submit_button.text() == "Send change"
    accepted: list[int] = []
    dialog.accepted.connect(lambda: accepted.append(1))
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    dialog.accept()
    dialog.submit()
    assert accepted == [1] and dialog.result() == QDialog.DialogCode.Accepted


def test_a_held_down_enter_does_not_submit(qtbot: Any, now: list[Any]) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    dialog = dialog_for(qtbot, now)
    repeat = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier,
                       "\r", True)
    with qtbot.assertNotEmitted(dialog.accepted):
        QApplication.sendEvent(dialog, repeat)
    assert dialog.isVisible()


def test_enter_submits_and_escape_cancels(qtbot: Any, now: list[Any]) -> None:
    entered = dialog_for(qtbot, now)
    with qtbot.waitSignal(entered.accepted, timeout=1_000):
        qtbot.keyClick(entered, Qt.Key.Key_Return)
    escaped = dialog_for(qtbot, now)
    with qtbot.waitSignal(escaped.rejected, timeout=1_000):
        qtbot.keyClick(escaped, Qt.Key.Key_Escape)


def test_modify_preview_and_missing_figures(qtbot: Any, now: list[Any]) -> None:
    from dataclasses import replace

    preview = replace(make_preview(request(), WORDS, T0), kind="modify", quote=None,
                      buying_power_after=None, position_before=None, position_after=None)
    dialog = PreviewDialog(preview, clock=lambda: now[0])
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Preview change"
    assert dialog.quote_box is None and dialog.estimate_box is None
    assert dialog.account_values["Buying power"][1].text() == "—"
    assert "Position" not in dialog.account_values  # nothing known: no row of dashes


def test_dollars() -> None:
    assert dollars(Decimal("-12.005")) == "−$12.01"
    assert dollars(Decimal("1234567.891"), approx=True) == "≈ $1,234,567.89"
    assert dollars(None) == "—"
