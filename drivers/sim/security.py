"""The simulated device's side of the authenticated link (docs/protocol.md §7).

It holds the paired hosts' link keys (flash on a real device), a pairing
waiting for its confirmation on the device (the clinician holds the magnet
over the generator), and the session of the connection. `admit` decides
whether a command may run; the device logs and counts what it refuses.
Every method runs with the device model's lock held.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.protocol import auth
from drivers.protocol.frame import Frame, encode_frame
from drivers.protocol.messages import (
    LINK_PROTOCOL,
    UNAUTHENTICATED,
    AuthBegin,
    AuthChallenge,
    Hello,
    HelloReply,
    MsgType,
    PairBegin,
    PairDone,
    PairOffer,
    Proof,
)
from drivers.protocol.status import Status
from drivers.sim.limits import Refusal
from drivers.types import EventCode

PAIRING_WINDOW_S = 60.0  # time to confirm a pairing on the device
MAX_PAIRED_HOSTS = 4  # pairing a fifth host forgets the oldest
MAGNET_HOLD_S = 3.0  # a magnet is held for a few seconds: it confirms a pairing begun meanwhile too


class AuthRefusal(IntEnum):
    """Why a frame was refused for authentication: the value of an AUTH_REFUSED event."""

    NO_MAC = 1  # a command that needs a MAC came without one (an older host, or an intruder)
    NO_SESSION = 2  # sealed, but no session is open on this connection
    BAD_MAC = 3  # forged, replayed or out of order
    UNKNOWN_KEY = 4  # AUTH_BEGIN named a key this device does not hold
    BAD_PROOF = 5  # a pairing or session proof that does not verify
    NO_PAIRING = 6  # PAIR_CONFIRM with no pairing in progress, or after its window closed


class AuthRefused(Refusal):
    def __init__(self, status: Status, detail: str, reason: AuthRefusal) -> None:
        super().__init__(status, detail)
        self.reason = reason


@dataclass
class _Pairing:
    host_name: str
    key: bytes
    transcript: bytes
    deadline: float
    confirmed: bool = False


@dataclass
class _Session:
    key_id: bytes
    key: bytes
    last_counter: int = 0  # of the last command admitted
    telemetry_counter: int = 0  # of the last telemetry frame sealed


class DeviceSecurity:
    def __init__(
        self,
        serial: str,
        clock: Callable[[], float],
        log: Callable[[EventCode, int, int], None],
        magnet_held: bool = False,
    ) -> None:
        self._serial, self._clock, self._log = serial, clock, log
        self.magnet_held = magnet_held  # scenario magnet=held: every pairing is confirmed at once
        self.keys: dict[bytes, bytes] = {}  # key id -> link key, oldest first
        self.refusals = 0
        self._pairing: _Pairing | None = None
        self._magnet_until = float("-inf")
        self._challenge: tuple[bytes, bytes, bytes, bytes] | None = None  # key id, key, host and device nonce
        self.session: _Session | None = None

    # ---- what the device model asks ---------------------------------------------

    def admit(self, frame: Frame, mtype: MsgType) -> int | None:
        """The session counter of a command that may run, None for one that needs no MAC;
        raises AuthRefused (counted and logged) for one that may not."""
        if mtype in UNAUTHENTICATED:
            return None
        if frame.mac is None:
            raise self.refuse(
                mtype,
                Status.UNSUPPORTED,
                AuthRefusal.NO_MAC,
                f"{mtype.name} needs an authenticated link (protocol {LINK_PROTOCOL}, a MAC on every command): "
                "pair this workstation with the generator; if it offers no pairing, update its software.",
            )
        session = self.session
        if session is None:
            raise self.refuse(
                mtype,
                Status.AUTH_FAILED,
                AuthRefusal.NO_SESSION,
                "No authenticated session is open on this connection: authenticate again.",
            )
        counter = auth.counter_from_seq(session.last_counter, frame.seq)
        if not auth.verifies(frame, session.key, auth.HOST, counter):
            raise self.refuse(
                mtype,
                Status.AUTH_FAILED,
                AuthRefusal.BAD_MAC,
                "The frame's MAC does not verify (forged, replayed or out of order): it was ignored.",
            )
        session.last_counter = counter
        return counter

    def refuse(self, mtype: int, status: Status, reason: AuthRefusal, detail: str) -> AuthRefused:
        self.refusals += 1
        self._log(EventCode.AUTH_REFUSED, mtype & 0xFF, reason)
        return AuthRefused(status, detail, reason)

    def seal_reply(self, reply: Frame, counter: int | None) -> bytes:
        session = self.session
        if counter is None or session is None:
            return encode_frame(reply)
        return auth.seal(reply, session.key, auth.DEVICE, counter)

    def telemetry_seal(self) -> tuple[bytes, int] | None:
        """The key and counter for the next telemetry frame, when a session is open."""
        session = self.session
        if session is None:
            return None
        session.telemetry_counter += 1
        return session.key, session.telemetry_counter

    def apply_magnet(self) -> bool:
        """The magnet over the generator, held for MAGNET_HOLD_S: confirms the pairing in progress
        and one begun while it is held. True when a pairing was waiting for it."""
        now = self._clock()
        self._magnet_until = now + MAGNET_HOLD_S
        pairing = self._pairing
        if pairing is None or now > pairing.deadline:
            return False
        pairing.confirmed = True
        return True

    def end_session(self) -> None:
        """USB reset or SET_CONFIGURATION: the next connection authenticates again."""
        self.session, self._challenge = None, None

    # ---- the link messages ----------------------------------------------------------

    def hello(self, request: Hello) -> HelloReply:
        if request.protocol < LINK_PROTOCOL:
            raise Refusal(
                Status.UNSUPPORTED,
                f"This generator needs link protocol {LINK_PROTOCOL} (authenticated); "
                f"the host offers {request.protocol}: update the workstation software.",
            )
        return HelloReply(LINK_PROTOCOL, LINK_PROTOCOL, len(self.keys), self.refusals)

    def pair_begin(self, request: PairBegin) -> PairOffer:
        private, public = auth.key_pair()
        transcript = auth.pairing_transcript(request.host_key, public, self._serial, request.host_name)
        try:
            key = auth.link_key(private, request.host_key, transcript)
        except ProtocolError as exc:
            raise Refusal(Status.BAD_PAYLOAD, f"PAIR_BEGIN: {exc}.") from None
        self._pairing = _Pairing(request.host_name, key, transcript, self._clock() + PAIRING_WINDOW_S)
        self._pairing.confirmed = self.magnet_held or self._clock() <= self._magnet_until
        self._log(EventCode.PAIRING_STARTED, 0, auth.key_number(auth.key_id(key)))
        return PairOffer(public, int(PAIRING_WINDOW_S * 1000))

    def pair_confirm(self, request: Proof) -> PairDone:
        pairing, now = self._pairing, self._clock()
        if pairing is None or now > pairing.deadline:
            self._pairing = None
            raise self.refuse(
                MsgType.PAIR_CONFIRM,
                Status.AUTH_FAILED,
                AuthRefusal.NO_PAIRING,
                "No pairing is in progress (or it was not confirmed on the device in time): start pairing again.",
            )
        if not auth.proof_ok(request.proof, pairing.key, auth.PAIR_HOST, pairing.transcript):
            self._pairing = None
            raise self.refuse(
                MsgType.PAIR_CONFIRM,
                Status.AUTH_FAILED,
                AuthRefusal.BAD_PROOF,
                "The pairing proof does not verify: the pairing was dropped; start again.",
            )
        if not pairing.confirmed:
            left = max(0, round(pairing.deadline - now))
            raise Refusal(
                Status.PAIR_PENDING,
                f"Waiting for confirmation on the device: hold the magnet over the generator ({left} s left).",
            )
        kid = auth.key_id(pairing.key)
        self.keys.pop(kid, None)
        self.keys[kid] = pairing.key
        while len(self.keys) > MAX_PAIRED_HOSTS:
            self.keys.pop(next(iter(self.keys)))
        self._pairing = None
        self._log(EventCode.PAIRED, 0, auth.key_number(kid))
        return PairDone(kid, auth.proof(pairing.key, auth.PAIR_DEVICE, pairing.transcript))

    def auth_begin(self, request: AuthBegin) -> AuthChallenge:
        key = self.keys.get(request.key_id)
        if key is None:
            raise self.refuse(
                MsgType.AUTH_BEGIN,
                Status.AUTH_FAILED,
                AuthRefusal.UNKNOWN_KEY,
                "This generator holds no pairing with this workstation: pair it again.",
            )
        device_nonce = os.urandom(16)
        self.session = None  # a new challenge ends the old session
        self._challenge = (request.key_id, key, request.host_nonce, device_nonce)
        return AuthChallenge(device_nonce, auth.proof(key, auth.AUTH_DEVICE, request.host_nonce, device_nonce))

    def auth_finish(self, request: Proof) -> None:
        challenge, self._challenge = self._challenge, None
        if challenge is None or not auth.proof_ok(
            request.proof, challenge[1], auth.AUTH_HOST, challenge[3], challenge[2]
        ):
            raise self.refuse(
                MsgType.AUTH_FINISH,
                Status.AUTH_FAILED,
                AuthRefusal.BAD_PROOF,
                "The session proof does not verify (or no challenge is open): authenticate again.",
            )
        kid, key, host_nonce, device_nonce = challenge
        self.session = _Session(kid, auth.session_key(key, host_nonce, device_nonce))
        self._log(EventCode.SESSION_OPENED, 0, auth.key_number(kid))
