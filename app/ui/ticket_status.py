"""The ticket's status line: what happened to the last preview or order, in words, coloured by
meaning (accepted green, rejected red, still open amber), with Webull's links clickable."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from . import palette

#: kind → colour picker ("" is the text colour)
_COLOURS = {"good": palette.gain, "error": palette.loss, "warn": palette.stale}


class StatusLine(QLabel):
    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setOpenExternalLinks(True)
        self.plain = ""
        self.kind = ""
        self.links: tuple[str, ...] = ()
        self.hide()

    def show_text(self, text: str, *, kind: str = "", links: Sequence[str] = ()) -> None:
        """Show ``text``; ``kind`` is "good", "error", "warn" or "" (plain)."""
        self.plain, self.kind, self.links = text, kind, tuple(links)
        body = html.escape(text).replace("\n", "<br>")
        for url in links:
            safe = html.escape(url, quote=True)
            body += f'<br><a href="{safe}">{safe}</a>'
        colour = _COLOURS[kind]() if kind in _COLOURS else ""
        self.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self.setText(body)
        self.show()

    def clear(self) -> None:  # noqa: D401 - QLabel.clear, also hiding the line
        self.plain, self.kind, self.links = "", "", ()
        super().clear()
        self.hide()


def note_style() -> str:
    """The theme's amber note colours (resources/themes/*.tokens warnBg/warnFg)."""
    bg, fg = ("#4a3a10", "#ffe6a6") if palette.is_dark() else ("#fff4d6", "#5a3d00")
    return f"background: {bg}; color: {fg}; padding: 6px; font-weight: bold;"
