"""The lead panel driven as a clinician would (clicks, keys, holds) against the simulated
pulse generator: what the panel shows and what the device received."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity
from ui.bridge import ServiceBridge
from ui.lead_panel import LeadPanel
from ui.lead_panel.contacts import ContactsView
from ui.testing.actions import raise_amplitude
from workstation import safety
from workstation.models import LeadPlacement, Sensation, Side, SpinalLevel

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
WAIT_S = 10
WAIT_MS = 5000


@pytest.fixture
def undo_stack() -> QUndoStack:
    return QUndoStack()


@pytest.fixture
def panel(qtbot, drg_service, drg_session, undo_stack) -> LeadPanel:
    widget = LeadPanel(ServiceBridge(drg_service), undo_stack)
    qtbot.addWidget(widget)
    widget.set_location("Lead 1 · L4 left")
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def fast_ramp(monkeypatch):
    """Set-up only: let the service ramp quickly so a test reaches a high amplitude in time."""
    monkeypatch.setattr(safety, "RAMP_RATE_UA_PER_S", 50_000.0)


def child(panel: QWidget, cls, name: str):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def ready_lead(
    qtbot, panel, service, contacts=(P, M, O, O), pw=300, patient_max=6000, enable=True, amplitude=0
) -> None:
    """Set-up through the service: lead 1 configured, impedance measured, optionally enabled and
    at `amplitude`; returns once the panel shows that setting."""
    service.outputs.write_lead(LeadConfig(1, contacts, 0, pw, 20, False, patient_max)).result(WAIT_S)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT_S)
    if enable:
        service.outputs.set_enabled(1, True).result(WAIT_S)
    if amplitude:
        raise_amplitude(service, 1, amplitude)
    seen(qtbot, panel, amplitude, "LIVE" if enable else "OFF")


def place_lead_1(panel) -> None:
    """As the window does once lead 1's placement is recorded: the panel names it 'L4 left · lead 1'."""
    panel.names.place(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1)))


def seen(qtbot, panel, amplitude_ua: int, state: str = "LIVE") -> None:
    """Wait until the panel shows the device's amplitude and state (device notifications are queued)."""
    readout, stim = child(panel, QLabel, "ampReadout"), child(panel, QLabel, "stimState")
    qtbot.waitUntil(
        lambda: readout.text() == f"{amplitude_ua / 1000:.3f} mA" and stim.text().startswith(state), timeout=WAIT_MS
    )


def live(device) -> LeadConfig:
    return device.live_leads[0]


def type_into(qtbot, entry: QLineEdit, text: str) -> None:
    """Replace the entry's text by typing, then press Enter."""
    entry.setFocus()
    entry.selectAll()
    qtbot.keyClick(entry, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(entry, text)
    qtbot.keyClick(entry, Qt.Key.Key_Return)


def click(qtbot, panel, name: str) -> None:
    qtbot.mouseClick(child(panel, QPushButton, name), Qt.MouseButton.LeftButton)


def session_kinds(store, session_id) -> list[str]:
    return [event.kind for event in store.session_events(session_id)]


def open_dialog(qtbot, panel, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: any(b.isVisible() for b in panel.findChildren(QMessageBox, name)), timeout=WAIT_MS)
    return next(b for b in panel.findChildren(QMessageBox, name) if b.isVisible())


def answer(qtbot, box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- contacts ------------------------------------------------------------------------------


def test_contacts_set_by_click_and_keys_are_pending_until_applied(qtbot, panel, drg_device, undo_stack):
    c1, c2, c3 = (child(panel, QPushButton, f"contact{n}") for n in (1, 2, 3))
    qtbot.mouseClick(c1, Qt.MouseButton.LeftButton)  # off -> +
    c1.setFocus()
    qtbot.keyClick(c1, Qt.Key.Key_Tab)
    assert c2.hasFocus()
    qtbot.keyClick(c2, Qt.Key.Key_Minus)  # - directly
    qtbot.keyClick(c3, Qt.Key.Key_Space)  # off -> +
    qtbot.keyClick(c3, Qt.Key.Key_Return)  # + -> -
    qtbot.keyClick(c3, Qt.Key.Key_0)  # back to off
    assert [c.text() for c in (c1, c2, c3)] == ["+  anode", "−  cathode", "off"]
    qtbot.keyClick(c2, Qt.Key.Key_Space)  # a slip: - -> off
    assert c2.text() == "off"
    undo_stack.undo()
    assert c2.text() == "−  cathode" and c2.property("pending") is True
    assert live(drg_device).contacts == (O, O, O, O)  # nothing sent yet
    assert not any(e.code == EventCode.LEAD_WRITTEN for e in drg_device.events)

    click(qtbot, panel, "applyContacts")
    qtbot.waitUntil(lambda: live(drg_device).contacts == (P, M, O, O), timeout=WAIT_MS)
    assert live(drg_device).amplitude_ua == 0 and not live(drg_device).enabled
    qtbot.waitUntil(lambda: c2.property("pending") is False, timeout=WAIT_MS)
    assert not child(panel, QPushButton, "applyContacts").isEnabled()


def test_applying_contacts_to_a_stimulating_lead_asks_first_and_leaves_it_off_at_zero(
    qtbot, panel, drg_service, drg_device
):
    ready_lead(qtbot, panel, drg_service, amplitude=200)
    place_lead_1(panel)
    qtbot.mouseClick(child(panel, QPushButton, "contact3"), Qt.MouseButton.LeftButton)
    click(qtbot, panel, "applyContacts")
    box = open_dialog(qtbot, panel, "contactsConfirm")
    assert box.text() == "Applying new contacts switches L4 left · lead 1 OFF and sets its amplitude to 0 mA."
    answer(qtbot, box, "Cancel")
    drg_service.wait_idle(WAIT_S)  # anything sent has reached the simulator
    assert live(drg_device) == LeadConfig(1, (P, M, O, O), 200, 300, 20, True, 6000)

    click(qtbot, panel, "applyContacts")
    answer(qtbot, open_dialog(qtbot, panel, "contactsConfirm"), "Apply contacts")
    qtbot.waitUntil(lambda: live(drg_device).contacts == (P, M, P, O), timeout=WAIT_MS)
    assert (live(drg_device).amplitude_ua, live(drg_device).enabled) == (0, False)
    qtbot.waitUntil(lambda: child(panel, QLabel, "stimState").text() == "OFF", timeout=WAIT_MS)


# -- enable and amplitude ------------------------------------------------------------------------


def test_enable_without_impedance_shows_the_devices_refusal(qtbot, panel, drg_service, drg_device):
    drg_service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 300, 20, False, 6000)).result(WAIT_S)
    enable = child(panel, QPushButton, "enableLead")
    qtbot.mouseClick(enable, Qt.MouseButton.LeftButton)
    message = child(panel, QLabel, "refusalMessage")
    qtbot.waitUntil(lambda: message.isVisible() and "measure impedance" in message.text(), timeout=WAIT_MS)
    assert not enable.isChecked() and drg_device.outputs_on == ()


def test_a_lead_switched_off_by_the_device_after_a_short_is_told_on_the_panel(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service)
    drg_device.tissue.develop_short(1, 1, 2)
    drg_service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT_S)
    message = child(panel, QLabel, "refusalMessage")
    qtbot.waitUntil(lambda: message.isVisible() and "switched lead 1 off" in message.text(), timeout=WAIT_MS)
    assert drg_device.outputs_on == ()
    seen(qtbot, panel, 0, "OFF")


def test_plus_steps_hold_ramps_until_release_and_minus_drops_at_once(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service, enable=False)
    enable = child(panel, QPushButton, "enableLead")
    qtbot.mouseClick(enable, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (1,) and enable.isChecked(), timeout=WAIT_MS)

    child(panel, QWidget, "ampIncrement").setCurrentIndex(1)  # medium: 50 µA below 2 mA
    up = child(panel, QPushButton, "ampUp")
    for _ in range(3):
        qtbot.mouseClick(up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 150, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: child(panel, QLabel, "ampReadout").text() == "0.150 mA", timeout=WAIT_MS)
    assert child(panel, QLabel, "ampMicro").text() == "150 µA"
    drg_service.wait_idle(WAIT_S)
    assert live(drg_device).amplitude_ua == 150  # clicks step exactly, no ramp beyond

    qtbot.mousePress(up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua > 150 + 50, timeout=WAIT_MS)  # held: more than one step
    qtbot.mouseRelease(up, Qt.MouseButton.LeftButton)
    drg_service.wait_idle(WAIT_S)  # a write already on the wire lands; the release ended the ramp
    released_at = live(drg_device).amplitude_ua
    drg_service.wait_idle(WAIT_S)
    assert live(drg_device).amplitude_ua == released_at  # and nothing more after release

    writes = len(drg_device.events)
    click(qtbot, panel, "ampDown")
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == released_at - 50, timeout=1000)
    new = drg_device.events[writes:]
    assert [(e.code, e.value) for e in new] == [(EventCode.AMPLITUDE_SET, released_at - 50)]  # one write, no ramp


def test_arrow_and_page_keys_on_the_amplitude_area_step_small_and_large(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service)
    area = child(panel, QWidget, "ampArea")
    area.setFocus()
    readout = child(panel, QLabel, "ampReadout")
    # each key steps from what the panel shows the device holds: wait until it shows it
    qtbot.keyClick(area, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 25 and readout.text() == "0.025 mA", timeout=WAIT_MS)
    qtbot.keyClick(area, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 225 and readout.text() == "0.225 mA", timeout=WAIT_MS)
    qtbot.keyClick(area, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 200 and readout.text() == "0.200 mA", timeout=WAIT_MS)
    qtbot.keyClick(area, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 0, timeout=WAIT_MS)


def test_typed_amplitude_is_rounded_down_announced_then_ramped(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service)
    place_lead_1(panel)
    entry, error = child(panel, QLineEdit, "ampEntry"), child(panel, QLabel, "ampError")
    type_into(qtbot, entry, "0.31 mA")
    assert error.isVisible() and "0.31 mA" in error.text() and "send 0.300 mA" in error.text()
    assert live(drg_device).amplitude_ua == 0
    click(qtbot, panel, "ampSet")  # the announced value, on a second press
    box = open_dialog(qtbot, panel, "riseConfirm")  # 0 to 300 µA: more than one large increment
    assert box.text().startswith("Raise L4 left · lead 1 from 0 to 300 µA") and "ramps up over" in box.text()
    answer(qtbot, box, "Ramp up")
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 300, timeout=WAIT_MS)
    ramp = [e.value for e in drg_device.events if e.code == EventCode.AMPLITUDE_SET]
    assert len(ramp) > 1 and ramp == sorted(ramp)  # reached by a rising ramp


def test_a_bare_typed_number_is_in_ma_and_a_large_typed_rise_asks_first(
    qtbot, panel, drg_service, drg_device, drg_store, drg_session
):
    ready_lead(qtbot, panel, drg_service)
    entry = child(panel, QLineEdit, "ampEntry")
    events = len(drg_device.events)
    type_into(qtbot, entry, "3")  # the field displays mA: 3 mA, not 3 µA
    box = open_dialog(qtbot, panel, "riseConfirm")
    assert "3000 µA" in box.text() and "ramps up over about 6 s" in box.text()
    answer(qtbot, box, "Cancel")
    drg_service.wait_idle(WAIT_S)  # anything sent has reached the simulator
    assert live(drg_device).amplitude_ua == 0 and len(drg_device.events) == events
    assert "rise_confirmed" not in session_kinds(drg_store, drg_session)
    assert "Sent" not in child(panel, QLabel, "ampError").text()


def test_after_stop_all_the_lead_comes_back_at_zero_and_ramps_back_only_on_request(
    qtbot, panel, drg_service, drg_device, fast_ramp
):
    ready_lead(qtbot, panel, drg_service, amplitude=1100)
    resume = child(panel, QPushButton, "ampResume")
    assert not resume.isVisible()
    drg_service.stop_all().result(WAIT_S)
    seen(qtbot, panel, 1100, "OFF")
    assert not resume.isVisible()
    space = resume.sizePolicy().retainSizeWhenHidden()

    qtbot.mouseClick(child(panel, QPushButton, "enableLead"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (1,), timeout=WAIT_MS)
    seen(qtbot, panel, 0, "LIVE")
    assert live(drg_device).amplitude_ua == 0  # not the 1100 µA it had
    qtbot.waitUntil(resume.isVisible, timeout=WAIT_MS)
    assert "1.100 mA" in resume.text() and space

    qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    box = open_dialog(qtbot, panel, "riseConfirm")  # 0 to 1100 µA: more than one large increment
    assert "1100 µA" in box.text()
    answer(qtbot, box, "Ramp up")
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 1100, timeout=WAIT_MS)
    ramp = [e.value for e in drg_device.events if e.code == EventCode.AMPLITUDE_SET]
    assert ramp[-1] == 1100 and len(ramp) > 2
    qtbot.waitUntil(lambda: not resume.isVisible(), timeout=WAIT_MS)


def test_holding_plus_reaches_the_patient_maximum_exactly(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service, patient_max=300)
    child(panel, QWidget, "ampIncrement").setCurrentIndex(1)  # medium: 50 µA
    up = child(panel, QPushButton, "ampUp")
    qtbot.mousePress(up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 300, timeout=WAIT_MS)
    qtbot.mouseRelease(up, Qt.MouseButton.LeftButton)
    seen(qtbot, panel, 300)
    assert live(drg_device).amplitude_ua == 300
    qtbot.waitUntil(lambda: not up.isEnabled(), timeout=WAIT_MS)
    assert "patient maximum of 300 µA" in up.toolTip() and "325" not in up.toolTip()
    assert child(panel, QLabel, "ampUpBlocked").text() == up.toolTip()


def test_a_click_that_would_pass_the_patient_maximum_stops_at_it(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service, patient_max=300, amplitude=275)
    child(panel, QWidget, "ampIncrement").setCurrentIndex(1)  # medium: 50 µA would give 325
    up = child(panel, QPushButton, "ampUp")
    assert up.isEnabled() and "0.300 mA" in up.toolTip()
    qtbot.mouseClick(up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 300, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not up.isEnabled(), timeout=WAIT_MS)
    assert "patient maximum of 300 µA" in up.toolTip()


def test_plus_is_disabled_with_the_reason_when_the_next_step_is_refused(qtbot, panel, drg_service):
    ready_lead(qtbot, panel, drg_service, patient_max=500, amplitude=500)
    up = child(panel, QPushButton, "ampUp")
    qtbot.waitUntil(lambda: not up.isEnabled(), timeout=WAIT_MS)
    assert "patient maximum" in up.toolTip()
    assert child(panel, QLabel, "maxSafeLabel").text() == "Limit: 0.500 mA"


# -- pending timing edits -----------------------------------------------------------------------


def test_timing_edits_are_pending_undoable_and_applied_with_the_lead_left_on(
    qtbot, panel, drg_service, drg_device, undo_stack
):
    ready_lead(qtbot, panel, drg_service, amplitude=100)
    pw = child(panel, QLineEdit, "pwEntry")
    qtbot.waitUntil(lambda: pw.text() == "300", timeout=WAIT_MS)
    type_into(qtbot, pw, "350")
    click(qtbot, panel, "freqUp")  # small step: 20 -> 22 Hz
    assert pw.property("pending") is True and child(panel, QLineEdit, "freqEntry").text() == "22"
    undo_stack.undo()
    assert child(panel, QLineEdit, "freqEntry").text() == "20"
    undo_stack.undo()
    assert pw.text() == "300" and pw.property("pending") is False
    undo_stack.redo()
    assert pw.text() == "350"
    assert live(drg_device).pulse_width_us == 300  # nothing sent before Apply

    click(qtbot, panel, "applyParams")
    qtbot.waitUntil(lambda: live(drg_device).pulse_width_us == 350, timeout=WAIT_MS)
    assert live(drg_device) == LeadConfig(1, (P, M, O, O), 100, 350, 20, True, 6000)
    qtbot.waitUntil(lambda: pw.property("pending") is False, timeout=WAIT_MS)


# -- limits and the density confirmation -----------------------------------------------------------------


def test_density_readout_turns_amber_then_red_before_the_cap_binds(qtbot, panel, drg_service, drg_device, fast_ramp):
    ready_lead(qtbot, panel, drg_service)
    type_into(qtbot, child(panel, QLineEdit, "pwEntry"), "720")
    assert "720 µs pending" in child(panel, QLabel, "limitsCaption").text()  # judged before it is applied
    assert child(panel, QWidget, "densityReadout").text() == "0.5 of 30 µC/cm²"  # 25 µA x 720 µs
    click(qtbot, panel, "applyParams")
    qtbot.waitUntil(lambda: live(drg_device).pulse_width_us == 720, timeout=WAIT_MS)
    density = child(panel, QWidget, "densityReadout")
    assert density.property("state") == "ok"

    raise_amplitude(drg_service, 1, 1300)  # 23.8 µC/cm²; the next step 1325 µA gives 24.3
    qtbot.waitUntil(lambda: density.property("state") == "amber", timeout=WAIT_MS)
    assert density.text().startswith("near") and "of 30 µC/cm²" in density.text()

    raise_amplitude(drg_service, 1, 1625)  # 29.8 µC/cm²: still under the cap
    qtbot.waitUntil(lambda: density.property("state") == "red", timeout=WAIT_MS)
    assert density.text().startswith("LIMIT") and "30.2 of 30" in density.text()
    up = child(panel, QPushButton, "ampUp")
    assert up.isEnabled() and "confirmation" in up.toolTip()  # allowed, but only confirmed


def test_density_confirmation_cancel_changes_nothing_continue_reaches_the_value(
    qtbot, panel, drg_service, drg_device, drg_store, drg_session, fast_ramp
):
    ready_lead(qtbot, panel, drg_service, pw=720, amplitude=1625)
    place_lead_1(panel)
    entry = child(panel, QLineEdit, "ampEntry")
    type_into(qtbot, entry, "1650 µA")
    box = open_dialog(qtbot, panel, "densityConfirm")
    assert box.text().startswith("L4 left · lead 1: charge density 30.2 µC/cm²/phase")
    assert "30.2" in box.text() and "30" in box.text() and "confirm" in box.informativeText()
    events = len(drg_device.events)
    answer(qtbot, box, "Cancel")
    drg_service.wait_idle(WAIT_S)
    assert live(drg_device).amplitude_ua == 1625 and len(drg_device.events) == events
    assert "density_confirmed" not in session_kinds(drg_store, drg_session)

    click(qtbot, panel, "ampSet")
    answer(qtbot, open_dialog(qtbot, panel, "densityConfirm"), "Continue")
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 1650, timeout=WAIT_MS)
    assert "density_confirmed" in session_kinds(drg_store, drg_session)
    qtbot.waitUntil(lambda: child(panel, QLabel, "ampReadout").text() == "1.650 mA", timeout=WAIT_MS)


# -- stimulus response ------------------------------------------------------------------------------------


def test_perception_comfortable_and_max_are_recorded_with_the_sensation(
    qtbot, panel, drg_service, drg_store, drg_patient
):
    drg_service.recording.place_lead(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2026, 1, 5))).result()
    ready_lead(qtbot, panel, drg_service)
    for ua, button in ((300, "recordPerception"), (500, "recordComfortable"), (700, "recordMaxTolerable")):
        raise_amplitude(drg_service, 1, ua)
        seen(qtbot, panel, ua)
        click(qtbot, panel, button)
    assert child(panel, QLabel, "comfortableValue").text() == "0.500 mA"
    sensation = child(panel, QWidget, "sensation")
    sensation.setCurrentIndex(sensation.findData(Sensation.BUZZING))
    click(qtbot, panel, "saveResponse")

    message = child(panel, QLabel, "responseMessage")
    qtbot.waitUntil(lambda: message.text().startswith("Response saved in the session"), timeout=WAIT_MS)
    history = drg_store.threshold_history(drg_patient.id, SpinalLevel.L4)
    response = history[-1].response
    assert (response.perception_threshold_ua, response.comfortable_ua, response.max_tolerable_ua) == (300, 500, 700)
    assert response.sensation is Sensation.BUZZING and response.body_regions == ()  # the area: the body map
    assert (response.contacts, response.pulse_width_us, response.frequency_hz) == ((P, M, O, O), 300, 20)
    with qtbot.waitSignal(panel.whereFelt) as asked:
        click(qtbot, panel, "responseWhere")
    assert asked.args == [1]  # the window opens the body map with lead 1's brush


def test_an_inconsistent_response_shows_the_models_sentence_and_records_nothing(
    qtbot, panel, drg_service, drg_store, drg_session
):
    ready_lead(qtbot, panel, drg_service)
    raise_amplitude(drg_service, 1, 300)
    seen(qtbot, panel, 300)
    click(qtbot, panel, "recordMaxTolerable")  # then a perception threshold above it: inconsistent
    raise_amplitude(drg_service, 1, 500)
    seen(qtbot, panel, 500)
    click(qtbot, panel, "recordPerception")
    click(qtbot, panel, "saveResponse")
    message = child(panel, QLabel, "responseMessage")
    assert message.isVisible() and "tolerable" in message.text()
    assert "response_recorded" not in session_kinds(drg_store, drg_session)


# -- link ------------------------------------------------------------------------------------------------------


def test_without_a_link_controls_are_disabled_and_amplitude_is_unknown(qtbot, panel, drg_service):
    ready_lead(qtbot, panel, drg_service, amplitude=100)
    readout = child(panel, QLabel, "ampReadout")
    drg_service.connection.disconnect().result(WAIT_S)
    qtbot.waitUntil(lambda: readout.text() == "unknown", timeout=WAIT_MS)
    for name in ("ampUp", "ampDown", "enableLead", "contact1", "recordPerception"):
        assert not child(panel, QPushButton, name).isEnabled(), name
    assert not child(panel, QLineEdit, "pwEntry").isEnabled()
    assert child(panel, QLabel, "stimState").text() == "UNKNOWN"


def test_each_lead_keeps_its_own_pending_edits_and_location(qtbot, panel, drg_service):
    drg_service.outputs.write_lead(LeadConfig(2, (M, P, O, O), 0, 200, 40, False, 3000)).result(WAIT_S)
    contact1 = child(panel, QPushButton, "contact1")
    qtbot.mouseClick(contact1, Qt.MouseButton.LeftButton)
    assert contact1.property("pending") is True
    panel.set_lead(2)
    panel.set_location("Lead 2 · L5 left")
    pw = child(panel, QLineEdit, "pwEntry")
    qtbot.waitUntil(lambda: pw.text() == "200", timeout=WAIT_MS)
    assert contact1.text() == "−  cathode" and contact1.property("pending") is False
    assert child(panel, QLabel, "leadTitle").text() == "Lead 2 · L5 left"
    panel.set_lead(1)
    assert contact1.text() == "+  anode" and contact1.property("pending") is True
    assert child(panel, QLabel, "leadTitle").text() == "Lead 1 · L4 left"
    with pytest.raises(ValueError, match="no lead 5"):
        panel.set_lead(5)


def test_the_contacts_view_has_a_toggle_per_contact_of_the_device(qtbot):
    view = ContactsView()
    qtbot.addWidget(view)
    assert [button.objectName() for button in view.buttons] == ["contact1", "contact2", "contact3", "contact4"]
    view.set_count(8)
    names = [f"contact{n}" for n in range(1, 9)]
    assert [button.objectName() for button in view.buttons] == names
    assert sorted(b.objectName() for b in view.findChildren(QPushButton)) == sorted(names)
    view.set_count(4)
    assert len(view.findChildren(QPushButton)) == 4
    view.show_contacts((Polarity.CATHODE, Polarity.ANODE, Polarity.OFF, Polarity.OFF), None)
    assert [button.text() for button in view.buttons[:2]] == ["−  cathode", "+  anode"]
