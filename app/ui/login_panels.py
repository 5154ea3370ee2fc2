"""The panels both sign-in dialogs share: the message panel, error headings, the environment
banner. Kept apart from both dialogs and free of QtWebEngine, so the system-browser route can
use them without loading the web engine and the embedded view without importing the other
dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.session import LoginErrorKind
from app.webull.environments import Environment

_TITLES: dict[str, str] = {
    LoginErrorKind.DENIED: "Access was not granted",
    LoginErrorKind.STATE: "This sign-in could not be verified",
    LoginErrorKind.EXPIRED_CODE: "The sign-in expired",
    LoginErrorKind.REJECTED: "Webull refused the sign-in",
    LoginErrorKind.NETWORK: "Webull could not be reached",
    LoginErrorKind.TIMEOUT: "The sign-in took too long",
    LoginErrorKind.BAD_CALLBACK: "Unexpected answer from the sign-in",
    LoginErrorKind.KEYCHAIN: "The sign-in could not be saved",
}
ERROR_RED = "#b3261e"


def login_error_title(kind: LoginErrorKind | str) -> str:
    """A short heading for the error panel of a failed sign-in."""
    return _TITLES.get(kind, "Sign-in failed")


class MessagePanel(QWidget):
    """A heading, an explanation and (for errors) a Try again button; optionally busy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel(self)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title.setFont(font)
        self._title.setWordWrap(True)
        self._body = QLabel(self)
        self._body.setWordWrap(True)
        self._body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._busy = QProgressBar(self)
        self._busy.setRange(0, 0)  # indeterminate
        self._busy.setTextVisible(False)
        self._busy.setMaximumHeight(8)
        self.retry = QPushButton("Try again", self)
        self.retry.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.retry)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(self._title)
        layout.addSpacing(8)
        layout.addWidget(self._body)
        layout.addSpacing(12)
        layout.addWidget(self._busy)
        layout.addLayout(row)
        layout.addStretch(2)

    def show_message(self, title: str, text: str, *, retry: bool, busy: bool = False) -> None:
        self._title.setText(title)
        self._title.setStyleSheet(f"color: {ERROR_RED};" if retry else "")
        self._body.setText(text)
        self._busy.setVisible(busy)
        self.retry.setVisible(retry)

    def set_body(self, text: str) -> None:
        self._body.setText(text)

    def text(self) -> str:
        return f"{self._title.text()}\n{self._body.text()}"


def environment_banner(environment: Environment, parent: QWidget | None = None) -> QLabel:
    """Which environment the sign-in is for; unmistakable red for production."""
    label = QLabel(parent)
    label.setWordWrap(True)
    if environment.is_production:
        label.setText(f"PRODUCTION — real money · signing in to {environment.label}")
        label.setStyleSheet(f"background: {ERROR_RED}; color: white; font-weight: bold; "
                            "padding: 6px 10px; border-radius: 4px;")
    else:
        label.setText(f"Signing in to {environment.label}")
        label.setStyleSheet("font-weight: bold; padding: 2px 0;")
    return label
