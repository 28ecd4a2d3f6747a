"""The pulse scope: per lead, the delivered pulse as an oscilloscope shows it, triggered on
the pulse onset, averaged or persistent, at the device's finest capture rate (≤ 2 µs), the
programmed pulse dashed over it, the electrode voltage under it with the compliance marked,
and read-outs flagged where the pulse differs from the program.

Acquisition is the service's (service.scope: captures on its own thread); this view reads
the newest frame on a display timer (REFRESH_HZ) and draws it only when it is new. It runs
while it is shown, so a hidden scope puts no load on the command channel.

objectNames (stable, for QA automation):
  pulseScopeView   this widget
  scopeLead        the lead to capture
  scopeMode        averaged, persistent or single pulse
  scopeRun         pause / run the acquisition
  scopeResetZoom   the time axis back to the whole pulse
  scopeRecharge    zoom on the passive recharge (small and long: invisible beside the cathodic phase)
  scopeStatus      what the scope is doing, or why it is not capturing
  scopePlots       the current and voltage plots
  scopeVerdict     one sentence: as programmed, or what differs
  scopeReadouts    the read-out table (ui/scope/readouts.py)
"""

from __future__ import annotations

from concurrent.futures import Future

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from drivers.types import CaptureCapabilities
from ui import theme
from ui.bridge import ServiceBridge
from ui.scope.programmed import programmed_pulse
from ui.scope.readouts import readout_table, show_analysis, verdict
from ui.widgets import named, set_style_sheet
from workstation.pulse import Quantity
from workstation.service import LinkState, ScopeFrame, ScopeSettings

REFRESH_HZ = 30  # the display timer; captures come at most service.scope's MAX_RATE_HZ
MODES = (("Averaged (8 pulses)", 8, False), ("Persistent (8 pulses)", 8, True), ("Single pulse", 1, False))
STOPPED = "STOP ALL: every output is off; the scope shows what the lead delivers now."
MESSAGE_PX = 40  # reserved height of the status and verdict lines: a message never pushes a control


class PulseScopeView(QWidget):
    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__()
        named(self, "pulseScopeView", "Pulse scope", "")
        self.bridge, self.service = bridge, bridge.service
        self.limits: CaptureCapabilities | None = None
        self.drawn = 0  # frames drawn (the benchmark counts them)
        self._seq = -1
        self._labels: dict[int, str] = {}
        self._persistent = False

        self.lead = named(QComboBox(), "scopeLead", "Lead", "The lead whose pulse is captured.")
        self.mode = named(
            QComboBox(),
            "scopeMode",
            "Display",
            "Averaged: the mean of the last pulses (less noise). Persistent: the last pulses drawn over "
            "each other (variation shows). Single: the newest pulse alone.",
        )
        self.mode.addItems([name for name, _n, _p in MODES])
        self.run = named(QPushButton("Pause"), "scopeRun", "Pause or run the scope", "Stop or resume capturing.")
        self.run.setCheckable(True)
        self.reset_zoom = named(
            QPushButton("Whole pulse"), "scopeResetZoom", "Whole pulse", "Show the whole pulse again after zooming."
        )
        self.recharge = named(
            QPushButton("Recharge"),
            "scopeRecharge",
            "Zoom on the recharge",
            "The passive recharge is a small current over milliseconds: show it at full height.",
        )
        for control in (self.lead, self.mode, self.run, self.reset_zoom, self.recharge):
            control.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.status = self._message("scopeStatus", "Scope status")
        self.verdict = self._message("scopeVerdict", "Pulse verdict")

        self.plots = named(pg.GraphicsLayoutWidget(), "scopePlots", "Captured pulse: current and voltage", "")
        self.plots.setBackground(theme.SCOPE_BACKGROUND)
        self.current_plot = self._plot(0, "Delivered current (µA)", theme.SCOPE_CURRENT, last=False)
        self.voltage_plot = self._plot(1, "Electrode voltage (V)", theme.SCOPE_VOLTAGE, last=True)
        self.voltage_plot.setXLink(self.current_plot)
        self.persistence = [
            self.current_plot.plot(pen=pg.mkPen(theme.SCOPE_PERSISTENCE, width=1)) for _ in range(MODES[1][1])
        ]
        legend = self.current_plot.addLegend(offset=(-10, 10), labelTextColor=theme.SCOPE_TEXT)
        self.current_curve = self.current_plot.plot(pen=pg.mkPen(theme.SCOPE_CURRENT, width=2), name="delivered")
        self.programmed_curve = self.current_plot.plot(
            pen=pg.mkPen(theme.SCOPE_PROGRAMMED, width=2, style=Qt.PenStyle.DashLine), name="programmed"
        )
        self.programmed_curve.setZValue(1)  # dashed over the delivered pulse: where they agree, both show
        legend.setZValue(2)
        self.voltage_curve = self.voltage_plot.plot(pen=pg.mkPen(theme.SCOPE_VOLTAGE, width=2))
        self.compliance_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(theme.SCOPE_CURSOR, width=1, style=Qt.PenStyle.DashLine),
            label="compliance",
            labelOpts={"color": theme.SCOPE_CURSOR, "position": 0.95},
        )
        self.voltage_plot.addItem(self.compliance_line)
        self.table = readout_table()

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Lead:"))
        controls.addWidget(self.lead)
        controls.addWidget(QLabel("Display:"))
        controls.addWidget(self.mode)
        controls.addWidget(self.run)
        controls.addWidget(self.reset_zoom)
        controls.addWidget(self.recharge)
        controls.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table)

        self.timer = QTimer(self)
        self.timer.setInterval(round(1000 / REFRESH_HZ))
        self.timer.timeout.connect(self.refresh)
        self.lead.currentIndexChanged.connect(lambda _i: self._restart())
        self.mode.currentIndexChanged.connect(lambda _i: self._restart())
        self.run.toggled.connect(self._paused)
        self.reset_zoom.clicked.connect(self._whole_pulse)
        self.recharge.clicked.connect(self._recharge_zoom)
        bridge.deviceChanged.connect(self._on_device)
        bridge.linkChanged.connect(self._on_link)
        bridge.stopped.connect(
            lambda: self._say("STOP ALL: every output is off; the scope shows what the lead delivers.")
        )
        self._say("Connect a pulse generator to see its pulses.")
        if self.service.state.capabilities is not None:  # connected before this view was made
            self._on_device(self.service.state)

    # -- what the main window tells it --------------------------------------------------------------
    def set_lead_count(self, count: int) -> None:
        self.lead.blockSignals(True)
        self.lead.clear()
        self.lead.addItems([self._labels.get(n, f"Lead {n}") for n in range(1, count + 1)])
        self.lead.blockSignals(False)
        self._restart()

    def set_lead_label(self, channel: int, text: str) -> None:
        self._labels[channel] = text
        if channel <= self.lead.count():
            self.lead.setItemText(channel - 1, text)

    # -- acquisition --------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._restart()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.service.scope.stop()
        self.timer.stop()

    def _on_device(self, _state) -> None:
        self.bridge.run(self.service.scope.limits(), self._limits_read)

    def _limits_read(self, future: Future) -> None:
        if future.exception() is not None:
            self._say(f"Could not read the capture limits: {future.exception()}")
            return
        self.limits = future.result()
        if self.limits is None:
            self._say("This pulse generator has no pulse capture.")
        self._restart()

    def _on_link(self, state: LinkState, _detail: str) -> None:
        if state != LinkState.CONNECTED:
            self.service.scope.stop()
            self.timer.stop()
            self._say(f"No signal: the pulse generator is {state.value}.", theme.WARNING_TEXT)
            self._grey(True)

    def _paused(self, paused: bool) -> None:
        self.run.setText("Run" if paused else "Pause")
        self._restart()

    def _restart(self) -> None:
        """Start (or restart, for another lead or mode) capturing when shown, running and able to."""
        scope = self.service.scope
        caps = self.service.state.capabilities
        lead = self.lead.currentIndex() + 1
        runnable = self.isVisible() and not self.run.isChecked() and self.limits is not None and caps is not None
        if not runnable or lead < 1 or self.service.link_state != LinkState.CONNECTED:
            scope.stop()
            self.timer.stop()
            if self.run.isChecked():
                self._say("Paused: the last capture stays on screen.")
            return
        _name, average, self._persistent = MODES[self.mode.currentIndex()]
        assert self.limits is not None and caps is not None
        settings = ScopeSettings.for_(lead, self.limits, caps.pulse_width_max_us, average)
        scope.start(settings)
        self._seq = -1
        self._grey(False)
        self._say(
            f"Capturing {self.lead.currentText()}: triggered on each pulse onset, "
            f"{1e6 / settings.rate_hz:.1f} µs per sample."
        )
        self.timer.start()

    # -- display ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """On the display timer: draw the newest frame if it is new; say why none comes."""
        scope = self.service.scope
        frame = scope.frame
        if scope.problem:
            self._say(scope.problem, theme.WARNING_TEXT)
        if frame is None or frame.seq == self._seq:
            return
        first = self._seq < 0
        self._seq = frame.seq
        self._draw(frame)
        if first:
            self._whole_pulse()
        self.drawn += 1

    def _draw(self, frame: ScopeFrame) -> None:
        t = frame.times_us
        if self._persistent:
            for curve, trace in zip(self.persistence, frame.traces):
                curve.setData(t, trace)
            for curve in self.persistence[len(frame.traces) :]:
                curve.setData([], [])
            self.current_curve.setData(t, frame.traces[-1])
        else:
            for curve in self.persistence:
                curve.setData([], [])
            self.current_curve.setData(t, frame.current_ua)
        self.voltage_curve.setData(t, frame.voltage_mv / 1000)
        analysis = frame.analysis
        tau = analysis.recharge_tau_us or float("nan")
        gap = self.limits.interphase_us if self.limits is not None else 0
        self.programmed_curve.setData(t, programmed_pulse(frame.capture.config, gap, tau, t))
        show_analysis(self.table, analysis)
        text, tone = verdict(analysis)
        show_sentence(self.verdict, text, tone)

    def _whole_pulse(self) -> None:
        """The time axis over the programmed pulse, its interphase and the start of its recharge."""
        frame = self.service.scope.frame
        if frame is None:
            return
        width = frame.capture.config.pulse_width_us
        gap = self.limits.interphase_us if self.limits is not None else 0
        self.current_plot.setXRange(-0.25 * width - 10, 2.5 * width + gap + 40, padding=0)
        self.current_plot.enableAutoRange(axis="y")
        caps = self.service.state.capabilities
        if caps is not None:
            self.compliance_line.setValue(-caps.compliance_v)
            self.voltage_plot.setYRange(-caps.compliance_v * 1.1, 1.0)

    def _recharge_zoom(self) -> None:
        """The whole window in time, the current axis scaled to the recharge (the cathodic
        phase runs off the bottom): as an oscilloscope's vertical zoom."""
        frame = self.service.scope.frame
        if frame is None:
            return
        analysis = frame.analysis
        peak = next((r.measured for r in analysis.readings if r.quantity is Quantity.RECHARGE and r.measured), None)
        if peak is None:
            return
        self.current_plot.setXRange(float(frame.times_us[0]), float(frame.times_us[-1]), padding=0)
        self.current_plot.setYRange(-0.5 * peak, 1.3 * peak, padding=0)

    def _grey(self, grey: bool) -> None:
        self.plots.setEnabled(not grey)
        self.plots.setBackground(theme.SURFACE_PALE if grey else theme.SCOPE_BACKGROUND)

    def _say(self, text: str, tone: theme.Tone | None = None) -> None:
        show_sentence(self.status, text, tone)

    def _message(self, object_name: str, accessible: str) -> QLabel:
        label = named(QLabel(), object_name, accessible, "")
        label.setWordWrap(True)
        label.setFixedHeight(MESSAGE_PX)
        return label

    def _plot(self, row: int, title: str, colour: str, last: bool) -> pg.PlotItem:
        plot = self.plots.addPlot(row=row, col=0)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=True, y=False)
        plot.hideButtons()
        plot.setClipToView(True)
        plot.setTitle(title, color=colour)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.SCOPE_GRID))
            axis.setTextPen(pg.mkPen(theme.SCOPE_TEXT))
            axis.setStyle(tickAlpha=255, maxTickLevel=0)
            axis.setGrid(255)
            axis.setZValue(-1)
            axis.enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(56)
        if last:
            plot.getAxis("bottom").setLabel("time from the pulse onset (µs)", color=theme.SCOPE_TEXT)
        return plot


def show_sentence(label: QLabel, text: str, tone: theme.Tone | None) -> None:
    """A sentence in a reserved line (always there, so nothing below it moves)."""
    label.setText(text)
    set_style_sheet(label, theme.tone_style(tone))
