"""Stateful property test of the simulated firmware: its safety invariants hold
after every step of any sequence of raw commands (valid and invalid), host
silences long enough for the watchdog, STOP ALL by bulk and by control
request, and tissue with open, shorted and intermittent contacts.

Invariants (docs/safety.md):
- no lead turns on except by an explicit command that names it (the watchdog
  never enables; STOP ALL latches);
- every lead that is on meets the enable conditions, judged here from the
  impedance replies the host saw, not from the model's own bookkeeping;
- the charge through the most loaded contact, from the current the device
  really delivers split by the tissue model, stays below Shannon k;
- the watchdog never raises what a lead delivers;
- live and stored settings are always within the hard limits.

`DRG_HYPOTHESIS_PROFILE=campaign` runs a long campaign (tests/conftest.py).
"""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from stateful_coverage import assert_reached  # tests/stateful_coverage.py

from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import (
    MESSAGES,
    AmplitudeRequest,
    CommitRequest,
    ErrorReply,
    ImpedanceRequest,
    MsgType,
    StageBegin,
    StimulationRequest,
    decode_reply,
    program_crc,
)
from drivers.sim.clock import ManualClock
from drivers.sim.device import DeviceModel, active_pairs
from drivers.sim.direct import command_frame, paired_session
from drivers.sim.limits import check_lead
from drivers.sim.scenario import ContactRef, Scenario, ShortedPair
from drivers.sim.waveform import delivered_ua
from drivers.types import (
    BatteryState,
    EventCode,
    ImpedanceMode,
    LeadConfig,
    Polarity,
    Program,
)

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
LEADS = range(1, 5)
CONTACT_SETS = [(M, P, O, O), (P, M, O, O), (M, M, P, O), (M, M, P, P), (P, O, O, M), (M, P, M, P), (O, O, O, O)]
GOOD_AMPLITUDES = [0, 25, 100, 500, 1000, 1500, 2000, 2300, 2400, 3000, 6000]
BAD_AMPLITUDES = [10, 2025, 6050, 65535]
PULSE_WIDTHS = [40, 100, 300, 500, 720]
FREQUENCIES = [4, 20, 60, 100]
COVERAGE: Counter[str] = Counter()  # outcomes each run must reach; see test_every_outcome_is_reached

leads = st.sampled_from([*LEADS, *LEADS, 0, 5, 255])
amplitudes = st.one_of(st.sampled_from(GOOD_AMPLITUDES), st.sampled_from(BAD_AMPLITUDES))
configs = st.builds(
    LeadConfig,
    leads,
    st.sampled_from(CONTACT_SETS),
    amplitudes,
    st.one_of(st.sampled_from(PULSE_WIDTHS), st.sampled_from([30, 45, 730])),
    st.one_of(st.sampled_from(FREQUENCIES), st.sampled_from([2, 5, 102])),
    st.booleans(),
    st.one_of(st.sampled_from(GOOD_AMPLITUDES), st.just(1100)),
)
contact_refs = st.builds(ContactRef, st.sampled_from(LEADS), st.integers(1, 4))
shorts = st.builds(
    lambda lead, a, b: ShortedPair(lead, min(a, b), max(a, b)),
    st.sampled_from(LEADS),
    st.integers(1, 2),
    st.integers(3, 4),
)
scenarios = st.builds(
    Scenario,
    open=st.lists(contact_refs, max_size=2).map(tuple),
    short=st.lists(shorts, max_size=2).map(tuple),
    intermittent=st.lists(contact_refs, max_size=2).map(tuple),
    battery=st.sampled_from([BatteryState.OK, BatteryState.OK, BatteryState.ERI, BatteryState.EOS]),
    impedance_ms=st.just(1.0),
    seed=st.integers(0, 50),
)


class DeviceInvariants(RuleBasedStateMachine):
    @initialize(scenario=scenarios)
    def power_on(self, scenario: Scenario) -> None:
        self.clock = ManualClock()
        self.model = DeviceModel(scenario, clock=self.clock, sleep=self.clock.sleep)
        self.session = paired_session(self.model)  # commands are sealed, as a paired host sends them
        self.caps = self.model.capabilities
        self.seq = 0
        self.readings: dict[int, tuple[tuple[Polarity, ...], dict[tuple[int, int], int]]] = {}
        self.before = self.model.live_leads
        self.explicit: set[int] = set()  # leads the last step's command may turn on

    # ---- the host ------------------------------------------------------------------------
    def send(self, mtype: MsgType, request=None):
        self.seq = (self.seq + 1) & 0xFFFF
        spec = MESSAGES[mtype]
        frame = decode_frame(
            self.model.handle_command(command_frame(self.session, mtype, spec.request.encode(request), self.seq)[0])
        )
        reply = decode_reply(spec, frame.payload)
        COVERAGE[f"{mtype.name} {'refused' if isinstance(reply, ErrorReply) else 'ok'}"] += 1
        return reply

    def step(self, explicit: set[int] = frozenset()) -> None:
        self.before = self.live
        self.explicit = set(explicit)

    @property
    def live(self) -> tuple[LeadConfig, ...]:
        return self.model.live_leads

    # ---- rules: every message, good and bad values ----------------------------------------------
    @rule(config=configs)
    def write_lead(self, config: LeadConfig) -> None:
        self.step({config.lead} if config.enabled else set())
        self.send(MsgType.WRITE_LEAD, config)

    @rule(lead=leads, amplitude=amplitudes)
    def set_amplitude(self, lead: int, amplitude: int) -> None:
        self.step()
        self.send(MsgType.SET_AMPLITUDE, AmplitudeRequest(lead, amplitude))

    @rule(lead=leads, on=st.booleans())
    def set_stimulation(self, lead: int, on: bool) -> None:
        self.step({lead} if on else set())
        reply = self.send(MsgType.SET_STIMULATION, StimulationRequest(lead, on))
        if on and isinstance(reply, ErrorReply):
            event(f"enable refused: {reply.status.name}")
            COVERAGE[f"enable refused {reply.status.name}"] += 1

    @rule(
        lead=st.sampled_from(LEADS),
        contacts=st.sampled_from(CONTACT_SETS[:-1]),
        amplitude=st.sampled_from([100, 500, 1000, 2000]),
        pulse_width=st.sampled_from(PULSE_WIDTHS),
    )
    def ready_lead(self, lead: int, contacts, amplitude: int, pulse_width: int) -> None:
        """The valid sequence a clinician follows: contacts, measure, enable, raise."""
        self.write_lead(LeadConfig(lead, contacts, 0, pulse_width, 20, False, 6000))
        self.measure(ImpedanceMode.LEAD_PAIR, lead)
        self.set_stimulation(lead, True)
        self.set_amplitude(lead, amplitude)

    @rule(
        lead=st.sampled_from(LEADS),
        amplitude=st.sampled_from([0, 100, 500, 1000, 2000]),
        pulse_width=st.sampled_from(PULSE_WIDTHS),
        seconds=st.sampled_from([1.0, 3.1]),
    )
    def therapy_then_silence(self, lead: int, amplitude: int, pulse_width: int, seconds: float) -> None:
        """A stored therapy, a live change (up or down), then the host falls silent."""
        self.ready_lead(lead, (M, P, O, O), 1000, 300)
        self.commit([], True, True)
        self.write_lead(self.live[lead - 1].with_(pulse_width_us=pulse_width))
        self.set_amplitude(lead, amplitude)
        self.silence(seconds)

    @rule(mode=st.sampled_from(ImpedanceMode), lead=st.sampled_from([0, *LEADS]))
    def measure(self, mode: ImpedanceMode, lead: int) -> None:
        self.step()
        contacts = {config.lead: config.contacts for config in self.live}
        reply = self.send(MsgType.MEASURE_IMPEDANCE, ImpedanceRequest(mode, lead))
        if isinstance(reply, ErrorReply):
            return
        for m in reply.measurements:
            held, ohms = self.readings.get(m.lead, (None, {}))
            if held != contacts[m.lead]:
                held, ohms = contacts[m.lead], {}
            ohms[(m.contact_a, m.contact_b)] = ohms[(m.contact_b, m.contact_a)] = m.ohms
            self.readings[m.lead] = (held, ohms)
            if m.ohms < self.caps.impedance_short_ohm:
                COVERAGE["short read"] += 1

    @rule(stop=st.sampled_from(["bulk", "control"]))
    def stop_all(self, stop: str) -> None:
        self.step()
        if stop == "bulk":
            self.send(MsgType.STOP_ALL)
        else:
            self.model.stop_all_now()
        assert self.model.outputs_on == ()
        COVERAGE[f"stop {stop} with output on" if any(c.enabled for c in self.before) else f"stop {stop}"] += 1

    @rule(seconds=st.sampled_from([0.5, 2.9, 3.1, 10.0]))
    def silence(self, seconds: float) -> None:
        """No frame from the host: the keep-alive watchdog may act."""
        self.step()
        logged = len(self.model.events)
        self.clock.sleep(seconds)
        self.model.poll()
        restored = [e for e in self.model.events[logged:] if e.code == EventCode.WATCHDOG_RESTORE]
        for config_before, config_after in zip(self.before, self.live):
            assert not config_after.delivers_more_than(config_before), (config_before, config_after)
        if restored:
            kept = sum(c.enabled for c in self.live)
            COVERAGE["watchdog restore kept output on" if kept else "watchdog restore, all off"] += 1
            if any(c.enabled for c in self.model.stored_program.leads) and not kept:
                COVERAGE["watchdog did not enable a stored lead"] += 1

    @rule(leads_=st.lists(configs, min_size=4, max_size=4), crc_ok=st.booleans(), from_live=st.booleans())
    def commit(self, leads_: list[LeadConfig], crc_ok: bool, from_live: bool) -> None:
        if from_live:  # the live settings as a program: the common case, usually accepted
            leads_ = list(self.live)
        leads_ = [config.with_(lead=n) for n, config in zip(LEADS, leads_)]
        program = Program("P", tuple(leads_))
        self.step({config.lead for config in leads_ if config.enabled})
        self.send(MsgType.STAGE_BEGIN, StageBegin("P"))
        for config in leads_:
            self.send(MsgType.STAGE_LEAD, config)
        crc = program_crc(program) if crc_ok else program_crc(program) ^ 1
        self.send(MsgType.COMMIT_PROGRAM, CommitRequest(crc))

    # ---- invariants -------------------------------------------------------------------------
    @invariant()
    def no_lead_turns_on_unless_a_command_names_it(self) -> None:
        if not hasattr(self, "model"):
            return
        for old, new in zip(self.before, self.live):
            if new.enabled and not old.enabled:
                assert new.lead in self.explicit, (old, new)

    @invariant()
    def every_lead_that_is_on_meets_the_enable_conditions(self) -> None:
        if not hasattr(self, "model"):
            return
        for config in self.live:
            if not config.enabled:
                continue
            assert self.model.battery.state != BatteryState.EOS
            contacts, ohms = self.readings.get(config.lead, (None, {}))
            assert contacts == config.contacts, f"lead {config.lead} on without a reading on its contacts"
            for pair in active_pairs(config):
                assert pair in ohms, f"lead {config.lead} on with pair {pair} unmeasured"
                assert ohms[pair] >= self.caps.impedance_short_ohm, f"lead {config.lead} on over a short"
            COVERAGE["lead on"] += 1
            if config.frequency_hz and len(config.cathodes) + len(config.anodes) > 2:
                COVERAGE["multi-contact lead on"] += 1

    @invariant()
    def the_most_loaded_contact_stays_below_shannon_k(self) -> None:
        if not hasattr(self, "model"):
            return
        for config in self.live:
            if not config.enabled or config.amplitude_ua == 0:
                continue
            path = self.model.tissue.drive_path(config)
            delivered = delivered_ua(
                config.amplitude_ua, config.pulse_width_us, config.frequency_hz, path, self.caps.compliance_v
            )
            currents = self.model.tissue.contact_currents_ua(config, delivered)
            worst_uc = max(currents.values(), default=0.0) * config.pulse_width_us * 1e-6
            if worst_uc > 0:
                k = math.log10(worst_uc / self.caps.contact_area_cm2) + math.log10(worst_uc)
                assert k < self.caps.shannon_k_limit, (config, currents, k)
                if k > 1.6:
                    COVERAGE["contact near the Shannon limit"] += 1

    @invariant()
    def settings_are_always_within_the_hard_limits(self) -> None:
        if not hasattr(self, "model"):
            return
        for config in (*self.live, *self.model.stored_program.leads):
            check_lead(self.caps, config)


DeviceInvariants.TestCase.settings = settings(  # examples and steps from the profile (tests/conftest.py)
    deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestDeviceInvariants = DeviceInvariants.TestCase


def test_every_outcome_is_reached():
    """The machine must really reach the outcomes its invariants are about, or it proves nothing."""
    needed = [
        "lead on",
        "multi-contact lead on",
        "stop bulk with output on",
        "stop control with output on",
        "watchdog restore kept output on",
        "watchdog restore, all off",
        "short read",
        "enable refused IMPEDANCE_REQUIRED",
        "enable refused BATTERY_EOS",
        "COMMIT_PROGRAM ok",
        "COMMIT_PROGRAM refused",
        "SET_AMPLITUDE refused",
        "WRITE_LEAD refused",
        "contact near the Shannon limit",
    ]
    assert_reached(DeviceInvariants, COVERAGE, needed, max_examples=150, steps=40)
