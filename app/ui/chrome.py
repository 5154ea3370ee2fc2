"""The window's chrome: the environment banner, the session strip, the welcome page and the
status bar indicators (connection health, sign-in and token lifetime)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.events import Health, SessionChanged, SessionState
from app.webull.environments import Environment, EnvironmentKind


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
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.session, 1, Qt.AlignmentFlag.AlignLeft)
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
