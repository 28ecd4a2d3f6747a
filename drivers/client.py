"""The typed pulse-generator client: one method per protocol message.

It owns sequence numbers, matches replies to requests, retries only
idempotent reads (and any request the device reports it never received;
after a stall, which the transport clears, one retry),
and turns refusals into DeviceRefused with the device's own sentence.
"""

from __future__ import annotations

import itertools
import logging
import threading

from drivers.errors import DeviceGone, DeviceRefused, DeviceTimeout, DriverError, EndpointStalled, ProtocolError
from drivers.protocol.frame import REPLY_BIT, Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    AmplitudeRequest,
    CommitRequest,
    ErrorReply,
    EventLog,
    EventLogRequest,
    ImpedanceRequest,
    LeadRef,
    MsgType,
    StageBegin,
    StimulationRequest,
    TelemetryRequest,
    decode_reply,
    program_crc,
    spec_for,
)
from drivers.protocol.status import Status
from drivers.types import (
    BatteryStatus,
    Capabilities,
    CaptureCapabilities,
    CaptureRequest,
    DeviceEvent,
    Identity,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Program,
    PulseCapture,
    SelfTestReport,
)

IDEMPOTENT = frozenset(
    {
        MsgType.IDENTIFY,
        MsgType.CAPABILITIES,
        MsgType.BATTERY,
        MsgType.KEEPALIVE,
        MsgType.READ_LEAD,
        MsgType.READ_PROGRAM,
        MsgType.READ_EVENTS,
        MsgType.SELF_TEST,  # changes nothing but the event log
        MsgType.CAPTURE_CAPABILITIES,
        MsgType.CAPTURE_PULSE,  # only observes the output
    }
)
log = logging.getLogger(__name__)
COMMAND_TIMEOUT_MS = 500
STOP_ALL_TIMEOUT_MS = 100
SELF_TEST_TIMEOUT_MS = 5_000  # the device tests output stage, measurement path, battery, memory and clock
IMPEDANCE_TIMEOUT_MS = 15_000  # every contact pair of every lead takes a few seconds
RETRIES = 2


class PulseGenerator:
    """Typed access to one pulse generator over a transport (usually UsbTransport)."""

    def __init__(self, transport) -> None:
        self.transport = transport
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq) & 0xFFFF

    def call(self, mtype: MsgType, request=None, timeout_ms: int = COMMAND_TIMEOUT_MS):
        """Send one request and return its decoded reply body."""
        spec = spec_for(mtype)
        attempts = 1 + RETRIES
        for attempt in range(attempts):
            seq = self._next_seq()
            frame = encode_frame(Frame(mtype, seq, spec.request.encode(request)))
            try:
                reply = self._exchange(frame, mtype, seq, timeout_ms)
            except EndpointStalled as exc:
                # The transport cleared the halt; once is enough: a second stall is a real fault.
                if (mtype in IDEMPOTENT or not exc.delivered) and attempt == 0:
                    log.warning("%s seq %d: endpoint stalled, halt cleared; sending again", mtype.name, seq)
                    continue
                log.error("%s seq %d: endpoint stalled: %s", mtype.name, seq, exc)
                raise
            except (DeviceTimeout, ProtocolError) as exc:
                if mtype in IDEMPOTENT and attempt < attempts - 1:
                    log.warning("%s seq %d: %s: %s; retrying", mtype.name, seq, type(exc).__name__, exc)
                    continue
                log.error("%s seq %d: %s: %s", mtype.name, seq, type(exc).__name__, exc)
                raise
            except DeviceGone as exc:
                log.error("%s seq %d: device gone: %s", mtype.name, seq, exc)
                raise
            body = decode_reply(spec, reply.payload)
            if isinstance(body, ErrorReply):
                if body.status == Status.BAD_FRAME and attempt < attempts - 1:
                    log.warning("%s seq %d: the device reports a bad frame; sending again", mtype.name, seq)
                    continue  # the device discarded the request unread: safe to send again
                log.warning("%s seq %d refused by the device: %s: %s", mtype.name, seq, body.status.name, body.detail)
                raise DeviceRefused(body.status, body.detail)
            log.debug("%s seq %d: ok", mtype.name, seq)
            return body
        raise AssertionError("unreachable")

    def _exchange(self, frame: bytes, mtype: MsgType, seq: int, timeout_ms: int) -> Frame:
        result: list[Frame] = []

        def accept(raw: bytes) -> bool:
            reply = decode_frame(raw)
            if reply.seq != seq or reply.type != (mtype | REPLY_BIT):
                return False  # a late answer to an earlier request
            result.append(reply)
            return True

        self.transport.exchange(frame, timeout_ms, accept)
        return result[0]

    # -- interrogation
    def identify(self) -> Identity:
        return self.call(MsgType.IDENTIFY)

    def capabilities(self) -> Capabilities:
        return self.call(MsgType.CAPABILITIES)

    def battery(self) -> BatteryStatus:
        return self.call(MsgType.BATTERY)

    def keepalive(self) -> None:
        self.call(MsgType.KEEPALIVE)

    def read_events(self, start: int = 0, max_count: int = 64) -> EventLog:
        return self.call(MsgType.READ_EVENTS, EventLogRequest(start, max_count))

    def read_all_events(self) -> list[DeviceEvent]:
        events: list[DeviceEvent] = []
        while True:
            log = self.read_events(len(events))
            events.extend(log.events)
            if not log.events or len(events) >= log.total:
                return events

    def self_test(self) -> SelfTestReport:
        """Run the device's self-test: one pass/fail line per check."""
        return self.call(MsgType.SELF_TEST, timeout_ms=SELF_TEST_TIMEOUT_MS)

    # -- leads (live settings)
    def read_lead(self, lead: int) -> LeadConfig:
        return self.call(MsgType.READ_LEAD, LeadRef(lead))

    def write_lead(self, config: LeadConfig) -> LeadConfig:
        """Write one lead's live settings; returns what the device now holds."""
        return self.call(MsgType.WRITE_LEAD, config)

    def set_amplitude(self, lead: int, amplitude_ua: int) -> LeadConfig:
        return self.call(MsgType.SET_AMPLITUDE, AmplitudeRequest(lead, amplitude_ua))

    def set_stimulation(self, lead: int, on: bool) -> LeadConfig:
        return self.call(MsgType.SET_STIMULATION, StimulationRequest(lead, on))

    def stop_all(self) -> None:
        """Every output off. Sent as a vendor control request, which the device
        serves ahead of any queued bulk command; the bulk STOP_ALL follows only
        if the control request failed for a reason other than a missing device."""
        try:
            self.transport.stop_all(STOP_ALL_TIMEOUT_MS)
        except DeviceGone:
            raise
        except DriverError:
            self.call(MsgType.STOP_ALL, timeout_ms=STOP_ALL_TIMEOUT_MS)

    # -- programs (stored, written atomically)
    def write_program(self, program: Program) -> Program:
        """Stage every lead, then commit with the program's CRC: the device
        stores all of it or none of it. Returns what the device committed."""
        program = Program(program.name, tuple(sorted(program.leads, key=lambda c: c.lead)))
        self.call(MsgType.STAGE_BEGIN, StageBegin(program.name))
        try:
            for config in program.leads:
                self.call(MsgType.STAGE_LEAD, config)
            return self.call(MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(program)))
        except DeviceRefused:
            self.call(MsgType.ABORT_STAGE)
            raise

    def read_program(self) -> Program:
        return self.call(MsgType.READ_PROGRAM)

    # -- measurement and telemetry
    def measure_impedance(self, mode: ImpedanceMode = ImpedanceMode.LEAD_PAIR, lead: int = 0) -> ImpedanceResult:
        return self.call(MsgType.MEASURE_IMPEDANCE, ImpedanceRequest(mode, lead), timeout_ms=IMPEDANCE_TIMEOUT_MS)

    def start_telemetry(self, rate_hz: int, leads: tuple[int, ...]) -> TelemetryRequest:
        """Start the stream; returns the rate and leads the device will actually send."""
        return self.call(MsgType.START_TELEMETRY, TelemetryRequest(rate_hz, tuple(leads)))

    def stop_telemetry(self) -> None:
        self.call(MsgType.STOP_TELEMETRY)

    # -- pulse capture
    def capture_capabilities(self) -> CaptureCapabilities:
        """Rate and window limits of the triggered pulse capture; DeviceRefused(UNKNOWN_MESSAGE)
        from a device without one."""
        return self.call(MsgType.CAPTURE_CAPABILITIES)

    def capture_pulse(self, request: CaptureRequest, trigger_timeout_ms: int) -> PulseCapture:
        """The lead's output around its next pulse onset. The device waits for the onset (at most
        `trigger_timeout_ms`, from CaptureCapabilities) before it answers."""
        return self.call(MsgType.CAPTURE_PULSE, request, timeout_ms=trigger_timeout_ms + COMMAND_TIMEOUT_MS)
