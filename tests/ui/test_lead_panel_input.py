"""Bad input in every numeric field of the lead panel: a visible sentence next to the field,
and nothing sent to the device or recorded. Also the parsing rules on their own."""

from __future__ import annotations

import pytest
import test_lead_panel as lead
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from drivers.sim.device import CAPABILITIES
from ui.lead_panel.entry import InputError, parse_amplitude, parse_setting
from workstation.safety import grid

FIELDS = {  # entry, message label, button that would send it after Enter (Enter is Set for the amplitude)
    "amplitude": ("ampEntry", "ampError", None),
    "pulse width": ("pwEntry", "pwError", "applyParams"),
    "frequency": ("freqEntry", "freqError", "applyParams"),
    "patient maximum": ("patientMaxEntry", "patientMaxError", "applyParams"),
}
BAD = {  # field -> case -> (typed, words the message must contain)
    "amplitude": {
        "out of range": ("6.5", "Amplitude 6.5 mA is outside 0-6 mA"),  # the field shows mA: so do its messages
        "off step": ("1.01", "1.01 mA is between steps; nearest 1.000 or 1.025 mA"),
        "text": ("lots", "not a number"),
        "empty": ("", "Type the amplitude"),
    },
    "pulse width": {
        "out of range": ("800", "outside 40-720 µs"),
        "off step": ("305", "nearest 300 or 310 µs"),
        "text": ("3OO", "not a pulse width in µs"),
        "empty": ("", "Type the pulse width"),
    },
    "frequency": {
        "out of range": ("120", "outside 4-100 Hz"),
        "off step": ("21", "nearest 20 or 22 Hz"),
        "text": ("fast", "not a number"),
        "empty": ("", "Type the frequency"),
    },
    "patient maximum": {
        "out of range": ("7000", "outside 0-6000 µA"),
        "off step": ("1010", "nearest 1000 or 1025 µA"),
        "text": ("1,5 mA", "not a number"),
        "empty": ("", "Type the patient maximum"),
    },
}
panel, undo_stack = lead.panel, lead.undo_stack  # the panel tests' fixtures
child, live, ready_lead, session_kinds, type_into = (
    lead.child,
    lead.live,
    lead.ready_lead,
    lead.session_kinds,
    lead.type_into,
)
CASES = [(field, case) for field in FIELDS for case in BAD[field]]


@pytest.mark.parametrize(("field", "case"), CASES, ids=[f"{f}-{c}" for f, c in CASES])
def test_bad_input_shows_a_message_and_changes_nothing(
    qtbot, panel, drg_service, drg_device, drg_store, drg_session, field, case
):
    ready_lead(qtbot, panel, drg_service, amplitude=100)
    entry_name, error_name, send_name = FIELDS[field]
    typed, words = BAD[field][case]
    events, lead, kinds = drg_device.events, live(drg_device), session_kinds(drg_store, drg_session)

    type_into(qtbot, child(panel, QLineEdit, entry_name), typed)
    if send_name is not None:
        send = child(panel, QPushButton, send_name)  # a click on Apply takes the typed value: checked first
        qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
    drg_service.wait_idle()  # anything sent has reached the simulator (and its record the store)

    message = child(panel, QLabel, error_name)
    assert message.isVisible() and words in message.text()
    assert drg_device.events == events and live(drg_device) == lead
    assert session_kinds(drg_store, drg_session) == kinds


def test_a_corrected_value_clears_the_message_and_becomes_pending(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service)
    entry, message = child(panel, QLineEdit, "pwEntry"), child(panel, QLabel, "pwError")
    type_into(qtbot, entry, "305")
    assert message.isVisible()
    type_into(qtbot, entry, "310")
    assert not message.text() and entry.property("pending") is True
    assert live(drg_device).pulse_width_us == 300


# -- the parsing rules on their own -----------------------------------------------------------


@given(st.integers(min_value=0, max_value=CAPABILITIES.amplitude_max_ua * 1000))
def test_a_typed_amplitude_is_never_rounded_up_and_lands_on_a_device_step(nano):
    typed = nano / 1000  # µA with three decimals
    entry = parse_amplitude(CAPABILITIES, f"{typed:.3f} µA")
    assert entry.value_ua <= typed and entry.value_ua in grid(CAPABILITIES, "amplitude")
    assert entry.rounded == (entry.value_ua != typed)


@pytest.mark.parametrize(
    ("text", "ua"),
    [
        ("1.25", 1250),
        ("1.5", 1500),
        ("3", 3000),
        ("1.25 mA", 1250),
        ("1.025mA", 1025),
        ("300 µA", 300),
        ("1500 uA", 1500),
        (" 0.075 ", 75),
        ("0.31 mA", 300),
        ("1250 μA", 1250),
    ],
)
def test_amplitude_units_are_read_exactly(text, ua):
    """A number without a unit is in mA, the unit the amplitude field displays."""
    assert parse_amplitude(CAPABILITIES, text).value_ua == ua


def test_a_bare_patient_maximum_stays_in_the_unit_its_field_displays():
    assert parse_setting(CAPABILITIES, "amplitude", "300", "Patient maximum") == 300  # shown in µA


def test_a_bare_number_typed_in_the_amplitude_field_is_ma_on_screen(qtbot, panel, drg_service, drg_device):
    ready_lead(qtbot, panel, drg_service, amplitude=100)
    entry = child(panel, QLineEdit, "ampEntry")
    assert "mA" in entry.placeholderText() and "mA" in entry.toolTip()
    lead.type_into(qtbot, entry, "0.15")  # 150 µA, one small rise: no confirmation
    qtbot.waitUntil(lambda: live(drg_device).amplitude_ua == 150, timeout=lead.WAIT_MS)
    assert "150 µA" in child(panel, QLabel, "ampError").text()


@pytest.mark.parametrize("parameter", ["pulse_width", "frequency"])
def test_every_accepted_timing_value_parses_to_itself(parameter):
    for value in grid(CAPABILITIES, parameter):
        assert parse_setting(CAPABILITIES, parameter, str(value), "Setting") == value


@pytest.mark.parametrize(
    ("text", "words"), [("5 kV", "not a pulse width in µs"), ("300 ms", "not a pulse width"), ("-40", "outside")]
)
def test_wrong_units_and_signs_are_named(text, words):
    with pytest.raises(InputError, match=words):
        parse_setting(CAPABILITIES, "pulse_width", text, "Pulse width")
