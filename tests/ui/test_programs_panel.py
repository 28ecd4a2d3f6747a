"""The programs and session-log panel against a simulated device: what the user sees and what the device holds."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QPushButton
from shiboken6 import isValid

from drivers.types import Polarity, Program
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.patients import PatientPanel
from ui.programs import ProgramsPanel
from ui.testing.actions import raise_amplitude
from ui.theme import DANGER, WARNING_TINT
from workstation.models import LeadPlacement, PainTiming, Side, SpinalLevel
from workstation.service import SafetyRefused

WAIT_MS = 5000
BIPOLE = (Polarity.ANODE, Polarity.CATHODE, Polarity.OFF, Polarity.OFF)


@pytest.fixture
def bridge(drg_service) -> ServiceBridge:
    return ServiceBridge(drg_service)


@pytest.fixture
def panel(qtbot, bridge, drg_session) -> ProgramsPanel:
    widget = ProgramsPanel(bridge)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def button(widget, name: str) -> QPushButton:
    return widget.findChild(QPushButton, name)


def change_lead_1(service, **settings) -> None:
    """A live change made elsewhere (e.g. the lead programming screen)."""
    service.outputs.write_lead(service.state.leads[1].with_(**settings)).result(5)


def save_current(qtbot, panel, name: str, twice: bool = False):
    """Save the live settings under `name` (clicking Save `twice` in a row); the list re-reads
    the records and selects it."""
    qtbot.keyClicks(panel.program_name, name)
    qtbot.mouseClick(button(panel, "programSave"), Qt.MouseButton.LeftButton)
    if twice:
        qtbot.keyClick(panel.program_name, Qt.Key.Key_Return)

    def selected() -> bool:
        program = panel.selected_program()
        return program is not None and program.name == name

    qtbot.waitUntil(selected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.program_message.text().startswith(f"Saved '{name}'"), timeout=WAIT_MS)
    return panel.selected_program()


def log_rows(panel) -> list[tuple[str, str, str]]:
    log = panel.log
    return [tuple(log.item(row, col).text() for col in (1, 2, 3)) for row in range(log.rowCount())]


def wait_for_log(qtbot, panel, row: tuple[str, str, str]) -> None:
    qtbot.waitUntil(lambda: row in log_rows(panel), timeout=WAIT_MS)


def answer_modal(qtbot, object_name: str, button_name: str) -> None:
    """Click a button of a modal dialog shown with exec() once it appears (the caller then blocks in exec).

    Gives up after about two seconds so a dialog that never came cannot be answered by a later test.
    """

    def attempt(tries_left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and dialog.objectName() == object_name:
            qtbot.mouseClick(dialog.findChild(QPushButton, button_name), Qt.MouseButton.LeftButton)
        elif tries_left:
            QTimer.singleShot(20, lambda: attempt(tries_left - 1))

    QTimer.singleShot(0, lambda: attempt(100))


def test_save_then_write_with_confirmation_verifies_and_marks_the_program(
    qtbot, panel, drg_service, drg_device, drg_store, drg_patient
):
    change_lead_1(drg_service, contacts=BIPOLE, pulse_width_us=300, frequency_hz=20, patient_max_ua=2000)
    program = save_current(qtbot, panel, "Daytime", twice=True)

    assert "saved, not written" in panel.program_list.currentItem().text()
    wait_for_log(qtbot, panel, ("Program", "recorded", "'Daytime': saved, not written"))
    drg_service.wait_idle(5)
    assert [saved.program for saved in drg_store.program_history(drg_patient.id)] == [program]  # saved once
    assert drg_device.stored_program != program

    qtbot.mouseClick(button(panel, "programWrite"), Qt.MouseButton.LeftButton)
    confirm = panel.findChild(QDialog, "programWriteConfirm")
    assert confirm.isVisible()
    shown = confirm.findChild(object, "programWriteTable")
    assert [shown.item(row, 0).text() for row in range(shown.rowCount())] == [
        "+ \u2212 \u00b7 \u00b7",
        "0",
        "300",
        "20",
        "off",
        "2000",
    ]
    qtbot.mouseClick(button(confirm, "programWriteOk"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(
        lambda: "Verified: device holds exactly this program" in panel.verify_result.text(), timeout=WAIT_MS
    )
    # what the slot shows (the sentence, cut at a word if it must be), not a lone '…' as it did
    assert QLabel.text(panel.verify_result).startswith("\u2714 Verified: device holds exactly this program")
    assert panel.program_message.text() == ""  # "Saved 'Daytime' (not written to the device yet)" is untrue now
    assert drg_device.stored_program == program
    qtbot.waitUntil(lambda: "written and verified" in panel.program_list.currentItem().text(), timeout=WAIT_MS)
    assert panel.selected_program() == program
    assert "on device" in panel.program_list.currentItem().text()
    assert drg_store.program_history(drg_patient.id)[-1].verified
    wait_for_log(qtbot, panel, ("Program", "recorded", "'Daytime': written and verified"))


def test_cancelling_the_write_confirmation_writes_nothing(qtbot, panel, drg_service, drg_device):
    change_lead_1(drg_service, pulse_width_us=200)
    before = drg_device.stored_program
    save_current(qtbot, panel, "Not now")
    qtbot.mouseClick(button(panel, "programWrite"), Qt.MouseButton.LeftButton)
    confirm = panel.findChild(QDialog, "programWriteConfirm")
    qtbot.mouseClick(button(confirm, "programWriteCancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not isValid(confirm) or not confirm.isVisible(), timeout=WAIT_MS)
    drg_service.wait_idle(5)  # anything the click had queued has run
    assert drg_device.stored_program == before
    assert not panel.verify_result.text()  # its reserved place stays empty


def test_a_refused_write_shows_the_services_sentence_and_changes_nothing(
    qtbot, panel, drg_service, drg_store, drg_device, drg_session
):
    live = drg_service.programs.current("Unsafe")
    unsafe = Program("Unsafe", (live.leads[0].with_(amplitude_ua=500),) + live.leads[1:])  # no anode/cathode
    drg_store.save_program(drg_session, unsafe, written=False, verified=False)
    save_current(qtbot, panel, "Refresh")  # the list re-reads the records
    programs = panel.program_list
    programs.setCurrentRow(
        next(row for row in range(programs.count()) if programs.item(row).text().startswith("Unsafe"))
    )
    stored = drg_device.stored_program

    qtbot.mouseClick(button(panel, "programWrite"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(
        button(panel.findChild(QDialog, "programWriteConfirm"), "programWriteOk"), Qt.MouseButton.LeftButton
    )

    assert panel.verify_result.text().startswith("\u2716 Not written: Lead 1 needs at least one anode (+)")
    assert DANGER in panel.verify_result.styleSheet()
    assert drg_device.stored_program == stored


def test_unwritten_changes_show_until_written(qtbot, panel, drg_service):
    assert not panel.has_unwritten_changes() and not panel.badge.text()

    change_lead_1(drg_service, pulse_width_us=300)

    qtbot.waitUntil(lambda: panel.badge.text().startswith("\u26a0 Unwritten changes"), timeout=WAIT_MS)
    assert panel.has_unwritten_changes()
    assert "Lead 1 pulse width: live 300 \u00b5s, stored 40 \u00b5s" in panel.badge.toolTip()

    save_current(qtbot, panel, "Wider")
    qtbot.mouseClick(button(panel, "programWrite"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(
        button(panel.findChild(QDialog, "programWriteConfirm"), "programWriteOk"), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: not panel.has_unwritten_changes() and not panel.badge.text(), timeout=WAIT_MS)


def test_guard_cancel_keeps_everything_and_returns_false(qtbot, panel, drg_service, drg_device):
    assert panel.confirm_discard_unwritten(panel)  # nothing unwritten: no question asked
    change_lead_1(drg_service, frequency_hz=20)
    stored = drg_device.stored_program
    answer_modal(qtbot, "unwrittenDialog", "unwrittenCancel")
    assert not panel.confirm_discard_unwritten(panel)
    assert drg_device.stored_program == stored and panel.has_unwritten_changes()


def test_guard_write_now_stores_the_live_settings(qtbot, panel, drg_service, drg_device):
    change_lead_1(drg_service, frequency_hz=20)
    answer_modal(qtbot, "unwrittenDialog", "unwrittenWrite")
    assert panel.confirm_discard_unwritten(panel)
    assert drg_device.stored_program.leads == drg_device.live_leads
    assert drg_device.stored_program.leads[0].frequency_hz == 20
    assert not panel.has_unwritten_changes()


def test_end_session_with_unwritten_changes_asks_and_discard_ends_it(
    qtbot, panel, bridge, drg_service, drg_store, drg_device, tmp_path
):
    from PySide6.QtCore import QSettings

    patient_panel = PatientPanel(bridge, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(patient_panel)
    session_id = drg_service.session_id
    change_lead_1(drg_service, frequency_hz=30)
    stored = drg_device.stored_program
    answer_modal(qtbot, "unwrittenDialog", "unwrittenDiscard")
    qtbot.mouseClick(patient_panel.end, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: drg_service.session_id is None, timeout=WAIT_MS)
    assert drg_store.get_session(session_id).ended is not None
    assert drg_device.stored_program == stored


def test_load_shows_the_program_beside_the_device_and_marks_differences(qtbot, panel, drg_service):
    save_current(qtbot, panel, "Base")
    change_lead_1(drg_service, pulse_width_us=250)
    qtbot.mouseClick(button(panel, "programLoad"), Qt.MouseButton.LeftButton)

    table = panel.compare
    headers = [table.horizontalHeaderItem(col).text() for col in range(2)]
    assert headers == ["Lead 1\nsaved", "Lead 1\ndevice"]
    pulse_row = 2
    saved, device = table.item(pulse_row, 0), table.item(pulse_row, 1)
    assert (saved.text(), device.text()) == ("40", "250")
    assert device.background().color() == QColor(WARNING_TINT)
    assert table.item(1, 1).background().color() != QColor(WARNING_TINT)  # amplitude is the same


def test_apply_makes_the_program_live_with_ramped_amplitude(qtbot, panel, drg_service, drg_device):
    change_lead_1(drg_service, contacts=BIPOLE, pulse_width_us=300, frequency_hz=20, patient_max_ua=2000)
    drg_service.impedance.measure().result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    raise_amplitude(drg_service, 1, 500)
    program = save_current(qtbot, panel, "Evening")
    drg_service.outputs.set_amplitude(1, 100).result(5)
    change_lead_1(drg_service, frequency_hz=30)

    qtbot.mouseClick(button(panel, "programApply"), Qt.MouseButton.LeftButton)
    box = None

    def asked() -> bool:
        nonlocal box
        box = panel.findChild(QMessageBox, "riseConfirm")
        return box is not None and box.isVisible()

    qtbot.waitUntil(asked, timeout=WAIT_MS)  # 100 to 500 µA: more than one large increment
    assert "500 µA" in box.text()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Ramp up"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: panel.program_message.text().startswith("Applied 'Evening'"), timeout=WAIT_MS)
    assert drg_device.live_leads == program.leads

    def ramp_in_one_row() -> bool:
        amplitude_rows = [details for event, _outcome, details in log_rows(panel) if event == "Amplitude"]
        ramp = "Lead 1 \u00b7 not placed: 125 \u2192 500 \u00b5A on the device, "
        return bool(amplitude_rows) and amplitude_rows[-1].startswith(ramp)

    drg_service.wait_idle(5)
    qtbot.waitUntil(ramp_in_one_row, timeout=WAIT_MS)


def test_refusals_are_highlighted_in_the_log(qtbot, panel, drg_service):
    with pytest.raises(SafetyRefused):
        drg_service.outputs.set_amplitude(1, 500)  # no anode/cathode yet
    qtbot.waitUntil(lambda: bool(log_rows(panel)) and log_rows(panel)[-1][1] == "refused", timeout=WAIT_MS)
    row = panel.log.rowCount() - 1
    assert panel.log.item(row, 2).text() == "refused"
    assert "needs at least one anode (+) and one cathode (-)" in panel.log.item(row, 3).text()
    assert panel.log.item(row, 0).background().color() == QColor(WARNING_TINT)


def test_notes_and_pain_scores_reach_the_log_and_the_store(qtbot, panel, drg_service, drg_store, drg_session):
    notes = panel.notes
    qtbot.mouseClick(button(panel, "noteAdd"), Qt.MouseButton.LeftButton)
    assert notes.note_message.text() == "The note is empty."

    notes.note_text.setFocus()
    qtbot.keyClicks(notes.note_text, "Tingling in the left medial ankle")
    qtbot.keyClick(notes.note_text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(
        notes.note_text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )  # pressed twice before the first is recorded

    qtbot.waitUntil(lambda: notes.note_message.text().startswith("Note added at"), timeout=WAIT_MS)
    assert notes.note_text.toPlainText() == ""
    wait_for_log(qtbot, panel, ("Note", "recorded", "Tingling in the left medial ankle"))

    qtbot.mouseClick(button(panel, "nrsRecord"), Qt.MouseButton.LeftButton)
    assert notes.nrs_message.text().startswith("Rate the pain")
    before = notes.nrs[PainTiming.BEFORE]
    before.setFocus()
    before.selectAll()
    qtbot.keyClicks(before, "6")
    qtbot.mouseClick(button(panel, "nrsRecord"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(button(panel, "nrsRecord"), Qt.MouseButton.LeftButton)  # an impatient second click

    qtbot.waitUntil(lambda: notes.nrs_message.text().startswith("Recorded NRS before 6/10"), timeout=WAIT_MS)
    wait_for_log(qtbot, panel, ("Pain score", "recorded", "NRS 6/10 (before programming)"))
    assert before.text() == "not rated"  # recorded once, not again by a second click
    drg_service.wait_idle(5)
    events = drg_store.session_events(drg_session)
    assert [e.payload for e in events if e.kind == "pain_score_recorded"] == [
        {"nrs": 6, "when": "BEFORE", "vas_mm": None}
    ]
    assert [e.payload for e in events if e.kind == "note_added"] == [{"text": "Tingling in the left medial ankle"}]
    payloads = {e.kind: e.payload for e in events}
    assert payloads["note_added"] == {"text": "Tingling in the left medial ankle"}
    assert payloads["pain_score_recorded"] == {"nrs": 6, "when": "BEFORE", "vas_mm": None}
    assert not any(kind == "pain_score_recorded" and p["when"] == "AFTER" for kind, p in payloads.items())


def test_log_keeps_the_newest_row_in_view(qtbot, panel, drg_service):
    from workstation.models import Note

    for n in range(40):
        drg_service.recording.add_note(Note(f"note {n}")).result()
    log = panel.log
    qtbot.waitUntil(lambda: log.rowCount() > 0 and log.item(log.rowCount() - 1, 3).text() == "note 39", timeout=WAIT_MS)
    last = log.item(log.rowCount() - 1, 3)
    assert log.viewport().rect().intersects(log.visualItemRect(last))


def test_stop_all_during_apply_ends_it_even_before_the_stopped_signal(qtbot, panel, drg_service, drg_device):
    change_lead_1(drg_service, contacts=BIPOLE, pulse_width_us=300, frequency_hz=20, patient_max_ua=2000)
    drg_service.impedance.measure().result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    raise_amplitude(drg_service, 1, 500)
    save_current(qtbot, panel, "Later")
    drg_service.outputs.set_amplitude(1, 100).result(5)

    qtbot.mouseClick(button(panel, "programApply"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.findChild(QMessageBox, "riseConfirm") is not None, timeout=WAIT_MS)
    box = panel.findChild(QMessageBox, "riseConfirm")
    stopped = []
    panel.bridge.stopped.connect(lambda: stopped.append(True))
    drg_service.stop_all().result(5)  # pressed while Apply waits for the clinician: the epoch moved on
    assert not stopped  # the panel has not heard of the stop yet: Apply must not rely on it
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Ramp up"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "STOP ALL" in panel.program_message.text(), timeout=WAIT_MS)
    assert panel.program_message.text().startswith("Apply stopped: ")
    assert panel._applying is None and button(panel, "programApply").isEnabled()
    drg_service.wait_idle(5)
    assert drg_device.outputs_on == ()


def _stored_therapy_then_stop_all(drg_service) -> Program:
    """Lead 1 stimulating, written as 'Night' and verified, then STOP ALL."""
    change_lead_1(drg_service, contacts=BIPOLE, pulse_width_us=300, frequency_hz=20, patient_max_ua=2000)
    drg_service.impedance.measure().result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    raise_amplitude(drg_service, 1, 300)
    night = drg_service.programs.current("Night")
    assert drg_service.programs.write(night).result(5).verified
    drg_service.stop_all().result(5)
    return night


def test_end_after_stop_all_offers_to_resume_therapy_and_never_to_write_it_off(
    qtbot, bridge, drg_service, drg_device, drg_session
):
    """After STOP ALL the end guard offers 'Resume therapy with Night'; Cancel is the default,
    there is no 'Write now' of the stopped state, and resuming makes the stored program live."""
    from ui.programs.unwritten import UnwrittenDialog

    night = _stored_therapy_then_stop_all(drg_service)
    assert drg_service.programs.end_of_visit().therapy_off == (1,)
    names = LeadNames()
    names.place(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1)))
    dialog = UnwrittenDialog(bridge, "end the session", names)
    qtbot.addWidget(dialog)
    dialog.show()
    assert any(
        label.text().startswith("Stimulation is off on L4 left · lead 1, which the stored program 'Night' stimulates.")
        for label in dialog.findChildren(QLabel)
    )
    assert dialog.findChild(QPushButton, "unwrittenWrite") is None
    assert button(dialog, "unwrittenCancel").isDefault()
    assert not any(b.isDefault() for b in (button(dialog, "unwrittenResume"), button(dialog, "unwrittenDiscard")))
    assert button(dialog, "unwrittenDiscard").text() == "End the session with therapy off"

    qtbot.mouseClick(button(dialog, "unwrittenResume"), Qt.MouseButton.LeftButton)

    def resumed_or_asked() -> bool:
        box = dialog.findChild(QMessageBox, "riseConfirm")
        if box is not None and box.isVisible():
            qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Ramp up"), Qt.MouseButton.LeftButton)
        return dialog.message.text() == "Therapy resumed with 'Night'."

    qtbot.waitUntil(resumed_or_asked, timeout=WAIT_MS)
    assert drg_device.live_leads == night.leads and drg_device.stored_program == night
    assert button(dialog, "unwrittenResume").isHidden()
    assert button(dialog, "unwrittenDiscard").text() == "End the session"


def test_end_guard_without_stop_offers_write_but_cancel_is_default(qtbot, bridge, drg_service, drg_session):
    from ui.programs.unwritten import UnwrittenDialog

    change_lead_1(drg_service, frequency_hz=20)
    dialog = UnwrittenDialog(bridge, "end the session", LeadNames())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.findChild(QPushButton, "unwrittenResume") is None
    assert button(dialog, "unwrittenCancel").isDefault() and not button(dialog, "unwrittenWrite").isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter cancels: nothing written, nothing ended
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_the_programs_tab_says_when_the_device_went_back_to_its_stored_program(qtbot, panel, drg_service, drg_device):
    from workstation.service import LinkState

    change_lead_1(drg_service, pulse_width_us=300)  # live, not written
    sim = drg_service.link.simulator
    sim.unplug()
    sim.model.elapse_silence(60)  # the device's watchdog goes back to its stored program
    qtbot.waitUntil(lambda: drg_service.link_state == LinkState.RECONNECTING, timeout=WAIT_MS)
    sim.replug()
    qtbot.waitUntil(lambda: "went back to its stored program" in panel.program_message.text(), timeout=WAIT_MS)
    assert "Lead 1 pulse width: before 300 \u00b5s, now 40 \u00b5s" in panel.program_message.text()
    assert not panel.has_unwritten_changes()


def test_the_programs_tab_settles_an_unknown_write_once_the_device_is_back(qtbot, panel, drg_service, drg_device):
    from ui.testing.faults import Fault, MsgType, inject_at
    from workstation.service import LinkState, ServiceError

    change_lead_1(drg_service, pulse_width_us=300)
    program = drg_service.programs.current("Wide")
    inject_at(drg_service, MsgType.COMMIT_PROGRAM, "after_execute", Fault.UNPLUG)
    with pytest.raises(ServiceError):
        drg_service.programs.write(program).result(5)

    def status_of_wide() -> str:
        items = [panel.program_list.item(row) for row in range(panel.program_list.count())]
        return next((i.text() for i in items if i.text().startswith("Wide")), "")

    qtbot.waitUntil(lambda: "outcome unknown" in status_of_wide(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: drg_service.link_state == LinkState.RECONNECTING, timeout=WAIT_MS)
    drg_service.link.simulator.replug()
    qtbot.waitUntil(lambda: "written and verified" in status_of_wide(), timeout=WAIT_MS)
    assert panel.program_message.text() == "Program 'Wide' checked after the link came back: written and verified."
    assert drg_device.stored_program == program


def test_note_and_pain_score_messages_go_with_the_session(qtbot, panel, drg_service):
    notes = panel.notes
    qtbot.keyClicks(notes.note_text, "Tingling")
    qtbot.mouseClick(button(panel, "noteAdd"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: notes.note_message.text().startswith("Note added at"), timeout=WAIT_MS)
    qtbot.mouseClick(button(panel, "nrsRecord"), Qt.MouseButton.LeftButton)
    assert notes.nrs_message.text().startswith("Rate the pain")

    drg_service.recording.end_session().result(5)
    qtbot.waitUntil(lambda: not panel.notes.note_add.isEnabled(), timeout=WAIT_MS)
    assert (notes.note_message.text(), notes.nrs_message.text()) == ("", "")  # not beside the next patient
