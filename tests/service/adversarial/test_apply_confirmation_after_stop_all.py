"""Guards that STOP ALL ends an Apply waiting on the clinician, so a later "yes" switches nothing on."""

import threading
from concurrent.futures import Future

import pytest
from helpers import WAIT, lead_on

from drivers.types import Program
from workstation.service import CancelledByStopAll


def test_apply_confirmation_answered_yes_after_stop_all(drg_service, drg_session, drg_store):
    """A rise confirmation answered "yes" after STOP ALL neither switches a lead on nor records a confirmed rise."""
    svc = drg_service
    lead_on(svc)
    leads = svc.programs.current("p").leads
    prog = Program("p", tuple(c.with_(amplitude_ua=1000) if c.lead == 1 else c for c in leads))
    answer = Future()
    asked = threading.Event()

    def ask(request):
        asked.set()
        return answer

    done = svc.programs.apply(prog, ask)
    assert asked.wait(WAIT)
    svc.stop_all().result(WAIT)
    answer.set_result(True)
    with pytest.raises(CancelledByStopAll):
        done.result(WAIT)
    svc.wait_idle(WAIT)
    assert svc.link.simulator.model.outputs_on == ()
    assert "rise_confirmed" not in [e.kind for e in drg_store.session_events(drg_session)]
