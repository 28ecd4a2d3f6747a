"""Impedance view: measure every lead at the start of a visit, see opens and
shorts at a glance, and let a field engineer dig into contact pairs.

objectNames (stable, for QA automation):
  impedanceView         this widget
  impedanceMode         mode chooser (each lead / each contact to case / every contact pair)
  impedanceMeasure      start measuring in the chosen mode
  impedanceCancel       stop after the lead being measured
  impedanceProgress     leads measured so far
  impedanceStatus       what the last measurement found, or why it failed
  impedanceStaleNote    shown once the link is lost: "last measured hh:mm:ss"
  impedanceExportCsv    save the measurements as CSV
  impedanceExportStatus where the last export went (beside the button: the fault summary stays)
  impedanceBars         bars on a log-ohm scale (ui.impedance.bars)
  impedanceTable        pass/fail table (ui.impedance.table)
  impedanceMatrixLead   lead of the contact-pair matrix (ui.impedance.matrix)
  impedanceMatrix       contact-pair matrix
  impedanceTrend        the selected pair across the patient's sessions (ui.impedance.trend)

Threads: the measurement runs on the service's device I/O thread. Its
progress callback is called there and only emits a signal, which Qt queues
to the GUI thread; the result arrives through bridge.impedanceMeasured
(also when another panel measured) and errors through bridge.run. Cancel
sets a threading.Event the service checks between leads. The trend's
records query runs on the service's records thread (ui.impedance.trend).

The view keeps the last run of each mode. When the link is lost it keeps
them, greyed, and says when they were measured, until a new run replaces them.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from drivers.types import ImpedanceMode, ImpedanceResult
from ui import dialogs
from ui.bridge import ServiceBridge
from ui.impedance.bars import ImpedanceBars
from ui.impedance.matrix import ContactMatrix
from ui.impedance.readings import MODE_LABELS, MeasuredSet, Reading, write_csv
from ui.impedance.table import MeasurementTable
from ui.impedance.trend import ImpedanceTrend
from ui.lead_names import LeadNames
from ui.theme import DANGER_TEXT, WARNING_TEXT, tone_style
from ui.widgets import named
from workstation.exports import ExportIdentity
from workstation.service import LinkState, ServiceError

ERROR_STYLE = tone_style(DANGER_TEXT)
WARNING_STYLE = tone_style(WARNING_TEXT) + " font-weight: bold;"
NAMED_FAULTS = 3  # faults named in the status line; the table lists them all


class ImpedanceView(QWidget):
    _progressed = Signal(int, int)  # done, total: emitted on the device I/O thread, handled on the GUI thread

    def __init__(self, bridge: ServiceBridge, parent: QWidget | None = None, *, names: LeadNames | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("impedanceView")
        self.names = names or LeadNames()
        self._bridge = bridge
        self._service = bridge.service
        self._runs: dict[ImpedanceMode, MeasuredSet] = {}
        self._cancel: threading.Event | None = None
        self._patient: int | None = None
        self._selected: Reading | None = None
        self._stale = False
        self._build()
        self._progressed.connect(self._on_progress)
        bridge.impedanceMeasured.connect(self._on_measured)
        bridge.linkChanged.connect(self._on_link)
        bridge.deviceChanged.connect(lambda _state: self._fit_to_device())
        self._fit_to_device()
        self._update_controls()
        self._say("Not measured yet: choose a mode and press Measure.")

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.mode = named(
            QComboBox(),
            "impedanceMode",
            "Measurement mode",
            "Each lead on its configured + and − pair, each contact "
            "against the generator case, or every pair of contacts (for field engineers)",
        )
        for mode, label in MODE_LABELS.items():
            self.mode.addItem(label, mode)
        mode_label = QLabel("M&ode")
        mode_label.setBuddy(self.mode)
        self.measure_button = named(
            QPushButton("&Measure"),
            "impedanceMeasure",
            "Measure impedance",
            "Measure every lead in the chosen mode (the results are recorded)",
        )
        self.cancel_button = named(
            QPushButton("&Cancel"),
            "impedanceCancel",
            "Cancel the measurement",
            "Stop after the lead being measured; what was measured is kept",
        )
        self.export_button = named(
            QPushButton("E&xport CSV…"),
            "impedanceExportCsv",
            "Export impedance as CSV",
            "Save every measurement shown here (all modes) as a CSV file",
        )
        self.export_status = named(
            QLabel(), "impedanceExportStatus", "Export status", "Where the last export was saved, or why it failed"
        )
        self.export_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = named(QProgressBar(), "impedanceProgress", "Measurement progress", "Leads measured so far")
        self.progress.setFormat("Not measured")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = named(QLabel(), "impedanceStatus", "Impedance status", "What the last measurement found")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stale_note = named(
            QLabel(),
            "impedanceStaleNote",
            "Results are from before the link was lost",
            "The results shown were measured before the link to the pulse generator was lost",
        )
        self.stale_note.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
        self.stale_note.setVisible(False)

        self.bars = ImpedanceBars()
        self.table = MeasurementTable()
        self.matrix = ContactMatrix()
        self.trend = ImpedanceTrend(self._service.impedance.history, self._bridge.run)
        for part in (self.bars, self.table, self.matrix):
            part.names = self.names

        controls = QHBoxLayout()
        for widget in (mode_label, self.mode, self.measure_button, self.cancel_button):
            controls.addWidget(widget)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.export_button)
        controls.addWidget(self.export_status)
        # bars over (matrix | trend) on the left, the tall pass/fail table on the right
        lower = _splitter(Qt.Orientation.Horizontal, (self.matrix, 0), (self.trend, 1))
        left = _splitter(Qt.Orientation.Vertical, (self.bars, 6), (lower, 5))
        body = _splitter(Qt.Orientation.Horizontal, (left, 1), (self.table, 0))
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.stale_note)
        layout.addWidget(self.status)
        layout.addWidget(body, 1)

        self.measure_button.clicked.connect(self.measure)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self._export_clicked)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        for source in (self.bars, self.table, self.matrix):
            source.readingSelected.connect(self._select)

    # -- public API ---------------------------------------------------------------------------
    def set_patient(self, patient_id: int | None) -> None:
        """Whose records the trend reads."""
        self._patient = patient_id
        self.trend.show_pair(patient_id, self._selected)

    def names_changed(self) -> None:
        """A lead was placed: the readings name it by where it sits."""
        self.matrix.rename_leads()
        self._show()

    def current_mode(self) -> ImpedanceMode:
        return self.mode.currentData()

    def runs(self) -> dict[ImpedanceMode, MeasuredSet]:
        """The last run of each mode measured while this view was open."""
        return dict(self._runs)

    def measure(self) -> None:
        """Start measuring every lead in the chosen mode, off the GUI thread."""
        mode = self.current_mode()
        if mode is ImpedanceMode.LEAD_PAIR and not self._paired_leads():
            self._say(
                "No lead has a + and a − contact configured, so there is no pair to measure. "
                "Configure the lead's contacts, or measure each contact to case.",
                ERROR_STYLE,
            )
            return
        cancel = threading.Event()
        try:
            future = self._service.impedance.measure(mode, None, self._progress_from_io, cancel)
        except ServiceError as exc:
            self._say(str(exc), ERROR_STYLE)
            return
        self._cancel = cancel
        self.progress.setValue(0)
        self._update_controls()
        self._say(f"Measuring: {MODE_LABELS[mode].lower()}…")
        self._bridge.run(future, lambda done: self._finished(done, mode, cancel))

    def cancel(self) -> None:
        """Ask the service to stop after the lead it is measuring."""
        if self._cancel is not None:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling after the lead being measured…")

    def export_csv(self, path: str | Path) -> int:
        """Write every run shown here to `path` (header, one row per measurement); returns the rows."""
        identity = ExportIdentity.of(self._service.state.identity)
        return write_csv(path, (self._runs[mode] for mode in MODE_LABELS if mode in self._runs), identity)

    # -- measuring -------------------------------------------------------------------------------
    def _progress_from_io(self, done: int, total: int) -> None:
        """Called on the device I/O thread: only hand over to the GUI thread."""
        try:
            self._progressed.emit(done, total)
        except RuntimeError:
            pass  # the view was closed while measuring

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setFormat(f"{done} of {total} lead{_plural(range(total))} measured")
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_measured(self, result: ImpedanceResult) -> None:
        run = MeasuredSet.of(
            result, self._service.impedance.thresholds(), datetime.now().astimezone(), self._service.session_id
        )
        self._runs[result.mode] = run
        self._count_measured(run)
        self._set_stale(False)
        self.trend.set_thresholds(run.thresholds)
        self.mode.setCurrentIndex(self.mode.findData(result.mode))  # a run from another panel shows too
        self._show()
        self._report(run)
        if self._selected is not None:
            self.trend.refresh()  # the new reading is already in the records

    def _count_measured(self, run: MeasuredSet) -> None:
        """The bar's last word counts the leads that have readings: a lead with no pair to measure
        was gone through but not measured (it said "4 of 4 leads measured" with 3)."""
        total = max(self.progress.maximum(), 1)
        measured = len({reading.lead for reading in run.readings})
        self.progress.setValue(min(measured, total))
        self.progress.setFormat(f"{measured} of {total} lead{_plural(range(total))} measured")

    def _finished(self, future: Future, mode: ImpedanceMode, cancel: threading.Event) -> None:
        self._cancel = None
        self._update_controls()
        error = future.exception()
        if error is not None:
            self._say(f"The measurement failed: {error}", ERROR_STYLE)
            return
        run = self._runs.get(mode)
        wanted = set(self._paired_leads()) if mode is ImpedanceMode.LEAD_PAIR else set(self._all_leads())
        missing = sorted(wanted - {r.lead for r in run.readings}) if run else sorted(wanted)
        if cancel.is_set() and missing:
            self.progress.setFormat("Cancelled")
            self._say(
                f"Cancelled; not measured: {', '.join(self.names.name(n) for n in missing)}. {self.status.text()}",
                WARNING_STYLE,
            )

    def _report(self, run: MeasuredSet) -> None:
        failures = run.failures
        parts = [f"Measured {run.time_text}: {len(run.readings)} reading{_plural(run.readings)},"]
        if failures:
            faults = [
                f"{self.names.name(r.lead)} {r.contacts} {r.class_text.lower()} ({r.value_text})"
                for r in failures[:NAMED_FAULTS]
            ]
            more = f" and {len(failures) - NAMED_FAULTS} more (see the table)" if len(failures) > NAMED_FAULTS else ""
            parts.append("; ".join(faults) + more + ". Resolve these before programming.")
        else:
            parts.append("all within the normal range.")
        if run.mode is ImpedanceMode.LEAD_PAIR:
            unpaired = sorted(set(self._all_leads()) - set(self._paired_leads()))
            if unpaired:
                names = ", ".join(self.names.name(n) for n in unpaired)
                parts.append(f"Not measured (no + and − pair configured): {names}.")
        if run.session_id is None:
            parts.append("Not recorded: no session is active.")
        self._say(" ".join(parts), WARNING_STYLE if failures or run.session_id is None else "")

    # -- showing -----------------------------------------------------------------------------------
    def _show(self) -> None:
        """Bars and table show the chosen mode's last run; the matrix the last every-pair run."""
        run = self._runs.get(self.current_mode())
        self.bars.show_run(run, self._stale)
        self.table.show_run(run, self._stale)
        self.matrix.show_run(self._runs.get(ImpedanceMode.CONTACT_PAIRS), self._stale)
        pair = self._selected.pair if self._selected else None
        self.bars.select(pair)
        self.table.select_pair(pair)
        self._note_staleness()

    def _mode_changed(self) -> None:
        self._show()
        run = self._runs.get(self.current_mode())
        if self._cancel is not None:
            return  # the measuring message stays
        if run is None:
            self._say("Not measured in this mode yet: press Measure.")
        else:
            self._report(run)

    def _select(self, reading: Reading) -> None:
        self._selected = reading
        self.bars.select(reading.pair)
        self.table.select_pair(reading.pair)
        self.trend.show_pair(self._patient, reading)

    def _on_link(self, state: LinkState, _detail: str) -> None:
        if state is not LinkState.CONNECTED and self._runs:
            self._set_stale(True)  # stays until a new run: the device may have changed meanwhile
        self._note_staleness()
        self._update_controls()

    def _set_stale(self, stale: bool) -> None:
        if stale != self._stale:
            self._stale = stale
            self._show()

    def _note_staleness(self) -> None:
        self.stale_note.setVisible(self._stale)
        if self._stale:
            run = self._runs.get(self.current_mode()) or max(self._runs.values(), key=lambda r: r.measured_at)
            if self._service.link_state is LinkState.CONNECTED:
                self.stale_note.setText(
                    f"Link back: the greyed results were measured at {run.time_text}, before the link was lost. "
                    "Measure again to refresh them."
                )
            else:
                self.stale_note.setText(
                    f"Link {self._service.link_state.value}: results greyed, last measured "
                    f"{run.time_text}. Measure again once connected."
                )

    def _update_controls(self) -> None:
        measuring = self._cancel is not None
        connected = self._service.link_state is LinkState.CONNECTED
        self.measure_button.setEnabled(connected and not measuring)
        self.cancel_button.setEnabled(measuring and not self._cancel.is_set())
        self.mode.setEnabled(not measuring)

    def _fit_to_device(self) -> None:
        caps = self._service.state.capabilities
        if caps is not None:
            self.matrix.set_shape(caps.lead_count, caps.contacts_per_lead)
            thresholds = self._service.impedance.thresholds(caps)
            self.bars.set_thresholds(thresholds)
            self.trend.set_thresholds(thresholds)

    def _paired_leads(self) -> list[int]:
        return sorted(n for n, config in self._service.state.leads.items() if config.anodes and config.cathodes)

    def _all_leads(self) -> list[int]:
        caps = self._service.state.capabilities
        return list(range(1, caps.lead_count + 1)) if caps else []

    def _say(self, text: str, style: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)

    def _export_clicked(self) -> None:
        if not self._runs:
            self._export_said("Nothing to export yet: measure first.", ERROR_STYLE)
            return
        path = dialogs.save_file_name(
            self,
            "impedanceExportFile",
            "Export impedance as CSV",
            f"impedance-{date.today().isoformat()}.csv",
            "CSV (*.csv)",
        )
        if not path:
            return
        try:
            rows = self.export_csv(path)
        except OSError as exc:
            self._export_said(f"Could not save {path}: {exc.strerror or exc}", ERROR_STYLE)
            return
        self._export_said(f"Saved {rows} measurement{'s' if rows != 1 else ''} to {Path(path).name}.")
        self.export_status.setToolTip(str(path))

    def _export_said(self, text: str, style: str = "") -> None:
        """The export's own line: the fault summary in impedanceStatus is never replaced by it."""
        self.export_status.setText(text)
        self.export_status.setStyleSheet(style)


def _splitter(orientation: Qt.Orientation, *parts: tuple[QWidget, int]) -> QSplitter:
    splitter = QSplitter(orientation)
    for index, (widget, stretch) in enumerate(parts):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch)
    splitter.setChildrenCollapsible(False)
    return splitter


def _plural(items) -> str:
    return "" if len(items) == 1 else "s"
