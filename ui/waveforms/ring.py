"""The waveform view's store of the newest samples: one preallocated numpy ring per
quantity (delivered current, electrode voltage), a row per lead. Qt-free."""

from __future__ import annotations

import numpy as np

from drivers.types import TelemetryBlock


class SampleRing:
    """Preallocated ring of the newest samples of each lead's current and voltage.

    `write` copies a block in with at most two slice assignments per lead;
    `latest` returns the newest samples in time order.
    """

    def __init__(self, lead_count: int, capacity: int) -> None:
        self.capacity = capacity
        self.current = np.zeros((lead_count, capacity), dtype=np.int16)
        self.voltage = np.zeros((lead_count, capacity), dtype=np.int16)
        self.head = 0  # index of the next sample to write
        self.filled = 0
        self.total = 0  # samples since the stream started (its first_sample count, gaps included)
        self.written = 0  # samples written into the ring (no gaps: the ring's own count)
        self.clears = 0  # how often it was emptied: what was reduced from it before is gone
        self.rate_hz = 0

    def write(self, block: TelemetryBlock) -> None:
        n = block.n_samples
        rows = [lead - 1 for lead in block.leads]
        cur, volt = block.current_ua, block.voltage_mv
        if n >= self.capacity:
            cur, volt, n = cur[:, -self.capacity :], volt[:, -self.capacity :], self.capacity
        first = min(n, self.capacity - self.head)
        self.current[rows, self.head : self.head + first] = cur[:, :first]
        self.voltage[rows, self.head : self.head + first] = volt[:, :first]
        if first < n:
            self.current[rows, : n - first] = cur[:, first:]
            self.voltage[rows, : n - first] = volt[:, first:]
        self.head = (self.head + n) % self.capacity
        self.written += n
        self.filled = min(self.capacity, self.filled + n)
        self.total = block.first_sample + block.n_samples
        self.rate_hz = block.rate_hz

    def latest(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The newest n samples (or fewer) of every lead: (current, voltage), oldest first."""
        n = min(n, self.filled)
        idx = (np.arange(self.head - n, self.head)) % self.capacity
        return self.current[:, idx], self.voltage[:, idx]

    def clear(self) -> None:
        self.head = self.filled = self.total = self.written = 0
        self.clears += 1
