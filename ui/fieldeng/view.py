"""The field-engineer workspace: one tab, usable without a patient and without a session,
that answers a field engineer's three questions. Is the lead broken, and where? Is the
generator healthy? What happened on the wire?

objectNames (stable, for QA automation):
  fieldEngineerView      this widget
  fieldTabs              its pages: Device, Lead diagnosis, Device log, Self-test, USB capture
  fieldBundle            save a diagnostics bundle (zip) for a support ticket
  fieldStatus            what the last action did, or why it failed
  fieldBattery           the battery, in a large box that turns orange at ERI and red at EOS
  fieldIdentity          model, serial, firmware, hardware revision, link
  fieldCapabilities      what the device reports it can do
  fieldLinkStats         link statistics (commands, replies, telemetry, timeouts, stalls, reconnects)
  fieldLogLevel          the level of the workstation's log file (a setting, kept)
  fieldOpenLogFolder     where the workstation's log files are (the path, selectable)
  fieldDiagnose          measure each contact to case and every pair (3 rounds) and conclude
  fieldDiagnoseProgress  readings taken so far
  fieldDiagnosisSummary  the conclusions in one sentence
  fieldConclusions       each fault with its evidence
  fieldContacts          every contact: finding and reading to case (an open as "> limit")
  fieldHistory           each contact's readings across visits and devices (from the records)
  fieldHistoryLoad       read that history for the connected device
  fieldDiagnosisExport   save the diagnosis (CSV per contact, and a text report beside it)
  fieldReadLog           read the device's event log
  fieldLogFilter         filter the log by text
  fieldLogSeverity       filter the log by severity
  fieldLog               the device's events, as sentences
  fieldLogExport         save the device log as CSV
  fieldSelfTest          run the device's self-test
  fieldSelfTestResult    PASSED / FAILED, large
  fieldSelfTestTable     one row per check
  fieldSelfTestExport    save the self-test as CSV
  fieldCaptureStart      start recording USB traffic (in the background, also during a session)
  fieldCaptureStop       stop recording
  fieldCaptureLimit      the capture's size cap (MB): the newest traffic is kept
  fieldCaptureStatus     what has been captured
  fieldCaptureSave       save the capture as a pcap file for Wireshark

Every device action goes through service.field (futures, on the service's threads): the
GUI thread never waits on USB, the records or the disk.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.types import BatteryState, SelfTestResult
from ui import dialogs, theme
from ui.bridge import ServiceBridge
from ui.impedance.readings import CLASS_TINTS
from ui.widgets import named, set_style_sheet
from workstation import devicelog, exports, logs
from workstation.diagnosis import FAULTS, Finding, reading_text
from workstation.service import LinkState, ServiceError
from workstation.wording import (
    FINDING_TEXT,
    IMPEDANCE_CLASS_TEXT,
    SELF_TEST_CHECK_TEXT,
    SELF_TEST_RESULT_TEXT,
    counted,
)

LOG_LEVEL_SETTING = "logging/level"
MB = 1024 * 1024  # the capture cap's unit, in the field and in the status alike
FINDING_TINT = {
    Finding.OK: theme.OK_TINT,
    Finding.OPEN: theme.DANGER_TINT,
    Finding.SHORTED: theme.WARNING_TINT,
    Finding.INTERMITTENT: theme.WARNING_TINT,
    Finding.NOT_MEASURED: theme.SURFACE_PALE,
}
RESULT_TINT = {
    SelfTestResult.PASS: theme.OK_TINT,
    SelfTestResult.WARN: theme.WARNING_TINT,
    SelfTestResult.FAIL: theme.DANGER_TINT,
}
SEVERITY_TINT = {"error": theme.DANGER_TINT, "warning": theme.WARNING_TINT, "info": None}
BATTERY_BOX = {
    BatteryState.OK: (theme.OK_TINT, theme.OK, "OK"),
    BatteryState.ERI: (theme.WARNING_FILL, theme.TEXT, "ERI — ELECTIVE REPLACEMENT: plan the generator's replacement"),
    BatteryState.EOS: (theme.DANGER, theme.TEXT_ON_FILL, "EOS — END OF SERVICE: output cannot be turned on"),
}
REFRESH_MS = 1000


def _table(name: str, accessible: str, columns: list[str]) -> QTableWidget:
    table = named(QTableWidget(0, len(columns)), name, accessible, "")
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], tints: list[str | None] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if tints and tints[r]:
                item.setBackground(QColor(tints[r]))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)


class FieldEngineerView(QWidget):
    _progressed = Signal(int, int)  # emitted on the device thread, shown on the GUI thread

    def __init__(self, bridge: ServiceBridge, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fieldEngineerView")
        self._bridge = bridge
        self._service = bridge.service
        self._settings = settings or QSettings()
        self._log_lines: list[devicelog.LogLine] = []
        self._cancel: threading.Event | None = None
        self._build()
        self._progressed.connect(self._on_progress)
        bridge.linkChanged.connect(lambda _state, _detail: self.refresh())
        bridge.deviceChanged.connect(lambda _state: self.refresh())
        bridge.batteryChanged.connect(lambda _battery: self.refresh())
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self._timer.start()
        self.refresh()

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.bundle_button = named(
            QPushButton("Save &diagnostics bundle…"),
            "fieldBundle",
            "Save diagnostics bundle",
            "A zip for a support ticket: the workstation's logs, the device's log, the last self-test and "
            "diagnosis, the USB capture, device information and versions. No patient data.",
        )
        self.status = named(QLabel(), "fieldStatus", "Field engineer status", "What the last action did")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        title = QLabel("<b>Field engineer</b> — no patient or session needed; actions are recorded when one is active")
        top.addWidget(title, 1)
        top.addWidget(self.bundle_button)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("fieldTabs")
        self.tabs.addTab(self._build_device(), "Device")
        self.tabs.addTab(self._build_diagnosis(), "Lead diagnosis")
        self.tabs.addTab(self._build_log(), "Device log")
        self.tabs.addTab(self._build_self_test(), "Self-test")
        self.tabs.addTab(self._build_capture(), "USB capture")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.bundle_button.clicked.connect(self._save_bundle)

    def _build_device(self) -> QWidget:
        page = QWidget()
        self.battery = named(QLabel("Battery: not read"), "fieldBattery", "Battery", "The generator's primary cell")
        self.battery.setWordWrap(True)
        self.identity = named(QLabel("No device"), "fieldIdentity", "Device identity", "")
        self.identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.capabilities = _table("fieldCapabilities", "Capabilities", ["Capability", "Value"])
        self.link_stats = _table("fieldLinkStats", "Link statistics", ["Link", "Value"])
        self.log_level = named(
            QComboBox(), "fieldLogLevel", "Log level", "Level of the workstation's log file (kept as a setting)"
        )
        self.log_level.addItems(list(logs.LEVELS))
        saved = self._settings.value(LOG_LEVEL_SETTING)
        self.log_level.setCurrentText(logs.level_name(saved if isinstance(saved, str) else None))
        self.log_folder = named(QLabel(), "fieldOpenLogFolder", "Log folder", "Where the workstation's log files are")
        self.log_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_level.currentTextChanged.connect(self._set_log_level)

        settings = QGroupBox("Workstation log")
        form = QFormLayout(settings)
        form.addRow("Level", self.log_level)
        form.addRow("Files", self.log_folder)
        left = QVBoxLayout()
        left.addWidget(self.battery)
        left.addWidget(self.identity)
        left.addWidget(self.capabilities, 1)
        right = QVBoxLayout()
        right.addWidget(self.link_stats, 1)
        right.addWidget(settings)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        return page

    def _build_diagnosis(self) -> QWidget:
        page = QWidget()
        self.diagnose_button = named(
            QPushButton("&Diagnose leads"),
            "fieldDiagnose",
            "Diagnose leads",
            "Measure each contact to case and every contact pair, three times, and conclude per contact",
        )
        self.diagnose_progress = named(QProgressBar(), "fieldDiagnoseProgress", "Diagnosis progress", "")
        self.diagnose_progress.setFormat("Not run")
        self.diagnosis_export = named(
            QPushButton("Export…"), "fieldDiagnosisExport", "Export the diagnosis", "CSV per contact and a text report"
        )
        self.diagnosis_summary = named(QLabel("Not diagnosed yet."), "fieldDiagnosisSummary", "Diagnosis", "")
        self.diagnosis_summary.setWordWrap(True)
        self.diagnosis_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.conclusions = _table("fieldConclusions", "Conclusions", ["Lead", "Contacts", "Finding", "Evidence"])
        self.contacts = _table(
            "fieldContacts", "Contacts", ["Lead", "Contact 1", "Contact 2", "Contact 3", "Contact 4"]
        )
        self.history_load = named(
            QPushButton("Load &history"),
            "fieldHistoryLoad",
            "Load contact history",
            "Every recorded reading of this device's patient, on this and earlier generators, without a session",
        )
        self.history = _table(
            "fieldHistory", "Contact history", ["When", "Device", "Session", "Lead", "Contacts", "Reading", "Class"]
        )
        row = QHBoxLayout()
        row.addWidget(self.diagnose_button)
        row.addWidget(self.diagnose_progress, 1)
        row.addWidget(self.diagnosis_export)
        upper = QWidget()
        upper_box = QVBoxLayout(upper)
        upper_box.setContentsMargins(0, 0, 0, 0)
        upper_box.addWidget(self.diagnosis_summary)
        upper_box.addWidget(self.contacts, 1)
        self.contacts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.contacts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        lower = QWidget()
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("Each contact across visits and devices (from the records):"), 1)
        head.addWidget(self.history_load)
        lower_box.addLayout(head)
        lower_box.addWidget(self.history, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(self.conclusions)
        split.addWidget(lower)
        split.setSizes([250, 170, 130])
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        self.diagnose_button.clicked.connect(self.diagnose)
        self.diagnosis_export.clicked.connect(self._export_diagnosis)
        self.history_load.clicked.connect(self.load_history)
        return page

    def _build_log(self) -> QWidget:
        page = QWidget()
        self.read_log_button = named(
            QPushButton("&Read device log"), "fieldReadLog", "Read device log", "Read every event the device logged"
        )
        self.log_filter = named(QLineEdit(), "fieldLogFilter", "Filter the log", "Show events containing this text")
        self.log_filter.setPlaceholderText("Filter: text or code (e.g. refused, SHORT, lead 2)")
        self.log_severity = named(QComboBox(), "fieldLogSeverity", "Severity", "Show events of this severity or worse")
        self.log_severity.addItems(["All events", "Warnings and errors", "Errors only"])
        self.log_export = named(QPushButton("Export CSV…"), "fieldLogExport", "Export the device log", "")
        self.log_table = _table("fieldLog", "Device log", ["#", "Since power-on", "Severity", "Event"])
        row = QHBoxLayout()
        row.addWidget(self.read_log_button)
        row.addWidget(self.log_filter, 1)
        row.addWidget(self.log_severity)
        row.addWidget(self.log_export)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.log_table, 1)
        self.read_log_button.clicked.connect(self.read_log)
        self.log_filter.textChanged.connect(self._show_log)
        self.log_severity.currentIndexChanged.connect(self._show_log)
        self.log_export.clicked.connect(self._export_log)
        return page

    def _build_self_test(self) -> QWidget:
        page = QWidget()
        self.self_test_button = named(
            QPushButton("Run &self-test"),
            "fieldSelfTest",
            "Run self-test",
            "The device checks its output stage, measurement path, battery, memory and clock",
        )
        self.self_test_result = named(QLabel("Not run yet."), "fieldSelfTestResult", "Self-test result", "")
        self.self_test_table = _table(
            "fieldSelfTestTable", "Self-test", ["Check", "Result", "Measured", "Expected", "Detail"]
        )
        self.self_test_export = named(QPushButton("Export CSV…"), "fieldSelfTestExport", "Export the self-test", "")
        row = QHBoxLayout()
        row.addWidget(self.self_test_button)
        row.addWidget(self.self_test_result, 1)
        row.addWidget(self.self_test_export)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.self_test_table, 1)
        self.self_test_button.clicked.connect(self.run_self_test)
        self.self_test_export.clicked.connect(self._export_self_test)
        return page

    def _build_capture(self) -> QWidget:
        page = QWidget()
        self.capture_start = named(
            QPushButton("Start capture"),
            "fieldCaptureStart",
            "Start USB capture",
            "Record the link's traffic in the background (also during a clinical session)",
        )
        self.capture_stop = named(QPushButton("Stop"), "fieldCaptureStop", "Stop USB capture", "")
        self.capture_limit = named(
            QSpinBox(), "fieldCaptureLimit", "Capture size cap (MB)", "The newest traffic is kept"
        )
        self.capture_limit.setRange(1, 512)
        self.capture_limit.setValue(32)
        self.capture_limit.setSuffix(" MB")
        self.capture_save = named(
            QPushButton("Save as pcap…"), "fieldCaptureSave", "Save capture", "A pcap file for Wireshark"
        )
        self.capture_status = named(QLabel("Not capturing."), "fieldCaptureStatus", "Capture status", "")
        self.capture_status.setWordWrap(True)
        hint = QLabel(
            "Open a saved capture with the dissector shipped in resources/wireshark/drg.lua:\n"
            "    wireshark -X lua_script:drg.lua capture.pcap\n"
            "Every DRG message is decoded (filter: drg). The diagnostics bundle holds the capture and drg.lua."
        )
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        grid.addWidget(self.capture_start, 0, 0)
        grid.addWidget(self.capture_stop, 0, 1)
        grid.addWidget(QLabel("Keep at most"), 0, 2)
        grid.addWidget(self.capture_limit, 0, 3)
        grid.addWidget(self.capture_save, 0, 4)
        grid.setColumnStretch(5, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(grid)
        layout.addWidget(self.capture_status)
        layout.addWidget(hint)
        layout.addStretch(1)
        self.capture_start.clicked.connect(self.start_capture)
        self.capture_stop.clicked.connect(self.stop_capture)
        self.capture_save.clicked.connect(self._save_capture)
        return page

    # -- device information -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Device page and capture status from the service's snapshot (no I/O)."""
        info = self._service.field.info()
        connected = info.link_state is LinkState.CONNECTED
        for button in (self.diagnose_button, self.read_log_button, self.self_test_button):
            button.setEnabled(connected and self._cancel is None)
        self.history_load.setEnabled(info.identity is not None)
        if info.identity is None:
            self.identity.setText(f"No device · link {info.link_state.value}")
        else:
            ident = info.identity
            self.identity.setText(
                f"<b>{ident.model}</b> · serial <b>{ident.serial}</b> · firmware {ident.firmware} · "
                f"hardware {ident.hardware_rev}<br>link {info.uri or ''} · {info.link_state.value}"
                + (" · <b>SIMULATOR</b>" if info.simulated else "")
            )
        self._show_battery(info.battery)
        caps = info.capabilities
        if caps is not None and self.capabilities.rowCount() == 0:
            bands = ", ".join(f"≤ {b.upper_ua} µA in {b.step_ua} µA steps" for b in caps.amplitude_bands)
            _fill(
                self.capabilities,
                [
                    ["Leads × contacts", f"{caps.lead_count} × {caps.contacts_per_lead}"],
                    ["Amplitude", bands],
                    [
                        "Pulse width",
                        f"{caps.pulse_width_min_us}–{caps.pulse_width_max_us} µs, step {caps.pulse_width_step_us}",
                    ],
                    ["Frequency", f"{caps.frequency_min_hz}–{caps.frequency_max_hz} Hz, step {caps.frequency_step_hz}"],
                    ["Contact area", f"{caps.contact_area_cm2:.4f} cm²"],
                    ["Compliance", f"{caps.compliance_mv / 1000:.1f} V"],
                    ["Shannon k limit", f"{caps.shannon_k_limit:.2f}"],
                    ["Telemetry", f"up to {caps.telemetry_max_rate_hz:,} samples/s per lead"],
                    ["Watchdog", f"{caps.watchdog_ms} ms"],
                    ["Impedance", f"short < {caps.impedance_short_ohm} Ω, open > {caps.impedance_open_ohm} Ω"],
                ],
            )
        elif caps is None:
            self.capabilities.setRowCount(0)
        stats = info.statistics
        rows = [["Link", info.link_state.value]]
        if stats is not None:
            rows += [
                ["Commands sent", str(stats.commands)],
                ["Replies read", str(stats.replies)],
                ["Telemetry frames", str(stats.telemetry_frames)],
                ["Bytes out / in", f"{stats.bytes_out:,} / {stats.bytes_in:,}"],
                ["Timeouts", str(stats.timeouts)],
                ["Stalls cleared", str(stats.stalls)],
                ["Other errors", str(stats.errors)],
                ["Reconnects", str(stats.reopened)],
            ]
        if info.telemetry is not None:
            t = info.telemetry
            rows += [
                ["Telemetry blocks", str(t.blocks)],
                ["Samples lost", str(t.lost_samples)],
                ["Blocks dropped / corrupt", f"{t.dropped_blocks} / {t.bad_frames}"],
            ]
        _fill(self.link_stats, rows)
        path = logs.current_file()
        self.log_folder.setText(str(path.parent) if path else "not writing a log file")
        self._show_capture(info.capture)

    def _show_battery(self, battery) -> None:
        if battery is None:
            self.battery.setText("Battery: not read")
            set_style_sheet(self.battery, "")
            return
        background, ink, words = BATTERY_BOX[battery.state]
        big = battery.state is not BatteryState.OK
        self.battery.setText(f"Battery {battery.percent} % · {battery.voltage_mv / 1000:.2f} V · <b>{words}</b>")
        set_style_sheet(
            self.battery,
            f"background:{background}; color:{ink}; border-radius:6px; padding:{12 if big else 6}px;"
            f"font-size:{'16pt' if big else '11pt'};",
        )

    # -- lead diagnosis -----------------------------------------------------------------------------
    def diagnose(self) -> None:
        cancel = threading.Event()
        try:
            future = self._service.field.diagnose(progress=self._progress_from_io, cancel=cancel)
        except ServiceError as exc:
            self._say(str(exc), theme.DANGER_BOX)
            return
        self._cancel = cancel
        self.refresh()
        self.diagnose_progress.setValue(0)
        self._say("Diagnosing: each contact to case and every contact pair, three rounds…")
        self._bridge.run(future, self._diagnosed)

    def _progress_from_io(self, done: int, total: int) -> None:
        try:
            self._progressed.emit(done, total)
        except RuntimeError:
            pass  # the view was closed meanwhile

    def _on_progress(self, done: int, total: int) -> None:
        self.diagnose_progress.setRange(0, total)
        self.diagnose_progress.setValue(done)
        self.diagnose_progress.setFormat("%v of %m measurements")

    def _diagnosed(self, future) -> None:
        self._cancel = None
        self.refresh()
        if future.exception() is not None:
            self._say(f"The diagnosis failed: {future.exception()}", theme.DANGER_BOX)
            self.diagnose_progress.setFormat("Failed")
            return
        run = future.result()
        self.diagnose_progress.setFormat(f"Done: {run.diagnosis.readings} readings")
        self.show_diagnosis(run)
        recorded = "recorded in the session" if run.event_id is not None else "not recorded: no session is active"
        self._say(f"Lead diagnosis done at {run.time:%H:%M:%S} ({recorded}).", theme.OK_BOX)

    def show_diagnosis(self, run) -> None:
        found = run.diagnosis
        faults = [c for c in found.conclusions if c.finding in FAULTS]
        summary = found.summary
        notes = " ".join(f"Lead {lead}: {note}" for lead, note in sorted(found.lead_notes.items()))
        self.diagnosis_summary.setText(
            f"<b>{summary[0].upper() + summary[1:]}</b>"
            + (f"<br>{notes}" if notes else "")
            + f"<br>Limits from the device: short below {found.thresholds.short_below_ohm} Ω, "
            f"open above {found.thresholds.open_above_ohm} Ω; {found.readings} readings in {found.rounds} rounds."
        )
        set_style_sheet(self.diagnosis_summary, theme.tone_style(theme.DANGER_BOX if faults else theme.OK_BOX))
        _fill(
            self.conclusions,
            [[str(c.lead), "–".join(map(str, c.contacts)), c.sentence, c.why] for c in found.conclusions],
            [FINDING_TINT[c.finding] for c in found.conclusions],
        )
        self.conclusions.setColumnWidth(3, max(300, self.conclusions.viewport().width() - 360))
        leads = sorted({s.lead for s in found.contacts})
        self.contacts.setRowCount(len(leads))
        for r, lead in enumerate(leads):
            self.contacts.setItem(r, 0, QTableWidgetItem(f"Lead {lead}"))
            for s in (s for s in found.contacts if s.lead == lead):
                item = QTableWidgetItem(
                    f"{FINDING_TEXT[s.finding]}\n{s.shown}" + (f"\n{s.note}" if s.finding is Finding.SHORTED else "")
                )
                item.setBackground(QColor(FINDING_TINT[s.finding]))
                item.setToolTip(s.note)
                self.contacts.setItem(r, s.contact, item)
        self.contacts.resizeRowsToContents()
        self.conclusions.resizeRowsToContents()

    def load_history(self) -> None:
        try:
            future = self._service.field.contact_history()
        except ServiceError as exc:
            self._say(str(exc), theme.DANGER_BOX)
            return
        self._bridge.run(future, self._history_read)

    def _history_read(self, future) -> None:
        if future.exception() is not None:
            self._say(f"The records could not be read: {future.exception()}", theme.DANGER_BOX)
            return
        readings = future.result()
        caps = self._service.state.capabilities
        thresholds = self._service.impedance.thresholds(caps) if caps else None
        rows, tints = [], []
        for r in readings:
            contacts = f"{r.contact_a}–case" if r.contact_b == 0 else f"{r.contact_a}–{r.contact_b}"
            shown = reading_text(r.ohms, thresholds) if thresholds else str(r.ohms)
            rows.append(
                [
                    f"{r.time.astimezone():%Y-%m-%d %H:%M}",
                    f"{r.device_model} {r.device_serial}",
                    str(r.session_id),
                    str(r.lead),
                    contacts,
                    shown,
                    IMPEDANCE_CLASS_TEXT[r.impedance_class],
                ]
            )
            tints.append(CLASS_TINTS[r.impedance_class])
        _fill(self.history, rows, tints)
        devices = len({r.device_serial for r in readings})
        sessions = len({r.session_id for r in readings})
        self._say(
            f"Contact history: {counted(len(readings), 'reading')} from {counted(sessions, 'visit')} "
            f"on {counted(devices, 'device')}."
            if readings
            else "No recorded impedance for this device's patient yet."
        )

    # -- device log ---------------------------------------------------------------------------------
    def read_log(self) -> None:
        self._bridge.run(self._service.field.read_device_log(), self._log_read)
        self._say("Reading the device log…")

    def _log_read(self, future) -> None:
        if future.exception() is not None:
            self._say(f"The device log could not be read: {future.exception()}", theme.DANGER_BOX)
            return
        self._log_lines = devicelog.lines(future.result().events)
        self._show_log()
        self._say(f"Device log: {len(self._log_lines)} events read.")

    def _show_log(self) -> None:
        severities = [None, ("warning", "error"), ("error",)][self.log_severity.currentIndex()]
        shown = [line for line in self._log_lines if devicelog.matches(line, self.log_filter.text(), severities)]
        _fill(
            self.log_table,
            [[str(line.index), line.uptime, line.severity, line.sentence] for line in shown],
            [SEVERITY_TINT[line.severity] for line in shown],
        )

    def shown_log(self) -> list[str]:
        return [self.log_table.item(r, 3).text() for r in range(self.log_table.rowCount())]

    # -- self-test ----------------------------------------------------------------------------------
    def run_self_test(self) -> None:
        self._bridge.run(self._service.field.self_test(), self._self_tested)
        self.self_test_result.setText("Running…")

    def _self_tested(self, future) -> None:
        if future.exception() is not None:
            self.self_test_result.setText("Not run")
            self._say(f"The self-test failed to run: {future.exception()}", theme.DANGER_BOX)
            return
        run = future.result()
        self.show_self_test(run)

    def show_self_test(self, run) -> None:
        report = run.report
        failed = [SELF_TEST_CHECK_TEXT[c.check].lower() for c in report.failed]
        self.self_test_result.setText(
            f"Passed ({run.time:%H:%M:%S})" if report.passed else f"Failed: {', '.join(failed)} ({run.time:%H:%M:%S})"
        )
        set_style_sheet(
            self.self_test_result,
            theme.tone_style(theme.OK_BOX if report.passed else theme.DANGER_BOX) + "font-size:14pt;font-weight:bold;",
        )
        _fill(
            self.self_test_table,
            [
                [
                    SELF_TEST_CHECK_TEXT[c.check],
                    SELF_TEST_RESULT_TEXT[c.result],
                    f"{c.measured:#010x}" if c.unit == "CRC-32" else f"{c.measured} {c.unit}",
                    f"{c.expected_min:#010x}" if c.unit == "CRC-32" else f"{c.expected_min}–{c.expected_max} {c.unit}",
                    c.detail,
                ]
                for c in report.checks
            ],
            [RESULT_TINT[c.result] for c in report.checks],
        )
        recorded = "recorded in the session" if run.event_id is not None else "not recorded: no session is active"
        self._say(f"Self-test {'passed' if report.passed else 'failed'} ({recorded}).")

    # -- capture ----------------------------------------------------------------------------------------
    def start_capture(self) -> None:
        stats = self._service.field.start_capture(self.capture_limit.value() * MB)
        self._show_capture(stats)
        if stats is None:
            self.capture_status.setText("Waiting for a link: the capture starts when the device is connected.")

    def stop_capture(self) -> None:
        self._show_capture(self._service.field.stop_capture())

    def _show_capture(self, stats) -> None:
        if stats is None:
            if self._service.field.capture_on_connect is None:
                self.capture_status.setText("Not capturing.")
            running = self._service.field.capture_on_connect is not None
        else:
            running = stats.running
            state = "Capturing" if running else "Stopped"
            dropped = (
                f"; {stats.dropped_packets} oldest packets dropped to stay under the cap"
                if stats.dropped_packets
                else ""
            )
            self.capture_status.setText(
                f"{state}: {stats.transfers} transfers, {stats.bytes / MB:.2f} MB of "
                f"{stats.max_bytes / MB:.0f} MB{dropped}."
            )
        self.capture_start.setEnabled(not running)
        self.capture_stop.setEnabled(running)
        self.capture_limit.setEnabled(not running)

    # -- exports and the bundle ---------------------------------------------------------------------------
    def _ask(self, suggested: str, file_filter: str) -> str:
        return dialogs.save_file_name(self, "fieldExportFile", "Save", suggested, file_filter)

    def _stamp(self) -> str:
        ident = self._service.state.identity
        return f"{ident.serial if ident else 'no-device'}-{date.today().isoformat()}"

    def _export(self, write, suggested: str, file_filter: str, what: str) -> None:
        path = self._ask(suggested, file_filter)
        if not path:
            return

        def done(future) -> None:
            if future.exception() is not None:
                self._say(f"Could not save {path}: {future.exception()}", theme.DANGER_BOX)
            else:
                self._say(f"{what} saved to {path}.", theme.OK_BOX)

        self._bridge.run(self._service.field.export(write, path), done)

    def _export_diagnosis(self) -> None:
        run = self._service.field.last_diagnosis
        if run is None:
            self._say("Nothing to export yet: diagnose first.", theme.DANGER_BOX)
            return

        def write(path: Path, identity) -> None:
            exports.write_diagnosis_csv(path, run.diagnosis, identity)
            path.with_suffix(".txt").write_text(exports.diagnosis_report(run.diagnosis, identity), encoding="utf-8")

        self._export(write, f"lead-diagnosis-{self._stamp()}.csv", "CSV (*.csv)", "Lead diagnosis (CSV and .txt)")

    def _export_log(self) -> None:
        if not self._log_lines:
            self._say("Nothing to export yet: read the device log first.", theme.DANGER_BOX)
            return
        events = self._service.field.last_device_log.events
        self._export(
            lambda path, ident: exports.write_device_log_csv(path, events, ident),
            f"device-log-{self._stamp()}.csv",
            "CSV (*.csv)",
            "Device log",
        )

    def _export_self_test(self) -> None:
        run = self._service.field.last_self_test
        if run is None:
            self._say("Nothing to export yet: run the self-test first.", theme.DANGER_BOX)
            return
        self._export(
            lambda path, ident: exports.write_self_test_csv(path, run.report, ident),
            f"self-test-{self._stamp()}.csv",
            "CSV (*.csv)",
            "Self-test",
        )

    def _save_capture(self) -> None:
        if self._service.field.capture_stats() is None:
            self._say("Nothing captured yet: start the capture first.", theme.DANGER_BOX)
            return
        path = self._ask(f"drg-capture-{self._stamp()}.pcap", "pcap (*.pcap)")
        if path:
            self._bridge.run(
                self._service.field.save_capture(path),
                lambda f: self._say(
                    f"Capture saved to {path} ({f.result():,} bytes): open it in Wireshark with drg.lua."
                    if f.exception() is None
                    else f"Could not save the capture: {f.exception()}",
                    theme.OK_BOX if f.exception() is None else theme.DANGER_BOX,
                ),
            )

    def ask_bundle(self) -> None:
        """Ask where, then save the diagnostics bundle (the button and Tools > Save diagnostics bundle)."""
        self._save_bundle()

    def _save_bundle(self) -> None:
        path = self._ask(f"drg-diagnostics-{self._stamp()}.zip", "Zip (*.zip)")
        if path:
            self.save_bundle(path)

    def save_bundle(self, path: str | Path) -> None:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        future = self._service.field.save_bundle(path, {"Qt": qVersion(), "PySide6": pyside_version})
        self._say("Saving the diagnostics bundle…")
        self._bridge.run(
            future,
            lambda f: self._say(
                f"Diagnostics bundle saved to {path}."
                if f.exception() is None
                else f"Could not save the bundle: {f.exception()}",
                theme.OK_BOX if f.exception() is None else theme.DANGER_BOX,
            ),
        )

    # -- settings ---------------------------------------------------------------------------------------
    def _set_log_level(self, level: str) -> None:
        try:
            level = self._service.field.set_log_level(level)
        except ServiceError as exc:
            self._say(str(exc), theme.DANGER_BOX)
            return
        self._settings.setValue(LOG_LEVEL_SETTING, level)
        self._say(f"Log level {level}: kept for the next start.")

    def _say(self, text: str, tone: theme.Tone | None = None) -> None:
        self.status.setText(text)
        set_style_sheet(self.status, theme.tone_style(tone))
