"""Hypothesis strategies derived from the protocol's codecs, so every
message the catalogue declares is generated without a hand-written twin."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from drivers.protocol import schema
from drivers.protocol.messages import LEAD_CONFIG, MAX_LEADS, CaptureCodec, TelemetryCodec
from drivers.types import PulseCapture, TelemetryBlock


def _text(max_bytes: int):
    return st.text(max_size=max_bytes).filter(lambda s: len(s.encode("utf-8")) <= max_bytes)


@st.composite
def telemetry_blocks(draw):
    leads = tuple(sorted(draw(st.lists(st.integers(1, MAX_LEADS), min_size=1, max_size=4, unique=True))))
    n = draw(st.integers(0, 64))
    ints = st.integers(-32768, 32767)
    cur = np.array(draw(st.lists(ints, min_size=len(leads) * n, max_size=len(leads) * n)), dtype=np.int16)
    volt = np.array(draw(st.lists(ints, min_size=len(leads) * n, max_size=len(leads) * n)), dtype=np.int16)
    return TelemetryBlock(
        draw(st.integers(0, 2**64 - 1)),
        draw(st.integers(1, 2**32 - 1)),
        leads,
        cur.reshape(len(leads), n),
        volt.reshape(len(leads), n),
    )


@st.composite
def pulse_captures(draw):
    n = draw(st.integers(0, 64))
    ints = st.lists(st.integers(-32768, 32767), min_size=n, max_size=n)
    return PulseCapture(
        draw(st.integers(1, 2**32 - 1)),
        draw(st.integers(0, n)),
        draw(st.booleans()),
        draw(values_for(LEAD_CONFIG)),
        np.array(draw(ints), dtype=np.int16),
        np.array(draw(ints), dtype=np.int16),
    )


def values_for(codec: schema.Codec):
    """A strategy producing every value `codec` can encode."""
    if isinstance(codec, schema.Int):
        return st.integers(codec.min, codec.max)
    if isinstance(codec, schema.Bool):
        return st.booleans()
    if isinstance(codec, schema.Enum):
        return st.sampled_from(list(codec.enum))
    if isinstance(codec, schema.Str):
        return _text(codec.max_bytes)
    if isinstance(codec, schema.Seq):
        return st.lists(values_for(codec.item), max_size=min(codec.max_items, 6)).map(tuple)
    if isinstance(codec, schema.Bytes):
        return st.binary(min_size=codec.n, max_size=codec.n)
    if isinstance(codec, schema.Fixed):
        return st.tuples(*[values_for(codec.item)] * codec.n)
    if isinstance(codec, schema.Record):
        return st.builds(codec.cls, **{name: values_for(c) for name, c in codec.fields.items()})
    if isinstance(codec, schema.Empty):
        return st.none()
    if isinstance(codec, TelemetryCodec):
        return telemetry_blocks()
    if isinstance(codec, CaptureCodec):
        return pulse_captures()
    raise TypeError(f"no strategy for {codec!r}")
