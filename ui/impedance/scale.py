"""The log-ohm scale shared by the bars and the trend: y is log10(ohms), so a
short (~100 Ω), normal tissue (~1 kΩ) and an open (megaohms) all fit, with
ticks written in ohms and the two classification limits drawn and labelled."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from ui import theme
from ui.impedance.readings import CLASS_COLOURS, CLASS_TINTS, STALE_COLOUR, format_ohms
from workstation.models import ImpedanceClass, ImpedanceThresholds

FLOOR_OHM = 10.0  # bars rise from here; a short reads 50-150 Ω
AXIS_TEXT = theme.TEXT_MUTED
LIMIT_PEN = theme.TEXT_MUTED
PREFIXES = ("", "k", "M", "G")
LEFT_AXIS_PX = 60
BOTTOM_AXIS_PX = 26
TOP_TICK = 8  # 100 MΩ: an open reads 5-20 MΩ


def log_ohms(ohms: float) -> float:
    return math.log10(max(ohms, 1.0))


class OhmAxis(pg.AxisItem):
    """An axis over log10(ohms): one tick per decade, written "100 Ω", "1 kΩ", "10 MΩ"."""

    def tickValues(self, minVal: float, maxVal: float, size: float):
        top = min(math.floor(maxVal), TOP_TICK)  # higher is head-room for labels, not a reading
        return [(1.0, list(range(math.ceil(minVal), top + 1)))]

    def tickStrings(self, values, scale, spacing):
        return [f"{10 ** (int(v) % 3)} {PREFIXES[int(v) // 3]}Ω" for v in values]


class OhmPlot(pg.PlotWidget):
    """A white, fixed-scale plot (no pan, zoom or context menu) with the ohm axis on the left."""

    def __init__(self, parent=None, bottom: pg.AxisItem | None = None) -> None:
        axes = {"left": OhmAxis("left")}
        if bottom is not None:
            axes["bottom"] = bottom
        super().__init__(parent, background=theme.SURFACE, axisItems=axes)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(AXIS_TEXT))
            axis.setTextPen(pg.mkPen(AXIS_TEXT))
        left = item.getAxis("left")
        left.setWidth(LEFT_AXIS_PX)  # wide enough for "100 kΩ" from the first paint
        left.setStyle(hideOverlappingLabels=False)  # the floor's label may overhang the plot's bottom
        item.getAxis("bottom").setHeight(BOTTOM_AXIS_PX)  # kept when a plot has no x labels to show


class ThresholdMarks:
    """The short and open limits on a log-ohm plot: dashed lines with labels and, given the top of
    the open band, the three class bands shaded (short below, normal between, open above)."""

    def __init__(self, plot: pg.PlotItem, band_ceiling: float | None = None) -> None:
        self._lines = {
            name: pg.InfiniteLine(
                angle=0,
                pen=pg.mkPen(LIMIT_PEN, width=1, style=Qt.PenStyle.DashLine),
                label="",
                labelOpts={"position": 1.0, "color": LIMIT_PEN, "anchors": [(1, 1), (1, 1)]},
            )
            for name in ("short", "open")
        }
        self._bands = (
            {
                cls: pg.LinearRegionItem(
                    orientation="horizontal",
                    movable=False,
                    pen=pg.mkPen(None),
                    brush=pg.mkBrush(CLASS_TINTS[cls]),  # opaque: nothing is drawn behind the bands
                )
                for cls in ImpedanceClass
            }
            if band_ceiling is not None
            else {}
        )
        self._ceiling = band_ceiling
        for band in self._bands.values():
            band.setZValue(-20)
            plot.addItem(band, ignoreBounds=True)
        for line in self._lines.values():
            line.setZValue(-10)
            plot.addItem(line, ignoreBounds=True)

    def set(self, thresholds: ImpedanceThresholds) -> None:
        short, open_ = log_ohms(thresholds.short_below_ohm), log_ohms(thresholds.open_above_ohm)
        self._lines["short"].setPos(short)
        self._lines["short"].label.setFormat(f"SHORT < {format_ohms(thresholds.short_below_ohm)}")
        self._lines["open"].setPos(open_)
        self._lines["open"].label.setFormat(f"OPEN > {format_ohms(thresholds.open_above_ohm)}")
        spans = {
            ImpedanceClass.SHORT: (0.0, short),
            ImpedanceClass.NORMAL: (short, open_),
            ImpedanceClass.OPEN: (open_, self._ceiling),
        }
        for cls, band in self._bands.items():
            band.setRegion(spans[cls])


def class_brush(cls: ImpedanceClass, stale: bool) -> QBrush:
    """The strong class colour, or grey for results kept after the link was lost."""
    return pg.mkBrush(STALE_COLOUR if stale else CLASS_COLOURS[cls])
