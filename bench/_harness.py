"""Shared pieces of the benchmark scripts (bench/run_all skips files starting
with "_"): the machine they ran on, percentiles, the RESULT line run_all
collects, and a programming service on the simulator with one lead
stimulating, which the latency, soak and screen benchmarks start from.

RESULT line convention (see bench/run_all): `RESULT <name> key=value ...`;
every checked figure X comes with `target_X`; a figure whose key ends in a
time or size unit or a share of a core (_ms, _s, _mb, _pct) must stay at or
below its target, any other (rates) at or above it; `ratio` is the worst figure/target of the line.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
WAIT_S = 30
SIM_URI = "sim://0?latency_ms=0&impedance_ms=1&magnet=held"  # no simulated USB latency: the host's own cost shows
STIM_AMPLITUDE_UA = 500
# amplitude µA, pulse width µs, frequency Hz per lead: typical DRG settings and the extremes
LEAD_SETTINGS = ((1000, 300, 20), (600, 200, 60), (1500, 400, 100), (300, 720, 4))


def machine() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.processor()
        )
    ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs, {model}, {ram_gib:.1f} GiB RAM, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def percentiles(values_ms: list[float]) -> dict[str, float]:
    values = np.asarray(values_ms, dtype=float)
    return {
        "p50": float(np.percentile(values, 50)),
        "p99": float(np.percentile(values, 99)),
        "max": float(values.max()),
        "n": len(values),
    }


def describe(label: str, values_ms: list[float], target_ms: float | None = None) -> dict[str, float]:
    """Print one latency distribution (and its ratio to a p99 target); returns its percentiles."""
    stats = percentiles(values_ms)
    line = f"{label}: n={stats['n']} p50 {stats['p50']:.3f} ms, p99 {stats['p99']:.3f} ms, max {stats['max']:.3f} ms"
    if target_ms is not None:
        line += f"; p99 is {stats['p99'] / target_ms:.2f}x the {target_ms:g} ms target"
    print(line)
    return stats


def lower_is_better(key: str) -> bool:
    """Times, sizes and shares of a core (_pct) must stay under their target; rates must reach it."""
    return key.endswith(("_ms", "_mb", "_pct")) or (key.endswith("_s") and not key.endswith("_per_s"))


def checks(figures: dict) -> list[tuple[str, float, float]]:
    """(figure key, value, target) of every check of a RESULT line: each figure X with a
    target_X twin; without twins, the first figure against the first target_ key."""
    twins = [
        (key[len("target_") :], float(figures[key[len("target_") :]]), float(target))
        for key, target in figures.items()
        if key.startswith("target_") and key[len("target_") :] in figures
    ]
    if twins:
        return twins
    targets = [key for key in figures if key.startswith("target")]
    values = [
        key
        for key, value in figures.items()
        if not key.startswith("target") and key != "ratio" and isinstance(value, float)
    ]
    return [(values[0], figures[values[0]], float(figures[targets[0]]))] if targets and values else []


def passes(key: str, figure: float, target: float) -> bool:
    return figure <= target if lower_is_better(key) else figure >= target


def worst_ratio(figures: dict[str, float]) -> float | None:
    """figure/target of the check furthest from passing (a rate below target, a time above it)."""
    ratios = [
        (figure / target if lower_is_better(key) else target / figure if figure else float("inf"), figure / target)
        for key, figure, target in checks(figures)
        if target
    ]
    return max(ratios)[1] if ratios else None


def result(name: str, **figures: float | str) -> None:
    """Print the RESULT line; `ratio` is the worst_ratio of its checks."""
    ratio = worst_ratio(figures)
    if ratio is not None:
        figures["ratio"] = ratio
    text = " ".join(
        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}" for key, value in figures.items()
    )
    print(f"RESULT {name} {text}")


@contextmanager
def bench_service(folder: Path) -> Iterator:
    """A ProgrammingService with its records store in a SQLite file in `folder`, as in the clinic."""
    from ui.testing.plugin import qa_user
    from workstation.records.store import RecordsStore
    from workstation.service import ProgrammingService

    store = RecordsStore.open(f"sqlite:///{folder / 'records.sqlite'}")
    service = ProgrammingService(store, user=qa_user())
    try:
        yield service
    finally:
        service.shutdown()
        store.close()


def start_stimulating(
    service,
    uri: str = SIM_URI,
    amplitude_ua: int = STIM_AMPLITUDE_UA,
    wait: Callable[[Future], object] = lambda future: future.result(WAIT_S),
) -> None:
    """Connect, open a session and bring lead 1 to `amplitude_ua`, enabled, through the service
    (the amplitude through its own ramp). `wait` blocks on each step's future."""
    from drivers.types import LeadConfig, Polarity
    from ui.testing.actions import confirmed

    wait(service.connection.connect(uri))
    patient = service.records.add_patient("Bench Patient", date(1970, 1, 1), "BENCH-0001")
    service.recording.start_session(patient.id).result()
    lead = LeadConfig(
        1,
        (Polarity.CATHODE, Polarity.ANODE, Polarity.OFF, Polarity.OFF),
        0,
        300,
        20,
        False,
        service.state.capabilities.amplitude_max_ua,
    )
    wait(service.outputs.write_lead(lead))
    wait(service.impedance.measure(leads=(1,)))
    wait(service.outputs.set_enabled(1, True))
    if amplitude_ua:
        wait(confirmed(service, lambda: service.outputs.set_amplitude(1, amplitude_ua)))


def stamp_calls(owner: object, name: str) -> list[float]:
    """Wrap owner.name so that every return appends time.perf_counter() to the returned list.

    This is how a benchmark learns when the device acknowledged (the
    client's call returned) or switched its outputs off (the firmware's
    stop handler returned) without changing the code under test.
    """
    original = getattr(owner, name)
    stamps: list[float] = []

    def stamped(*args, **kwargs):
        value = original(*args, **kwargs)
        stamps.append(time.perf_counter())
        return value

    setattr(owner, name, stamped)
    return stamps


def gui_wait(app, done: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Process Qt events until done() (timestamps come from the worker threads, so the
    short sleeps between polls only leave them the CPU)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout_s} s")
        app.processEvents()
        time.sleep(0.0002)
    app.processEvents()


def stimulate_every_lead(client) -> tuple[int, ...]:
    """Drive every lead of a (simulated) device with LEAD_SETTINGS through the bare client,
    so telemetry carries pulses, not flat lines; returns the lead numbers."""
    from drivers.types import ImpedanceMode, LeadConfig, Polarity

    leads = tuple(range(1, len(LEAD_SETTINGS) + 1))
    contacts = (Polarity.CATHODE, Polarity.ANODE, Polarity.OFF, Polarity.OFF)
    for lead, (_amplitude, width, frequency) in zip(leads, LEAD_SETTINGS):
        client.write_lead(LeadConfig(lead, contacts, 0, width, frequency, False, 6000))
    client.measure_impedance(ImpedanceMode.LEAD_PAIR)
    for lead, (amplitude, _width, _frequency) in zip(leads, LEAD_SETTINGS):
        client.set_stimulation(lead, True)
        client.set_amplitude(lead, amplitude)
    return leads
