"""Pulse scope while telemetry streams: the scope's refresh rate and the stream's loss.

The workstation's main window (1366x768) on a sim:// link (default simulated USB latency),
every lead stimulating with typical settings (bench/_harness.py LEAD_SETTINGS), telemetry at
100 kS/s on all four leads drained by the waveform view as in the clinic, and the Pulse
scope tab shown on lead 2 (600 µA, 200 µs, 60 Hz), averaging 8 captures at the device's
finest rate. Over the timed seconds it counts:
- the scope's refresh rate: frames with a new capture drawn per second (its display timer
  runs at 30 Hz; a new capture needs a new pulse, so the lead's rate bounds it too);
- telemetry samples lost (gaps in first_sample: the device skipped a backlog) and blocks
  dropped by the host's queue; both must stay 0: the benchmark fails otherwise;
- CPU use of the process and of its GUI thread;
- then STOP ALL pressed (MainWindow.stop_all, as the button does) STOP_TRIES times while the
  scope captures: press -> outputs off on the device (the firmware's vendor-request handler
  returned), which must not wait for a capture waiting for its pulse.
Target (issue 14): the scope refreshes at >= 20 Hz while streaming goes on with no loss.

Run: .venv/bin/python bench/pulse_scope.py [--seconds 10] [--lead 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _harness import bench_service, describe, gui_wait, machine, result, stamp_calls, stimulate_every_lead
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication starts

TARGET_HZ = 20.0
RATE_HZ = 100_000
WARMUP_S = 2.0
STOP_TRIES = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--lead", type=int, default=2)
    args = parser.parse_args()
    app = QApplication([])
    from ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as folder, bench_service(Path(folder)) as service:
        service.connection.connect("sim://0?magnet=held").result(30)
        leads = stimulate_every_lead(service.link.client)
        window = MainWindow(service, QSettings(str(Path(folder) / "settings.ini"), QSettings.IniFormat))
        window.setGeometry(0, 0, 1366, 768)
        window.show()
        service.connection.start_telemetry(RATE_HZ, leads).result(30)
        window.waveforms.attach(service.connection.telemetry)
        window.tabs.setCurrentWidget(window.scope)
        window.scope.lead.setCurrentIndex(args.lead - 1)
        gui_wait(app, lambda: window.scope.drawn > 0)
        warm_end = time.monotonic() + WARMUP_S
        gui_wait(app, lambda: time.monotonic() > warm_end)

        receiver = service.connection.telemetry
        process = psutil.Process()
        gui = threading.main_thread().native_id

        def cpu() -> tuple[float, float]:
            threads = {t.id: t.user_time + t.system_time for t in process.threads()}
            times = process.cpu_times()
            return times.user + times.system, threads[gui]

        drawn, captures = window.scope.drawn, service.scope.captures
        blocks, lost, dropped = receiver.blocks, receiver.lost_samples, receiver.dropped_blocks
        cpu_start, started = cpu(), time.perf_counter()
        end = time.monotonic() + args.seconds
        gui_wait(app, lambda: time.monotonic() > end, timeout_s=args.seconds + 30)
        wall = time.perf_counter() - started
        cpu_end = cpu()
        refresh_hz = (window.scope.drawn - drawn) / wall
        capture_hz = (service.scope.captures - captures) / wall
        got_blocks = receiver.blocks - blocks
        lost_samples = receiver.lost_samples - lost
        dropped_blocks = receiver.dropped_blocks - dropped
        frame = service.scope.frame
        settings = frame.capture if frame is not None else None

        print(machine())
        if settings is not None:
            print(
                f"scope on lead {args.lead}: {settings.n_samples} samples at {settings.rate_hz} Hz "
                f"({1e6 / settings.rate_hz:.1f} µs a sample), {len(frame.traces)} captures averaged"
            )
        print(f"scope: {refresh_hz:.1f} new frames drawn/s, {capture_hz:.1f} captures/s over {wall:.1f} s")
        print(
            f"telemetry {RATE_HZ} S/s x {len(leads)} leads: {got_blocks} blocks "
            f"({got_blocks / wall:.1f}/s), {lost_samples} samples lost, {dropped_blocks} blocks dropped"
        )
        print(
            f"CPU (% of one core): process {(cpu_end[0] - cpu_start[0]) / wall * 100:.1f}, "
            f"GUI thread {(cpu_end[1] - cpu_start[1]) / wall * 100:.1f}"
        )
        stop_ms = stop_latencies(app, window, service, args.lead)
        stop = describe("STOP ALL press -> outputs off, while the scope captures", stop_ms)
        result(
            "pulse_scope",
            refresh_hz=refresh_hz,
            target_refresh_hz=TARGET_HZ,
            capture_hz=capture_hz,
            lost_samples=float(lost_samples),
            dropped_blocks=float(dropped_blocks),
            stop_p99_ms=stop["p99"],
        )
        window.hide()  # not close(): after STOP ALL the end-of-visit guard would ask, and wait for an answer
        return 1 if lost_samples or dropped_blocks else 0


def stop_latencies(app, window, service, lead: int) -> list[float]:
    """STOP ALL pressed at moments spread over the capture cycle; each time the lead is turned
    on again through the bare client (untimed) and the scope given a new capture first."""
    model = service.link.simulator.model
    stamps = stamp_calls(model, "stop_all_now")
    latencies = []
    for attempt in range(STOP_TRIES):
        service.link.client.set_stimulation(lead, True)
        captures = service.scope.captures
        gui_wait(app, lambda captures=captures: service.scope.captures > captures)
        offset_end = time.monotonic() + (attempt % 10) * 0.004  # 0-36 ms into the next capture
        gui_wait(app, lambda end=offset_end: time.monotonic() > end)
        before = len(stamps)
        pressed = time.perf_counter()
        window.stop_all()
        gui_wait(app, lambda before=before: len(stamps) > before)
        latencies.append((stamps[before] - pressed) * 1000)
    return latencies


if __name__ == "__main__":
    raise SystemExit(main())
