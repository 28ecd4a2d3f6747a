"""USB capture overhead: what recording every transfer to the pcap ring costs while the
simulator streams telemetry at its maximum rate (100 kS/s x 4 leads, 16 kB frames, 100/s).

1. Recording alone: UsbCapture.transfer for a full-rate telemetry frame, in a loop.
   Figure: microseconds per transfer, and what 100 frames/s of them cost of one core.
2. Full path, paced, twice: a sim:// link streaming at the maximum rate, drained at 30 Hz,
   first with capture off, then on. Figures: samples lost (must be 0 with capture on, as
   without), process CPU per second of streaming with and without, and the time spent
   inside the capture during the run (measured around each call).

Run: .venv/bin/python bench/capture_overhead.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import time

from _harness import machine, result, stimulate_every_lead

from drivers.capture import XFER_BULK, UsbCapture
from drivers.links import open_link
from drivers.telemetry import TelemetryReceiver

RATE_HZ = 100_000
LEADS = (1, 2, 3, 4)
DRAIN_HZ = 30
FRAME_BYTES = 16_033  # a 100 kS/s x 4 leads telemetry frame (docs/protocol.md §3.5)
TARGET_RECORD_MS = 0.05  # 50 µs per transfer: 0.5 % of a core at 100 frames/s
TARGET_OVERHEAD_CPU_MS = 50  # extra CPU per second of streaming: 5 % of one core


def recording_alone(seconds: float) -> float:
    capture = UsbCapture(max_bytes=64 * 1024 * 1024)
    frame = bytes(FRAME_BYTES)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            capture.transfer(0x82, XFER_BULK, capture.now(), data_in=frame, requested=65_565)
        count += 1000
    per = (time.perf_counter() - start) / count
    print(
        f"recording alone: {per * 1e6:.2f} us per {FRAME_BYTES} B telemetry transfer "
        f"= {per * 100 * 100:.3f} % of a core at 100 frames/s; ring kept {capture.stats().packets} packets"
    )
    return per


class TimedCapture(UsbCapture):
    """A capture that adds up the time spent recording."""

    spent = 0.0

    def transfer(self, *args, **kwargs) -> None:
        start = time.perf_counter()
        super().transfer(*args, **kwargs)
        self.spent += time.perf_counter() - start


def stream(seconds: float, capture_on: bool) -> dict[str, float]:
    link = open_link("sim://0?pair=1&latency_ms=0")
    receiver = TelemetryReceiver(link.transport)
    capture = None
    try:
        if capture_on:
            capture = TimedCapture()
            link.transport.capture = capture
        link.client.start_telemetry(RATE_HZ, stimulate_every_lead(link.client))
        receiver.start()
        time.sleep(1.0)  # settle
        receiver.drain()
        first = link.simulator.model.telemetry_stats
        lost_before, dropped_before = receiver.lost_samples, receiver.dropped_blocks
        spent_before = capture.spent if capture else 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        samples = 0
        while time.perf_counter() - wall0 < seconds:
            for block in receiver.drain():
                samples += 2 * len(block.leads) * block.n_samples
            time.sleep(1 / DRAIN_HZ)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        stats = link.simulator.model.telemetry_stats
        link.client.stop_telemetry()
    finally:
        receiver.stop()
        link.close()
    lost = receiver.lost_samples - lost_before + stats.samples_skipped - first.samples_skipped
    out = {
        "rate": samples / wall,
        "lost": lost,
        "dropped": receiver.dropped_blocks - dropped_before,
        "bad": receiver.bad_frames,
        "cpu_ms_per_s": cpu / wall * 1000,
        "capture_ms_per_s": ((capture.spent - spent_before) / wall * 1000) if capture else 0.0,
        "captured_mb": (capture.stats().bytes / 1e6) if capture else 0.0,
    }
    print(
        f"stream, capture {'ON ' if capture_on else 'off'}: {out['rate'] / 1e6:.3f} M samples/s, lost {lost}, "
        f"dropped blocks {out['dropped']}, bad frames {out['bad']}; process CPU {out['cpu_ms_per_s']:.0f} ms/s"
        + (
            f"; inside the capture {out['capture_ms_per_s']:.2f} ms/s, ring {out['captured_mb']:.1f} MB"
            if capture_on
            else ""
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="each paced stream")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    per = recording_alone(1.0)
    off = stream(args.seconds, capture_on=False)
    on = stream(args.seconds, capture_on=True)
    overhead = on["cpu_ms_per_s"] - off["cpu_ms_per_s"]
    print(
        f"capture overhead: {overhead:+.0f} ms of CPU per second of streaming by process time "
        f"(noisy: the simulated firmware runs in this process), {on['capture_ms_per_s']:.2f} ms/s measured "
        f"inside the capture; samples lost with capture on: {on['lost']}"
    )
    result(
        "capture_overhead",
        record_ms=per * 1000,
        target_record_ms=TARGET_RECORD_MS,
        inside_capture_cpu_ms=on["capture_ms_per_s"],
        target_inside_capture_cpu_ms=TARGET_OVERHEAD_CPU_MS,
        process_overhead_cpu_ms=max(overhead, 0.0),
        lost_samples_on=on["lost"],
        lost_samples_off=off["lost"],
        dropped_blocks_on=on["dropped"],
    )
    if on["lost"] or on["dropped"] or on["bad"]:
        raise SystemExit(f"capture on lost samples: {on}")


if __name__ == "__main__":
    main()
