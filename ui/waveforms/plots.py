"""The plot grid of the waveform view: per lead, a title row and a row with its
current plot (delivered and, dashed, programmed) and its voltage plot, all
sharing one time axis, with a cursor line in each.

Every line pen is opaque: with pyqtgraph's default translucent grid the
frame of bench/plot_frame.py took about 25 ms instead of 3.5 ms (raster
paint engine, offscreen), the blending of the long grid lines dominating.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from drivers.types import LeadConfig
from ui import theme
from ui.waveforms.items import GridLines, Trace
from ui.waveforms.ranges import StickyRange
from ui.widgets import named

LEFT_AXIS_PX = 52
IDLE_ROW_PX = 34  # a lead that is not stimulating: a thin row, its flat line still in sight
NO_DEVICE = "No pulse generator: its leads' waveforms show here once one is connected."


@dataclass
class LeadRow:
    """The plots and items of one lead."""

    lead: int
    title: pg.LabelItem
    current: pg.PlotItem
    voltage: pg.PlotItem
    current_curve: Trace
    voltage_curve: Trace
    programmed_curve: Trace
    cursors: tuple[pg.InfiniteLine, pg.InfiniteLine]
    current_range: StickyRange
    voltage_range: StickyRange
    programmed: LeadConfig | None = None
    label: str = ""

    def plots(self) -> tuple[pg.PlotItem, pg.PlotItem]:
        return self.current, self.voltage


def plot_area() -> pg.GraphicsLayoutWidget:
    """The (empty) widget the rows are laid out in."""
    plots = named(pg.GraphicsLayoutWidget(), "waveformPlots", "", "")
    plots.setBackground(theme.SCOPE_BACKGROUND)
    plots.ci.setSpacing(2)
    # nothing is antialiased: a changed trace repaints its plot, not the axes beside it
    plots.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
    plots.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
    return plots


def lay_out(plots: pg.GraphicsLayoutWidget, lead_count: int, window_s: float) -> list[LeadRow]:
    """Replace what `plots` shows with the rows of `lead_count` leads (none: a note that no
    device is connected), showing the newest `window_s` seconds; returns the rows."""
    plots.clear()
    if lead_count == 0:
        plots.addLabel(NO_DEVICE, row=0, col=0, color=theme.SCOPE_TEXT)
        plots.setAccessibleName("Waveforms: no pulse generator connected")
        return []
    plots.setAccessibleName(f"Current and voltage waveforms of {lead_count} leads")
    plots.addLabel("Delivered current (µA)", row=0, col=0, color=theme.SCOPE_CURRENT)
    plots.addLabel("Electrode voltage (V)", row=0, col=1, color=theme.SCOPE_VOLTAGE)
    rows = []
    for lead in range(1, lead_count + 1):
        title = plots.addLabel(f"Lead {lead}", row=2 * lead - 1, col=0, colspan=2, color=theme.SCOPE_TEXT, bold=True)
        current, voltage = (_add_plot(plots, 2 * lead, col, lead == lead_count) for col in (0, 1))
        rows.append(
            LeadRow(
                lead,
                title,
                current,
                voltage,
                Trace(current, pg.mkPen(theme.SCOPE_CURRENT, width=1)),
                Trace(voltage, pg.mkPen(theme.SCOPE_VOLTAGE, width=1)),
                Trace(current, pg.mkPen(theme.SCOPE_PROGRAMMED, width=1, style=Qt.PenStyle.DashLine)),
                (_cursor(current), _cursor(voltage)),
                StickyRange(current, floor=10.0),
                StickyRange(voltage, floor=0.01),
                label=f"Lead {lead}",
            )
        )
    first = rows[0].current
    for row in rows:
        for plot in row.plots():
            if plot is not first:
                plot.setXLink(first)
    first.setXRange(-window_s, 0, padding=0)
    return rows


def size_rows(plots: pg.GraphicsLayoutWidget, rows: list[LeadRow]) -> None:
    """Rows sized by what they show: a stimulating lead's row takes the height, an idle one (switched
    off, unplaced, or not yet read) is a thin row; with none stimulating every row shares it."""
    live = {row.lead for row in rows if row.programmed is not None and row.programmed.enabled}
    layout = plots.ci.layout
    for row in rows:
        idle = bool(live) and row.lead not in live
        layout.setRowStretchFactor(2 * row.lead, 0 if idle else 1)
        for plot in row.plots():
            plot.setMaximumHeight(IDLE_ROW_PX if idle else 1e6)
            plot.getAxis("left").setStyle(showValues=not idle)


def _add_plot(plots: pg.GraphicsLayoutWidget, row: int, col: int, last_row: bool) -> pg.PlotItem:
    plot = plots.addPlot(row=row, col=col)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=True, y=False)  # wheel zooms, drag pans the time axis (the view's Reset undoes it)
    plot.hideButtons()
    plot.layout.setSpacing(1)  # a pixel between plot and axes: a repainted plot leaves its axes alone
    plot.getViewBox().setDefaultPadding(0)
    plot.getViewBox().setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)  # no border: only clips its items
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(theme.SCOPE_GRID))
        axis.setTextPen(pg.mkPen(theme.SCOPE_TEXT))
        axis.setStyle(tickAlpha=255, maxTickLevel=0, tickLength=5)  # outward: an axis never covers the plot
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # repainted beside every frame: a blit
    GridLines(plot, pg.mkPen(theme.SCOPE_GRID))
    plot.getAxis("left").setWidth(LEFT_AXIS_PX)
    plot.getAxis("left").enableAutoSIPrefix(False)
    bottom = plot.getAxis("bottom")
    bottom.enableAutoSIPrefix(False)
    if last_row:
        bottom.setLabel("time (s)", color=theme.SCOPE_TEXT)
    else:  # the rows share the last row's time axis; hidden, it costs nothing per frame
        plot.hideAxis("bottom")
    return plot


def _cursor(plot: pg.PlotItem) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.SCOPE_CURSOR, width=1))
    line.setVisible(False)
    plot.addItem(line, ignoreBounds=True)
    return line
