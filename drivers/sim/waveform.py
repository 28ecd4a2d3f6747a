"""Delivered current and electrode voltage, sampled for telemetry.

The pulse is charge-balanced biphasic, cathodic first: a constant current
-I for the pulse width, an interphase gap with the output open (no current;
the double layer holds its charge), then passive recharge through the double
layer, an exponential positive current with time constant R*C. In the steady
state of a pulse train (the output coupling capacitor lets no DC through) the
recharge returns exactly the charge Q = I*PW within the rest of the period,
so the double layer holds V0 = Q / (C * (1 - exp(-rest/RC))) at the end of
the cathodic phase. Electrode voltage = I*R + double-layer voltage. The
current source cannot exceed the compliance voltage: when the peak I*R + V0
would pass it, the delivered current is clipped to what the compliance
allows (an open contact shows as almost no current at full compliance).
All leads of a block are computed at once with numpy: no per-sample Python.
The telemetry stream (`render`) and the triggered pulse capture (`capture`)
sample this one model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from drivers.sim.tissue import DrivePath


@dataclass(frozen=True)
class LeadDrive:
    """What one lead delivers: current after compliance clipping, timing and load."""

    amplitude_ua: float
    pulse_width_us: int
    frequency_hz: int
    path: DrivePath
    interphase_us: int = 0

    @classmethod
    def idle(cls) -> LeadDrive:
        return cls(0.0, 40, 60, DrivePath(r_ohm=1.0, c_f=1.0))


def delivered_ua(
    requested_ua: int,
    pulse_width_us: int,
    frequency_hz: int,
    path: DrivePath,
    compliance_v: float,
    interphase_us: int = 0,
) -> float:
    """The current the source can hold through the whole cathodic phase."""
    if requested_ua <= 0 or not math.isfinite(path.r_ohm) or path.c_f <= 0:
        return 0.0
    pw = pulse_width_us * 1e-6
    settle = -math.expm1(-(1 / frequency_hz - pw - interphase_us * 1e-6) / path.tau_s)
    peak_ohm = path.r_ohm + pw / (path.c_f * settle)  # peak voltage per ampere
    return min(float(requested_ua), compliance_v / peak_ohm * 1e6)


def render(drives: Sequence[LeadDrive], first_sample: int, n: int, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples first_sample .. first_sample+n-1 of every drive: (current µA, voltage mV), int16 (leads, n).
    Pulses start at whole periods of stream time."""
    t = (first_sample + np.arange(n, dtype=np.float64)) / rate_hz
    current, voltage = _sample(drives, np.broadcast_to(t, (len(drives), n)))
    return as_int16(current * 1e6), as_int16(voltage * 1e3)


def capture(drive: LeadDrive, pre_samples: int, n: int, rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """n samples of one drive around a pulse onset at sample pre_samples: (current A, voltage V), float."""
    t = (np.arange(n, dtype=np.float64) - pre_samples) / rate_hz
    current, voltage = _sample([drive], t[None, :])
    return current[0], voltage[0]


def _sample(drives: Sequence[LeadDrive], t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current (A) and electrode voltage (V) of every drive at times t (s, shape (leads, n)),
    pulses starting at t = 0 and every period from it."""

    def column(values: Sequence[float]) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)[:, None]

    amp = column([d.amplitude_ua * 1e-6 for d in drives])
    pw = column([d.pulse_width_us * 1e-6 for d in drives])
    gap = column([d.interphase_us * 1e-6 for d in drives])
    period = column([1.0 / d.frequency_hz for d in drives])
    r = column([d.path.r_ohm for d in drives])
    c = column([d.path.c_f for d in drives])
    tau = r * c
    v0 = amp * pw / (c * -np.expm1(-(period - pw - gap) / tau))  # double layer at the end of the cathodic phase
    phase = np.mod(t, period)
    since_pulse = phase - pw
    cathodic = since_pulse < 0
    recharge = v0 * np.exp(-np.maximum(since_pulse - gap, 0.0) / tau)  # held at v0 through the interphase
    current = np.where(cathodic, -amp, np.where(since_pulse < gap, 0.0, recharge / r))
    double_layer = -np.where(cathodic, v0 + amp * since_pulse / c, recharge)
    return current, current * r + double_layer


def as_int16(values: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.clip(np.rint(values), -32768, 32767).astype(np.int16)
    return result
