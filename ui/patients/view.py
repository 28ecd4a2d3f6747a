"""Patient and session controls for the left column (about 300 px wide, under the spinal map).

Every change to the output is recorded against a session, so this is where a
visit begins (patient, clinician, Start), ends (with the unwritten-changes
guard) and, after a crash, is taken up again; lead placements come from clicks
on the spinal map. Pain is drawn on the Body map tab (ui/bodymap), per side.

objectNames (stable, for tests and automation):
    patientPanel        the panel
    patientSearch       filter patients by name or record number
    patientList         matching patients
    patientNew          "New patient…" -> patientDialog
    patientDialog       patientName, patientDob, patientRecordNumber, patientDialogMessage, OK / Cancel
    clinicianName       the logged-in user, the session's clinician (read-only)
    sessionStart, sessionEnd, sessionResume    session buttons
    sessionInfo         the current session: patient, record number, start, clinician, state, device
    sessionMessage      refusals and outcomes, as the service words them
    resumeDialog        unclosed sessions: resumeList, resumeAccept, resumeCancel, resumeMessage
    placeLeadDialog     placeChannel, placeImplantDate, placeLeadMessage, OK / Cancel
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from html import escape

from PySide6.QtCore import QSettings, QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.patients.forms import dialog_buttons
from ui.patients.patient_dialog import PatientDialog, patient_label
from ui.patients.place_dialog import PlaceLeadDialog
from ui.patients.resume_dialog import ResumeDialog
from ui.programs import confirm_discard_unwritten
from ui.theme import DANGER_BOX
from ui.widgets import local_time, message_label, named, show_message
from workstation.accounts import Permission
from workstation.models import LeadPlacement, Patient, Session, Side, SpinalLevel
from workstation.service import LinkState, ServiceError


class PatientPanel(QWidget):
    """Choose or add the patient, start / end / resume the session, and lead placement."""

    def __init__(
        self,
        bridge: ServiceBridge,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        names: LeadNames | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self.bridge = bridge
        self.names = names or LeadNames()  # the window's: the end-of-visit guard names leads by place
        self.service = bridge.service
        self.settings = settings or QSettings()
        self._search = 0  # the newest patient search; older answers are dropped
        self._session_patient: Patient | None = None  # of the active session, read once it starts
        self._placements: dict[int, LeadPlacement] = {}  # of the active session's patient
        self._build()
        bridge.sessionChanged.connect(self._session_changed)
        bridge.linkChanged.connect(lambda *_: self._show_session())
        bridge.deviceChanged.connect(lambda _state: self._show_session())
        bridge.placementChanged.connect(lambda placement: self._placements.__setitem__(placement.channel, placement))
        self._find_patients()
        self._session_changed(self.service.session)

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.search = named(
            QLineEdit(), "patientSearch", "Find patient", "Type part of a name or record number to find the patient."
        )
        self.search.setPlaceholderText("Find by name or record number")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self._find_patients())
        self.patients = named(
            QListWidget(), "patientList", "Patients", "Patients matching the search; select the one being programmed."
        )
        self.patients.setFixedHeight(3 * self.patients.fontMetrics().lineSpacing() + 8)
        self.new_patient = named(
            QPushButton("&New patient\u2026"), "patientNew", "New patient", "Add a patient to the records."
        )
        self.new_patient.clicked.connect(self._add_patient)
        self.patient_box = patient_box = QGroupBox("Patient")
        column = QVBoxLayout(patient_box)
        column.addWidget(self.search)
        column.addWidget(self.patients)
        column.addWidget(self.new_patient)

        self.clinician = named(
            QLineEdit(),
            "clinicianName",
            "Clinician",
            "The logged-in user: the clinician recorded with the session.",
        )
        self.clinician.setReadOnly(True)
        self.clinician.setPlaceholderText("Log in first")
        self.bridge.userChanged.connect(lambda _user, _locked: (self._show_user(), self._find_patients()))
        self._show_user()
        self.start = named(
            QPushButton("&Start"),
            "sessionStart",
            "Start session",
            "Open a session for the selected patient on the connected device.",
        )
        self.start.clicked.connect(self._start_session)
        self.end = named(
            QPushButton("&End\u2026"),
            "sessionEnd",
            "End session",
            "Close the session for good (asks first, and about unwritten changes).",
        )
        self.end.clicked.connect(lambda: self.end_session())
        self.resume = named(
            QPushButton("Resume\u2026"),
            "sessionResume",
            "Resume session",
            "Take up a session that was never ended (after a crash).",
        )
        self.resume.clicked.connect(self._choose_resumption)
        self.info = named(QLabel(), "sessionInfo", "Current session", "The session being recorded.")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = message_label("sessionMessage", "Session message", lines=2)
        session_box = QGroupBox("Session")
        form = QFormLayout(session_box)
        form.addRow("&Clinician:", self.clinician)
        buttons = QHBoxLayout()
        for button in (self.start, self.end, self.resume):
            buttons.addWidget(button)
        form.addRow(buttons)
        form.addRow(self.message)
        # the session's patient takes the place of the patient chooser: nothing below moves at Start
        self.top = QStackedWidget()
        self.top.setObjectName("patientOrSession")
        self.top.addWidget(patient_box)
        self.top.addWidget(self.info)
        self.top.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        for box in (self.top, session_box):
            layout.addWidget(box)
        layout.addStretch(1)

    # -- patients ----------------------------------------------------------------------------------
    def selected_patient(self) -> Patient | None:
        item = self.patients.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _find_patients(self, select: Patient | None = None) -> None:
        """Ask the records for the patients matching the search (off the GUI thread: one per keystroke,
        the newest answer wins). The answer keeps `select`, else the patient selected when it arrives."""
        self._search += 1
        search = self._search
        if not self._may_read():
            self.patients.clear()
            return
        future = self.service.recording.find_patients(self.search.text().strip())
        self.bridge.run(future, lambda done: isValid(self) and self._list_patients(search, done, select))

    def _list_patients(self, search: int, future: Future, select: Patient | None) -> None:
        if search != self._search:
            return
        if future.exception() is not None:
            show_message(self.message, f"Could not search the patients: {future.exception()}", DANGER_BOX)
            return
        select = select or self.selected_patient()  # chosen while the answer was on its way: kept
        self.patients.clear()
        for patient in future.result():
            item = QListWidgetItem(patient_label(patient))
            item.setToolTip(
                f"{patient.name}, born {patient.date_of_birth.isoformat()}, record number {patient.record_number}"
            )
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.patients.addItem(item)
            if patient == select:
                self.patients.setCurrentItem(item)

    def _add_patient(self) -> PatientDialog:
        dialog = PatientDialog(self.bridge, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._patient_added(dialog.patient))
        dialog.open()
        return dialog

    def _patient_added(self, patient: Patient) -> None:
        with QSignalBlocker(self.search):
            self.search.clear()
        self._find_patients(select=patient)
        show_message(self.message, f"Added {patient_label(patient)}.")

    def _may_read(self) -> bool:
        """Patients and sessions are shown to the roles that may read the records."""
        user, locked = self.service.access.user, self.service.access.locked
        return user is not None and not locked and user.may(Permission.HISTORY)

    def _show_user(self) -> None:
        if self.service.session is None:
            user = self.service.access.user
            self.clinician.setText("" if user is None else user.full_name)

    # -- sessions ----------------------------------------------------------------------------------
    def _start_session(self) -> None:
        patient = self.selected_patient()
        if patient is None:
            show_message(self.message, "Select the patient first (or add a new one).", DANGER_BOX)
            return
        try:
            future = self.service.recording.start_session(patient.id)  # its clinician: the logged-in user
        except (ServiceError, ValueError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.bridge.run(future, lambda done: isValid(self) and self._answered(done, ""))

    def _answered(self, future: Future, done_text: str) -> None:
        show_message(
            self.message,
            done_text if future.exception() is None else str(future.exception()),
            None if future.exception() is None else DANGER_BOX,
        )

    def end_session(self, action: str = "end", then: Callable[[], None] | None = None) -> None:
        """Ask, then end the session; `then` runs once it has ended (the window closing after it).
        Unwritten changes: their guard is the confirmation; otherwise a plain one (sessionEndConfirm)."""
        if self.service.session_id is None:
            return
        if self.service.programs.unwritten_changes():
            if confirm_discard_unwritten(
                self.bridge, self, self.names, "end the session" if action == "end" else action
            ):
                self._end_now(then)
            return
        ask = dialogs.Dialog("sessionEndConfirm", self)
        ask.setWindowTitle("End session")
        ask.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        first = "End this session?" if action == "end" else "The session is still open: end it and close?"
        text = QLabel(f"{first} It is closed for good: later changes can only be added as corrections.")
        text.setWordWrap(True)
        buttons = dialog_buttons(ask, "End session", "Close the session.")
        buttons.accepted.connect(ask.accept)
        layout = QVBoxLayout(ask)
        layout.addWidget(text)
        layout.addWidget(buttons)
        ask.accepted.connect(lambda: self._end_now(then))
        ask.open()

    def _end_now(self, then: Callable[[], None] | None = None) -> None:
        try:
            future = self.service.recording.end_session()
        except ServiceError as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.bridge.run(future, lambda done: isValid(self) and self._ended(done, then))

    def _ended(self, future: Future, then: Callable[[], None] | None) -> None:
        self._answered(future, "Session ended and closed.")
        if then is not None and future.exception() is None:
            then()

    def offer_resumption(self) -> Future:
        """At start-up: offer to resume sessions left unclosed by a crash. The future holds the dialog
        once it is open, or None when there is nothing to resume."""
        offered: Future = Future()
        if not self._may_read():
            offered.set_result(None)
            return offered

        def answered(future: Future) -> None:
            sessions = future.result() if future.exception() is None and isValid(self) else []
            if not sessions or self.service.session_id is not None:
                offered.set_result(None)
                return
            dialog = ResumeDialog(self.bridge, sessions, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
            offered.set_result(dialog)

        self.bridge.run(self.service.recording.unfinished(), answered)
        return offered

    def _choose_resumption(self) -> None:
        offered = self.offer_resumption()
        offered.add_done_callback(
            lambda f: (
                f.result() is None
                and self.bridge.in_gui(
                    lambda: isValid(self) and show_message(self.message, "There is no unfinished session to resume.")
                )
            )
        )

    def _session_changed(self, session: Session | None) -> None:
        """Read the session's patient and lead placements once (off the GUI thread), then show it."""
        self._session_patient, self._placements = None, {}
        if session is not None:
            recording = self.service.recording
            self.bridge.run(recording.patient(session.patient_id), lambda f: self._patient_read(session, f))
            self.bridge.run(recording.placements(session.patient_id), lambda f: self._placements_read(session, f))
        self._show_session()

    def _patient_read(self, session: Session, future: Future) -> None:
        if isValid(self) and self.service.session is session and future.exception() is None:
            self._session_patient = future.result()
            self._show_session()

    def _placements_read(self, session: Session, future: Future) -> None:
        if isValid(self) and self.service.session is session and future.exception() is None:
            self._placements = {**future.result(), **self._placements}  # a placement recorded meanwhile wins

    def _show_session(self) -> None:
        service = self.service
        session, patient = service.session, self._session_patient
        session_id = session.id if session else None
        device = service.state.identity
        connected = service.link_state == LinkState.CONNECTED and device is not None
        device_text = (
            f"Device {device.model} SN {device.serial}: {service.link_state.value}"
            if device
            else f"No device ({service.link_state.value})"
        )
        if session is None:
            self.info.setText(f"No session: choose the patient, then Start.\n{device_text}")
        elif patient is None:
            self.info.setText(f"Session {session.id}: reading the records\u2026\n{device_text}")
        else:
            self.clinician.setText(session.clinician)  # also when started or resumed elsewhere
            self.info.setText(
                f"<b>{escape(patient.name)}</b><br>Record {escape(patient.record_number)}, born "
                f"{patient.date_of_birth.isoformat()}<br>Started {local_time(session.started)} by "
                f"{escape(session.clinician)} \u00b7 <b>in progress</b><br>{escape(device_text)}"
            )
        active = session_id is not None
        self.top.setCurrentWidget(self.info if active else self.patient_box)
        self.start.setEnabled(not active)
        self.end.setEnabled(active)
        self.resume.setEnabled(not active)
        self.clinician.setEnabled(not active)  # recorded with the session when it started
        self.start.setToolTip(
            "Open a session for the selected patient on the connected device."
            if connected
            else "Connect to the patient's pulse generator first."
        )

    # -- lead placement ---------------------------------------------------------------------------
    def place_lead_at(self, level: SpinalLevel, side: Side) -> PlaceLeadDialog:
        """Slot for SpinalMap.ganglionClicked(level, side): the dialog proposes the first free channel."""
        return self.place_lead(None, level, side)

    def place_lead(self, channel: int | None, level: SpinalLevel, side: Side) -> PlaceLeadDialog:
        """Ask which channel and implant date for a ganglion clicked on the spinal map, then record it."""
        dialog = PlaceLeadDialog(self.bridge, level, side, channel, dict(self._placements), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: show_message(
                self.message,
                f"Lead {dialog.channel.currentData()} placed at {dialog.level.name} {dialog.side.value.lower()}.",
            )
        )
        dialog.open()
        return dialog
