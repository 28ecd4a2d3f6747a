"""The host's side of one authenticated connection: the session key and its counters.

Commands are sealed under counters 1, 2, 3, ... (their low 16 bits are the
frame's seq); a reply must carry the MAC of its command's counter, and each
telemetry frame a counter above the last one accepted (docs/protocol.md §7).
"""

from __future__ import annotations

import threading

from drivers.errors import ProtocolError
from drivers.protocol import auth
from drivers.protocol.frame import Frame
from drivers.protocol.status import Status

# What a device answers to a sealed command without sealing it: the command did not run.
UNSEALED_REFUSALS = frozenset({Status.BAD_FRAME, Status.UNKNOWN_MESSAGE, Status.UNSUPPORTED, Status.AUTH_FAILED})


class LinkSession:
    def __init__(self, key: bytes, key_id: bytes) -> None:
        self.key, self.key_id = key, key_id
        self._counter = 0
        self._telemetry_counter = 0  # of the last telemetry frame accepted
        self._lock = threading.Lock()
        self.telemetry_refused = 0  # frames whose MAC was missing, forged or replayed

    def next_counter(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def seal(self, frame: Frame, counter: int) -> bytes:
        return auth.seal(frame, self.key, auth.HOST, counter)

    def check_reply(self, reply: Frame, counter: int) -> None:
        """Raise ProtocolError unless the reply is the device's, to this very command."""
        if reply.mac is None:
            if reply.payload[:1] and reply.payload[0] in UNSEALED_REFUSALS:
                return  # a refusal of a command that did not run: the device may send it unsealed
            raise ProtocolError("the reply to an authenticated command carries no MAC")
        if not auth.verifies(reply, self.key, auth.DEVICE, counter):
            raise ProtocolError("the reply's MAC does not verify")

    def check_telemetry(self, frame: Frame) -> None:
        """Raise ProtocolError (and count it) unless the frame is sealed, authentic and newer than the last."""
        counter = auth.counter_from_seq(self._telemetry_counter, frame.seq)
        if not auth.verifies(frame, self.key, auth.TELEMETRY, counter):
            self.telemetry_refused += 1
            raise ProtocolError("a telemetry frame without a valid MAC (forged, replayed or out of order)")
        self._telemetry_counter = counter
