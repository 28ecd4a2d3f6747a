"""Min/max decimation keeps every peak, also across the wrap of the ring."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ui.waveforms.decimate import column_edges, column_times, interleave, minmax, minmax_window

samples = arrays(np.int16, st.tuples(st.integers(1, 4), st.integers(1, 3000)))


def brute_force(data: np.ndarray, edges: np.ndarray):
    bounds = list(edges) + [data.shape[-1]]
    lo = np.stack([data[..., a:b].min(axis=-1) for a, b in zip(bounds, bounds[1:])], axis=-1)
    hi = np.stack([data[..., a:b].max(axis=-1) for a, b in zip(bounds, bounds[1:])], axis=-1)
    return lo, hi


@given(n=st.integers(1, 100_000), columns=st.integers(1, 4000))
def test_edges_split_every_sample_into_nonempty_bins(n, columns):
    edges = column_edges(n, columns)
    assert edges[0] == 0
    assert len(edges) == min(n, columns)
    assert np.all(np.diff(edges) >= 1)
    widths = np.diff(np.append(edges, n))
    assert widths.max() - widths.min() <= 1  # near-equal columns


@settings(max_examples=200)
@given(data=samples, columns=st.integers(1, 800))
def test_each_column_holds_the_min_and_max_of_its_raw_samples(data, columns):
    edges = column_edges(data.shape[-1], columns)
    lo, hi = minmax(data, edges)
    expected_lo, expected_hi = brute_force(data, edges)
    np.testing.assert_array_equal(lo, expected_lo)
    np.testing.assert_array_equal(hi, expected_hi)
    np.testing.assert_array_equal(lo.min(axis=-1), data.min(axis=-1))  # no peak is lost
    np.testing.assert_array_equal(hi.max(axis=-1), data.max(axis=-1))


@settings(max_examples=300)
@given(
    ring=arrays(np.int16, st.tuples(st.integers(1, 3), st.integers(1, 2000))),
    start_frac=st.floats(0, 1, exclude_max=True),
    n_frac=st.floats(0, 1),
    columns=st.integers(1, 700),
)
def test_window_across_the_wrap_equals_the_unwrapped_window(ring, start_frac, n_frac, columns):
    capacity = ring.shape[-1]
    start = int(start_frac * capacity)
    n = max(1, int(n_frac * capacity))
    window = np.take(ring, np.arange(start, start + n), axis=-1, mode="wrap")
    edges = column_edges(n, columns)
    lo, hi = minmax_window(ring, start, n, edges)
    expected_lo, expected_hi = brute_force(window, edges)
    np.testing.assert_array_equal(lo, expected_lo)
    np.testing.assert_array_equal(hi, expected_hi)


def test_a_single_sample_pulse_survives_heavy_decimation():
    data = np.zeros(1_000_000, dtype=np.int16)
    data[123_457] = -1500
    lo, hi = minmax(data, column_edges(data.size, 600))
    assert lo.min() == -1500 and np.count_nonzero(lo) == 1
    assert not hi.any()


def test_interleave_alternates_min_and_max():
    assert interleave(np.array([1, 2]), np.array([5, 6])).tolist() == [1, 5, 2, 6]


@given(n=st.integers(1, 50_000), columns=st.integers(1, 900))
def test_column_times_increase_and_end_at_the_newest_sample(n, columns):
    rate = 1000.0
    times = column_times(column_edges(n, columns), n, rate)
    assert np.all(np.diff(times) > 0)
    assert times[0] >= -(n - 1) / rate and times[-1] <= 0
    if columns >= n:  # one sample per column: exactly the sample times
        np.testing.assert_allclose(times, (np.arange(n) - (n - 1)) / rate)
