"""Frame layout: header, payload, optional MAC, CRC-32. Pure functions, no I/O.

    offset size field
    0      2    magic   b"DG"
    2      1    version (1)
    3      1    type    message type; replies set bit 7
    4      1    flags   bit 0: a MAC follows the payload
    5      1    reserved (0)
    6      2    seq     sequence number, echoed in the reply
    8      2    length  payload length in bytes
    10     n    payload
    10+n   16   mac     only when flags bit 0 is set
    ...    4    crc     CRC-32 (zlib) of every byte before it

All integers are little-endian.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from drivers.errors import ProtocolError

MAGIC = b"DG"
VERSION = 1
HEADER = struct.Struct("<2sBBBBHH")
CRC = struct.Struct("<I")
MAC_SIZE = 16
FLAG_MAC = 0x01
REPLY_BIT = 0x80
MAX_PAYLOAD = 0xFFFF
MAX_FRAME = HEADER.size + MAX_PAYLOAD + MAC_SIZE + CRC.size


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes = b""
    mac: bytes | None = None
    version: int = VERSION

    @property
    def is_reply(self) -> bool:
        return bool(self.type & REPLY_BIT)


def encode_frame(frame: Frame) -> bytes:
    if len(frame.payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    if frame.mac is not None and len(frame.mac) != MAC_SIZE:
        raise ProtocolError(f"MAC must be {MAC_SIZE} bytes")
    flags = FLAG_MAC if frame.mac is not None else 0
    head = HEADER.pack(MAGIC, frame.version, frame.type, flags, 0, frame.seq & 0xFFFF, len(frame.payload))
    body = head + frame.payload + (frame.mac or b"")
    return body + CRC.pack(zlib.crc32(body))


def decode_frame(data: bytes) -> Frame:
    """Decode exactly one frame; any defect raises ProtocolError."""
    data = bytes(data)
    if len(data) < HEADER.size + CRC.size:
        raise ProtocolError(f"frame too short ({len(data)} bytes)")
    magic, version, mtype, flags, _reserved, seq, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ProtocolError(f"bad magic {magic!r}")
    if version != VERSION:
        raise ProtocolError(f"unsupported protocol version {version}")
    if flags & ~FLAG_MAC:
        raise ProtocolError(f"unknown flags 0x{flags:02x}")
    mac_len = MAC_SIZE if flags & FLAG_MAC else 0
    expected = HEADER.size + length + mac_len + CRC.size
    if len(data) != expected:
        raise ProtocolError(f"frame is {len(data)} bytes, header says {expected}")
    body = data[: -CRC.size]
    (crc,) = CRC.unpack_from(data, len(body))
    if zlib.crc32(body) != crc:
        raise ProtocolError("CRC mismatch")
    payload = body[HEADER.size : HEADER.size + length]
    mac = body[HEADER.size + length :] if mac_len else None
    return Frame(type=mtype, seq=seq, payload=payload, mac=mac, version=version)
