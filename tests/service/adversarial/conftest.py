"""Fixtures of the adversarial service tests: a connected service with a session on a stepped clock."""

from typing import NamedTuple

import pytest
from helpers import WAIT

from ui.testing.plugin import qa_user, sim_uri
from workstation.service import ProgrammingService, SteppedClock


class Stepped(NamedTuple):
    """A service whose time only moves when the test advances `clock`, and its open session."""

    svc: ProgrammingService
    clock: SteppedClock
    session_id: int


@pytest.fixture
def stepped(drg_store, drg_patient):
    """A service on a SteppedClock, connected to a fresh simulator, with a session of drg_patient open."""
    clock = SteppedClock()
    svc = ProgrammingService(drg_store, clock=clock, user=qa_user())
    try:
        svc.connection.connect(sim_uri()).result(WAIT)
        session_id = svc.recording.start_session(drg_patient.id).result(WAIT).id
        yield Stepped(svc, clock, session_id)
    finally:
        svc.shutdown()
