"""The two kinds of item a waveform plot repaints every frame: its traces and its grid.

At 60 frames a second the cost of a frame is mostly Python around the
painting, not the painting (bench/latency_to_screen.py):
- pyqtgraph's curves recompute their data bounds and pixel padding for each
  of the ~45 bounding-rectangle queries of a frame;
- its grid is part of each axis, whose rectangle then covers the plot, so a
  curve's change replays every axis picture with its tick labels.
Both items here span exactly the view they are in: their rectangle changes
only when the view's range or size does, and the view box clips them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPen, QPolygonF


class ViewSpan(pg.GraphicsObject):
    """An item whose bounding rectangle is the view range of the plot it is added to."""

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__()
        self._box = plot.getViewBox()
        self._rect = QRectF()
        plot.addItem(self, ignoreBounds=True)
        self._box.sigRangeChanged.connect(self._relocate)
        self._box.sigResized.connect(self._relocate)
        self._relocate()

    def _relocate(self, *_) -> None:
        self.prepareGeometryChange()
        (x0, x1), (y0, y1) = self._box.viewRange()
        self._rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect


class Trace(ViewSpan):
    """A polyline through points already reduced to about two per pixel column (decimate.py)."""

    def __init__(self, plot: pg.PlotItem, pen: QPen) -> None:
        self._pen = pen
        self._x = self._y = np.zeros(0)
        self._polygon = QPolygonF()
        super().__init__(plot)

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show the points (x[i], y[i]); empty arrays clear the trace."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.size == 0 and self._x.size == 0:
            return  # still empty: nothing to repaint (an idle overlay, every frame)
        self._polygon = pg.functions.arrayToQPolygonF(x, y) if x.size else QPolygonF()
        self._x, self._y = x, y
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def pen(self) -> QPen:
        return self._pen

    def setPen(self, pen: QPen) -> None:
        self._pen = pen
        self.update()

    def paint(self, painter, *_) -> None:
        if self._polygon.size() > 1:
            painter.setPen(self._pen)
            painter.drawPolyline(self._polygon)


class GridLines(ViewSpan):
    """Lines across the view at the major ticks its plot's left and bottom axes show."""

    def __init__(self, plot: pg.PlotItem, pen: QPen) -> None:
        self._plot, self._pen = plot, pen
        self._lines: list[QLineF] = []
        super().__init__(plot)
        self.setZValue(-100)  # behind the traces

    def _relocate(self, *_) -> None:
        super()._relocate()
        (x0, x1), (y0, y1) = self._box.viewRange()
        self._lines = [QLineF(x, y0, x, y1) for x in self._ticks("bottom", x0, x1, self._box.width())]
        self._lines += [QLineF(x0, y, x1, y) for y in self._ticks("left", y0, y1, self._box.height())]

    def _ticks(self, name: str, low: float, high: float, pixels: float) -> list[float]:
        """The axis' major ticks for this view (the axis may be hidden: rows share one time axis)."""
        levels = self._plot.getAxis(name).tickValues(low, high, max(pixels, 1.0))
        return list(levels[0][1]) if levels else []

    def paint(self, painter, *_) -> None:
        painter.setPen(self._pen)
        painter.drawLines(self._lines)
