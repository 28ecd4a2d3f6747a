"""Firmware of the simulated DRG pulse generator, independent of USB.

The USB backend hands every bulk OUT transfer to `DeviceModel.handle_command`
and sends back the reply frame it returns; it pulls telemetry frames with
`next_telemetry_frame` and forwards the vendor stop request to
`stop_all_now`. Everything time-based uses the injected clock and sleep, so
tests run on simulated time.

Rules kept here (see drivers/sim/limits.py for the per-setting limits):
- a contact change disables the lead and zeroes its amplitude;
- output goes on only when the enable conditions hold (`_enable_refusal`,
  the one place they are checked, for SET_STIMULATION, WRITE_LEAD, a
  program commit and the watchdog alike): impedance measured on every
  anode-cathode pair of the current contacts since they last changed, no
  short on any of them, and a battery before end of service;
- the stored program is replaced only whole, by a CRC-checked commit;
- a pulse capture waits for the lead's next pulse onset with the state lock
  released, so the vendor STOP ALL acts at once while it waits;
- after `watchdog_ms` without a valid frame the live settings revert to the
  stored program, but the watchdog never turns an output on and never
  raises what a lead delivers (`_watchdog_restore`): STOP ALL latches until
  the host enables a lead again by an explicit command.
Refused commands change nothing and are logged (COMMAND_REFUSED, or
PROGRAM_REJECTED for a commit) with the refusing Status as value.

Every command but IDENTIFY, STOP_ALL and the link messages needs a valid MAC
(drivers/sim/security.py): a command without one is refused, counted and
logged (AUTH_REFUSED) before its payload is even decoded. Replies to sealed
commands, and telemetry while a session is open, are sealed in turn.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from drivers.errors import ProtocolError
from drivers.protocol import auth
from drivers.protocol.frame import HEADER, MAGIC, REPLY_BIT, VERSION, Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    MESSAGES,
    AmplitudeRequest,
    CommitRequest,
    EventLog,
    EventLogRequest,
    ImpedanceRequest,
    LeadRef,
    MessageSpec,
    MsgType,
    StageBegin,
    StimulationRequest,
    TelemetryRequest,
    encode_reply,
    program_crc,
)
from drivers.protocol.status import Status
from drivers.sim.battery import battery_status
from drivers.sim.limits import Refusal, check_lead, check_lead_number, check_rules, check_values
from drivers.sim.scenario import Scenario
from drivers.sim.security import AuthRefused, DeviceSecurity
from drivers.sim.telemetry import TelemetryStats, TelemetryStream
from drivers.sim.tissue import Tissue
from drivers.sim.waveform import LeadDrive, as_int16, capture, delivered_ua, render
from drivers.types import (
    CASE,
    AmplitudeBand,
    BatteryState,
    Capabilities,
    CaptureCapabilities,
    CaptureRequest,
    DeviceEvent,
    EventCode,
    Identity,
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Polarity,
    Program,
    PulseCapture,
    SelfTestCheck,
    SelfTestItem,
    SelfTestReport,
    SelfTestResult,
    TelemetryBlock,
)

CAPABILITIES = Capabilities(
    lead_count=4,
    contacts_per_lead=4,
    amplitude_bands=(AmplitudeBand(2000, 25), AmplitudeBand(6000, 50)),
    pulse_width_min_us=40,
    pulse_width_max_us=720,
    pulse_width_step_us=10,
    pulse_width_default_us=40,
    frequency_min_hz=4,
    frequency_max_hz=100,
    frequency_step_hz=2,
    frequency_default_hz=60,
    contact_area_um2=3_930_000,
    compliance_mv=12_000,
    shannon_k_limit_x100=185,
    telemetry_max_rate_hz=100_000,
    watchdog_ms=3000,
    impedance_short_ohm=200,
    impedance_open_ohm=4000,
)
INTERPHASE_US = 20  # model value: the output stage opens this long before the passive recharge
CAPTURE_CAPABILITIES = CaptureCapabilities(
    rate_min_hz=250_000,
    rate_max_hz=2_000_000,  # 0.5 µs per sample
    max_samples=8192,
    trigger_timeout_ms=1000 // CAPABILITIES.frequency_min_hz + 50,  # the slowest period, and the window after it
    interphase_us=INTERPHASE_US,
)
CAPTURE_NOISE_UA, CAPTURE_NOISE_MV = 2.0, 10.0  # r.m.s. noise of the capture's converters
MODEL, FIRMWARE, HARDWARE_REV = "DRG-SIM-4", "1.0.0", "A"
EVENTS_PER_READ = 64
SELF_TEST_S = 0.05  # the checks take this long (simulated time)
TEST_LOAD_UA = 1000  # the output stage's test pulse into its internal load
REFERENCE_OHM = 1000  # the measurement path's internal reference resistor
TOLERANCE = 0.05  # output and measurement must be within ±5 %
CLOCK_LIMIT_PPM = 500
ERI_MV, EOS_MV = 2650, 2400


def default_program(caps: Capabilities) -> Program:
    """What a new generator stores: every lead off, at 0 µA and default timing."""
    return Program(
        "Default",
        tuple(
            LeadConfig(
                lead,
                (Polarity.OFF,) * caps.contacts_per_lead,
                0,
                caps.pulse_width_default_us,
                caps.frequency_default_hz,
                False,
                caps.amplitude_max_ua,
            )
            for lead in range(1, caps.lead_count + 1)
        ),
    )


@dataclass(frozen=True)
class PairReadings:
    """Anode-cathode impedances measured on a lead since its contacts last changed."""

    contacts: tuple[Polarity, ...]
    ohms: dict[tuple[int, int], int]  # (anode, cathode) -> Ω


@dataclass
class _Staging:
    name: str
    leads: dict[int, LeadConfig]


class DeviceModel:
    def __init__(
        self,
        scenario: Scenario | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scenario = scenario or Scenario()
        self.capabilities = CAPABILITIES
        self.identity = Identity(MODEL, self.scenario.serial, FIRMWARE, HARDWARE_REV)
        self.battery = battery_status(self.scenario.battery)
        self.tissue = Tissue(self.scenario, CAPABILITIES.lead_count, CAPABILITIES.contacts_per_lead)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()  # guards the state below
        self._command_lock = threading.Lock()  # one bulk command at a time; others get BUSY
        self._powered_at = self._last_life = clock()
        self._watchdog_armed = True  # fires once per silence
        self._stored = default_program(CAPABILITIES)
        self._live = {config.lead: config for config in self._stored.leads}
        self._staged: _Staging | None = None
        self._pairs: dict[int, PairReadings] = {}
        self._events: list[DeviceEvent] = []
        self._telemetry: TelemetryStream | None = None
        self._telemetry_seq = itertools.count()
        self.capture_capabilities = CAPTURE_CAPABILITIES
        self._capture_noise = np.random.default_rng(self.scenario.seed)
        self.security = DeviceSecurity(
            self.scenario.serial,
            clock,
            lambda code, lead, value: self._log(code, lead, value),
            self.scenario.magnet_held,
        )
        self._handlers: dict[MsgType, Callable] = {
            MsgType.IDENTIFY: lambda _: self.identity,
            MsgType.CAPABILITIES: lambda _: self.capabilities,
            MsgType.BATTERY: lambda _: self.battery,
            MsgType.KEEPALIVE: lambda _: None,
            MsgType.READ_LEAD: self._read_lead,
            MsgType.WRITE_LEAD: self._write_lead,
            MsgType.SET_AMPLITUDE: self._set_amplitude,
            MsgType.SET_STIMULATION: self._set_stimulation,
            MsgType.STOP_ALL: lambda _: self._stop_all(),
            MsgType.STAGE_BEGIN: self._stage_begin,
            MsgType.STAGE_LEAD: self._stage_lead,
            MsgType.COMMIT_PROGRAM: self._commit_program,
            MsgType.READ_PROGRAM: lambda _: self._stored,
            MsgType.ABORT_STAGE: self._abort_stage,
            MsgType.MEASURE_IMPEDANCE: self._measure_impedance,
            MsgType.START_TELEMETRY: self._start_telemetry,
            MsgType.STOP_TELEMETRY: self._stop_telemetry,
            MsgType.CAPTURE_CAPABILITIES: lambda _: self.capture_capabilities,
            MsgType.CAPTURE_PULSE: self._capture_pulse,
            MsgType.READ_EVENTS: self._read_events,
            MsgType.SELF_TEST: self._self_test,
            MsgType.HELLO: self.security.hello,
            MsgType.PAIR_BEGIN: self.security.pair_begin,
            MsgType.PAIR_CONFIRM: self.security.pair_confirm,
            MsgType.AUTH_BEGIN: self.security.auth_begin,
            MsgType.AUTH_FINISH: self.security.auth_finish,
        }
        self._log(EventCode.POWER_ON)
        if self.battery.state != BatteryState.OK:
            self._log(EventCode.BATTERY_STATE, value=self.battery.state)

    # ---- the backend's interface -------------------------------------------------

    def handle_command(self, data: bytes) -> bytes | None:
        """One bulk OUT transfer in -> the reply frame bytes (type|0x80, same seq).

        A frame whose header is readable but is otherwise bad gets BAD_FRAME
        (UNSUPPORTED for another protocol version); unreadable bytes give None.
        """
        data = bytes(data)
        if len(data) < HEADER.size or data[:2] != MAGIC:
            return None
        _magic, version, mtype, _flags, _reserved, seq, _length = HEADER.unpack_from(data)
        try:
            frame = decode_frame(data)
        except ProtocolError as exc:
            status = Status.BAD_FRAME if version == VERSION else Status.UNSUPPORTED
            return encode_frame(_reply(mtype, seq, None, status, detail=f"The frame was ignored: {exc}."))
        with self._lock:
            now = self._clock()
            self._check_watchdog(now)
            self._last_life, self._watchdog_armed = now, True
        spec = MESSAGES.get(frame.type)
        if spec is None or spec.reply is None:
            return encode_frame(
                _reply(
                    frame.type,
                    seq,
                    None,
                    Status.UNKNOWN_MESSAGE,
                    detail=f"Message type 0x{frame.type:02x} is not a command this device accepts.",
                )
            )
        with self._lock:
            try:
                counter = self.security.admit(frame, spec.type)
            except AuthRefused as refusal:
                return encode_frame(_reply(frame.type, seq, None, refusal.status, detail=refusal.detail))
        try:
            request = spec.request.decode(frame.payload)
        except ProtocolError as exc:
            return self._answer(
                _reply(frame.type, seq, None, Status.BAD_PAYLOAD, detail=f"{spec.type.name} payload: {exc}."), counter
            )
        if not self._command_lock.acquire(blocking=False):
            return self._answer(
                _reply(frame.type, seq, None, Status.BUSY, detail="Another command is still running; try again."),
                counter,
            )
        try:
            with self._lock:
                reply = self._run(spec, seq, request)
        finally:
            self._command_lock.release()
        return self._answer(reply, counter)

    def _answer(self, reply: Frame, counter: int | None) -> bytes:
        """The reply's bytes, sealed under the command's counter when the command was."""
        with self._lock:
            return self.security.seal_reply(reply, counter)

    def apply_magnet(self) -> bool:
        """The clinician holds the magnet over the generator: confirms a pairing in progress.
        False when none is waiting (the simulator's "confirm on device" control)."""
        with self._lock:
            return self.security.apply_magnet()

    def stop_all_now(self) -> None:
        """USB vendor control request: every output off at once, even during a measurement."""
        with self._lock:
            self._stop_all()

    def next_telemetry_frame(self) -> bytes | None:
        """The next TELEMETRY_BLOCK frame (own seq counter) if one is due by the clock, else None."""
        with self._lock:
            now = self._clock()
            self._check_watchdog(now)
            stream = self._telemetry
            first = stream.take_block(now) if stream else None
            if first is None:
                return None
            drives = [self._drive(self._live[lead]) for lead in stream.leads]
            sealing = self.security.telemetry_seal()
        current, voltage = render(drives, first, stream.block_samples, stream.rate_hz)
        block = TelemetryBlock(first, stream.rate_hz, stream.leads, current, voltage)
        payload = MESSAGES[MsgType.TELEMETRY_BLOCK].request.encode(block)
        if sealing is None:
            return encode_frame(Frame(MsgType.TELEMETRY_BLOCK, next(self._telemetry_seq) & 0xFFFF, payload))
        key, counter = sealing
        return auth.seal(Frame(MsgType.TELEMETRY_BLOCK, counter & 0xFFFF, payload), key, auth.TELEMETRY, counter)

    def telemetry_due_in(self) -> float:
        """Seconds until the next block is due (inf when not streaming)."""
        with self._lock:
            return self._telemetry.due_in(self._clock()) if self._telemetry else float("inf")

    def poll(self) -> None:
        """Apply time-based effects now (the keep-alive watchdog)."""
        with self._lock:
            self._check_watchdog(self._clock())

    def elapse_silence(self, seconds: float) -> None:
        """As if the host had sent nothing for `seconds` more: the watchdog acts now (tests, demos)."""
        with self._lock:
            self._last_life -= seconds
            self._check_watchdog(self._clock())

    def reset_link(self) -> None:
        """USB reset / set_configuration: drops the staged program and the link's session, keeps everything else."""
        with self._lock:
            self._staged = None
            self.security.end_session()

    # ---- read-only views for tests and the simulator UI --------------------------

    @property
    def live_leads(self) -> tuple[LeadConfig, ...]:
        with self._lock:
            return tuple(self._live[lead] for lead in sorted(self._live))

    @property
    def stored_program(self) -> Program:
        return self._stored

    @property
    def outputs_on(self) -> tuple[int, ...]:
        """Numbers of the leads that are enabled now."""
        return tuple(config.lead for config in self.live_leads if config.enabled)

    @property
    def events(self) -> tuple[DeviceEvent, ...]:
        with self._lock:
            return tuple(self._events)

    @property
    def telemetry_stats(self) -> TelemetryStats | None:
        with self._lock:
            return self._telemetry.stats if self._telemetry else None

    # ---- dispatch ----------------------------------------------------------------

    def _run(self, spec: MessageSpec, seq: int, request) -> Frame:
        try:
            body = self._handlers[spec.type](request)
        except Refusal as refusal:
            if not isinstance(refusal, AuthRefused) and refusal.status != Status.PAIR_PENDING:
                code = EventCode.PROGRAM_REJECTED if spec.type == MsgType.COMMIT_PROGRAM else EventCode.COMMAND_REFUSED
                self._log(code, lead=getattr(request, "lead", 0), value=refusal.status)
            return _reply(spec.type, seq, spec, refusal.status, detail=refusal.detail)
        return _reply(spec.type, seq, spec, Status.OK, body)

    def _log(self, code: EventCode, lead: int = 0, value: int = 0) -> None:
        time_ms = int((self._clock() - self._powered_at) * 1000)
        self._events.append(DeviceEvent(len(self._events), max(0, time_ms), code, lead, int(value)))

    def _set_live(self, config: LeadConfig) -> None:
        if config.contacts != self._live[config.lead].contacts:
            self._pairs.pop(config.lead, None)  # a measurement holds only until the contacts change
        self._live[config.lead] = config

    def _check_watchdog(self, now: float) -> None:
        if not self._watchdog_armed or now - self._last_life < self.capabilities.watchdog_ms / 1000:
            return
        self._watchdog_armed = False
        restored = [self._watchdog_restore(self._live[config.lead], config) for config in self._stored.leads]
        if restored != [self._live[config.lead] for config in restored]:
            for config in restored:
                self._set_live(config)
            self._log(EventCode.WATCHDOG_RESTORE, value=len([c for c in restored if c.enabled]))

    def _watchdog_restore(self, live: LeadConfig, stored: LeadConfig) -> LeadConfig:
        """The stored settings of one lead as the watchdog may apply them.

        The patient maximum never rises above the live one (a clinician may
        have lowered it), nor the amplitude above the live one while the
        lead is on. The lead stays on only if it is on now, is on in the
        stored program, meets every enable condition and would deliver no
        more than it does now. Otherwise it is restored off.
        """
        patient_max = min(live.patient_max_ua, stored.patient_max_ua)
        amplitude = min(stored.amplitude_ua, patient_max, live.amplitude_ua if live.enabled else stored.amplitude_ua)
        config = stored.with_(patient_max_ua=patient_max, amplitude_ua=amplitude)
        keep_on = (
            live.enabled
            and config.enabled
            and not config.delivers_more_than(live)
            and self._enable_refusal(config) is None
            and _rules_refusal(self.capabilities, config) is None
        )
        return config.with_(enabled=keep_on)

    # ---- live lead settings ------------------------------------------------------

    def _read_lead(self, request: LeadRef) -> LeadConfig:
        check_lead_number(self.capabilities, request.lead)
        return self._live[request.lead]

    def _write_lead(self, config: LeadConfig) -> LeadConfig:
        check_values(self.capabilities, config)
        old = self._live[config.lead]
        if config.contacts != old.contacts:
            config = config.with_(amplitude_ua=0, enabled=False)
        self._change_lead(old, config, EventCode.LEAD_WRITTEN)
        return config

    def _set_amplitude(self, request: AmplitudeRequest) -> LeadConfig:
        return self._update_lead(request.lead, EventCode.AMPLITUDE_SET, amplitude_ua=request.amplitude_ua)

    def _set_stimulation(self, request: StimulationRequest) -> LeadConfig:
        return self._update_lead(request.lead, None, enabled=request.on)

    def _update_lead(self, lead: int, code: EventCode | None, **changes) -> LeadConfig:
        check_lead_number(self.capabilities, lead)
        old = self._live[lead]
        new = old.with_(**changes)
        check_values(self.capabilities, new)
        self._change_lead(old, new, code)
        return new

    def _change_lead(self, old: LeadConfig, new: LeadConfig, code: EventCode | None) -> None:
        """Check the rules on the resulting settings, apply them live, log the change."""
        check_rules(self.capabilities, new)
        if new.enabled and not old.enabled:
            refusal = self._enable_refusal(new)
            if refusal is not None:
                raise refusal
        self._set_live(new)
        if code is not None:
            self._log(code, new.lead, new.amplitude_ua)
        if new.enabled != old.enabled:
            self._log(EventCode.STIM_ON if new.enabled else EventCode.STIM_OFF, new.lead, new.amplitude_ua)

    def _enable_refusal(self, config: LeadConfig) -> Refusal | None:
        """Why output may not go on with these settings, or None: the enable conditions."""
        if self.battery.state == BatteryState.EOS:
            return Refusal(
                Status.BATTERY_EOS,
                "The battery has reached end of service: output cannot be turned on. Replace the generator.",
            )
        readings = self._pairs.get(config.lead)
        measured = readings.ohms if readings is not None and readings.contacts == config.contacts else {}
        missing = [pair for pair in active_pairs(config) if pair not in measured]
        if missing:
            names = ", ".join(f"{a}+/{c}-" for a, c in missing)
            return Refusal(
                Status.IMPEDANCE_REQUIRED,
                f"Lead {config.lead}: measure impedance on its current contacts ({names}) before enabling it.",
            )
        shorts = {
            pair: ohms
            for pair, ohms in measured.items()
            if pair in active_pairs(config) and ohms < self.capabilities.impedance_short_ohm
        }
        if shorts:
            (a, c), ohms = min(shorts.items(), key=lambda item: item[1])
            return Refusal(
                Status.IMPEDANCE_REQUIRED,
                f"Lead {config.lead} reads a short between contacts {a} and {c} ({ohms} Ω): "
                "re-measure impedance and check the lead before enabling it.",
            )
        return None

    def _stop_all(self) -> None:
        was_on = [config.lead for config in self._live.values() if config.enabled]
        for lead in was_on:
            self._set_live(self._live[lead].with_(enabled=False))
        self._log(EventCode.STOP_ALL, value=len(was_on))

    # ---- programs ----------------------------------------------------------------

    def _stage_begin(self, request: StageBegin) -> None:
        self._staged = _Staging(request.name, {})

    def _stage_lead(self, config: LeadConfig) -> None:
        """Only the lead number is checked here; every limit is checked at commit."""
        staging = self._require_staging()
        check_lead_number(self.capabilities, config.lead)
        staging.leads[config.lead] = config

    def _abort_stage(self, _request: None) -> None:
        self._staged = None

    def _commit_program(self, request: CommitRequest) -> Program:
        staged = self._require_staging()
        program = Program(staged.name, tuple(staged.leads[lead] for lead in sorted(staged.leads)))
        crc = program_crc(program)
        if crc != request.crc32:
            raise Refusal(
                Status.PROGRAM_CRC,
                f"The staged program has CRC 0x{crc:08x}, not 0x{request.crc32:08x}: stage it again.",
            )
        for config in program.leads:
            check_lead(self.capabilities, config)
        missing = sorted(set(range(1, self.capabilities.lead_count + 1)) - set(staged.leads))
        if missing:
            raise Refusal(
                Status.NOTHING_STAGED, f"Lead(s) {', '.join(map(str, missing))} not staged: a program holds every lead."
            )
        for config in program.leads:
            refusal = self._enable_refusal(config) if config.enabled else None
            if refusal is not None:
                raise refusal
        self._stored, self._staged = program, None
        for config in program.leads:
            self._set_live(config)
        self._log(EventCode.PROGRAM_COMMITTED, value=crc)
        return program

    def _require_staging(self) -> _Staging:
        if self._staged is None:
            raise Refusal(Status.NOTHING_STAGED, "No program is being staged: send STAGE_BEGIN first.")
        return self._staged

    # ---- impedance ---------------------------------------------------------------

    def _measure_impedance(self, request: ImpedanceRequest) -> ImpedanceResult:
        if request.lead:
            check_lead_number(self.capabilities, request.lead)
        leads = [request.lead] if request.lead else sorted(self._live)
        readings = []
        for lead, a, b in self._impedance_plan(request.mode, leads):
            with self._released():  # a measurement takes time; stop_all_now must not wait for it
                self._sleep(self.scenario.impedance_ms / 1000)
            readings.append(ImpedanceMeasurement(lead, a, b, self.tissue.measure(lead, a, b)))
        self._log(EventCode.IMPEDANCE_MEASURED, request.lead, len(readings))
        for lead in leads:
            self._note_pair_reading(self._live[lead], readings)
        return ImpedanceResult(request.mode, tuple(readings))

    def _impedance_plan(self, mode: ImpedanceMode, leads: list[int]) -> Iterator[tuple[int, int, int]]:
        contacts = range(1, self.capabilities.contacts_per_lead + 1)
        for lead in leads:
            config = self._live[lead]
            if mode == ImpedanceMode.LEAD_PAIR:
                yield from ((lead, a, c) for a, c in active_pairs(config))
            elif mode == ImpedanceMode.CONTACT_TO_CASE:
                yield from ((lead, c, CASE) for c in contacts)
            else:
                yield from ((lead, a, b) for a, b in itertools.combinations(contacts, 2))

    def _note_pair_reading(self, config: LeadConfig, readings: list[ImpedanceMeasurement]) -> None:
        """Record the lead's anode-cathode impedances; a short on any active pair switches the lead off."""
        pairs = set(active_pairs(config))
        measured = {
            pair: m.ohms
            for m in readings
            if m.lead == config.lead
            for pair in ((m.contact_a, m.contact_b), (m.contact_b, m.contact_a))
            if pair in pairs
        }
        if not measured:
            return
        known = self._pairs.get(config.lead)
        held = dict(known.ohms) if known is not None and known.contacts == config.contacts else {}
        self._pairs[config.lead] = PairReadings(config.contacts, {**held, **measured})
        ohms = min(measured.values())
        if ohms < self.capabilities.impedance_short_ohm:
            self._set_live(config.with_(enabled=False))
            self._log(EventCode.SHORT_DETECTED, config.lead, ohms)

    @contextmanager
    def _released(self) -> Iterator[None]:
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()

    # ---- telemetry and event log -------------------------------------------------

    def _start_telemetry(self, request: TelemetryRequest) -> TelemetryRequest:
        max_rate = self.capabilities.telemetry_max_rate_hz
        if not 1 <= request.rate_hz <= max_rate:
            raise Refusal(Status.OUT_OF_RANGE, f"Telemetry rate {request.rate_hz} Hz is outside 1-{max_rate} Hz.")
        if not request.leads:
            raise Refusal(Status.OUT_OF_RANGE, "Name at least one lead to stream.")
        for lead in request.leads:
            check_lead_number(self.capabilities, lead)
        leads = tuple(sorted(set(request.leads)))
        self._telemetry = TelemetryStream(request.rate_hz, leads, self._clock())
        return TelemetryRequest(request.rate_hz, leads)

    def _stop_telemetry(self, _request: None) -> None:
        self._telemetry = None

    def _drive(self, config: LeadConfig) -> LeadDrive:
        if not config.enabled or config.amplitude_ua == 0:
            return LeadDrive.idle()
        path = self.tissue.drive_path(config)
        amplitude = delivered_ua(
            config.amplitude_ua,
            config.pulse_width_us,
            config.frequency_hz,
            path,
            self.capabilities.compliance_v,
            INTERPHASE_US,
        )
        return LeadDrive(amplitude, config.pulse_width_us, config.frequency_hz, path, INTERPHASE_US)

    # ---- pulse capture -------------------------------------------------------------

    def _capture_pulse(self, request: CaptureRequest) -> PulseCapture:
        """The lead's current and electrode voltage around its next pulse onset.

        Pulses start at whole periods of the lead since power-on. The device waits
        for the onset and the window after it with the state lock released (the
        vendor STOP ALL acts meanwhile); then it samples what the lead delivers
        now, so a lead stopped while it waited gives an untriggered, flat capture.
        A lead that delivers nothing is captured at once, untriggered.
        """
        check_lead_number(self.capabilities, request.lead)
        limits = self.capture_capabilities
        if not limits.rate_min_hz <= request.rate_hz <= limits.rate_max_hz:
            raise Refusal(
                Status.OUT_OF_RANGE,
                f"Capture rate {request.rate_hz} Hz is outside {limits.rate_min_hz}-{limits.rate_max_hz} Hz.",
            )
        if not 1 <= request.samples <= limits.max_samples:
            raise Refusal(Status.OUT_OF_RANGE, f"Capture {request.samples} samples: give 1 to {limits.max_samples}.")
        if request.pre_samples >= request.samples:
            raise Refusal(
                Status.OUT_OF_RANGE,
                f"The pre-trigger ({request.pre_samples} samples) must be shorter than the window ({request.samples}).",
            )
        config = self._live[request.lead]
        if config.delivering:
            period = 1 / config.frequency_hz
            since_onset = math.fmod(self._clock() - self._powered_at, period)
            after = (request.samples - request.pre_samples) / request.rate_hz
            with self._released():
                self._sleep(period - since_onset + after)
            config = self._live[request.lead]
        drive = self._drive(config)
        current, voltage = capture(drive, request.pre_samples, request.samples, request.rate_hz)
        noise = self._capture_noise.standard_normal((2, request.samples))
        return PulseCapture(
            request.rate_hz,
            request.pre_samples,
            config.delivering,
            config,
            as_int16(current * 1e6 + CAPTURE_NOISE_UA * noise[0]),
            as_int16(voltage * 1e3 + CAPTURE_NOISE_MV * noise[1]),
        )

    # ---- self-test -----------------------------------------------------------------

    def _self_test(self, _request: None) -> SelfTestReport:
        """Output stage, measurement path, battery, stored-program memory and clock, each against
        its limits. Therapy goes on: the test pulses go into internal loads between pulses."""
        s = self.scenario
        with self._released():
            self._sleep(SELF_TEST_S)
        checks = [
            _ranged(
                SelfTestItem.OUTPUT_STAGE,
                round(TEST_LOAD_UA * {"ok": 1.002, "weak": 0.8, "dead": 0.0}[s.output]),
                TEST_LOAD_UA,
                "output stage: {measured} µA into the test load for {nominal} µA",
            ),
            _ranged(
                SelfTestItem.MEASUREMENT_PATH,
                round(REFERENCE_OHM * (1.06 if s.adc == "drift" else 0.997)),
                REFERENCE_OHM,
                "measurement path: the {nominal} Ω reference reads {measured} Ω",
            ),
            self._battery_check(),
            self._memory_check(),
            self._clock_check(),
        ]
        failed = sum(1 << (c.check - 1) for c in checks if c.result is SelfTestResult.FAIL)
        self._log(EventCode.SELF_TEST, value=failed)
        return SelfTestReport(tuple(checks))

    def _battery_check(self) -> SelfTestCheck:
        mv, state = self.battery.voltage_mv, self.battery.state
        result = {BatteryState.OK: SelfTestResult.PASS, BatteryState.ERI: SelfTestResult.WARN}.get(
            state, SelfTestResult.FAIL
        )
        words = {
            BatteryState.OK: "above the elective replacement level",
            BatteryState.ERI: "at elective replacement (ERI): plan the generator's replacement",
            BatteryState.EOS: "at end of service (EOS): output cannot be turned on; replace the generator",
        }[state]
        return SelfTestCheck(SelfTestItem.BATTERY, result, mv, ERI_MV, 3300, f"battery {mv} mV, {words}")

    def _memory_check(self) -> SelfTestCheck:
        kept = program_crc(self._stored)  # written with the program at commit
        found = kept ^ 0x0040_0000 if self.scenario.memory == "corrupt" else kept
        ok = found == kept
        words = "matches" if ok else "does NOT match: the stored program is corrupt; write it again"
        return SelfTestCheck(
            SelfTestItem.MEMORY,
            SelfTestResult.PASS if ok else SelfTestResult.FAIL,
            found,
            kept,
            kept,
            f"stored program CRC-32 0x{found:08x} {words} (0x{kept:08x} stored)",
        )

    def _clock_check(self) -> SelfTestCheck:
        ppm = 2400 if self.scenario.clock == "drift" else 12
        ok = ppm <= CLOCK_LIMIT_PPM
        return SelfTestCheck(
            SelfTestItem.CLOCK,
            SelfTestResult.PASS if ok else SelfTestResult.FAIL,
            ppm,
            0,
            CLOCK_LIMIT_PPM,
            f"main clock {ppm} ppm off the watchdog oscillator (limit {CLOCK_LIMIT_PPM} ppm)",
        )

    def _read_events(self, request: EventLogRequest) -> EventLog:
        count = min(request.max_count, EVENTS_PER_READ)
        return EventLog(len(self._events), tuple(self._events[request.start : request.start + count]))


def active_pairs(config: LeadConfig) -> tuple[tuple[int, int], ...]:
    """Every (anode, cathode) pair current can flow through with these contacts."""
    return tuple((a, c) for a in config.anodes for c in config.cathodes)


def _ranged(check: SelfTestItem, measured: int, nominal: int, words: str) -> SelfTestCheck:
    low, high = round(nominal * (1 - TOLERANCE)), round(nominal * (1 + TOLERANCE))
    ok = low <= measured <= high
    detail = words.format(measured=measured, nominal=nominal) + ("" if ok else f": outside {low}-{high}")
    return SelfTestCheck(check, SelfTestResult.PASS if ok else SelfTestResult.FAIL, measured, low, high, detail)


def _rules_refusal(caps: Capabilities, config: LeadConfig) -> Refusal | None:
    try:
        check_lead(caps, config)
    except Refusal as refusal:
        return refusal
    return None


def _reply(mtype: int, seq: int, spec: MessageSpec | None, status: Status, body=None, detail: str = "") -> Frame:
    """The reply frame: the body when OK, else the sentence saying why."""
    return Frame((mtype | REPLY_BIT) & 0xFF, seq, encode_reply(spec, status, body, detail))
