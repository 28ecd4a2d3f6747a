"""Impedance bars: one bar per measurement on a log-ohm scale, grouped by lead,
coloured by class, with the value printed above each bar and a fault named
in words ("OPEN", "SHORT"), so colour is never the only cue.

Clicking a bar, or Left/Right while the plot has focus, selects it
(readingSelected) so the view can show its trend.
"""

from __future__ import annotations

from itertools import groupby

import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QKeyEvent
from PySide6.QtWidgets import QWidget

from drivers.types import ImpedanceMode
from ui import theme
from ui.impedance.readings import MeasuredSet, Reading
from ui.impedance.scale import FLOOR_OHM, OhmPlot, ThresholdMarks, class_brush, log_ohms
from ui.lead_names import LeadNames
from ui.widgets import named
from workstation.models import ImpedanceThresholds

BAR_WIDTH = 0.65
CEILING = 8.7  # log10(Ω) at the top before the widget has a size to fit the labels to
LIMIT_LABEL_PX = 110  # right margin for the limit labels ("OPEN > 4000 Ω")
LEFT_PAD = 0.7  # slots left of the first bar
UNSIZED_SLOT_PX = 40.0  # assumed before the widget is laid out
LABEL_GAP_PX = 6
LABEL_COLOUR = theme.TEXT
EDGE = theme.TEXT_MUTED
SELECTED_EDGE = theme.SELECTION


class ImpedanceBars(OhmPlot):
    readingSelected = Signal(object)  # Reading

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = LeadNames()  # the window's, once it is placed in one
        named(
            self,
            "impedanceBars",
            "Impedance bars",
            "Impedance of each measurement on a log scale, coloured by class. "
            "Click a bar (or use Left/Right) to see its trend across sessions.",
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(200)
        item = self.getPlotItem()
        self._marks = ThresholdMarks(item)
        self._bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, y0=log_ohms(FLOOR_OHM))
        item.addItem(self._bars)
        self._texts: list[pg.TextItem] = []
        self._slots: list[tuple[float, Reading]] = []
        self._run: MeasuredSet | None = None
        self._stale = False
        self._selected: tuple[int, int, int] | None = None
        self._empty = pg.TextItem(
            "Not measured yet: choose a mode and press Measure.", color=LABEL_COLOUR, anchor=(0.5, 0.5)
        )
        item.addItem(self._empty, ignoreBounds=True)
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self.scene().sigMouseClicked.connect(self._clicked)
        item.vb.sigResized.connect(self._redraw)  # labels are fitted to the pixels available
        self.show_run(None)

    # -- what is shown ------------------------------------------------------------------
    @property
    def bar_item(self) -> pg.BarGraphItem:
        return self._bars

    @property
    def readings(self) -> list[Reading]:
        return [reading for _x, reading in self._slots]

    @property
    def labels(self) -> list[str]:
        """The plain text printed on the plot: value labels, then lead names."""
        return [text.textItem.toPlainText() for text in self._texts]

    def set_thresholds(self, thresholds: ImpedanceThresholds) -> None:
        """Draw the limits (before any run: from the device; then each run's own)."""
        self._marks.set(thresholds)

    def show_run(self, run: MeasuredSet | None, stale: bool = False) -> None:
        self._run, self._stale = run, stale
        self._slots = _slots(run.readings) if run else []
        if run is not None:
            self._marks.set(run.thresholds)
        self._redraw()

    def select(self, pair: tuple[int, int, int] | None) -> None:
        """Outline the bar of `pair` (no signal: the caller already knows)."""
        self._selected = pair
        self._redraw_bars()

    def bar_rect(self, index: int) -> QRect:
        """Where bar `index` is drawn, in this widget's coordinates."""
        x, reading = self._slots[index]
        floor = log_ohms(FLOOR_OHM)
        view = QRectF(x - BAR_WIDTH / 2, floor, BAR_WIDTH, log_ohms(reading.ohms) - floor)
        scene = self.getPlotItem().vb.mapViewToScene(view).boundingRect()
        return self.mapFromScene(scene).boundingRect()

    # -- drawing ------------------------------------------------------------------------
    def _redraw(self) -> None:
        item = self.getPlotItem()
        for text in self._texts:
            item.removeItem(text)
        self._texts = []
        width = self._slots[-1][0] + 1 if self._slots else 4
        available = self.getPlotItem().vb.width() - LIMIT_LABEL_PX
        slot_px = available / (width + LEFT_PAD) if available > 50 else UNSIZED_SLOT_PX
        metrics = QFontMetricsF(self.getPlotItem().getAxis("bottom").font())
        named = any(metrics.horizontalAdvance(r.short_contacts) + LABEL_GAP_PX > slot_px for r in self.readings)
        upright, ceiling = self._fit(slot_px, named)
        floor = log_ohms(FLOOR_OHM)
        right = width + LIMIT_LABEL_PX / slot_px
        item.setRange(xRange=(-LEFT_PAD, right), yRange=(floor, ceiling), padding=0)
        self._empty.setVisible(not self._slots)
        self._empty.setPos((right - LEFT_PAD) / 2, (floor + ceiling) / 2)
        item.getAxis("bottom").setTicks([[(x, "" if named else r.short_contacts) for x, r in self._slots]])
        for x, reading in self._slots:
            html = _label(reading, named, "<b>{}</b>", " " if upright else "<br>")
            text = (
                pg.TextItem(html=f'<span style="color:{LABEL_COLOUR}">{html}</span>', anchor=(0, 0.5), angle=90)
                if upright
                else pg.TextItem(
                    html=f'<div style="color:{LABEL_COLOUR};text-align:center">{html}</div>', anchor=(0.5, 1)
                )
            )
            text.setFont(self._font)
            text.setPos(x, log_ohms(reading.ohms))
            self._add_text(text)
        to_case = " to case" if self._run and self._run.mode is ImpedanceMode.CONTACT_TO_CASE else ""
        for lead, slots in groupby(self._slots, key=lambda slot: slot[1].lead):
            xs = [x for x, _r in slots]
            name = self.names.short(lead)
            label = pg.TextItem(html=f'<b style="color:{LABEL_COLOUR}">{name}</b>{to_case}', anchor=(0.5, 0))
            label.setFont(self._font)
            label.setPos(sum(xs) / len(xs), ceiling)
            self._add_text(label)
        self._redraw_bars()

    def _fit(self, slot_px: float, named: bool) -> tuple[bool, float]:
        """Whether the value labels must stand upright to clear their neighbours, and the top of
        the y range that leaves room for them and the lead names above the highest bar.
        `named`: the contacts do not fit under the bars, so the labels carry them."""
        view = self.getPlotItem().vb
        metrics, bold = QFontMetricsF(self._font), QFontMetricsF(_bold(self._font))
        floor = log_ohms(FLOOR_OHM)
        if not self._slots or view.height() < 50:
            return False, CEILING
        flat_px = max(
            max(metrics.horizontalAdvance(r.value_text), bold.horizontalAdvance(r.class_text)) for r in self.readings
        )
        upright = named or slot_px < flat_px + LABEL_GAP_PX
        if upright:
            label_px = max(metrics.horizontalAdvance(_label(r, named, "{}", " ")) for r in self.readings)
        else:
            label_px = metrics.lineSpacing() * (1 if all(r.passed for r in self.readings) else 2)
        reserved = label_px + bold.lineSpacing() + 2 * LABEL_GAP_PX
        usable = max(view.height() - reserved, view.height() * 0.3)
        top = max(log_ohms(r.ohms) for r in self.readings)
        return upright, max(floor + (top - floor) * view.height() / usable, CEILING - 2)

    def _add_text(self, text: pg.TextItem) -> None:
        self.getPlotItem().addItem(text, ignoreBounds=True)
        self._texts.append(text)

    def _redraw_bars(self) -> None:
        readings = self.readings
        self._bars.setOpts(  # pyqtgraph 0.14 fails on empty pens/brushes lists: None then
            x=[x for x, _r in self._slots],
            height=[log_ohms(r.ohms) - log_ohms(FLOOR_OHM) for r in readings],
            brushes=[class_brush(r.impedance_class, self._stale) for r in readings] or None,
            pens=[pg.mkPen(SELECTED_EDGE, width=3) if r.pair == self._selected else pg.mkPen(EDGE) for r in readings]
            or None,
        )

    # -- selection ----------------------------------------------------------------------
    def _clicked(self, event) -> None:
        x = self.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        for slot_x, reading in self._slots:
            if abs(slot_x - x) <= BAR_WIDTH / 2:
                self._choose(reading)
                return

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(event.key())
        readings = self.readings
        if step is None or not readings:
            super().keyPressEvent(event)
            return
        pairs = [r.pair for r in readings]
        index = pairs.index(self._selected) + step if self._selected in pairs else 0
        self._choose(readings[max(0, min(len(readings) - 1, index))])

    def _choose(self, reading: Reading) -> None:
        self.select(reading.pair)
        self.readingSelected.emit(reading)


def _label(reading: Reading, named: bool, emphasis: str, separator: str) -> str:
    """A bar's label: its value, the fault class in words, and its contacts when the axis cannot
    hold them ("1–3: > 4000 Ω Open circuit")."""
    text = f"{reading.short_contacts}: {reading.value_text}" if named else reading.value_text
    return text if reading.passed else f"{text}{separator}{emphasis.format(reading.class_text)}"


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


def _slots(readings: tuple[Reading, ...]) -> list[tuple[float, Reading]]:
    """x position of each bar: a lead's bars side by side, a one-bar gap between leads that
    have several (none between the single bars of the lead-pair mode)."""
    groups = [list(group) for _lead, group in groupby(readings, key=lambda r: r.lead)]
    gap = 1 if any(len(group) > 1 for group in groups) else 0
    slots, x = [], 0.0
    for group in groups:
        for reading in group:
            slots.append((x, reading))
            x += 1
        x += gap
    return slots
