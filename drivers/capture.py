"""USB capture to pcap, taken at the pyusb transport (drivers/transport.py), so it records the
same traffic on a simulated and on a real link and needs no usbmon or root.

The file is what Wireshark reads from Linux usbmon: link type LINKTYPE_USB_LINUX_MMAPPED
(220), each packet a 64-byte usbmon header then the data, as QEMU's USB pcap writer
(hw/usb/pcap.c) does it. Every transfer is two packets with one URB id: the submission
('S', carrying the data of an OUT transfer) and the completion ('C', carrying the data of
an IN transfer, and the status: 0, -ETIMEDOUT, -EPIPE for a stall, -ENODEV when gone).
The DRG frames inside are decoded by resources/wireshark/drg.lua.

Capture runs in the background of a session: packets go to a bounded ring in memory (the
newest `max_bytes` are kept, older ones are dropped and counted), and `save` writes the
ring to a file at any time. Recording a packet is a struct pack and an append; the data
bytes are referenced, not copied (bench/capture_overhead.py measures the cost).
"""

from __future__ import annotations

import errno
import itertools
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LINKTYPE_USB_LINUX_MMAPPED = 220
PCAP_MAGIC = 0xA1B2C3D4
PCAP_HEADER = struct.Struct("<IHHiIII")  # magic, 2, 4, thiszone, sigfigs, snaplen, network
RECORD_HEADER = struct.Struct("<IIII")  # ts_sec, ts_usec, incl_len, orig_len
# id, type, xfer_type, epnum, devnum, busnum, flag_setup, flag_data, ts_sec, ts_usec, status,
# length, len_cap, setup[8], interval, start_frame, xfer_flags, ndesc: 64 bytes
USBMON = struct.Struct("<QBBBBHBBqiiII8siiII")
assert USBMON.size == 64

XFER_ISO, XFER_INTERRUPT, XFER_CONTROL, XFER_BULK = 0, 1, 2, 3
SUBMIT, COMPLETE = ord("S"), ord("C")
NO_SETUP = ord("-")
DATA_PRESENT = 0  # flag_data: 0 when data follows, '<' (IN submission) or '>' (OUT completion) otherwise
DATA_IN_LATER, DATA_OUT_DONE = ord("<"), ord(">")
SNAPLEN = 64 + 65_565  # the header and the largest frame (drivers/protocol/frame.MAX_FRAME)
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # about 20 s of telemetry at the full rate, much longer otherwise

STATUS_OF_ERRNO = {
    errno.ETIMEDOUT: -errno.ETIMEDOUT,
    errno.EPIPE: -errno.EPIPE,
    errno.ENODEV: -errno.ENODEV,
    errno.ENOENT: -errno.ENOENT,
    errno.ESHUTDOWN: -errno.ESHUTDOWN,
    errno.EACCES: -errno.EACCES,
}


@dataclass(frozen=True)
class CaptureStats:
    running: bool
    packets: int  # in the ring now
    bytes: int  # size of the ring as a pcap file would hold it
    dropped_packets: int  # the oldest, dropped to keep within max_bytes
    max_bytes: int
    started_at: float | None
    transfers: int  # since the start, including dropped ones


class UsbCapture:
    """A bounded ring of usbmon packets; thread-safe (command, telemetry and stop threads record at once)."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        bus: int = 1,
        device: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes < 4096:
            raise ValueError("give the capture at least 4096 bytes")
        self.max_bytes = max_bytes
        # USB addresses are 1-127 and bus numbers 16-bit; the simulator numbers its devices on and on
        self.bus, self.device = (bus & 0xFFFF) or 1, (device % 128) or 1
        self._clock = clock
        self._lock = threading.Lock()
        # one entry per transfer (its submission and completion, each record header + usbmon
        # header, data), so dropping the oldest never leaves a completion without its submission
        self._transfers_kept: deque[tuple[tuple[bytes, bytes], ...]] = deque()
        self._pinned: list[tuple[bytes, bytes]] = []  # the device descriptor: never dropped
        self._bytes = self._pinned_bytes = 0
        self._dropped = 0
        self._transfers = 0
        self._urbs = itertools.count(1)
        self.running = True
        self.started_at: float | None = clock()

    # -- recording (called by the transport) --------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def transfer(
        self,
        endpoint: int,
        xfer: int,
        submitted: float,
        data_out: bytes = b"",
        data_in: bytes = b"",
        status: int = 0,
        requested: int = 0,
        setup: bytes | None = None,
        pinned: bool = False,
    ) -> None:
        """One finished transfer: its submission at `submitted`, its completion now.

        `endpoint` carries the direction in bit 7 (0x81: IN). An OUT transfer's data goes in the
        submission; an IN transfer's in the completion (`requested`: the length asked for).
        A control transfer gives its 8 `setup` bytes. A `pinned` transfer (the device
        descriptor, which tells Wireshark the VID/PID) is kept however long the capture runs.

        The oldest transfers are dropped whole to stay within max_bytes; a transfer larger
        than the whole ring is dropped itself (counted), never emptying the ring."""
        if not self.running:
            return
        done = self._clock()
        urb = next(self._urbs) | 0xFFFF_8880_0000_0000
        is_in = bool(endpoint & 0x80)
        setup_flag, setup_bytes = (0, setup) if setup is not None else (NO_SETUP, b"\0" * 8)
        if is_in:
            submit = self._header(urb, SUBMIT, xfer, endpoint, setup_flag, setup_bytes, submitted, 0, requested, 0)
            complete = self._header(urb, COMPLETE, xfer, endpoint, NO_SETUP, b"\0" * 8, done, status, len(data_in))
            packets = ((submit, b""), (complete, data_in))
        else:
            submit = self._header(
                urb, SUBMIT, xfer, endpoint, setup_flag, setup_bytes, submitted, 0, len(data_out), len(data_out)
            )
            ok_length = len(data_out) if status == 0 else 0
            complete = self._header(urb, COMPLETE, xfer, endpoint, NO_SETUP, b"\0" * 8, done, status, ok_length, 0)
            packets = ((submit, data_out), (complete, b""))
        size = sum(len(head) + len(data) for head, data in packets)
        with self._lock:
            if not self.running:
                return
            self._transfers += 1
            room = self.max_bytes - PCAP_HEADER.size
            if pinned:
                self._pinned.extend(packets)
                self._pinned_bytes += size
                self._bytes += size
            elif self._pinned_bytes + size > room:  # larger than the ring itself
                self._dropped += len(packets)
                return
            else:
                self._transfers_kept.append(packets)
                self._bytes += size
            while self._bytes > room and self._transfers_kept:
                oldest = self._transfers_kept.popleft()
                self._bytes -= sum(len(head) + len(data) for head, data in oldest)
                self._dropped += len(oldest)

    def _header(
        self,
        urb: int,
        kind: int,
        xfer: int,
        endpoint: int,
        setup_flag: int,
        setup: bytes,
        when: float,
        status: int,
        length: int,
        captured: int | None = None,
    ) -> bytes:
        """The pcap record header and the 64-byte usbmon header of one packet."""
        captured = length if captured is None else captured
        if kind == SUBMIT:
            flag_data = DATA_PRESENT if captured else DATA_IN_LATER
        else:
            flag_data = DATA_PRESENT if captured else DATA_OUT_DONE
        sec = int(when)
        usec = int((when - sec) * 1_000_000)
        usbmon = USBMON.pack(
            urb,
            kind,
            xfer,
            endpoint,
            self.device,
            self.bus,
            setup_flag,
            flag_data,
            sec,
            usec,
            status,
            length,
            captured,
            setup,
            0,
            0,
            0,
            0,
        )
        total = USBMON.size + captured
        return RECORD_HEADER.pack(sec, usec, total, total) + usbmon

    # -- control --------------------------------------------------------------------------------
    def stop(self) -> None:
        with self._lock:
            self.running = False

    def clear(self) -> None:
        with self._lock:
            self._transfers_kept.clear()  # the pinned device descriptor stays: Wireshark needs it
            self._bytes = self._pinned_bytes
            self._dropped = self._transfers = 0
            self.started_at = self._clock()

    def stats(self) -> CaptureStats:
        with self._lock:
            return CaptureStats(
                self.running,
                len(self._pinned) + 2 * len(self._transfers_kept),
                self._bytes + PCAP_HEADER.size,
                self._dropped,
                self.max_bytes,
                self.started_at,
                self._transfers,
            )

    def to_bytes(self) -> bytes:
        """The whole pcap file: the global header and every packet in the ring."""
        with self._lock:
            packets = [*self._pinned, *(packet for transfer in self._transfers_kept for packet in transfer)]
        parts = [PCAP_HEADER.pack(PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_USB_LINUX_MMAPPED)]
        for head, data in packets:
            parts.append(head)
            parts.append(data)
        return b"".join(parts)

    def save(self, path: str | Path) -> int:
        """Write the ring as a pcap file (written whole, then renamed into place); returns its size."""
        path = Path(path)
        data = self.to_bytes()
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
        return len(data)


def status_of(exc: BaseException) -> int:
    """The usbmon status (a negative errno) of a failed transfer."""
    code = getattr(exc, "errno", None) or getattr(getattr(exc, "__cause__", None), "errno", None)
    if code is None:
        from drivers.errors import DeviceGone, DeviceTimeout, EndpointStalled

        if isinstance(exc, DeviceTimeout):
            code = errno.ETIMEDOUT
        elif isinstance(exc, EndpointStalled):
            code = errno.EPIPE
        elif isinstance(exc, DeviceGone):
            code = errno.ENODEV
        else:
            code = errno.EIO
    return -abs(int(code))


@dataclass(frozen=True)
class PcapPacket:
    """One packet read back from a capture file (tests, the diagnostics bundle's summary)."""

    time: float
    kind: str  # "S" or "C"
    xfer: int
    endpoint: int
    status: int
    length: int
    data: bytes
    setup: bytes
    urb: int  # pairs a submission with its completion


def read_pcap(data: bytes) -> list[PcapPacket]:
    """Parse a capture written by UsbCapture (little-endian, link type 220)."""
    magic, major, minor, _zone, _sig, _snap, network = PCAP_HEADER.unpack_from(data)
    if magic != PCAP_MAGIC or (major, minor) != (2, 4) or network != LINKTYPE_USB_LINUX_MMAPPED:
        raise ValueError("not a little-endian USB (link type 220) pcap file")
    pos, out = PCAP_HEADER.size, []
    while pos < len(data):
        sec, usec, incl, _orig = RECORD_HEADER.unpack_from(data, pos)
        pos += RECORD_HEADER.size
        fields = USBMON.unpack_from(data, pos)
        urb, kind, xfer, endpoint, _dev, _bus, _fs, _fd, _s, _us, status, length, captured, setup = fields[:14]
        body = data[pos + USBMON.size : pos + incl]
        if len(body) != captured:
            raise ValueError("a truncated packet")
        out.append(PcapPacket(sec + usec / 1e6, chr(kind), xfer, endpoint, status, length, body, setup, urb))
        pos += incl
    return out
