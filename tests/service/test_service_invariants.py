"""Stateful property test of the programming service on the simulator (through
pyusb): random API calls with good and bad values, confirmations given or
not, STOP ALL, impedance, program writes, unplug and replug. After every step:

- a refused call sent nothing to the device and was recorded as refused;
- a bad value (NaN, ±inf, huge, bool, str, None, off-grid, missing lead) is
  refused with InvalidValue, never coerced;
- a decrease toward zero is never refused or confirmed;
- after STOP ALL no output is on until an explicit enable, and enabling
  starts at 0 µA;
- no step makes a lead deliver more except a confirmed or ramped rise;
- the service's mirror of the device equals the device.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from concurrent.futures import Future
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from stateful_coverage import assert_reached  # tests/stateful_coverage.py

from drivers.types import ImpedanceMode, LeadConfig, Polarity, Program
from ui.testing.plugin import qa_user
from workstation import events, safety
from workstation.records.store import RecordsStore
from workstation.service import (
    ConfirmationRequired,
    LinkChanged,
    LinkState,
    ProgrammingService,
    ServiceError,
    ramps,
)
from workstation.validation import InvalidValue

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
WAIT = 10
SIM_URI = "sim://0?magnet=held&impedance_ms=1&latency_ms=0"
BAD = [math.nan, math.inf, -math.inf, 1e30, 6001, 1010, -25, True, False, "1", None, 2.5]
COVERAGE: Counter[str] = Counter()

leads = st.one_of(st.sampled_from([1, 2, 1, 2, 3]), st.sampled_from([0, 5, 255, None, "1", True, 1.0, math.nan]))
amplitudes = st.one_of(st.sampled_from([0, 25, 100, 200, 275, 300, 500, 1000, 1500, 2000, 2300]), st.sampled_from(BAD))
pulse_widths = st.one_of(st.sampled_from([40, 100, 200, 300, 400, 720]), st.sampled_from(BAD))
frequencies = st.one_of(st.sampled_from([4, 20, 30, 60, 100]), st.sampled_from(BAD))
contact_sets = st.sampled_from([(P, M, O, O), (M, P, O, O), (M, M, P, O), (O, O, O, O)])


@pytest.fixture(autouse=True)
def _fast_ramp(monkeypatch):
    monkeypatch.setattr(safety, "RAMP_RATE_UA_PER_S", 1e6)
    monkeypatch.setattr(ramps, "RAMP_TICK_S", 0.002)


class ServiceInvariants(RuleBasedStateMachine):
    @initialize()
    def connect(self) -> None:
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        self.store = RecordsStore.open(f"sqlite:///{self.dir.name}/records.sqlite")
        self.service = ProgrammingService(self.store, user=qa_user())
        self.service.connection.connect(SIM_URI).result(WAIT)
        patient = self.store.add_patient("Prop Patient", date(1970, 1, 1), "PROP-1")
        self.session = self.service.recording.start_session(patient.id).result().id
        self.device = self.service.link.simulator
        self.latched = False
        self.before = self.live

    def teardown(self) -> None:
        if hasattr(self, "service"):
            self.service.shutdown()
            for event in self.store.session_events(self.session):  # every record the run wrote reads as a sentence
                assert events.summarise(event), event
                COVERAGE[f"summarised {event.outcome.value}"] += 1
            self.store.close()
            self.dir.cleanup()

    @property
    def live(self) -> tuple[LeadConfig, ...]:
        return self.device.model.live_leads

    @property
    def connected(self) -> bool:
        return self.service.link_state == LinkState.CONNECTED and not self.device.faults.unplugged

    # ---- one call, checked --------------------------------------------------------------------
    def call(self, action: str, fn, confirm: bool = False, rise_ok: bool = False) -> object:
        """Run fn(); a synchronous refusal must have sent nothing and been recorded."""
        self.before, self.rise_ok = self.live, rise_ok
        for _ in range(3):
            events = len(self.device.model.events)
            try:
                result = fn()
            except ConfirmationRequired as exc:
                self.refused_cleanly(action, events, "asked")
                COVERAGE[f"asked {exc.kind.value}"] += 1
                if not confirm:
                    return exc
                self.service.outputs.confirm(exc)
                continue
            except InvalidValue as exc:
                self.refused_cleanly(action, events)
                COVERAGE["bad value refused"] += 1
                return exc
            except ServiceError as exc:
                self.refused_cleanly(action, events, recorded=None)
                COVERAGE[f"refused {type(exc).__name__}"] += 1
                return exc
            if isinstance(result, Future):
                try:
                    result = result.result(WAIT)
                except Exception as exc:  # noqa: BLE001 - device refusals, unplug, STOP ALL cancellations
                    COVERAGE[f"{action} failed {type(exc).__name__}"] += 1
                    return exc
            COVERAGE[f"{action} ok"] += 1
            return result
        raise AssertionError("still asking after three confirmations")

    def refused_cleanly(self, action: str, events_before: int, recorded: str | None = "refused") -> None:
        """Nothing reached the device (a refusal is synchronous), and the log holds it as `recorded`."""
        assert len(self.device.model.events) == events_before, f"{action}: sent after a refusal"
        if recorded:
            self.service.wait_idle(WAIT)  # a refusal on the caller's thread is written on records-io
            last = self.store.session_events(self.session)[-1]
            assert (last.kind, last.outcome) == (action, recorded), (action, last.kind, last.outcome)

    # ---- rules ------------------------------------------------------------------------------
    @rule(lead=leads, amplitude=amplitudes, confirm=st.booleans())
    def set_amplitude(self, lead, amplitude, confirm: bool) -> None:
        current = self.service.state.leads.get(lead) if isinstance(lead, int) and not isinstance(lead, bool) else None
        decrease = (
            current is not None
            and isinstance(amplitude, int)
            and not isinstance(amplitude, bool)
            and amplitude in safety.grid(self.service.state.capabilities, "amplitude")
            and amplitude <= current.amplitude_ua
        )
        outcome = self.call(
            "set_amplitude", lambda: self.service.outputs.set_amplitude(lead, amplitude), confirm, rise_ok=True
        )
        if decrease and self.connected:
            assert not isinstance(outcome, (ServiceError,)), f"a decrease was refused: {outcome}"
            assert self.device.model.live_leads[lead - 1].amplitude_ua == amplitude
            COVERAGE["decrease"] += 1

    @rule(lead=leads, on=st.one_of(st.booleans(), st.sampled_from([1, 0, "on", None])))
    def set_enabled(self, lead, on) -> None:
        was_on = {c.lead for c in self.live if c.enabled}
        outcome = self.call("set_enabled", lambda: self.service.outputs.set_enabled(lead, on))
        if on is True and isinstance(outcome, LeadConfig):
            assert outcome.enabled and outcome.amplitude_ua == 0 or lead in was_on, outcome
            self.latched = False
            COVERAGE["enabled at 0 µA"] += 1

    @rule(lead=leads, contacts=contact_sets, pw=pulse_widths, hz=frequencies, pmax=amplitudes)
    def write_lead(self, lead, contacts, pw, hz, pmax) -> None:
        config = LeadConfig(lead if isinstance(lead, int) else 1, contacts, 0, pw, hz, False, pmax)
        if not isinstance(lead, int) or isinstance(lead, bool):
            config = LeadConfig.__new__(LeadConfig)
            object.__setattr__(config, "lead", lead)
            for name, value in (
                ("contacts", contacts),
                ("amplitude_ua", 0),
                ("pulse_width_us", pw),
                ("frequency_hz", hz),
                ("enabled", False),
                ("patient_max_ua", pmax),
            ):
                object.__setattr__(config, name, value)
        self.call("write_lead", lambda: self.service.outputs.write_lead(config), rise_ok=True)

    @rule(lead=st.sampled_from([1, 2, 3]), amplitude=st.sampled_from([100, 200, 500, 1000]))
    def ready_lead(self, lead: int, amplitude: int) -> None:
        """The valid path a clinician takes, so the machine reaches live output often."""
        self.write_lead(lead, (P, M, O, O), 300, 20, 3000)
        self.measure()
        self.set_enabled(lead, True)
        self.set_amplitude(lead, amplitude, True)

    @rule()
    def measure(self) -> None:
        self.call("measure_impedance", lambda: self.service.impedance.measure(ImpedanceMode.LEAD_PAIR))

    @rule(change=st.sampled_from(["same", "lower", "higher", "bad"]))
    def write_program(self, change: str) -> None:
        leads_ = [self.service.state.leads[n] for n in sorted(self.service.state.leads)]
        if change == "lower":
            leads_ = [c.with_(amplitude_ua=0) for c in leads_]
        elif change == "higher":
            leads_ = [
                c.with_(amplitude_ua=min(c.amplitude_ua + 25, c.patient_max_ua)) if c.delivering else c for c in leads_
            ]
        elif change == "bad":
            leads_[0] = leads_[0].with_(amplitude_ua=math.nan)
        outcome = self.call("write_program", lambda: self.service.programs.write(Program("Prop", tuple(leads_))))
        if change == "higher" and any(c.delivering and c.amplitude_ua < c.patient_max_ua for c in self.before):
            assert isinstance(outcome, ServiceError), "a program that raises output went through"
            COVERAGE["program raising output refused"] += 1
        if not isinstance(outcome, Exception) and any(c.enabled for c in self.live):
            self.latched = False

    @rule(lead=st.sampled_from([1, 2]))
    def program_over_live_output(self, lead: int) -> None:
        """Live output, then a program that would raise it: the write must be refused."""
        self.ready_lead(lead, 200)
        self.write_program("higher")

    @rule()
    def stop_all(self) -> None:
        self.before = self.live
        outcome = None
        try:
            self.service.stop_all().result(WAIT)
        except Exception as exc:  # noqa: BLE001 - unplugged: STOP ALL fails and says so
            outcome = exc
        if outcome is None:
            assert self.device.model.outputs_on == ()
            self.latched = True
            COVERAGE["stop with output on" if any(c.enabled for c in self.before) else "stop"] += 1

    @rule()
    def unplug_and_replug(self) -> None:
        self.before = self.live
        self.device.unplug()
        noticed = self.service.impedance.measure()  # the unplug is noticed here: it fails
        assert noticed.exception(WAIT) is not None
        back = threading.Event()
        self.service.subscribe(lambda n: isinstance(n, LinkChanged) and n.state == LinkState.CONNECTED and back.set())
        self.device.replug()
        assert back.wait(WAIT) and self.service.link_state == LinkState.CONNECTED
        COVERAGE["reconnected"] += 1

    @precondition(lambda self: hasattr(self, "service"))
    @rule(seconds=st.sampled_from([0.0, 0.05]))
    def idle(self, seconds: float) -> None:
        """Host silence: the clinician does nothing for a while (the device's watchdog runs on)."""
        self.before = self.live
        time.sleep(seconds)

    # ---- invariants -----------------------------------------------------------------------------
    @invariant()
    def stop_all_latches(self) -> None:
        if hasattr(self, "service") and self.latched:
            assert self.device.model.outputs_on == (), "output on after STOP ALL without an explicit enable"

    @invariant()
    def nothing_rises_by_itself(self) -> None:
        if not hasattr(self, "service"):
            return
        for old, new in zip(self.before, self.live):
            if new.delivers_more_than(old):
                assert getattr(self, "rise_ok", False), (old, new)
                COVERAGE["ramped or confirmed rise"] += 1

    @invariant()
    def the_mirror_equals_the_device(self) -> None:
        if not hasattr(self, "service") or not self.connected:
            return
        self.service.wait_idle(WAIT)  # notifications queued before have run
        assert tuple(self.service.state.leads[n] for n in sorted(self.service.state.leads)) == self.live


CAMPAIGN = os.environ.get("DRG_HYPOTHESIS_PROFILE") == "campaign"  # each example costs a service and a device
ServiceInvariants.TestCase.settings = settings(
    max_examples=300 if CAMPAIGN else 12,
    stateful_step_count=40 if CAMPAIGN else 15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestServiceInvariants = ServiceInvariants.TestCase


def test_every_outcome_is_reached():
    """The machine must really reach the outcomes its invariants are about, or it proves nothing."""
    needed = [
        "bad value refused",
        "decrease",
        "enabled at 0 µA",
        "stop with output on",
        "reconnected",
        "asked large_rise",
        "write_program ok",
        "program raising output refused",
        "refused SafetyRefused",
        "ramped or confirmed rise",
        "summarised refused",
        "summarised ok",
        "summarised error",
    ]
    assert_reached(ServiceInvariants, COVERAGE, needed, max_examples=25, steps=20)
