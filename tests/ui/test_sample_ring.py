"""The waveform view's ring of the newest samples (moved here from drivers/telemetry.py with SampleRing)."""

from __future__ import annotations

import numpy as np

from drivers.types import TelemetryBlock
from ui.waveforms.ring import SampleRing


def test_ring_keeps_the_newest_samples_in_order():
    ring = SampleRing(lead_count=4, capacity=10)
    for first in range(0, 30, 7):
        values = np.arange(first, first + 7, dtype=np.int16)
        ring.write(TelemetryBlock(first, 1000, (2,), values[None, :], -values[None, :]))
    current, voltage = ring.latest(10)
    assert current[1].tolist() == list(range(25, 35))
    assert voltage[1].tolist() == [-v for v in range(25, 35)]
    assert not current[0].any()
    assert ring.total == 35
