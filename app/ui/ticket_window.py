"""The order ticket (issue 5): one window per order, every asset class, preview before submit.

The ticket keeps one TicketDraft. Each edit updates it, moves it onto the choices the capability
table offers (ticket_choices), redraws the fields (unused ones hidden) and rebuilds the order
(app.core.ticket.build), whose messages appear under the fields they belong to. Preview asks
the desk (Webull's preview, or a local estimate) and opens the PreviewDialog; accepting it
submits that very preview. One submit at a time: while a preview or a submit runs the buttons
are disabled and further presses do nothing; once a submit reached the journal the ticket's
client ids are renewed, so the next order can never reuse them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from app.core.capabilities import CAPABILITIES, instruments_for
from app.core.catalogue import Catalogue
from app.core.journal import IntentState
from app.core.portfolio import Portfolio, account_label
from app.core.ticket import BuildResult, TicketDraft, TicketIds, build
from app.core.ticket_input import NumberFormat
from app.core.trading import (
    DeskState,
    Preview,
    TradingDesk,
)
from app.webull.models import Account, InstrumentType, Position, Side

from . import ticket_choices as tc
from .balances import BUYING_POWER
from .numbers import locale_number_format
from .preview_dialog import Clock, PreviewDialog, dollars
from .ticket_flow import TicketFlow
from .ticket_form import ROWS, OrderForm
from .ticket_instrument import InstrumentArea
from .ticket_status import StatusLine, note_style

log = logging.getLogger(__name__)
_LABELS = {"symbol": "Symbol", "legs": "Legs", "strategy": "Strategy", "account": "Account",
           "instrument": "Instrument", "order": "Order"}


class TicketWindow(TicketFlow, QWidget):
    """One order ticket (a top-level window of its own). ``submitted`` carries each TradeResult."""

    submitted = Signal(object)

    def __init__(self, desk: TradingDesk, catalogue: Catalogue, portfolio: Portfolio,
                 accounts: Sequence[Account], account_id: str, *,
                 draft: TicketDraft | None = None, fmt: NumberFormat | None = None,
                 parent: QWidget | None = None, clock: Clock | None = None,
                 max_age_s: int = 30, today: date | None = None,
                 new_ids: Callable[[], TicketIds] = TicketIds.fresh) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.desk, self.catalogue, self.portfolio = desk, catalogue, portfolio
        self.accounts = tuple(accounts)
        self.fmt = fmt or locale_number_format()
        self.clock, self.max_age_s, self._new_ids = clock, max_age_s, new_ids
        self.ids = new_ids()
        account = self._account(account_id) or (self.accounts[0] if self.accounts else None)
        if account is None:
            raise ValueError("a ticket needs an account to trade in")
        kinds = instruments_for(account)
        self.draft = TicketDraft(account_id=account.account_id,
                                 instrument=kinds[0] if kinds else InstrumentType.EQUITY)
        self.built: BuildResult | None = None
        self.preview_value: Preview | None = None
        self.preview_dialog: PreviewDialog | None = None
        self.resend_dialog: PreviewDialog | None = None  # the preview of "Send again"
        #: the last order this ticket sent, while its outcome holds the ticket (ticket_flow)
        self.last_key = ""
        self.last_state: IntentState | None = None
        self._following = False  # awaiting the desk's lookup of ``last_key``
        self.busy = ""  # "preview" | "submit" | "": one request at a time
        self.touched: set[str] = set()
        self.show_all_errors = False
        self._generation = 0  # bumped when the order changes: older previews are void
        self._previewed_body: tuple[str, Any] | None = None
        self._filling = False
        self._build_ui(today)
        self._set_account(account.account_id)
        self._refresh()
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        if draft is not None:
            self.load_draft(draft)

    # ------------------------------------------------------------------ building
    def _build_ui(self, today: date | None) -> None:
        self.resize(660, 700)
        self.account_combo = QComboBox()
        for account in self.accounts:
            self.account_combo.addItem(account_label(account), account.account_id)
        self.account_combo.currentIndexChanged.connect(self._account_chosen)
        self.buying_power = QLabel()
        self.buying_power.setObjectName("headlineLabel")
        self.buying_power.setAlignment(Qt.AlignmentFlag.AlignRight
                                       | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        account_label_ = QLabel("Account")
        account_label_.setBuddy(self.account_combo)
        header.addWidget(account_label_)
        header.addWidget(self.account_combo)
        header.addStretch(1)
        header.addWidget(self.buying_power)
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(True)
        self.tabs.currentChanged.connect(self._tab_chosen)
        self.area = InstrumentArea(self.catalogue, self.fmt, today=today)
        self.area.changed.connect(self._refresh)
        self.form = OrderForm()
        self.form.edited.connect(self.apply)
        self.general_error = QLabel()
        self.general_error.setObjectName("fieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 4, 6, 4)
        inner.addWidget(self.area)
        inner.addWidget(rule)
        inner.addWidget(self.form)
        inner.addWidget(self.general_error)
        inner.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        self.status = StatusLine()
        self.resend_button = QPushButton("Send again (same order id)")
        self.resend_button.setAutoDefault(False)
        self.resend_button.clicked.connect(self.resend)
        self.resend_button.hide()
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAutoDefault(False)
        self.dismiss_button.setToolTip("Do not send this order: the audit log keeps the "
                                       "decision")
        self.dismiss_button.clicked.connect(self.dismiss)
        self.dismiss_button.hide()
        self.reason = QLabel()
        self.reason.setObjectName("dataAge")
        self.reason.setWordWrap(True)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        self.preview_button = QPushButton("Preview…")
        self.preview_button.setObjectName("primaryButton")
        self.preview_button.setAutoDefault(False)
        self.preview_button.setToolTip("Ask Webull to preview this order (Ctrl+Enter)")
        self.preview_button.clicked.connect(lambda _=False: self.preview())
        footer = QHBoxLayout()
        footer.addWidget(self.reason, 1)
        footer.addWidget(self.close_button)
        footer.addWidget(self.preview_button)
        self.closing_note = QLabel()
        self.closing_note.setObjectName("closingNote")
        self.closing_note.setWordWrap(True)
        self.closing_note.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.closing_note)
        layout.addWidget(self.tabs)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.status)
        pending = QHBoxLayout()
        pending.addWidget(self.resend_button)
        pending.addWidget(self.dismiss_button)
        pending.addStretch(1)
        layout.addLayout(pending)
        layout.addLayout(footer)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self.preview)

    # ------------------------------------------------------------------ account and class
    def _account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    @property
    def account(self) -> Account:
        found = self._account(self.draft.account_id)
        assert found is not None
        return found

    def _set_account(self, account_id: str) -> None:
        self._filling = True
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(account_id)))
        kinds = instruments_for(self.account)
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for kind in kinds:
            self.tabs.addTab(CAPABILITIES[kind].label.replace("&", "&&"))
            self.tabs.setTabData(self.tabs.count() - 1, kind.value)
        kind = self.draft.instrument if self.draft.instrument in kinds else (
            kinds[0] if kinds else self.draft.instrument)
        self.tabs.setCurrentIndex(kinds.index(kind) if kind in kinds else -1)
        self.tabs.blockSignals(False)
        self.tabs.setVisible(len(kinds) > 1)
        self._filling = False
        if kind is not self.draft.instrument or self.area.search_kinds != (kind,):
            self.draft = replace(self.draft, instrument=kind)
            self.area.set_kind(kind)
        self._show_buying_power()
        self._title()

    def _account_chosen(self, index: int) -> None:
        if self._filling:
            return
        account_id = self.account_combo.itemData(index)
        if account_id and account_id != self.draft.account_id:
            self.draft = replace(self.draft, account_id=str(account_id))
            self._set_account(str(account_id))
            self._refresh()

    def _tab_chosen(self, index: int) -> None:
        data = self.tabs.tabData(index)
        if self._filling or not data:
            return
        kind = InstrumentType(data)
        if kind is not self.draft.instrument:
            self.draft = replace(self.draft, instrument=kind, closing=False)
            self.touched.clear()
            self.show_all_errors = False
            self.area.set_kind(kind)  # emits changed → _refresh
            self._title()

    def _title(self) -> None:
        account = account_label(self.account)
        closing = self.draft.closing
        if closing:
            self.setWindowTitle(f"Close position {self.draft.symbol} — {account}")
            self.closing_note.setText(
                f"Closing your {self.draft.symbol} position: check the order, then preview it "
                "— nothing is sent without the preview.")
            self.closing_note.setStyleSheet(note_style())
        else:
            self.setWindowTitle(f"Order ticket — {account}")
        self.closing_note.setVisible(closing)

    def _show_buying_power(self) -> None:
        balance = self.portfolio.balance(self.draft.account_id)
        value = None
        if balance is not None:
            value = BUYING_POWER.get(balance, balance.currency_assets(
                str(balance.total_asset_currency)))
        self.buying_power.setText(f"Buying power {dollars(value)}"  # type: ignore[arg-type]
                                  if value is not None else "Buying power not known yet")

    # ------------------------------------------------------------------ the draft
    def load_draft(self, draft: TicketDraft) -> None:
        """Prefill the ticket (to close a position, say). Nothing is sent without a preview."""
        if self._account(draft.account_id) is None:
            raise ValueError(f"account {draft.account_id} is not one of this ticket's accounts")
        draft = tc.localized(draft, self.fmt)
        self.draft = draft
        self._set_account(draft.account_id)
        self.touched = {name for name in tc.TEXT_FIELDS if getattr(draft, name)}
        self.show_all_errors = False
        self.area.load(draft)
        self.draft = replace(draft, instrument=self.area.kind)
        self._title()
        self._refresh()

    def apply(self, field: str, value: object) -> None:
        """One field changed (by the trader, or a test): update, redraw, rebuild."""
        self.draft = replace(self.draft, **{field: value})
        self.touched.add(field)
        self._refresh()

    def _position(self) -> Position | None:
        d = self.draft
        for p in self.portfolio.positions(d.account_id).values():
            if p.instrument_type == d.instrument and p.symbol == d.symbol:
                return p
        return None

    def _refresh(self) -> None:
        """Draft → offered choices → fields → order request and its messages."""
        if self._filling:
            return
        d = replace(self.draft, instrument=self.area.kind, symbol=self.area.symbol())
        if d.symbol != self.draft.symbol:
            self.touched.add("symbol")
        if d.instrument is InstrumentType.OPTION:
            d = replace(d, strategy=self.area.current_strategy(), legs=self.area.leg_drafts())
        d, offer = tc.normalize(d, self.account, self.area.info)
        self.draft = d
        if d.instrument is InstrumentType.OPTION and d.side in (Side.BUY, Side.SELL):
            self.area.legs.follow_side(d.side)
        self.form.render(d, offer, tc.uses(d), self.fmt, self.area.info)
        try:
            self.built = build(d, self.area.info, self.account, self.ids, fmt=self.fmt,
                               position=self._position())
        except Exception as exc:  # build promises not to raise; if it does, say so
            log.exception("building the order failed")
            self.built = BuildResult(None, {"order": f"Pennant could not read this order "
                                                     f"({type(exc).__name__})."})
        self._show_errors()
        self._order_changed()
        self._update_actions()

    def _order_changed(self) -> None:
        built = self.built
        body = (self.draft.account_id, built.request.body()) if built and built.request else None
        if body == self._previewed_body and body is not None:
            return
        self._generation += 1
        self._previewed_body = None
        if self.preview_dialog is not None:
            self.preview_dialog.reject()
            self.status.show_text("The order changed after the preview: preview it again.")
        self.preview_value = None

    def _shown(self, name: str) -> bool:
        return self.show_all_errors or name in self.touched

    def _show_errors(self) -> None:
        errors = self.built.errors if self.built else {}
        self.form.set_errors(errors, self._shown)
        self.area.set_errors(errors, self.show_all_errors or "symbol" in self.touched
                             or "legs" in self.touched or bool(self.area.symbol()))
        known = self.form.names() | {"symbol", "strategy", "legs", "instrument"}
        other = [f"{_LABELS.get(k, k.replace('_', ' ').capitalize())}: {m}"
                 for k, m in errors.items()
                 if k not in known and not k.startswith("legs.")
                 and (self.show_all_errors or self.touched)]
        other += [f"{self._label(k)}: {m}" for k, m in errors.items()
                  if k in self.form.names() and not self.form.is_shown(k)
                  and self.show_all_errors]
        self.general_error.setText("\n".join(other))
        self.general_error.setVisible(bool(other))

    def _label(self, name: str) -> str:
        if name in self.form.labels:
            return self.form.labels[name].text()
        return _LABELS.get(name, name.split(".")[0].replace("_", " ").capitalize())

    # ------------------------------------------------------------------ state of the buttons
    def why_not_preview(self) -> str:
        """Why Preview is disabled now ("" when it is enabled)."""
        if self.busy == "preview":
            return "Asking Webull for a preview…"
        if self.busy == "submit":
            return "Sending the order to Webull…"
        pending = self.pending_why()
        if pending:
            return pending
        if self.preview_dialog is not None:
            return "The preview is open."
        built = self.built
        if built is None or built.request is None:
            errors = built.errors if built else {}
            if self.area.lookup_error:
                return self.area.lookup_error
            if self.area.loading:
                return self.area.loading
            order = [n for n, _ in ROWS]
            first = sorted(errors, key=lambda k: (
                0 if k in ("account", "symbol", "instrument", "strategy")
                or k.startswith("legs") else 1,
                order.index(k) if k in order else len(order)))
            if first:
                key = first[0]
                return f"To preview — {self._label(key)}: {errors[key]}"
            return "Complete the order to preview it."
        state = self.desk.state
        if state is not DeskState.READY:
            return self.desk.why or f"Trading is not available ({state.value.replace('_', ' ')})."
        return ""

    def _update_actions(self) -> None:
        why = self.why_not_preview()
        self.preview_button.setEnabled(not why)
        self.reason.setText(why)

    def _tick(self) -> None:
        self._show_buying_power()
        self._check_pending()
        self._update_actions()

    # ------------------------------------------------------------------ keyboard and closing
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        for dialog in (self.preview_dialog, self.resend_dialog):
            if dialog is not None:
                dialog.reject()
        if self.area.chain_picker is not None:
            self.area.chain_picker.close()
        self._timer.stop()
        super().closeEvent(event)

    # ------------------------------------------------------------------ for tests and tools
    def error_text(self, name: str) -> str:
        """The message shown next to a field ("" when none is shown)."""
        if name == "symbol":
            return self.area.symbol_error_text()
        return self.form.error_text(name)

    def visible_fields(self) -> frozenset[str]:
        return frozenset(n for n, _ in ROWS if self.form.is_shown(n))

