"""Export of the visible waveforms: raw samples as CSV, the plots as PNG.

The CSV holds every raw sample of the visible window (not the decimated
curve), one row per sample, so it can be re-analysed elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QWidget


def csv_header(leads: Iterable[int]) -> str:
    return ",".join(["time_s"] + [f"lead{n}_{kind}" for n in leads for kind in ("current_ua", "voltage_mv")])


def write_csv(path: str | Path, first_sample: int, rate_hz: int, current_ua: np.ndarray, voltage_mv: np.ndarray) -> int:
    """Write samples (leads × n arrays, lead k in row k-1) with their stream time; returns the row count.

    time_s counts seconds since the stream started (first_sample / rate_hz
    for the first row).
    """
    lead_count, n = current_ua.shape
    table = np.empty((n, 1 + 2 * lead_count), dtype=np.float64)
    table[:, 0] = (first_sample + np.arange(n)) / rate_hz
    table[:, 1::2] = current_ua.T
    table[:, 2::2] = voltage_mv.T
    np.savetxt(
        path,
        table,
        fmt=["%.6f"] + ["%d"] * (2 * lead_count),
        delimiter=",",
        header=csv_header(range(1, lead_count + 1)),
        comments="",
    )
    return n


def write_png(widget: QWidget, path: str | Path) -> None:
    """Save what `widget` shows as a PNG image."""
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
