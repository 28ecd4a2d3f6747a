"""Patient and session controls for the left column (about 300 px wide, under the spinal map).

Every change to the output is recorded against a session, so this is where a
visit begins (patient, clinician, Start), ends (with the unwritten-changes
guard) and, after a crash, is taken up again. Pain regions feed the spinal
map's suggested levels; lead placements come from clicks on that map.

objectNames (stable, for tests and automation):
    patientPanel        the panel
    patientSearch       filter patients by name or record number
    patientList         matching patients
    patientNew          "New patient…" -> patientDialog
    patientDialog       patientName, patientDob, patientRecordNumber, patientDialogMessage, OK / Cancel
    clinicianName       clinician's name (remembered with QSettings)
    sessionStart, sessionEnd, sessionResume    session buttons
    sessionInfo         the current session: patient, record number, start, clinician, state, device
    sessionMessage      refusals and outcomes, as the service words them
    resumeDialog        unclosed sessions: resumeList, resumeAccept, resumeCancel, resumeMessage
    painRegions         checkable pain regions -> suggestedLevelsChanged(list[SpinalLevel])
    suggestedLevels     the suggested levels, with their sources as tooltip
    placeLeadDialog     placeChannel, placeImplantDate, placeLeadMessage, OK / Cancel
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

from PySide6.QtCore import QDate, QSettings, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.programs_panel import confirm_discard_unwritten, unwritten_changes
from ui.theme import DANGER_BOX
from ui.widgets import local_time, message_label, named, show_message
from workstation import levels
from workstation.models import MAX_LEADS, LeadPlacement, Patient, Session, Side, SpinalLevel
from workstation.service import LinkState, ServiceError
from workstation.records.errors import RecordsError

CLINICIAN_KEY = "session/clinician"
DATE_FORMAT = "yyyy-MM-dd"


class BlankDateEdit(QDateEdit):
    """A date field that starts empty ("not entered"), so an untouched field is never a real date.

    Focus puts `start` in place so the date can be typed section by section
    (e.g. 19700315); leaving without typing anything makes it blank again.
    """

    def __init__(self, start: QDate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start = start
        self._seeded = False
        self.setDisplayFormat(DATE_FORMAT)
        self.setCalendarPopup(True)
        self.setMinimumDate(QDate(1899, 12, 31))  # the blank value, shown as the special text
        self.setMaximumDate(QDate.currentDate())
        self.setSpecialValueText("not entered")
        self.setDate(self.minimumDate())
        self.dateChanged.connect(self._entered)

    def value(self) -> date | None:
        return None if self.date() == self.minimumDate() else self.date().toPython()

    def _entered(self) -> None:
        self._seeded = False

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.value() is None:
            with QSignalBlocker(self):
                self.setDate(self._start)
            self._seeded = True
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.text():
            self._seeded = False
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._seeded:
            with QSignalBlocker(self):
                self.setDate(self.minimumDate())
            self._seeded = False


def dialog_buttons(dialog: QDialog, ok_text: str, ok_tip: str) -> QDialogButtonBox:
    """OK (which validates before closing) and Cancel, with names and tooltips."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    named(ok, f"{dialog.objectName()}Ok", ok_text, ok_tip)
    named(
        buttons.button(QDialogButtonBox.StandardButton.Cancel),
        f"{dialog.objectName()}Cancel",
        "Cancel",
        "Close without saving anything.",
    )
    buttons.rejected.connect(dialog.reject)
    return buttons


def form_rows(
    dialog: QDialog, rows: list[tuple], message: QLabel, ok: tuple[str, str], on_ok: Callable[[], None]
) -> None:
    """A form dialog: labelled fields, the message that says why OK did nothing, OK / Cancel."""
    form = QFormLayout(dialog)
    for row in rows:
        form.addRow(*row)
    form.addRow(message)
    buttons = dialog_buttons(dialog, *ok)
    buttons.accepted.connect(on_ok)
    form.addRow(buttons)


class PatientDialog(dialogs.Dialog):
    """New patient: nothing is saved unless the store accepts every field."""

    def __init__(self, store, parent: QWidget | None = None) -> None:
        super().__init__("patientDialog", parent)
        self.store = store
        self.patient: Patient | None = None
        self.setWindowTitle("New patient")
        self.name = named(QLineEdit(), "patientName", "Patient name", "The patient's full name.")
        self.dob = named(
            BlankDateEdit(QDate(1970, 1, 1)),
            "patientDob",
            "Date of birth",
            "Date of birth, year-month-day: type the digits, e.g. 19700315.",
        )
        self.record_number = named(
            QLineEdit(), "patientRecordNumber", "Record number", "The hospital record number; it must be unique."
        )
        self.message = message_label("patientDialogMessage", "Why the patient was not saved")
        form_rows(
            self,
            [("&Name:", self.name), ("&Date of birth:", self.dob), ("&Record number:", self.record_number)],
            self.message,
            ("Save patient", "Save the new patient in the records."),
            self._save,
        )

    def _save(self) -> None:
        born = self.dob.value()
        if born is None:
            show_message(self.message, "Enter the date of birth.", DANGER_BOX)
            self.dob.setFocus()
            return
        try:
            self.patient = self.store.add_patient(self.name.text(), born, self.record_number.text())
        except ValueError as exc:  # includes a duplicate record number
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.accept()


def patient_label(patient: Patient) -> str:
    return f"{patient.name} (record {patient.record_number})"


def session_label(store, session: Session) -> str:
    return (
        f"{patient_label(store.get_patient(session.patient_id))} \u00b7 started {local_time(session.started)} "
        f"by {session.clinician} \u00b7 device {session.device_serial} \u00b7 {session.state.value.lower()}"
    )


class ResumeDialog(dialogs.Dialog):
    """Sessions left unclosed (the workstation stopped during them); resumes the chosen one."""

    def __init__(self, bridge: ServiceBridge, sessions: list[Session], parent: QWidget | None = None) -> None:
        super().__init__("resumeDialog", parent)
        self.bridge = bridge
        self.setWindowTitle("Resume an unfinished session")
        intro = QLabel(
            "These sessions were not ended (the workstation stopped during them). Resume one to "
            "keep recording in it; everything recorded so far is kept."
        )
        intro.setWordWrap(True)
        self.sessions = named(QListWidget(), "resumeList", "Unfinished sessions", "Sessions never ended, newest first.")
        identity = bridge.service.state.identity
        for session in sessions:
            other = identity is not None and identity.serial != session.device_serial
            item = QListWidgetItem(
                session_label(bridge.service.records, session) + (" \u00b7 not the connected device" if other else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, session.id)
            self.sessions.addItem(item)
        self.sessions.setCurrentRow(0)
        self.sessions.itemDoubleClicked.connect(lambda _item: self._resume())
        self.message = message_label("resumeMessage", "Why the session was not resumed")
        buttons = QDialogButtonBox()
        resume = named(
            buttons.addButton("Resume", QDialogButtonBox.ButtonRole.AcceptRole),
            "resumeAccept",
            "Resume session",
            "Take up the selected session again.",
        )
        resume.setDefault(True)
        named(
            buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole),
            "resumeCancel",
            "Not now",
            "Leave the sessions unfinished; you can resume them later with Resume\u2026",
        )
        buttons.accepted.connect(self._resume)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.sessions)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, 260)

    def _resume(self) -> None:
        item = self.sessions.currentItem()
        if item is None:
            return
        try:
            self.bridge.service.recording.resume_session(item.data(Qt.ItemDataRole.UserRole))
        except (ServiceError, RecordsError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.accept()


class PlaceLeadDialog(dialogs.Dialog):
    """Which lead channel sits at a clicked ganglion, and since when; recorded in the session."""

    def __init__(
        self,
        bridge: ServiceBridge,
        level: SpinalLevel,
        side: Side,
        channel: int | None,
        current: dict[int, LeadPlacement],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("placeLeadDialog", parent)
        self.bridge, self.level, self.side, self.current = bridge, SpinalLevel.of(level), Side(side), current
        self.setWindowTitle(f"Lead at {self.level.name} {self.side.value.lower()}")
        caps = bridge.service.state.capabilities
        self.channel = named(
            QComboBox(), "placeChannel", "Lead channel", "The stimulator channel of the lead placed at this ganglion."
        )
        for lead in range(1, (caps.lead_count if caps else MAX_LEADS) + 1):
            there = current.get(lead)
            where = f" (now {there.level.name} {there.side.value.lower()})" if there else ""
            self.channel.addItem(f"Lead {lead}{where}", lead)
        free = next((lead for lead in range(1, self.channel.count() + 1) if lead not in current), 1)
        self.channel.setCurrentIndex(self.channel.findData(channel or free))
        self.implant_date = named(
            QDateEdit(), "placeImplantDate", "Implant date", "The day the lead was implanted (not in the future)."
        )
        self.implant_date.setDisplayFormat(DATE_FORMAT)
        self.implant_date.setCalendarPopup(True)
        self.implant_date.setMaximumDate(QDate.currentDate())
        self.channel.currentIndexChanged.connect(self._default_date)
        self._default_date()
        self.message = message_label("placeLeadMessage", "Why the placement was not recorded")
        form_rows(
            self,
            [
                (QLabel(f"Ganglion {self.level.name}, patient's {self.side.value.lower()} side."),),
                ("&Channel:", self.channel),
                ("&Implanted:", self.implant_date),
            ],
            self.message,
            ("Record placement", "Record this lead placement in the session."),
            self._record,
        )

    def _default_date(self) -> None:
        """A lead already placed keeps its implant date; a new one defaults to today."""
        there = self.current.get(self.channel.currentData())
        self.implant_date.setDate(QDate(there.implant_date) if there else QDate.currentDate())

    def _record(self) -> None:
        try:
            placement = LeadPlacement(
                self.channel.currentData(), self.level, self.side, self.implant_date.date().toPython()
            )
            self.bridge.service.recording.place_lead(placement)
        except (ValueError, ServiceError, RecordsError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.accept()


class PatientPanel(QWidget):
    """Choose or add the patient, start / end / resume the session, pain regions and lead placement."""

    suggestedLevelsChanged = Signal(list)  # list[SpinalLevel], best first

    def __init__(
        self, bridge: ServiceBridge, parent: QWidget | None = None, *, settings: QSettings | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self.bridge = bridge
        self.service = bridge.service
        self.store = bridge.service.records
        self.settings = settings or QSettings()
        self._build()
        bridge.sessionChanged.connect(lambda _session: self._show_session())
        bridge.linkChanged.connect(lambda *_: self._show_session())
        bridge.deviceChanged.connect(lambda _state: self._show_session())
        self._find_patients()
        self._show_session()

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
        self.patients.setMaximumHeight(90)
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
            QLineEdit(str(self.settings.value(CLINICIAN_KEY, ""))),
            "clinicianName",
            "Clinician",
            "Your name, recorded with the session (remembered).",
        )
        self.clinician.setPlaceholderText("Clinician's name")
        self.clinician.editingFinished.connect(self._remember_clinician)
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
        self.end.clicked.connect(self._end_session)
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
        self.message = message_label("sessionMessage", "Session message")
        session_box = QGroupBox("Session")
        form = QFormLayout(session_box)
        form.addRow("&Clinician:", self.clinician)
        buttons = QHBoxLayout()
        for button in (self.start, self.end, self.resume):
            buttons.addWidget(button)
        form.addRow(buttons)
        form.addRow(self.info)
        form.addRow(self.message)

        self.regions = named(
            QListWidget(),
            "painRegions",
            "Pain regions",
            "Tick where the patient has pain (Space toggles); the spinal map highlights "
            "the DRG levels that usually cover it.",
        )
        for region in levels.known_regions():
            item = QListWidgetItem(region)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(levels.region_levels(region).source)
            self.regions.addItem(item)
        self._two_columns(self.regions)
        self.regions.itemChanged.connect(lambda _item: self._suggest())
        self.suggested = named(
            QLabel("Suggested levels: none"),
            "suggestedLevels",
            "Suggested levels",
            "Tick pain regions to see suggested levels.",
        )
        self.suggested.setWordWrap(True)
        regions_box = QGroupBox("Pain regions")
        column = QVBoxLayout(regions_box)
        column.addWidget(self.regions)
        column.addWidget(self.suggested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        for box in (patient_box, session_box, regions_box):
            layout.addWidget(box)
        layout.addStretch(1)

    @staticmethod
    def _two_columns(regions: QListWidget) -> None:
        """Lay the regions out in two columns so all of them show without scrolling."""
        metrics = regions.fontMetrics()
        cell = QSize(
            max(metrics.horizontalAdvance(regions.item(row).text()) for row in range(regions.count())) + 34,
            metrics.height() + 6,
        )
        regions.setFlow(QListView.Flow.LeftToRight)
        regions.setWrapping(True)
        regions.setResizeMode(QListView.ResizeMode.Adjust)
        regions.setGridSize(cell)
        regions.setFixedHeight(-(-regions.count() // 2) * cell.height() + 2 * regions.frameWidth() + 4)
        regions.setMinimumWidth(2 * cell.width() + 2 * regions.frameWidth() + 4)

    # -- patients ----------------------------------------------------------------------------------
    def selected_patient(self) -> Patient | None:
        item = self.patients.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _find_patients(self, select: Patient | None = None) -> None:
        select = select or self.selected_patient()
        self.patients.clear()
        for patient in self.store.find_patients(self.search.text().strip()):
            item = QListWidgetItem(patient_label(patient))
            item.setToolTip(
                f"{patient.name}, born {patient.date_of_birth.isoformat()}, record number {patient.record_number}"
            )
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.patients.addItem(item)
            if patient == select:
                self.patients.setCurrentItem(item)

    def _add_patient(self) -> PatientDialog:
        dialog = PatientDialog(self.store, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._patient_added(dialog.patient))
        dialog.open()
        return dialog

    def _patient_added(self, patient: Patient) -> None:
        with QSignalBlocker(self.search):
            self.search.clear()
        self._find_patients(select=patient)
        show_message(self.message, f"Added {patient_label(patient)}.")

    def _remember_clinician(self) -> None:
        self.settings.setValue(CLINICIAN_KEY, self.clinician.text().strip())

    # -- sessions ----------------------------------------------------------------------------------
    def _start_session(self) -> None:
        patient, clinician = self.selected_patient(), self.clinician.text().strip()
        if patient is None:
            show_message(self.message, "Select the patient first (or add a new one).", DANGER_BOX)
            return
        if not clinician:
            show_message(self.message, "Enter your name as clinician first.", DANGER_BOX)
            self.clinician.setFocus()
            return
        self._remember_clinician()
        try:
            self.service.recording.start_session(patient.id, clinician)
        except (ServiceError, RecordsError, ValueError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        show_message(self.message, "")

    def _end_session(self) -> None:
        """Unwritten changes: their guard is the confirmation; otherwise a plain one (sessionEndConfirm)."""
        if self.service.session_id is None:
            return
        if unwritten_changes(self.service.state):
            if confirm_discard_unwritten(self.bridge, self, "end the session"):
                self._end_now()
            return
        ask = dialogs.Dialog("sessionEndConfirm", self)
        ask.setWindowTitle("End session")
        ask.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QLabel("End this session? It is closed for good: later changes can only be added as corrections.")
        text.setWordWrap(True)
        buttons = dialog_buttons(ask, "End session", "Close the session.")
        buttons.accepted.connect(ask.accept)
        layout = QVBoxLayout(ask)
        layout.addWidget(text)
        layout.addWidget(buttons)
        ask.accepted.connect(self._end_now)
        ask.open()

    def _end_now(self) -> None:
        try:
            self.service.recording.end_session()
        except (ServiceError, RecordsError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        show_message(self.message, "Session ended and closed.")

    def offer_resumption(self) -> ResumeDialog | None:
        """At start-up: offer to resume sessions left unclosed by a crash (None if there are none)."""
        sessions = [s for s in self.store.unclosed_sessions() if s.id != self.service.session_id]
        if not sessions or self.service.session_id is not None:
            return None
        dialog = ResumeDialog(self.bridge, sessions, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _choose_resumption(self) -> None:
        if self.offer_resumption() is None:
            show_message(self.message, "There is no unfinished session to resume.")

    def _show_session(self) -> None:
        service = self.service
        session_id = service.session_id
        device = service.state.identity
        connected = service.link_state == LinkState.CONNECTED and device is not None
        device_text = (
            f"Device {device.model} SN {device.serial}: {service.link_state.value}"
            if device
            else f"No device ({service.link_state.value})"
        )
        if session_id is None:
            self.info.setText(f"No session: choose the patient, then Start.\n{device_text}")
        else:
            session = self.store.get_session(session_id)
            patient = self.store.get_patient(session.patient_id)
            self.clinician.setText(session.clinician)  # also when started or resumed elsewhere
            self.info.setText(
                f"<b>{escape(patient.name)}</b><br>Record {escape(patient.record_number)}, born "
                f"{patient.date_of_birth.isoformat()}<br>Started {local_time(session.started)} by "
                f"{escape(session.clinician)} \u00b7 <b>{session.state.value.lower()}</b><br>{escape(device_text)}"
            )
        active = session_id is not None
        self.patient_box.setVisible(not active)  # the session names the patient; room for the map
        self.start.setEnabled(not active)
        self.end.setEnabled(active)
        self.resume.setEnabled(not active)
        self.clinician.setEnabled(not active)  # recorded with the session when it started
        self.start.setToolTip(
            "Open a session for the selected patient on the connected device."
            if connected
            else "Connect to the patient's pulse generator first."
        )

    # -- pain regions and lead placement ---------------------------------------------------------
    def checked_regions(self) -> list[str]:
        return [
            self.regions.item(row).text()
            for row in range(self.regions.count())
            if self.regions.item(row).checkState() == Qt.CheckState.Checked
        ]

    def _suggest(self) -> None:
        suggestions = levels.suggest_levels(self.checked_regions())
        names = ", ".join(level.name for level, _why in suggestions)
        self.suggested.setText(f"Suggested levels: {names or 'none'}")
        self.suggested.setToolTip(
            "\n".join(f"{level.name}: {'; '.join(why)}" for level, why in suggestions)
            or "Tick pain regions to see suggested levels."
        )
        self.suggestedLevelsChanged.emit([level for level, _why in suggestions])

    def place_lead_at(self, level: SpinalLevel, side: Side) -> PlaceLeadDialog:
        """Slot for SpinalMap.ganglionClicked(level, side): the dialog proposes the first free channel."""
        return self.place_lead(None, level, side)

    def place_lead(self, channel: int | None, level: SpinalLevel, side: Side) -> PlaceLeadDialog:
        """Ask which channel and implant date for a ganglion clicked on the spinal map, then record it."""
        session_id = self.service.session_id
        current = (
            self.store.current_placements(self.store.get_session(session_id).patient_id)
            if session_id is not None
            else {}
        )
        dialog = PlaceLeadDialog(self.bridge, level, side, channel, current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: show_message(
                self.message,
                f"Lead {dialog.channel.currentData()} placed at {dialog.level.name} {dialog.side.value.lower()}.",
            )
        )
        dialog.open()
        return dialog
