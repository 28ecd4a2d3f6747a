"""Stateful property test of the records' truth after faults (issue 11): program
writes and lead commands with random USB faults at random protocol moments
(unplug, lost or damaged reply, stall), STOP ALL, host silence and reconnects.
Whenever the link is up and the service idle:

- the service's mirror equals the device (live leads and stored program);
- no record is left with an unknown outcome: each was settled by a correction;
- the last program the records say was written is the one the device stores
  (or, if none was, the device still stores the program it started with);
- every record of unknown outcome has exactly one correction.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import date

from helpers import WAIT, until
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from stateful_coverage import assert_reached  # tests/stateful_coverage.py

from drivers.types import Program
from ui.testing.faults import Fault, Moment, MsgType, inject_at
from ui.testing.plugin import qa_user
from workstation.events import EventKind, Outcome
from workstation.records.store import RecordsStore
from workstation.service import LinkState, ProgrammingService, ServiceError

SIM_URI = "sim://0?magnet=held&impedance_ms=1&latency_ms=0"
COVERAGE: Counter[str] = Counter()

faults = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(  # the commit and its read-back are where a lost reply hides the outcome
            [MsgType.STAGE_BEGIN, MsgType.STAGE_LEAD, *[MsgType.COMMIT_PROGRAM, MsgType.READ_PROGRAM] * 2]
        ),
        st.sampled_from([Moment.AFTER_EXECUTE, Moment.AFTER_EXECUTE, Moment.BEFORE_COMMAND]),
        st.sampled_from([*[Fault.UNPLUG] * 3, Fault.TIMEOUT, Fault.DROP, Fault.CORRUPT, Fault.STALL]),
    ),
)
lead_faults = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from([MsgType.WRITE_LEAD, MsgType.READ_LEAD]),
        st.sampled_from(list(Moment)),
        st.sampled_from([Fault.UNPLUG, Fault.TIMEOUT, Fault.CORRUPT]),
    ),
)


class RecordTruth(RuleBasedStateMachine):
    @initialize()
    def connect(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.store = RecordsStore.open(f"sqlite:///{self.dir.name}/records.sqlite")
        self.service = ProgrammingService(self.store, user=qa_user())
        self.service.connection.connect(SIM_URI).result(WAIT)
        self.patient = self.store.add_patient("Truth Patient", date(1970, 1, 1), "TRUTH-1")
        self.session = self.service.recording.start_session(self.patient.id).result(WAIT).id
        self.device = self.service.link.simulator
        self.first_program = self.device.model.stored_program

    def teardown(self) -> None:
        if hasattr(self, "service"):
            self.service.shutdown()
            self.store.close()
            self.dir.cleanup()

    @property
    def up(self) -> bool:
        return self.service.link_state == LinkState.CONNECTED and not self.device.faults.unplugged

    def _arm(self, fault) -> None:
        if fault is not None:
            msg, moment, kind = fault
            self.injection = inject_at(self.service, msg, moment, kind)

    def _disarm(self) -> None:
        injection = getattr(self, "injection", None)
        if injection is not None:
            COVERAGE["fault fired" if injection.fired.is_set() else "fault not reached"] += 1
            injection.cancel()
            self.injection = None

    # ---- rules ----------------------------------------------------------------------------------
    @precondition(lambda self: self.up)
    @rule(pulse_width_us=st.sampled_from([60, 100, 150, 200]), name=st.sampled_from(["Night", "Day"]), fault=faults)
    def write_program(self, pulse_width_us: int, name: str, fault) -> None:
        leads = self.service.programs.current(name).leads
        program = Program(name, tuple(c.with_(pulse_width_us=pulse_width_us) for c in leads))
        self._arm(fault)
        try:
            self.service.programs.write(program).result(WAIT)
            COVERAGE["write returned"] += 1
        except ServiceError as exc:
            COVERAGE[f"write failed {type(exc).__name__}"] += 1
        finally:
            self._disarm()
        self.service.wait_idle(WAIT)

    @precondition(lambda self: self.up)
    @rule(pulse_width_us=st.sampled_from([60, 100, 150, 200]), moment=st.sampled_from(list(Moment)))
    def unplug_at_commit(self, pulse_width_us: int, moment: Moment) -> None:
        """The classic: the cable comes out just before the commit, or after it but before its reply."""
        self.write_program(pulse_width_us, "Night", (MsgType.COMMIT_PROGRAM, moment, Fault.UNPLUG))

    @precondition(lambda self: self.up)
    @rule(lead=st.sampled_from([1, 2]), pulse_width_us=st.sampled_from([60, 120, 200]))
    def unplug_after_lead_write(self, lead: int, pulse_width_us: int) -> None:
        """A lead's settings reach the device; the cable comes out before the reply."""
        self.write_lead(lead, pulse_width_us, (MsgType.WRITE_LEAD, Moment.AFTER_EXECUTE, Fault.UNPLUG))

    @precondition(lambda self: self.up)
    @rule(lead=st.sampled_from([1, 2]), pulse_width_us=st.sampled_from([60, 120, 200]), fault=lead_faults)
    def write_lead(self, lead: int, pulse_width_us: int, fault) -> None:
        config = self.service.state.leads[lead].with_(pulse_width_us=pulse_width_us)
        self._arm(fault)
        try:
            self.service.outputs.write_lead(config).result(WAIT)
            COVERAGE["lead written"] += 1
        except ServiceError as exc:
            COVERAGE[f"lead failed {type(exc).__name__}"] += 1
        finally:
            self._disarm()
        self.service.wait_idle(WAIT)

    @rule()
    def stop_all(self) -> None:
        try:
            self.service.stop_all().result(WAIT)
        except ServiceError:
            COVERAGE["stop refused while away"] += 1

    @precondition(lambda self: self.up)
    @rule()
    def silence(self) -> None:
        """The host says nothing past the device's watchdog (its live settings may revert)."""
        self.device.unplug()
        self.device.model.elapse_silence(60)
        COVERAGE["silence while away"] += 1

    @rule()
    def replug(self) -> None:
        """Bring the device back (if gone) and wait until the service has read it again."""
        for _ in range(5):  # a fault still planned can take it away again during the re-read
            if self.device.faults.unplugged:
                until(lambda: self.service.link_state == LinkState.RECONNECTING, WAIT)
                self.device.replug()
            if until(lambda: self.up, WAIT):
                break
        assert self.up, f"the link did not come back: {self.service.link_state}"
        self.service.wait_idle(WAIT)

    # ---- invariants -----------------------------------------------------------------------------
    @invariant()
    def records_mirror_and_device_agree(self) -> None:
        if not hasattr(self, "service") or not self.up:
            return
        self.service.wait_idle(WAIT)
        if not self.up:
            return
        model = self.device.model
        assert self.service.state.stored_program == model.stored_program, "mirror's stored program"
        live = self.service.state.leads
        assert tuple(live[n] for n in sorted(live)) == model.live_leads, "mirror's live leads"

        saved = self.store.program_history(self.patient.id)
        assert all(p.written is not None for p in saved), "a write left unknown with the device back"
        written = [p for p in saved if p.written]
        expected = written[-1].program if written else self.first_program
        assert model.stored_program == expected, (
            f"records say '{expected.name}' was last written; the device stores {model.stored_program}"
        )
        for event in self.store.session_events(self.session):
            if event.outcome != Outcome.UNKNOWN:
                continue
            corrections = self.store.corrections_of(event.id)
            known_at_once = event.kind != EventKind.PROGRAM_SAVED and event.payload.get("device_holds") is not None
            assert len(corrections) == (0 if known_at_once else 1), (event, corrections)
            COVERAGE["unknown known at once" if known_at_once else f"unknown settled {event.kind.value}"] += 1
        for p in saved:
            COVERAGE[f"program {'written' if p.written else 'not written'}{' (corrected)' if p.corrected else ''}"] += 1


CAMPAIGN = os.environ.get("DRG_HYPOTHESIS_PROFILE") == "campaign"
RecordTruth.TestCase.settings = settings(
    max_examples=200 if CAMPAIGN else 10,
    stateful_step_count=30 if CAMPAIGN else 12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestRecordTruth = RecordTruth.TestCase


def test_every_outcome_is_reached():
    """The machine must reach the faults its invariants are about, or it proves nothing."""
    needed = [
        "fault fired",
        "write failed DeviceError",
        "write failed LinkLost",
        "unknown settled program_saved",
        "unknown settled write_lead",
        "unknown known at once",
        "program written (corrected)",
        "program not written (corrected)",
        "program written",
        "silence while away",
    ]
    assert_reached(RecordTruth, COVERAGE, needed, max_examples=25, steps=15)
