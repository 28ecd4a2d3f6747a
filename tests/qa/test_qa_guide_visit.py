"""The whole visit of the QA guide (docs/testing.md); the guide quotes this function."""

from PySide6.QtCore import Qt

from ui.testing.qa import answer_dialog, find, lead_panel, raise_amplitude, session_records

LEFT = Qt.MouseButton.LeftButton


def test_whole_visit(qtbot, drg_window_session, drg_service, drg_device, drg_events):
    window = drg_window_session
    tabs = find(window, "mainTabs")
    panel = lead_panel(window, 1)
    # contacts of lead 1: 1 = + (one click), 2 = - (two clicks), then apply
    for name in ("contact1", "contact2", "contact2"):
        qtbot.mouseClick(find(panel, name), LEFT)
    qtbot.mouseClick(find(panel, "applyContacts"), LEFT)
    qtbot.waitUntil(lambda: drg_device.live_leads[0].contacts[:2] == (1, 2))
    # measure impedance; wait for "measurement finished"
    tabs.setCurrentWidget(find(window, "impedanceView"))
    qtbot.mouseClick(find(window, "impedanceMeasure"), LEFT)
    drg_events.wait_measurement(qtbot)
    # switch the lead on, ramp to 400 µA (set-up through the service), record the perception threshold
    tabs.setCurrentIndex(0)
    qtbot.mouseClick(find(panel, "enableLead"), LEFT)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (1,))
    raise_amplitude(drg_service, 1, 400)
    qtbot.waitUntil(lambda: find(panel, "ampReadout").text() == "0.400 mA")
    qtbot.mouseClick(find(panel, "recordPerception"), LEFT)
    # save the live settings as a program, write it, confirm, wait for "program written"
    programs = find(window, "programsPanel")
    tabs.setCurrentWidget(programs)
    qtbot.keyClicks(find(programs, "programName"), "Visit 1")
    qtbot.mouseClick(find(programs, "programSave"), LEFT)
    drg_events.wait_record(qtbot, "program_saved")  # saved off the GUI thread, then listed
    qtbot.waitUntil(lambda: getattr(programs.selected_program(), "name", None) == "Visit 1")
    qtbot.mouseClick(find(programs, "programWrite"), LEFT)
    answer_dialog(qtbot, "programWriteConfirm", "OK")
    written = drg_events.wait_program(qtbot)
    # the device holds it, and the session's records say so
    assert written.verified and drg_device.stored_program.name == "Visit 1"
    assert drg_device.stored_program.leads[0].amplitude_ua == 400
    saved = session_records(drg_service, kind="program_saved")[-1]  # saving, then writing, each recorded
    assert saved.payload["written"] and saved.payload["verified"]
    assert session_records(drg_service, kind="impedance_recorded")
