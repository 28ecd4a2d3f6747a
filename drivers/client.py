"""The typed pulse-generator client: one method per protocol message.

It owns sequence numbers, matches replies to requests, retries only
idempotent reads (and any request the device reports it never received;
after a stall, which the transport clears, one retry),
and turns refusals into DeviceRefused with the device's own sentence.

Once paired (`pair`, confirmed on the device), it authenticates by itself:
the first command that needs a MAC opens a session with the key in its key
store, and a session the device no longer holds (after a USB reset or an
unplug) is opened again and the command, which did not run, sent once more.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

from drivers.errors import (
    AuthenticationFailed,
    DeviceGone,
    DeviceRefused,
    DeviceTimeout,
    DriverError,
    EndpointStalled,
    NotPaired,
    PairingCancelled,
    ProtocolError,
)
from drivers.keystore import KeyStore, MemoryKeyStore, PairedKey
from drivers.protocol import auth
from drivers.protocol.frame import REPLY_BIT, Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    LINK_PROTOCOL,
    UNAUTHENTICATED,
    AmplitudeRequest,
    AuthBegin,
    AuthChallenge,
    CommitRequest,
    ErrorReply,
    EventLog,
    EventLogRequest,
    Hello,
    HelloReply,
    ImpedanceRequest,
    LeadRef,
    MsgType,
    PairBegin,
    PairDone,
    PairOffer,
    Proof,
    StageBegin,
    StimulationRequest,
    TelemetryRequest,
    decode_reply,
    program_crc,
    spec_for,
)
from drivers.protocol.status import Status
from drivers.session import LinkSession
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
PAIR_POLL_S = 0.25  # how often the host asks whether pairing was confirmed on the device


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


def _refusal_level(status: Status, renews_session: bool) -> int:
    """A poll while pairing waits is DEBUG and a lost session about to be renewed INFO: neither is a fault."""
    if status == Status.PAIR_PENDING:
        return logging.DEBUG
    if status == Status.AUTH_FAILED and renews_session:
        return logging.INFO
    return logging.WARNING


class PulseGenerator:
    """Typed access to one pulse generator over a transport (usually UsbTransport).

    `keys` holds the link keys of paired devices (a MemoryKeyStore unless given)."""

    def __init__(self, transport, keys: KeyStore | None = None) -> None:
        self.transport = transport
        self.keys: KeyStore = keys if keys is not None else MemoryKeyStore()
        self.session: LinkSession | None = None
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        self._auth_lock = threading.RLock()  # one session opening at a time; sealed sends in counter order

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq) & 0xFFFF

    def call(self, mtype: MsgType, request=None, timeout_ms: int = COMMAND_TIMEOUT_MS):
        """Send one request and return its decoded reply body (sealed when the message needs a MAC)."""
        if mtype in UNAUTHENTICATED:
            return self._call(mtype, request, timeout_ms, None)
        with self._auth_lock:
            session = self.session or self.authenticate()
            try:
                return self._call(mtype, request, timeout_ms, session, renews_session=True)
            except DeviceRefused as exc:
                if exc.status != Status.AUTH_FAILED:
                    raise
            # The device holds no session for us (a USB reset, an unplug): the command did not run.
            log.info("%s: the device asks for a new session; authenticating again", mtype.name)
            return self._call(mtype, request, timeout_ms, self.authenticate())

    def _call(
        self, mtype: MsgType, request, timeout_ms: int, session: LinkSession | None, renews_session: bool = False
    ):
        """`renews_session`: the caller answers AUTH_FAILED by authenticating again and resending, so that
        refusal (the first command after a replug) is expected and logged at INFO, not WARNING."""
        spec = spec_for(mtype)
        attempts = 1 + RETRIES
        for attempt in range(attempts):
            counter = session.next_counter() if session is not None else None
            seq = self._next_seq() if counter is None else counter & 0xFFFF
            frame = Frame(mtype, seq, spec.request.encode(request))
            raw = encode_frame(frame) if session is None or counter is None else session.seal(frame, counter)
            try:
                reply = self._exchange(raw, mtype, seq, timeout_ms)
                if session is not None and counter is not None:
                    session.check_reply(reply, counter)
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
                level = _refusal_level(body.status, renews_session)
                log.log(
                    level, "%s seq %d refused by the device: %s: %s", mtype.name, seq, body.status.name, body.detail
                )
                raise DeviceRefused(body.status, body.detail)
            log.debug("%s seq %d: ok", mtype.name, seq)
            return body
        raise AssertionError("unreachable")

    # -- the authenticated link (docs/protocol.md §7)
    def hello(self) -> HelloReply:
        """Negotiate the link protocol: a device without authentication is refused in plain words."""
        try:
            reply: HelloReply = self.call(MsgType.HELLO, Hello(LINK_PROTOCOL))
        except DeviceRefused as exc:
            if exc.status != Status.UNKNOWN_MESSAGE:
                raise
            raise AuthenticationFailed(
                "This pulse generator's firmware predates authenticated links (link protocol "
                f"{LINK_PROTOCOL}): this workstation will not program it. Update the generator's firmware."
            ) from exc
        if reply.protocol < LINK_PROTOCOL:
            raise AuthenticationFailed(
                f"This pulse generator speaks link protocol {reply.protocol}; this workstation needs {LINK_PROTOCOL}."
            )
        return reply

    def authenticate(self) -> LinkSession:
        """Open a session with the stored key: both sides prove the key over fresh nonces."""
        with self._auth_lock:
            self.session = None
            serial = self.identify().serial
            stored = self.keys.get(serial)
            if stored is None:
                raise NotPaired(f"This workstation is not paired with pulse generator {serial}.")
            self.hello()
            host_nonce = os.urandom(16)
            try:
                challenge: AuthChallenge = self.call(MsgType.AUTH_BEGIN, AuthBegin(stored.key_id, host_nonce))
            except DeviceRefused as exc:
                if exc.status != Status.AUTH_FAILED:
                    raise
                raise NotPaired(
                    f"Pulse generator {serial} no longer holds this workstation's key: {exc.detail}"
                ) from exc
            if not auth.proof_ok(challenge.proof, stored.key, auth.AUTH_DEVICE, host_nonce, challenge.device_nonce):
                raise AuthenticationFailed(
                    f"The device answering as {serial} could not prove the pairing key: it is not the generator "
                    "this workstation paired with. Nothing was sent to it."
                )
            self.call(
                MsgType.AUTH_FINISH, Proof(auth.proof(stored.key, auth.AUTH_HOST, challenge.device_nonce, host_nonce))
            )
            self.session = LinkSession(auth.session_key(stored.key, host_nonce, challenge.device_nonce), stored.key_id)
            log.info("authenticated link to %s (key %s)", serial, stored.key_id.hex())
            return self.session

    def pair(
        self,
        host_name: str,
        wait: Callable[[float], bool] = _sleep,
        on_waiting: Callable[[str], None] | None = None,
    ) -> LinkSession:
        """Agree a new link key with the device, which stores it only once confirmed on the
        device (the magnet); keep it in the key store and open a session with it. `wait(s)`
        pauses between polls and returns False when the user gives up (PairingCancelled)."""
        with self._auth_lock:
            self.session = None
            serial = self.identify().serial
            self.hello()
            name = host_name.encode()[:32].decode("utf-8", "ignore")
            private, public = auth.key_pair()
            offer: PairOffer = self.call(MsgType.PAIR_BEGIN, PairBegin(name, public))
            transcript = auth.pairing_transcript(public, offer.device_key, serial, name)
            key = auth.link_key(private, offer.device_key, transcript)
            host_proof = Proof(auth.proof(key, auth.PAIR_HOST, transcript))
            while True:
                try:
                    done: PairDone = self.call(MsgType.PAIR_CONFIRM, host_proof)
                    break
                except DeviceRefused as exc:
                    if exc.status != Status.PAIR_PENDING:
                        raise
                    if on_waiting is not None:
                        on_waiting(exc.detail)
                    if not wait(PAIR_POLL_S):
                        raise PairingCancelled("Pairing was cancelled; the generator stays unpaired.") from None
            if done.key_id != auth.key_id(key) or not auth.proof_ok(done.proof, key, auth.PAIR_DEVICE, transcript):
                raise AuthenticationFailed("The device's pairing proof does not verify: the key was not stored.")
            self.keys.put(serial, PairedKey(key, done.key_id))
            log.info("paired with %s (key %s)", serial, done.key_id.hex())
            return self.authenticate()

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
