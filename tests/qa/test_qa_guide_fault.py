"""The fault tests of the QA guide (docs/testing.md); the guide quotes these functions."""

import pytest
from PySide6.QtCore import Qt

from ui.testing.qa import Fault, LinkState, MsgType, answer_dialog, find, inject_at

LEFT = Qt.MouseButton.LeftButton


def test_unplugged_after_commit_then_found_again(
    qtbot, drg_window_session, drg_service, drg_usb, drg_device, drg_events
):
    window = drg_window_session
    programs = find(window, "programsPanel")
    find(window, "mainTabs").setCurrentWidget(programs)
    qtbot.keyClicks(find(programs, "programName"), "Visit 1")
    qtbot.mouseClick(find(programs, "programSave"), LEFT)
    drg_events.wait_record(qtbot, "program_saved")  # saved off the GUI thread, then listed
    qtbot.waitUntil(lambda: getattr(programs.selected_program(), "name", None) == "Visit 1")
    # the cable comes out after the device committed the program, before its reply reaches the workstation
    inject_at(drg_usb, MsgType.COMMIT_PROGRAM, "after_execute", Fault.UNPLUG)
    qtbot.mouseClick(find(programs, "programWrite"), LEFT)
    answer_dialog(qtbot, "programWriteConfirm", "OK")
    drg_events.wait_link(qtbot, LinkState.RECONNECTING)
    record = drg_events.wait_record(qtbot, "program_saved")
    # the host cannot know whether the device stored it: recorded as unknown, never as "not written"
    assert record.outcome == "unknown" and record.payload["written"] is None
    assert drg_device.stored_program.name == "Visit 1"  # the device had stored it all the same
    # plugged back: the workstation reads what the device holds and corrects the record
    drg_usb.replug()
    drg_events.wait_link(qtbot, LinkState.CONNECTED)
    correction = drg_events.wait_record(qtbot, "correction")
    assert correction.references_event_id == record.id and correction.payload["corrected"]["verified"]
    assert drg_service.state.stored_program.name == "Visit 1"


@pytest.mark.drg_sim("open=1.2")
def test_an_open_contact_reads_open_after_measuring(qtbot, drg_window_session, drg_service, drg_events):
    drg_service.outputs.write_lead(drg_service.state.leads[1].with_(contacts=(1, 2, 0, 0))).result(5)  # 1 = +, 2 = -
    view = find(drg_window_session, "impedanceView")
    find(drg_window_session, "mainTabs").setCurrentWidget(view)
    qtbot.mouseClick(find(view, "impedanceMeasure"), LEFT)
    (pair,) = drg_events.wait_measurement(qtbot).measurements
    assert (pair.lead, pair.contact_a, pair.contact_b) == (1, 1, 2)
    assert pair.ohms > drg_service.impedance.thresholds().open_above_ohm
