"""A transport straight onto a DeviceModel: the typed client without USB or threads.

Raw-frame tests and benchmarks use it to pair and open a session with a
model they drive frame by frame on a manual clock.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers.client import PulseGenerator
from drivers.errors import DeviceTimeout
from drivers.protocol.frame import Frame, encode_frame
from drivers.protocol.messages import UNAUTHENTICATED, MsgType
from drivers.session import LinkSession
from drivers.sim.device import DeviceModel


class DirectTransport:
    def __init__(self, model: DeviceModel) -> None:
        self.model = model

    def exchange(self, frame: bytes, timeout_ms: int, expect_reply: Callable[[bytes], bool]) -> bytes:
        reply = self.model.handle_command(frame)
        if reply is None or not expect_reply(reply):
            raise DeviceTimeout("the simulated firmware did not answer this request")
        return reply

    def stop_all(self, timeout_ms: int) -> None:
        self.model.stop_all_now()


def paired_client(model: DeviceModel, host_name: str = "direct") -> PulseGenerator:
    """A client paired with `model` (its magnet applied as soon as the host asks) and in session."""
    client = PulseGenerator(DirectTransport(model))
    client.pair(host_name, wait=lambda _s: model.apply_magnet())
    return client


def paired_session(model: DeviceModel) -> LinkSession:
    """The session of a freshly paired host: what raw-frame tests seal their frames with."""
    session = paired_client(model).session
    assert session is not None
    return session


def command_frame(session: LinkSession, mtype: int, payload: bytes, seq: int = 1) -> tuple[bytes, int]:
    """A command frame as a paired host sends it, and its seq: sealed under the session's next
    counter, unless the message needs no MAC (then plain, with `seq`)."""
    if mtype in UNAUTHENTICATED or mtype not in set(MsgType):
        return encode_frame(Frame(mtype, seq, payload)), seq
    counter = session.next_counter()
    return session.seal(Frame(mtype, counter & 0xFFFF, payload), counter), counter & 0xFFFF
