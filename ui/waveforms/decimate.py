"""Min/max decimation per pixel column (Qt-free numpy).

Stroking a curve costs time per point, so each curve is reduced to the
minimum and maximum of the samples behind every pixel column: about two
points per pixel, and every peak (a 300 µs pulse is 30 samples among
thousands per column) still reaches the screen. The window is read straight
out of a circular buffer, in at most two contiguous slices, without copying.
"""

from __future__ import annotations

import numpy as np


def column_edges(n: int, columns: int) -> np.ndarray:
    """Index of the first sample of each of min(columns, n) near-equal bins of n >= 1 samples."""
    columns = max(1, min(columns, n))
    return np.arange(columns, dtype=np.int64) * n // columns


def minmax(data: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of data[..., edges[i]:edges[i+1]] (the last bin runs to the end)."""
    return np.minimum.reduceat(data, edges, axis=-1), np.maximum.reduceat(data, edges, axis=-1)


def minmax_window(ring: np.ndarray, start: int, n: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin (min, max) of the n >= 1 samples of a circular buffer that begin at `start`.

    `ring` has samples on its last axis; the window may wrap past its end.
    `edges` are bin starts within the window (column_edges(n, ...)).
    Returns arrays of shape ring.shape[:-1] + (len(edges),).
    """
    capacity = ring.shape[-1]
    before_wrap = capacity - start
    if n <= before_wrap:
        return minmax(ring[..., start : start + n], edges)
    head_edges = edges[edges < before_wrap]
    tail_edges = edges[edges >= before_wrap] - before_wrap
    split_bin = tail_edges.size == 0 or tail_edges[0] != 0
    if split_bin:  # one bin straddles the wrap: reduce both parts, then merge them
        tail_edges = np.concatenate(([0], tail_edges))
    lo_a, hi_a = minmax(ring[..., start:], head_edges)
    lo_b, hi_b = minmax(ring[..., : n - before_wrap], tail_edges)
    if split_bin:
        lo_a[..., -1] = np.minimum(lo_a[..., -1], lo_b[..., 0])
        hi_a[..., -1] = np.maximum(hi_a[..., -1], hi_b[..., 0])
        lo_b, hi_b = lo_b[..., 1:], hi_b[..., 1:]
    return np.concatenate((lo_a, lo_b), axis=-1), np.concatenate((hi_a, hi_b), axis=-1)


def interleave(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """lo0, hi0, lo1, hi1, ...: one vertical stroke per column when drawn as a polyline."""
    out = np.empty(lo.shape[:-1] + (2 * lo.shape[-1],), dtype=np.result_type(lo, hi))
    out[..., 0::2] = lo
    out[..., 1::2] = hi
    return out


def column_times(edges: np.ndarray, n: int, rate_hz: float) -> np.ndarray:
    """Time of each bin's centre in seconds, relative to the newest sample (0, older negative)."""
    ends = np.append(edges[1:], n)
    return ((edges + ends - 1) / 2 - (n - 1)) / rate_hz
