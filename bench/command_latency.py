"""Command latency with the simulator's USB latency at zero (sim://0?latency_ms=0).

What is timed, from the call on the caller's thread (perf_counter):
- amplitude step: ProgrammingService.set_amplitude one device step below
  the present amplitude of an enabled lead. "ack" is when the device's
  reply reached the host (PulseGenerator.set_amplitude returned on the
  device I/O thread); "resolved" is when the returned future completed,
  i.e. after the action was also committed to the records store and the
  lead update was announced. Target: resolved p99 <= 10 ms. Between tries
  the step is undone with a direct client write (untimed), because rises
  through the service are ramped.
- amplitude rise of one step: set_amplitude one step up. Rises are
  rate-limited by design (safety.RAMP_RATE_UA_PER_S, a new ramp starts
  slow, the ramp thread ticks every RAMP_TICK_S), so this shows the
  designed delay, not a defect; no target.
- STOP ALL: ProgrammingService.stop_all() on an enabled lead. "outputs off"
  is when the simulated firmware's stop handler returned (the device's
  outputs_on is empty from then on); "resolved" is the future (recorded and
  announced). Target: p99 <= 5 ms.
- raw round trip: PulseGenerator.read_lead for reference.
- from the UI, when ui.main_window imports: the lead panel's ampDown
  button and the stopAll button to the device's ack / outputs off, with the
  main window live (telemetry streaming into the waveform view). A
  QPushButton acts on release, and a hand presses it well before releasing,
  so the checked figure runs from QTest.mouseRelease (after an untimed
  mousePress); the whole QTest.mouseClick is printed too: it adds the
  synchronous repaint of the pressed button (QAbstractButton repaints on
  press), which a real press does long before the release.

Run: .venv/bin/python bench/command_latency.py [--tries 1000] [--rise-tries 100] [--ui-tries 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from _harness import (
    RESULTS,
    WAIT_S,
    bench_service,
    describe,
    gui_wait,
    machine,
    result,
    stamp_calls,
    start_stimulating,
)

from drivers.client import PulseGenerator
from ui.testing.actions import confirmed

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

AMPLITUDE_TARGET_MS = 10.0
STOP_TARGET_MS = 5.0
LEAD = 1


def ms_since(start: float, stamp: float) -> float:
    return (stamp - start) * 1e3


def set_directly(service, amplitude_ua: int) -> None:
    """Untimed reset between tries: the device and the service's mirror of it, bypassing the ramp."""
    service._core.mirror.set_leads(PulseGenerator.set_amplitude(service.link.client, LEAD, amplitude_ua))


def one_step(service) -> tuple[int, int]:
    """(present amplitude, one device step below it)."""
    high = service.state.leads[LEAD].amplitude_ua
    return high, high - service.state.capabilities.amplitude_step_at(high)


def timed_futures(
    tries: int, prepare: Callable[[], object], call: Callable[[], Future], stamps: list[float]
) -> tuple[list[float], list[float]]:
    """`tries` times: prepare() untimed, then call() until its future resolves.
    Returns ms from the call to the future resolving and to the newest of `stamps`."""
    resolved, stamped = [], []
    for _ in range(tries):
        prepare()
        start = time.perf_counter()
        call().result(WAIT_S)
        resolved.append(ms_since(start, time.perf_counter()))
        stamped.append(ms_since(start, stamps[-1]))
    return resolved, stamped


def service_latencies(service, tries: int, rise_tries: int) -> dict[str, dict[str, float]]:
    client, model = service.link.client, service.link.simulator.model
    acks = stamp_calls(client, "set_amplitude")
    outputs_off = stamp_calls(model, "stop_all_now")
    high, low = one_step(service)
    figures: dict[str, list[float]] = {}
    figures["step_resolved"], figures["step_ack"] = timed_futures(
        tries, lambda: set_directly(service, high), lambda: service.outputs.set_amplitude(LEAD, low), acks
    )
    figures["rise_resolved"], figures["rise_ack"] = timed_futures(
        rise_tries,
        lambda: set_directly(service, low),
        lambda: confirmed(service, lambda: service.outputs.set_amplitude(LEAD, high)),
        acks,
    )
    figures["stop_resolved"], figures["stop_off"] = timed_futures(
        tries, lambda: service.outputs.set_enabled(LEAD, True).result(WAIT_S), service.stop_all, outputs_off
    )
    if model.outputs_on or len(outputs_off) != tries:
        raise AssertionError(f"STOP ALL left outputs {model.outputs_on} on")
    figures["read_lead"] = []
    for _ in range(tries):
        start = time.perf_counter()
        client.read_lead(LEAD)
        figures["read_lead"].append(ms_since(start, time.perf_counter()))

    print(f"service, amplitude {high} -> {low} µA on lead {LEAD}:")
    stats = {
        "step_ack": describe("  step down, device ack", figures["step_ack"]),
        "step_resolved": describe("  step down, future resolved", figures["step_resolved"], AMPLITUDE_TARGET_MS),
        "rise_ack": describe(f"  rise {low} -> {high} µA (ramped by design), device ack", figures["rise_ack"]),
        "rise_resolved": describe("  rise, future resolved", figures["rise_resolved"]),
        "stop_off": describe("  STOP ALL, outputs off in the device", figures["stop_off"], STOP_TARGET_MS),
        "stop_resolved": describe("  STOP ALL, future resolved", figures["stop_resolved"], STOP_TARGET_MS),
        "read_lead": describe("  raw client read_lead round trip", figures["read_lead"]),
    }
    return stats


def ui_latencies(folder: Path, tries: int) -> dict[str, dict[str, float]] | None:
    """Click to device ack through the real main window, or None when the UI does not import yet."""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton, QApplication

    try:
        from ui.main_window import MainWindow
    except ImportError as exc:
        print(f"UI clicks: skipped, ui.main_window does not import yet ({exc})")
        return None
    app = QApplication.instance() or QApplication([])
    with bench_service(folder) as service:
        window = MainWindow(service, QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        window.show()

        def wait(future):
            gui_wait(app, future.done)
            return future.result()

        start_stimulating(service, wait=wait)
        down = window.findChild(QAbstractButton, "ampDown")
        stop = window.findChild(QAbstractButton, "stopAll")
        if down is None or stop is None:
            print("UI clicks: skipped, no ampDown or stopAll button in the main window")
            window.hide()
            return None
        acks = stamp_calls(service.link.client, "set_amplitude")
        outputs_off = stamp_calls(service.link.simulator.model, "stop_all_now")
        high, _low = one_step(service)

        def click(button, stamps: list[float], whole: bool, on_press: bool = False) -> float:
            """ms from the moment the button acts (its release, or its press for STOP ALL, which acts
            on press) or, whole, from the start of QTest.mouseClick, to the next stamp."""
            if not whole and not on_press:
                QTest.mousePress(button, Qt.MouseButton.LeftButton)  # a hand presses well before releasing
            before = len(stamps)
            start = time.perf_counter()
            if whole:
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            else:
                (QTest.mousePress if on_press else QTest.mouseRelease)(button, Qt.MouseButton.LeftButton)
            gui_wait(app, lambda: len(stamps) > before)
            if on_press and not whole:
                QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
            return ms_since(start, stamps[before])

        figures: dict[tuple[str, bool], list[float]] = {}
        for whole in (False, True):
            for _ in range(tries):
                # back up, through the ramp (untimed)
                wait(confirmed(service, lambda: service.outputs.set_amplitude(LEAD, high)))
                figures.setdefault(("step", whole), []).append(click(down, acks, whole))
            for _ in range(tries):
                wait(service.outputs.set_enabled(LEAD, True))
                figures.setdefault(("stop", whole), []).append(click(stop, outputs_off, whole, on_press=True))
        window.hide()  # not close(): it would ask about the program left unwritten on the device
    print("UI, main window live (telemetry streaming to the waveform view):")
    return {
        "release_step": describe("  ampDown release to device ack", figures[("step", False)], AMPLITUDE_TARGET_MS),
        "click_step": describe(
            "  ampDown whole click (press, repaint, release) to device ack", figures[("step", True)]
        ),
        "release_stop": describe("  stopAll press to outputs off", figures[("stop", False)], STOP_TARGET_MS),
        "click_stop": describe(
            "  stopAll whole click (press, repaint, release) to outputs off", figures[("stop", True)]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=1000, help="amplitude steps, STOP ALLs and reads")
    parser.add_argument("--rise-tries", type=int, default=100, help="one-step rises (each ~50-100 ms by design)")
    parser.add_argument("--ui-tries", type=int, default=100, help="clicks of each button")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    RESULTS.mkdir(parents=True, exist_ok=True)  # on the disk the records live on, not a tmpfs
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        with bench_service(Path(tmp)) as service:
            start_stimulating(service)
            stats = service_latencies(service, args.tries, args.rise_tries)
        ui_folder = Path(tmp) / "ui"
        ui_folder.mkdir()
        ui = ui_latencies(ui_folder, args.ui_tries) if args.ui_tries else None
    extra = (
        {
            "ui_step_p99_ms": ui["release_step"]["p99"],
            "target_ui_step_p99_ms": AMPLITUDE_TARGET_MS,
            "ui_stop_p99_ms": ui["release_stop"]["p99"],
            "target_ui_stop_p99_ms": STOP_TARGET_MS,
            "ui_click_step_p99_ms": ui["click_step"]["p99"],
            "ui_click_stop_p99_ms": ui["click_stop"]["p99"],
        }
        if ui
        else {"ui": "skipped"}
    )
    result(
        "command_latency",
        amp_step_p99_ms=stats["step_resolved"]["p99"],
        target_amp_step_p99_ms=AMPLITUDE_TARGET_MS,
        stop_all_p99_ms=stats["stop_resolved"]["p99"],
        target_stop_all_p99_ms=STOP_TARGET_MS,
        amp_step_p50_ms=stats["step_resolved"]["p50"],
        amp_ack_p99_ms=stats["step_ack"]["p99"],
        stop_off_p99_ms=stats["stop_off"]["p99"],
        stop_all_p50_ms=stats["stop_resolved"]["p50"],
        rise_p50_ms=stats["rise_resolved"]["p50"],
        read_lead_p99_ms=stats["read_lead"]["p99"],
        **extra,
    )


if __name__ == "__main__":
    main()
