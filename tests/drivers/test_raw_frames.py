"""The device's own limits hold when the client is bypassed and raw frames
are written straight to the bulk endpoint through pyusb."""

from __future__ import annotations

import pytest

from drivers import usb_ids
from drivers.links import open_link
from drivers.protocol.frame import Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    AmplitudeRequest,
    CommitRequest,
    ErrorReply,
    MsgType,
    StageBegin,
    StimulationRequest,
    decode_reply,
    program_crc,
    spec_for,
)
from drivers.protocol.status import Status
from drivers.types import LeadConfig, Polarity, Program

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


@pytest.fixture
def link():
    link = open_link("sim://0?pair=1&impedance_ms=1&latency_ms=0")
    yield link
    link.close()


def raw(link, mtype: MsgType, body=None, payload: bytes | None = None):
    """Write one hand-made frame to EP 0x01, sealed under the link's session as a paired host
    seals it (docs/protocol.md §7), and decode what comes back on EP 0x81."""
    spec = spec_for(mtype)
    dev = link.transport.device
    session = link.client.session
    counter = session.next_counter()
    frame = Frame(mtype, counter & 0xFFFF, spec.request.encode(body) if payload is None else payload)
    dev.write(usb_ids.EP_COMMAND_OUT, session.seal(frame, counter))
    reply = decode_frame(bytes(dev.read(usb_ids.EP_REPLY_IN, 70000, 1000)))
    assert reply.seq == frame.seq
    session.check_reply(reply, counter)
    return decode_reply(spec, reply.payload)


def refused(reply) -> Status:
    assert isinstance(reply, ErrorReply), reply
    assert reply.detail  # a sentence saying why
    return reply.status


@pytest.mark.parametrize(
    "config, status",
    [
        (LeadConfig(1, (P, M, O, O), amplitude_ua=6050, patient_max_ua=6000), Status.OUT_OF_RANGE),
        (LeadConfig(1, (P, M, O, O), amplitude_ua=1010, patient_max_ua=6000), Status.OFF_STEP),
        (LeadConfig(1, (P, M, O, O), pulse_width_us=730), Status.OUT_OF_RANGE),
        (LeadConfig(1, (P, M, O, O), amplitude_ua=3000, patient_max_ua=2000), Status.ABOVE_PATIENT_MAX),
        (LeadConfig(1, (P, M, O, O), 6000, 720, 20, False, 6000), Status.CHARGE_DENSITY),
        (LeadConfig(9, (P, M, O, O)), Status.OUT_OF_RANGE),
    ],
)
def test_raw_lead_writes_outside_the_limits_are_refused_and_change_nothing(link, config, status):
    link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=6000))  # same contacts: values are live
    before = link.simulator.model.live_leads
    assert refused(raw(link, MsgType.WRITE_LEAD, config)) == status
    assert link.simulator.model.live_leads == before


def test_raw_amplitude_above_patient_max_and_enable_without_impedance_are_refused(link):
    link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=1000))
    assert refused(raw(link, MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 1025))) == Status.ABOVE_PATIENT_MAX
    assert refused(raw(link, MsgType.SET_STIMULATION, StimulationRequest(1, True))) == Status.IMPEDANCE_REQUIRED
    assert link.simulator.model.outputs_on == ()


def test_raw_amplitude_on_a_lead_without_an_anode_is_refused(link):
    link.client.write_lead(LeadConfig(1, (M, M, O, O), patient_max_ua=6000))
    assert refused(raw(link, MsgType.SET_AMPLITUDE, AmplitudeRequest(1, 100))) == Status.BAD_CONTACTS
    assert link.simulator.model.live_leads[0].amplitude_ua == 0


def test_raw_commit_with_a_wrong_crc_keeps_the_stored_program(link):
    before = link.simulator.model.stored_program
    program = Program("Raw", (LeadConfig(1, (P, M, O, O), 100, 200, 20, True, 1000),))
    raw(link, MsgType.STAGE_BEGIN, StageBegin("Raw"))
    raw(link, MsgType.STAGE_LEAD, program.leads[0])
    assert refused(raw(link, MsgType.COMMIT_PROGRAM, CommitRequest(program_crc(program) ^ 1))) == Status.PROGRAM_CRC
    assert link.simulator.model.stored_program == before


def test_raw_commit_of_an_unsafe_staged_lead_is_refused_whole(link):
    before = link.simulator.model.stored_program
    good = LeadConfig(1, (P, M, O, O), 100, 200, 20, True, 1000)
    bad = LeadConfig(2, (P, M, O, O), 6000, 720, 20, True, 6000)
    raw(link, MsgType.STAGE_BEGIN, StageBegin("Mixed"))
    raw(link, MsgType.STAGE_LEAD, good)
    raw(link, MsgType.STAGE_LEAD, bad)
    crc = program_crc(Program("Mixed", (good, bad)))
    assert refused(raw(link, MsgType.COMMIT_PROGRAM, CommitRequest(crc))) == Status.CHARGE_DENSITY
    assert link.simulator.model.stored_program == before


def test_garbage_payload_and_unknown_type_get_typed_refusals(link):
    assert refused(raw(link, MsgType.WRITE_LEAD, payload=b"\x01\x02")) == Status.BAD_PAYLOAD
    dev = link.transport.device
    dev.write(usb_ids.EP_COMMAND_OUT, encode_frame(Frame(0x6E, 5, b"")))
    reply = decode_frame(bytes(dev.read(usb_ids.EP_REPLY_IN, 70000, 1000)))
    assert reply.type == 0x6E | 0x80 and reply.payload[0] == Status.UNKNOWN_MESSAGE
