"""The authenticated link at the raw-frame level (docs/protocol.md §7): frames without a MAC,
forged, replayed and reordered are refused, counted and logged and change nothing; STOP ALL and
IDENTIFY work unpaired; pairing needs the confirmation on the device; an older host is told why."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from drivers import usb_ids
from drivers.client import PulseGenerator
from drivers.errors import AuthenticationFailed, DeviceRefused, NotPaired, PairingCancelled, ProtocolError
from drivers.keystore import FileKeyStore, MemoryKeyStore, PairedKey, default_keystore
from drivers.links import open_link
from drivers.protocol import auth
from drivers.protocol.frame import Frame, decode_frame, encode_frame
from drivers.protocol.messages import (
    ErrorReply,
    Hello,
    HelloReply,
    MsgType,
    decode_reply,
    spec_for,
)
from drivers.protocol.status import Status
from drivers.sim.clock import ManualClock
from drivers.sim.device import DeviceModel
from drivers.sim.direct import DirectTransport, command_frame, paired_client, paired_session
from drivers.sim.security import PAIRING_WINDOW_S, AuthRefusal
from drivers.types import EventCode, LeadConfig, Polarity

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
ON = LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)


def reply_of(model: DeviceModel, data: bytes, mtype: MsgType):
    return decode_reply(spec_for(mtype), decode_frame(model.handle_command(data)).payload)


def write_lead(session, config: LeadConfig = ON) -> bytes:
    return command_frame(session, MsgType.WRITE_LEAD, spec_for(MsgType.WRITE_LEAD).request.encode(config))[0]


def auth_refusals(model: DeviceModel) -> list[int]:
    return [e.value for e in model.events if e.code == EventCode.AUTH_REFUSED]


@pytest.fixture
def model():
    clock = ManualClock()
    return DeviceModel(clock=clock, sleep=clock.sleep)


def assert_refused_unchanged(model: DeviceModel, data: bytes, status: Status, reason: AuthRefusal) -> ErrorReply:
    live, stored, refusals = model.live_leads, model.stored_program, model.security.refusals
    reply = reply_of(model, data, MsgType.WRITE_LEAD)
    assert isinstance(reply, ErrorReply) and reply.status == status, reply
    assert reply.detail.endswith(".") and len(reply.detail) > 30
    assert model.live_leads == live and model.stored_program == stored
    assert model.security.refusals == refusals + 1 and auth_refusals(model)[-1] == reason
    return reply


def test_an_unauthenticated_therapy_command_is_refused_in_words_an_older_host_shows(model):
    """An older host sends no MAC: it gets UNSUPPORTED, a status it knows, and a sentence saying why."""
    data = encode_frame(Frame(MsgType.WRITE_LEAD, 5, spec_for(MsgType.WRITE_LEAD).request.encode(ON)))
    reply = assert_refused_unchanged(model, data, Status.UNSUPPORTED, AuthRefusal.NO_MAC)
    assert "authenticated link" in reply.detail and "update its software" in reply.detail
    event = model.events[-1]
    assert (event.code, event.lead) == (EventCode.AUTH_REFUSED, MsgType.WRITE_LEAD)


def test_every_command_but_identify_stop_all_and_the_link_messages_needs_a_mac(model):
    open_ = {MsgType.IDENTIFY, MsgType.STOP_ALL, MsgType.HELLO, MsgType.PAIR_BEGIN}
    open_ |= {MsgType.PAIR_CONFIRM, MsgType.AUTH_BEGIN, MsgType.AUTH_FINISH}
    for mtype in MsgType:
        if mtype is MsgType.TELEMETRY_BLOCK:
            continue
        status = decode_frame(model.handle_command(encode_frame(Frame(mtype, 9, b"")))).payload[0]
        assert (status != Status.UNSUPPORTED) == (mtype in open_), mtype.name
    assert model.security.refusals == len(MsgType) - 1 - len(open_)


def test_forged_replayed_and_reordered_frames_are_refused(model):
    session = paired_session(model)
    good = write_lead(session)
    assert not isinstance(reply_of(model, good, MsgType.WRITE_LEAD), ErrorReply)
    # replayed: the very bytes the host sent, again
    assert_refused_unchanged(model, good, Status.AUTH_FAILED, AuthRefusal.BAD_MAC)
    # forged: a changed payload byte with its CRC made good again, and a MAC under another key
    frame = decode_frame(write_lead(session, ON.with_(amplitude_ua=0, pulse_width_us=300)))
    tampered = Frame(frame.type, frame.seq, frame.payload[:-1] + b"\x00", frame.mac)
    assert_refused_unchanged(model, encode_frame(tampered), Status.AUTH_FAILED, AuthRefusal.BAD_MAC)
    other = auth.seal(Frame(MsgType.WRITE_LEAD, frame.seq + 1, frame.payload), bytes(32), auth.HOST, frame.seq + 1)
    assert_refused_unchanged(model, other, Status.AUTH_FAILED, AuthRefusal.BAD_MAC)
    # reordered: the later of two commands arrives first; the earlier one is then stale
    first, second = write_lead(session, ON.with_(pulse_width_us=210)), write_lead(session, ON.with_(pulse_width_us=220))
    assert reply_of(model, second, MsgType.WRITE_LEAD).pulse_width_us == 220
    assert_refused_unchanged(model, first, Status.AUTH_FAILED, AuthRefusal.BAD_MAC)
    # the session goes on for frames that are in order
    assert reply_of(model, write_lead(session, ON.with_(pulse_width_us=230)), MsgType.WRITE_LEAD).pulse_width_us == 230
    hello = reply_of(model, encode_frame(Frame(MsgType.HELLO, 1, b"\x02")), MsgType.HELLO)
    assert hello == HelloReply(2, 2, 1, 4)  # the refusals are counted


def test_a_sealed_frame_without_a_session_is_refused_after_a_usb_reset(model):
    session = paired_session(model)
    model.reset_link()
    assert_refused_unchanged(model, write_lead(session), Status.AUTH_FAILED, AuthRefusal.NO_SESSION)


def test_replies_are_sealed_and_a_forged_reply_is_caught_by_the_host(model):
    session = paired_session(model)
    counter = session.next_counter()
    raw = model.handle_command(session.seal(Frame(MsgType.READ_LEAD, counter & 0xFFFF, b"\x01"), counter))
    reply = decode_frame(raw)
    session.check_reply(reply, counter)
    forged = Frame(reply.type, reply.seq, reply.payload[:-1] + b"\x01", reply.mac)
    with pytest.raises(ProtocolError, match="MAC"):
        session.check_reply(forged, counter)
    with pytest.raises(ProtocolError, match="no MAC"):
        session.check_reply(Frame(reply.type, reply.seq, reply.payload), counter)
    with pytest.raises(ProtocolError):
        session.check_reply(reply, counter + 1)  # an old reply does not pass for a newer command


def test_stop_all_and_identify_work_unpaired_over_usb():
    link = open_link("sim://0?latency_ms=0&impedance_ms=0&pair=1")
    try:
        pg = link.client
        pg.write_lead(ON)
        pg.measure_impedance(lead=1)
        pg.set_stimulation(1, True)
        assert link.simulator.model.outputs_on == (1,)
        dev = link.transport.device
        pg.session = None  # from here on the host holds no key: an intruder on the bus
        pg.keys = MemoryKeyStore()
        dev.write(usb_ids.EP_COMMAND_OUT, encode_frame(Frame(MsgType.SET_STIMULATION, 11, b"\x01\x01")))
        refused = decode_frame(bytes(dev.read(usb_ids.EP_REPLY_IN, 70000, 1000)))
        assert refused.payload[0] == Status.UNSUPPORTED
        dev.write(usb_ids.EP_COMMAND_OUT, encode_frame(Frame(MsgType.STOP_ALL, 12)))  # bulk STOP_ALL
        assert decode_frame(bytes(dev.read(usb_ids.EP_REPLY_IN, 70000, 1000))).payload == b"\x00"
        assert link.simulator.model.outputs_on == ()
        model = link.simulator.model
        model._live[1] = model._live[1].with_(enabled=True)  # on again, behind the host's back
        pg.stop_all()  # the control request
        assert model.outputs_on == () and pg.identify().serial == "SIM-0001"
        with pytest.raises(NotPaired):
            pg.read_lead(1)
    finally:
        link.close()


def test_pairing_waits_for_the_magnet_and_the_window_closes(model):
    clock = model._clock
    client = PulseGenerator(DirectTransport(model))
    waited: list[str] = []

    def wait(_seconds: float) -> bool:
        clock.now += 10  # time passes on the device while nobody confirms
        return True

    with pytest.raises(DeviceRefused) as closed:
        client.pair("nobody confirms", wait=wait, on_waiting=waited.append)
    assert closed.value.status == Status.AUTH_FAILED and "not confirmed on the device in time" in str(closed.value)
    assert len(waited) == PAIRING_WINDOW_S // 10 + 1 and "hold the magnet" in waited[0]
    with pytest.raises(PairingCancelled):
        client.pair("gives up", wait=lambda s: False)
    assert client.keys.get("SIM-0001") is None and model.security.keys == {}
    client.pair("confirms", wait=lambda s: model.apply_magnet())
    assert client.keys.get("SIM-0001") is not None and len(model.security.keys) == 1
    assert client.read_lead(1).lead == 1
    assert [e.code for e in model.events].count(EventCode.PAIRED) == 1


def test_an_older_host_protocol_gets_a_clear_refusal(model):
    hello = spec_for(MsgType.HELLO).request.encode(Hello(1))
    reply = reply_of(model, encode_frame(Frame(MsgType.HELLO, 1, hello)), MsgType.HELLO)
    assert reply.status == Status.UNSUPPORTED and "link protocol 2" in reply.detail


def test_the_host_refuses_a_device_that_cannot_prove_the_key(model):
    client = paired_client(model)
    stored = client.keys.get("SIM-0001")
    client.keys.put("SIM-0001", PairedKey(bytes(32), stored.key_id))  # the device holds another key for this id
    with pytest.raises(AuthenticationFailed, match="could not prove"):
        client.authenticate()
    impostor = DeviceModel()  # same serial, never paired with this host
    client.keys.put("SIM-0001", stored)
    with pytest.raises(NotPaired, match="no longer holds"):
        PulseGenerator(DirectTransport(impostor), client.keys).read_lead(1)


def test_the_client_opens_a_new_session_by_itself_after_a_reset(model):
    client = paired_client(model)
    model.reset_link()
    assert client.read_lead(2).lead == 2
    assert [e.code for e in model.events][-2:] == [EventCode.AUTH_REFUSED, EventCode.SESSION_OPENED]


def test_the_refusal_that_precedes_a_new_session_is_logged_at_info_others_at_warning(model, caplog):
    """The first command after a replug is refused (no session) and the client authenticates again:
    expected, so not a warning; a device that no longer holds the key still is one."""
    client = paired_client(model)
    model.reset_link()
    caplog.set_level(logging.DEBUG, logger="drivers.client")
    assert client.read_lead(2).lead == 2
    refusals = [r for r in caplog.records if "refused by the device" in r.getMessage()]
    assert [(r.levelno, r.getMessage().split(": ")[1]) for r in refusals] == [(logging.INFO, "AUTH_FAILED")]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    caplog.clear()
    stranger = PulseGenerator(DirectTransport(DeviceModel()), client.keys)  # same serial, never paired
    with pytest.raises(NotPaired):
        stranger.read_lead(1)
    (refusal,) = [r for r in caplog.records if "refused by the device" in r.getMessage()]
    assert refusal.levelno == logging.WARNING and "AUTH_BEGIN" in refusal.getMessage()


def test_telemetry_is_sealed_and_a_replayed_or_forged_block_is_dropped(model):
    client = paired_client(model)
    client.start_telemetry(1000, (1,))
    model._clock.now += 0.05
    frames = [model.next_telemetry_frame() for _ in range(3)]
    session = client.session
    first = decode_frame(frames[0])
    session.check_telemetry(first)
    with pytest.raises(ProtocolError):
        session.check_telemetry(first)  # replayed
    forged = Frame(first.type, first.seq + 1, first.payload, bytes(16))
    with pytest.raises(ProtocolError):
        session.check_telemetry(forged)
    session.check_telemetry(decode_frame(frames[2]))  # a gap is fine
    with pytest.raises(ProtocolError):
        session.check_telemetry(decode_frame(frames[1]))  # overtaken
    assert session.telemetry_refused == 3


def test_the_file_key_store_is_private_to_its_user(tmp_path):
    store = FileKeyStore(tmp_path / "keys" / "device-keys.json")
    key = PairedKey(os.urandom(32), os.urandom(8))
    store.put("SIM-0001", key)
    assert store.get("SIM-0001") == key and store.get("SIM-0002") is None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.delete("SIM-0001")
    assert store.get("SIM-0001") is None


def test_without_a_keyring_backend_the_keys_go_to_the_private_file(tmp_path, monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = default_keystore(tmp_path)
    assert isinstance(store, FileKeyStore) and store.path == tmp_path / "device-keys.json"
