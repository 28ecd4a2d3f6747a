"""Every service entry point refuses a bad value with InvalidValue (field, value,
sentence): nothing reaches the device, and the refusal is in the session log."""

from __future__ import annotations

import math

import pytest

from drivers.types import ImpedanceMode, LeadConfig, Polarity, Program
from workstation.validation import InvalidValue

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
BAD_NUMBERS = [math.nan, math.inf, -math.inf, 1e30, 2.0, True, "1", None, -25]


def lead(**changes) -> LeadConfig:
    values = dict(
        lead=1,
        contacts=(P, M, O, O),
        amplitude_ua=0,
        pulse_width_us=300,
        frequency_hz=20,
        enabled=False,
        patient_max_ua=3000,
    )
    config = object.__new__(LeadConfig)  # bypass __post_init__: a caller can build anything
    for name, value in {**values, **changes}.items():
        object.__setattr__(config, name, value)
    return config


def calls(service):
    live = [service.state.leads[n] for n in sorted(service.state.leads)]
    for value in BAD_NUMBERS:
        yield "set_amplitude", lambda v=value: service.outputs.set_amplitude(1, v)
        yield "set_amplitude", lambda v=value: service.outputs.set_amplitude(v, 100)
        yield "set_enabled", lambda v=value: service.outputs.set_enabled(v, False)
        yield "write_lead", lambda v=value: service.outputs.write_lead(lead(pulse_width_us=v))
        yield "write_lead", lambda v=value: service.outputs.write_lead(lead(patient_max_ua=v))
        yield "write_lead", lambda v=value: service.outputs.write_lead(lead(lead=v))
        yield "write_program", lambda v=value: service.programs.write(Program("P", (lead(frequency_hz=v), *live[1:])))
        yield "start_telemetry", lambda v=value: service.connection.start_telemetry(v)
        yield "measure_impedance", lambda v=value: service.impedance.measure(ImpedanceMode.LEAD_PAIR, (v,))
    yield "set_enabled", lambda: service.outputs.set_enabled(1, 1)
    yield "set_enabled", lambda: service.outputs.set_enabled(1, "on")
    yield "set_amplitude", lambda: service.outputs.set_amplitude(1, 1010)  # between steps
    yield "set_amplitude", lambda: service.outputs.set_amplitude(5, 100)  # no lead 5
    yield "write_lead", lambda: service.outputs.write_lead(lead(contacts=(P, M, O)))
    yield "write_lead", lambda: service.outputs.write_lead(lead(enabled=1))
    yield "write_program", lambda: service.programs.write(Program("P", tuple(live[:3])))  # a lead missing
    yield "write_program", lambda: service.programs.write(Program("x" * 33, tuple(live)))  # name too long
    yield "measure_impedance", lambda: service.impedance.measure(1)  # a number, not a mode
    yield "start_telemetry", lambda: service.connection.start_telemetry(100_001)


def test_every_bad_value_is_refused_recorded_and_never_sent(drg_service, drg_store, drg_session):
    device = drg_service.link.simulator.model
    for action, call in calls(drg_service):
        events = len(device.events)
        with pytest.raises(InvalidValue) as refused:
            call()
        assert refused.value.field and str(refused.value).endswith(".")
        assert len(device.events) == events, f"{action}: sent after a refusal"
        drg_service.wait_idle()  # a refusal on the caller's thread is written on records-io
        last = drg_store.session_events(drg_session)[-1]
        assert (last.kind, last.outcome) == (action, "refused")


def test_a_bad_record_of_a_visit_leaving_the_records_is_refused_and_recorded(drg_service, drg_store, drg_session):
    """A visit printed, saved or exported is audited; a bad record of one is refused and nothing is audited."""
    from workstation.visit import VisitOutput

    recording = drg_service.recording
    for session_id, output, destination in (
        (0, VisitOutput.REPORT_PRINTED, "Ward printer"),
        (drg_session, "printed", "Ward printer"),
        (drg_session, VisitOutput.REPORT_PRINTED, "  "),
        (drg_session, VisitOutput.REPORT_PRINTED, None),
    ):
        with pytest.raises(InvalidValue) as refused:
            recording.visit_output(session_id, output, destination)
        assert str(refused.value).endswith(".")
        drg_service.wait_idle()
        last = drg_store.session_events(drg_session)[-1]
        assert (last.kind, last.outcome) == ("visit_output", "refused")
    assert drg_store.audit_details("export") == []
    recording.visit_output(drg_session, VisitOutput.REPORT_PRINTED, "Ward printer").result(5)
    assert drg_store.audit_details("export") == [
        {"what": "visit report printed", "session": drg_session, "to": "Ward printer"}
    ]
