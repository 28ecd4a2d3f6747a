"""The programmed pulse train drawn dashed over a lead's delivered current: the
ideal trace of its settings, phased to the pulses the lead actually delivered."""

from __future__ import annotations

import math

import numpy as np

from drivers.types import LeadConfig


def programmed_trace(config: LeadConfig, start_s: float, end_s: float, onset_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (time s, current µA) of the ideal programmed pulse train over [start_s, end_s].

    Charge-balanced biphasic, cathodic first: -I for the pulse width, then a
    passive-recharge tail of I/10 for ten pulse widths (capped at the rest of
    the period) carrying the same charge back. Pulses start at onset_s plus
    whole periods. A disabled lead programs no current: a flat line.
    """
    amplitude = config.amplitude_ua if config.enabled else 0
    if amplitude == 0:
        return np.array([start_s, end_s]), np.zeros(2)
    period = 1.0 / config.frequency_hz
    width = config.pulse_width_us * 1e-6
    tail = min(10 * width, period - width)
    tail_ua = amplitude * width / tail
    offsets = np.array([0.0, 0.0, width, width, width + tail, width + tail])
    levels = np.array([0.0, -amplitude, -amplitude, tail_ua, tail_ua, 0.0])
    first = math.floor((start_s - onset_s) / period)
    last = math.ceil((end_s - onset_s) / period)
    starts = onset_s + period * np.arange(first, last + 1)
    return (starts[:, None] + offsets).ravel(), np.tile(levels, starts.size)


def pulse_onset_s(config: LeadConfig, lows: np.ndarray, times: np.ndarray, newest_s: float) -> float:
    """Time of the column where the newest delivered pulse starts, to phase the programmed overlay.

    `lows` are the per-column minima of the delivered current at `times`
    (seconds before the newest sample, newest_s of stream time). Falls back
    to pulses at whole periods of stream time when no pulse edge shows
    (nothing delivered, or more pulses than pixel columns).
    """
    threshold = -config.amplitude_ua / 2
    below = lows < threshold
    falling = np.flatnonzero(below[1:] & ~below[:-1]) + 1
    if config.amplitude_ua > 0 and falling.size:
        return float(times[falling[-1]])
    return math.floor(newest_s * config.frequency_hz) / config.frequency_hz - newest_s
