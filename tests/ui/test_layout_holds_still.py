"""A whole visit on the Programming tab with no control moving under the pointer: every visible
interactive control keeps its place and size from the moment it first shows (issue 14.1)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from ui.main_window import MainWindow
from ui.testing.layout import moved, positions
from ui.testing.plugin import find, sim_uri
from ui.testing.qa import answer_dialog, answer_when_shown
from workstation.service import LinkState

WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def visit(qtbot, drg_service_factory, drg_patient, tmp_path):
    """The main window at a laptop's 1366x768 on a pulse generator not connected yet."""
    service = drg_service_factory(connect=False)
    window = MainWindow(service, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.programs.has_unwritten_changes = lambda: False
    window.may_close = lambda: True
    window.close()
    window.deleteLater()


class Places:
    """The place of every control the first time it showed; each state change is checked against it."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.first: dict = {}
        self.moves: list[str] = []

    def check(self, state: str) -> None:
        now = positions(self.window)
        self.moves += [f"after {state}: {move}" for move in moved(self.first, now)]
        self.first = {**now, **self.first}


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, LEFT)


def test_no_control_moves_during_a_visit(qtbot, visit, drg_patient):
    window, service = visit, visit.service
    panel = window.lead_panel
    places = Places(window)
    places.check("opening")

    uri = find(window, "linkUri")
    uri.setEditText(sim_uri())
    click(qtbot, find(window, "linkConnect"))
    qtbot.waitUntil(
        lambda: service.link_state is LinkState.CONNECTED and window.lead_chooser.count() > 0, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: find(panel, "contact1").isEnabled() is False and panel.lead == 1, timeout=WAIT_MS)
    places.check("connect")

    patients = find(window, "patientList")
    qtbot.waitUntil(lambda: patients.count() == 1, timeout=WAIT_MS)
    patients.setCurrentRow(0)
    click(qtbot, find(window, "sessionStart"))
    qtbot.waitUntil(lambda: find(panel, "contact1").isEnabled(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: drg_patient.name in find(window, "sessionBar").text(), timeout=WAIT_MS)
    places.check("start session")

    for contact in ("contact1", "contact2", "contact2"):
        click(qtbot, find(panel, contact))
        places.check(f"toggling {contact}")
    assert find(panel, "applyContacts").isEnabled()

    click(qtbot, find(panel, "enableLead"))  # refused: no impedance measured on these contacts yet
    refusal = find(panel, "refusalMessage")
    qtbot.waitUntil(lambda: bool(refusal.text()), timeout=WAIT_MS)
    places.check("a refusal")

    click(qtbot, find(panel, "applyContacts"))  # the lead is off: no confirmation is asked
    qtbot.waitUntil(lambda: service.state.leads[1].contacts[0].symbol == "+", timeout=WAIT_MS)
    places.check("apply contacts")

    window.tabs.setCurrentWidget(window.impedance)
    click(qtbot, find(window.impedance, "impedanceMeasure"))
    qtbot.waitUntil(lambda: find(window.impedance, "impedanceTable").rowCount() >= 1, timeout=WAIT_MS)
    window.tabs.setCurrentIndex(0)
    click(qtbot, find(panel, "enableLead"))
    qtbot.waitUntil(lambda: service.state.leads[1].enabled, timeout=WAIT_MS)
    places.check("switching the lead on")
    for _ in range(2):
        amplitude = service.state.leads[1].amplitude_ua
        click(qtbot, find(panel, "ampUp"))
        qtbot.waitUntil(lambda was=amplitude: service.state.leads[1].amplitude_ua > was, timeout=WAIT_MS)
        places.check("raising the amplitude")
    qtbot.keyClicks(find(panel, "ampEntry"), "99")  # above every limit: the entry explains below itself
    qtbot.keyClick(find(panel, "ampEntry"), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(find(panel, "ampError").text()), timeout=WAIT_MS)
    places.check("a refused amplitude")

    click(qtbot, find(panel, "pwUp"))
    click(qtbot, find(panel, "applyParams"))
    qtbot.waitUntil(lambda: not find(panel, "applyParams").isEnabled(), timeout=WAIT_MS)
    places.check("apply timing")

    window.tabs.setCurrentWidget(window.programs)
    qtbot.keyClicks(find(window.programs, "noteText"), "Paraesthesia covers the left foot.")
    click(qtbot, find(window.programs, "noteAdd"))
    qtbot.waitUntil(lambda: bool(find(window.programs, "noteMessage").text()), timeout=WAIT_MS)
    qtbot.keyClicks(find(window.programs, "programName"), "Visit")
    click(qtbot, find(window.programs, "programSave"))
    qtbot.waitUntil(lambda: find(window.programs, "programWrite").isEnabled(), timeout=WAIT_MS)
    click(qtbot, find(window.programs, "programWrite"))
    answer_dialog(qtbot, "programWriteConfirm", "programWriteOk")
    qtbot.waitUntil(lambda: "Verified" in find(window.programs, "programVerifyResult").text(), timeout=WAIT_MS)
    window.tabs.setCurrentIndex(0)
    places.check("a note and a program written")

    qtbot.mousePress(find(window, "stopAll"), LEFT)
    qtbot.mouseRelease(find(window, "stopAll"), LEFT)
    qtbot.waitUntil(lambda: not service.state.leads[1].enabled, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "OFF" in find(panel, "stimState").text(), timeout=WAIT_MS)
    places.check("STOP ALL")

    ended = answer_when_shown("sessionEndConfirm", "OK")
    click(qtbot, find(window, "sessionEnd"))
    ended.wait(qtbot)
    qtbot.waitUntil(lambda: service.session is None and find(window, "sessionStart").isEnabled(), timeout=WAIT_MS)
    places.check("end session")

    assert not places.moves, "controls moved:\n" + "\n".join(places.moves)
