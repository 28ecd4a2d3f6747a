"""The programming service against the simulator (through pyusb) and a real
records store: what the device holds and what the records hold."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from drivers.types import ImpedanceMode, LeadConfig, Polarity, Program
from ui.testing.actions import confirmed, raise_amplitude
from ui.testing.plugin import qa_user
from workstation.models import (
    LeadPlacement,
    PainScore,
    PainTiming,
    Sensation,
    Side,
    SpinalLevel,
    StimulusResponse,
)
from workstation.service import (
    CancelledByStopAll,
    Confirm,
    ConfirmationRequired,
    LeadChanged,
    LinkChanged,
    LinkState,
    NoActiveSession,
    SafetyRefused,
)

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
WAIT = 10


@pytest.fixture
def store(drg_store):
    return drg_store


@pytest.fixture
def service(drg_service):
    return drg_service


@pytest.fixture
def session(drg_session):
    return drg_session


def until(condition, timeout_s: float = WAIT) -> bool:
    """Wait for `condition` on the service's own threads' progress (an event, not a fixed time)."""
    done = threading.Event()
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        done.wait(0.005)
    return True


def kinds(store, session_id):
    return [e.kind for e in store.session_events(session_id)]


def test_a_whole_session_leaves_device_and_records_as_expected(service, store, session):
    device = service.link.simulator.model
    service.recording.place_lead(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2026, 1, 5))).result()
    service.recording.place_lead(LeadPlacement(2, SpinalLevel.L5, Side.LEFT, date(2026, 1, 5))).result()
    service.recording.record_pain_score(PainScore(7, PainTiming.BEFORE)).result()
    for lead in (1, 2):
        service.outputs.write_lead(LeadConfig(lead, (P, M, O, O), 0, 300, 20, False, 2000)).result(WAIT)
    impedance = service.impedance.measure(ImpedanceMode.LEAD_PAIR).result(WAIT)
    assert {m.lead for m in impedance.measurements} == {1, 2}
    for lead, target in ((1, 400), (2, 250)):
        service.outputs.set_enabled(lead, True).result(WAIT)
        raise_amplitude(service, lead, target)
    assert [c.amplitude_ua for c in device.live_leads[:2]] == [400, 250]
    service.recording.record_response(
        StimulusResponse(1, (P, M, O, O), 300, 20, Sensation.TINGLING, False, ("foot",), 150, 400, 900)
    ).result()
    program = service.programs.current("Daytime")
    result = service.programs.write(program).result(WAIT)
    assert result.verified and result.mismatch is None
    assert device.stored_program == program
    service.recording.record_pain_score(PainScore(3, PainTiming.AFTER)).result()
    service.recording.end_session().result()

    events = kinds(store, session)
    assert {
        "device_state",
        "write_lead",
        "impedance_recorded",
        "set_enabled",
        "set_amplitude",
        "response_recorded",
        "program_saved",
        "pain_score_recorded",
    } <= set(events)
    assert "density_confirmed" not in events  # nothing here came near the cap
    saved = store.program_history(store.get_session(session).patient_id)
    assert saved[-1].program == program and saved[-1].verified
    history = store.threshold_history(store.get_session(session).patient_id, SpinalLevel.L4)
    assert history[-1].response.perception_threshold_ua == 150


def test_amplitude_rises_by_ramp_steps_and_falls_at_once(service, session):
    service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    service.outputs.set_enabled(1, True).result(WAIT)
    written = []
    service.subscribe(lambda n: isinstance(n, LeadChanged) and written.append(n.config.amplitude_ua))
    started = time.monotonic()
    confirmed(service, lambda: service.outputs.set_amplitude(1, 300)).result(WAIT)
    elapsed = time.monotonic() - started
    rises = [b - a for a, b in zip([0] + written, written) if b > a]
    assert written[-1] == 300 and len(rises) >= 3  # never one jump
    assert elapsed >= 0.3 * 300 / 500  # the ramp rate bounds how fast it gets there
    service.outputs.set_amplitude(1, 0).result(WAIT)
    assert service.link.simulator.model.live_leads[0].amplitude_ua == 0


def test_refused_setting_is_recorded_and_never_sent(service, store, session):
    service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 720, 20, False, 6000)).result(WAIT)
    before = service.link.simulator.model.events
    with pytest.raises(SafetyRefused, match="Shannon|charge"):
        service.outputs.set_amplitude(1, 6000)
    assert service.link.simulator.model.events == before
    service.wait_idle(WAIT)
    assert store.session_events(session)[-1].outcome == "refused"


def test_density_above_the_cap_needs_a_recorded_confirmation(service, store, session):
    config = LeadConfig(1, (P, M, O, O), 0, 720, 20, False, 6000)
    service.outputs.write_lead(config).result(WAIT)
    with pytest.raises(ConfirmationRequired) as asked:  # 1.22 µC over 0.0393 cm²: above 30 µC/cm²
        service.outputs.set_amplitude(1, 1700)
    assert asked.value.kind == Confirm.CHARGE_DENSITY and asked.value.config.amplitude_ua == 1700
    service.outputs.confirm(asked.value)
    service.wait_idle(WAIT)  # the confirmation is written on records-io
    assert "density_confirmed" in kinds(store, session)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    service.outputs.set_enabled(1, True).result(WAIT)
    with pytest.raises(ConfirmationRequired) as asked:  # 0 to 1700 µA: more than one large increment
        service.outputs.set_amplitude(1, 1700)
    assert asked.value.kind == Confirm.LARGE_RISE and "1700" in str(asked.value) and asked.value.ramp_s > 3
    service.outputs.confirm(asked.value)
    service.outputs.set_amplitude(1, 1700).result(WAIT)
    assert service.link.simulator.model.live_leads[0].amplitude_ua == 1700


def test_output_changes_need_a_session(service):
    with pytest.raises(NoActiveSession):
        service.outputs.set_amplitude(1, 100)


def test_stop_all_turns_everything_off_and_ends_ramps(service, session):
    for lead in (1, 2):
        service.outputs.write_lead(LeadConfig(lead, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR).result(WAIT)
    for lead in (1, 2):
        service.outputs.set_enabled(lead, True).result(WAIT)
    device = service.link.simulator.model
    ramp = confirmed(service, lambda: service.outputs.set_amplitude(1, 2000))
    assert until(lambda: device.live_leads[0].amplitude_ua > 0)  # the ramp is under way
    service.stop_all().result(WAIT)
    with pytest.raises(CancelledByStopAll):
        ramp.result(WAIT)
    service.wait_idle(WAIT)  # everything queued before has run: a ramp has nothing left to queue
    assert device.outputs_on == ()
    assert device.live_leads[0].amplitude_ua < 2000
    assert not any(c.enabled for c in service.state.leads.values())


def test_output_changes_queued_before_stop_all_are_dropped(service, session):
    device = service.link.simulator
    service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    device.model.scenario = device.model.scenario.__class__(impedance_ms=300)  # a slow measurement
    slow = service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,))  # device-io is busy with it ...
    queued_enable = service.outputs.set_enabled(1, True)  # ... so the enable waits in the queue
    service.stop_all().result(WAIT)
    slow.result(WAIT)
    with pytest.raises(CancelledByStopAll):
        queued_enable.result(WAIT)
    assert device.model.outputs_on == ()


def test_a_density_confirmation_holds_for_one_session_only(service, store, session, drg_patient):
    config = LeadConfig(1, (P, M, O, O), 0, 720, 20, False, 6000)
    service.outputs.write_lead(config).result(WAIT)
    with pytest.raises(ConfirmationRequired) as asked:
        service.outputs.set_amplitude(1, 1700)
    service.outputs.confirm(asked.value)
    service.recording.end_session().result()
    service.recording.start_session(drg_patient.id).result()
    with pytest.raises(ConfirmationRequired):
        service.outputs.set_amplitude(1, 1700)


def test_a_program_that_would_jump_output_is_refused(service, session):
    device = service.link.simulator.model
    before = device.stored_program
    jump = Program(
        "Jump", tuple(LeadConfig(n, (P, M, O, O), 1500 if n == 1 else 0, 300, 20, n == 1, 3000) for n in range(1, 5))
    )
    with pytest.raises(SafetyRefused, match="Apply it to the leads first"):
        service.programs.write(jump)
    assert device.stored_program == before


def test_impedance_values_measured_before_an_unplug_are_kept(service, store, session):
    for lead in (1, 2):
        service.outputs.write_lead(LeadConfig(lead, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    device = service.link.simulator
    calls = []
    original = service.link.client.measure_impedance

    def measure_then_unplug(mode, lead):
        calls.append(lead)
        if len(calls) == 2:
            device.unplug()
        return original(mode, lead)

    service.link.client.measure_impedance = measure_then_unplug
    with pytest.raises(Exception):  # noqa: B017 - the unplug surfaces as whichever error the link raises
        service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1, 2)).result(WAIT)
    kinds = [e.kind for e in store.session_events(session)]
    assert "impedance_recorded" in kinds and "impedance_failed" in kinds
    (recorded,) = [e for e in store.session_events(session) if e.kind == "impedance_recorded"]
    assert {m["lead"] for m in recorded.payload["measurements"]} == {1}


def test_unplug_reconnects_and_resynchronises(service, session):
    states = []
    back = threading.Event()

    def on_notice(notice) -> None:
        if isinstance(notice, LinkChanged):
            states.append(notice.state)
            if notice.state == LinkState.CONNECTED:
                back.set()

    service.subscribe(on_notice)
    device = service.link.simulator
    device.unplug()
    with pytest.raises(Exception):  # noqa: B017 - the unplug surfaces as whichever error the link raises
        service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    assert service.link_state == LinkState.RECONNECTING
    device.replug()
    assert back.wait(WAIT)
    assert service.link_state == LinkState.CONNECTED
    assert states == [LinkState.RECONNECTING, LinkState.CONNECTED]
    assert service.state.leads[1] == device.model.live_leads[0]


def test_a_ramp_moves_only_when_the_service_clock_does(drg_store, drg_patient):
    """The ramp runs on the injected clock: with a stepped clock nothing rises until it is advanced."""
    from ui.testing.plugin import sim_uri
    from workstation.service import ProgrammingService, SteppedClock

    clock = SteppedClock()
    service = ProgrammingService(drg_store, clock=clock, user=qa_user())
    try:
        service.connection.connect(sim_uri()).result(WAIT)
        service.recording.start_session(drg_patient.id).result(WAIT)
        service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
        service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
        service.outputs.set_enabled(1, True).result(WAIT)
        device = service.link.simulator.model
        ramp = confirmed(service, lambda: service.outputs.set_amplitude(1, 500))
        service.wait_idle(WAIT)
        assert device.live_leads[0].amplitude_ua == 0 and not ramp.done()  # the clock has not moved
        steps = 0
        while not ramp.done() and steps < 1000:
            clock.advance(0.05)
            steps += 1
            until(lambda: ramp.done(), timeout_s=0.05)
        assert ramp.result(WAIT).amplitude_ua == 500 == device.live_leads[0].amplitude_ua
        assert steps > 1  # it took several ticks of the clock, at the ramp rate
    finally:
        service.shutdown()
