"""Diff-applied table models: qtmodeltester after every kind of update, signals instead of
resets, sorting by exact Decimals and filtering (a matching leg keeps its position)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.core.diff import KeyedDiff, keyed_diff, snapshot_diff
from app.core.rows import order_rows
from app.ui import palette
from app.ui.models import (
    KEY_ROLE,
    ORDER_COLUMNS,
    SORT_ROLE,
    Column,
    HistoryModel,
    KeyedTableModel,
    OrdersModel,
    SortFilterProxy,
)
from app.ui.positions_model import PositionsModel
from app.webull.models import OrderGroup, Position
from tests.webull.openapi_support import load_examples

DISPLAY = Qt.ItemDataRole.DisplayRole


def position(pid: str, symbol: str, qty: str = "10", last: str = "100", cost: str = "90",
             pnl: str = "100", **extra: Any) -> Position:
    payload = {"position_id": pid, "currency": "USD", "quantity": qty, "symbol": symbol,
               "option_strategy": "", "instrument_type": "EQUITY", "last_price": last,
               "cost_price": cost, "unrealized_profit_loss": pnl, **extra}
    return Position.model_validate(payload)


def leg(leg_id: str, qty: str, strike: str, kind: str = "CALL") -> dict[str, str]:
    return {"leg_id": leg_id, "symbol": "TSLA", "quantity": qty, "option_type": kind,
            "option_expire_date": "2026-10-16", "option_exercise_price": strike,
            "option_contract_multiplier": "100", "option_contract_deliverable": "100"}


def spread(pid: str = "S1", legs: int = 2, pnl: str = "-42.50") -> Position:
    strikes = ["400", "410", "420", "430"]
    return position(pid, "TSLA", qty="1", last="2.63", cost="3.05", pnl=pnl,
                    instrument_type="OPTION", option_strategy="VERTICAL",
                    legs=[leg(f"L{pid}{i}", "1" if i % 2 == 0 else "-1", strikes[i])
                          for i in range(legs)])


def example_positions() -> list[Position]:
    trading = load_examples()["trading"]
    body = trading["positions"]["response"]["body"] + \
        trading["positions_events_account"]["response"]["body"]
    return [Position.model_validate(p) for p in body]


def example_groups(name: str) -> list[OrderGroup]:
    body = load_examples()["trading"][name]["response"]["body"]
    return [OrderGroup.model_validate(g) for g in body["data"]]


def by_id(*positions: Position) -> dict[str, Position]:
    return {p.position_id: p for p in positions}


def texts(model: Any, column: int, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [model.index(r, column, parent).data(DISPLAY) for r in range(model.rowCount(parent))]


class Recorder:
    """Every structural signal a model emits, in order."""

    def __init__(self, model: Any) -> None:
        self.events: list[tuple[Any, ...]] = []
        model.rowsRemoved.connect(lambda p, a, b: self.events.append(("removed", a, b)))
        model.rowsInserted.connect(lambda p, a, b: self.events.append(("inserted", a, b)))
        model.dataChanged.connect(
            lambda a, b, roles=(): self.events.append(("changed", a.row(), b.row())))
        model.modelReset.connect(lambda: self.events.append(("reset",)))

    def kinds(self) -> set[str]:
        return {e[0] for e in self.events}


# ------------------------------------------------------------------ KeyedTableModel

SIMPLE = (Column("name", "Name", lambda v: v[0], "text"),
          Column("amount", "Amount", lambda v: v[1], "signed_money"))


def test_keyed_model_applies_diffs_without_reset(qtmodeltester: Any) -> None:
    model = KeyedTableModel(SIMPLE)
    qtmodeltester.check(model)
    rows = {f"k{i}": (f"row {i}", Decimal(i)) for i in range(10)}
    model.apply(snapshot_diff(rows))
    qtmodeltester.check(model)
    recorder = Recorder(model)
    new = dict(rows)
    for k in ("k1", "k2", "k5", "k8"):  # non-contiguous removals
        del new[k]
    new["k3"] = ("row 3", Decimal("-3.5"))
    new["k10"] = ("row 10", Decimal(10))
    new["k11"] = ("row 11", Decimal(11))
    model.apply(keyed_diff(rows, new))
    qtmodeltester.check(model)
    assert "reset" not in recorder.kinds()
    assert [e for e in recorder.events if e[0] == "removed"] == [
        ("removed", 8, 8), ("removed", 5, 5), ("removed", 1, 2)]
    assert ("changed", 1, 1) in recorder.events  # k3 moved up to row 1
    assert recorder.events[-1] == ("inserted", 6, 7)
    assert [model.key_at(r) for r in range(model.rowCount())] == list(new)
    assert {model.key_at(r): model.row_value(r) for r in range(model.rowCount())} == new
    assert model.row_of("k9") == 5 and model.row_of("k1") is None
    assert model.index(1, 1).data(DISPLAY) == "\u22123.50"
    assert model.index(1, 1).data(SORT_ROLE) == Decimal("-3.5")
    assert model.index(1, 0).data(KEY_ROLE) == "k3"


def test_keyed_model_set_rows_and_clear(qtmodeltester: Any) -> None:
    model = KeyedTableModel(SIMPLE)
    model.set_rows({"a": ("A", Decimal(1)), "b": ("B", Decimal(2))})
    recorder = Recorder(model)
    model.set_rows({"b": ("B", Decimal(3)), "c": ("C", Decimal(4))})
    qtmodeltester.check(model)
    assert recorder.events == [("removed", 0, 0), ("changed", 0, 0), ("inserted", 1, 1)]
    assert texts(model, 1) == ["+3.00", "+4.00"]
    model.set_rows({"b": ("B", Decimal(3)), "c": ("C", Decimal(4))})
    assert len(recorder.events) == 3  # nothing changed, nothing emitted
    model.clear()
    assert model.rowCount() == 0 and recorder.events[-1] == ("reset",)
    qtmodeltester.check(model)


def test_many_scattered_changes_are_one_span() -> None:
    model = KeyedTableModel(SIMPLE)
    rows = {i: (str(i), Decimal(i)) for i in range(200)}
    model.apply(snapshot_diff(rows))
    recorder = Recorder(model)
    model.apply(KeyedDiff(changed=tuple((i, (str(i), Decimal(-i))) for i in range(0, 200, 2))))
    assert recorder.events == [("changed", 0, 198)]
    recorder.events.clear()
    model.apply(KeyedDiff(changed=((5, ("5", Decimal(1))), (6, ("6", Decimal(1))),
                                   (50, ("50", Decimal(1))))))
    assert recorder.events == [("changed", 5, 6), ("changed", 50, 50)]


def test_signed_cells_are_coloured_and_aligned() -> None:
    model = KeyedTableModel(SIMPLE)
    model.set_rows({"up": ("Up", Decimal("1.5")), "down": ("Down", Decimal("-2")),
                    "flat": ("Flat", Decimal(0))})
    fg = Qt.ItemDataRole.ForegroundRole
    assert model.index(0, 1).data(fg) == QColor(palette.gain())
    assert model.index(1, 1).data(fg) == QColor(palette.loss())
    assert model.index(2, 1).data(fg) is None
    assert model.index(0, 0).data(fg) is None
    align = Qt.AlignmentFlag(model.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole))
    assert align & Qt.AlignmentFlag.AlignRight
    align = Qt.AlignmentFlag(model.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole))
    assert align & Qt.AlignmentFlag.AlignLeft
    model.set_rows({"odd": ("Odd", Decimal("1.005"))})
    assert model.index(0, 1).data(DISPLAY) == "+1.01"
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == "Exact: 1.005"
    model.set_rows({"round": ("Round", Decimal("-2.5"))})  # shown as −2.50: nothing hidden
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.headerData(1, Qt.Orientation.Horizontal, DISPLAY) == "Amount"


# ------------------------------------------------------------------ positions tree


def test_positions_tree_with_legs(qtmodeltester: Any) -> None:
    model = PositionsModel()
    qtmodeltester.check(model)
    examples = example_positions()
    model.apply(snapshot_diff(by_id(*examples)))
    qtmodeltester.check(model)
    assert texts(model, 0) == ["AAPL", "TSLA", "KXRATECUTCOUNT-26DEC31-T3"]
    assert texts(model, 1) == ["Stock/ETF", "VERTICAL · 2 legs", "YES"]
    assert texts(model, 6) == ["23,145.00", "263.00", "12.00"]
    assert texts(model, 9) == ["—"] * 3
    tsla = model.index(1, 0)
    assert model.rowCount(tsla) == 2 and model.rowCount(model.index(0, 0)) == 0
    assert texts(model, 0, tsla) == ["TSLA 2026-10-16 400 CALL", "TSLA 2026-10-16 410 CALL"]
    assert texts(model, 1, tsla) == ["Long call", "Short call"]
    assert texts(model, 3, tsla) == ["1", "\u22121"]
    assert texts(model, 6, tsla) == ["", ""]  # no per-leg market value in the payload
    assert model.parent(model.index(0, 3, tsla)) == tsla
    assert model.index(1, 0, tsla).data(KEY_ROLE) == "H3KBKQPS5LVB1G6J0MPOI9K94B"


def test_positions_diffs_keep_legs_attached(qtmodeltester: Any) -> None:
    model = PositionsModel()
    first = by_id(position("A", "AAPL"), position("B", "MSFT"), spread("S1"),
                  position("C", "NVDA"), spread("S2", legs=4))
    model.apply(snapshot_diff(first))
    qtmodeltester.check(model)
    recorder = Recorder(model)
    second = dict(first)
    del second["A"], second["C"]  # rows above both spreads go away
    second["S1"] = spread("S1", legs=4, pnl="10")  # legs added
    second["S2"] = spread("S2", legs=2)  # legs removed
    second["D"] = position("D", "AMD", pnl="-5")
    model.apply(keyed_diff(first, second))
    qtmodeltester.check(model)
    assert "reset" not in recorder.kinds()
    assert {"removed", "inserted", "changed"} <= recorder.kinds()
    assert texts(model, 0) == ["MSFT", "TSLA", "TSLA", "AMD"]
    s1, s2 = model.index(1, 0), model.index(2, 0)
    assert model.rowCount(s1) == 4 and model.rowCount(s2) == 2
    assert model.parent(model.index(3, 0, s1)).row() == 1
    assert model.parent(model.index(1, 0, s2)).row() == 2
    assert model.index(1, 7).data(DISPLAY) == "+10.00"
    model.set_positions([spread("S2", legs=2)])
    qtmodeltester.check(model)
    assert texts(model, 0) == ["TSLA"] and model.rowCount(model.index(0, 0)) == 2
    model.clear()
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_positions_through_proxy_sort_and_filter(qtmodeltester: Any) -> None:
    model = PositionsModel()
    model.apply(snapshot_diff(by_id(
        position("A", "AAPL", pnl="100.10"), position("B", "MSFT", pnl="-7"),
        position("C", "NVDA", pnl="100.1"), spread("S1"), position("D", "AMD", pnl="100.09"))))
    proxy = SortFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.sort(7, Qt.SortOrder.DescendingOrder)
    # Decimals compare exactly: 100.10 == 100.1 keep a stable order, 100.09 is below
    assert texts(proxy, 7) == ["+100.10", "+100.10", "+100.09", "\u22127.00", "\u221242.50"]
    proxy.set_filter_text("410")  # only a leg's strike matches
    assert texts(proxy, 0) == ["TSLA"]
    parent = proxy.index(0, 0)
    assert texts(proxy, 0, parent) == ["TSLA 2026-10-16 410 CALL"]
    proxy.set_filter_text("vertical")  # the position matches: its legs come along
    assert proxy.rowCount(proxy.index(0, 0)) == 2
    proxy.set_filter_text("-7")  # typed with an ASCII minus, shown with U+2212
    assert texts(proxy, 0) == ["MSFT"]
    proxy.set_filter_text("")
    assert proxy.rowCount() == 5
    qtmodeltester.check(proxy)


# ------------------------------------------------------------------ orders


def test_orders_model_from_groups(qtmodeltester: Any) -> None:
    model = OrdersModel()
    qtmodeltester.check(model)
    groups = example_groups("open_orders")
    model.set_groups(groups)
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    titles = [model.headerData(c, Qt.Orientation.Horizontal, DISPLAY)
              for c in range(model.columnCount())]
    assert titles == [c.title for c in ORDER_COLUMNS] == [
        "Placed", "Symbol", "Side", "Type", "Qty", "Filled", "Limit", "Stop", "Avg fill", "TIF",
        "Status", "Combo"]
    assert texts(model, 3) == ["LIMIT", "LIMIT", "LIMIT", "STOP"]
    assert texts(model, 6) == ["180.00", "229.50", "245.00", "—"]
    assert texts(model, 8) == ["—"] * 4  # filled_price "0" before any fill is no price
    assert texts(model, 11) == ["", "MASTER", "MASTER", "MASTER"]
    key = "7a1b2c3d4e5f60718293a4b5c6d7e8fa"
    assert [r.key for r in model.combo_rows(key)][0] == "7a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert len(model.combo_rows(key)) == 3 and model.combo_rows("nope") == []
    recorder = Recorder(model)
    model.set_groups(groups[1:])
    assert recorder.events == [("removed", 0, 0)]
    qtmodeltester.check(model)


def test_history_model_diffs_groups(qtmodeltester: Any) -> None:
    groups = example_groups("order_history")
    model = HistoryModel()
    model.set_groups(groups)
    qtmodeltester.check(model)
    rows = order_rows(groups)
    assert model.rowCount() == len(rows)
    assert model.index(0, 1).data(SORT_ROLE) == rows[0].item.filled_time_at
    recorder = Recorder(model)
    item = rows[0].item.model_copy(update={"filled_quantity": Decimal(0)})
    changed = groups[0].model_copy(update={"orders": (item,)})
    model.set_groups([changed, *groups[1:]])
    assert recorder.events == [("changed", 0, 0)]
    qtmodeltester.check(model)


def test_ten_thousand_rows_apply_is_incremental() -> None:
    count = 10_000
    model = PositionsModel()
    base = {f"P{i}": position(f"P{i}", f"S{i}", pnl=str(i)) for i in range(count)}
    model.apply(snapshot_diff(base))
    new = dict(base)
    for i in range(0, count, 97):
        del new[f"P{i}"]
    for i in range(1, count, 3):
        if f"P{i}" in new:
            new[f"P{i}"] = position(f"P{i}", f"S{i}", pnl=str(-i))
    new.update({f"N{i}": position(f"N{i}", f"T{i}") for i in range(50)})
    diff = keyed_diff(base, new)
    recorder = Recorder(model)
    model.apply(diff)
    assert "reset" not in recorder.kinds()
    assert model.rowCount() == len(new)
    assert [model.key_at(r) for r in range(model.rowCount())] == list(new)
    assert model.index(model.row_of("P1"), 7).data(SORT_ROLE) == Decimal(-1)
    assert model.row_of("P0") is None


def test_many_scattered_removals_are_one_layout_change(qtmodeltester: Any) -> None:
    model = PositionsModel()
    base = {f"P{i}": position(f"P{i}", f"S{i}") for i in range(300)}
    base["S1"] = spread("S1")
    base["S2"] = spread("S2")
    model.apply(snapshot_diff(base))
    qtmodeltester.check(model)
    kept = QPersistentModelIndex(model.index(model.row_of("P1"), 3))
    leg_kept = QPersistentModelIndex(model.index(1, 0, model.index(model.row_of("S2"), 0)))
    leg_gone = QPersistentModelIndex(model.index(0, 0, model.index(model.row_of("S1"), 0)))
    gone = QPersistentModelIndex(model.index(model.row_of("P0"), 0))
    recorder = Recorder(model)
    layouts: list[str] = []
    model.layoutChanged.connect(lambda *a: layouts.append("layout"))
    new = {k: v for n, (k, v) in enumerate(base.items()) if n % 2 and k != "S1"}
    model.apply(keyed_diff(base, new))
    qtmodeltester.check(model)
    assert layouts == ["layout"] and "removed" not in recorder.kinds()
    assert [model.key_at(r) for r in range(model.rowCount())] == list(new)
    assert kept.isValid() and kept.row() == model.row_of("P1") and kept.column() == 3
    assert kept.data(KEY_ROLE) == "P1"
    assert leg_kept.isValid() and leg_kept.parent().row() == model.row_of("S2")
    assert not gone.isValid() and not leg_gone.isValid()


def test_flat_model_bulk_removal_keeps_persistent_rows(qtmodeltester: Any) -> None:
    model = KeyedTableModel(SIMPLE)
    rows = {i: (str(i), Decimal(i)) for i in range(500)}
    model.apply(snapshot_diff(rows))
    qtmodeltester.check(model)
    kept = QPersistentModelIndex(model.index(401, 1))
    new = {k: v for k, v in rows.items() if k % 3}
    model.apply(keyed_diff(rows, new))
    qtmodeltester.check(model)
    assert kept.row() == model.row_of(401) and kept.data(DISPLAY) == "+401.00"
    assert model.rowCount() == len(new)
