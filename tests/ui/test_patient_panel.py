"""The patient and session panel, driven with real keys and clicks against a simulated device."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QPushButton
from shiboken6 import isValid

from ui.bridge import ServiceBridge
from ui.patients import PatientPanel
from ui.spinal_map import SpinalMap
from ui.testing.plugin import qa_user
from workstation.models import LeadPlacement, SessionState, Side, SpinalLevel
from workstation.service import ProgrammingService

WAIT_MS = 5000


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def make_panel(qtbot, service, settings) -> PatientPanel:
    panel = PatientPanel(ServiceBridge(service), settings=settings)
    qtbot.addWidget(panel)
    panel.resize(300, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def panel(qtbot, drg_service, settings) -> PatientPanel:
    return make_panel(qtbot, drg_service, settings)


def dialog_named(panel, name: str) -> QDialog:
    dialog = panel.findChild(QDialog, name)
    assert dialog is not None and dialog.isVisible(), f"{name} is not shown"
    return dialog


def closed(dialog: QDialog) -> bool:
    """The dialog is gone (closed, or closed and deleted)."""
    return not isValid(dialog) or not dialog.isVisible()


def click(qtbot, dialog: QDialog, button: str) -> None:
    qtbot.mouseClick(dialog.findChild(QPushButton, button), Qt.MouseButton.LeftButton)


def fill_patient_dialog(qtbot, panel, name: str, born: str, record: str) -> QDialog:
    """Open New patient and type into its fields, moving between them with Tab as a clinician does."""
    qtbot.mouseClick(panel.findChild(QPushButton, "patientNew"), Qt.MouseButton.LeftButton)
    dialog = dialog_named(panel, "patientDialog")
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    name_field = dialog.name
    name_field.setFocus()
    qtbot.keyClicks(name_field, name)
    qtbot.keyClick(name_field, Qt.Key.Key_Tab)
    assert dialog.dob.hasFocus()
    if born:
        qtbot.keyClicks(dialog.dob, born)  # the sections advance as the digits fill them
        qtbot.keyClick(dialog.dob, Qt.Key.Key_Tab)
    else:  # skipped: the clinician clicks on to the next field
        qtbot.mouseClick(dialog.record_number, Qt.MouseButton.LeftButton)
    assert dialog.record_number.hasFocus()
    qtbot.keyClicks(dialog.record_number, record)
    qtbot.keyClick(dialog.record_number, Qt.Key.Key_Return)
    return dialog


def test_new_patient_typed_in_the_dialog_is_saved_and_selected(qtbot, panel, drg_store):
    dialog = fill_patient_dialog(qtbot, panel, "Maria Gonzalez", "19680412", "RN-204518")

    qtbot.waitUntil(lambda: panel.selected_patient() is not None, timeout=WAIT_MS)
    assert closed(dialog)
    [patient] = drg_store.find_patients("Gonzalez")
    assert (patient.name, patient.date_of_birth, patient.record_number) == (
        "Maria Gonzalez",
        date(1968, 4, 12),
        "RN-204518",
    )
    assert panel.selected_patient() == patient
    assert "Maria Gonzalez (record RN-204518)" in panel.patients.currentItem().text()


@pytest.mark.parametrize(
    ("name", "born", "record", "sentence"),
    [
        ("", "19680412", "RN-1", "The patient's name is missing."),
        ("Maria Gonzalez", "", "RN-1", "Enter the date of birth."),
        ("Maria Gonzalez", "19680412", "QA-0001", "Another patient already has record number QA-0001."),
    ],
)
def test_invalid_patient_shows_why_next_to_the_fields_and_saves_nothing(
    qtbot, panel, drg_store, drg_patient, name, born, record, sentence
):
    dialog = fill_patient_dialog(qtbot, panel, name, born, record)

    qtbot.waitUntil(lambda: dialog.message.text() == sentence, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.message.isVisible()
    assert drg_store.find_patients() == [drg_patient]


def select_patient(qtbot, panel, patient) -> None:
    qtbot.keyClicks(panel.search, patient.record_number)
    panel.service.wait_idle()  # every search has been answered; the newest answer is listed
    qtbot.waitUntil(
        lambda: panel.patients.count() == 1 and panel.patients.item(0).data(Qt.ItemDataRole.UserRole) == patient,
        timeout=WAIT_MS,
    )
    item = panel.patients.item(0)
    qtbot.mouseClick(
        panel.patients.viewport(), Qt.MouseButton.LeftButton, pos=panel.patients.visualItemRect(item).center()
    )
    assert panel.selected_patient() == patient


def test_start_then_end_session_records_both_with_the_logged_in_user_as_clinician(
    qtbot, panel, drg_service, drg_store, drg_patient
):
    assert panel.clinician.text() == "QA Clinician" and panel.clinician.isReadOnly()
    select_patient(qtbot, panel, drg_patient)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "QA Clinician" in panel.info.text(), timeout=WAIT_MS)
    session_id = drg_service.session_id
    assert session_id is not None
    session = drg_store.get_session(session_id)
    assert (session.patient_id, session.clinician) == (drg_patient.id, "QA Clinician")
    assert "Test Patient" in panel.info.text()
    assert not panel.start.isEnabled() and panel.end.isEnabled()

    qtbot.mouseClick(panel.end, Qt.MouseButton.LeftButton)
    click(qtbot, dialog_named(panel, "sessionEndConfirm"), "sessionEndConfirmOk")

    qtbot.waitUntil(lambda: "No session" in panel.info.text(), timeout=WAIT_MS)
    assert panel.message.text() == "Session ended and closed."
    assert drg_service.session_id is None
    assert drg_store.get_session(session_id).state is SessionState.CLOSED
    assert "No session" in panel.info.text() and panel.start.isEnabled()


def test_cancelling_the_end_confirmation_keeps_the_session(qtbot, panel, drg_service, drg_session):
    qtbot.waitUntil(panel.end.isEnabled, timeout=WAIT_MS)  # the panel shows the session started meanwhile
    qtbot.mouseClick(panel.end, Qt.MouseButton.LeftButton)
    click(qtbot, dialog_named(panel, "sessionEndConfirm"), "sessionEndConfirmCancel")
    assert drg_service.session_id == drg_session


def test_start_without_a_device_shows_the_services_sentence(qtbot, drg_store, drg_patient, settings):
    service = ProgrammingService(drg_store, user=qa_user())  # never connected
    try:
        panel = make_panel(qtbot, service, settings)
        select_patient(qtbot, panel, drg_patient)
        qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
        assert panel.message.text() == "Connect to the patient's pulse generator before starting a session."
        assert service.session_id is None and drg_store.unclosed_sessions() == []
    finally:
        service.shutdown()


def test_start_needs_a_patient_and_its_clinician_is_the_logged_in_user(qtbot, panel, drg_service, drg_patient):
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    assert panel.message.text() == "Select the patient first (or add a new one)."
    assert drg_service.session_id is None
    assert panel.clinician.isReadOnly() and panel.clinician.text() == "QA Clinician"
    select_patient(qtbot, panel, drg_patient)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: drg_service.session is not None, timeout=WAIT_MS)
    assert drg_service.session.clinician == "QA Clinician"


def offered(qtbot, panel) -> QDialog | None:
    """What offer_resumption() opened, once the records have answered."""
    future = panel.offer_resumption()
    qtbot.waitUntil(future.done, timeout=WAIT_MS)
    return future.result()


def test_crashed_session_is_offered_and_resumed(qtbot, panel, drg_service, drg_store, drg_patient):
    assert offered(qtbot, panel) is None  # nothing unclosed yet
    state = drg_service.state
    crashed = drg_store.open_session(drg_patient.id, state.identity, state.capabilities, "Dr Before Crash")
    drg_store.log_event(crashed.id, "note_added", {"text": "before the crash"}, "recorded")

    dialog = offered(qtbot, panel)

    assert dialog is dialog_named(panel, "resumeDialog")
    assert "Dr Before Crash" in dialog.sessions.item(0).text()
    click(qtbot, dialog, "resumeAccept")
    qtbot.waitUntil(lambda: "Dr Before Crash" in panel.info.text(), timeout=WAIT_MS)
    assert closed(dialog)
    assert drg_service.session_id == crashed.id
    assert drg_store.get_session(crashed.id).state is SessionState.ACTIVE
    assert [e.kind for e in drg_store.session_events(crashed.id)][-1] == "session_resumed"


def test_clicking_a_ganglion_asks_for_the_channel_and_records_it(qtbot, panel, drg_store, drg_patient, drg_session):
    spinal_map = SpinalMap()
    qtbot.addWidget(spinal_map)
    spinal_map.ganglionClicked.connect(panel.place_lead_at)
    spinal_map.ganglionClicked.emit(SpinalLevel.L4, Side.LEFT)
    dialog = dialog_named(panel, "placeLeadDialog")
    assert dialog.channel.currentData() == 1  # the first channel without a placement
    dialog.channel.setFocus()
    qtbot.keyClick(dialog.channel, Qt.Key.Key_Down)
    click(qtbot, dialog, "placeLeadDialogOk")

    qtbot.waitUntil(lambda: panel.message.text() == "Lead 2 placed at L4 left.", timeout=WAIT_MS)
    assert closed(dialog)
    assert drg_store.current_placements(drg_patient.id) == {
        2: LeadPlacement(2, SpinalLevel.L4, Side.LEFT, date.today())
    }


def test_place_lead_without_a_session_explains_and_records_nothing(qtbot, panel, drg_store, drg_patient):
    dialog = panel.place_lead(3, SpinalLevel.S1, Side.RIGHT)
    click(qtbot, dialog, "placeLeadDialogOk")
    assert dialog.isVisible() and dialog.message.text().startswith("Start or resume a session first")
    assert drg_store.current_placements(drg_patient.id) == {}
