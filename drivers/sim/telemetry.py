"""Pacing of the telemetry stream against the clock.

Samples due = floor((now - t0) * rate) - produced; they leave in blocks of
clamp(rate * 3 ms, 1, MAX_TELEMETRY_SAMPLES) samples per lead (about 333
blocks a second), several in a row when the reader is behind. A sample
waits in the device until its block is full, so a short block keeps the
oldest sample of a display frame young (bench/latency_to_screen.py: 10 ms
blocks cost about 5 ms of its p99). A reader more than a second behind
loses the backlog: the stream skips ahead and the next block's
first_sample jumps, so the gap shows on the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from drivers.protocol.messages import MAX_TELEMETRY_SAMPLES

BLOCK_MS = 3  # the samples of 3 ms per block: see the module docstring
MAX_BACKLOG_S = 1.0


@dataclass(frozen=True)
class TelemetryStats:
    rate_hz: int
    leads: tuple[int, ...]
    block_samples: int
    blocks_sent: int
    samples_sent: int  # per lead
    samples_skipped: int  # per lead, lost because the reader fell behind


class TelemetryStream:
    def __init__(self, rate_hz: int, leads: tuple[int, ...], started_at: float) -> None:
        self.rate_hz, self.leads, self._t0 = rate_hz, leads, started_at
        self.block_samples = max(1, min(rate_hz * BLOCK_MS // 1000, MAX_TELEMETRY_SAMPLES))
        self._produced = 0
        self._blocks = 0
        self._skipped = 0

    def take_block(self, now: float) -> int | None:
        """First sample index of the next block if it is due, else None."""
        # the epsilon keeps float rounding from holding back a block due_in() called due
        available = math.floor((now - self._t0) * self.rate_hz + 1e-6)
        backlog = available - self._produced
        if backlog > self.rate_hz * MAX_BACKLOG_S + self.block_samples:
            skip = backlog - self.block_samples
            self._produced += skip
            self._skipped += skip
        if available - self._produced < self.block_samples:
            return None
        first = self._produced
        self._produced += self.block_samples
        self._blocks += 1
        return first

    def due_in(self, now: float) -> float:
        """Seconds until the next block is complete (0 when one is already due)."""
        due_at = self._t0 + (self._produced + self.block_samples) / self.rate_hz
        return max(0.0, due_at - now)

    @property
    def stats(self) -> TelemetryStats:
        return TelemetryStats(
            self.rate_hz, self.leads, self.block_samples, self._blocks, self._blocks * self.block_samples, self._skipped
        )
