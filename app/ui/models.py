"""Table models fed by keyed diffs: a poll becomes row removals, in-place changes and appends,
never a model reset, so selection, scroll position and sort order survive every refresh.

Rows store the raw values; text is formatted lazily in ``data()`` (only visible cells are
asked), which keeps ``apply()`` proportional to the number of changes.

The positions tree lives in positions_model.py (it builds on the keyed table here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from app.core.diff import KeyedDiff, index_by, keyed_diff
from app.core.rows import OrderRow, order_rows
from app.webull.models import ComboType, OrderGroup

from . import fmt, palette

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_NUMERIC = frozenset({"money", "signed_money", "price", "qty", "pct"})
_SIGNED = frozenset({"signed_money", "pct"})
#: more separate changed runs than this are announced as one dataChanged span
_MAX_RUNS = 32
#: more separate removed runs than this are applied as one layout change
_BULK_RUNS = 64


@dataclass(frozen=True)
class Column:
    """One column: a title, how to get its raw value from a row, and how to show it."""

    key: str
    title: str
    value: Callable[[Any], object]
    kind: str  # "text" | "money" | "signed_money" | "price" | "qty" | "pct" | "time"
    tooltip: str = ""


def display(kind: str, value: object) -> str:
    """The text of a cell, from its raw value and its column's kind."""
    if kind == "text":
        return "" if value is None else str(value)
    if kind == "time":
        return fmt.local_time(value)  # type: ignore[arg-type]
    if value is None:
        return fmt.DASH
    if kind == "money":
        return fmt.money(value)  # type: ignore[arg-type]
    if kind == "signed_money":
        return fmt.money(value, signed=True)  # type: ignore[arg-type]
    if kind == "price":
        return fmt.price(value)  # type: ignore[arg-type]
    if kind == "qty":
        return fmt.quantity(value)  # type: ignore[arg-type]
    if kind == "pct":
        return fmt.percent(value)  # type: ignore[arg-type]
    return str(value)


def _exact(kind: str, value: object, shown: str) -> str | None:
    """A tooltip with the exact number when the display rounded it."""
    if kind in _NUMERIC and isinstance(value, Decimal):
        plain = shown.replace(",", "").replace("%", "").replace("+", "").replace(fmt.MINUS, "-")
        if Decimal(plain) != value:
            return "Exact: " + format(value, "f").replace("-", fmt.MINUS)
    if kind == "time" and value is not None:
        return fmt.local_time(value, zone=True)  # type: ignore[arg-type]
    return None


def cell_data(column: Column, value: object, role: int) -> object:
    """Everything ``data()`` answers for one cell, shared by the table and the tree."""
    if role == Qt.ItemDataRole.DisplayRole:
        return display(column.kind, value)
    if role == SORT_ROLE:
        return value
    if role == Qt.ItemDataRole.TextAlignmentRole:
        return _RIGHT if column.kind in _NUMERIC else _LEFT
    if role == Qt.ItemDataRole.ForegroundRole:
        if column.kind in _SIGNED and isinstance(value, Decimal):
            colour = palette.sign_color(value)
            return QColor(colour) if colour else None
        return None
    if role == Qt.ItemDataRole.ToolTipRole:
        return _exact(column.kind, value, display(column.kind, value)) or column.tooltip or None
    return None


def header_data(columns: Sequence[Column], section: int, orientation: Qt.Orientation,
                role: int) -> object:
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
        return None
    column = columns[section]
    if role == Qt.ItemDataRole.DisplayRole:
        return column.title
    if role == Qt.ItemDataRole.ToolTipRole:
        return column.tooltip or None
    if role == Qt.ItemDataRole.TextAlignmentRole:
        return _RIGHT if column.kind in _NUMERIC else _LEFT
    return None


def runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as contiguous (first, last) runs."""
    out: list[tuple[int, int]] = []
    for row in sorted(rows):
        if out and row == out[-1][1] + 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out


class KeyedTableModel(QAbstractTableModel):
    """Rows keyed by a stable key, in arrival order (sorting is the proxy's job)."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._keys: list[Any] = []
        self._values: list[Any] = []
        self._index: dict[Any, int] = {}
        #: rows from here on may have stale index entries (rebuilt on the next lookup)
        self._stale_from: int | None = None

    # -------------------------------------------------------------- updates

    def apply(self, diff: KeyedDiff) -> None:
        """Apply a diff: removals as contiguous row ranges, one dataChanged per changed span,
        one insertion for the appended rows. A reset diff replaces everything."""
        if diff.reset:
            self.beginResetModel()
            self._keys = [k for k, _v in diff.added]
            self._values = [v for _k, v in diff.added]
            self._index = {}
            self._stale_from = 0
            self.endResetModel()
            return
        self._remove(diff.removed)
        added = list(diff.added)
        index, values = self._fresh_index(), self._values
        changed_rows = []
        for key, value in diff.changed:
            row = index.get(key)
            if row is None:  # a change to a row we never saw is an addition
                added.append((key, value))
            else:
                values[row] = value
                changed_rows.append(row)
        self._announce_changes(changed_rows)
        self._append(added)

    def set_rows(self, rows: Mapping[Any, Any]) -> None:
        """Make the model show exactly ``rows`` (in their order for new keys), by a diff."""
        self.apply(keyed_diff(self.snapshot(), rows))

    def clear(self) -> None:
        self.beginResetModel()
        self._keys, self._values, self._index, self._stale_from = [], [], {}, None
        self.endResetModel()

    def _mark_stale(self, row: int) -> None:
        if self._stale_from is None or row < self._stale_from:
            self._stale_from = row

    def _remove(self, keys: Sequence[Any]) -> None:
        index = self._fresh_index()
        rows = [r for r in map(index.get, keys) if r is not None]
        if not rows:
            return
        spans = runs(rows)
        if len(spans) > _BULK_RUNS:
            self._remove_as_layout(set(rows))
            return
        for first, last in reversed(spans):  # bottom up: earlier row numbers stay valid
            self.beginRemoveRows(_ROOT, first, last)
            for key in self._keys[first:last + 1]:
                del index[key]
            del self._keys[first:last + 1]
            del self._values[first:last + 1]
            self._mark_stale(first)  # before endRemoveRows: listeners may look rows up
            self.endRemoveRows()

    def _remove_as_layout(self, gone: set[int]) -> None:
        """Many scattered removals at once: one layout change (persistent indexes, hence
        selections, follow their rows) instead of thousands of removal signals."""
        self.layoutAboutToBeChanged.emit()
        keep = [r for r in range(len(self._keys)) if r not in gone]
        self._keys = [self._keys[r] for r in keep]
        self._values = [self._values[r] for r in keep]
        self._index = dict(zip(self._keys, range(len(keep)), strict=True))
        self._stale_from = None
        moved = {old: new for new, old in enumerate(keep)}
        before = self.persistentIndexList()
        after = []
        for old in before:
            row = moved.get(old.row())
            after.append(QModelIndex() if row is None else self.index(row, old.column()))
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _append(self, added: Sequence[tuple[Any, Any]]) -> None:
        fresh: list[tuple[Any, Any]] = []
        changed_rows = []
        seen: dict[Any, int] = {}
        index = self._fresh_index()
        for key, value in added:
            row = index.get(key)
            if row is not None:  # an "added" key we already show is a change
                self._values[row] = value
                changed_rows.append(row)
            elif key in seen:  # a key repeated within the diff: the last value wins
                fresh[seen[key]] = (key, value)
            else:
                seen[key] = len(fresh)
                fresh.append((key, value))
        self._announce_changes(changed_rows)
        if not fresh:
            return
        start = len(self._keys)
        self.beginInsertRows(_ROOT, start, start + len(fresh) - 1)
        self._keys.extend(k for k, _v in fresh)
        self._values.extend(v for _k, v in fresh)
        self._mark_stale(start)
        self.endInsertRows()

    def _announce_changes(self, rows: Sequence[int]) -> None:
        if not rows:
            return
        last_column = len(self.columns) - 1
        low, high = min(rows), max(rows)
        if high - low + 1 == len(rows):  # rows are distinct: this is one run
            spans = [(low, high)]
        else:
            spans = runs(rows)
            if len(spans) > _MAX_RUNS:
                spans = [(low, high)]
        for first, last in spans:
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    # -------------------------------------------------------------- access

    def row_value(self, row: int) -> Any:
        return self._values[row]

    def key_at(self, row: int) -> Any:
        return self._keys[row]

    def _fresh_index(self) -> dict[Any, int]:
        """key → row, brought up to date after rows moved or arrived."""
        start = self._stale_from
        if start is not None:
            keys = self._keys
            self._index.update(zip(keys[start:], range(start, len(keys)), strict=True))
            self._stale_from = None
        return self._index

    def row_of(self, key: Any) -> int | None:
        return self._fresh_index().get(key)

    def values(self) -> list[Any]:
        return list(self._values)

    def snapshot(self) -> dict[Any, Any]:
        """The rows shown, by key (what the next snapshot is diffed against)."""
        return dict(zip(self._keys, self._values, strict=True))

    def replace_value(self, row: int, value: Any) -> None:
        """Swap a row's value without any signal: for subclasses announcing it themselves."""
        self._values[row] = value

    def sort_value(self, index: Index) -> object:
        """The raw value of a cell, for the proxy's comparisons (no QVariant round trip)."""
        return self.columns[index.column()].value(self._values[index.row()])

    def row_text(self, row: int, parent: Index) -> str:
        """All cells of a row as displayed, for the filter."""
        value = self._values[row]
        return "\t".join(display(c.kind, c.value(value)) for c in self.columns)

    # -------------------------------------------------------------- Qt model

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = index.row()
        if role == KEY_ROLE:
            return self._keys[row]
        column = self.columns[index.column()]
        return cell_data(column, column.value(self._values[row]), role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return header_data(self.columns, section, orientation, role)


# ------------------------------------------------------------------ orders


def _combo(row: OrderRow) -> str:
    return "" if row.combo_type is ComboType.NORMAL else row.combo_type.value


def _quantity(row: OrderRow) -> Decimal | None:
    return row.item.total_quantity


_PLACED = Column("placed", "Placed", lambda r: r.item.place_time_at, "time")
_TAIL = (
    Column("symbol", "Symbol", lambda r: r.item.symbol, "text"),
    Column("side", "Side", lambda r: r.item.side.value, "text"),
    Column("type", "Type", lambda r: fmt.order_type(r.item.order_type), "text"),
    Column("qty", "Qty", _quantity, "qty"),
    Column("filled", "Filled", lambda r: r.item.filled_quantity, "qty"),
    Column("limit", "Limit", lambda r: r.item.limit_price, "price"),
    Column("stop", "Stop", lambda r: r.item.stop_price, "price"),
    Column("avg_fill", "Avg fill", lambda r: fmt.average_fill(r.item), "price",
           "Average fill price"),
    Column("tif", "TIF", lambda r: r.item.time_in_force.value, "text", "Time in force"),
    Column("status", "Status", lambda r: fmt.status(r.item.status), "text"),
    Column("combo", "Combo", _combo, "text", "The combo (OTO, OCO, OTOCO, bracket) the order "
           "belongs to"),
)
ORDER_COLUMNS: tuple[Column, ...] = (_PLACED, *_TAIL)
HISTORY_COLUMNS: tuple[Column, ...] = (
    _PLACED, Column("filled_at", "Filled at", lambda r: r.item.filled_time_at, "time",
                    "Time of the last fill"), *_TAIL)


class OrdersModel(KeyedTableModel):
    """Order rows keyed by client_order_id (open orders by default)."""

    def __init__(self, columns: Sequence[Column] = ORDER_COLUMNS,
                 parent: QObject | None = None) -> None:
        super().__init__(columns, parent)

    def set_groups(self, groups: Sequence[OrderGroup]) -> None:
        """Show exactly these groups' orders, applied as a diff against the current rows."""
        self.set_rows(index_by(order_rows(list(groups)), lambda r: r.key))

    def combo_rows(self, key: str) -> list[OrderRow]:
        """The rows of the combo ``key`` belongs to (just its own row for a plain order)."""
        row = self.row_of(key)
        if row is None:
            return []
        mine: OrderRow = self.row_value(row)
        if mine.combo_type is ComboType.NORMAL or mine.combo_order_id is None:
            return [mine]
        return [r for r in self.values() if r.combo_order_id == mine.combo_order_id]


class HistoryModel(OrdersModel):
    """Order history (a date range of groups), with the time of the last fill."""

    def __init__(self, columns: Sequence[Column] = HISTORY_COLUMNS,
                 parent: QObject | None = None) -> None:
        super().__init__(columns, parent)


# ------------------------------------------------------------------ sorting and filtering


def _less(left: object, right: object) -> bool:
    """None sorts before everything; values of different types compare as text."""
    if left is None or right is None:
        return left is None and right is not None
    try:
        return left < right  # type: ignore[operator]
    except TypeError:
        return str(left) < str(right)


class SortFilterProxy(QSortFilterProxyModel):
    """Sorts by raw values (Decimals compare exactly) and keeps rows whose text contains the
    filter, case-insensitively; in the positions tree a matching leg keeps its position."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._sort_value: Callable[[Index], object] | None = None
        self.setSortRole(SORT_ROLE)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(True)
        self.setDynamicSortFilter(True)

    def set_filter_text(self, text: str) -> None:
        needle = text.replace(fmt.MINUS, "-").strip().casefold()
        if needle != self._needle:
            self.beginFilterChange()
            self._needle = needle
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filter_text(self) -> str:
        return self._needle

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._needle:
            return True
        source = self.sourceModel()
        text = source.row_text(source_row, source_parent)  # type: ignore[attr-defined]
        return self._needle in text.replace(fmt.MINUS, "-").casefold()

    def setSourceModel(self, model: QAbstractItemModel) -> None:  # noqa: N802 - Qt override
        self._sort_value = getattr(model, "sort_value", None)
        super().setSourceModel(model)

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802 - Qt override
        sort_value = self._sort_value
        if sort_value is None:  # a model without raw values: compare what SORT_ROLE gives
            return _less(left.data(SORT_ROLE), right.data(SORT_ROLE))
        return _less(sort_value(left), sort_value(right))

