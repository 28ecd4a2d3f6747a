"""Soak: resident memory while streaming at the maximum rate for a long time.

The real path: ProgrammingService on a sim:// link (default USB latency),
in a session with lead 1 stimulating, telemetry at 100 kS/s x 4 leads
through the service's TelemetryReceiver, drained at 30 Hz into a 10 s
SampleRing whose newest 200 ms are read back each time (what the waveform
view does, without Qt). RSS (psutil) is sampled every second; "start" is
after the warm-up. Target: growth <= 5 MB over the run. The slope of a
least-squares line through the samples is printed too (MB per hour), since
a short run's growth is mostly noise.

Run: .venv/bin/python bench/soak.py [--minutes 30] [--warmup-s 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from _harness import RESULTS, WAIT_S, bench_service, machine, result, start_stimulating

from ui.waveforms.ring import SampleRing

RATE_HZ = 100_000
LEADS = (1, 2, 3, 4)
DRAIN_HZ = 30
RING_SECONDS = 10
SHOWN_S = 0.2
TARGET_GROWTH_MB = 5.0
MB = 1024 * 1024


def stream(service, seconds: float, ring: SampleRing, on_second=None) -> int:
    """Drain the service's receiver into `ring` at DRAIN_HZ for `seconds`; samples taken.
    on_second(elapsed) is called about once a second."""
    samples, start, next_second = 0, time.perf_counter(), 1.0
    period = 1 / DRAIN_HZ
    while (elapsed := time.perf_counter() - start) < seconds:
        for block in service.connection.telemetry.drain():
            ring.write(block)
            samples += 2 * len(block.leads) * block.n_samples
        ring.latest(int(SHOWN_S * RATE_HZ))
        if on_second is not None and elapsed >= next_second:
            on_second(elapsed)
            next_second += 1.0
        time.sleep(max(0.0, period - (time.perf_counter() - start - elapsed)))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup-s", type=float, default=10.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    process = psutil.Process()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp, bench_service(Path(tmp)) as service:
        start_stimulating(service, uri="sim://0?magnet=held")
        service.connection.start_telemetry(RATE_HZ, LEADS).result(WAIT_S)
        ring = SampleRing(len(LEADS), RING_SECONDS * RATE_HZ)
        stream(service, args.warmup_s, ring)
        receiver, model = service.connection.telemetry, service.link.simulator.model
        before = (
            receiver.dropped_blocks,
            receiver.lost_samples,
            receiver.bad_frames,
            model.telemetry_stats.samples_skipped,
        )
        times, rss = [0.0], [process.memory_info().rss / MB]

        def sample(elapsed: float) -> None:
            times.append(elapsed)
            rss.append(process.memory_info().rss / MB)
            if len(times) % 60 == 0:
                print(f"  {elapsed / 60:5.1f} min: RSS {rss[-1]:.1f} MB", flush=True)

        seconds = args.minutes * 60
        samples = stream(service, seconds, ring, sample)
        rss.append(process.memory_info().rss / MB)
        times.append(seconds)
        dropped, lost, bad, skipped = (
            now - then
            for now, then in zip(
                (
                    receiver.dropped_blocks,
                    receiver.lost_samples,
                    receiver.bad_frames,
                    model.telemetry_stats.samples_skipped,
                ),
                before,
            )
        )
    growth = rss[-1] - rss[0]
    slope = float(np.polyfit(times, rss, 1)[0]) * 3600 if len(times) > 2 else 0.0
    rate = samples / seconds
    print(
        f"streamed {args.minutes:g} min at {rate / 1e6:.3f} M samples/s ({RATE_HZ // 1000} kS/s x {len(LEADS)} leads "
        f"x 2): dropped blocks {dropped}, lost samples {lost + skipped}, bad frames {bad}"
    )
    print(
        f"RSS after warm-up {rss[0]:.1f} MB, at the end {rss[-1]:.1f} MB, peak {max(rss):.1f} MB; "
        f"growth {growth:+.2f} MB ({growth / TARGET_GROWTH_MB:.2f}x the {TARGET_GROWTH_MB:g} MB target), "
        f"trend {slope:+.2f} MB/h"
    )
    result(
        "soak",
        rss_growth_mb=growth,
        target_rss_growth_mb=TARGET_GROWTH_MB,
        rss_start_mb=rss[0],
        rss_end_mb=rss[-1],
        rss_peak_mb=max(rss),
        trend_mb_per_h=slope,
        minutes=args.minutes,
        msamples_per_s=rate / 1e6,
        dropped_blocks=dropped,
        lost_samples=lost + skipped,
        bad_frames=bad,
    )


if __name__ == "__main__":
    main()
