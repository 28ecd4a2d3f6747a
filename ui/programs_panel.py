"""Programs, unwritten changes and the session log: where a visit's work is saved and checked.

The facts sheet's first complaint is lost programs and measurements, so this
panel keeps the difference between what the device runs now (its live lead
settings) and what it keeps after the programmer leaves (its stored program)
visible at all times, and lets nothing close over that difference unasked.

objectNames (stable, for tests and automation):
    programsPanel        the panel
    unwrittenBadge       shown while live settings differ from the stored program
    programList          saved programs of this session and the patient's history
    programName          name for "Save current as…"
    programSave          save the device's live settings as a program (not written)
    programLoad          show the selected program beside the device's settings
    programApply         make the selected program live, lead by lead, amplitudes ramped
    programWrite         store the selected program in the device (after confirmation)
    programMessage       outcome of save / load / apply, or the refusal sentence
    programVerifyResult  read-back verification after a write (green or red)
    programCompare       table: saved program beside the device now
    programWriteConfirm  confirmation dialog (programWriteTable, programWriteOk, programWriteCancel)
    unwrittenDialog      guard before closing or ending with unwritten changes
                         (unwrittenName, unwrittenWrite, unwrittenDiscard, unwrittenCancel, unwrittenMessage)
    sessionLog           table of the session's events, newest at the bottom
    noteText, noteAdd, noteMessage           free-text note
    nrsBefore, nrsAfter, nrsRecord, nrsMessage   NRS pain scores ("not rated" below 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from drivers.types import LeadConfig, Polarity, Program
from ui import dialogs
from ui.bridge import ServiceBridge
from ui.lead_panel.confirm import ask_confirmation
from ui.theme import DANGER_BOX, OK_BOX, SURFACE_PALE, WARNING_BOX, WARNING_TINT
from ui.widgets import local_time, message_label, named, show_message
from workstation.models import Note, PainScore, PainTiming, Session
from workstation.service import ConfirmationRequired, DeviceState, ServiceError, WriteResult
from workstation.records.codec import decode_lead_config
from workstation.records.rows import SavedProgram, SessionEvent

VERIFIED_TEXT = "Verified: device holds exactly this program"
CONTACT_SYMBOL = {Polarity.ANODE: "+", Polarity.CATHODE: "\u2212", Polarity.OFF: "\u00b7"}
CONTACT_LEGEND = "Contacts in order from contact 1: + anode, \u2212 cathode, \u00b7 off."
SETTINGS = (  # LeadConfig field, row label, unit
    ("contacts", "Contacts", ""),
    ("amplitude_ua", "Amplitude", "\u00b5A"),
    ("pulse_width_us", "Pulse width", "\u00b5s"),
    ("frequency_hz", "Frequency", "Hz"),
    ("enabled", "Output", ""),
    ("patient_max_ua", "Patient max", "\u00b5A"),
)
UNITS = {field: unit for field, _label, unit in SETTINGS}


# -- lead settings as text ------------------------------------------------------------------


def setting_text(config: LeadConfig, field: str, unit: bool = True) -> str:
    """One setting as shown; tables leave the unit to the row header."""
    value = getattr(config, field)
    if field == "contacts":
        return " ".join(CONTACT_SYMBOL[c] for c in value)
    if field == "enabled":
        return "on" if value else "off"
    return f"{value} {UNITS[field]}" if unit else str(value)


def lead_text(config: LeadConfig) -> str:
    """One line for a log row: 'lead 1 [+ − · ·] 800 µA, 300 µs, 20 Hz, on, patient max 2000 µA'."""
    return (
        f"lead {config.lead} [{setting_text(config, 'contacts')}] {config.amplitude_ua} \u00b5A, "
        f"{config.pulse_width_us} \u00b5s, {config.frequency_hz} Hz, output {setting_text(config, 'enabled')}, "
        f"patient max {config.patient_max_ua} \u00b5A"
    )


def lead_differences(
    first: dict[int, LeadConfig], second: dict[int, LeadConfig], first_label: str, second_label: str
) -> list[str]:
    """Every setting that differs between two sets of leads, as sentences a clinician reads."""
    found = []
    for lead in sorted(first.keys() | second.keys()):
        a, b = first.get(lead), second.get(lead)
        if a is None or b is None:
            found.append(f"Lead {lead}: only in the {first_label if b is None else second_label} settings")
            continue
        found.extend(
            f"Lead {lead} {label.lower()}: {first_label} {setting_text(a, field)}, "
            f"{second_label} {setting_text(b, field)}"
            for field, label, _unit in SETTINGS
            if getattr(a, field) != getattr(b, field)
        )
    return found


def by_lead(leads: Iterable[LeadConfig]) -> dict[int, LeadConfig]:
    return {config.lead: config for config in leads}


def unwritten_changes(state: DeviceState) -> list[str]:
    """How the device's live settings differ from its stored program (nothing ignored)."""
    if state.stored_program is None:
        return []
    return lead_differences(dict(state.leads), by_lead(state.stored_program.leads), "live", "stored")


def program_status(written: bool, verified: bool, mismatch: str | None) -> tuple[str, tuple[str, str] | None]:
    """Status words of a saved program and its colours."""
    if verified:
        return "written and verified", OK_BOX
    if written:
        return f"MISMATCH after writing: {mismatch}", DANGER_BOX
    if mismatch:
        return mismatch, DANGER_BOX  # "not written: <reason>"
    return "saved, not written", None


def fill_lead_table(
    table: QTableWidget,
    columns: list[tuple[str, dict[int, LeadConfig]]],
    highlight_against: dict[int, LeadConfig] | None = None,
) -> None:
    """Settings as rows, one column per lead and source (e.g. Lead 1 saved, Lead 1 device).

    Cells of the last source that differ from `highlight_against` are marked amber and bold.
    """
    leads = sorted({lead for _label, configs in columns for lead in configs})
    table.clear()
    table.setRowCount(len(SETTINGS))
    table.setColumnCount(len(leads) * len(columns))
    table.setVerticalHeaderLabels([f"{label} ({unit})" if unit else label for _f, label, unit in SETTINGS])
    table.setHorizontalHeaderLabels([f"Lead {lead}\n{label}".strip() for lead in leads for label, _c in columns])
    cells = [(lead, source) for lead in leads for source in range(len(columns))]
    for col, (lead, source) in enumerate(cells):
        label, configs = columns[source]
        config = configs.get(lead)
        reference = (highlight_against or {}).get(lead) if source == len(columns) - 1 else None
        for row, (field, name, _unit) in enumerate(SETTINGS):
            item = QTableWidgetItem(setting_text(config, field, unit=False) if config else "\u2014")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setToolTip(f"Lead {lead} {name.lower()} ({label or 'program'})")
            if reference is not None and config is not None and getattr(config, field) != getattr(reference, field):
                item.setBackground(QColor(WARNING_TINT))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(
                    f"Lead {lead} {name.lower()}: differs ({setting_text(reference, field)} "
                    f"in {columns[0][0] or 'the program'})"
                )
            if lead % 2 == 0 and item.background().style() == Qt.BrushStyle.NoBrush:
                item.setBackground(QColor(SURFACE_PALE))  # shade every other lead so its columns read as a pair
            table.setItem(row, col, item)


def lead_table(object_name: str, accessible: str) -> QTableWidget:
    table = named(QTableWidget(), object_name, accessible, CONTACT_LEGEND)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setMinimumSectionSize(44)
    return table


# -- the guard: unwritten changes before closing or ending ------------------------------------


class UnwrittenDialog(dialogs.Dialog):
    """Lists what is live but not stored, and offers Write now / Discard / Cancel."""

    def __init__(self, bridge: ServiceBridge, action: str, parent: QWidget | None = None) -> None:
        super().__init__("unwrittenDialog", parent)
        self.bridge = bridge
        service = bridge.service
        stored = service.state.stored_program
        self.setWindowTitle("Unwritten changes")
        intro = QLabel(
            f"The device's live settings differ from its stored program "
            f"'{stored.name if stored else '?'}'. If you {action} without writing, the device returns "
            "to its stored program when the programmer disconnects, and these changes are lost:"
        )
        intro.setWordWrap(True)
        changes = named(
            QListWidget(),
            "unwrittenList",
            "Unwritten changes",
            "Each setting that is live on the device but not stored in it.",
        )
        changes.addItems(unwritten_changes(service.state))
        self.name = named(
            QLineEdit(stored.name if stored else ""),
            "unwrittenName",
            "Program name",
            "Name under which the live settings are stored if you choose Write now.",
        )
        self.message = message_label("unwrittenMessage", "Write result")
        buttons = QDialogButtonBox()
        self.write = named(
            buttons.addButton("Write now", QDialogButtonBox.ButtonRole.AcceptRole),
            "unwrittenWrite",
            "Write now",
            "Store the live settings in the device, read them back and verify.",
        )
        self.discard = named(
            buttons.addButton("Discard changes", QDialogButtonBox.ButtonRole.DestructiveRole),
            "unwrittenDiscard",
            "Discard changes",
            f"Do not store the live settings; {action} anyway.",
        )
        cancel = named(
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel),
            "unwrittenCancel",
            "Cancel",
            f"Go back without writing; do not {action}.",
        )
        cancel.setDefault(True)
        # The buttons decide themselves: Write now must not close before the read-back.
        self.write.clicked.connect(self._write)
        self.discard.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(changes)
        row = QHBoxLayout()
        row.addWidget(QLabel("Store as:"))
        row.addWidget(self.name)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, 320)

    def _write(self) -> None:
        name = self.name.text().strip()
        if not name:
            show_message(self.message, "Name the program before writing it.", DANGER_BOX)
            return
        service = self.bridge.service
        try:
            future = service.programs.write(service.programs.current(name))
        except ServiceError as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.write.setEnabled(False)
        self.discard.setEnabled(False)
        show_message(self.message, f"Writing '{name}' to the device and reading it back\u2026")
        self.bridge.run(future, self._written)

    def _written(self, future: Future) -> None:
        self.write.setEnabled(True)
        self.discard.setEnabled(True)
        error = future.exception()
        if error is not None:
            show_message(self.message, f"Not written: {error}", DANGER_BOX)
        elif not future.result().verified:
            show_message(self.message, f"Written but not verified: {future.result().mismatch}", DANGER_BOX)
        else:
            self.accept()


def confirm_discard_unwritten(bridge: ServiceBridge, parent: QWidget | None, action: str = "close") -> bool:
    """True when it is fine to go on: nothing unwritten, written now and verified, or discarded."""
    if not unwritten_changes(bridge.service.state):
        return True
    return UnwrittenDialog(bridge, action, parent).exec() == QDialog.DialogCode.Accepted


# -- session log ---------------------------------------------------------------------------

EVENT_NAMES = {
    "session_opened": "Session opened",
    "session_resumed": "Session resumed",
    "session_closed": "Session closed",
    "session_ended": "Session ended",
    "device_state": "Device read",
    "link_state": "Link",
    "link_lost": "Link lost",
    "write_lead": "Lead settings",
    "set_amplitude": "Amplitude",
    "set_enabled": "Output",
    "stop_all": "STOP ALL",
    "density_confirmed": "Density accepted",
    "impedance_recorded": "Impedance",
    "impedance_cancelled": "Impedance cancelled",
    "placement_recorded": "Lead placed",
    "response_recorded": "Response",
    "pain_score_recorded": "Pain score",
    "note_added": "Note",
    "program_saved": "Program",
    "write_program": "Program write",
    "correction": "Correction",
}


def _lead_result(p: dict[str, Any]) -> str:
    config = p.get("result") or p.get("config")
    return lead_text(decode_lead_config(config)) if config else f"lead {p['lead']}"


def _battery(p: dict[str, Any]) -> str:
    battery, program = p.get("battery"), p.get("program")
    parts = [f"battery {battery['percent']} % ({battery['state']})"] if battery else []
    return ", ".join(parts + ([f"stored program '{program['name']}'"] if program else [])) or "device read"


def _impedance(p: dict[str, Any]) -> str:
    return (
        "; ".join(
            f"lead {m['lead']} {m['contact_a']}-{m['contact_b'] or 'case'}: {m['ohms']} \u03a9 "
            f"{m['impedance_class'].lower()}"
            for m in p["measurements"]
        )
        or "no measurement"
    )


def _response(p: dict[str, Any]) -> str:
    found = [
        f"{label} {p[key]} \u00b5A"
        for key, label in (
            ("perception_threshold_ua", "perception"),
            ("comfortable_ua", "comfortable"),
            ("max_tolerable_ua", "max tolerable"),
        )
        if p.get(key) is not None
    ]
    regions = ", ".join(p.get("body_regions") or ()) or "no region"
    free = " (paresthesia-free)" if p.get("paresthesia_free") else ""
    return f"lead {p['lead']}: {p['sensation'].lower()}{free} in {regions}" + "".join(f"; {f}" for f in found)


def _program_saved(p: dict[str, Any]) -> str:
    return f"'{p['program']['name']}': {program_status(p['written'], p['verified'], p.get('mismatch'))[0]}"


SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "session_opened": lambda p: (
        f"clinician {p['clinician']}; device {p['device']['model']} "
        f"serial {p['device']['serial']}, firmware {p['device']['firmware']}"
    ),
    "session_resumed": lambda p: "session taken up again",
    "session_closed": lambda p: "closed: later changes only as corrections",
    "session_ended": lambda p: "ended by the clinician",
    "device_state": _battery,
    "link_state": lambda p: f"{p['state']}" + (f": {p['detail']}" if p.get("detail") else ""),
    "link_lost": lambda p: p["reason"],
    "write_lead": _lead_result,
    "set_amplitude": lambda p: (
        f"lead {p['lead']}: {p['result']['amplitude_ua']} \u00b5A on the device"
        if p.get("result")
        else f"lead {p['lead']}: {(p.get('config') or p)['amplitude_ua']} \u00b5A requested"
    ),
    "set_enabled": lambda p: f"lead {p['lead']} output {'on' if p['on'] else 'off'}",
    "stop_all": lambda p: "every output off",
    "density_confirmed": lambda p: (
        f"lead {p['lead']}: {p['density']:.1f} \u00b5C/cm\u00b2 accepted "
        f"above the {p['limit']:.0f} \u00b5C/cm\u00b2 warning"
    ),
    "impedance_recorded": _impedance,
    "impedance_cancelled": lambda p: f"cancelled after {p['done']} of {p['of']} leads",
    "placement_recorded": lambda p: (
        f"lead {p['channel']} at {p['level']} {p['side'].lower()}, implanted {p['implant_date']}"
    ),
    "response_recorded": _response,
    "pain_score_recorded": lambda p: f"NRS {p['nrs']}/10 ({p['when'].lower()} programming)",
    "note_added": lambda p: p["text"],
    "program_saved": _program_saved,
    "correction": lambda p: f"{p['reason']}",
}


def summarize(event: SessionEvent) -> str:
    """A readable line for a log row; falls back to the raw fields for kinds it does not know."""
    p = event.payload
    try:
        text = SUMMARIES[event.kind](p)
    except (KeyError, TypeError, ValueError, AttributeError):
        text = ", ".join(f"{key} {value}" for key, value in p.items() if key not in ("reason", "error"))
    for key in ("reason", "error"):  # why it was refused or failed
        if event.kind not in ("link_lost", "correction") and p.get(key):
            text = f"{text} \u2014 {p[key]}"
    if event.references_event_id is not None:
        text = f"corrects event {event.references_event_id}: {text}"
    return text


class SessionLog(QTableWidget):
    """The session's events in order, appended as they are recorded; refusals and errors stand out."""

    COLUMNS = ("Time", "Event", "Outcome", "Details")

    def __init__(self) -> None:
        super().__init__(0, len(self.COLUMNS))
        named(
            self,
            "sessionLog",
            "Session log",
            "Every action of this session as recorded, newest at the bottom. Refused and failed actions "
            "are highlighted.",
        )
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self._shown: set[int] = set()
        self._ramp: tuple[int, int, datetime, int, int] | None = None  # lead, first value, start, steps, last value

    def show_events(self, events: list[SessionEvent]) -> None:
        """Append the events not shown yet (the log is append-only) and scroll to the newest."""
        new = [event for event in events if event.id not in self._shown]
        for event in new:
            self._append(event)
        if new:
            self.scrollToBottom()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.scrollToBottom()

    def reset(self) -> None:
        self.setRowCount(0)
        self._shown.clear()
        self._ramp = None

    def _append(self, event: SessionEvent) -> None:
        self._shown.add(event.id)
        if self._merge_ramp_step(event):
            return
        row = self.rowCount()
        self.insertRow(row)
        summary = summarize(event)
        colours = {"refused": WARNING_BOX, "error": DANGER_BOX}.get(event.outcome)
        cells = (
            local_time(event.time),
            EVENT_NAMES.get(event.kind, event.kind.replace("_", " ")),
            event.outcome,
            summary,
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(f"{local_time(event.time)} \u00b7 {event.kind} \u00b7 {event.outcome}\n{summary}")
            if colours:
                item.setBackground(QColor(colours[0]))
                item.setForeground(QColor(colours[1]))
            self.setItem(row, column, item)

    def _merge_ramp_step(self, event: SessionEvent) -> bool:
        """Fold the rising steps of one amplitude ramp into a single row ('625 → 900 µA in 12 steps')."""
        result = event.payload.get("result") if event.kind == "set_amplitude" and event.outcome == "ok" else None
        if result is None:
            self._ramp = None
            return False
        lead, reached = result["lead"], result["amplitude_ua"]
        if self._ramp is None or self._ramp[0] != lead or reached <= self._ramp[4]:
            self._ramp = (lead, reached, event.time, 1, reached)  # a decrease always shows on its own row
            return False
        _lead, first, started, steps, _last = self._ramp
        steps += 1
        self._ramp = (lead, first, started, steps, reached)
        row = self.rowCount() - 1
        seconds = (event.time - started).total_seconds()
        self.item(row, 3).setText(
            f"lead {lead}: {first} \u2192 {reached} \u00b5A on the device, {steps} steps in {seconds:.1f} s"
        )
        self.item(row, 3).setToolTip(self.item(row, 3).text())
        return True


# -- the panel -----------------------------------------------------------------------------


class ProgramsPanel(QWidget):
    """Save, compare, apply and write programs; see unwritten changes; log, notes and pain scores."""

    def __init__(self, bridge: ServiceBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("programsPanel")
        self.bridge = bridge
        self.service = bridge.service
        self.store = bridge.service.records
        self._session: Session | None = None  # the active session
        self._shown_session: Session | None = None  # the one whose log and history are shown
        self._loaded: Program | None = None
        self._applying: Iterator[Future] | None = None
        self._build()
        bridge.sessionChanged.connect(self._session_changed)
        bridge.eventRecorded.connect(lambda _id: self._refresh_log())
        for signal in (bridge.leadChanged, bridge.deviceChanged, bridge.stopped):
            signal.connect(self._device_changed)
        bridge.programWritten.connect(self._program_written)
        bridge.stopped.connect(lambda: self._stop_applying("Apply stopped: STOP ALL turned every output off."))
        current = self.service.session_id
        self._session_changed(self.store.get_session(current) if current is not None else None)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.badge = named(QLabel(), "unwrittenBadge", "Unwritten changes", "")
        self.badge.setWordWrap(True)
        show_message(self.badge, "")

        self.program_list = named(
            QListWidget(),
            "programList",
            "Programs",
            "Programs of this session and the patient's earlier sessions, newest first, "
            "with whether each was written to the device and verified.",
        )
        self.program_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.program_list.itemDoubleClicked.connect(lambda _item: self._load())
        self.program_name = named(
            QLineEdit(), "programName", "Program name", "Name for the device's current settings, e.g. 'Daytime'."
        )
        self.program_name.setPlaceholderText("Program name")
        self.program_name.returnPressed.connect(self._save)
        self.save_button = named(
            QPushButton("Save current as\u2026"),
            "programSave",
            "Save current settings as",
            "Save the device's live lead settings under this name (not yet written).",
        )
        self.save_button.clicked.connect(self._save)
        self.load_button = named(
            QPushButton("&Load"),
            "programLoad",
            "Load program",
            "Show the selected program beside the device's current settings.",
        )
        self.load_button.clicked.connect(self._load)
        self.apply_button = named(
            QPushButton("&Apply to leads"),
            "programApply",
            "Apply program to leads",
            "Make the selected program live lead by lead; amplitudes ramp up under the "
            "safety rules. Not stored until written.",
        )
        self.apply_button.clicked.connect(self._apply)
        self.write_button = named(
            QPushButton("&Write to device\u2026"),
            "programWrite",
            "Write program to device",
            "Store the selected program in the device, then read it back and verify.",
        )
        self.write_button.clicked.connect(self._confirm_write)
        self.program_message = message_label("programMessage", "Program message")
        self.verify_result = message_label("programVerifyResult", "Verification result")
        font = self.verify_result.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.verify_result.setFont(font)

        programs = QGroupBox("Programs")
        column = QVBoxLayout(programs)
        column.addWidget(self.program_list, 1)
        save_row = QHBoxLayout()
        save_row.addWidget(self.program_name, 1)
        save_row.addWidget(self.save_button)
        column.addLayout(save_row)
        action_row = QHBoxLayout()
        for button in (self.load_button, self.apply_button, self.write_button):
            action_row.addWidget(button)
        column.addLayout(action_row)
        column.addWidget(self.program_message)

        self.compare = lead_table("programCompare", "Program beside the device")
        self.compare_box = QGroupBox("Loaded program beside the device")
        compare_layout = QVBoxLayout(self.compare_box)
        compare_layout.addWidget(self.verify_result)
        compare_layout.addWidget(self.compare, 1)
        legend = QLabel(CONTACT_LEGEND + " Amber: the device differs from the program.")
        legend.setWordWrap(True)
        compare_layout.addWidget(legend)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(programs)
        top.addWidget(self.compare_box)
        top.setStretchFactor(1, 1)
        top.setSizes([290, 610])

        self.log = SessionLog()
        log_box = QGroupBox("Session log")
        QVBoxLayout(log_box).addWidget(self.log)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(log_box)
        bottom.addWidget(self._build_notes())
        bottom.setStretchFactor(0, 1)
        bottom.setSizes([650, 250])

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.badge)
        layout.addWidget(split, 1)
        self._update_buttons()

    def _build_notes(self) -> QWidget:
        self.note_text = named(
            QPlainTextEdit(), "noteText", "Note", "A note for the session record. Ctrl+Enter adds it."
        )
        self.note_text.setTabChangesFocus(True)
        self.note_text.setPlaceholderText("Note for the record")
        self.note_text.setMaximumHeight(90)
        self.note_add = named(
            QPushButton("Add &note"), "noteAdd", "Add note", "Add the note to the session record (Ctrl+Enter)."
        )
        self.note_add.clicked.connect(self._add_note)
        QShortcut(
            QKeySequence("Ctrl+Return"), self.note_text, self._add_note, context=Qt.ShortcutContext.WidgetShortcut
        )
        self.note_message = message_label("noteMessage", "Note message")

        self.nrs = {}
        nrs_row = QHBoxLayout()
        for when, name in ((PainTiming.BEFORE, "nrsBefore"), (PainTiming.AFTER, "nrsAfter")):
            box = named(
                QSpinBox(),
                name,
                f"Pain score {when.value.lower()} programming",
                f"NRS {when.value.lower()} programming: 0 no pain to 10 worst pain imaginable. "
                "Leave at 'not rated' to record nothing for it.",
            )
            box.setRange(-1, 10)
            box.setSpecialValueText("not rated")
            box.setValue(-1)
            self.nrs[when] = box
            label = QLabel(f"{when.value.capitalize()}:")
            label.setBuddy(box)
            nrs_row.addWidget(label)
            nrs_row.addWidget(box)
        self.nrs_record = named(
            QPushButton("&Record NRS"),
            "nrsRecord",
            "Record pain scores",
            "Record the rated pain scores (0-10) in the session.",
        )
        self.nrs_record.clicked.connect(self._record_nrs)
        self.nrs_message = message_label("nrsMessage", "Pain score message")

        box = QGroupBox("Notes and pain (NRS 0-10)")
        layout = QVBoxLayout(box)
        layout.addWidget(self.note_text)
        layout.addWidget(self.note_add)
        layout.addWidget(self.note_message)
        layout.addSpacing(8)
        layout.addLayout(nrs_row)
        layout.addWidget(self.nrs_record)
        layout.addWidget(self.nrs_message)
        layout.addStretch(1)
        return box

    # -- public -------------------------------------------------------------------------------
    def has_unwritten_changes(self) -> bool:
        return bool(unwritten_changes(self.service.state))

    def confirm_discard_unwritten(self, parent: QWidget | None = None, action: str = "close") -> bool:
        """The close / end-session guard: True when it is fine to go on."""
        return confirm_discard_unwritten(self.bridge, parent or self, action)

    def selected_program(self) -> Program | None:
        item = self.program_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    # -- reacting to the service ------------------------------------------------------------------
    def _session_changed(self, session: Session | None) -> None:
        """A new session gets a fresh log; an ended one stays on screen until the next starts."""
        if session is not None and (self._shown_session is None or self._shown_session.id != session.id):
            self.log.reset()
            self._shown_session = session
        self._session = session
        self._refresh_log()
        self._refresh_programs()
        self._update_buttons()

    def _refresh_log(self) -> None:
        if self._shown_session is not None:
            self.log.show_events(self.store.session_events(self._shown_session.id))

    def _device_changed(self, *_args: object) -> None:
        changes = unwritten_changes(self.service.state)
        stored = self.service.state.stored_program
        show_message(
            self.badge,
            f"\u26a0 Unwritten changes: {len(changes)} live setting(s) differ from the "
            f"stored program '{stored.name}'. Write to keep them."
            if changes
            else "",
            WARNING_BOX,
        )
        self.badge.setToolTip("\n".join(changes))
        if self._loaded is not None:
            self._show_loaded()
        self._mark_on_device()

    def _program_written(self, result: WriteResult) -> None:
        if result.verified:
            show_message(
                self.verify_result,
                f"\u2714 {VERIFIED_TEXT} ('{result.program.name}', {local_time(datetime.now(timezone.utc))})",
                OK_BOX,
            )
        else:
            show_message(self.verify_result, f"\u2716 Not verified: {result.mismatch}", DANGER_BOX)
        self._refresh_programs(select=result.program)
        self._device_changed()

    # -- program list --------------------------------------------------------------------------
    def _refresh_programs(self, select: Program | None = None) -> None:
        select = select or self.selected_program()
        shown = self._shown_session
        history: list[SavedProgram] = self.store.program_history(shown.patient_id) if shown else []
        latest = {saved.program: saved for saved in history}  # oldest first: the last record wins
        self.program_list.clear()
        stored = self.service.state.stored_program
        if stored is not None and stored not in latest:
            self._add_program_item(stored, "stored on the device (not in the records)", None)
        for saved in sorted(latest.values(), key=lambda s: s.time, reverse=True):
            status, colours = program_status(saved.written, saved.verified, saved.mismatch)
            where = "this session" if saved.session_id == shown.id else "earlier session"
            self._add_program_item(saved.program, f"{status} \u00b7 {local_time(saved.time)} ({where})", colours)
        self._mark_on_device()
        for row in range(self.program_list.count()):
            if self.program_list.item(row).data(Qt.ItemDataRole.UserRole) == select:
                self.program_list.setCurrentRow(row)
        self._update_buttons()

    def _add_program_item(self, program: Program, status: str, colours: tuple[str, str] | None) -> None:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, program)
        item.setData(Qt.ItemDataRole.UserRole + 1, status)
        item.setToolTip("\n".join(lead_text(config) for config in program.leads))
        if colours:
            item.setForeground(QColor(colours[1]))
        self.program_list.addItem(item)

    def _mark_on_device(self) -> None:
        stored = self.service.state.stored_program
        for row in range(self.program_list.count()):
            item = self.program_list.item(row)
            program = item.data(Qt.ItemDataRole.UserRole)
            marker = "  \u25cf on device" if program == stored else ""
            item.setText(f"{program.name}{marker}\n    {item.data(Qt.ItemDataRole.UserRole + 1)}")

    def _update_buttons(self) -> None:
        chosen = self.selected_program() is not None
        active = self._session is not None
        self.load_button.setEnabled(chosen)
        self.apply_button.setEnabled(chosen and active and self._applying is None)
        self.write_button.setEnabled(chosen and active)
        for widget in (self.save_button, self.note_add, self.nrs_record):
            widget.setEnabled(active)

    # -- save, load ---------------------------------------------------------------------------
    def _save(self) -> None:
        name = self.program_name.text().strip()
        if not name:
            show_message(self.program_message, "Name the program before saving it.", DANGER_BOX)
            self.program_name.setFocus()
            return
        if self._session is None or not self.service.state.leads:
            show_message(
                self.program_message, "Start a session with a connected device to save its settings.", DANGER_BOX
            )
            return
        program = self.service.programs.current(name)
        self.store.save_program(self._session.id, program, written=False, verified=False)
        show_message(self.program_message, f"Saved '{name}' (not written to the device yet).")
        self.program_name.clear()
        self._refresh_programs(select=program)
        self._refresh_log()  # the store does not announce its own writes

    def _load(self) -> None:
        self._loaded = self.selected_program()
        if self._loaded is not None:
            self._show_loaded()
            show_message(self.program_message, f"Loaded '{self._loaded.name}' beside the device's live settings.")

    def _show_loaded(self) -> None:
        program, live = by_lead(self._loaded.leads), dict(self.service.state.leads)
        self.compare_box.setTitle(f"'{self._loaded.name}' beside the device now")
        fill_lead_table(self.compare, [("saved", program), ("device", live)], highlight_against=program)
        differences = lead_differences(program, live, "program", "device")
        self.compare.setToolTip("\n".join(differences) or "The device runs exactly this program.")

    # -- apply (live, lead by lead) -------------------------------------------------------------------
    def _apply(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        self._applying = self._apply_steps(program)
        self._apply_epoch = self.service.stop_epoch  # a STOP ALL during Apply ends it at the next step
        self._update_buttons()
        self._next_step()

    def _apply_steps(self, program: Program) -> Iterator[Future]:
        """Each lead: settings, then a lower amplitude at once, the output switch, then a ramp up."""
        service = self.service
        for config in program.leads:
            show_message(self.program_message, f"Applying '{program.name}': lead {config.lead}\u2026")
            yield service.outputs.write_lead(config)
            if service.state.leads[config.lead].amplitude_ua > config.amplitude_ua:
                yield service.outputs.set_amplitude(config.lead, config.amplitude_ua)
            if service.state.leads[config.lead].enabled != config.enabled:
                yield service.outputs.set_enabled(config.lead, config.enabled)
            if service.state.leads[config.lead].amplitude_ua < config.amplitude_ua:
                yield from self._asked_first(
                    lambda lead=config.lead, ua=config.amplitude_ua: service.outputs.set_amplitude(lead, ua)
                )
                reached = service.state.leads[config.lead].amplitude_ua
                if reached < config.amplitude_ua:
                    raise ServiceError(f"Lead {config.lead} stopped at {reached} \u00b5A (ramp held or stopped).")
        reached = ", ".join(f"lead {n} {c.amplitude_ua} \u00b5A" for n, c in sorted(service.state.leads.items()))
        show_message(self.program_message, f"Applied '{program.name}' live (not stored): {reached}.", OK_BOX)

    def _asked_first(self, call: Callable[[], Future]) -> Iterator[Future]:
        """Yield `call`'s future; when the service asks for a confirmation first, yield the
        clinician's answer (the question in a dialog), then try again."""
        for _ in range(3):
            try:
                future = call()
            except ConfirmationRequired as exc:
                yield self._answer(exc)
                continue
            yield future
            return
        raise ServiceError("Apply stopped: the service kept asking for confirmations.")

    def _answer(self, exc: ConfirmationRequired) -> Future:
        """A future that completes when the clinician confirms (recorded) and fails if they do not."""
        answered: Future = Future()

        def yes() -> None:
            self.service.outputs.confirm(exc)
            answered.set_result(None)

        box = ask_confirmation(self, exc, yes)
        box.finished.connect(
            lambda _result: answered.done() or answered.set_exception(ServiceError("the rise was not confirmed"))
        )
        return answered

    def _next_step(self, done: Future | None = None) -> None:
        steps = self._applying
        if steps is None:
            return  # stopped meanwhile
        try:
            if done is not None and done.exception() is not None:
                raise done.exception()
            if self.service.stop_epoch != self._apply_epoch:
                raise ServiceError("STOP ALL was pressed.")
            future = next(steps)
        except StopIteration:
            self._applying = None
        except Exception as exc:  # noqa: BLE001 - a refusal or a device error ends the sequence where it is
            self._stop_applying(f"Apply stopped: {exc}")
        else:
            self.bridge.run(future, self._next_step)
        self._update_buttons()

    def _stop_applying(self, sentence: str) -> None:
        if self._applying is not None:
            self._applying.close()
            self._applying = None
            show_message(self.program_message, sentence, DANGER_BOX)
            self._update_buttons()

    # -- write ------------------------------------------------------------------------------------
    def _confirm_write(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        dialog = dialogs.Dialog("programWriteConfirm", self)
        dialog.setWindowTitle("Write program to device")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QLabel(
            f"Store '{program.name}' in the device? It replaces the stored program and is live at "
            "once; it is also what the device runs after the programmer disconnects. It is read back "
            "and compared. (A program that would raise any output must be applied to the leads "
            "first, so its amplitudes ramp.)"
        )
        text.setWordWrap(True)
        table = lead_table("programWriteTable", "Program to be stored")
        fill_lead_table(table, [("", by_lead(program.leads))])
        buttons = QDialogButtonBox()
        named(
            buttons.addButton("Write to device", QDialogButtonBox.ButtonRole.AcceptRole),
            "programWriteOk",
            "Write to device",
            "Store this program in the device and verify it.",
        )
        cancel = named(
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel), "programWriteCancel", "Cancel", "Do not write."
        )
        cancel.setDefault(True)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(table)
        layout.addWidget(QLabel(CONTACT_LEGEND))
        layout.addWidget(buttons)
        dialog.accepted.connect(lambda: self._write(program))
        dialog.resize(560, 320)
        dialog.open()

    def _write(self, program: Program) -> None:
        try:
            future = self.service.programs.write(program)
        except ServiceError as exc:
            show_message(self.verify_result, f"\u2716 Not written: {exc}", DANGER_BOX)
            return
        show_message(self.verify_result, f"Writing '{program.name}' and reading it back\u2026")
        self.write_button.setEnabled(False)
        self.bridge.run(future, self._write_done)

    def _write_done(self, future: Future) -> None:
        self._update_buttons()
        if future.exception() is not None:  # success shows through bridge.programWritten
            show_message(self.verify_result, f"\u2716 Not written: {future.exception()}", DANGER_BOX)
            self._refresh_programs()
            self._refresh_log()

    # -- notes and pain scores ------------------------------------------------------------------------
    def _add_note(self) -> None:
        try:
            self.service.recording.add_note(Note(self.note_text.toPlainText()))
        except (ValueError, ServiceError) as exc:
            show_message(self.note_message, str(exc), DANGER_BOX)
            return
        self.note_text.clear()
        show_message(self.note_message, f"Note added at {local_time(datetime.now(timezone.utc))}.")

    def _record_nrs(self) -> None:
        rated = [(when, box.value()) for when, box in self.nrs.items() if box.value() >= 0]
        if not rated:
            show_message(self.nrs_message, "Rate the pain before or after programming (0-10) first.", DANGER_BOX)
            return
        try:
            for when, nrs in rated:
                self.service.recording.record_pain_score(PainScore(nrs, when))
                self.nrs[when].setValue(-1)
        except (ValueError, ServiceError) as exc:
            show_message(self.nrs_message, str(exc), DANGER_BOX)
            return
        recorded = ", ".join(f"{when.value.lower()} {nrs}/10" for when, nrs in rated)
        show_message(self.nrs_message, f"Recorded NRS {recorded} at {local_time(datetime.now(timezone.utc))}.")
