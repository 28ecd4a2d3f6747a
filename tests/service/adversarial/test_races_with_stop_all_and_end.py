"""Guards STOP ALL, end of session and shutdown against commands, ramps and Applies already under way."""

import threading
from concurrent.futures import Future

import pytest
from helpers import WAIT, M, O, P, advance_until, lead_on, until

from drivers.sim.scenario import Scenario
from drivers.types import ImpedanceMode, LeadConfig, Program
from ui.testing.actions import confirmed
from ui.testing.plugin import qa_user, sim_uri
from workstation.service import CancelledByStopAll, ProgrammingService, ServiceError, SteppedClock


def test_apply_stop_all_in_window_does_not_leave_lead_on(drg_service, drg_session, monkeypatch):
    """STOP ALL between Apply's epoch check and its switching a lead on cancels Apply with the lead off."""
    svc = drg_service
    svc.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(WAIT)
    leads = svc.programs.current("p").leads
    prog = Program("p", tuple(c.with_(enabled=True) if c.lead == 1 else c for c in leads))
    original = svc.outputs.set_enabled

    def stop_then_enable(lead, on, epoch=None):
        if threading.current_thread().name == "apply-program":
            svc.stop_all().result(WAIT)  # the clinician presses STOP ALL right here
        return original(lead, on, epoch)

    monkeypatch.setattr(svc.outputs, "set_enabled", stop_then_enable)
    done = svc.programs.apply(prog, ask=lambda request: None)
    with pytest.raises(CancelledByStopAll):
        done.result(WAIT)
    svc.wait_idle(WAIT)
    assert svc.link.simulator.model.outputs_on == (), "a lead was switched on after STOP ALL"


def test_end_session_stops_a_running_ramp(stepped, drg_store):
    """Ending the session while a ramp runs stops the ramp: no amplitude rises with no session to record it."""
    svc, clock, session_id = stepped
    lead_on(svc)
    ramp = confirmed(svc, lambda: svc.outputs.set_amplitude(1, 500))
    assert advance_until(clock, lambda: svc.state.leads[1].amplitude_ua > 0)
    svc.recording.end_session().result(WAIT)
    before = svc.state.leads[1].amplitude_ua
    assert advance_until(clock, ramp.done)
    after = svc.link.simulator.model.live_leads[0].amplitude_ua
    recorded = [
        e.payload.get("result", {}).get("amplitude_ua")
        for e in drg_store.session_events(session_id)
        if e.kind == "set_amplitude"
    ]
    assert after == before, f"ramp kept raising {before}->{after} uA with no session; recorded {recorded}"


def test_command_queued_before_end_session_is_recorded(drg_service, drg_session, drg_store):
    """A command queued before End Session that changes the device is recorded in that session."""
    svc = drg_service
    dev = svc.link.simulator
    svc.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    dev.model.scenario = Scenario(impedance_ms=300)
    slow = svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,))
    write = svc.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 250, 20, False, 3000))
    svc.recording.end_session().result(WAIT)
    slow.result(WAIT)
    write.result(WAIT)
    svc.wait_idle(WAIT)
    assert dev.model.live_leads[0].pulse_width_us == 250
    pulse_widths = [
        e.payload["result"]["pulse_width_us"]
        for e in drg_store.session_events(drg_session)
        if e.kind == "write_lead" and "result" in e.payload
    ]
    assert 250 in pulse_widths, f"the device changed (pulse width 250) but the records only hold {pulse_widths}"


def test_shutdown_completes_a_pending_ramp_future(drg_store, drg_patient):
    """Shutdown completes the future of a ramp still pending, so nothing waiting on it (Apply) hangs."""
    clock = SteppedClock()
    svc = ProgrammingService(drg_store, clock=clock, user=qa_user())
    try:
        svc.connection.connect(sim_uri()).result(WAIT)
        svc.recording.start_session(drg_patient.id).result(WAIT)
        lead_on(svc)
        ramp = confirmed(svc, lambda: svc.outputs.set_amplitude(1, 500))
    finally:
        svc.shutdown()
    assert until(ramp.done, 3), "ramp future still pending after shutdown (Apply waiting on it hangs)"


def test_stop_all_ends_apply_waiting_on_an_unanswered_confirmation(drg_service, drg_session):
    """STOP ALL ends an Apply whose rise confirmation is never answered (dialog lost, panel gone)."""
    svc = drg_service
    lead_on(svc)
    leads = svc.programs.current("p").leads
    prog = Program("p", tuple(c.with_(amplitude_ua=1000) if c.lead == 1 else c for c in leads))
    asked = threading.Event()

    def ask(request):
        asked.set()
        return Future()  # never answered

    done = svc.programs.apply(prog, ask)
    assert asked.wait(WAIT)
    svc.stop_all().result(WAIT)
    assert until(done.done, 3), "Apply future still pending after STOP ALL"


def test_save_rejects_bad_names(drg_service, drg_session):
    """Saving a program under a name that is not a sensible string fails with a ServiceError, whatever the name."""
    svc = drg_service
    outcomes = {}
    for bad in (None, 123, True, float("nan"), "x" * 200, "\x00"):
        key = repr(bad)[:20]
        try:
            svc.programs.save(bad).result(WAIT)
            outcomes[key] = "accepted"
        except ServiceError:
            outcomes[key] = "ServiceError"
        except Exception as e:  # noqa: BLE001 - any other error is the finding
            outcomes[key] = type(e).__name__
    assert all(v == "ServiceError" for v in outcomes.values()), outcomes
