"""The y ranges of the waveform plots: symmetric about zero, on a 1-2-5 scale."""

from __future__ import annotations

import math

import pyqtgraph as pg


def nice_ceil(value: float) -> float:
    """Smallest 1, 2 or 5 times a power of ten that is >= value (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-12))


class StickyRange:
    """Symmetric y range on a 1-2-5 scale: grows at once, shrinks only when far too wide.

    Changing the range re-lays out the axis ticks, so it must not follow
    every frame's noise.
    """

    def __init__(self, plot: pg.PlotItem, floor: float) -> None:
        self.plot, self.floor, self.half = plot, floor, 0.0

    def fit(self, peak: float) -> None:
        want = nice_ceil(max(peak * 1.1, self.floor))
        if want > self.half or want * 4 < self.half:
            self.half = want
            self.plot.setYRange(-want, want, padding=0)

    def reset(self) -> None:
        self.half = 0.0
        self.fit(0.0)
