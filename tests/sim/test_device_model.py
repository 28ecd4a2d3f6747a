"""The simulated firmware driven with raw frames, no USB: limits, Axium rules,
programs, watchdog, impedance, telemetry and frame robustness."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import values_for  # tests/drivers, on the path through tests/conftest.py

from drivers.protocol.frame import Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    MESSAGES,
    AmplitudeRequest,
    CommitRequest,
    ErrorReply,
    EventLogRequest,
    ImpedanceRequest,
    LeadRef,
    MsgType,
    StageBegin,
    StimulationRequest,
    TelemetryRequest,
    decode_reply,
    program_crc,
)
from drivers.protocol.status import Status
from drivers.sim.clock import ManualClock as FakeClock
from drivers.sim.device import DeviceModel
from drivers.sim.direct import command_frame, paired_session
from drivers.sim.limits import check_lead
from drivers.sim.scenario import Scenario
from drivers.sim.telemetry import BLOCK_MS
from drivers.types import (
    AmplitudeBand,
    BatteryState,
    EventCode,
    ImpedanceMode,
    LeadConfig,
    Polarity,
    Program,
    TelemetryBlock,
)

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
TELEMETRY = MESSAGES[MsgType.TELEMETRY_BLOCK].request


class Host:
    """Sends raw frames to a model on a fake clock and checks every reply's framing."""

    def __init__(self, gated: bool = False, **options: str) -> None:
        self.clock = FakeClock()
        self.sleep = GatedSleep(self.clock) if gated else self.clock.sleep
        self.model = DeviceModel(Scenario.from_query(options), clock=self.clock, sleep=self.sleep)
        self.session = paired_session(self.model)  # every command sealed, as a paired host sends it
        self.seq = 0

    def send(self, mtype: MsgType, request=None):
        self.seq = (self.seq + 1) & 0xFFFF
        spec = MESSAGES[mtype]
        data, seq = command_frame(self.session, mtype, spec.request.encode(request), self.seq)
        raw = self.model.handle_command(data)
        frame = decode_frame(raw)
        assert (frame.type, frame.seq) == (mtype | 0x80, seq)
        return decode_reply(spec, frame.payload)

    def ok(self, mtype: MsgType, request=None):
        reply = self.send(mtype, request)
        assert not isinstance(reply, ErrorReply), reply
        return reply

    def refused(self, mtype: MsgType, request, status: Status) -> ErrorReply:
        """Assert the refusal, that nothing changed, and that it was logged."""
        live, stored, logged = self.model.live_leads, self.model.stored_program, len(self.model.events)
        reply = self.send(mtype, request)
        assert isinstance(reply, ErrorReply) and reply.status == status, reply
        assert reply.detail.endswith(".") and len(reply.detail) > 20
        assert self.model.live_leads == live and self.model.stored_program == stored
        (event,) = self.model.events[logged:]
        code = EventCode.PROGRAM_REJECTED if mtype == MsgType.COMMIT_PROGRAM else EventCode.COMMAND_REFUSED
        assert (event.code, event.value) == (code, status)
        return reply

    def measure(self, mode: ImpedanceMode, lead: int = 0):
        return self.ok(MsgType.MEASURE_IMPEDANCE, ImpedanceRequest(mode, lead)).measurements

    def ready(self, config: LeadConfig) -> LeadConfig:
        """Write, measure and enable a lead, then raise it to the config's amplitude."""
        self.ok(MsgType.WRITE_LEAD, config.with_(amplitude_ua=0, enabled=False))
        self.measure(ImpedanceMode.LEAD_PAIR, config.lead)
        self.ok(MsgType.SET_STIMULATION, StimulationRequest(config.lead, True))
        return self.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(config.lead, config.amplitude_ua))

    def commit(self, program: Program, crc: int | None = None):
        self.ok(MsgType.STAGE_BEGIN, StageBegin(program.name))
        for config in program.leads:
            self.ok(MsgType.STAGE_LEAD, config)
        return self.send(MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(program) if crc is None else crc))

    def codes(self) -> list[EventCode]:
        return [e.code for e in self.model.events]


def bipole(lead: int, contacts=(M, P, O, O), **values) -> LeadConfig:
    settings_ = dict(amplitude_ua=0, pulse_width_us=300, frequency_hz=20, enabled=False, patient_max_ua=6000)
    return LeadConfig(lead, contacts, **{**settings_, **values})


def program(name: str = "Clinic", **overrides: LeadConfig) -> Program:
    leads = {n: bipole(n, amplitude_ua=250 * n) for n in range(1, 5)}
    leads.update({int(k[-1]): v for k, v in overrides.items()})
    return Program(name, tuple(leads[n] for n in sorted(leads)))


@pytest.fixture
def host() -> Host:
    return Host(impedance_ms="30")


# ---- what the device reports -------------------------------------------------------


def test_reports_the_facts_file_capabilities_and_identity():
    host = Host(serial="SIM-0042")
    caps = host.ok(MsgType.CAPABILITIES)
    assert (caps.lead_count, caps.contacts_per_lead) == (4, 4)
    assert caps.amplitude_bands == (AmplitudeBand(2000, 25), AmplitudeBand(6000, 50))
    assert (caps.pulse_width_min_us, caps.pulse_width_max_us, caps.pulse_width_step_us) == (40, 720, 10)
    assert (caps.frequency_min_hz, caps.frequency_max_hz, caps.frequency_step_hz) == (4, 100, 2)
    assert (caps.contact_area_um2, caps.compliance_mv, caps.shannon_k_limit_x100) == (3_930_000, 12_000, 185)
    assert (caps.impedance_short_ohm, caps.impedance_open_ohm, caps.watchdog_ms) == (200, 4000, 3000)
    ident = host.ok(MsgType.IDENTIFY)
    assert (ident.model, ident.serial, ident.firmware, ident.hardware_rev) == ("DRG-SIM-4", "SIM-0042", "1.0.0", "A")


def test_initial_program_is_every_lead_off_at_defaults(host):
    stored = host.ok(MsgType.READ_PROGRAM)
    assert stored.name == "Default" and [c.lead for c in stored.leads] == [1, 2, 3, 4]
    assert all(
        c.contacts == (O, O, O, O)
        and c.amplitude_ua == 0
        and not c.enabled
        and (c.pulse_width_us, c.frequency_hz, c.patient_max_ua) == (40, 60, 6000)
        for c in stored.leads
    )
    assert host.model.live_leads == stored.leads


@pytest.mark.parametrize("state, voltage_below", [("ok", 3300), ("eri", 2800), ("eos", 2500)])
def test_battery_state_comes_from_the_scenario(state, voltage_below):
    host = Host(battery=state)
    status = host.ok(MsgType.BATTERY)
    assert status.state == BatteryState[state.upper()] and 0 < status.voltage_mv < voltage_below
    assert (EventCode.BATTERY_STATE in host.codes()) == (state != "ok")
    assert host.codes()[0] == EventCode.POWER_ON


# ---- hard limits: every refusal changes nothing and is logged ------------------------


@pytest.mark.parametrize("request_", [LeadRef(5), LeadRef(0)], ids=["lead-5", "lead-0"])
def test_a_lead_that_does_not_exist_is_refused(host, request_):
    host.refused(MsgType.READ_LEAD, request_, Status.OUT_OF_RANGE)
    host.refused(MsgType.WRITE_LEAD, bipole(request_.lead), Status.OUT_OF_RANGE)
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(request_.lead, True), Status.OUT_OF_RANGE)


@pytest.mark.parametrize(
    "field, value, status",
    [
        ("amplitude_ua", 6050, Status.OUT_OF_RANGE),
        ("amplitude_ua", 1010, Status.OFF_STEP),  # 25 µA steps up to 2 mA
        ("amplitude_ua", 2025, Status.OFF_STEP),  # 50 µA steps above
        ("pulse_width_us", 30, Status.OUT_OF_RANGE),
        ("pulse_width_us", 730, Status.OUT_OF_RANGE),
        ("pulse_width_us", 305, Status.OFF_STEP),
        ("frequency_hz", 2, Status.OUT_OF_RANGE),
        ("frequency_hz", 102, Status.OUT_OF_RANGE),
        ("frequency_hz", 21, Status.OFF_STEP),
        ("patient_max_ua", 6100, Status.OUT_OF_RANGE),
        ("patient_max_ua", 1990, Status.OFF_STEP),
    ],
)
def test_values_out_of_range_or_off_step_are_refused(host, field, value, status):
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.refused(MsgType.WRITE_LEAD, bipole(1, **{field: value}), status)


@pytest.mark.parametrize("amplitude, status", [(6050, Status.OUT_OF_RANGE), (2010, Status.OFF_STEP)])
def test_set_amplitude_checks_range_and_step(host, amplitude, status):
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.refused(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, amplitude), status)


@pytest.mark.parametrize("contacts", [(O, O, O, O), (M, M, O, O), (P, O, P, O)])
def test_amplitude_or_enable_without_an_anode_and_a_cathode_is_refused(host, contacts):
    host.ok(MsgType.WRITE_LEAD, bipole(1, contacts))
    host.refused(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 100), Status.BAD_CONTACTS)
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.BAD_CONTACTS)
    host.refused(MsgType.WRITE_LEAD, bipole(1, contacts, amplitude_ua=100), Status.BAD_CONTACTS)


def test_charge_density_at_shannon_k_is_refused(host):
    host.ok(MsgType.WRITE_LEAD, bipole(1, pulse_width_us=720))
    host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 1600))  # 1.15 µC: k = 1.53
    reply = host.refused(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 2400), Status.CHARGE_DENSITY)  # 1.73 µC: k = 1.88
    assert "Shannon" in reply.detail


@pytest.mark.parametrize("contacts", [(M, P, O, O), (M, M, P, O), (M, M, P, P)])
def test_charge_density_assumes_the_whole_current_may_flow_through_one_contact(host, contacts):
    """Two cathodes do not halve the limit: one of them may be open (720 µs: 2300 µA k 1.84, 2400 µA k 1.88)."""
    host.ok(MsgType.WRITE_LEAD, bipole(1, contacts, pulse_width_us=720))
    host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 2300))
    host.refused(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 2400), Status.CHARGE_DENSITY)


def test_amplitude_above_the_patient_maximum_is_refused(host):
    host.ok(MsgType.WRITE_LEAD, bipole(1, patient_max_ua=1000))
    host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 1000))
    host.refused(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 1025), Status.ABOVE_PATIENT_MAX)
    host.refused(MsgType.WRITE_LEAD, bipole(1, amplitude_ua=1000, patient_max_ua=975), Status.ABOVE_PATIENT_MAX)


def test_end_of_service_battery_refuses_turning_output_on():
    host = Host(battery="eos")
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.measure(ImpedanceMode.LEAD_PAIR, 1)
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.BATTERY_EOS)
    host.refused(MsgType.WRITE_LEAD, bipole(1, enabled=True), Status.BATTERY_EOS)


@pytest.mark.parametrize("rate, leads", [(0, (1,)), (100_001, (1,)), (1000, ()), (1000, (1, 5))])
def test_telemetry_requests_outside_the_device_limits_are_refused(host, rate, leads):
    host.refused(MsgType.START_TELEMETRY, TelemetryRequest(rate, leads), Status.OUT_OF_RANGE)
    assert host.model.telemetry_due_in() == float("inf")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.tuples(*[st.sampled_from(list(Polarity))] * 4),
            st.integers(0, 6000),
            st.integers(40, 720),
            st.integers(4, 100),
            st.integers(0, 6000),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_live_settings_never_break_a_limit_whatever_the_host_writes(writes):
    host = Host()
    for lead, contacts, amplitude, pw, hz, patient_max, on in writes:
        host.send(MsgType.WRITE_LEAD, LeadConfig(lead, contacts, amplitude, pw, hz, on, patient_max))
        host.send(MsgType.SET_AMPLITUDE, AmplitudeRequest(lead, amplitude))
    for config in host.model.live_leads:
        check_lead(host.model.capabilities, config)  # raises Refusal if the device let one through
    assert not host.model.outputs_on  # nothing was measured, so nothing may be on


# ---- Axium rules ---------------------------------------------------------------------


def test_changing_contacts_disables_the_lead_and_zeroes_its_amplitude(host):
    host.ready(bipole(1, amplitude_ua=800))
    reply = host.ok(MsgType.WRITE_LEAD, bipole(1, (P, M, O, O), amplitude_ua=800, enabled=True))
    assert (reply.enabled, reply.amplitude_ua, reply.contacts) == (False, 0, (P, M, O, O))
    assert host.model.live_leads[0] == reply and not host.model.outputs_on


def test_enabling_needs_an_impedance_measured_since_the_contacts_last_changed(host):
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.IMPEDANCE_REQUIRED)
    host.measure(ImpedanceMode.LEAD_PAIR, 1)
    host.ok(MsgType.WRITE_LEAD, bipole(1, (P, M, O, O)))
    host.ok(MsgType.WRITE_LEAD, bipole(1))  # back to the measured contacts: still needs a new measurement
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.IMPEDANCE_REQUIRED)
    host.measure(ImpedanceMode.LEAD_PAIR, 1)
    assert host.ok(MsgType.SET_STIMULATION, StimulationRequest(1, True)).enabled
    assert host.model.outputs_on == (1,) and EventCode.STIM_ON in host.codes()


def test_once_enabled_every_change_is_live(host):
    host.ready(bipole(1, amplitude_ua=500))
    reply = host.ok(MsgType.WRITE_LEAD, bipole(1, amplitude_ua=700, frequency_hz=40, enabled=True))
    assert reply.enabled and host.model.live_leads[0] == reply
    assert host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 900)).amplitude_ua == 900


def test_a_short_on_the_configured_pair_blocks_enabling():
    host = Host(short="1.2")  # contacts 1 and 2 of lead 1
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    (pair,) = host.measure(ImpedanceMode.LEAD_PAIR, 1)
    assert pair.ohms < 200
    assert (host.model.events[-1].code, host.model.events[-1].lead) == (EventCode.SHORT_DETECTED, 1)
    reply = host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.IMPEDANCE_REQUIRED)
    assert "short" in reply.detail


def test_lead_pair_measures_every_anode_cathode_pair():
    host = Host(short="1.2-4")  # cathode 2 to anode 4: not the first anode/cathode pair
    host.ok(MsgType.WRITE_LEAD, bipole(1, (M, M, P, P)))
    readings = host.measure(ImpedanceMode.LEAD_PAIR, 1)
    assert {(m.contact_a, m.contact_b) for m in readings} == {(3, 1), (3, 2), (4, 1), (4, 2)}
    reply = host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.IMPEDANCE_REQUIRED)
    assert "contacts 4 and 2" in reply.detail


def test_a_short_found_later_switches_the_lead_off():
    host = Host(short="1.2-4")
    host.ok(MsgType.WRITE_LEAD, bipole(1, (M, M, P, P)))
    host.measure(ImpedanceMode.CONTACT_PAIRS, 1)
    host.model.tissue._shorts.clear()  # the short is intermittent: it reads fine once
    host.measure(ImpedanceMode.LEAD_PAIR, 1)
    host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 500))
    host.ok(MsgType.SET_STIMULATION, StimulationRequest(1, True))
    assert host.model.outputs_on == (1,)
    host.model.tissue._shorts[(1, frozenset((2, 4)))] = 100.0
    host.measure(ImpedanceMode.CONTACT_PAIRS, 1)
    assert not host.model.outputs_on and host.model.live_leads[0].amplitude_ua == 500
    assert EventCode.SHORT_DETECTED in host.codes()
    host.refused(MsgType.SET_STIMULATION, StimulationRequest(1, True), Status.IMPEDANCE_REQUIRED)


@pytest.mark.parametrize("stop", ["bulk", "control"])
def test_stop_all_disables_every_lead_and_keeps_amplitudes(host, stop):
    host.ready(bipole(1, amplitude_ua=500))
    host.ready(bipole(3, amplitude_ua=1200))
    if stop == "bulk":
        host.ok(MsgType.STOP_ALL)
    else:
        host.model.stop_all_now()
    assert not host.model.outputs_on
    assert [c.amplitude_ua for c in host.model.live_leads] == [500, 0, 1200, 0]
    assert host.model.events[-1].code == EventCode.STOP_ALL


class GatedSleep:
    """A sleep that, once armed, blocks until released: a measurement caught mid-way."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.armed = clock, False
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, seconds: float) -> None:
        if self.armed:
            self.entered.set()
            self.release.wait(5)
        self.clock.sleep(seconds)


def test_stop_all_now_bypasses_a_running_measurement_that_makes_other_commands_wait():
    host = Host(gated=True)
    host.ready(bipole(1, amplitude_ua=500))
    host.sleep.armed = True
    results = []
    measuring = threading.Thread(target=lambda: results.append(host.measure(ImpedanceMode.CONTACT_PAIRS)))
    measuring.start()
    try:
        assert host.sleep.entered.wait(5)
        assert host.send(MsgType.READ_LEAD, LeadRef(1)).status == Status.BUSY
        host.model.stop_all_now()  # returns at once although the measurement still runs
        assert not host.model.outputs_on
    finally:
        host.sleep.release.set()
        measuring.join(5)
    assert len(results[0]) == 24 and host.model.events[-1].code == EventCode.IMPEDANCE_MEASURED


# ---- programs: stored is always exactly the old or the new ---------------------------


def test_commit_replaces_the_stored_program_and_the_live_settings(host):
    new = program()
    assert host.commit(new) == new == host.ok(MsgType.READ_PROGRAM)
    assert host.model.live_leads == new.leads
    assert host.model.events[-1].code == EventCode.PROGRAM_COMMITTED
    host.refused(MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(new)), Status.NOTHING_STAGED)  # consumed


def test_commit_sorts_the_staged_leads_by_lead_number(host):
    shuffled = program()
    host.ok(MsgType.STAGE_BEGIN, StageBegin(shuffled.name))
    for config in reversed(shuffled.leads):
        host.ok(MsgType.STAGE_LEAD, config)
    assert host.ok(MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(shuffled))) == shuffled


def test_commit_with_a_wrong_crc_leaves_the_old_program(host):
    old = host.commit(program("First"))
    live = host.model.live_leads
    second = program("Second", lead2=bipole(2, amplitude_ua=1500))
    reply = host.commit(second, crc=program_crc(second) ^ 1)
    assert reply.status == Status.PROGRAM_CRC
    assert host.ok(MsgType.READ_PROGRAM) == old and host.model.live_leads == live
    assert (host.model.events[-1].code, host.model.events[-1].value) == (EventCode.PROGRAM_REJECTED, Status.PROGRAM_CRC)


@pytest.mark.parametrize(
    "bad, status",
    [
        (bipole(3, amplitude_ua=2400, pulse_width_us=720), Status.CHARGE_DENSITY),
        (bipole(3, amplitude_ua=1000, patient_max_ua=500), Status.ABOVE_PATIENT_MAX),
        (bipole(3, amplitude_ua=1010), Status.OFF_STEP),
        (bipole(3, (O, O, O, O), amplitude_ua=100), Status.BAD_CONTACTS),
        (bipole(3, enabled=True), Status.IMPEDANCE_REQUIRED),
    ],
)
def test_commit_with_one_lead_breaking_a_limit_leaves_the_old_program(host, bad, status):
    old = host.commit(program("First"))
    live = host.model.live_leads
    reply = host.commit(program("Second", lead3=bad))
    assert reply.status == status and reply.detail
    assert host.ok(MsgType.READ_PROGRAM) == old and host.model.live_leads == live


def test_commit_needs_every_lead_and_a_stage(host):
    host.refused(MsgType.STAGE_LEAD, bipole(1), Status.NOTHING_STAGED)
    partial = Program("Partial", program().leads[:3])
    assert host.commit(partial).status == Status.NOTHING_STAGED
    host.refused(MsgType.STAGE_LEAD, bipole(5), Status.OUT_OF_RANGE)


@pytest.mark.parametrize("drop", ["abort", "reset_link"])
def test_abort_and_link_reset_drop_the_staged_program(host, drop):
    full = program()
    host.ok(MsgType.STAGE_BEGIN, StageBegin(full.name))
    for config in full.leads:
        host.ok(MsgType.STAGE_LEAD, config)
    if drop == "abort":
        host.ok(MsgType.ABORT_STAGE)
    else:
        host.model.reset_link()  # it ends the link's session too: the host authenticates again
        assert host.send(MsgType.READ_PROGRAM).status == Status.AUTH_FAILED
        host.session = paired_session(host.model)
    host.refused(MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(full)), Status.NOTHING_STAGED)


def test_a_program_may_enable_measured_leads(host):
    host.ok(MsgType.WRITE_LEAD, bipole(2))
    host.measure(ImpedanceMode.LEAD_PAIR, 2)
    committed = host.commit(program(lead2=bipole(2, amplitude_ua=500, enabled=True)))
    assert committed.leads[1].enabled and host.model.outputs_on == (2,)


# ---- keep-alive watchdog -------------------------------------------------------------


def test_silence_restores_the_stored_program_once(host):
    stored = host.commit(program())
    host.ready(bipole(1, (O, O, M, P), amplitude_ua=900))
    host.clock.now += 2.9
    host.ok(MsgType.KEEPALIVE)  # life: the silence starts again
    host.clock.now += 2.9
    host.model.poll()
    assert host.model.outputs_on == (1,)
    host.clock.now += 0.2
    host.model.poll()
    assert host.model.live_leads == stored.leads and not host.model.outputs_on
    host.clock.now += 10
    host.model.poll()
    assert host.codes().count(EventCode.WATCHDOG_RESTORE) == 1


def test_the_watchdog_is_checked_before_a_late_command(host):
    host.ready(bipole(1, amplitude_ua=900))
    host.clock.now += 3.5
    assert not host.ok(MsgType.READ_LEAD, LeadRef(1)).enabled


def test_silence_changes_nothing_when_live_matches_stored(host):
    host.clock.now += 60
    host.model.poll()
    assert EventCode.WATCHDOG_RESTORE not in host.codes()


# ---- impedance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, count",
    [(ImpedanceMode.LEAD_PAIR, 2), (ImpedanceMode.CONTACT_TO_CASE, 16), (ImpedanceMode.CONTACT_PAIRS, 24)],
)
def test_each_impedance_measurement_takes_impedance_ms(host, mode, count):
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.ok(MsgType.WRITE_LEAD, bipole(4, (O, P, O, M)))
    start = host.clock.now
    measurements = host.measure(mode)
    assert len(measurements) == count
    assert host.clock.now - start == pytest.approx(count * 0.030)
    assert all(isinstance(m.ohms, int) and 200 <= m.ohms <= 4000 for m in measurements)


def test_contact_to_case_names_the_case_as_contact_zero(host):
    measurements = host.measure(ImpedanceMode.CONTACT_TO_CASE, 2)
    assert [(m.lead, m.contact_a, m.contact_b) for m in measurements] == [(2, c, 0) for c in (1, 2, 3, 4)]


# ---- telemetry ------------------------------------------------------------------------


def blocks_until(host: Host, seconds: float, step_s: float = 0.005) -> list[TelemetryBlock]:
    """Advance the fake clock, draining every due frame as a reader would,
    with a keep-alive each second as a connected host sends."""
    blocks, end, alive = [], host.clock.now + seconds, host.clock.now
    while host.clock.now < end - 1e-9:
        host.clock.now += step_s
        if host.clock.now - alive >= 1.0:
            alive = host.clock.now
            host.ok(MsgType.KEEPALIVE)
        while (frame := host.model.next_telemetry_frame()) is not None:
            decoded = decode_frame(frame)
            assert decoded.type == MsgType.TELEMETRY_BLOCK
            blocks.append(TELEMETRY.decode(decoded.payload))
    return blocks


def test_telemetry_keeps_100_kS_per_s_on_four_leads_for_10_s_at_low_cost(host):
    host.ready(bipole(1, amplitude_ua=1000))
    assert host.ok(MsgType.START_TELEMETRY, TelemetryRequest(100_000, (4, 1, 2, 3))) == TelemetryRequest(
        100_000, (1, 2, 3, 4)
    )
    cpu = time.process_time()
    blocks = blocks_until(host, 10.0)
    cpu = time.process_time() - cpu
    samples = sum(b.n_samples for b in blocks)
    assert samples == pytest.approx(1_000_000, rel=0.01)
    assert [b.first_sample for b in blocks] == list(range(0, samples, 100_000 * BLOCK_MS // 1000))
    assert cpu < 1.0, f"{cpu:.2f} s of CPU for 10 s of telemetry"  # under 10% of a core
    lead1 = np.concatenate([b.current_ua[0] for b in blocks]).astype(np.int64)
    delivered_uc, returned_uc = -lead1[lead1 < 0].sum() * 1e-5, lead1[lead1 > 0].sum() * 1e-5
    assert lead1.min() == -1000 and delivered_uc == pytest.approx(200 * 0.3, rel=0.01)  # 20 Hz x 10 s x 0.3 µC
    assert returned_uc == pytest.approx(delivered_uc, rel=0.01)  # passive recharge balances the charge
    assert not any(b.current_ua[1:].any() or b.voltage_mv[1:].any() for b in blocks)  # disabled: nothing


def test_telemetry_due_in_says_when_the_next_block_is_ready(host):
    assert host.model.telemetry_due_in() == float("inf")
    host.ok(MsgType.START_TELEMETRY, TelemetryRequest(1000, (1,)))
    assert host.model.telemetry_due_in() == pytest.approx(BLOCK_MS / 1000)
    assert host.model.next_telemetry_frame() is None
    host.clock.now += host.model.telemetry_due_in()
    assert host.model.next_telemetry_frame() is not None
    host.ok(MsgType.STOP_TELEMETRY)
    assert host.model.telemetry_due_in() == float("inf") and host.model.next_telemetry_frame() is None


def test_a_reader_far_behind_sees_a_gap_instead_of_a_backlog(host):
    host.ok(MsgType.START_TELEMETRY, TelemetryRequest(10_000, (1,)))
    blocks_until(host, 0.1)
    host.clock.now += 5.0
    late = blocks_until(host, 0.01)
    assert late[0].first_sample > 10_000 * 3 and len(late) <= 3
    assert host.model.telemetry_stats.samples_skipped > 10_000 * 3


def test_an_open_contact_shows_current_clipped_at_the_compliance_voltage():
    host = Host(open="2.1")
    host.ready(bipole(1, amplitude_ua=2000))
    host.ready(bipole(2, amplitude_ua=2000))  # cathode 1 of lead 2 is open
    host.ok(MsgType.START_TELEMETRY, TelemetryRequest(100_000, (1, 2)))
    blocks = blocks_until(host, 0.1)
    current = np.concatenate([b.current_ua for b in blocks], axis=1)
    voltage = np.concatenate([b.voltage_mv for b in blocks], axis=1)
    assert current[0].min() == -2000 and -12_000 < voltage[0].min() < -1000
    assert -5 <= current[1].min() < 0 and voltage[1].min() == pytest.approx(-12_000, abs=50)


# ---- event log ------------------------------------------------------------------------


def test_event_log_pages_with_indices_and_times(host):
    host.ok(MsgType.WRITE_LEAD, bipole(1))
    host.clock.now += 1.5
    for amplitude in range(25, 2001, 25):
        host.ok(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, amplitude))
    first = host.ok(MsgType.READ_EVENTS, EventLogRequest(0, 200))
    assert first.total == 85 and len(first.events) == 64  # power-on, pairing (3), write, 80 amplitudes
    rest = host.ok(MsgType.READ_EVENTS, EventLogRequest(64, 64))
    events = first.events + rest.events
    assert [e.index for e in events] == list(range(85))
    assert [e.code for e in events[:4]] == [
        EventCode.POWER_ON,
        EventCode.PAIRING_STARTED,
        EventCode.PAIRED,
        EventCode.SESSION_OPENED,
    ]
    assert events[-1] == type(events[-1])(84, 1500, EventCode.AMPLITUDE_SET, 1, 2000)


# ---- frames: the firmware never raises --------------------------------------------------


def test_a_corrupted_frame_gets_bad_frame_with_its_seq(host):
    raw = bytearray(encode_frame(Frame(MsgType.IDENTIFY, 0x1234)))
    raw[-1] ^= 0xFF
    reply = decode_frame(host.model.handle_command(bytes(raw)))
    assert (reply.type, reply.seq) == (MsgType.IDENTIFY | 0x80, 0x1234)
    assert decode_reply(MESSAGES[MsgType.IDENTIFY], reply.payload).status == Status.BAD_FRAME
    truncated = decode_frame(host.model.handle_command(encode_frame(Frame(MsgType.IDENTIFY, 7))[:-1]))
    assert truncated.seq == 7 and truncated.payload[0] == Status.BAD_FRAME


@pytest.mark.parametrize("data", [b"", b"DG", b"garbage that is long enough", bytes(64)])
def test_unreadable_bytes_are_dropped(host, data):
    assert host.model.handle_command(data) is None


def test_unknown_types_and_bad_payloads_are_answered(host):
    for mtype in (0x7F, MsgType.TELEMETRY_BLOCK, MsgType.IDENTIFY | 0x80):
        reply = decode_frame(host.model.handle_command(encode_frame(Frame(mtype, 3))))
        assert (reply.seq, reply.payload[0]) == (3, Status.UNKNOWN_MESSAGE)
    data, seq = command_frame(host.session, MsgType.READ_LEAD, b"\x01\x02")
    reply = decode_frame(host.model.handle_command(data))
    assert (reply.seq, reply.payload[0]) == (seq, Status.BAD_PAYLOAD)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200)
    | st.builds(lambda head, tail: b"DG\x01" + head + tail, st.binary(min_size=7, max_size=7), st.binary(max_size=40))
)
def test_arbitrary_bytes_never_raise(data):
    reply = DeviceModel(Scenario(), clock=FakeClock(), sleep=lambda s: None).handle_command(data)
    assert reply is None or decode_frame(reply).payload[0] in (Status.BAD_FRAME, Status.UNSUPPORTED)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(MsgType)), st.integers(0, 0xFFFF), st.binary(max_size=60))
def test_well_framed_arbitrary_payloads_always_get_a_decodable_reply(mtype, seq, payload):
    model = DeviceModel(Scenario(), clock=FakeClock(), sleep=lambda s: None)
    for data in (
        encode_frame(Frame(mtype, seq, payload)),
        command_frame(paired_session(model), mtype, payload, seq)[0],
    ):
        reply = decode_frame(model.handle_command(data))
        assert (reply.type, reply.seq) == (mtype | 0x80, decode_frame(data).seq)
    spec = MESSAGES[mtype]
    if spec.reply is not None:
        decode_reply(spec, reply.payload)  # raises ProtocolError if the reply is malformed


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_well_formed_request_gets_a_well_formed_reply(data):
    """Valid requests of every type, generated from the codecs, in a random order."""
    scenario = Scenario.from_query({"short": "1.2", "open": "2.3", "intermittent": "3.4"})
    model = DeviceModel(scenario, clock=FakeClock(), sleep=lambda s: None)
    session = paired_session(model)
    commands = sorted(t for t, spec in MESSAGES.items() if spec.reply is not None)
    for n in range(data.draw(st.integers(1, 12))):
        mtype = data.draw(st.sampled_from(commands))
        spec = MESSAGES[mtype]
        request = data.draw(values_for(spec.request))
        frame, seq = command_frame(session, mtype, spec.request.encode(request), n)
        reply = decode_frame(model.handle_command(frame))
        assert (reply.type, reply.seq) == (mtype | 0x80, seq)
        decode_reply(spec, reply.payload)
    for config in model.live_leads:
        check_lead(model.capabilities, config)
