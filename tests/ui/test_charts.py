"""Charts: the plotted arrays follow the Decimal data, allocation buckets, empty states,
theme switching of charts already on screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from app.ui import charts
from app.ui.charts import (
    ALLOCATION_EMPTY,
    NLV_EMPTY,
    AllocationChart,
    NetLiquidationChart,
)
from tests.ui.test_models import example_positions, position, spread

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
T0 = datetime(2026, 9, 21, 13, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def light_theme() -> Any:
    yield
    charts.apply_theme(False)


def test_net_liquidation_series_and_append(qtbot: Any) -> None:
    chart = NetLiquidationChart()
    qtbot.addWidget(chart)
    assert chart.is_empty() and chart.empty_label.text() == NLV_EMPTY
    points = [(T0 + timedelta(minutes=5), D("100250.10")), (T0, D("100000.00")),
              (T0 + timedelta(minutes=10), D("99875.55"))]
    chart.set_series(points)
    assert not chart.is_empty()
    xs, ys = chart.curve.getData()
    assert list(xs) == [(T0 + timedelta(minutes=m)).timestamp() for m in (0, 5, 10)]
    assert list(ys) == [100000.0, 100250.1, 99875.55]
    assert chart.last_label.text().startswith("99,875.55")
    chart.append(T0 + timedelta(minutes=15), D("101000"))
    xs, ys = chart.curve.getData()
    assert len(xs) == 4 and ys[-1] == 101000.0
    assert chart.points()[-1] == ((T0 + timedelta(minutes=15)).timestamp(), D("101000"))
    mx, my = chart.marker.getData()
    assert list(mx) == [xs[-1]] and list(my) == [101000.0]
    chart.append(T0 - timedelta(minutes=5), D("1"))  # late arrival lands in time order
    xs, _ys = chart.curve.getData()
    assert list(xs) == sorted(xs) and chart.last_label.text().startswith("101,000.00")
    chart.set_series([])
    assert chart.is_empty() and len(chart.curve.getData()[0] or []) == 0


def test_money_axis_labels() -> None:
    axis = charts.MoneyAxis("left")
    assert axis.tickStrings([100000.0, 125000.0], 1.0, 25000.0) == ["100,000", "125,000"]
    assert axis.tickStrings([0.5, -0.25], 1.0, 0.25) == ["0.50", "\u22120.25"]


def test_allocation_by_position_and_class(qtbot: Any) -> None:
    chart = AllocationChart(top=3)
    qtbot.addWidget(chart)
    assert chart.is_empty() and chart.empty_label.text() == ALLOCATION_EMPTY
    positions = example_positions() + [position("M", "MSFT", qty="10", last="400"),
                                       position("N", "NVDA", qty="-20", last="120")]
    chart.set_positions(positions)
    assert chart.bars() == [("AAPL", D("23145.00")), ("MSFT", D("4000")),
                            ("NVDA", D("2400")), ("Other", D("275.00"))]
    opts = chart.bar_item.opts
    assert list(opts["width"]) == [23145.0, 4000.0, 2400.0, 275.0]
    assert list(opts["y"]) == [0.0, 1.0, 2.0, 3.0]
    assert [t.toPlainText().strip() for t in chart._labels][0] == "23,145.00 (77.62%)"
    chart.by_class.setChecked(True)
    assert chart.mode == AllocationChart.BY_CLASS
    assert chart.bars() == [("Stocks/ETFs", D("29545.00")), ("Options", D("263.00")),
                            ("Events", D("12.00"))]
    assert list(chart.bar_item.opts["width"]) == [29545.0, 263.0, 12.0]
    chart.set_mode(AllocationChart.BY_POSITION)
    assert chart.bars()[0] == ("AAPL", D("23145.00"))
    with pytest.raises(ValueError, match="allocation mode"):
        chart.set_mode("sector")
    chart.set_positions([])
    assert chart.is_empty() and chart.bars() == []


def test_apply_theme_restyles_existing_charts(qtbot: Any) -> None:
    chart = NetLiquidationChart()
    qtbot.addWidget(chart)
    charts.apply_theme(True)
    assert chart.plot.backgroundBrush().color().name() == charts._DARK["background"]
    assert chart.curve.opts["pen"].color().name() == charts._DARK["line"]
    late = AllocationChart()
    qtbot.addWidget(late)
    assert late.plot.backgroundBrush().color().name() == charts._DARK["background"]
    charts.apply_theme(False)
    assert chart.plot.backgroundBrush().color().name() == charts._LIGHT["background"]


def test_render_charts(qtbot: Any, tmp_path: Any) -> None:
    """Both charts with data render to an image (the PNGs were looked at by eye)."""
    nlv = NetLiquidationChart()
    qtbot.addWidget(nlv)
    value = D("100000")
    points = []
    for i in range(60):
        value += D(((i * 37) % 23) - 10) * D("41.17")
        points.append((T0 + timedelta(minutes=15 * i), value))
    nlv.set_series(points)
    alloc = AllocationChart()
    qtbot.addWidget(alloc)
    alloc.set_positions(example_positions() + [spread("S9")] + [
        position(f"P{i}", f"SYM{i}", qty=str(10 + i), last=str(50 + 7 * i)) for i in range(12)])
    for name, widget in (("nlv", nlv), ("allocation", alloc)):
        widget.resize(1000, 400)
        widget.show()
        qtbot.waitExposed(widget)
        image = widget.grab()
        assert not image.isNull() and image.width() == 1000
        assert image.save(str(tmp_path / f"{name}.png"))
