"""Opening a second link while one is open would leave the first device stimulating out of
reach (STOP ALL would go to the new one); a URI that names no link is a bad value. Both are
refused, recorded, and change nothing: the first device stays connected and STOP ALL reaches it."""

import math

import pytest
from helpers import WAIT, lead_on

from ui.testing.plugin import qa_user, sim_uri
from workstation.records.store import RecordsStore
from workstation.service import LinkState, ServiceError
from workstation.validation import InvalidValue

BAD_URIS = [None, math.nan, math.inf, 7, True, b"sim://0", object(), "bogus://", "", "sim://0?no_such=1"]


def refusals(store: RecordsStore, session_id: int) -> list[str]:
    return [e.kind for e in store.session_events(session_id) if e.outcome == "refused"]


@pytest.mark.parametrize("other", [sim_uri(serial="SIM-B"), sim_uri(), *BAD_URIS])
def test_connect_while_stimulating_changes_nothing_and_stop_all_reaches_the_device(stepped, drg_store, other):
    svc = stepped.svc
    lead_on(svc)
    device, link = svc.link.simulator.model, svc.link
    assert device.outputs_on == (1,)

    with pytest.raises(ServiceError):
        svc.connection.connect(other).result(WAIT)
    svc.wait_idle(WAIT)

    assert (svc.link, svc.link_state, svc.state.identity.serial) == (link, LinkState.CONNECTED, "SIM-0001")
    assert refusals(drg_store, stepped.session_id)[-1] == "link_state"
    svc.stop_all().result(WAIT)
    assert device.outputs_on == ()


@pytest.mark.parametrize("uri", BAD_URIS)
def test_a_bad_uri_is_refused_and_leaves_the_link_disconnected(drg_store, uri):
    from workstation.service import ProgrammingService

    svc = ProgrammingService(drg_store, user=qa_user())
    try:
        with pytest.raises(InvalidValue) as refused:
            svc.connection.connect(uri).result(WAIT)
        assert refused.value.field == "uri" and str(refused.value).endswith(".")
        svc.wait_idle(WAIT)
        assert (svc.link, svc.link_state) == (None, LinkState.DISCONNECTED)
    finally:
        svc.shutdown()
