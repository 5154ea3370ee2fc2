"""Colours that carry meaning (gains, losses, environment banners), readable on both themes."""

from __future__ import annotations

from decimal import Decimal

_dark = False

GAIN = {"light": "#0a7d32", "dark": "#4cd07d"}
LOSS = {"light": "#c0262d", "dark": "#ff6b6b"}
STALE = {"light": "#9a6700", "dark": "#f0b429"}


def set_dark(dark: bool) -> None:
    global _dark
    _dark = dark


def is_dark() -> bool:
    return _dark


def _pick(table: dict[str, str]) -> str:
    return table["dark" if _dark else "light"]


def gain() -> str:
    return _pick(GAIN)


def loss() -> str:
    return _pick(LOSS)


def stale() -> str:
    return _pick(STALE)


def sign_color(value: Decimal | None) -> str | None:
    """Green for a gain, red for a loss, None (the text colour) for zero or unknown."""
    if value is None or value == 0:
        return None
    return gain() if value > 0 else loss()
