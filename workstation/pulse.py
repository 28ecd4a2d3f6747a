"""What a captured pulse shows, measured and compared with the pulse that was programmed.

A capture (drivers.types.PulseCapture) holds one lead's current and electrode voltage around
a pulse onset. The read-outs a clinician checks: the cathodic amplitude, the cathodic phase's
width, the interphase gap, the recharge (passive: an exponential whose charge must return the
cathodic charge before the next pulse), the charge of each phase, their balance, and whether
the current source ran out of compliance voltage. Each is compared with the programmed pulse
(the settings the device reports it delivered with; the interphase from CaptureCapabilities;
the compliance from Capabilities) and flagged outside TOLERANCE. Qt-free, numpy only.

Measuring: phase edges at half the phase's level, interpolated between samples; the
amplitude is the median of the cathodic plateau (noise does not move it); charges are
integrals of the current. A capture window is shorter than a slow period, so the recharge
charge is the part seen plus the fitted exponential's tail up to the next onset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from drivers.types import Capabilities, CaptureCapabilities, PulseCapture


@dataclass(frozen=True)
class Tolerance:
    """How far a measurement may differ from the program before it is flagged: the larger of
    `fraction` of the programmed value and `floor` (in the reading's unit), plus `samples`
    sample periods for a time (an edge is known to a sample)."""

    fraction: float = 0.0
    floor: float = 0.0
    samples: float = 0.0

    def allowed(self, programmed: float, sample_us: float) -> float:
        return max(self.fraction * abs(programmed), self.floor) + self.samples * sample_us


# Workstation policy (no standard gives per-pulse figures): tight enough that a real fault
# shows (a clipped pulse, a lost interphase, a recharge that does not return the charge), loose
# enough that the converters' noise and the sampling never raise a flag on a sound pulse.
TOLERANCE = {
    "amplitude": Tolerance(fraction=0.05, floor=25.0),  # ±5 % or the smallest amplitude step, 25 µA
    "width": Tolerance(fraction=0.02, samples=2),  # ±2 % and two samples
    "interphase": Tolerance(floor=2.0, samples=2),  # ±2 µs and two samples
    "charge": Tolerance(fraction=0.05, floor=0.0005),  # ±5 % or 0.5 nC
    "balance": Tolerance(floor=5.0),  # ±5 % of the cathodic charge
}
COMPLIANCE_MARGIN_MV = 250  # an electrode voltage this close to the compliance is at it


class Quantity(str, Enum):
    AMPLITUDE = "Amplitude"
    CATHODIC_WIDTH = "Cathodic phase"
    INTERPHASE = "Interphase"
    RECHARGE = "Recharge"
    CATHODIC_CHARGE = "Cathodic charge"
    RECHARGE_CHARGE = "Recharge charge"
    BALANCE = "Charge balance"
    COMPLIANCE = "Compliance"


@dataclass(frozen=True)
class Reading:
    """One read-out: what was measured, what was programmed, and whether it is flagged."""

    quantity: Quantity
    measured: float | None
    programmed: float | None
    unit: str
    flagged: bool
    text: str  # the measured value as shown, e.g. "3790 µA"
    note: str  # the comparison, e.g. "programmed 4000 µA: 5.3 % low (tolerance ±5 % or 25)"


@dataclass(frozen=True)
class PulseAnalysis:
    lead: int
    triggered: bool
    readings: tuple[Reading, ...]
    cathodic_start_us: float | None = None  # edges, to mark them on the trace
    cathodic_end_us: float | None = None
    recharge_start_us: float | None = None
    recharge_tau_us: float | None = None  # the load's time constant, for the programmed overlay

    @property
    def flagged(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings if r.flagged)

    def reading(self, quantity: Quantity) -> Reading:
        return next(r for r in self.readings if r.quantity is quantity)


def analyse(
    capture: PulseCapture,
    caps: Capabilities,
    limits: CaptureCapabilities,
    current_ua: np.ndarray | None = None,
    voltage_mv: np.ndarray | None = None,
) -> PulseAnalysis:
    """Measure `capture` (or the averaged `current_ua`/`voltage_mv` on its time base) against
    the settings it was delivered with."""
    config = capture.config
    current = (capture.current_ua if current_ua is None else current_ua).astype(np.float64)
    voltage = (capture.voltage_mv if voltage_mv is None else voltage_mv).astype(np.float64)
    t = capture.times_us()
    sample_us = 1e6 / capture.rate_hz
    programmed_ua = config.amplitude_ua if config.delivering else 0
    if not capture.triggered or programmed_ua == 0:
        return _no_pulse(capture, programmed_ua)
    phase = _cathodic_phase(current, t)
    if phase is None:
        return _no_pulse(capture, programmed_ua)
    start_us, end_us, amplitude = phase
    q_programmed = programmed_ua * config.pulse_width_us * 1e-6  # µC
    phase_window = (t >= start_us - sample_us) & (t <= end_us + sample_us)
    q_cathodic = -float(np.trapezoid(np.minimum(current[phase_window], 0), t[phase_window])) * 1e-6
    recharge = _recharge(current, t, end_us, 1e6 / config.frequency_hz - start_us)
    readings = [
        _compare(Quantity.AMPLITUDE, amplitude, programmed_ua, "µA", "amplitude", sample_us, decimals=0),
        _compare(Quantity.CATHODIC_WIDTH, end_us - start_us, config.pulse_width_us, "µs", "width", sample_us),
    ]
    if recharge is None:
        readings += [
            Reading(Quantity.INTERPHASE, None, limits.interphase_us, "µs", True, "—", "no recharge seen"),
            Reading(Quantity.RECHARGE, None, None, "", True, "none", "no recharge in the window"),
        ]
        q_recharge = None
    else:
        recharge_start, peak_ua, tau_us, q_recharge = recharge
        readings += [
            _compare(Quantity.INTERPHASE, recharge_start - end_us, limits.interphase_us, "µs", "interphase", sample_us),
            Reading(
                Quantity.RECHARGE,
                peak_ua,
                None,
                "µA",
                False,
                f"{peak_ua:.0f} µA, τ {_duration(tau_us)}",
                "passive: its charge is what counts",
            ),
        ]
    readings.append(_compare(Quantity.CATHODIC_CHARGE, q_cathodic, q_programmed, "µC", "charge", sample_us, 3))
    if q_recharge is None:
        readings.append(Reading(Quantity.BALANCE, None, 0.0, "%", True, "—", "no recharge: the charge is not returned"))
    else:
        readings.append(
            Reading(
                Quantity.RECHARGE_CHARGE,
                q_recharge,
                q_cathodic,
                "µC",
                False,
                f"{q_recharge:.3f} µC",
                "returned before the next pulse (the tail past the window fitted)",
            )
        )
        balance = 100 * (q_recharge - q_cathodic) / q_cathodic
        readings.append(_compare(Quantity.BALANCE, balance, 0.0, "%", "balance", 0.0, decimals=1))
    readings.append(_compliance(voltage, caps, amplitude, programmed_ua))
    return PulseAnalysis(
        capture.lead,
        True,
        tuple(readings),
        start_us,
        end_us,
        None if recharge is None else recharge[0],
        None if recharge is None else recharge[2],
    )


def _cathodic_phase(current: np.ndarray, t: np.ndarray) -> tuple[float, float, float] | None:
    """(start µs, end µs, amplitude µA) of the cathodic phase nearest the onset, or None."""
    lowest = float(np.percentile(current[t >= 0], 0.5)) if np.any(t >= 0) else 0.0
    if lowest >= -5 * _noise(current, t):
        return None
    half = lowest / 2
    below = current < half
    candidates = np.flatnonzero(below)
    if not candidates.size:
        return None
    first = int(candidates[np.argmin(np.abs(t[candidates]))])  # the phase at the onset, not a neighbour's
    while first > 0 and below[first - 1]:
        first -= 1
    if first < 1:
        return None  # the phase began before the window
    last = first
    while last + 1 < current.size and below[last + 1]:
        last += 1
    if last + 1 >= current.size:
        return None  # the phase runs past the window
    start = _crossing(t, current, first - 1, half)
    end = _crossing(t, current, last, half)
    plateau = current[first : last + 1]
    trim = plateau.size // 10
    amplitude = -float(np.median(plateau[trim : plateau.size - trim] if plateau.size > 4 else plateau))
    return start, end, amplitude


def _recharge(
    current: np.ndarray, t: np.ndarray, end_us: float, next_onset_us: float
) -> tuple[float, float, float, float] | None:
    """(start µs, peak µA, τ µs, charge µC up to the next onset) of the passive recharge, or None."""
    after = (t > end_us) & (t < next_onset_us)
    if not np.any(after):
        return None
    index = np.flatnonzero(after)
    peak = float(np.max(current[index]))
    if peak <= 5 * _noise(current, t):
        return None
    half = peak / 2
    rising = index[current[index] >= half]
    first = int(rising[0])
    start = _crossing(t, current, first - 1, half)
    tail = index[index >= first]
    levels = current[tail]
    fit = tail[levels > max(0.05 * peak, 3 * _noise(current, t))]  # above the noise: the log means something
    decay = _decay(t[fit] - start, current[fit]) if fit.size >= 3 else None
    seen = (float(np.trapezoid(np.maximum(levels, 0), t[tail])) + current[first] * (t[first] - start)) * 1e-6
    if decay is None:
        return start, peak, math.nan, seen
    level0, tau = decay
    end_seen = float(t[tail[-1]])
    rest = max(0.0, next_onset_us - end_seen)
    tail_charge = level0 * math.exp(-(end_seen - start) / tau) * tau * -math.expm1(-rest / tau) * 1e-6
    return start, level0, tau, seen + tail_charge


def _decay(t: np.ndarray, current: np.ndarray) -> tuple[float, float] | None:
    """(level at t = 0, τ) of an exponential decay: a straight line through log(current),
    weighted by the current so that the noisy low samples count less."""
    slope, intercept = np.polyfit(t, np.log(current), 1, w=current)
    return (math.exp(float(intercept)), -1 / float(slope)) if slope < 0 else None


def _noise(current: np.ndarray, t: np.ndarray) -> float:
    """The converters' noise: the spread of the sample-to-sample differences, which a
    pulse's few edges do not move."""
    differences = np.diff(current)
    return float(np.median(np.abs(differences - np.median(differences)))) * 1.4826 / math.sqrt(2) + 1.0


def _crossing(t: np.ndarray, values: np.ndarray, i: int, level: float) -> float:
    """Time where values cross `level` between samples i and i + 1, interpolated."""
    a, b = values[i], values[i + 1]
    if a == b:
        return float(t[i])
    return float(t[i] + (level - a) / (b - a) * (t[i + 1] - t[i]))


def _compare(
    quantity: Quantity,
    measured: float,
    programmed: float,
    unit: str,
    tolerance: str,
    sample_us: float,
    decimals: int = 1,
) -> Reading:
    rule = TOLERANCE[tolerance]
    allowed = rule.allowed(programmed, sample_us if unit == "µs" else 0.0)
    measured = float(measured)
    difference = measured - programmed
    flagged = bool(abs(difference) > allowed)
    text = f"{round(measured, decimals) + 0.0:.{decimals}f} {unit}"  # + 0.0: never "-0.0"
    if programmed:
        how = f"{abs(difference) / abs(programmed):.1%} {'high' if difference > 0 else 'low'}"
        note = f"programmed {programmed:.{decimals}f} {unit}: " + (how if flagged else "as programmed")
    else:
        note = f"{'outside' if flagged else 'within'} ±{allowed:.{decimals}f} {unit}"
    return Reading(quantity, measured, programmed, unit, flagged, text, note)


def _compliance(voltage: np.ndarray, caps: Capabilities, amplitude: float, programmed_ua: float) -> Reading:
    peak_mv = float(-np.min(voltage))
    at_limit = bool(peak_mv >= caps.compliance_mv - COMPLIANCE_MARGIN_MV)
    short = bool(programmed_ua - amplitude > TOLERANCE["amplitude"].allowed(programmed_ua, 0))
    clipped = at_limit and short
    limit = caps.compliance_v
    if clipped:
        note = f"CLIPPED: the electrode reached the {limit:g} V compliance, so less current than programmed"
    elif at_limit:
        note = f"at the {limit:g} V compliance, current still as programmed"
    else:
        note = f"{limit - peak_mv / 1000:.1f} V below the {limit:g} V compliance"
    return Reading(Quantity.COMPLIANCE, peak_mv / 1000, limit, "V", clipped, f"{peak_mv / 1000:.1f} V peak", note)


def _no_pulse(capture: PulseCapture, programmed_ua: float) -> PulseAnalysis:
    expected = programmed_ua > 0
    note = "programmed on: no pulse delivered" if expected else "lead off or at 0 µA: no pulse expected"
    return PulseAnalysis(
        capture.lead,
        capture.triggered,
        (Reading(Quantity.AMPLITUDE, None, programmed_ua, "µA", expected, "no pulse", note),),
    )


def _duration(us: float) -> str:
    if not math.isfinite(us):
        return "—"
    return f"{us / 1000:.1f} ms" if us >= 1000 else f"{us:.0f} µs"


def average(captures: list[PulseCapture]) -> tuple[np.ndarray, np.ndarray]:
    """Sample-by-sample mean (current µA, voltage mV) of triggered captures on one time base:
    the converters' noise falls by √n, the pulse stays."""
    current = np.mean([c.current_ua for c in captures], axis=0)
    voltage = np.mean([c.voltage_mv for c in captures], axis=0)
    return current, voltage
