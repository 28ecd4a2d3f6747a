"""The message catalogue: every message type with its request and reply payloads.

Requests travel on bulk OUT, replies on bulk IN (type | 0x80, same seq),
telemetry blocks on the separate telemetry bulk IN endpoint. A reply
payload is a status byte, then the reply body when the status is OK or a
UTF-8 sentence saying why when it is not.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from drivers.errors import ProtocolError
from drivers.protocol.frame import MAX_PAYLOAD
from drivers.protocol.schema import (
    EMPTY,
    U8,
    U16,
    U32,
    U64,
    Bool,
    Bytes,
    Codec,
    Enum,
    Fixed,
    Record,
    Seq,
    Str,
)
from drivers.protocol.status import Status
from drivers.types import (
    AmplitudeBand,
    BatteryState,
    BatteryStatus,
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

MAX_LEADS = 8
CONTACTS_PER_LEAD = 4  # fixed by the lead hardware; the wire carries exactly four
MAX_TELEMETRY_SAMPLES = 4000  # per lead per block: 4 leads x 2 x 4000 x 2 B < 64 KiB
MAX_CAPTURE_SAMPLES = 16_000  # per channel: 2 x 16000 x 2 B + header < 64 KiB


class MsgType(IntEnum):
    IDENTIFY = 0x01
    CAPABILITIES = 0x02
    BATTERY = 0x03
    KEEPALIVE = 0x04
    READ_LEAD = 0x10
    WRITE_LEAD = 0x11
    SET_AMPLITUDE = 0x12
    SET_STIMULATION = 0x13
    STOP_ALL = 0x14
    STAGE_BEGIN = 0x20
    STAGE_LEAD = 0x21
    COMMIT_PROGRAM = 0x22
    READ_PROGRAM = 0x23
    ABORT_STAGE = 0x24
    MEASURE_IMPEDANCE = 0x30
    START_TELEMETRY = 0x40
    STOP_TELEMETRY = 0x41
    TELEMETRY_BLOCK = 0x42
    CAPTURE_CAPABILITIES = 0x43
    CAPTURE_PULSE = 0x44
    # 0x45-0x4F left free for the telemetry family
    READ_EVENTS = 0x50
    # 0x51-0x5F left free for other additive messages; field-engineer tools from 0x60
    SELF_TEST = 0x60
    # 0x70-0x7F: the authenticated link (docs/protocol.md §7)
    HELLO = 0x70
    PAIR_BEGIN = 0x71
    PAIR_CONFIRM = 0x72
    AUTH_BEGIN = 0x73
    AUTH_FINISH = 0x74


# What a device answers without a MAC: a stop is never locked out, identify names the
# device, and the rest open a session. Every other command needs a valid MAC (§7).
UNAUTHENTICATED = frozenset(
    {
        MsgType.IDENTIFY,
        MsgType.STOP_ALL,
        MsgType.HELLO,
        MsgType.PAIR_BEGIN,
        MsgType.PAIR_CONFIRM,
        MsgType.AUTH_BEGIN,
        MsgType.AUTH_FINISH,
    }
)
LINK_PROTOCOL = 2  # HELLO's message-set version: 2 = authenticated link; firmware 1.0.0 (protocol 1) has no HELLO


# Request bodies that are not domain values of their own.
@dataclass(frozen=True)
class LeadRef:
    lead: int


@dataclass(frozen=True)
class AmplitudeRequest:
    lead: int
    amplitude_ua: int


@dataclass(frozen=True)
class StimulationRequest:
    lead: int
    on: bool


@dataclass(frozen=True)
class StageBegin:
    name: str


@dataclass(frozen=True)
class CommitRequest:
    crc32: int


@dataclass(frozen=True)
class ImpedanceRequest:
    mode: ImpedanceMode
    lead: int  # 0 = every lead


@dataclass(frozen=True)
class TelemetryRequest:
    rate_hz: int
    leads: tuple[int, ...]


@dataclass(frozen=True)
class EventLogRequest:
    start: int
    max_count: int


@dataclass(frozen=True)
class EventLog:
    total: int
    events: tuple[DeviceEvent, ...]


@dataclass(frozen=True)
class Hello:
    protocol: int  # the host's highest link protocol


@dataclass(frozen=True)
class HelloReply:
    protocol: int  # the device's link protocol
    min_protocol: int  # the oldest host protocol it serves
    paired_hosts: int  # keys it holds
    auth_refusals: int  # commands refused for a missing or bad MAC since power-on


@dataclass(frozen=True)
class PairBegin:
    host_name: str
    host_key: bytes  # X25519 public key


@dataclass(frozen=True)
class PairOffer:
    device_key: bytes  # X25519 public key
    window_ms: int  # time left to confirm on the device


@dataclass(frozen=True)
class Proof:
    proof: bytes  # HMAC-SHA256 truncated to 16 bytes


@dataclass(frozen=True)
class PairDone:
    key_id: bytes
    proof: bytes


@dataclass(frozen=True)
class AuthBegin:
    key_id: bytes
    host_nonce: bytes


@dataclass(frozen=True)
class AuthChallenge:
    device_nonce: bytes
    proof: bytes


@dataclass(frozen=True)
class ErrorReply:
    status: Status
    detail: str


IDENTITY = Record(Identity, model=Str(32), serial=Str(32), firmware=Str(32), hardware_rev=Str(32))
CAPABILITIES = Record(
    Capabilities,
    lead_count=U8,
    contacts_per_lead=U8,
    amplitude_bands=Seq(Record(AmplitudeBand, upper_ua=U16, step_ua=U16), max_items=8),
    pulse_width_min_us=U16,
    pulse_width_max_us=U16,
    pulse_width_step_us=U16,
    pulse_width_default_us=U16,
    frequency_min_hz=U16,
    frequency_max_hz=U16,
    frequency_step_hz=U16,
    frequency_default_hz=U16,
    contact_area_um2=U32,
    compliance_mv=U16,
    shannon_k_limit_x100=U16,
    telemetry_max_rate_hz=U32,
    watchdog_ms=U16,
    impedance_short_ohm=U32,
    impedance_open_ohm=U32,
)
BATTERY = Record(BatteryStatus, voltage_mv=U16, percent=U8, state=Enum(BatteryState))
LEAD_CONFIG = Record(
    LeadConfig,
    lead=U8,
    contacts=Fixed(Enum(Polarity), CONTACTS_PER_LEAD),
    amplitude_ua=U16,
    pulse_width_us=U16,
    frequency_hz=U16,
    enabled=Bool(),
    patient_max_ua=U16,
)
PROGRAM = Record(Program, name=Str(32), leads=Seq(LEAD_CONFIG, max_items=MAX_LEADS))
IMPEDANCE_RESULT = Record(
    ImpedanceResult,
    mode=Enum(ImpedanceMode),
    measurements=Seq(
        Record(ImpedanceMeasurement, lead=U8, contact_a=U8, contact_b=U8, ohms=U32),
        max_items=MAX_LEADS * 16,
    ),
)
TELEMETRY_REQUEST = Record(TelemetryRequest, rate_hz=U32, leads=Seq(U8, max_items=MAX_LEADS))
DEVICE_EVENT = Record(DeviceEvent, index=U32, time_ms=U64, code=Enum(EventCode, U16), lead=U8, value=U32)
EVENT_LOG = Record(EventLog, total=U32, events=Seq(DEVICE_EVENT, max_items=64))
SELF_TEST_REPORT = Record(
    SelfTestReport,
    checks=Seq(
        Record(
            SelfTestCheck,
            check=Enum(SelfTestItem),
            result=Enum(SelfTestResult),
            measured=U32,
            expected_min=U32,
            expected_max=U32,
            detail=Str(128),
        ),
        max_items=16,
    ),
)
CAPTURE_CAPABILITIES = Record(
    CaptureCapabilities,
    rate_min_hz=U32,
    rate_max_hz=U32,
    max_samples=U16,
    trigger_timeout_ms=U16,
    interphase_us=U16,
)
CAPTURE_REQUEST = Record(CaptureRequest, lead=U8, rate_hz=U32, samples=U16, pre_samples=U16)
KEY_ID, NONCE, PROOF, PUBLIC_KEY = Bytes(8), Bytes(16), Bytes(16), Bytes(32)
ERROR_REPLY = Record(ErrorReply, status=Enum(Status), detail=Str(255))


class TelemetryCodec(Codec):
    """first_sample u64, rate u32, leads (u8 count + u8 each), n u16,
    then current int16[leads][n] (µA), then voltage int16[leads][n] (mV)."""

    HEAD = Record(TelemetryRequest, rate_hz=U32, leads=Seq(U8, max_items=MAX_LEADS))

    def pack(self, value: TelemetryBlock, out):
        U64.pack(value.first_sample, out)
        self.HEAD.pack(TelemetryRequest(value.rate_hz, value.leads), out)
        rows, n = len(value.leads), value.n_samples
        if value.current_ua.shape != (rows, n) or value.voltage_mv.shape != (rows, n):
            raise ProtocolError("telemetry arrays do not match the lead count")
        if n > MAX_TELEMETRY_SAMPLES or rows * n * 4 > MAX_PAYLOAD - 32:
            raise ProtocolError(f"{rows} leads x {n} samples do not fit one telemetry block")
        U16.pack(n, out)
        out += np.ascontiguousarray(value.current_ua, dtype="<i2").tobytes()
        out += np.ascontiguousarray(value.voltage_mv, dtype="<i2").tobytes()

    def unpack(self, buf, pos):
        first, pos = U64.unpack(buf, pos)
        head, pos = self.HEAD.unpack(buf, pos)
        n, pos = U16.unpack(buf, pos)
        rows = len(head.leads)
        if n > MAX_TELEMETRY_SAMPLES:
            raise ProtocolError(f"{n} samples exceed {MAX_TELEMETRY_SAMPLES} per block")
        if head.rate_hz < 1:
            raise ProtocolError("a telemetry block at 0 Hz")
        if not head.leads or head.leads[0] < 1 or any(b <= a for a, b in zip(head.leads, head.leads[1:])):
            raise ProtocolError(f"telemetry lead numbers {list(head.leads)} are not ascending from 1")
        size = rows * n * 2
        if pos + 2 * size > len(buf):
            raise ProtocolError("telemetry samples run past the payload")
        current = np.frombuffer(buf, dtype="<i2", count=rows * n, offset=pos).reshape(rows, n)
        voltage = np.frombuffer(buf, dtype="<i2", count=rows * n, offset=pos + size).reshape(rows, n)
        block = TelemetryBlock(first, head.rate_hz, head.leads, current, voltage)
        return block, pos + 2 * size


class CaptureCodec(Codec):
    """rate u32, pre_samples u16, triggered bool, LeadConfig (the settings the pulse was
    delivered with), n u16, then current int16[n] (µA), then voltage int16[n] (mV)."""

    def pack(self, value: PulseCapture, out):
        n = value.n_samples
        if value.current_ua.shape != (n,) or value.voltage_mv.shape != (n,):
            raise ProtocolError("capture current and voltage differ in length")
        if n > MAX_CAPTURE_SAMPLES or value.pre_samples > n:
            raise ProtocolError(f"a capture of {n} samples ({value.pre_samples} before the onset) does not fit")
        U32.pack(value.rate_hz, out)
        U16.pack(value.pre_samples, out)
        Bool().pack(value.triggered, out)
        LEAD_CONFIG.pack(value.config, out)
        U16.pack(n, out)
        out += np.ascontiguousarray(value.current_ua, dtype="<i2").tobytes()
        out += np.ascontiguousarray(value.voltage_mv, dtype="<i2").tobytes()

    def unpack(self, buf, pos):
        rate, pos = U32.unpack(buf, pos)
        pre, pos = U16.unpack(buf, pos)
        triggered, pos = Bool().unpack(buf, pos)
        config, pos = LEAD_CONFIG.unpack(buf, pos)
        n, pos = U16.unpack(buf, pos)
        if rate < 1:
            raise ProtocolError("a capture at 0 Hz")
        if n > MAX_CAPTURE_SAMPLES or pre > n:
            raise ProtocolError(f"a capture of {n} samples ({pre} before the onset) breaks the limits")
        if pos + 4 * n > len(buf):
            raise ProtocolError("capture samples run past the payload")
        current = np.frombuffer(buf, dtype="<i2", count=n, offset=pos).astype(np.int16)
        voltage = np.frombuffer(buf, dtype="<i2", count=n, offset=pos + 2 * n).astype(np.int16)
        return PulseCapture(rate, pre, triggered, config, current, voltage), pos + 4 * n


@dataclass(frozen=True)
class MessageSpec:
    type: MsgType
    request: Codec
    reply: Codec | None  # None: a stream message that is never answered


_SPECS = [
    MessageSpec(MsgType.IDENTIFY, EMPTY, IDENTITY),
    MessageSpec(MsgType.CAPABILITIES, EMPTY, CAPABILITIES),
    MessageSpec(MsgType.BATTERY, EMPTY, BATTERY),
    MessageSpec(MsgType.KEEPALIVE, EMPTY, EMPTY),
    MessageSpec(MsgType.READ_LEAD, Record(LeadRef, lead=U8), LEAD_CONFIG),
    MessageSpec(MsgType.WRITE_LEAD, LEAD_CONFIG, LEAD_CONFIG),
    MessageSpec(MsgType.SET_AMPLITUDE, Record(AmplitudeRequest, lead=U8, amplitude_ua=U16), LEAD_CONFIG),
    MessageSpec(MsgType.SET_STIMULATION, Record(StimulationRequest, lead=U8, on=Bool()), LEAD_CONFIG),
    MessageSpec(MsgType.STOP_ALL, EMPTY, EMPTY),
    MessageSpec(MsgType.STAGE_BEGIN, Record(StageBegin, name=Str(32)), EMPTY),
    MessageSpec(MsgType.STAGE_LEAD, LEAD_CONFIG, EMPTY),
    MessageSpec(MsgType.COMMIT_PROGRAM, Record(CommitRequest, crc32=U32), PROGRAM),
    MessageSpec(MsgType.READ_PROGRAM, EMPTY, PROGRAM),
    MessageSpec(MsgType.ABORT_STAGE, EMPTY, EMPTY),
    MessageSpec(
        MsgType.MEASURE_IMPEDANCE, Record(ImpedanceRequest, mode=Enum(ImpedanceMode), lead=U8), IMPEDANCE_RESULT
    ),
    MessageSpec(MsgType.START_TELEMETRY, TELEMETRY_REQUEST, TELEMETRY_REQUEST),
    MessageSpec(MsgType.STOP_TELEMETRY, EMPTY, EMPTY),
    MessageSpec(MsgType.TELEMETRY_BLOCK, TelemetryCodec(), None),
    MessageSpec(MsgType.CAPTURE_CAPABILITIES, EMPTY, CAPTURE_CAPABILITIES),
    MessageSpec(MsgType.CAPTURE_PULSE, CAPTURE_REQUEST, CaptureCodec()),
    MessageSpec(MsgType.READ_EVENTS, Record(EventLogRequest, start=U32, max_count=U8), EVENT_LOG),
    MessageSpec(MsgType.SELF_TEST, EMPTY, SELF_TEST_REPORT),
    MessageSpec(
        MsgType.HELLO,
        Record(Hello, protocol=U8),
        Record(HelloReply, protocol=U8, min_protocol=U8, paired_hosts=U8, auth_refusals=U32),
    ),
    MessageSpec(
        MsgType.PAIR_BEGIN,
        Record(PairBegin, host_name=Str(32), host_key=PUBLIC_KEY),
        Record(PairOffer, device_key=PUBLIC_KEY, window_ms=U32),
    ),
    MessageSpec(MsgType.PAIR_CONFIRM, Record(Proof, proof=PROOF), Record(PairDone, key_id=KEY_ID, proof=PROOF)),
    MessageSpec(
        MsgType.AUTH_BEGIN,
        Record(AuthBegin, key_id=KEY_ID, host_nonce=NONCE),
        Record(AuthChallenge, device_nonce=NONCE, proof=PROOF),
    ),
    MessageSpec(MsgType.AUTH_FINISH, Record(Proof, proof=PROOF), EMPTY),
]
MESSAGES: dict[MsgType, MessageSpec] = {spec.type: spec for spec in _SPECS}


def spec_for(type_code: int) -> MessageSpec:
    try:
        return MESSAGES[MsgType(type_code & 0x7F)]
    except ValueError:
        raise ProtocolError(f"unknown message type 0x{type_code:02x}") from None


def encode_reply(spec: MessageSpec, status: Status, body=None, detail: str = "") -> bytes:
    if status == Status.OK:
        return bytes([Status.OK]) + spec.reply.encode(body)
    return ERROR_REPLY.encode(ErrorReply(status, detail.encode()[:255].decode("utf-8", "ignore")))


def decode_reply(spec: MessageSpec, payload: bytes):
    """The reply body, or an ErrorReply when the device refused."""
    if not payload:
        raise ProtocolError("empty reply payload")
    if payload[0] == Status.OK:
        return spec.reply.decode(payload[1:])
    return ERROR_REPLY.decode(payload)


def program_crc(program: Program) -> int:
    """CRC-32 of the program as READ_PROGRAM encodes it: what COMMIT_PROGRAM checks."""
    return zlib.crc32(PROGRAM.encode(program))
