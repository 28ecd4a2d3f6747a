"""Pixel columns that stay put on the stream, so a frame reduces only the samples that arrived.

Reducing the whole window to per-column min/max every frame costs in proportion to
the window: a 10 s window at 100 kS/s x 4 leads is 8 M samples, about a millisecond
of work at 60 frames a second, however little arrived (bench/plot_frame.py). Here a
column always covers the same samples (column k holds samples [k*spc, (k+1)*spc) in
the order the ring received them), so finished columns are kept and only new samples
are reduced; the newest, unfinished column is reduced again until it fills. Qt-free.
"""

from __future__ import annotations

import numpy as np

from ui.waveforms.decimate import minmax_window
from ui.waveforms.ring import SampleRing


def window_stats(ring: SampleRing, start: int, n: int, edges: np.ndarray) -> np.ndarray:
    """(lo current, hi current, lo voltage, hi voltage) x lead x bin of the n samples of the ring
    from index `start` (they may wrap), in bins starting at `edges` (decimate.column_edges)."""
    lo_i, hi_i = minmax_window(ring.current, start, n, edges)
    lo_v, hi_v = minmax_window(ring.voltage, start, n, edges)
    return np.stack((lo_i, hi_i, lo_v, hi_v))


class LiveColumns:
    """Per-column (min, max) of every lead's current and voltage over a live ring's newest window."""

    def __init__(self) -> None:
        self._ring: SampleRing | None = None  # the ring they were reduced from
        self._key: tuple[int, ...] = ()  # (its clears, samples per column, columns)
        self._done = 0  # samples (as the ring counts them) reduced into finished columns
        self._kept = 0  # finished columns held, at most the columns shown
        self._store = np.zeros((4, 0, 0), dtype=np.int16)  # (lo I, hi I, lo V, hi V) x lead x column slot

    def reduce(self, ring: SampleRing, window: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, stats): the centre of each column in seconds before the newest sample, oldest
        first, and stats[q, lead, column] for q = lo current, hi current, lo voltage, hi voltage,
        over about the newest `window` samples in at most `pixels` columns, and one more while the
        newest fills."""
        spc = max(1, -(-window // pixels))
        columns = -(-window // spc)
        oldest = ring.written - ring.filled
        if (
            ring is not self._ring
            or (ring.clears, spc, columns) != self._key
            or not oldest <= self._done <= ring.written
        ):
            self._restart(ring, spc, columns)
        self._finish_columns(ring, spc, columns)
        stats = self._ordered(columns)
        starts = self._done - spc * np.arange(stats.shape[-1], 0, -1)
        lengths = np.full(starts.size, spc)
        partial = ring.written - self._done
        if partial:
            stats = np.concatenate((stats, self._minmax(ring, self._done, partial, np.zeros(1, np.int64))), axis=-1)
            starts, lengths = np.append(starts, self._done), np.append(lengths, partial)
        times = ((2 * starts + lengths - 1) / 2 - (ring.written - 1)) / ring.rate_hz
        return times, stats

    def _restart(self, ring: SampleRing, spc: int, columns: int) -> None:
        self._ring, self._key = ring, (ring.clears, spc, columns)
        oldest = ring.written - ring.filled
        first = -(-max(oldest, ring.written - spc * columns) // spc) * spc  # the first whole column in the ring
        self._done = min(first, ring.written)
        self._kept = 0
        self._store = np.zeros((4, ring.current.shape[0], columns), dtype=np.int16)

    def _finish_columns(self, ring: SampleRing, spc: int, columns: int) -> None:
        count = (ring.written - self._done) // spc
        if count > columns:  # only the newest `columns` are shown
            self._done += (count - columns) * spc
            count = columns
        if count == 0:
            return
        stats = self._minmax(ring, self._done, count * spc, np.arange(count, dtype=np.int64) * spc)
        slots = (self._done // spc + np.arange(count)) % columns
        self._store[:, :, slots] = stats
        self._done += count * spc
        self._kept = min(columns, self._kept + count)

    def _ordered(self, columns: int) -> np.ndarray:
        """The finished columns held, oldest first."""
        spc = self._key[1]
        slots = (self._done // spc - np.arange(self._kept, 0, -1)) % columns
        return self._store[:, :, slots]

    @staticmethod
    def _minmax(ring: SampleRing, first: int, n: int, edges: np.ndarray) -> np.ndarray:
        return window_stats(ring, (ring.head - (ring.written - first)) % ring.capacity, n, edges)
