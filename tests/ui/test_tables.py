"""Views: copy as TSV (ASCII minus, header, display order), filter bar, Ctrl+C / Ctrl+F,
column sizing on first data, legs expanded in the positions tree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from app.core.diff import keyed_diff, snapshot_diff
from app.ui.models import OrdersModel
from app.ui.positions_model import PositionsModel
from app.ui.tables import DataView, FilterBar, make_table
from tests.ui.test_models import by_id, example_groups, position, spread

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
HEADER = ("Symbol\tDescription\tType\tQuantity\tAvg cost\tLast\tMarket value\t"
          "Unrealized P&L\tUnrealized %\tDay P&L")


def positions_model() -> PositionsModel:
    model = PositionsModel()
    model.apply(snapshot_diff(by_id(
        position("A", "AAPL", qty="1200", last="231.45", cost="219.32", pnl="14556"),
        position("B", "MSFT", qty="-3", last="400", cost="410", pnl="30"),
        spread("S1"),
        position("C", "NVDA", qty="5", last="120", cost="130", pnl="-50"))))
    return model


def select_rows(view: DataView, *rows: int) -> None:
    selection = view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(view.model().index(row, 0), flags)


def test_copy_selected_rows_as_tsv(qtbot: Any) -> None:
    widget, view, proxy = make_table(positions_model(), tree=True)
    qtbot.addWidget(widget)
    view.sortByColumn(7, Qt.SortOrder.AscendingOrder)  # by unrealized P&L
    select_rows(view, 2, 0)
    text = view.selected_tsv()
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "NVDA\tStock/ETF\tStock/ETF\t5\t130.00\t120.00\t600.00\t-50.00\t-7.69%\t—"
    assert lines[2].startswith("MSFT\tStock/ETF\tStock/ETF\t-3\t410.00\t400.00\t-1,200.00\t+30.00")
    assert "\u2212" not in text and len(lines) == 3
    QApplication.clipboard().clear()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == text


def test_copy_all_includes_legs(qtbot: Any) -> None:
    widget, view, _proxy = make_table(positions_model(), tree=True)
    qtbot.addWidget(widget)
    view.copy_all_action.trigger()
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0] == HEADER and len(lines) == 1 + 4 + 2
    assert lines[4].startswith("TSLA 2026-10-16 400 CALL\tLong call\tOption leg\t1\t\t")
    assert lines[5].startswith("TSLA 2026-10-16 410 CALL\tShort call\tOption leg\t-1\t")
    assert [a.text() for a in view.actions()] == ["Copy", "Copy all"]
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu


def test_filter_bar_filters_after_a_pause(qtbot: Any) -> None:
    widget, view, proxy = make_table(positions_model(), tree=True)
    qtbot.addWidget(widget)
    bar = widget.findChild(FilterBar)
    assert bar.edit.placeholderText() == "Filter…" and bar.edit.isClearButtonEnabled()
    bar.edit.setText("nvda")
    assert proxy.rowCount() == 4  # not yet: typing is debounced
    qtbot.waitUntil(lambda: proxy.rowCount() == 1)
    assert proxy.index(0, 0).data() == "NVDA"
    bar.edit.setText("410 call")
    bar.apply_now()
    assert proxy.rowCount() == 1 and proxy.rowCount(proxy.index(0, 0)) == 1
    bar.edit.clear()
    bar.apply_now()
    assert proxy.rowCount() == 4


def test_ctrl_f_focuses_the_filter(qtbot: Any) -> None:
    widget, view, _proxy = make_table(OrdersModel())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = widget.findChild(FilterBar)
    qtbot.waitUntil(bar.edit.hasFocus)


def test_view_settings_and_first_fit(qtbot: Any) -> None:
    model = OrdersModel()
    widget, view, proxy = make_table(model)
    qtbot.addWidget(widget)
    assert view.isSortingEnabled() and view.alternatingRowColors()
    assert view.uniformRowHeights() and not view.rootIsDecorated()
    assert view.selectionMode() == DataView.SelectionMode.ExtendedSelection
    before = view.header().sectionSize(0)
    model.set_groups(example_groups("open_orders"))
    fitted = view.header().sectionSize(0)
    assert fitted != before  # sized to the first data
    view.header().resizeSection(0, 333)  # the user's width survives later polls
    model.set_groups(example_groups("open_orders")[1:])
    assert view.header().sectionSize(0) == 333
    tree = DataView(tree=True)
    qtbot.addWidget(tree)
    assert tree.rootIsDecorated()


def test_new_option_positions_show_their_legs(qtbot: Any) -> None:
    model = positions_model()
    widget, view, proxy = make_table(model, tree=True)
    qtbot.addWidget(widget)
    spread_row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "TSLA")
    assert view.isExpanded(proxy.index(spread_row, 0))
    first = {model.key_at(r): model.row_value(r) for r in range(model.rowCount())}
    second = {**first, "S2": spread("S2", legs=4)}
    model.apply(keyed_diff(first, second))
    new_row = next(r for r in range(proxy.rowCount())
                   if proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2) == "S2")
    assert view.isExpanded(proxy.index(new_row, 0))
    assert proxy.index(new_row, 7).data(Qt.ItemDataRole.UserRole + 1) == Decimal("-42.50")
