"""Light and dark themes: the Fusion style with a matching palette, plus resources/themes/*.qss.

``system`` follows the platform's colour scheme where Qt can tell (else light).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication

from . import palette

THEMES = ("system", "light", "dark")


def resources_dir() -> Path:
    """The resources folder: beside the package in a checkout, in the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@cache
def _tokens(name: str) -> dict[str, str]:
    path = resources_dir() / "themes" / f"{name}.tokens"
    pairs = (line.split("=", 1) for line in path.read_text("utf-8").splitlines()
             if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def stylesheet(dark: bool) -> str:
    text = (resources_dir() / "themes" / "base.qss").read_text("utf-8")
    # longest names first so that a token is never replaced inside a longer one
    for key, value in sorted(_tokens("dark" if dark else "light").items(),
                             key=lambda kv: -len(kv[0])):
        text = text.replace(f"@{key}", value)
    return text


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e2227"), QColor("#2a2f36"), QColor("#e6e9ed")
    role = QPalette.ColorRole
    for r, c in ((role.Window, window), (role.WindowText, text), (role.Base, base),
                 (role.AlternateBase, QColor("#252a30")), (role.ToolTipBase, window),
                 (role.ToolTipText, text), (role.Text, text), (role.Button, window),
                 (role.ButtonText, text), (role.BrightText, QColor("#ff6b6b")),
                 (role.Highlight, QColor("#2f6fd0")), (role.HighlightedText, QColor("#ffffff")),
                 (role.Link, QColor("#6cb6ff")), (role.PlaceholderText, QColor("#8a939d"))):
        p.setColor(r, c)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor("#6b737c"))
    return p


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def current_is_dark() -> bool:
    return palette.is_dark()


def apply(name: str) -> bool:
    """Apply a theme to the running application; returns True when it is dark."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("no QApplication")
    dark = name == "dark" or (name == "system" and system_prefers_dark())
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    palette.set_dark(dark)
    app.setStyleSheet(stylesheet(dark))
    from .charts import apply_theme  # pyqtgraph: imported by the window already

    apply_theme(dark)
    # gain/loss colours are picked at paint time: repaint every view. Walk down from the
    # windows rather than through allWidgets(), which also lists widgets half-way through
    # being destroyed (wrapping one of those crashed the process).
    for window in app.topLevelWidgets():
        for view in window.findChildren(QAbstractScrollArea):
            view.viewport().update()
    return dark
