"""The live window's pixel columns (ui/waveforms/columns.py) against a brute-force reduction of
every sample written, whatever the blocks, windows, widths and clears that came before."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.types import TelemetryBlock
from ui.waveforms.columns import LiveColumns
from ui.waveforms.ring import SampleRing

CAPACITY = 600

steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(1, 250)),
        st.tuples(st.just("view"), st.tuples(st.integers(1, CAPACITY), st.integers(1, 80))),
        st.tuples(st.just("clear"), st.none()),
        st.tuples(st.just("new ring"), st.none()),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steps=steps, seed=st.integers(0, 2**16))
def test_each_column_is_the_min_and_max_of_the_newest_samples_it_covers(steps, seed):
    rng = np.random.default_rng(seed)
    ring, live = SampleRing(2, CAPACITY), LiveColumns()
    written: list[np.ndarray] = []  # every sample since the last clear, lead 1 current only
    window, pixels = 200, 40
    for kind, arg in steps:
        if kind == "write":
            values = rng.integers(-3000, 3000, size=(2, arg), dtype=np.int16)
            ring.write(TelemetryBlock(ring.total, 1, (1, 2), values, -values))
            written.append(values[0])
        elif kind == "view":
            window, pixels = arg
        elif kind == "clear":
            ring.clear()
            written.clear()
        else:  # the view makes a new ring for a new stream rate
            ring = SampleRing(2, CAPACITY)
            written.clear()
        if not written:
            continue
        samples = np.concatenate(written)
        times, stats = live.reduce(ring, min(window, ring.filled), pixels)
        spc = max(1, -(-min(window, ring.filled) // pixels))
        # the newest column ends at the newest sample; the others are spc long, back to back
        newest = samples.size - 1
        centres = times + newest  # at 1 Hz, seconds are samples
        last_start = round(2 * centres[-1] - newest)
        starts = np.append(last_start - spc * np.arange(times.size - 1, 0, -1), last_start)
        assert np.allclose(centres[:-1], starts[:-1] + (spc - 1) / 2)
        assert 1 <= newest - last_start + 1 <= spc
        assert starts[0] >= samples.size - ring.filled  # nothing older than the ring holds
        assert samples.size - starts[0] >= min(window, ring.filled) - spc  # the window is covered
        assert times.size <= pixels + 1
        ends = np.append(starts[1:], newest + 1)
        for column, (a, b) in enumerate(zip(starts, ends)):
            assert stats[0, 0, column] == samples[a:b].min() and stats[1, 0, column] == samples[a:b].max()
            assert stats[2, 0, column] == -samples[a:b].max() and stats[3, 0, column] == -samples[a:b].min()
