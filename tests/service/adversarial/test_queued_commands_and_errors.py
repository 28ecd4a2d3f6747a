"""Guards that commands queued behind a slow one respect STOP ALL, and that a lost link fails with ServiceError."""

from helpers import WAIT, M, O, P, lead_on

from drivers.sim.scenario import Scenario
from drivers.types import ImpedanceMode, LeadConfig
from ui.testing.actions import confirmed, raise_amplitude
from ui.testing.faults import Fault, MsgType, inject_at
from workstation.service import ServiceError


def test_queued_lowering_write_lead_does_not_reenable_after_stop_all(drg_service, drg_session):
    """A lead-setting change queued before STOP ALL does not switch the lead back on."""
    svc = drg_service
    dev = svc.link.simulator
    lead_on(svc)
    raise_amplitude(svc, 1, 300)
    svc.outputs.write_lead(LeadConfig(2, (P, M, O, O), 0, 200, 20, False, 3000)).result(WAIT)
    dev.model.scenario = Scenario(impedance_ms=300)
    slow = svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (2,))
    lower = svc.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 10, False, 3000))  # a lower rate: no rise
    svc.stop_all().result(WAIT)
    assert dev.model.outputs_on == ()
    slow.result(WAIT)
    lower.result(WAIT)
    svc.wait_idle(WAIT)
    assert dev.model.outputs_on == (), f"lead back on after STOP ALL at {dev.model.live_leads[0].amplitude_ua} uA"


def test_ramp_future_on_unplug_is_a_service_error(drg_service, drg_session):
    """A ramp cut short by an unplug fails its future with a ServiceError, not a driver exception."""
    svc = drg_service
    lead_on(svc)
    inject_at(svc, MsgType.SET_AMPLITUDE, "after_execute", Fault.UNPLUG)
    ramp = confirmed(svc, lambda: svc.outputs.set_amplitude(1, 300))
    exc = ramp.exception(WAIT)
    assert isinstance(exc, ServiceError), f"ramp future failed with {type(exc).__module__}.{type(exc).__name__}"
