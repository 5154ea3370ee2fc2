"""The option chain picker: choose an expiration, then a call or a put at a strike.

A non-modal dialog (the ticket stays usable beside it). Webull's Connect API lists contracts
but quotes no prices, so the grid shows what is known: each contract's symbol and whether it
can be traded; strikes around the underlying's last price (when Pennant knows one) are tinted
so the trader finds the money at a glance.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.catalogue import CatalogueError, ChainRow, OptionChain
from app.webull.models import OptionContract, OptionType, TradableStatus

from . import fmt
from .instrument_pickers import mono_font, restyle

log = logging.getLogger(__name__)

_ET = ZoneInfo("America/New_York")
Index = QModelIndex | QPersistentModelIndex
LoadChain = Callable[[str], Awaitable[OptionChain]]
_HINT = "Double-click a call or a put (or select it and press Enter)."


@dataclass(frozen=True)
class LegPick:
    """One contract picked from the chain, with the facts a ticket leg needs."""

    expiry: date
    strike: Decimal
    option_type: OptionType
    contract: OptionContract


def contract_status(contract: OptionContract | None) -> str:
    """A contract's tradability in words ("" when it trades normally)."""
    if contract is None:
        return "Not listed"
    if contract.status and contract.status.upper() == "DELISTING":
        return "Delisting"
    status = contract.tradable_status
    if status == TradableStatus.CO:
        return "Closing only"
    if status == TradableStatus.NT:
        return "Not tradable"
    if status is not None and not status.known:
        return f"Status {status.value}"
    return "Open"


def can_pick(contract: OptionContract | None) -> bool:
    """Missing and not-tradable contracts cannot go on a ticket; closing-only ones can."""
    return contract is not None and contract.tradable_status != TradableStatus.NT


def near_strikes(strikes: Sequence[Decimal], last: Decimal | None) -> frozenset[Decimal]:
    """The strikes around ``last``: the one equal to it, or the two either side of it."""
    if last is None or not strikes:
        return frozenset()
    below = [s for s in strikes if s <= last]
    above = [s for s in strikes if s >= last]
    return frozenset(x for x in (max(below, default=None), min(above, default=None))
                     if x is not None)


class ChainModel(QAbstractTableModel):
    """One expiration's strikes: Call · status · Strike · status · Put."""

    HEADERS = ("Call", "Status", "Strike", "Status", "Put")
    CALL_COLUMNS = (0, 1)
    PUT_COLUMNS = (3, 4)
    STRIKE_COLUMN = 2
    CONTRACT_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[ChainRow, ...] = ()
        self._near: frozenset[Decimal] = frozenset()
        self._mono = mono_font()

    def set_rows(self, rows: Sequence[ChainRow], last_price: Decimal | None = None) -> None:
        self.beginResetModel()  # another expiration: a different set of rows
        self._rows = tuple(rows)
        self._near = near_strikes([r.strike for r in self._rows], last_price)
        self.endResetModel()

    def row(self, row: int) -> ChainRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def near_rows(self) -> list[int]:
        return [i for i, r in enumerate(self._rows) if r.strike in self._near]

    def option_type(self, column: int) -> OptionType | None:
        if column in self.CALL_COLUMNS:
            return OptionType.CALL
        if column in self.PUT_COLUMNS:
            return OptionType.PUT
        return None

    def contract(self, index: Index) -> OptionContract | None:
        row = self.row(index.row()) if index.isValid() else None
        kind = self.option_type(index.column())
        if row is None or kind is None:
            return None
        return row.call if kind == OptionType.CALL else row.put

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.column() == self.STRIKE_COLUMN:
            return Qt.ItemFlag.ItemIsEnabled
        # unpickable contracts stay selectable so that picking one can say why it is refused
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        contract = self.contract(index)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.STRIKE_COLUMN:
                return fmt.price(row.strike)
            if column in (0, 4):
                return contract.symbol if contract is not None else fmt.DASH
            status = contract_status(contract)
            return "" if status == "Open" else status
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == self.STRIKE_COLUMN:
                return int(Qt.AlignmentFlag.AlignCenter)
            side = Qt.AlignmentFlag.AlignRight if column < 2 else Qt.AlignmentFlag.AlignLeft
            return int(side | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole:
            if column in (0, 4):
                return self._mono
            if column == self.STRIKE_COLUMN:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.BackgroundRole and row.strike in self._near:
            tint = QColor(QPalette().color(QPalette.ColorRole.Highlight))
            tint.setAlpha(48)
            return tint
        if role == Qt.ItemDataRole.ForegroundRole and column != self.STRIKE_COLUMN \
                and not can_pick(contract):
            return QPalette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, contract)
        if role == self.CONTRACT_ROLE:
            return contract
        return None

    def _tooltip(self, row: ChainRow, column: int, contract: OptionContract | None) -> str:
        if column == self.STRIKE_COLUMN:
            near = " (near the last price)" if row.strike in self._near else ""
            return f"Strike {fmt.price(row.strike)}{near}"
        kind = "call" if column in self.CALL_COLUMNS else "put"
        if contract is None:
            return f"No {kind} is listed at {fmt.price(row.strike)}"
        return f"{contract.symbol}: {kind}, strike {fmt.price(row.strike)}, " \
               f"{contract_status(contract).lower()}"

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


class _ChainTable(QTableView):
    """Enter on a cell picks it, as a double-click does."""

    activated_cell = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated_cell.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


def _is_monthly(rows: Sequence[ChainRow]) -> bool:
    cycle = next((c.expired_cycle for r in rows for c in (r.call, r.put)
                  if c is not None and c.expired_cycle), "")
    return cycle.upper() == "MONTHLY"


def expiry_label(expiry: date, today: date) -> str:
    days = (expiry - today).days
    left = "expires today" if days == 0 else "1 day" if days == 1 else f"{days} days"
    return f"{expiry:%a %d %b %Y}  ·  {left}"


class OptionChainPicker(QDialog):
    """Pick one contract of an underlying's chain; ``picked`` carries a LegPick."""

    picked = Signal(object)
    #: the OptionChain once it is shown (the ticket fills its expiry lists from it)
    loaded = Signal(object)

    def __init__(self, load: LoadChain, underlying: str, parent: QWidget | None = None, *,
                 last_price: Decimal | None = None, expiry: date | None = None,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self.underlying = underlying.strip().upper()
        self._last = last_price
        self._wanted_expiry = expiry
        self._today = today or datetime.now(_ET).date()
        self._chain: OptionChain | None = None
        self._task: asyncio.Future[OptionChain] | None = None
        self.state = "loading"
        self.setModal(False)
        self.setWindowTitle(f"{self.underlying} option chain")
        self.title = QLabel(self.underlying)
        self.title.setObjectName("panelTitle")
        last = f"Last {fmt.price(last_price)}" if last_price is not None else "Last price unknown"
        self.last_label = QLabel(last)
        self.last_label.setObjectName("dataAge")
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.last_label)

        self.message = QLabel()
        self.message.setObjectName("emptyState")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.reload)
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addWidget(self.message)
        message_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        message_layout.addStretch(2)

        self.expirations = QListWidget()
        self.expirations.setMinimumWidth(200)
        self.expirations.setMaximumWidth(260)
        self.expirations.currentRowChanged.connect(self._on_expiry)
        self.model = ChainModel(self)
        self.table = _ChainTable()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        columns.setSectionResizeMode(ChainModel.STRIKE_COLUMN, QHeaderView.ResizeMode.Stretch)
        columns.setMinimumSectionSize(64)
        self.table.selectionModel().currentChanged.connect(self._reset_hint)
        self.table.doubleClicked.connect(self._pick)
        self.table.activated_cell.connect(self._pick)
        splitter = QSplitter()
        splitter.addWidget(self.expirations)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        self.stack = QStackedWidget()
        self.stack.addWidget(message_page)
        self.stack.addWidget(splitter)
        self.hint = QLabel(_HINT)
        self.hint.setObjectName("dataAge")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.hint)
        self.resize(860, 520)
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """(Re)load the chain: on opening, and from Retry after a failure."""
        if self._task is not None and not self._task.done():
            return
        self._set_state("loading", f"Loading the {self.underlying} option chain…")
        task = asyncio.ensure_future(self._load(self.underlying))
        self._task = task
        task.add_done_callback(self._loaded)

    def _loaded(self, task: asyncio.Future[OptionChain]) -> None:
        if task is self._task:
            self._task = None
        if task.cancelled():
            return
        exc = task.exception()
        if not shiboken6.isValid(self):
            return
        if exc is not None:
            if isinstance(exc, CatalogueError):
                text = str(exc) or "The option chain could not be read."
            else:
                log.error("option chain failed: %s", type(exc).__name__, exc_info=exc)
                text = f"The option chain could not be loaded ({type(exc).__name__})."
            self._set_state("error", f"{text}\nCheck the connection and press Retry.")
            return
        self.set_chain(task.result())

    def set_chain(self, chain: OptionChain) -> None:
        """Show a chain (also usable directly when the caller already has it)."""
        self._chain = chain
        expirations = [e for e in chain.expirations if chain.rows.get(e)]
        if not expirations:
            self._set_state("empty", f"No listed options for {self.underlying}")
            return
        self.expirations.blockSignals(True)
        self.expirations.clear()
        for expiry in expirations:
            item = QListWidgetItem(expiry_label(expiry, self._today))
            item.setData(Qt.ItemDataRole.UserRole, expiry)
            if _is_monthly(chain.rows[expiry]):  # the standard monthlies stand out
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip("Monthly expiration")
            else:
                item.setToolTip("Weekly expiration")
            self.expirations.addItem(item)
        self.expirations.blockSignals(False)
        self._set_state("ready", "")
        first = self._wanted_expiry if self._wanted_expiry in expirations else expirations[0]
        self.expirations.setCurrentRow(expirations.index(first))
        self._on_expiry(self.expirations.currentRow())
        self.loaded.emit(chain)

    def chain(self) -> OptionChain | None:
        return self._chain

    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        restyle(self.message, "fieldError" if state == "error" else "emptyState")
        self.message.setText(text)
        self.retry_button.setVisible(state == "error")
        self.hint.setVisible(state == "ready")
        self.stack.setCurrentIndex(1 if state == "ready" else 0)

    def message_text(self) -> str:
        return self.message.text() if self.state != "ready" else ""

    # ------------------------------------------------------------------ choosing
    def current_expiry(self) -> date | None:
        item = self.expirations.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_expiry(self, row: int) -> None:
        expiry = self.current_expiry()
        if self._chain is None or expiry is None:
            return
        self.model.set_rows(self._chain.rows.get(expiry, ()), self._last)
        near = self.model.near_rows()
        if near:  # the cursor starts at the money, ready for the arrow keys and Enter
            self.table.setCurrentIndex(self.model.index(near[0], 0))
            self.table.scrollTo(self.model.index(near[0], ChainModel.STRIKE_COLUMN),
                                QAbstractItemView.ScrollHint.PositionAtCenter)

    def select(self, expiry: date, strike: Decimal, kind: OptionType) -> bool:
        """Put the cursor on one contract (keyboard and tests); False if it is not listed."""
        for row in range(self.expirations.count()):
            if self.expirations.item(row).data(Qt.ItemDataRole.UserRole) == expiry:
                self.expirations.setCurrentRow(row)
                break
        else:
            return False
        for row in range(self.model.rowCount()):
            chain_row = self.model.row(row)
            if chain_row is not None and chain_row.strike == strike:
                column = 0 if kind == OptionType.CALL else 4
                self.table.setCurrentIndex(self.model.index(row, column))
                return True
        return False

    def _pick(self, index: QModelIndex) -> None:
        contract = self.model.contract(index)
        row = self.model.row(index.row()) if index.isValid() else None
        kind = self.model.option_type(index.column())
        expiry = self.current_expiry()
        if row is None or kind is None or expiry is None:
            return
        if not can_pick(contract):
            words = "call" if kind == OptionType.CALL else "put"
            restyle(self.hint, "fieldError")
            self.hint.setText(f"The {fmt.price(row.strike)} {words} cannot be traded "
                              f"({contract_status(contract).lower()}); pick another.")
            return
        assert contract is not None
        self.picked.emit(LegPick(expiry, row.strike, kind, contract))
        self.accept()

    def _reset_hint(self, *_: object) -> None:
        restyle(self.hint, "dataAge")
        self.hint.setText(_HINT)

    def done(self, result: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        super().done(result)
