"""Live waveform view: delivered current and electrode voltage of every lead.

Data path (pyqtgraph examples style): a display-rate QTimer drains the
telemetry source into one preallocated SampleRing holding the longest
window, and redraws only when new samples arrived. Each curve gets the
min/max of the samples behind every pixel column (decimate.py), so a frame
strokes about two points per pixel whatever the stream rate. Pausing keeps
ingesting (nothing is lost) but shows a frozen copy of the ring.

One row per lead of the connected device (set_lead_count, from its
capabilities); before a device is connected the view says so. The plot grid
is plots.py, the programmed overlay programmed.py, the y ranges ranges.py.
"""

from __future__ import annotations

import copy
import time
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from drivers.types import LeadConfig, TelemetryBlock
from ui import dialogs, theme
from ui.waveforms.columns import LiveColumns, window_stats
from ui.waveforms.decimate import column_edges, column_times, interleave
from ui.waveforms.export import write_csv, write_png
from ui.waveforms.plots import LeadRow, lay_out, plot_area, size_rows
from ui.waveforms.programmed import programmed_trace, pulse_onset_s
from ui.waveforms.ring import SampleRing
from ui.widgets import named

WINDOWS_S: tuple[tuple[str, float], ...] = (
    ("50 ms", 0.05),
    ("200 ms", 0.2),
    ("1 s", 1.0),
    ("2 s", 2.0),
    ("5 s", 5.0),
    ("10 s", 10.0),
)
DEFAULT_WINDOW_S = 0.2  # pulses of 40-720 µs stay visible
RING_SECONDS = 10  # the longest window
FRAME_S = 1 / 60  # a display frame: samples wait at most one (bench/latency_to_screen.py)
STATUS_EVERY = 6  # frames: the footer's counts change ten times a second


class TelemetrySource(Protocol):
    def drain(self) -> list[TelemetryBlock]: ...


class WaveformView(QWidget):
    """Scrolling current and voltage plots, one row per lead, fed by a telemetry source."""

    def __init__(self, lead_count: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "waveformView", "Live waveforms", "")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._lead_count = lead_count
        self._source: TelemetrySource | None = None
        self._ring: SampleRing | None = None
        self._shown: SampleRing | None = None  # the ring on screen: live, or a frozen copy
        self._received = 0
        self._live = LiveColumns()  # the live window's columns, reduced as samples arrive
        self._window_s = DEFAULT_WINDOW_S
        self._hovered: tuple[int, float] | None = None  # (lead, time s)
        self._no_signal_since: datetime | None = None  # the link is down: the traces are old

        self._build_controls()
        self.plots = plot_area()
        self._rows: list[LeadRow] = lay_out(self.plots, lead_count, self._window_s)
        self._watch_zoom()
        # every move and the leave, unlike the scene's rate-limited sigMouseMoved
        self.plots.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._toolbar)
        layout.addWidget(self.plots, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.cursor_label, 1)
        footer.addWidget(self.status_label)
        layout.addLayout(footer)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5% late
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._frame)
        self._next_frame = 0.0  # time.monotonic() of the next frame
        self._frames = 0
        self._status_stale = False  # samples arrived since the footer was written
        self.clear()

    # ----- construction -------------------------------------------------
    def _build_controls(self) -> None:
        self.window_combo = named(
            QComboBox(), "waveformWindow", "Time window", "Length of time shown, most recent sample at the right"
        )
        for text, seconds in WINDOWS_S:
            self.window_combo.addItem(text, seconds)
        self.window_combo.setCurrentIndex([s for _, s in WINDOWS_S].index(DEFAULT_WINDOW_S))
        self.window_combo.currentIndexChanged.connect(lambda _: self.set_window(self.window_combo.currentData()))
        self.pause_button = named(
            QPushButton("Pause"), "waveformPause", "Pause waveforms", "Freeze the display (Space); data keeps arriving"
        )
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause)
        QShortcut(
            QKeySequence(Qt.Key.Key_Space),
            self,
            self.pause_button.toggle,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.reset_button = named(
            QPushButton("Reset zoom"),
            "waveformResetZoom",
            "Reset zoom",
            "Show the whole time window again (the mouse wheel zooms the time axis, a drag pans it)",
        )
        self.reset_button.clicked.connect(self.reset_zoom)
        self.png_button = named(
            QPushButton("Export PNG…"),
            "waveformExportPng",
            "Export waveforms as image",
            "Save the plots as a PNG image",
        )
        self.png_button.clicked.connect(lambda: self._export_via_dialog("PNG image (*.png)", self.export_png))
        self.csv_button = named(
            QPushButton("Export CSV…"),
            "waveformExportCsv",
            "Export waveform samples",
            "Save every sample of the visible window as CSV",
        )
        self.csv_button.clicked.connect(lambda: self._export_via_dialog("CSV table (*.csv)", self.export_csv))
        self.cursor_label = named(
            QLabel(), "waveformCursor", "Cursor readout", "Time, current and voltage under the mouse"
        )
        self.status_label = named(
            QLabel(), "waveformStatus", "Telemetry status", "Stream rate, samples received, dropped and lost data"
        )
        window_label = QLabel("Window")
        window_label.setBuddy(self.window_combo)
        self._toolbar = QHBoxLayout()
        for widget in (
            window_label,
            self.window_combo,
            self.pause_button,
            self.reset_button,
            self.png_button,
            self.csv_button,
        ):
            self._toolbar.addWidget(widget)
        self._toolbar.addStretch(1)

    # ----- public API -----------------------------------------------------
    @property
    def lead_count(self) -> int:
        return self._lead_count

    def set_lead_count(self, lead_count: int) -> None:
        """Show `lead_count` rows (the connected device's leads); a new count forgets the samples,
        and the labels and programmed overlays of the leads that remain stay."""
        if lead_count == self._lead_count:
            return
        kept = {row.lead: row for row in self._rows if row.lead <= lead_count}
        self._lead_count = lead_count
        self._rows = lay_out(self.plots, lead_count, self._window_s)
        self._watch_zoom()
        for row in self._rows:
            if row.lead in kept:
                self.set_lead_label(row.lead, kept[row.lead].label)
                row.programmed = kept[row.lead].programmed
        size_rows(self.plots, self._rows)
        self._ring = None  # its rows are the old leads; the next block makes a new one
        self._hovered = None
        self.clear()

    def attach(self, source: TelemetrySource | None) -> None:
        """Show what `source.drain()` delivers (the TelemetryReceiver); None detaches."""
        self._source = source
        if source is None:
            self._timer.stop()
        else:
            self._next_frame = time.monotonic()
            self._timer.start(0)

    def set_programmed(self, lead: int, config: LeadConfig | None) -> None:
        """Overlay the ideal programmed pulse of `lead` on its current plot (dashed); None removes it.
        A lead switched off shrinks to a thin row while another stimulates (plots.size_rows)."""
        self._row(lead).programmed = config
        size_rows(self.plots, self._rows)
        self._redraw()

    def set_lead_label(self, lead: int, text: str) -> None:
        """Title of a lead's row, e.g. "L4 left · lead 1"."""
        row = self._row(lead)
        row.label = text
        self._show_title(row)

    def set_signal(self, live: bool, now: datetime | None = None) -> None:
        """The link is up (live) or not: without it the last traces grey out under "no signal since
        hh:mm:ss" (from `now`, the moment it was lost) and the footer says so, never a frozen live look."""
        if live == (self._no_signal_since is None):
            return
        self._no_signal_since = None if live else (now or datetime.now()).astimezone()
        current, voltage = (theme.SCOPE_CURRENT, theme.SCOPE_VOLTAGE) if live else (theme.SCOPE_NO_SIGNAL,) * 2
        for row in self._rows:
            row.current_curve.setPen(pg.mkPen(current, width=1))
            row.voltage_curve.setPen(pg.mkPen(voltage, width=1))
            self._show_title(row)
        self._update_status()

    @property
    def no_signal_since(self) -> datetime | None:
        return self._no_signal_since

    def _show_title(self, row: LeadRow) -> None:
        since = self._no_signal_since
        row.title.setText(row.label if since is None else f"{row.label} \u00b7 no signal since {since:%H:%M:%S}")

    def set_window(self, seconds: float) -> None:
        """Show the newest `seconds` (one of WINDOWS_S)."""
        index = self.window_combo.findData(seconds)
        if index < 0:
            raise ValueError(f"window {seconds} s is not one of {[s for _, s in WINDOWS_S]}")
        self._window_s = seconds
        self.window_combo.setCurrentIndex(index)
        self.reset_zoom()

    def reset_zoom(self) -> None:
        """Show the whole window again, newest sample at the right."""
        if self._rows:
            self._rows[0].current.setXRange(-self._window_s, 0, padding=0)
        self._redraw()

    def shown_span_s(self) -> tuple[float, float]:
        """(oldest, newest) time shown, seconds before the newest sample (zoomed or the whole window)."""
        if not self._rows:
            return -self._window_s, 0.0
        x0, x1 = self._rows[0].current.getViewBox().viewRange()[0]
        return max(x0, -self._window_s), min(x1, 0.0)

    @property
    def window_s(self) -> float:
        return self._window_s

    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)

    def clear(self) -> None:
        """Forget every sample (programmed overlays and lead labels stay)."""
        if self._ring is not None:
            self._ring.clear()
        self._shown = copy.deepcopy(self._ring) if self.paused else self._ring
        self._received = 0
        for row in self._rows:
            row.current_range.reset()
            row.voltage_range.reset()
        self._redraw()
        self._update_status()

    def _frame(self) -> None:
        """A display frame; then wait for the next 60th of a second (whole-millisecond intervals
        alone give 62.5 or 58.8 Hz). The footer is rewritten on every STATUS_EVERY-th frame only:
        ten times a second is enough to read, and rewriting it every frame costs about a twentieth
        of the view's time (bench/latency_to_screen.py)."""
        self._frames += 1
        self._tick(status=self._frames % STATUS_EVERY == 0)
        now = time.monotonic()
        self._next_frame += FRAME_S
        if self._next_frame < now:  # a frame was missed: start afresh rather than burst to catch up
            self._next_frame = now + FRAME_S
        self._timer.start(round((self._next_frame - now) * 1000))

    def tick(self) -> None:
        """Drain the source into the ring, redraw if anything arrived, and rewrite the footer."""
        self._tick(status=True)

    def _tick(self, status: bool) -> None:
        blocks = self._source.drain() if self._source is not None else []
        for block in blocks:
            self._ingest(block)
        if blocks:
            if not self.paused and self.isVisible():
                self._redraw()
            self._status_stale = True
        if status and self._status_stale:
            self._update_status()

    def visible_samples(self) -> tuple[int, int, np.ndarray, np.ndarray]:
        """(first sample, rate Hz, current µA, voltage mV) of the shown window; arrays are leads × n."""
        ring = self._shown
        if ring is None or ring.filled == 0:
            empty = np.zeros((self.lead_count, 0), dtype=np.int16)
            return 0, 0, empty, empty
        n = self._window_samples(ring)
        current, voltage = ring.latest(n)
        return ring.total - n, ring.rate_hz, current, voltage

    def export_csv(self, path: str | Path) -> int:
        """Write every sample of the visible window to `path`; returns the row count."""
        first, rate, current, voltage = self.visible_samples()
        return write_csv(path, first, max(rate, 1), current, voltage)

    def export_png(self, path: str | Path) -> None:
        write_png(self.plots, path)

    # ----- data path ------------------------------------------------------
    def _row(self, lead: int) -> LeadRow:
        if not 1 <= lead <= self.lead_count:
            raise ValueError(f"lead {lead} is not in 1..{self.lead_count}")
        return self._rows[lead - 1]

    def _ingest(self, block: TelemetryBlock) -> None:
        if max(block.leads, default=0) > self.lead_count:
            return  # no row to show it in (the device's lead count is not known yet)
        if self._ring is None or self._ring.rate_hz not in (0, block.rate_hz):
            self._ring = SampleRing(self.lead_count, RING_SECONDS * block.rate_hz)
            if not self.paused:
                self._shown = self._ring
        self._ring.write(block)
        self._received += block.n_samples

    def _window_samples(self, ring: SampleRing) -> int:
        return min(ring.filled, max(1, round(self._window_s * ring.rate_hz)))

    def _columns(self) -> int:
        if not self._rows:
            return 1
        width = self._rows[0].current.getViewBox().width() * self.devicePixelRatioF()
        return max(1, int(width))

    def _redraw(self) -> None:
        ring = self._shown
        if ring is None or ring.filled == 0:
            for row in self._rows:
                row.current_curve.setData([], [])
                row.voltage_curve.setData([], [])
                self._draw_programmed(row, None)
            return
        oldest_s, newest_shown_s = self.shown_span_s()  # zoomed in: the columns cover only the span shown
        newer = min(ring.filled - 1, max(0, int(-newest_shown_s * ring.rate_hz)))
        n = max(1, min(self._window_samples(ring), int(np.ceil(-oldest_s * ring.rate_hz)) + 1) - newer)
        if ring is self._ring and newer == 0 and n == self._window_samples(ring):  # live, the whole window
            times, stats = self._live.reduce(ring, n, self._columns())
        else:
            edges = column_edges(n, self._columns())
            times = column_times(edges, n, ring.rate_hz) - newer / ring.rate_hz
            stats = window_stats(ring, (ring.head - newer - n) % ring.capacity, n, edges)
        lo_i, hi_i, lo_v, hi_v = stats
        x = np.repeat(times, 2)
        current, voltage = interleave(lo_i, hi_i), interleave(lo_v, hi_v) / 1000.0
        newest_s = (ring.total - 1) / ring.rate_hz
        for i, row in enumerate(self._rows):
            row.current_curve.setData(x, current[i])
            row.voltage_curve.setData(x, voltage[i])
            onset = None if row.programmed is None else pulse_onset_s(row.programmed, lo_i[i], times, newest_s)
            self._draw_programmed(row, onset)
            programmed = row.programmed.amplitude_ua if row.programmed else 0
            row.current_range.fit(max(-int(lo_i[i].min()), int(hi_i[i].max()), programmed))
            row.voltage_range.fit(max(-int(lo_v[i].min()), int(hi_v[i].max())) / 1000.0)
        self._update_cursor_readout()

    def _draw_programmed(self, row: LeadRow, onset_s: float | None) -> None:
        if row.programmed is None or onset_s is None:
            row.programmed_curve.setData([], [])
            return
        t, current = programmed_trace(row.programmed, -self._window_s, 0.0, onset_s)
        row.programmed_curve.setData(t, current)

    # ----- controls -------------------------------------------------------
    def _watch_zoom(self) -> None:
        """A zoom or pan redraws at once (live, the next frame would; paused, nothing else does)."""
        if self._rows:
            self._rows[0].current.sigXRangeChanged.connect(lambda *_: self._redraw())

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setAccessibleName("Resume waveforms" if paused else "Pause waveforms")
        self._shown = copy.deepcopy(self._ring) if paused else self._ring
        self._redraw()
        self._update_status()

    def _update_status(self) -> None:
        self._status_stale = False
        ring = self._ring
        since = self._no_signal_since
        parts = [
            f"Link lost: no signal since {since:%H:%M:%S}"
            if since is not None
            else f"{ring.rate_hz / 1000:g} kS/s"
            if ring is not None and ring.rate_hz
            else "no stream",
            f"{self._received:,} samples",
        ]
        for attribute, text in (
            ("dropped_blocks", "dropped blocks"),
            ("lost_samples", "lost samples"),
            ("bad_frames", "bad frames"),
        ):
            value = getattr(self._source, attribute, None)
            if value is not None:
                parts.append(f"{value:,} {text}")
        if self.paused:
            parts.append("paused")
        self.status_label.setText(" · ".join(parts))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.plots.viewport():
            if event.type() == QEvent.Type.MouseMove:
                self._hover(self.plots.mapToScene(event.position().toPoint()))
            elif event.type() == QEvent.Type.Leave:
                self._hover(None)
        return super().eventFilter(watched, event)

    def _hover(self, scene_pos: QPointF | None) -> None:
        self._hovered = None
        for row in self._rows:
            for plot in row.plots():
                box = plot.getViewBox()
                if scene_pos is not None and box.sceneBoundingRect().contains(scene_pos):
                    self._hovered = (row.lead, box.mapSceneToView(scene_pos).x())
        for row in self._rows:
            for line in row.cursors:
                line.setVisible(self._hovered is not None)
                if self._hovered is not None:
                    line.setPos(self._hovered[1])
        self._update_cursor_readout()

    def _update_cursor_readout(self) -> None:
        if self._hovered is None:
            self.cursor_label.setText("Point at a plot to read values")
            return
        lead, t = self._hovered
        text = f"{self._row(lead).label} · t = {t * 1000:.2f} ms"
        ring = self._shown
        back = round(-t * ring.rate_hz) if ring is not None and ring.rate_hz else -1
        if ring is None or not 0 <= back < self._window_samples(ring):
            self.cursor_label.setText(f"{text} · no data")
            return
        index = (ring.head - 1 - back) % ring.capacity
        current = int(ring.current[lead - 1, index])
        voltage = int(ring.voltage[lead - 1, index]) / 1000
        self.cursor_label.setText(f"{text} · {current} µA · {voltage:.3f} V")

    def _export_via_dialog(self, file_filter: str, export) -> None:
        path = dialogs.save_file_name(self, "waveformExportFile", "Export waveforms", "", file_filter)
        if not path:
            return
        try:
            export(path)
        except OSError as exc:
            box = dialogs.message_box(self, "waveformExportFailed", QMessageBox.Icon.Warning, "Export failed", str(exc))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.addButton(QMessageBox.StandardButton.Ok)
            box.open()
