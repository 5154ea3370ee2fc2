"""Optional system-tray notifications for fills, cancellations and rejections."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from app.core.events import Activity, ActivityKind

from .theme import resources_dir

_TITLES = {ActivityKind.FILL: "Order filled", ActivityKind.CANCELLED: "Order cancelled",
           ActivityKind.REJECTED: "Order rejected"}


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / "pennant.svg"))


class TrayNotifier:
    """Shows a tray message per order event while enabled; silent where there is no tray."""

    def __init__(self, parent: QWidget) -> None:
        self._icon: QSystemTrayIcon | None = None
        self._parent = parent
        self.enabled = False

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled and self.available()
        if self.enabled and self._icon is None:
            self._icon = QSystemTrayIcon(app_icon(), self._parent)
            self._icon.setToolTip("Pennant")
        if self._icon is not None:
            self._icon.setVisible(self.enabled)

    def notify(self, activity: Activity) -> bool:
        if not self.enabled or self._icon is None:
            return False
        icon = (QSystemTrayIcon.MessageIcon.Warning if activity.kind is ActivityKind.REJECTED
                else QSystemTrayIcon.MessageIcon.Information)
        self._icon.showMessage(_TITLES.get(activity.kind, "Pennant"), activity.text, icon, 8000)
        return True
