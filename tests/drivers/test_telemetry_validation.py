"""Telemetry blocks that protocol §3.5 or the device's capabilities forbid are
refused before anything is allocated or drawn, and counted by the receiver."""

from __future__ import annotations

import time

import numpy as np
import pytest

from drivers.errors import DeviceTimeout, ProtocolError
from drivers.protocol.frame import Frame, encode_frame
from drivers.protocol.messages import MsgType
from drivers.sim.device import CAPABILITIES
from drivers.telemetry import TelemetryReceiver, decode_telemetry


def raw_block(leads: tuple[int, ...], rate_hz: int, n: int = 4) -> bytes:
    """Bytes as a faulty or hostile device could send them (the encoder is bypassed for the head)."""
    zeros = np.zeros((len(leads), n), dtype=np.int16)
    payload = bytearray()
    payload += (0).to_bytes(8, "little") + rate_hz.to_bytes(4, "little") + bytes([len(leads), *leads])
    payload += n.to_bytes(2, "little") + zeros.tobytes() + zeros.tobytes()
    return encode_frame(Frame(MsgType.TELEMETRY_BLOCK, 0, bytes(payload)))


@pytest.mark.parametrize(
    "leads, rate_hz, why",
    [
        ((0, 1), 1000, "lead 0 (would be drawn as the last lead)"),
        ((9,), 1000, "lead 9 of a 4-lead device (IndexError)"),
        ((2, 1), 1000, "leads not ascending"),
        ((1, 1), 1000, "a lead twice"),
        ((1,), 0, "rate 0 (division by zero)"),
        ((1,), 2**32 - 1, "rate 2^32-1 (a display would size hundreds of GB)"),
        ((5,), 1000, "lead 5 of a 4-lead device"),
        ((1,), 100_001, "above the device's maximum rate"),
    ],
)
def test_a_block_the_protocol_or_the_device_forbids_is_refused(leads, rate_hz, why):
    with pytest.raises(ProtocolError):
        decode_telemetry(raw_block(leads, rate_hz), CAPABILITIES)


def test_a_valid_block_passes():
    block = decode_telemetry(raw_block((1, 3), 100_000), CAPABILITIES)
    assert block.leads == (1, 3) and block.n_samples == 4


class _Frames:
    """A transport that hands out prepared telemetry frames, then times out."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames

    def read_telemetry(self, timeout_ms: int) -> bytes:
        if not self.frames:
            raise DeviceTimeout("idle")
        return self.frames.pop(0)


def test_the_receiver_counts_and_drops_bad_blocks_and_keeps_good_ones():
    frames = [raw_block((9,), 1000), raw_block((1,), 0), raw_block((1, 2), 1000), raw_block((0,), 1000)]
    receiver = TelemetryReceiver(_Frames(frames), CAPABILITIES)
    receiver.start()
    try:
        deadline = time.monotonic() + 5
        while receiver.bad_frames < 3 and time.monotonic() < deadline:
            receiver._stop.wait(0.01)
    finally:
        receiver.stop()
    assert receiver.bad_frames == 3
    assert [b.leads for b in receiver.drain()] == [(1, 2)]


@pytest.mark.parametrize("block_ms", [3, 10])
def test_a_stalled_display_keeps_the_newest_ten_seconds_whatever_the_block_size(block_ms):
    """The queue is bounded in time: with 3 ms blocks a bound of 1024 blocks kept only 3 s, and a
    display busy for longer showed dropped blocks (seen in docs/screenshots/waveforms.png)."""
    sent = 12_000 // block_ms  # 12 s of blocks at 1 kS/s, never drained meanwhile
    receiver = TelemetryReceiver(_Frames([raw_block((1,), 1000, block_ms) for _ in range(sent)]), CAPABILITIES)
    receiver.start()
    try:
        deadline = time.monotonic() + 20
        while receiver.blocks < sent and time.monotonic() < deadline:
            receiver._stop.wait(0.01)
    finally:
        receiver.stop()
    kept = receiver.drain()
    assert sum(b.n_samples for b in kept) / 1000 == pytest.approx(receiver.max_queue_s, abs=block_ms / 1000)
    assert receiver.dropped_blocks == sent - len(kept) > 0
