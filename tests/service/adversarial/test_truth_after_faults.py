"""Records tell the truth after a lost reply: an outcome the host cannot know is recorded as
unknown, and settled by a correction once the device is back and read."""

import pytest
from helpers import WAIT, lead_on, until

from drivers.types import Program
from ui.testing.faults import Fault, MsgType, inject_at
from ui.testing.plugin import sim_uri
from workstation.events import EventKind, Outcome
from workstation.service import DeviceReverted, LinkState, OutcomeSettled, ServiceError


def _night(svc, pulse_width_us=250):
    leads = svc.programs.current("Night").leads
    return Program("Night", tuple(c.with_(pulse_width_us=pulse_width_us) for c in leads))


def _notices(svc, kind):
    got = []
    svc.subscribe(lambda n: got.append(n) if isinstance(n, kind) else None)
    return got


def _reconnect(svc):
    """Replug once the service has noticed the loss; returns when the device has been read again."""
    assert until(lambda: svc.link_state == LinkState.RECONNECTING, WAIT)
    svc.link.simulator.replug()
    assert until(lambda: svc.link_state == LinkState.CONNECTED, WAIT)
    svc.wait_idle(WAIT)


def _saved(store, patient_id, name="Night"):
    return [p for p in store.program_history(patient_id) if p.program.name == name][-1]


@pytest.mark.parametrize(
    ("moment", "written"),
    [("after_execute", True), ("before_command", False)],
    ids=["commit-ran-reply-lost", "commit-never-arrived"],
)
def test_unplug_at_commit_is_unknown_then_settled(drg_service, drg_session, drg_store, drg_patient, moment, written):
    svc = drg_service
    program = _night(svc)
    settled = _notices(svc, OutcomeSettled)
    inject_at(svc, MsgType.COMMIT_PROGRAM, moment, Fault.UNPLUG)
    with pytest.raises(ServiceError):
        svc.programs.write(program).result(WAIT)
    svc.wait_idle(WAIT)

    unknown = _saved(drg_store, drg_patient.id)
    assert (unknown.written, unknown.verified) == (None, None), "an unknowable outcome recorded as known"
    event = next(e for e in drg_store.session_events(drg_session) if e.id == unknown.event_id)
    assert event.outcome == Outcome.UNKNOWN

    _reconnect(svc)
    device = svc.link.simulator.model
    assert (device.stored_program == program) is written
    now = _saved(drg_store, drg_patient.id)
    assert (now.written, now.verified, now.corrected) == (written, written, True)
    assert svc.state.stored_program == device.stored_program
    [correction] = drg_store.corrections_of(unknown.event_id)
    assert correction.kind == EventKind.CORRECTION
    assert ("written and verified" if written else "not written") in correction.payload["reason"]
    assert [n.event_id for n in settled] == [unknown.event_id]


def test_unplug_after_stage_is_settled_not_written(drg_service, drg_session, drg_store, drg_patient):
    svc = drg_service
    inject_at(svc, MsgType.STAGE_BEGIN, "after_execute", Fault.UNPLUG)
    with pytest.raises(ServiceError):
        svc.programs.write(_night(svc)).result(WAIT)
    svc.wait_idle(WAIT)
    _reconnect(svc)
    settled = _saved(drg_store, drg_patient.id)
    assert (settled.written, settled.verified) == (False, False)
    assert "previous program" in settled.mismatch


def test_lost_reply_with_device_reachable_is_known_at_once(drg_service, drg_session, drg_store, drg_patient):
    """A lost COMMIT reply with the device still answering: read back at once, nothing left unknown."""
    svc = drg_service
    program = _night(svc)
    inject_at(svc, MsgType.COMMIT_PROGRAM, "after_execute", Fault.TIMEOUT)
    with pytest.raises(ServiceError):
        svc.programs.write(program).result(WAIT)
    svc.wait_idle(WAIT)
    saved = _saved(drg_store, drg_patient.id)
    assert (saved.written, saved.verified, saved.corrected) == (True, True, False)
    assert svc.link.simulator.model.stored_program == program
    assert svc.state.stored_program == program


def test_lead_command_unknown_is_settled_by_what_the_device_holds(drg_service, drg_session, drg_store):
    svc = drg_service
    lead_on(svc)
    inject_at(svc, MsgType.SET_STIMULATION, "after_execute", Fault.UNPLUG)
    with pytest.raises(ServiceError):
        svc.outputs.set_enabled(1, False).result(WAIT)
    svc.wait_idle(WAIT)
    unknown = [e for e in drg_store.session_events(drg_session) if e.kind == EventKind.SET_ENABLED][-1]
    assert unknown.outcome == Outcome.UNKNOWN and unknown.payload["device_holds"] is None

    _reconnect(svc)
    [correction] = drg_store.corrections_of(unknown.id)
    assert correction.payload["corrected"]["device_holds"]["enabled"] is False
    assert "output off" in correction.payload["reason"]
    assert svc.state.leads[1] == svc.link.simulator.model.live_leads[0]


def test_device_that_went_back_to_its_stored_program_is_said_plainly(drg_service, drg_session, drg_store):
    """The watchdog restored the stored program while unplugged: a notice and a record say so."""
    svc = drg_service
    device = svc.link.simulator
    svc.outputs.write_lead(svc.state.leads[2].with_(pulse_width_us=300)).result(WAIT)
    reverted = _notices(svc, DeviceReverted)
    device.unplug()
    device.model.elapse_silence(60)
    _reconnect(svc)
    [notice] = reverted
    assert notice.program == device.model.stored_program.name
    assert any("Lead 2 pulse width: before 300" in change for change in notice.changes), notice.changes
    assert "went back to its stored program" in notice.sentence
    kinds = [e.kind for e in drg_store.session_events(drg_session)]
    assert EventKind.DEVICE_REVERTED in kinds


def test_reconnect_with_nothing_changed_says_nothing(drg_service, drg_session):
    svc = drg_service
    reverted = _notices(svc, DeviceReverted)
    svc.link.simulator.unplug()
    _reconnect(svc)
    assert reverted == []


def test_unknown_outcome_outlives_a_restart_and_only_its_device_settles_it(
    drg_service, drg_service_factory, drg_session, drg_store, drg_patient
):
    """The workstation closes while a write's outcome is unknown. The next run settles it when it
    connects to that device (by serial), and never from another device's state."""
    before = drg_service
    inject_at(before, MsgType.COMMIT_PROGRAM, "before_command", Fault.UNPLUG)
    with pytest.raises(ServiceError):
        before.programs.write(_night(before)).result(WAIT)
    before.wait_idle(WAIT)
    unknown = _saved(drg_store, drg_patient.id)
    assert (unknown.written, unknown.corrected) == (None, False)
    before.shutdown()  # closed with the device still away

    other = drg_service_factory(serial="SIM-0002")
    other.wait_idle(WAIT)
    assert drg_store.corrections_of(unknown.event_id) == [], "settled from another device's state"

    after = drg_service_factory(connect=False)  # the same device (SIM-0001), back in a later run
    settled = _notices(after, OutcomeSettled)
    after.connection.connect(sim_uri()).result(WAIT)
    after.wait_idle(WAIT)
    assert [n.event_id for n in settled] == [unknown.event_id]
    now = _saved(drg_store, drg_patient.id)
    assert (now.written, now.verified, now.corrected) == (False, False, True)
    assert "previous program" in now.mismatch
    assert len(drg_store.corrections_of(unknown.event_id)) == 1


def test_a_lead_the_device_switches_off_after_a_short_is_said_and_recorded(drg_service, drg_session, drg_store):
    """A lead that is on develops a short; the next measurement makes the device switch it off.
    The workstation says so and records it, instead of leaving the clinician to notice."""
    from drivers.types import ImpedanceMode
    from workstation.service import LeadSwitchedOff

    svc = drg_service
    lead_on(svc)
    told = _notices(svc, LeadSwitchedOff)
    svc.link.simulator.model.tissue.develop_short(1, 1, 2)
    svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    svc.wait_idle(WAIT)
    assert not svc.link.simulator.model.live_leads[0].enabled, "the device did not switch the lead off"
    assert not svc.state.leads[1].enabled
    [notice] = told
    assert notice.lead == 1 and "switched lead 1 off" in notice.sentence and "short" in notice.sentence
    [event] = [e for e in drg_store.session_events(drg_session) if e.kind == EventKind.LEAD_SWITCHED_OFF]
    assert event.payload["lead"] == 1 and event.payload["ohms"] < 200


def test_a_measurement_that_switches_nothing_off_says_nothing(drg_service, drg_session):
    from drivers.types import ImpedanceMode
    from workstation.service import LeadSwitchedOff

    svc = drg_service
    lead_on(svc)
    told = _notices(svc, LeadSwitchedOff)
    svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    svc.wait_idle(WAIT)
    assert svc.state.leads[1].enabled and told == []
