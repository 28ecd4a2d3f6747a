"""The programmed pulse, drawn over the captured one: what the settings ask the device for.
Qt-free (numpy), so it is tested without a display."""

from __future__ import annotations

import math

import numpy as np

from drivers.types import LeadConfig


def programmed_pulse(config: LeadConfig, interphase_us: float, tau_us: float, times_us: np.ndarray) -> np.ndarray:
    """Current (µA) the program asks for at `times_us` (0: a pulse onset): −I for the pulse
    width, nothing through the interphase, then a passive recharge of time constant `tau_us`
    (the load's, as measured) returning exactly the phase's charge before the next pulse.
    A lead that is off or at 0 µA is a flat line."""
    amplitude = config.amplitude_ua if config.delivering else 0
    if amplitude == 0:
        return np.zeros_like(times_us)
    width, period = config.pulse_width_us, 1e6 / config.frequency_hz
    phase = np.mod(times_us, period)
    since = phase - width - interphase_us
    if not math.isfinite(tau_us) or tau_us <= 0:
        recharge = np.zeros_like(times_us)
    else:
        rest = period - width - interphase_us
        level = amplitude * width / (tau_us * -math.expm1(-rest / tau_us))
        recharge = level * np.exp(-np.maximum(since, 0.0) / tau_us)
    result: np.ndarray = np.where(phase < width, -float(amplitude), np.where(since < 0, 0.0, recharge))
    return result
