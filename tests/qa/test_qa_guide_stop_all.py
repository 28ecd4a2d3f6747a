"""The STOP ALL test of the QA guide (docs/testing.md), with real X input; the guide quotes these functions.

A QApplication has one platform and the suite runs offscreen, so the outer test starts a private Xvfb and
runs the inner one there in a pytest subprocess (QT_QPA_PLATFORM=xcb)."""

import os

import pytest
from PySide6.QtCore import Qt

from ui.testing.qa import find, open_dialog, raise_amplitude
from ui.testing.realinput import Xvfb, click, require_tools, run_node

LEFT = Qt.MouseButton.LeftButton
on_x = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on Xvfb by test_stop_all_on_x")


@on_x
def test_stop_all_by_a_real_click_over_an_open_dialog(qtbot, drg_window_session, drg_service, drg_device, drg_events):
    window = drg_window_session
    drg_service.outputs.write_lead(drg_service.state.leads[1].with_(contacts=(1, 2, 0, 0))).result(5)
    drg_service.impedance.measure().result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    raise_amplitude(drg_service, 1, 400)
    programs = find(window, "programsPanel")
    find(window, "mainTabs").setCurrentWidget(programs)
    qtbot.keyClicks(find(programs, "programName"), "Visit 1")
    qtbot.mouseClick(find(programs, "programSave"), LEFT)
    drg_events.wait_record(qtbot, "program_saved")  # saved off the GUI thread, then listed
    qtbot.waitUntil(lambda: getattr(programs.selected_program(), "name", None) == "Visit 1")
    qtbot.mouseClick(find(programs, "programWrite"), LEFT)
    open_dialog(qtbot, "programWriteConfirm")  # window-modal: it blocks the main window, not STOP ALL
    click(find(window, "stopAll"))  # through the X server, as a clinician's mouse
    qtbot.waitUntil(lambda: drg_device.outputs_on == ())


def test_stop_all_on_x():
    require_tools()
    with Xvfb() as display:
        run_node(display, f"{__file__}::test_stop_all_by_a_real_click_over_an_open_dialog")
