"""Charts: net liquidation value over time and allocation by position or asset class.

pyqtgraph is imported only here (it costs start-up time). Values stay Decimal until they are
handed to pyqtgraph; labels are formatted from the Decimals, not from the plotted floats.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from app.webull.models import Position

from . import fmt

pg.setConfigOptions(antialias=True)

_SMALLEST_SHARE = Decimal("0.005")  # shares below this would round to 0.00%
NLV_EMPTY = "No history yet — recorded on every balance refresh"
ALLOCATION_EMPTY = "No positions to chart"
_LIGHT = {"background": "#ffffff", "foreground": "#3a3a3a", "line": "#1f6fd1",
          "bar": "#3b82c4", "grid": 60}
_DARK = {"background": "#1e1f22", "foreground": "#d4d4d4", "line": "#5aa9ff",
         "bar": "#4f95d9", "grid": 80}
_charts: weakref.WeakSet[_Chart] = weakref.WeakSet()
_dark = False


def apply_theme(dark: bool) -> None:
    """Colours for new charts and every chart already on screen."""
    global _dark
    _dark = dark
    theme = _DARK if dark else _LIGHT
    pg.setConfigOptions(background=theme["background"], foreground=theme["foreground"])
    for chart in list(_charts):
        # a chart whose window was destroyed may keep its Python wrapper a little longer
        if shiboken6.isValid(chart) and shiboken6.isValid(chart.plot):
            chart.restyle()


def _theme() -> dict[str, object]:
    return _DARK if _dark else _LIGHT


class MoneyAxis(pg.AxisItem):
    """Axis labels as money (thousands separators), never scientific notation."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # "125,000", not "125 (x1e3)"

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        cents = spacing * scale < 1
        out = []
        for v in values:
            amount = Decimal(repr(round(v * scale, 2)))
            text = fmt.money(amount)
            out.append(text if cents else text[:-3])
        return out


class _Chart(QWidget):
    """A plot with an empty-state message in its place when there is nothing to show."""

    _grid_y = True

    def __init__(self, empty_text: str, axis_items: dict[str, pg.AxisItem],
                 parent: QWidget | None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(self, axisItems=axis_items)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.empty_label = QLabel(empty_text, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self._stack_host = QWidget(self)
        self._stack = QStackedLayout(self._stack_host)
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.plot)
        _charts.add(self)

    def fit_left_axis(self, labels: Iterable[str]) -> None:
        """Make the left axis as wide as its longest label: pyqtgraph widens it only on a
        later layout pass and hides the labels that do not fit until then."""
        axis = self.plot.getPlotItem().getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        widest = max((metrics.horizontalAdvance(text) for text in labels), default=0)
        axis.setWidth(widest + 16)

    def _finish(self, head: QHBoxLayout) -> None:
        """Lay out the header above the plot (or its empty state) and draw once (each chart
        subclass has its own ``_redraw``)."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self._stack_host, 1)
        self.restyle()
        self._redraw()

    def show_plot(self, visible: bool) -> None:
        self._stack.setCurrentWidget(self.plot if visible else self.empty_label)

    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self.empty_label

    def restyle(self) -> None:
        theme = _theme()
        fg = pg.mkPen(theme["foreground"])
        self.plot.setBackground(theme["background"])
        plot_item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = plot_item.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        plot_item.showGrid(x=True, y=self._grid_y, alpha=int(theme["grid"]) / 255)  # type: ignore[call-overload]


#: the shortest time span the net liquidation chart shows (seconds)
MIN_SPAN_S = 600.0


class NetLiquidationChart(_Chart):
    """Net liquidation value over time, in the user's local time, with the latest value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NLV_EMPTY, {"bottom": pg.DateAxisItem(), "left": MoneyAxis("left")},
                         parent)
        self._times: list[float] = []
        self._values: list[Decimal] = []
        self.curve = self.plot.plot([], [])
        self.marker = pg.ScatterPlotItem(size=7)
        self.plot.addItem(self.marker)
        self.plot.setMouseEnabled(x=True, y=False)
        self.last_label = QLabel(self)
        self.last_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        title = QLabel("Net liquidation value", self)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.last_label)
        self._finish(head)

    def set_series(self, points: Sequence[tuple[datetime, Decimal]]) -> None:
        """Replace the history (aware datetimes, Decimal values; any order)."""
        ordered = sorted(points, key=lambda p: p[0])
        self._times = [at.timestamp() for at, _v in ordered]
        self._values = [v for _at, v in ordered]
        self._redraw()

    def append(self, at: datetime, value: Decimal) -> None:
        """Add one recorded value (normally the newest)."""
        stamp = at.timestamp()
        where = bisect.bisect_right(self._times, stamp)
        self._times.insert(where, stamp)
        self._values.insert(where, value)
        self._redraw()

    def points(self) -> list[tuple[float, Decimal]]:
        return list(zip(self._times, self._values, strict=True))

    def restyle(self) -> None:
        super().restyle()
        colour = _theme()["line"]
        self.curve.setPen(pg.mkPen(colour, width=2))
        self.marker.setBrush(pg.mkBrush(colour))
        self.marker.setPen(pg.mkPen(colour))

    def _redraw(self) -> None:
        if not self._times:
            self.curve.setData([], [])
            self.marker.setData([], [])
            self.last_label.setText("")
            self.show_plot(False)
            return
        xs = np.array(self._times, dtype=float)
        ys = np.array([float(v) for v in self._values], dtype=float)  # plotting edge
        self.curve.setData(xs, ys)
        self.marker.setData([xs[-1]], [ys[-1]])
        if xs[-1] - xs[0] < MIN_SPAN_S:
            # a young history: show at least the last ten minutes so the axis reads as clock time
            self.plot.setXRange(xs[-1] - MIN_SPAN_S, xs[-1] + MIN_SPAN_S / 20, padding=0)
        else:
            self.plot.enableAutoRange(axis="x")
        low, high = min(self._values), max(self._values)
        if high - low < abs(high) / 1000:
            # flat so far: a ±0.5 % band keeps the axis labelled and the line in the middle
            mid = float(high)
            pad = max(abs(mid) * 0.005, 1.0)
            self.plot.setYRange(mid - pad, mid + pad, padding=0)
        else:
            self.plot.enableAutoRange(axis="y")
        self.fit_left_axis([fmt.money(low)[:-3], fmt.money(high)[:-3],
                            fmt.money(high - low)])
        at = datetime.fromtimestamp(self._times[-1]).astimezone()
        self.last_label.setText(f"{fmt.money(self._values[-1])}  ·  "
                                f"{fmt.local_time(at, zone=True)}")
        self.show_plot(True)


class AllocationChart(_Chart):
    """Horizontal bars of absolute market value, by position or by asset class."""

    BY_POSITION = "position"
    BY_CLASS = "class"
    _grid_y = False  # horizontal lines would run through the bars

    def __init__(self, parent: QWidget | None = None, *, top: int = 8) -> None:
        super().__init__(ALLOCATION_EMPTY, {"left": pg.AxisItem("left"),
                                            "bottom": MoneyAxis("bottom")}, parent)
        self._top = top
        self._positions: list[Position] = []
        self._bars: list[tuple[str, Decimal]] = []
        self._labels: list[pg.TextItem] = []
        self.bar_item = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[])
        self.plot.addItem(self.bar_item)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().invertY(True)  # largest bar on top
        self.by_position = QRadioButton("By position", self)
        self.by_class = QRadioButton("By asset class", self)
        self.by_position.setChecked(True)
        self.group = QButtonGroup(self)
        self.group.addButton(self.by_position)
        self.group.addButton(self.by_class)
        self.by_position.toggled.connect(lambda _on: self._redraw())
        head = QHBoxLayout()
        head.addWidget(QLabel("Allocation (market value)", self))
        head.addStretch(1)
        head.addWidget(self.by_position)
        head.addWidget(self.by_class)
        self._finish(head)

    @property
    def mode(self) -> str:
        return self.BY_POSITION if self.by_position.isChecked() else self.BY_CLASS

    def set_mode(self, mode: str) -> None:
        if mode not in (self.BY_POSITION, self.BY_CLASS):
            raise ValueError(f"allocation mode must be {self.BY_POSITION!r} or "
                             f"{self.BY_CLASS!r}, not {mode!r}")
        (self.by_position if mode == self.BY_POSITION else self.by_class).setChecked(True)

    def set_positions(self, positions: Iterable[Position]) -> None:
        self._positions = list(positions)
        self._redraw()

    def bars(self) -> list[tuple[str, Decimal]]:
        """The bars shown, top to bottom (label, absolute market value)."""
        return list(self._bars)

    def restyle(self) -> None:
        super().restyle()
        theme = _theme()
        self.bar_item.setOpts(brush=pg.mkBrush(theme["bar"]), pen=pg.mkPen(None))
        for label in self._labels:
            label.setColor(theme["foreground"])

    def _redraw(self) -> None:
        if self.mode == self.BY_POSITION:
            self._bars = fmt.allocation_by_symbol(self._positions, self._top)
        else:
            self._bars = fmt.allocation_by_class(self._positions)
        for label in self._labels:
            self.plot.removeItem(label)
        self._labels = []
        if not self._bars:
            self.bar_item.setOpts(x0=[], y=[], width=[])
            self.show_plot(False)
            return
        ys = np.arange(len(self._bars), dtype=float)
        widths = np.array([float(v) for _l, v in self._bars], dtype=float)  # plotting edge
        self.bar_item.setOpts(x0=np.zeros(len(ys)), y=ys, width=widths, height=0.6)
        self.plot.getAxis("left").setTicks([[(i, label) for i, (label, _v) in
                                             enumerate(self._bars)]])
        self.fit_left_axis(label for label, _v in self._bars)
        total = sum((v for _l, v in self._bars), Decimal(0))
        colour = _theme()["foreground"]
        for y, (_label, value) in zip(ys, self._bars, strict=True):
            share = value / total * 100 if total else Decimal(0)
            shown = "<0.01%" if 0 < share < _SMALLEST_SHARE else fmt.percent(share, signed=False)
            text = pg.TextItem(f" {fmt.money(value)} ({shown})",
                               color=colour, anchor=(0, 0.5))
            text.setPos(float(value), float(y))
            self.plot.addItem(text)
            self._labels.append(text)
        widest = float(widths.max())
        self.plot.setXRange(0, widest * 2.0, padding=0)  # room for the value labels
        self.plot.setYRange(-0.6, len(ys) - 0.4, padding=0)
        self.show_plot(True)
