"""The window's chrome: the environment banner, the session strip, the trading desk's strip,
the welcome page and the status bar indicators (connection health, sign-in and token lifetime,
whether trading is possible)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.events import Health, SessionChanged, SessionState
from app.core.journal import Intent
from app.core.order_request import OrderRequest
from app.core.trading import DeskState
from app.webull.environments import Environment, EnvironmentKind

from . import fmt, palette


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} days"


class Banner(QLabel):
    """Names the environment; Demo and Production cannot be mistaken for each other."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("banner")
        self.kind = ""

    def show_environment(self, name: str, label: str, env: Environment | None) -> None:
        if name == "demo":
            self.kind = "demo"
            text = ("DEMO — simulated market on this computer. No real account, no real money.")
        elif env is not None and env.kind is EnvironmentKind.PRODUCTION:
            self.kind = "production"
            text = f"PRODUCTION — {label}: real account, real money"
        else:
            self.kind = "sandbox"
            text = f"SANDBOX — {label}: Webull's test environment"
        self.setText(text)
        self.setProperty("kind", self.kind)
        self.style().unpolish(self)
        self.style().polish(self)


class SessionStrip(QWidget):
    """Shown only when the sign-in needs attention: expired or refused, with Reconnect."""

    reconnect_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionStrip")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("Reconnect")
        self.button.clicked.connect(self.reconnect_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_session(self, event: SessionChanged) -> None:
        if event.state is SessionState.EXPIRED:
            reason = event.message or ("Webull no longer accepts this sign-in. The figures "
                                       "below are the last ones received.")
            self.text.setText(f"Read-only — {reason}")
            self.show()
        else:
            self.hide()


def desk_message(state: DeskState, why: str, checking: int = 0) -> str:
    """What the desk strip says about the desk's state ("" when there is nothing to say)."""
    if state is DeskState.RECONCILING:
        what = (f"{checking} order{'s' if checking != 1 else ''}" if checking
                else "the orders")
        return (f"Checking {what} from your last session with Webull — trading is paused "
                "until Pennant knows what happened to them.")
    if state is DeskState.BLOCKED:
        return f"Trading is paused: {why or 'orders from your last session are unresolved.'}"
    if state is DeskState.READ_ONLY:
        return f"Read-only: {why or 'sign in again to trade.'}"
    return ""


def intent_phrase(intent: Intent) -> str:
    """An intent's order in a few words: ``Buy 10 AAPL limit 187.50``."""
    try:
        order = OrderRequest.from_body(intent.account_id, intent.request).orders[0]
    except (KeyError, TypeError, ValueError, IndexError):
        return f"order {intent.client_order_id[:8]}…"
    if order.quantity is not None:
        what = f"{fmt.quantity(order.quantity)} {order.symbol}"
    else:
        what = f"${fmt.money(order.total_cash_amount)} of {order.symbol}"
    parts = [fmt.words(order.side), what, fmt.order_type(order.order_type).lower()]
    if order.limit_price is not None:
        parts.append(fmt.price(order.limit_price))
    elif order.stop_price is not None:
        parts.append(fmt.price(order.stop_price))
    return " ".join(parts)


class DeskStrip(QWidget):
    """Shown while trading is paused (orders from the last session being checked, or
    unresolved), read-only, or when orders of before turned out never to have reached Webull:
    each of those gets "Send again" (same ids, so never twice) and "Dismiss"."""

    resend_clicked = Signal(str)  # client_order_id of an ABSENT intent
    dismiss_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskStrip")
        self.state = DeskState.READY
        self.text = QLabel()
        self.text.setObjectName("deskText")
        self.text.setWordWrap(True)
        self.absent_title = QLabel()
        self.absent_title.setWordWrap(True)
        self._rows = QGridLayout()
        self._rows.setContentsMargins(12, 0, 0, 0)
        self._rows.setColumnStretch(0, 1)
        self._intents: list[Intent] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addWidget(self.absent_title)
        layout.addLayout(self._rows)
        self.hide()

    def show_state(self, state: DeskState, why: str = "", *, checking: int = 0,
                   absent: Sequence[Intent] = ()) -> None:
        self.state = state
        message = desk_message(state, why, checking)
        self.text.setText(message)
        self.text.setVisible(bool(message))
        self._show_absent(absent)
        self.setProperty("state", state.value)
        self.update()
        self.setVisible(bool(message) or bool(self._intents))

    def _show_absent(self, absent: Sequence[Intent]) -> None:
        self._intents = list(absent)
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone from the screen now, deleted on the next turn
                widget.deleteLater()
        n = len(self._intents)
        self.absent_title.setText(
            f"{n} order{'s' if n != 1 else ''} from before never reached Webull (Webull has "
            "no such order). Send again uses the same order id, so it cannot be placed twice:"
            if n else "")
        self.absent_title.setVisible(bool(n))
        for row, intent in enumerate(self._intents):
            label = QLabel(f"{intent_phrase(intent)} · written "
                           f"{fmt.local_time(intent.created_at)}")
            label.setToolTip(f"Client order id {intent.client_order_id}")
            send = QPushButton("Send again")
            send.setToolTip("Send exactly this order again, with the same order id")
            dismiss = QPushButton("Dismiss")
            dismiss.setToolTip("Do not send it; remove it from this list")
            key = intent.client_order_id
            send.clicked.connect(lambda _=False, k=key: self.resend_clicked.emit(k))
            dismiss.clicked.connect(lambda _=False, k=key: self.dismiss_clicked.emit(k))
            self._rows.addWidget(label, row, 0)
            self._rows.addWidget(send, row, 1)
            self._rows.addWidget(dismiss, row, 2)

    def absent_keys(self) -> list[str]:
        return [i.client_order_id for i in self._intents]

    def buttons_for(self, key: str) -> tuple[QPushButton, QPushButton]:
        row = self.absent_keys().index(key)
        send, dismiss = (self._rows.itemAtPosition(row, c).widget() for c in (1, 2))  # type: ignore[union-attr]
        assert isinstance(send, QPushButton) and isinstance(dismiss, QPushButton)
        return send, dismiss

    def background(self) -> str:
        """Amber while paused, red when blocked; picked at paint time from the theme in use
        (so a theme switch needs no restyling, and no style is changed mid-switch)."""
        dark = palette.is_dark()
        if self.state is DeskState.BLOCKED:
            return "#4a1c1f" if dark else "#fde7e8"
        return "#4a3a10" if dark else "#fff4d6"

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(self.background()))
        painter.end()
        super().paintEvent(event)


class WelcomePage(QWidget):
    """What the central area shows until a session is connected."""

    connect_clicked = Signal()
    settings_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.title = QLabel("Pennant")
        self.title.setObjectName("welcomeTitle")
        self.environment = QLabel()
        self.environment.setObjectName("welcomeEnvironment")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.connect_button = QPushButton("Connect Webull")
        self.connect_button.setObjectName("primaryButton")
        self.connect_button.clicked.connect(self.connect_clicked)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.settings_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.settings_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for w in (self.title, self.environment):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        # no alignment flag here: an aligned item ignores a wrapped label's height-for-width
        message_row = QHBoxLayout()
        message_row.addStretch(1)
        message_row.addWidget(self.message)
        message_row.addStretch(1)
        layout.addLayout(message_row)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(3)
        # a fixed width lets the wrapped text claim the height it needs
        self.message.setFixedWidth(560)

    def show_message(self, environment: str, text: str, *, can_connect: bool) -> None:
        self.environment.setText(environment)
        self.message.setText(text)
        self.set_connect_enabled(can_connect)

    def set_connect_enabled(self, enabled: bool) -> None:
        self.connect_button.setEnabled(enabled)


_HEALTH_TEXT = {
    Health.CONNECTED: "Connected",
    Health.DEGRADED: "Degraded",
    Health.OFFLINE: "Offline",
}


class StatusIndicators(QWidget):
    """Connection health (a coloured dot and a word) and the sign-in's remaining lifetime."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.health = QLabel("● Not connected")
        self.health.setObjectName("health")
        self.health.setProperty("state", "none")
        self.session = QLabel("Signed out")
        self.session.setObjectName("sessionLifetime")
        self.trading = QLabel("")
        self.trading.setObjectName("health")
        self.trading.setProperty("state", "none")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.session, 1, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.trading, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.health, 0, Qt.AlignmentFlag.AlignRight)
        self._event: SessionChanged | None = None
        self._health = "none"

    def set_health(self, health: Health, message: str = "") -> None:
        self._health = health.value
        self.health.setText(f"● {_HEALTH_TEXT.get(health, health.value)}")
        self.health.setToolTip(message or _HEALTH_TEXT.get(health, ""))
        self._repolish()

    def _repolish(self) -> None:
        self.health.setProperty("state", self._health)
        self.health.style().unpolish(self.health)
        self.health.style().polish(self.health)

    def set_desk(self, state: DeskState | None, why: str = "") -> None:
        """Whether orders can be sent now: Trading ready / paused / blocked / read-only."""
        text, look = {
            None: ("", "none"),
            DeskState.READY: ("● Trading ready", "connected"),
            DeskState.RECONCILING: ("● Trading paused: checking orders", "degraded"),
            DeskState.BLOCKED: ("● Trading blocked", "offline"),
            DeskState.READ_ONLY: ("● Read-only", "none"),
        }[state]
        self.trading.setText(text)
        self.trading.setToolTip(why or text.lstrip("● "))
        self.trading.setProperty("state", look)
        self.trading.style().unpolish(self.trading)
        self.trading.style().polish(self.trading)

    def set_session(self, event: SessionChanged) -> None:
        self._event = event
        if event.state is not SessionState.CONNECTED:
            self._health = {"expired": "offline"}.get(event.state.value, "none")
            label = {SessionState.EXPIRED: "● Sign-in expired",
                     SessionState.CONNECTING: "● Connecting…"}.get(event.state, "● Not connected")
            self.health.setText(label)
            self._repolish()
        self.tick(datetime.now(UTC))

    def tick(self, now: datetime) -> None:
        e = self._event
        if e is None or e.state is SessionState.DISCONNECTED:
            self.session.setText("Signed out")
            return
        if e.state is SessionState.CONNECTING:
            self.session.setText("Signing in…")
            return
        if e.state is SessionState.EXPIRED:
            self.session.setText("Sign-in expired — read-only")
            return
        parts = ["Signed in" + (f" ({e.identity_id})" if e.identity_id else "")]
        if e.access_expires_at is not None:
            left = (e.access_expires_at - now).total_seconds()
            parts.append(f"access token renews in {_duration(left - 120)}" if left > 120
                         else "access token renewing")
        if e.refresh_expires_at is not None:
            parts.append(f"sign-in valid until {e.refresh_expires_at.astimezone():%Y-%m-%d %H:%M}")
        self.session.setText(" · ".join(parts))
        self.session.setToolTip(
            "Webull access tokens are short-lived and renewed automatically before they expire; "
            "the sign-in itself lasts until the refresh token expires.")
