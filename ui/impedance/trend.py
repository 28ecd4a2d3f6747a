"""Trend: one contact pair's impedance across the patient's sessions, on the
log-ohm scale with the short / normal / open bands shaded.

The records query runs on the service's records thread, never the GUI thread
(a PostgreSQL store may sit across a network); its answer comes back through
the bridge. A newer request supersedes an older one still running (its
answer is dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui import theme
from ui.impedance.readings import CLASS_COLOURS, Reading, format_ohms
from ui.impedance.scale import FLOOR_OHM, OhmPlot, ThresholdMarks, log_ohms
from ui.widgets import named
from workstation.models import ImpedanceClass, ImpedanceThresholds
from workstation.records import ImpedancePoint
from workstation.wording import IMPEDANCE_CLASS_TEXT

HistoryQuery = Callable[[int, int, int, int], Future]  # service.impedance.history: Future[list[ImpedancePoint]]
TOP = 8.6  # log10(Ω) at the top: opens read 5-20 MΩ
MIN_SPAN_S = 120.0  # x range around a single point
EDGE_LABEL_PX = 30  # a date under the first or last reading may reach this far past the axis
LABELLED_POINTS = 6  # up to this many readings, each gets its own date under it


class ImpedanceTrend(QWidget):
    loaded = Signal(int)  # number of points now plotted

    def __init__(
        self,
        history: HistoryQuery,
        run: Callable[[Future, Callable[[Future], None]], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        named(self, "impedanceTrend", "Impedance trend across sessions", "")
        self._history = history
        self._patient: int | None = None
        self._reading: Reading | None = None
        self._points: list[ImpedancePoint] = []
        self._thresholds: ImpedanceThresholds | None = None
        self._request = 0
        self._run = run  # ServiceBridge.run: the answer is handled on the GUI thread
        self.caption = QLabel()
        self.caption.setObjectName("impedanceTrendCaption")
        self.caption.setWordWrap(True)
        self.plot = named(
            OhmPlot(self, bottom=pg.DateAxisItem("bottom")),
            "impedanceTrendPlot",
            "Impedance trend plot",
            "The selected pair's impedance in each session; bands: short, normal, open",
        )
        self.plot.getPlotItem().getAxis("bottom").setStyle(hideOverlappingLabels=EDGE_LABEL_PX)
        self.plot.setMinimumHeight(150)
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to operate: the selection is made elsewhere
        item = self.plot.getPlotItem()
        self._marks = ThresholdMarks(item, band_ceiling=TOP)
        self._line = pg.PlotCurveItem(pen=pg.mkPen(theme.TEXT_MUTED, width=1.5))
        self._dots = pg.ScatterPlotItem(size=10, pen=pg.mkPen(theme.TEXT), hoverable=True, tip=lambda x, y, data: data)
        item.addItem(self._line)
        item.addItem(self._dots)
        item.setYRange(log_ohms(FLOOR_OHM), TOP, padding=0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)
        self._draw([])
        self._say()

    @property
    def points(self) -> list[ImpedancePoint]:
        return list(self._points)

    def plotted(self) -> list[tuple[float, float]]:
        """(time s, log10 Ω) of every point drawn."""
        xs, ys = self._dots.getData()
        return list(zip(map(float, xs), map(float, ys)))

    def set_thresholds(self, thresholds: ImpedanceThresholds) -> None:
        self._thresholds = thresholds
        self._marks.set(thresholds)

    def show_pair(self, patient_id: int | None, reading: Reading | None) -> None:
        self._patient, self._reading = patient_id, reading
        self.refresh()

    def refresh(self) -> None:
        """Read the selected pair's history again (after a new measurement was recorded)."""
        self._request += 1
        self._draw([])
        if self._patient is None or self._reading is None:
            self._say()
            return
        self.caption.setText(f"{self._title()}: reading the records…")
        request, (lead, a, b) = self._request, self._reading.pair
        self._run(self._history(self._patient, lead, a, b), lambda future: self._on_fetched(request, future))

    def _on_fetched(self, request: int, future: Future) -> None:
        if request != self._request:
            return  # a newer selection superseded this one
        if future.exception() is not None:
            self.caption.setText(f"{self._title()}: the records could not be read ({future.exception()}).")
            return
        answer = future.result()
        self._draw(answer)
        self._say()
        self.loaded.emit(len(answer))

    def _draw(self, points: list[ImpedancePoint]) -> None:
        self._points = points
        xs = [p.time.timestamp() for p in points]
        ys = [log_ohms(p.ohms) for p in points]
        self._line.setData(xs, ys)
        self._dots.setData(
            x=xs,
            y=ys,
            brush=[pg.mkBrush(CLASS_COLOURS[p.impedance_class]) for p in points],
            data=[f"{p.time.astimezone():%Y-%m-%d %H:%M:%S}\n{self._shown(p)} {self._class(p)}" for p in points],
        )
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setTicks([list(zip(xs, _time_labels(points)))] if len(points) <= LABELLED_POINTS else None)
        if xs:
            pad = max((xs[-1] - xs[0]) * 0.12, MIN_SPAN_S / 2)
            self.plot.getPlotItem().setXRange(xs[0] - pad, xs[-1] + pad, padding=0)

    def _shown(self, point: ImpedancePoint) -> str:
        """An open as "> limit" (the value above it is no resistance), anything else as measured."""
        if point.impedance_class is ImpedanceClass.OPEN and self._thresholds is not None:
            return f"> {format_ohms(self._thresholds.open_above_ohm)}"
        return format_ohms(point.ohms)

    @staticmethod
    def _class(point: ImpedancePoint) -> str:
        return IMPEDANCE_CLASS_TEXT[point.impedance_class].lower()

    def _title(self) -> str:
        reading = self._reading
        return f"Lead {reading.lead}, contacts {reading.contacts}" if reading else ""

    def _say(self) -> None:
        if self._patient is None:
            text = "Trend: no patient selected, so there is no history to show."
        elif self._reading is None:
            text = "Trend: select a measurement (table row, bar or matrix cell) to see it across sessions."
        elif not self._points:
            text = f"{self._title()}: no recorded measurement for this patient yet."
        else:
            last = self._points[-1]
            sessions = len({p.session_id for p in self._points})
            text = (
                f"{self._title()}: {len(self._points)} readings in {sessions} session"
                f"{'s' if sessions != 1 else ''}; latest {self._shown(last)} "
                f"{self._class(last)}."
            )
        self.caption.setText(text)


def _time_labels(points: list[ImpedancePoint]) -> list[str]:
    """Dates ("14 Mar"), with the time where two readings share a day, or only times for one day."""
    days = [p.time.astimezone().date() for p in points]
    if len(set(days)) == 1:
        return [f"{p.time.astimezone():%H:%M:%S}" for p in points]
    fmt = "%d %b" if len(set(days)) == len(days) else "%d %b %H:%M"
    return [p.time.astimezone().strftime(fmt) for p in points]
