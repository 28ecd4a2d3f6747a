"""Programs, unwritten changes and the session log: where a visit's work is saved and checked.

The facts sheet's first complaint is lost programs and measurements, so this
panel keeps the difference between what the device runs now (its live lead
settings) and what it keeps after the programmer leaves (its stored program)
visible at all times, and lets nothing close over that difference unasked.
The work itself (save, apply, write and verify) is the service's
(`service.programs`); the panel asks and shows.

objectNames (stable, for tests and automation):
    programsPanel        the panel
    unwrittenBadge       its line says so while live settings differ from the stored program
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

from concurrent.futures import Future
from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from drivers.types import Program
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.programs.asker import clinician_asker
from ui.programs.notes import NotesBox
from ui.programs.session_log import SessionLog
from ui.programs.tables import fill_lead_table, lead_table, status_line
from ui.programs.unwritten import confirm_discard_unwritten
from ui.programs.write_dialog import ask_write
from ui.theme import DANGER_BOX, OK_BOX, WARNING_BOX, Tone
from ui.widgets import local_time, message_label, named, show_message
from workstation.events import EventKind
from workstation.models import Session
from workstation.records import SavedProgram
from workstation.service import ApplyProgress, OutcomeSettled, ServiceError, WriteResult
from workstation.wording import CONTACT_LEGEND, VERIFIED_TEXT, by_lead, lead_differences, lead_text


class ProgramsPanel(QWidget):
    """Save, compare, apply and write programs; see unwritten changes; log, notes and pain scores."""

    def __init__(self, bridge: ServiceBridge, parent: QWidget | None = None, *, names: LeadNames | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("programsPanel")
        self.names = names or LeadNames()
        self.bridge = bridge
        self.service = bridge.service
        self._session: Session | None = None  # the active session
        self._shown_session: Session | None = None  # the one whose log and history are shown
        self._loaded: Program | None = None
        self._applying: Future | None = None
        self._saving = False  # a save is on its way to the records: not again until it is there
        self._build()
        bridge.sessionChanged.connect(self._session_changed)
        for signal in (bridge.leadChanged, bridge.deviceChanged, bridge.stopped):
            signal.connect(self._device_changed)
        bridge.programWritten.connect(self._program_written)
        bridge.programSaved.connect(lambda program: self._refresh_programs(select=program))
        bridge.outcomeSettled.connect(self._outcome_settled)
        bridge.deviceReverted.connect(lambda change: show_message(self.program_message, change.sentence, WARNING_BOX))
        self._session_changed(self.service.session)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        # a reserved line: a badge that came and went moved every control of the tab (issue 14.1)
        self.badge = message_label("unwrittenBadge", "Unwritten changes", lines=1)
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
        self.save_button = self._button(
            "Save current as\u2026",
            "programSave",
            "Save current settings as",
            "Save the device's live lead settings under this name (not yet written).",
            self._save,
        )
        self.load_button = self._button(
            "&Load",
            "programLoad",
            "Load program",
            "Show the selected program beside the device's current settings.",
            self._load,
        )
        self.apply_button = self._button(
            "&Apply to leads",
            "programApply",
            "Apply program to leads",
            "Make the selected program live lead by lead; amplitudes ramp up under the "
            "safety rules. Not stored until written.",
            self._apply,
        )
        self.write_button = self._button(
            "&Write to device\u2026",
            "programWrite",
            "Write program to device",
            "Store the selected program in the device, then read it back and verify.",
            self._confirm_write,
        )
        self.program_message = message_label("programMessage", "Program message", lines=2)
        self.verify_result = message_label("programVerifyResult", "Verification result", lines=1)
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

        self.log = SessionLog(self.bridge, self.names)
        log_box = QGroupBox("Session log")
        QVBoxLayout(log_box).addWidget(self.log)
        self.notes = NotesBox(self.bridge)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(log_box)
        bottom.addWidget(self.notes)
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

    @staticmethod
    def _button(text: str, name: str, accessible: str, tip: str, slot) -> QPushButton:
        button = named(QPushButton(text), name, accessible, tip)
        button.clicked.connect(slot)
        return button

    # -- public -------------------------------------------------------------------------------
    def has_unwritten_changes(self) -> bool:
        return bool(self.service.programs.unwritten_changes())

    def confirm_discard_unwritten(self, parent: QWidget | None = None, action: str = "close") -> bool:
        """The close / end-session guard: True when it is fine to go on."""
        return confirm_discard_unwritten(self.bridge, parent or self, self.names, action)

    def names_changed(self) -> None:
        """A lead was placed: the comparison names it by where it sits (the log's new rows too)."""
        if self._loaded is not None:
            self._show_loaded()

    def selected_program(self) -> Program | None:
        item = self.program_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    # -- reacting to the service ------------------------------------------------------------------
    def _session_changed(self, session: Session | None) -> None:
        """A new session gets a fresh log; an ended one stays on screen until the next starts
        (its messages do not: they were about the last patient)."""
        for label in (self.program_message, self.verify_result, self.notes.note_message, self.notes.nrs_message):
            show_message(label, None)
        if session is not None:
            self._shown_session = session
            self.log.follow(session.id)
        self._session = session
        self._refresh_programs()
        self._update_buttons()

    def _device_changed(self, *_args: object) -> None:
        changes = self.service.programs.unwritten_changes()
        stored = self.service.state.stored_program
        show_message(
            self.badge,
            f"\u26a0 Unwritten changes: {len(changes)} live setting{'s differ' if len(changes) != 1 else ' differs'} "
            f"from the stored program '{stored.name}'. Write to keep them."
            if changes and stored
            else "",
            WARNING_BOX,
        )
        self.badge.setToolTip("\n".join(changes))
        if self._loaded is not None:
            self._show_loaded()
        self._mark_on_device()

    def _program_written(self, result: WriteResult) -> None:
        show_message(self.program_message, None)  # "not written to the device yet", "not stored": untrue now
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
    def _outcome_settled(self, settled: OutcomeSettled) -> None:
        """A write whose outcome was unknown is settled now that the device is back: say how."""
        if settled.kind == EventKind.PROGRAM_SAVED:
            tone = OK_BOX if settled.corrected.get("verified") else DANGER_BOX
            show_message(self.program_message, settled.sentence, tone)
            self._refresh_programs()

    def _refresh_programs(self, select: Program | None = None) -> None:
        """Read the patient's programs (off the GUI thread), then list them."""
        shown = self._shown_session
        select = select or self.selected_program()
        if shown is None:
            self._list_programs([], select)
            return
        future = self.service.programs.history(shown.patient_id)
        self.bridge.run(future, lambda done: isValid(self) and self._programs_read(shown, done, select))

    def _programs_read(self, shown: Session, future: Future, select: Program | None) -> None:
        if shown is self._shown_session and future.exception() is None:
            self._list_programs(future.result(), select)

    def _list_programs(self, history: list[SavedProgram], select: Program | None) -> None:
        shown = self._shown_session
        latest = {saved.program: saved for saved in history}  # oldest first: the last record wins
        self.program_list.clear()
        stored = self.service.state.stored_program
        if stored is not None and stored not in latest:
            self._add_program_item(stored, "stored on the device (not in the records)", None)
        for saved in sorted(latest.values(), key=lambda s: s.time, reverse=True):
            status, tone = status_line(saved.written, saved.verified, saved.mismatch)
            where = "this session" if shown and saved.session_id == shown.id else "earlier session"
            self._add_program_item(saved.program, f"{status} \u00b7 {local_time(saved.time)} ({where})", tone)
        self._mark_on_device()
        for row in range(self.program_list.count()):
            if self.program_list.item(row).data(Qt.ItemDataRole.UserRole) == select:
                self.program_list.setCurrentRow(row)
        self._update_buttons()

    def _add_program_item(self, program: Program, status: str, tone: Tone | None) -> None:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, program)
        item.setData(Qt.ItemDataRole.UserRole + 1, status)
        item.setToolTip("\n".join(lead_text(config) for config in program.leads))
        if tone:
            item.setForeground(QColor(tone.ink))
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
        self.save_button.setEnabled(active and not self._saving)
        self.notes.set_active(active)

    # -- save, load ---------------------------------------------------------------------------
    def _save(self) -> None:
        if self._saving:  # a second click or Return before the first save is recorded
            return
        name = self.program_name.text().strip()
        if not name:
            show_message(self.program_message, "Name the program before saving it.", DANGER_BOX)
            self.program_name.setFocus()
            return
        try:
            future = self.service.programs.save(name)
        except ServiceError as exc:
            show_message(self.program_message, f"Not saved: {exc}", DANGER_BOX)
            return
        self._saving = True
        self._update_buttons()
        self.bridge.run(future, lambda done: isValid(self) and self._saved(name, done))

    def _saved(self, name: str, future: Future) -> None:
        self._saving = False
        self._update_buttons()
        if future.exception() is not None:
            show_message(self.program_message, f"Not saved: {future.exception()}", DANGER_BOX)
            return
        show_message(self.program_message, f"Saved '{name}' (not written to the device yet).")
        self.program_name.clear()

    def _load(self) -> None:
        self._loaded = self.selected_program()
        if self._loaded is not None:
            self._show_loaded()
            show_message(self.program_message, f"Loaded '{self._loaded.name}' beside the device's live settings.")

    def _show_loaded(self) -> None:
        program, live = by_lead(self._loaded.leads), dict(self.service.state.leads)
        self.compare_box.setTitle(f"'{self._loaded.name}' beside the device now")
        fill_lead_table(
            self.compare, [("saved", program), ("device", live)], highlight_against=program, names=self.names
        )
        differences = lead_differences(program, live, "program", "device")
        self.compare.setToolTip("\n".join(differences) or "The device runs exactly this program.")

    # -- apply (live, lead by lead: the service's work) -------------------------------------------
    def _apply(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        try:
            self._applying = self.service.programs.apply(
                program, clinician_asker(self, self.bridge, self.names), self._progress
            )
        except ServiceError as exc:
            show_message(self.program_message, f"Apply stopped: {exc}", DANGER_BOX)
            return
        self._update_buttons()
        self.bridge.run(self._applying, lambda done: isValid(self) and self._applied(program, done))

    def _progress(self, step: ApplyProgress) -> None:
        if step.lead is not None:
            text = f"Applying '{step.program.name}': {self.names.name(step.lead)}\u2026"
            self.bridge.in_gui(lambda: isValid(self) and show_message(self.program_message, text))

    def _applied(self, program: Program, future: Future) -> None:
        self._applying = None
        self._update_buttons()
        if future.exception() is not None:
            show_message(self.program_message, f"Apply stopped: {future.exception()}", DANGER_BOX)
            return
        leads = self.service.state.leads
        reached = ", ".join(f"{self.names.name(n)} {c.amplitude_ua} \u00b5A" for n, c in sorted(leads.items()))
        show_message(self.program_message, f"Applied '{program.name}' live (not stored): {reached}.", OK_BOX)

    # -- write ------------------------------------------------------------------------------------
    def _confirm_write(self) -> None:
        program = self.selected_program()
        if program is not None:
            ask_write(self, program, self._write, self.names)

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
        if not isValid(self):
            return
        self._update_buttons()
        if future.exception() is not None:  # success shows through bridge.programWritten
            show_message(self.verify_result, f"\u2716 Not written: {future.exception()}", DANGER_BOX)
            self._refresh_programs()
