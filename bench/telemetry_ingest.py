"""Telemetry ingest: telemetry frames decoded into the per-lead ring buffers.

1. Decode path on one core: frames the simulator's firmware (DeviceModel,
   on a simulated clock) sends at 100 kS/s x 4 leads are generated before
   timing; then decode_telemetry (decode_frame + TelemetryCodec) and
   SampleRing.write run over them in a loop. Figure: int16 samples per
   second (current and voltage both count), against the USB 2.0 high-speed
   bulk limit (53.2 MB/s = 26.6 M samples/s, target >= 1.0x) and the
   simulator's maximum stream (4 leads x 100 kS/s x 2 = 0.8 M samples/s).
2. pyusb, unpaced: the same frames served by the simulated pyusb backend as
   fast as the host reads them (UsbTransport + TelemetryReceiver thread,
   main thread draining into a ring): the host's ceiling through pyusb.
3. Full path, paced: a sim:// link streaming at its maximum rate for a few
   seconds, drained at 30 Hz: achieved rate and every kind of loss.

Run: .venv/bin/python bench/telemetry_ingest.py [--seconds 3] [--stream-seconds 5] [--profile]
"""

from __future__ import annotations

import argparse
import itertools
import time

from _harness import machine, result, stimulate_every_lead

from drivers.links import open_link
from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import MsgType, spec_for
from drivers.session import LinkSession
from drivers.sim.backend import SimBackend, UsbFaults
from drivers.sim.clock import ManualClock
from drivers.sim.device import DeviceModel
from drivers.sim.direct import paired_client
from drivers.sim.telemetry import BLOCK_MS
from drivers.telemetry import TelemetryReceiver, decode_telemetry
from drivers.transport import UsbTransport
from ui.waveforms.ring import SampleRing

RATE_HZ = 100_000
LEADS = (1, 2, 3, 4)
USB2_HS_BULK_BYTES_PER_S = 53.2e6
USB2_SAMPLES_PER_S = USB2_HS_BULK_BYTES_PER_S / 2  # int16
SIM_MAX_SAMPLES_PER_S = RATE_HZ * len(LEADS) * 2
RING_SECONDS = 10  # the waveform view keeps 10 s per lead
DRAIN_HZ = 30


def firmware_frames(seconds: float) -> tuple[list[bytes], LinkSession]:
    """`seconds` of the simulator's telemetry frames with every lead stimulating, sealed under
    the session of a paired host (docs/protocol.md §7.1), and that session."""
    clock = ManualClock()
    model = DeviceModel(clock=clock, sleep=clock.sleep)
    client = paired_client(model)
    client.start_telemetry(RATE_HZ, stimulate_every_lead(client))
    frames = []
    while len(frames) < seconds * 1000 / BLOCK_MS:
        clock.now += 0.001
        client.keepalive()  # the firmware watchdog runs on this clock too
        frame = model.next_telemetry_frame()
        if frame is not None:
            frames.append(frame)
    assert client.session is not None
    return frames, client.session


class MacCheck:
    """The receiver's MAC and counter check on frames replayed in a loop: before each frame the
    session's last accepted counter is set to the one before it, so every check is a real one."""

    def __init__(self, frames: list[bytes], session: LinkSession) -> None:
        self.session = session
        self.before = {frame: decode_frame(frame).seq - 1 for frame in frames}  # counters < 65 536 here

    def __call__(self, frame: bytes) -> LinkSession:
        self.session._telemetry_counter = self.before[frame]
        return self.session


def samples_in(frame: bytes) -> int:
    block = decode_telemetry(frame)
    return 2 * len(block.leads) * block.n_samples


def time_loop(frames: list[bytes], seconds: float, step) -> float:
    """Run step(frame) over the frames, cycling, for about `seconds`; seconds per frame."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for frame in frames:
            step(frame)
        count += len(frames)
    return (time.perf_counter() - start) / count


def decode_path(frames: list[bytes], session: LinkSession, seconds: float) -> dict[str, float]:
    ring = SampleRing(len(LEADS), RING_SECONDS * RATE_HZ)
    per_frame = samples_in(frames[0])
    codec = spec_for(MsgType.TELEMETRY_BLOCK).request
    decoded = {frame: decode_frame(frame) for frame in frames}
    payloads = {frame: decoded[frame].payload for frame in frames}
    blocks = {frame: decode_telemetry(frame) for frame in frames}
    checked = MacCheck(frames, session)
    full = time_loop(frames, seconds, lambda f: ring.write(decode_telemetry(f, None, checked(f))))
    unchecked = time_loop(frames, seconds / 2, lambda f: ring.write(decode_telemetry(f)))
    parts = {
        "decode_frame": time_loop(frames, seconds / 4, decode_frame),
        "MAC check": time_loop(frames, seconds / 4, lambda f: checked(f).check_telemetry(decoded[f])),
        "codec": time_loop(frames, seconds / 4, lambda f: codec.decode(payloads[f])),
        "ring.write": time_loop(frames, seconds / 4, lambda f: ring.write(blocks[f])),
    }
    rate = per_frame / full
    print(
        f"decode path, MAC checked: {len(frames[0])} B frames, {per_frame} samples each, "
        f"{full * 1e6:.1f} us per frame ({', '.join(f'{k} {v * 1e6:.1f} us' for k, v in parts.items())}); "
        f"{unchecked * 1e6:.1f} us without the MAC check"
    )
    print(
        f"  {rate / 1e6:.1f} M samples/s = {rate * 2 / 1e6:.1f} MB/s of samples: "
        f"{rate / USB2_SAMPLES_PER_S:.2f}x the USB 2.0 HS bulk limit ({USB2_SAMPLES_PER_S / 1e6:.1f} M/s), "
        f"{rate / SIM_MAX_SAMPLES_PER_S:.0f}x the simulator's maximum stream ({SIM_MAX_SAMPLES_PER_S / 1e6:.1f} M/s)"
    )
    return {"rate": rate, "unchecked_rate": per_frame / unchecked, "mac_us": parts["MAC check"] * 1e6}


def drain_for(receiver: TelemetryReceiver, seconds: float, drain_hz: float | None) -> tuple[int, float]:
    """Drain the receiver into a ring (every 1/drain_hz s, or continuously); (samples, seconds)."""
    ring = SampleRing(len(LEADS), RING_SECONDS * RATE_HZ)
    samples, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for block in receiver.drain():
            ring.write(block)
            samples += 2 * len(block.leads) * block.n_samples
        if drain_hz:
            time.sleep(max(0.0, 1 / drain_hz - (time.perf_counter() - start - elapsed)))
    return samples, time.perf_counter() - start


def pyusb_unpaced(frames: list[bytes], seconds: float) -> float:
    backend = SimBackend()
    device = backend.plug(DeviceModel(), UsbFaults(latency_s=0))
    device.model.next_telemetry_frame = itertools.cycle(frames).__next__
    transport = UsbTransport(backend)
    transport.open()
    receiver = TelemetryReceiver(transport)  # replayed frames: no session, no MAC check (the decode path has it)
    receiver.start()
    try:
        samples, elapsed = drain_for(receiver, seconds, None)
    finally:
        receiver.stop()
        transport.close()
        backend.shutdown()
    rate = samples / elapsed
    print(
        f"pyusb, unpaced (receiver thread + draining thread): {rate / 1e6:.2f} M samples/s, "
        f"{rate / SIM_MAX_SAMPLES_PER_S:.1f}x the simulator's maximum stream; "
        f"({receiver.dropped_blocks} blocks dropped by the bounded queue: unpaced, the reader outruns the drain)"
    )
    return rate


def paced_stream(seconds: float) -> dict[str, float]:
    link = open_link("sim://0?pair=1&latency_ms=0")
    receiver = TelemetryReceiver(link.transport, session=lambda: link.client.session)  # MACs checked
    try:
        link.client.start_telemetry(RATE_HZ, LEADS)
        receiver.start()
        drain_for(receiver, 1.0, DRAIN_HZ)  # settle
        first = link.simulator.model.telemetry_stats
        samples, elapsed = drain_for(receiver, seconds, DRAIN_HZ)
        stats = link.simulator.model.telemetry_stats
        link.client.stop_telemetry()
    finally:
        receiver.stop()
        link.close()
    rate = samples / elapsed
    skipped = stats.samples_skipped - first.samples_skipped
    print(
        f"full path, sim:// at {RATE_HZ // 1000} kS/s x {len(LEADS)} leads, drained at {DRAIN_HZ} Hz for "
        f"{elapsed:.1f} s: {rate / 1e6:.3f} M samples/s ({rate / SIM_MAX_SAMPLES_PER_S:.3f}x the stream); "
        f"dropped blocks {receiver.dropped_blocks}, lost samples {receiver.lost_samples}, "
        f"bad frames {receiver.bad_frames}, skipped by the simulator {skipped}"
    )
    return {
        "rate": rate,
        "dropped": receiver.dropped_blocks,
        "lost": receiver.lost_samples + skipped,
        "bad": receiver.bad_frames,
    }


def profile(frames: list[bytes], seconds: float) -> None:
    from pyinstrument import Profiler

    ring = SampleRing(len(LEADS), RING_SECONDS * RATE_HZ)
    with Profiler(interval=0.0001) as profiler:
        time_loop(frames, seconds, lambda f: ring.write(decode_telemetry(f)))
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing of the decode path")
    parser.add_argument("--stream-seconds", type=float, default=5.0, help="pyusb paths, each")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of the decode path")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    frames, session = firmware_frames(2.0)
    if args.profile:
        profile(frames, args.seconds)
    decode = decode_path(frames, session, args.seconds)
    unpaced = pyusb_unpaced(frames, args.stream_seconds)
    paced = paced_stream(args.stream_seconds)
    result(
        "telemetry_ingest",
        decode_msamples_per_s=decode["rate"] / 1e6,
        decode_without_mac_msamples_per_s=decode["unchecked_rate"] / 1e6,
        mac_check_us_per_frame=decode["mac_us"],
        target_decode_msamples_per_s=USB2_SAMPLES_PER_S / 1e6,
        vs_sim_max=decode["rate"] / SIM_MAX_SAMPLES_PER_S,
        pyusb_unpaced_msamples_per_s=unpaced / 1e6,
        stream_msamples_per_s=paced["rate"] / 1e6,
        stream_dropped_blocks=paced["dropped"],
        stream_lost_samples=paced["lost"],
        stream_bad_frames=paced["bad"],
    )


if __name__ == "__main__":
    main()
