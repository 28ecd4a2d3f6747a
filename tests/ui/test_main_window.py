"""End-to-end tests of the main window with real widgets and real input:
what the clinician sees, what the simulated device received, what the
records hold."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from drivers.types import ImpedanceMode, LeadConfig, Polarity
from ui.main_window import telemetry_rate_hz
from ui.spinal_map import LeadState
from ui.testing.actions import raise_amplitude
from ui.testing.plugin import find
from workstation import bodymap, safety
from workstation.models import LeadPlacement, Side, SpinalLevel
from workstation.service import LinkState

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
WAIT_MS = 8000
LEFT = Qt.MouseButton.LeftButton


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, LEFT)


def click_at(qtbot, widget: QWidget, rect) -> None:
    qtbot.mouseClick(widget, LEFT, pos=rect.center().toPoint())


def answer_if_asked(qtbot, parent: QWidget, name: str, button_text: str) -> None:
    """Answer a confirmation dialog by clicking its button, if the app asked (the click that
    needs a confirmation opens it at once)."""
    for box in parent.findChildren(QMessageBox, name):
        if box.isVisible():
            click(qtbot, next(b for b in box.buttons() if b.text().replace("&", "") == button_text))


def announced_rise(up: QWidget) -> int:
    """The amplitude (µA) one click on "+" raises to, as its tooltip tells the clinician."""
    match = re.search(r"Click: raise to (\d+\.\d+) mA", up.toolTip())
    assert match, up.toolTip()
    return round(float(match.group(1)) * 1000)


def click_up_and_see(qtbot, panel: QWidget, device) -> int:
    """Click "+" once; wait until the device delivers, and the panel shows, the amplitude it announced."""
    target = announced_rise(find(panel, "ampUp"))
    click(qtbot, find(panel, "ampUp"))
    qtbot.waitUntil(lambda: device.live_leads[0].amplitude_ua == target, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: find(panel, "ampReadout").text() == f"{target / 1000:.3f} mA", timeout=WAIT_MS)
    return target


@pytest.fixture
def fast_ramp(monkeypatch):
    """Set-up only: a quicker ramp keeps the test short; the ramp logic is the same."""
    monkeypatch.setattr(safety, "RAMP_RATE_UA_PER_S", 2_000.0)


def test_a_whole_visit_through_the_ui(qtbot, drg_window_session, drg_device, drg_store, drg_patient, fast_ramp):
    window = drg_window_session
    assert "SIM-0001" in find(window, "deviceIdentity").text()
    assert find(window, "simulatorBadge").isVisible()

    # place a lead at L4 left by clicking its ganglion on the spinal map
    spinal_map = window.spinal_map
    click_at(qtbot, spinal_map, spinal_map.ganglion_rect(SpinalLevel.L4, Side.LEFT))
    dialog = window.findChild(QDialog, "placeLeadDialog")
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=WAIT_MS)
    click(qtbot, dialog.findChild(QPushButton, "placeLeadDialogOk"))
    qtbot.waitUntil(lambda: [lead.channel for lead in spinal_map.leads()] == [1], timeout=WAIT_MS)

    # select it on the map: the lead panel shows its location
    click_at(qtbot, spinal_map, spinal_map.lead_rect(1))
    panel = window.lead_panel
    qtbot.waitUntil(lambda: "L4 left" in find(panel, "leadTitle").text(), timeout=WAIT_MS)

    # contacts: 1 = +, 2 = -, then apply
    click(qtbot, find(panel, "contact1"))
    click(qtbot, find(panel, "contact2"))
    click(qtbot, find(panel, "contact2"))
    click(qtbot, find(panel, "applyContacts"))
    answer_if_asked(qtbot, panel, "contactsConfirm", "Apply contacts")
    qtbot.waitUntil(lambda: drg_device.live_leads[0].contacts == (P, M, O, O), timeout=WAIT_MS)

    # measure impedance from the impedance tab
    window.tabs.setCurrentWidget(window.impedance)
    click(qtbot, find(window.impedance, "impedanceMeasure"))
    table = find(window.impedance, "impedanceTable")
    qtbot.waitUntil(lambda: table.rowCount() >= 1, timeout=WAIT_MS)
    assert "Normal" in [table.item(0, c).text() for c in range(table.columnCount())]

    # enable, ramp by holding +, record the perception threshold, ramp again, record comfortable
    window.tabs.setCurrentIndex(0)
    click(qtbot, find(panel, "enableLead"))
    qtbot.waitUntil(lambda: drg_device.outputs_on == (1,), timeout=WAIT_MS)
    up = find(panel, "ampUp")
    qtbot.mousePress(up, LEFT)
    qtbot.waitUntil(lambda: drg_device.live_leads[0].amplitude_ua >= 300, timeout=WAIT_MS)
    qtbot.mouseRelease(up, LEFT)  # the ramp ends here: nothing more is queued for the device
    window.service.wait_idle()  # the steps already queued have reached it
    perception = drg_device.live_leads[0].amplitude_ua
    assert perception >= 300
    qtbot.waitUntil(lambda: find(panel, "ampReadout").text() == f"{perception / 1000:.3f} mA", timeout=WAIT_MS)
    click(qtbot, find(panel, "recordPerception"))
    comfortable = perception
    for _ in range(4):  # each click raises to the value "+" announces; the clinician waits to see it
        comfortable = click_up_and_see(qtbot, panel, drg_device)
    assert comfortable > perception
    click(qtbot, find(panel, "recordComfortable"))
    click(qtbot, find(panel, "saveResponse"))
    saved = find(panel, "responseMessage")
    qtbot.waitUntil(lambda: saved.text() == "Response saved in the session.", timeout=WAIT_MS)

    # where it is felt: painted on the body map with lead 1's brush, saved with its side
    click(qtbot, find(panel, "responseWhere"))
    body = window.body_map
    assert window.tabs.currentWidget() is body and body.brush.currentData() == 1
    qtbot.waitExposed(body.canvas)
    qtbot.mouseClick(body.canvas, LEFT, pos=body.canvas.area_centre("front-foot-left").toPoint())
    click(qtbot, body.save)
    qtbot.waitUntil(lambda: body.message.text() == "Body map saved in the visit.", timeout=WAIT_MS)

    # save and write the program, confirm, see it verified
    window.tabs.setCurrentWidget(window.programs)
    qtbot.keyClicks(find(window.programs, "programName"), "Visit 1")
    click(qtbot, find(window.programs, "programSave"))
    programs = find(window.programs, "programList")
    qtbot.waitUntil(
        lambda: find(window.programs, "programMessage").text().startswith("Saved 'Visit 1'"), timeout=WAIT_MS
    )
    qtbot.waitUntil(
        lambda: programs.currentItem() is not None and "Visit 1" in programs.currentItem().text(), timeout=WAIT_MS
    )
    click(qtbot, find(window.programs, "programWrite"))
    confirm = window.programs.findChild(QDialog, "programWriteConfirm")
    assert confirm is not None and confirm.isVisible()
    click(qtbot, confirm.findChild(QPushButton, "programWriteOk"))
    verify = window.programs.findChild(QLabel, "programVerifyResult")
    qtbot.waitUntil(lambda: "Verified" in verify.text(), timeout=WAIT_MS)

    # the device holds exactly that program; the records hold the visit
    stored = drg_device.stored_program
    assert stored.name == "Visit 1"
    assert stored.leads[0] == LeadConfig(1, (P, M, O, O), comfortable, 40, 60, True, 6000)
    assert stored.leads[1:] == tuple(drg_device.live_leads[1:])
    assert drg_store.program_history(drg_patient.id)[-1].verified
    (point,) = drg_store.threshold_history(drg_patient.id, SpinalLevel.L4)
    assert (point.response.perception_threshold_ua, point.response.comfortable_ua) == (perception, comfortable)
    (felt,) = drg_store.body_map_history(drg_patient.id)
    assert felt.body_map.lead_regions(1) == ("front-foot-left",)
    assert bodymap.region("front-foot-left").side is Side.LEFT
    kinds = {event.kind for event in drg_store.session_events(window.service.session_id)}
    assert {
        "placement_recorded",
        "write_lead",
        "impedance_recorded",
        "set_enabled",
        "set_amplitude",
        "response_recorded",
        "program_saved",
    } <= kinds


def stimulate(service, lead: int, amplitude_ua: int) -> None:
    service.outputs.write_lead(LeadConfig(lead, (P, M, O, O), 0, 200, 20, False, 3000)).result(5)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (lead,)).result(5)
    service.outputs.set_enabled(lead, True).result(5)
    raise_amplitude(service, lead, amplitude_ua)


@pytest.mark.parametrize("focus", ["ampEntry", "patientSearch", "mainTabs"])
def test_stop_all_from_the_keyboard_turns_every_output_off(qtbot, drg_window_session, drg_device, focus):
    window = drg_window_session
    for lead in (1, 2):
        stimulate(window.service, lead, 100)
    assert drg_device.outputs_on == (1, 2)
    widget = find(window, focus)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not any(c.enabled for c in window.service.state.leads.values()), timeout=WAIT_MS)
    assert "stop_all" in {e.kind for e in window.service.records.session_events(window.service.session_id)}
    assert "STOP ALL" in window.statusBar().currentMessage()


ALL_OFF = "STOP ALL: every output is off."


def stop_all_and_see_it_said(qtbot, window, device) -> None:
    click(qtbot, find(window, "stopAll"))
    qtbot.waitUntil(lambda: device.outputs_on == (), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == ALL_OFF, timeout=WAIT_MS)


def test_the_status_bar_stops_saying_every_output_is_off_once_a_lead_is_on_again(qtbot, drg_window_session, drg_device):
    window = drg_window_session
    stimulate(window.service, 1, 100)
    stop_all_and_see_it_said(qtbot, window, drg_device)

    switch = find(window, "enableLead")
    qtbot.waitUntil(switch.isEnabled, timeout=WAIT_MS)
    click(qtbot, switch)  # lead 1, shown in the lead panel: Switch on
    qtbot.waitUntil(lambda: drg_device.outputs_on == (1,), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: find(window, "stimState").text().startswith("LIVE"), timeout=WAIT_MS)
    assert ALL_OFF not in window.statusBar().currentMessage()  # it said so beside lead 1's LIVE


def test_status_bar_messages_go_when_the_session_ends_or_the_user_changes(
    qtbot, drg_window_session, drg_device, drg_login
):
    window = drg_window_session
    stop_all_and_see_it_said(qtbot, window, drg_device)
    window.service.recording.end_session().result(5)
    qtbot.waitUntil(lambda: "No session" in find(window, "sessionBar").text(), timeout=WAIT_MS)
    assert window.statusBar().currentMessage() == ""

    stop_all_and_see_it_said(qtbot, window, drg_device)
    drg_login("clinician")  # logged out and in again: nothing said to the last user stays
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=2000)  # the old one lasted 8 s


def test_stop_all_button_works_without_a_session(qtbot, drg_window, drg_device):
    service = drg_window.service
    service.link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=3000))
    service.link.client.measure_impedance(ImpedanceMode.LEAD_PAIR, 1)
    service.link.client.set_stimulation(1, True)
    click(qtbot, find(drg_window, "stopAll"))
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)


def test_unplug_while_streaming_shows_a_banner_stays_responsive_and_resyncs(qtbot, drg_window_session, drg_patient):
    window = drg_window_session
    service = window.service
    service.recording.place_lead(LeadPlacement(1, SpinalLevel.L5, Side.RIGHT, date(2026, 1, 1))).result()
    window.tabs.setCurrentWidget(window.waveforms)
    qtbot.waitUntil(
        lambda: service.connection.telemetry is not None and service.connection.telemetry.blocks > 5, timeout=WAIT_MS
    )

    window.stop_all()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "STOP ALL: every output is off.", timeout=WAIT_MS)
    device = service.link.simulator
    device.unplug()
    banner = find(window, "linkBanner")
    qtbot.waitUntil(banner.isVisible, timeout=WAIT_MS)
    assert "UNKNOWN" in banner.text()
    assert window.statusBar().currentMessage() == ""  # what was true of the link before is not said now
    assert window.spinal_map.leads()[0].state == LeadState.UNKNOWN
    assert "Reconnecting" in find(window, "linkState").text()
    assert "no signal since" in find(window, "waveformStatus").text()  # the traces are not live

    click(qtbot, window.tabs.tabBar())  # the GUI still answers
    window.tabs.setCurrentIndex(3)
    assert window.tabs.currentIndex() == 3

    blocks_before = service.connection.telemetry.blocks
    device.replug()
    qtbot.waitUntil(lambda: not banner.isVisible() and service.link_state == LinkState.CONNECTED, timeout=WAIT_MS)
    assert "Connected" in find(window, "linkState").text()
    assert window.waveforms.no_signal_since is None
    qtbot.waitUntil(lambda: service.connection.telemetry.blocks > blocks_before + 5, timeout=WAIT_MS)
    assert window.spinal_map.leads()[0].state == LeadState.DISABLED
    kinds = [e.kind for e in service.records.session_events(service.session_id)]
    assert "link_lost" in kinds and kinds.count("device_state") >= 2


def test_window_fits_a_1366x768_laptop(drg_window):
    hint = drg_window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768


def test_disconnect_and_connect_from_the_connection_bar(qtbot, drg_window):
    window = drg_window
    click(qtbot, find(window, "linkDisconnect"))
    qtbot.waitUntil(lambda: "Disconnected" in find(window, "linkState").text(), timeout=WAIT_MS)
    assert find(window, "deviceIdentity").text() == "No device"
    uri = find(window, "linkUri")
    uri.lineEdit().selectAll()
    qtbot.keyClicks(uri.lineEdit(), "sim://0?serial=SIM-0777&latency_ms=0&magnet=held")
    click(qtbot, find(window, "linkConnect"))
    qtbot.waitUntil(lambda: "SIM-0777" in find(window, "deviceIdentity").text(), timeout=WAIT_MS)
    # a new device is named once its capabilities are read, then paired: "Pairing…" comes first
    qtbot.waitUntil(lambda: "Connected" in find(window, "linkState").text(), timeout=WAIT_MS)


def test_ctrl_z_undoes_a_pending_edit_from_anywhere_in_the_window(qtbot, drg_window_session, drg_device):
    window = drg_window_session
    panel = window.lead_panel
    up = find(panel, "pwUp")
    entry = find(panel, "pwEntry")
    click(qtbot, up)
    qtbot.waitUntil(lambda: entry.text() == "50", timeout=WAIT_MS)
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: entry.text() == "40", timeout=WAIT_MS)
    qtbot.keyClick(window.tabs, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: entry.text() == "50", timeout=WAIT_MS)
    assert drg_device.live_leads[0].pulse_width_us == 40  # pending only: nothing sent


def test_window_state_is_remembered(qtbot, drg_service, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "remember.ini"), QSettings.IniFormat)
    first = MainWindow(drg_service, settings)
    first.show()
    first.splitter.setSizes([250, 540])  # within the offscreen test screen (800 px)
    first.programs.has_unwritten_changes = lambda: False
    first.close()
    second = MainWindow(drg_service, settings)
    second.show()
    qtbot.waitExposed(second)
    assert not settings.value("mainWindow/geometry").isEmpty()
    assert abs(second.splitter.sizes()[0] - first.splitter.sizes()[0]) <= 2 and first.splitter.sizes()[0] != 300
    second.programs.has_unwritten_changes = lambda: False
    second.close()
    second.deleteLater()
    first.deleteLater()


def test_stop_all_button_acts_on_press_and_on_space(qtbot, drg_window_session, drg_device):
    window = drg_window_session
    stimulate(window.service, 1, 100)
    qtbot.mousePress(find(window, "stopAll"), LEFT)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)
    qtbot.mouseRelease(find(window, "stopAll"), LEFT)
    window.service.outputs.set_enabled(1, True).result(5)
    find(window, "stopAll").setFocus()
    qtbot.keyClick(find(window, "stopAll"), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)


def test_a_lead_is_placed_from_the_keyboard_alone(qtbot, drg_window_session, drg_store, drg_patient):
    window = drg_window_session
    window.lead_chooser.setFocus()
    qtbot.keyClick(window.lead_chooser, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    chooser = window.findChild(QDialog, "leadPositionDialog")
    qtbot.waitUntil(lambda: chooser is not None and chooser.isVisible(), timeout=WAIT_MS)
    combo = chooser.findChild(QComboBox)
    for _ in range(13):  # from "T10 left", 13 entries down is "L4 right"
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    placing = window.findChild(QDialog, "placeLeadDialog")
    qtbot.waitUntil(lambda: placing is not None and placing.isVisible(), timeout=WAIT_MS)
    qtbot.keyClick(placing.focusWidget() or placing, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: 1 in drg_store.current_placements(drg_patient.id), timeout=WAIT_MS)
    placement = drg_store.current_placements(drg_patient.id)[1]
    assert (placement.level, placement.side) == (SpinalLevel.L4, Side.RIGHT)


def test_the_clinician_field_shows_a_session_started_elsewhere(qtbot, drg_window_session):
    clinician = find(drg_window_session, "clinicianName")
    qtbot.waitUntil(lambda: clinician.text() == "QA Clinician", timeout=WAIT_MS)
    assert not clinician.isEnabled()  # recorded with the session when it started


def test_the_waveforms_show_the_leads_the_device_reports(drg_window, drg_service):
    window, caps = drg_window, drg_service.state.capabilities
    assert window.waveforms.lead_count == caps.lead_count == window.lead_chooser.count()
    two_leads = dataclasses.replace(caps, lead_count=2)  # a pulse generator with two leads
    window.bridge.deviceChanged.emit(dataclasses.replace(drg_service.state, capabilities=two_leads))
    assert window.waveforms.lead_count == 2 and window.lead_chooser.count() == 2
    assert [row.lead for row in window.waveforms._rows] == [1, 2]


def test_telemetry_resolves_the_shortest_phase_within_the_devices_maximum_rate(drg_service):
    caps = drg_service.state.capabilities
    assert (caps.pulse_width_min_us, telemetry_rate_hz(caps)) == (40, 50_000)  # two samples in 40 µs
    assert telemetry_rate_hz(dataclasses.replace(caps, pulse_width_min_us=10)) == caps.telemetry_max_rate_hz
