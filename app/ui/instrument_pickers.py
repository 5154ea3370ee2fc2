"""Combo boxes for the instruments a ticket picks from a short list: a futures product's
contract months, and the markets of an event series; and the small helpers every picker uses.

Each entry says what a trader needs to tell the choices apart ("ESZ6 · Dec 2026 · last trade
2026-12-18"); anything that is not open for trading says so in the entry itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QComboBox, QWidget

from app.webull.models import EventMarket, FuturesContract, PriceRange, TradableStatus

from . import fmt

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STATUS_WORDS = {TradableStatus.CO: "closing only", TradableStatus.NT: "not tradable"}
#: wide enough for "ESZ6 · Dec 2026 · last trade 2026-12-18" without squeezing the ticket
_MIN_CHARS = 30


def restyle(widget: QWidget, object_name: str) -> None:
    """Switch a label between the theme's styles (e.g. "dataAge" muted, "fieldError" red)."""
    if widget.objectName() != object_name:
        widget.setObjectName(object_name)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def mono_font() -> QFont:
    """The system's fixed-width font: symbols line up and 0/O, 1/I stay apart."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setFixedPitch(True)  # "monospace" is an alias: say what it is for the font matcher
    return font


def contract_month(value: str | None) -> str:
    """Webull's ``yyyyMM`` as "Dec 2026" (the raw text if it is not that shape)."""
    text = (value or "").strip()
    if len(text) == 6 and text.isdigit() and 1 <= int(text[4:]) <= 12:
        return f"{_MONTHS[int(text[4:]) - 1]} {text[:4]}"
    return text


def _status_note(status: TradableStatus | None) -> str:
    if status is None or status == TradableStatus.OC:
        return ""
    return _STATUS_WORDS.get(status, f"status {status.value}")


def futures_label(contract: FuturesContract) -> str:
    parts = [contract.symbol]
    month = contract_month(contract.contract_month)
    if month:
        parts.append(month)
    if contract.last_trading_date is not None:
        parts.append(f"last trade {contract.last_trading_date:%Y-%m-%d}")
    note = _status_note(contract.status)
    if note:
        parts.append(note)
    return " · ".join(parts)


def futures_tooltip(contract: FuturesContract) -> str:
    lines = [contract.name or contract.symbol]
    if contract.exchange_code:
        lines.append(f"Exchange: {contract.exchange_code}")
    if contract.size is not None:
        unit = (contract.unit or "").partition(" - ")[2] or (contract.unit or "")
        lines.append(f"Contract size: {fmt.quantity(contract.size)} {unit}".rstrip())
    if contract.min_tick is not None:
        lines.append(f"Tick: {fmt.quantity(contract.min_tick)}")
    if contract.first_notice_date is not None:
        lines.append(f"First notice: {contract.first_notice_date:%Y-%m-%d}")
    if contract.settlement:
        lines.append(f"Settlement: {contract.settlement.lower()}")
    return "\n".join(lines)


def price_ranges_text(ranges: Sequence[PriceRange]) -> str:
    """"0.01–0.99 by 0.01" (several ranges joined by commas)."""
    return ", ".join(f"{fmt.price(r.start)}–{fmt.price(r.end)} by {fmt.quantity(r.step)}"
                     for r in ranges)


def event_label(market: EventMarket) -> str:
    parts = [market.name or market.symbol]
    if market.yes_condition:
        parts.append(f"Yes: {market.yes_condition}")
    if market.price_ranges:
        parts.append(price_ranges_text(market.price_ranges))
    note = _status_note(market.tradable_status)
    if note:
        parts.append(note)
    return " · ".join(parts)


def event_tooltip(market: EventMarket) -> str:
    lines = [market.symbol]
    if market.event_name:
        lines.append(market.event_name)
    if market.yes_condition:
        lines.append(f"Pays out if: {market.yes_condition}")
    if market.last_trading_date is not None:
        lines.append(f"Last trade: {market.last_trading_date:%Y-%m-%d}")
    if market.price_ranges:
        lines.append(f"Prices: {price_ranges_text(market.price_ranges)}")
    return "\n".join(lines)


class _ListCombo(QComboBox):
    """A read-only combo of instrument objects that keeps the choice across refreshes."""

    #: the chosen FuturesContract / EventMarket (None when the list is empty)
    current_changed = Signal(object)

    def __init__(self, empty_text: str, tooltip: Callable[[Any], str],
                 parent: QWidget | None = None, *, min_chars: int = _MIN_CHARS) -> None:
        super().__init__(parent)
        self._items: tuple[Any, ...] = ()
        self._tooltip = tooltip
        self.currentIndexChanged.connect(self._changed)
        self.setPlaceholderText(empty_text)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(min_chars)

    def _fill(self, items: Sequence[Any], label: Callable[[Any], str]) -> None:
        """Replace the entries; the same symbol stays chosen, else the first entry."""
        before = self._current()
        key = before.symbol if before is not None else None
        self.blockSignals(True)
        self.clear()
        self._items = tuple(items)
        for index, item in enumerate(self._items):
            self.addItem(label(item), item.symbol)
            self.setItemData(index, self._tooltip(item), Qt.ItemDataRole.ToolTipRole)
        keep = next((i for i, item in enumerate(self._items) if item.symbol == key), None)
        self.setCurrentIndex(keep if keep is not None else (0 if self._items else -1))
        self.blockSignals(False)
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 24)
        current = self._current()
        if current != before:  # a new list, or the chosen entry is gone: say so once
            self._changed(self.currentIndex())
        else:
            self.setToolTip(self._tooltip(current) if current is not None else "")

    def _current(self) -> Any:
        index = self.currentIndex()
        return self._items[index] if 0 <= index < len(self._items) else None

    def select_symbol(self, symbol: str) -> bool:
        """Choose the entry with this symbol; False if the list has none."""
        index = next((i for i, item in enumerate(self._items) if item.symbol == symbol), -1)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0

    def _changed(self, _index: int) -> None:
        item = self._current()
        self.setToolTip(self._tooltip(item) if item is not None else "")
        self.current_changed.emit(item)


class FuturesMonthCombo(_ListCombo):
    """A futures product's contracts, nearest month first (as the catalogue lists them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No contract months listed", futures_tooltip, parent)

    def set_contracts(self, contracts: tuple[FuturesContract, ...]) -> None:
        self._fill(contracts, futures_label)

    def current_contract(self) -> FuturesContract | None:
        return self._current()


class EventMarketCombo(_ListCombo):
    """The markets of an event series: each one's question, yes condition and prices."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No markets listed", event_tooltip, parent, min_chars=44)

    def set_markets(self, markets: tuple[EventMarket, ...]) -> None:
        self._fill(markets, event_label)

    def current_market(self) -> EventMarket | None:
        return self._current()
