"""The positions tree: positions at the top level, the legs of option and multi-leg positions
as their children. Split from models.py, whose keyed table it uses for storage and change
signals; models.py re-exports PositionsModel and POSITION_COLUMNS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt

from app.core.diff import KeyedDiff, index_by, keyed_diff
from app.webull.models import InstrumentType, Position, PositionLeg

from . import fmt
from .models import (
    _ROOT,
    KEY_ROLE,
    Column,
    Index,
    KeyedTableModel,
    cell_data,
    display,
    header_data,
)

_DAY_PNL_TIP = "Webull does not report day P&L per position"

POSITION_COLUMNS: tuple[Column, ...] = (
    Column("symbol", "Symbol", lambda p: p.symbol, "text"),
    Column("description", "Description", fmt.description, "text"),
    Column("type", "Type", lambda p: fmt.instrument(p.instrument_type), "text"),
    Column("quantity", "Quantity", lambda p: p.quantity, "qty"),
    Column("cost", "Avg cost", lambda p: p.cost_price, "price", "Average cost per share or "
           "contract"),
    Column("last", "Last", lambda p: p.last_price, "price"),
    Column("market_value", "Market value", fmt.market_value, "money",
           "Quantity × last price × contract multiplier"),
    Column("pnl", "Unrealized P&L", lambda p: p.unrealized_profit_loss, "signed_money"),
    Column("pnl_pct", "Unrealized %", fmt.pnl_percent, "pct",
           "Unrealized P&L as a share of the cost basis"),
    Column("day_pnl", "Day P&L", lambda p: None, "signed_money", _DAY_PNL_TIP),
)

_LEG_VALUES: dict[str, Callable[[PositionLeg], object]] = {
    "symbol": fmt.position_leg,
    "description": fmt.leg_side,
    "type": lambda leg: "Option leg" if leg.option_type is not None else "Stock leg",
    "quantity": lambda leg: leg.quantity,
}


def _children(p: Position) -> tuple[PositionLeg, ...]:
    """Legs are shown under option and multi-leg positions only."""
    if len(p.legs) > 1 or p.instrument_type is InstrumentType.OPTION:
        return p.legs
    return ()


class PositionsModel(QAbstractItemModel):
    """Positions at the top level, their legs as children.

    A top-level index has internal id 0; a leg's internal id is its position's stable id, so
    a leg knows its parent even after rows above it were removed.
    """

    def __init__(self, columns: Sequence[Column] = POSITION_COLUMNS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._rows = KeyedTableModel(self.columns, self)  # storage and signals' bookkeeping
        self._ids: dict[str, int] = {}
        self._by_id: dict[int, str] = {}
        self._next_id = 1
        rows = self._rows
        rows.modelAboutToBeReset.connect(self._begin_reset)
        rows.modelReset.connect(self.endResetModel)
        rows.rowsAboutToBeRemoved.connect(
            lambda _p, first, last: self.beginRemoveRows(QModelIndex(), first, last))
        rows.rowsRemoved.connect(lambda *_a: self.endRemoveRows())
        rows.rowsAboutToBeInserted.connect(
            lambda _p, first, last: self.beginInsertRows(QModelIndex(), first, last))
        rows.rowsInserted.connect(lambda *_a: self.endInsertRows())
        rows.dataChanged.connect(self._top_changed)
        rows.layoutAboutToBeChanged.connect(self._begin_layout)
        rows.layoutChanged.connect(self._end_layout)
        self._layout_keys: list[tuple[QModelIndex, str | None]] = []

    def apply(self, diff: KeyedDiff[str, Position]) -> None:
        """Like KeyedTableModel.apply; a position whose legs changed also updates its children."""
        rows = self._rows
        if diff.reset:
            rows.apply(diff)
            return
        rows._remove(diff.removed)
        index, values = rows._fresh_index(), rows._values
        added = list(diff.added)
        changed_rows = []
        for key, new in diff.changed:
            row = index.get(key)
            if row is None:
                added.append((key, new))
                continue
            old = values[row]
            # legs that did not change need no work: the common poll (prices moved) is cheap
            if (old.legs or new.legs) and _children(old) != _children(new):
                old_n, new_n = len(_children(old)), len(_children(new))
                if old_n or new_n:
                    self._change_legs(row, new, old_n, new_n)
                    continue
            values[row] = new
            changed_rows.append(row)
        rows._announce_changes(changed_rows)
        rows._append(added)
        for key in diff.removed:  # after the removal: Qt walked the legs' parents during it
            ident = self._ids.pop(key, None)
            if ident is not None:
                del self._by_id[ident]

    def _begin_layout(self, *_args: object) -> None:
        """Remember which position each persistent top-level index showed."""
        self.layoutAboutToBeChanged.emit()
        self._layout_keys = [
            (p, self._rows.key_at(p.row()) if p.internalId() == 0 else None)
            for p in self.persistentIndexList()]

    def _end_layout(self, *_args: object) -> None:
        before, after = [], []
        for old, key in self._layout_keys:
            if key is None:  # a leg: it stays while its position does
                alive = self._rows.row_of(self._by_id.get(old.internalId())) is not None
                new = old if alive else QModelIndex()
            else:
                row = self._rows.row_of(key)
                new = QModelIndex() if row is None else self.createIndex(row, old.column(), 0)
            before.append(old)
            after.append(new)
        self._layout_keys = []
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _begin_reset(self) -> None:
        self.beginResetModel()
        self._ids.clear()
        self._by_id.clear()

    def _change_legs(self, row: int, new: Position, old_n: int, new_n: int) -> None:
        parent = self.index(row, 0)
        if new_n < old_n:
            self.beginRemoveRows(parent, new_n, old_n - 1)
            self._rows.replace_value(row, new)
            self.endRemoveRows()
        elif new_n > old_n:
            self.beginInsertRows(parent, old_n, new_n - 1)
            self._rows.replace_value(row, new)
            self.endInsertRows()
        else:
            self._rows.replace_value(row, new)
        last_column = len(self.columns) - 1
        self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
        kept = min(old_n, new_n)
        if kept:
            self.dataChanged.emit(self.index(0, 0, parent), self.index(kept - 1, last_column,
                                                                        parent))

    def _top_changed(self, first: QModelIndex, last: QModelIndex) -> None:
        self.dataChanged.emit(self.index(first.row(), 0), self.index(last.row(), last.column()))

    def _id_of(self, key: str) -> int:
        ident = self._ids.get(key)
        if ident is None:
            ident = self._ids[key] = self._next_id
            self._by_id[ident] = key
            self._next_id += 1
        return ident

    def set_rows(self, rows: Mapping[str, Position]) -> None:
        """Show exactly ``rows`` (keyed by position_id), applied as a diff."""
        self.apply(keyed_diff(self._rows.snapshot(), rows))

    def set_positions(self, positions: Sequence[Position]) -> None:
        self.set_rows(index_by(positions, lambda p: p.position_id))

    def clear(self) -> None:
        self.apply(KeyedDiff(reset=True))

    def positions(self) -> list[Position]:
        return self._rows.values()

    def row_value(self, row: int) -> Position:
        return self._rows.row_value(row)

    def key_at(self, row: int) -> str:
        return self._rows.key_at(row)

    def row_of(self, key: str) -> int | None:
        return self._rows.row_of(key)

    def value_at(self, index: Index) -> Position | PositionLeg:
        """The position or leg an index points at."""
        ident = index.internalId()
        if ident == 0:
            return self._rows.row_value(index.row())
        parent_row = self._rows.row_of(self._by_id.get(ident))
        if parent_row is None:
            raise LookupError(f"leg index {index.row()} has no position (id {ident})")
        return _children(self._rows.row_value(parent_row))[index.row()]

    def _cell(self, index: Index) -> tuple[Column, object]:
        column = self.columns[index.column()]
        target = self.value_at(index)
        if isinstance(target, PositionLeg):
            getter = _LEG_VALUES.get(column.key)
            return column, (getter(target) if getter else None)
        return column, column.value(target)

    def sort_value(self, index: Index) -> object:
        if index.internalId() == 0:  # the common case, kept short: sorting calls it a lot
            return self.columns[index.column()].value(self._rows._values[index.row()])
        return self._cell(index)[1]

    def row_text(self, row: int, parent: Index) -> str:
        texts = []
        for c in range(len(self.columns)):
            column, value = self._cell(self.index(row, c, parent))
            texts.append(display(column.kind, value))
        return "\t".join(texts)

    # -------------------------------------------------------------- Qt model

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:  # noqa: B008
        # bounds checked by hand: the proxy asks for indexes on every comparison
        if row < 0 or not 0 <= column < len(self.columns):
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._rows._keys):
                return QModelIndex()
            return self.createIndex(row, column, 0)
        if row >= self.rowCount(parent):
            return QModelIndex()
        return self.createIndex(row, column, self._id_of(self._rows.key_at(parent.row())))

    def parent(self, index: Index = _ROOT) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        row = self._rows.row_of(self._by_id.get(index.internalId()))
        return QModelIndex() if row is None else self.createIndex(row, 0, 0)

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: B008
        if not parent.isValid():
            return self._rows.rowCount()
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(_children(self._rows.row_value(parent.row())))

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: B008
        return len(self.columns)

    def hasChildren(self, parent: Index = _ROOT) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() != 0:
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == KEY_ROLE:
            if index.internalId() == 0:
                return self._rows.key_at(index.row())
            leg = self.value_at(index)
            return leg.leg_id  # type: ignore[union-attr]
        column, value = self._cell(index)
        if value is None and index.internalId() != 0 and column.key not in _LEG_VALUES:
            return "" if role == Qt.ItemDataRole.DisplayRole else None  # nothing per leg
        return cell_data(column, value, role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return header_data(self.columns, section, orientation, role)
