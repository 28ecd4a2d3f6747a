"""The History tab's plots: pain (NRS and VAS) before and after, comfortable level per lead
location, coverage and impedance, each over the visits.

A plot keeps its lines and refills them (setData) when the history is read again: making the
pyqtgraph items anew for every line (24 contact pairs alone) took about half of the history
view's 200 ms budget (bench/visit_history.py, docs/performance.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ui import theme
from ui.widgets import named
from workstation.history import PatientHistory
from workstation.models import PainTiming

SERIES_COLOURS = (theme.INFO, theme.OK, theme.SIMULATOR, theme.WARNING, theme.DANGER, theme.CATHODE, theme.TEXT_MUTED)
Series = Sequence[tuple[datetime, float]]
Line = tuple[Series, str, str | None]  # points, colour, legend label (None: not in the legend)
LEGEND_COLUMNS = 3  # entries side by side: a plot is too short at 1366×768 for one entry a line


def new_plot(parent: QWidget, name: str, title: str, left: str) -> pg.PlotWidget:
    plot = named(pg.PlotWidget(parent, axisItems={"bottom": pg.DateAxisItem("bottom")}), name, title, title)
    plot.setBackground(theme.SURFACE)
    plot.setTitle(title, color=theme.TEXT, size="9pt")
    plot.setLabel("left", left)
    plot.addLegend(offset=(4, 4), labelTextColor=theme.TEXT, colCount=LEGEND_COLUMNS)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMinimumHeight(90)
    return plot


class Lines:
    """The lines of one plot, kept between readings of the history."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.plot = plot
        self._items: list[tuple[pg.PlotDataItem, str | None]] = []

    def show(self, lines: Sequence[Line]) -> None:
        kept = []
        for index, (series, colour, label) in enumerate(lines):
            xs = [t.timestamp() for t, _ in series]
            ys = [float(v) for _, v in series]
            style = {"pen": pg.mkPen(colour, width=2), "symbol": "o", "symbolSize": 6, "symbolBrush": colour}
            if index < len(self._items):
                item, shown = self._items[index]
                item.setData(xs, ys, **style)
                if label != shown:
                    legend = self.plot.getPlotItem().legend
                    legend.removeItem(item)
                    if label is not None:
                        legend.addItem(item, label)
            else:
                item = self.plot.plot(xs, ys, name=label, **style)
            kept.append((item, label))
        for item, _label in self._items[len(lines) :]:
            self.plot.removeItem(item)
        self._items = kept


def pain_lines(history: PatientHistory | None, scale: str) -> list[Line]:
    """Before and after, on the NRS ("nrs") or the VAS ("vas_mm")."""
    styles = {PainTiming.BEFORE: (theme.DANGER, "before"), PainTiming.AFTER: (theme.OK, "after")}
    found = (
        [(history.pain_series(when, scale), colour, label) for when, (colour, label) in styles.items()]
        if history
        else []
    )
    return [(series, colour, label) for series, colour, label in found if series]


def threshold_lines(history: PatientHistory | None) -> list[Line]:
    lines: list[Line] = []
    for index, (location, points) in enumerate(history.thresholds.items() if history else ()):
        series = [(t.time, t.response.comfortable_ua) for t in points if t.response.comfortable_ua is not None]
        if series:
            lines.append((series, SERIES_COLOURS[index % len(SERIES_COLOURS)], location.text))
    return lines


def coverage_lines(history: PatientHistory | None) -> list[Line]:
    series = [(t, 100 * c.coverage) for t, c in history.coverage_series() if c.coverage is not None] if history else []
    return [(series, theme.INFO, "coverage")] if series else []


def impedance_lines(history: PatientHistory | None) -> list[Line]:
    """One line per contact pair where its lead sat, log10 Ω; the first six named in the legend."""
    return [
        (
            [(r.time, math.log10(max(r.ohms, 1))) for r in readings],
            SERIES_COLOURS[index % len(SERIES_COLOURS)],
            pair.text if index < 6 else None,
        )
        for index, (pair, readings) in enumerate(history.impedance.items() if history else ())
    ]
