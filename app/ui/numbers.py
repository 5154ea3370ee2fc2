"""The user's way of writing numbers, for the strict parser of app.core.ticket_input."""

from __future__ import annotations

from PySide6.QtCore import QLocale

from app.core.ticket_input import NumberFormat


def locale_number_format(locale: QLocale | None = None) -> NumberFormat:
    """The decimal point and digit grouping of the user's locale (a locale without usable
    grouping gets the other of "," and "." so the parser can still tell them apart)."""
    loc = locale or QLocale()
    point, group = loc.decimalPoint(), loc.groupSeparator()
    if len(point) != 1 or point.isdigit():
        return NumberFormat()
    if len(group) != 1 or group == point or group.isdigit():
        group = "," if point != "," else "."
    return NumberFormat(point, group)
