"""Property tests of the pure codec: every message round-trips, and any
bytes at all give a frame, a value or a ProtocolError, never another exception."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import values_for

from drivers.errors import ProtocolError
from drivers.protocol.frame import MAC_SIZE, REPLY_BIT, Frame, decode_frame, encode_frame
from drivers.protocol.messages import MESSAGES, ErrorReply, decode_reply, encode_reply
from drivers.protocol.status import Status

SPECS = list(MESSAGES.values())
IDS = [spec.type.name for spec in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data(), seq=st.integers(0, 0xFFFF))
@settings(max_examples=60, deadline=None)
def test_every_request_round_trips_through_a_frame(spec, data, seq):
    value = data.draw(values_for(spec.request))
    raw = encode_frame(Frame(spec.type, seq, spec.request.encode(value)))
    frame = decode_frame(raw)
    assert (frame.type, frame.seq) == (spec.type, seq)
    assert spec.request.decode(frame.payload) == value


@pytest.mark.parametrize("spec", [s for s in SPECS if s.reply is not None], ids=lambda s: s.type.name)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_every_reply_round_trips(spec, data):
    value = data.draw(values_for(spec.reply))
    payload = encode_reply(spec, Status.OK, value)
    assert decode_reply(spec, payload) == value


@pytest.mark.parametrize("spec", [s for s in SPECS if s.reply is not None], ids=lambda s: s.type.name)
@given(status=st.sampled_from([s for s in Status if s != Status.OK]), detail=st.text(max_size=300))
@settings(max_examples=30, deadline=None)
def test_refusals_round_trip_with_their_sentence(spec, status, detail):
    reply = decode_reply(spec, encode_reply(spec, status, detail=detail))
    assert isinstance(reply, ErrorReply) and reply.status == status
    assert detail.startswith(reply.detail) and len(reply.detail.encode()) <= 255


@given(
    payload=st.binary(max_size=200),
    mac=st.none() | st.binary(min_size=MAC_SIZE, max_size=MAC_SIZE),
    mtype=st.integers(0, 255),
)
def test_frames_with_a_mac_round_trip(payload, mac, mtype):
    frame = Frame(mtype, 7, payload, mac)
    assert decode_frame(encode_frame(frame)) == frame
    assert Frame(mtype | REPLY_BIT, 7).is_reply


@given(raw=st.binary(max_size=600))
@settings(max_examples=500)
def test_arbitrary_bytes_give_a_frame_or_a_protocol_error(raw):
    try:
        decode_frame(raw)
    except ProtocolError:
        pass


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(raw=st.binary(max_size=300))
@settings(max_examples=150, deadline=None)
def test_arbitrary_payloads_give_a_value_or_a_protocol_error(spec, raw):
    for decode in (spec.request.decode, *((lambda b: decode_reply(spec, b)),) * (spec.reply is not None)):
        try:
            decode(raw)
        except ProtocolError:
            pass


@given(payload=st.binary(max_size=100), bit=st.integers(0, 8 * 200))
def test_any_single_flipped_bit_is_detected(payload, bit):
    raw = bytearray(encode_frame(Frame(0x11, 3, payload)))
    bit %= 8 * len(raw)
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(ProtocolError):
        decode_frame(bytes(raw))


def test_truncated_and_extended_frames_are_refused():
    raw = encode_frame(Frame(0x01, 1, b"abc"))
    for bad in (raw[:-1], raw + b"\0", raw[:5], b""):
        with pytest.raises(ProtocolError):
            decode_frame(bad)
