"""USB capture: the pcap a field engineer opens in Wireshark. Its format (link type 220, 64-byte
usbmon headers), the ring's size cap, failed transfers, and the Lua dissector decoding every
message of a captured session with tshark (skipped only where tshark is not installed; .ci/run
installs it)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from drivers.capture import LINKTYPE_USB_LINUX_MMAPPED, USBMON, XFER_BULK, XFER_CONTROL, UsbCapture, read_pcap
from drivers.errors import DeviceGone, DeviceRefused, DeviceTimeout
from drivers.links import open_link
from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import MsgType, StageBegin
from drivers.sim.backend import Fault
from drivers.types import CaptureRequest, ImpedanceMode, LeadConfig, Polarity, Program

DISSECTOR = Path(__file__).resolve().parents[2] / "resources" / "wireshark" / "drg.lua"
P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def _session(link) -> None:
    """Every message of the protocol at least once (pairing and the session's opening first),
    a refusal and both kinds of STOP ALL."""
    pg = link.client
    pg.pair("capture test")  # the scenario holds the magnet over the generator
    pg.identify()
    pg.capabilities()
    pg.battery()
    pg.keepalive()
    pg.read_lead(3)
    pg.write_lead(LeadConfig(3, (P, M, O, O), 0, 200, 20, False, 3000))
    pg.measure_impedance(ImpedanceMode.LEAD_PAIR, 3)
    pg.measure_impedance(ImpedanceMode.CONTACT_TO_CASE, 2)
    pg.set_stimulation(3, True)
    pg.set_amplitude(3, 500)
    limits = pg.capture_capabilities()
    pg.capture_pulse(CaptureRequest(3, limits.rate_max_hz, 1000, 100), limits.trigger_timeout_ms)
    pg.start_telemetry(10_000, (3,))
    deadline = time.monotonic() + 2
    frames = 0
    while frames < 3 and time.monotonic() < deadline:
        try:
            link.transport.read_telemetry(100)
            frames += 1
        except Exception:  # noqa: BLE001 - not due yet
            pass
    pg.stop_telemetry()
    pg.stop_all()  # the control request
    pg.call(MsgType.STOP_ALL)  # and the bulk message
    program = Program("Field test", tuple(LeadConfig(n, (O, O, O, O), 0, 40, 60, False, 6000) for n in range(1, 5)))
    pg.write_program(program)
    pg.read_program()
    pg.call(MsgType.STAGE_BEGIN, StageBegin("dropped"))
    pg.call(MsgType.ABORT_STAGE)
    pg.read_all_events()
    pg.self_test()
    with pytest.raises(DeviceRefused):
        pg.read_lead(9)


@pytest.fixture
def captured(tmp_path):
    link = open_link("sim://0?magnet=held&latency_ms=0&impedance_ms=0&open=2.3&short=1.2&memory=corrupt")
    try:
        capture = link.transport.start_capture()
        _session(link)
        path = tmp_path / "session.pcap"
        capture.save(path)
    finally:
        link.close()
    return path


def test_the_file_is_usbmon_pcap_with_every_frame_whole(captured):
    data = captured.read_bytes()
    assert int.from_bytes(data[20:24], "little") == LINKTYPE_USB_LINUX_MMAPPED
    packets = read_pcap(data)
    assert USBMON.size == 64
    first, second = packets[:2]  # the device descriptor, so Wireshark knows VID/PID
    assert (first.kind, first.xfer, first.setup[:2]) == ("S", XFER_CONTROL, b"\x80\x06")
    assert second.data[8:12] == bytes.fromhex("0912 60d2")
    frames = [decode_frame(p.data) for p in packets if p.xfer == XFER_BULK and p.data]
    types = {f.type & 0x7F for f in frames}
    assert set(MsgType) <= types  # every message type, telemetry included
    assert all(p.kind in "SC" for p in packets)
    stop = [p for p in packets if p.xfer == XFER_CONTROL and p.setup[:2] == b"\x41\x14"]
    assert len(stop) == 1 and stop[0].kind == "S"


def test_the_ring_keeps_the_newest_traffic_within_its_cap():
    capture = UsbCapture(max_bytes=8192)
    for n in range(200):
        capture.transfer(0x01, XFER_BULK, capture.now(), data_out=bytes([n]) * 100)
    stats = capture.stats()
    assert stats.bytes <= 8192 and stats.dropped_packets > 0 and stats.transfers == 200
    packets = read_pcap(capture.to_bytes())
    assert packets[-2].data == bytes([199]) * 100  # the newest is kept
    assert len(capture.to_bytes()) == stats.bytes


def test_the_ring_drops_whole_transfers_and_keeps_the_device_descriptor():
    """Wrapping never leaves a completion without its submission, loses the descriptor that tells
    Wireshark the VID/PID, or is emptied by one transfer larger than the ring."""
    capture = UsbCapture(max_bytes=4096)
    capture.transfer(
        0x80, XFER_CONTROL, capture.now(), data_in=b"D" * 18, requested=18, setup=b"\x80\x06" + 6 * b"\0", pinned=True
    )
    for n in range(100):
        capture.transfer(0x81 if n % 2 else 0x01, XFER_BULK, capture.now(), data_out=b"o" * (37 + n), data_in=b"i" * n)
    capture.transfer(0x01, XFER_BULK, capture.now(), data_out=b"x" * 5000)  # larger than the ring: itself dropped
    packets = read_pcap(capture.to_bytes())
    assert packets[0].xfer == XFER_CONTROL and packets[1].data == b"D" * 18
    urbs = [p.urb for p in packets]
    assert all(urbs.count(urb) == 2 for urb in urbs), "a transfer split by the ring"
    assert [p.kind for p in packets[::2]] == ["S"] * (len(packets) // 2)
    assert len(packets) > 4 and not any(p.data == b"x" * 5000 for p in packets)
    stats = capture.stats()
    assert stats.bytes <= 4096 and stats.packets == len(packets) and stats.transfers == 102
    capture.clear()
    assert [p.data for p in read_pcap(capture.to_bytes())] == [b"", b"D" * 18]


def test_failed_transfers_are_recorded_with_their_status(tmp_path):
    link = open_link("sim://0?pair=1&latency_ms=0")
    try:
        capture = link.transport.start_capture()
        usb = link.simulator
        usb.inject(Fault.TIMEOUT)  # the next command runs, its reply never comes
        with pytest.raises(DeviceTimeout):
            link.client.set_stimulation(1, False)
        usb.unplug()
        with pytest.raises(DeviceGone):
            link.client.battery()
        statuses = [p.status for p in read_pcap(capture.to_bytes()) if p.kind == "C"]
    finally:
        link.close()
    assert -110 in statuses and -19 in statuses  # -ETIMEDOUT, -ENODEV


def test_capture_survives_a_reconnect_and_stops_on_request():
    link = open_link("sim://0?pair=1&latency_ms=0")
    try:
        capture = link.transport.start_capture()
        link.client.identify()
        link.simulator.unplug()
        link.simulator.replug()
        link.reopen()
        link.client.identify()
        before = capture.stats().transfers
        assert link.transport.stop_capture() is capture and not capture.running
        link.client.identify()
        assert capture.stats().transfers == before
        descriptor_reads = [p for p in read_pcap(capture.to_bytes()) if p.xfer == XFER_CONTROL and p.kind == "S"]
        assert len(descriptor_reads) == 2  # at the start and again after the reconnect
    finally:
        link.close()


def _tshark(*args: str) -> str:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed (.ci/run installs it)")
    run = subprocess.run(
        [tshark, "-X", f"lua_script:{DISSECTOR}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "Lua" not in run.stderr or "error" not in run.stderr.lower(), run.stderr
    return run.stdout


def test_tshark_decodes_every_message_of_a_captured_session(captured):
    fields = _tshark("-r", str(captured), "-Y", "drg", "-T", "fields", "-e", "drg.type", "-e", "drg.is_reply")
    seen = set()
    for line in fields.splitlines():
        kind, reply = line.split("\t")
        seen.add((int(kind, 16) & 0x7F, reply in ("1", "True")))
    for message in MsgType:
        if message is MsgType.TELEMETRY_BLOCK:
            assert (message, False) in seen
        else:
            assert (message, False) in seen, message.name
            assert (message, True) in seen, message.name

    verbose = _tshark("-r", str(captured), "-V")
    assert "DRG pulse generator protocol, IDENTIFY reply" in verbose
    assert "Serial: SIM-0001" in verbose
    assert "CRC-32: " in verbose and "[correct]" in verbose and "does not match" not in verbose
    assert "Check: MEMORY FAIL" in verbose  # memory=corrupt
    assert "Status: OUT_OF_RANGE (4)" in verbose and "There is no lead 9" in verbose
    assert "Reading: lead 2 3-case" in verbose
    assert "TELEMETRY_BLOCK telemetry" in verbose
    assert "Link protocol: 2" in verbose and "X25519 public key: " in verbose and "Key id: " in verbose

    summary = _tshark("-r", str(captured))
    assert "STOP_ALL control request" in summary and "STOP_ALL control reply (outputs off)" in summary
    assert "SELF_TEST reply seq=" in summary and "1 of 5 checks FAILED" in summary
    assert "CAPTURE_PULSE request" in summary and "lead 3, 1000 samples at 2000000 Hz, 100 before the onset" in summary
    assert "CAPTURE_PULSE reply" in summary and ", triggered)" in summary
    assert "CAPTURE_CAPABILITIES reply" in summary and "interphase 20 µs" in summary
    assert "PAIR_CONFIRM reply seq=" in summary and "paired, key " in summary and "AUTH_FINISH reply" in summary
    assert "READ_LEAD request seq=" in summary and "[MAC]" in summary


def test_tshark_flags_a_corrupt_frame(tmp_path):
    link = open_link("sim://0?pair=1&latency_ms=0")
    try:
        capture = link.transport.start_capture()
        link.simulator.inject(Fault.CORRUPT, after=1)  # the reply of the next command
        link.client.identify()  # retried: the first reply is corrupt
        path = tmp_path / "corrupt.pcap"
        capture.save(path)
    finally:
        link.close()
    summary = _tshark("-r", str(path))
    assert "IDENTIFY reply" in summary
    assert "[BAD CRC]" in summary or "URB_BULK in" in summary  # a damaged header is no DRG frame at all


def test_any_bus_address_fits_the_usbmon_header():
    capture = UsbCapture(bus=70_000, device=261)  # the simulator numbers its devices on and on
    capture.transfer(0x81, XFER_BULK, capture.now(), data_in=b"x", requested=10)
    assert len(read_pcap(capture.to_bytes())) == 2
