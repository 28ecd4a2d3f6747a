"""The authenticated link's cryptography (docs/protocol.md §7): pure functions, no I/O, no state.

Pairing agrees a 32-byte link key by X25519 between ephemeral keys (so a
capture of the pairing does not yield it) and HKDF-SHA256 over the transcript;
the device stores it only once a person confirms on the device. Each
connection derives a session key from the link key and both sides' nonces.
Every sealed frame carries HMAC-SHA256(session key, direction | counter u64 |
header | payload) truncated to the frame's 16-byte MAC slot. The counter is
per session and strictly increasing; its low 16 bits travel as the frame's
seq, so the layout of §2 is unchanged and a replayed or reordered frame
cannot verify.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from drivers.errors import ProtocolError
from drivers.protocol.frame import FLAG_MAC, HEADER, MAC_SIZE, MAGIC, Frame, encode_frame

HOST, DEVICE, TELEMETRY = b"H", b"D", b"T"  # who sealed a frame: a reply can never pass as a command
PAIR_HOST, PAIR_DEVICE = b"pair host", b"pair device"
AUTH_HOST, AUTH_DEVICE = b"auth host", b"auth device"
_KEY_SALT = b"DRG link key v2"
_COUNTER = struct.Struct("<Q")


def key_pair() -> tuple[X25519PrivateKey, bytes]:
    """An ephemeral X25519 key and its 32-byte public form."""
    private = X25519PrivateKey.generate()
    return private, private.public_key().public_bytes_raw()


def link_key(private: X25519PrivateKey, peer_public: bytes, transcript: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869, one block) of the X25519 secret, bound to the transcript."""
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(peer_public))
    except ValueError as exc:  # a low-order point gives an all-zero secret
        raise ProtocolError(f"unusable public key: {exc}") from None
    prk = hmac.new(_KEY_SALT, shared, hashlib.sha256).digest()
    return hmac.new(prk, transcript + b"\x01", hashlib.sha256).digest()


def pairing_transcript(host_key: bytes, device_key: bytes, serial: str, host_name: str) -> bytes:
    return b"|".join((b"DRG pairing", host_key, device_key, serial.encode(), host_name.encode()))


def key_id(key: bytes) -> bytes:
    """The 8 bytes that name a link key on the wire (not secret: a hash of the key)."""
    return hashlib.sha256(b"DRG key id" + key).digest()[:8]


def key_number(kid: bytes) -> int:
    """A key id as the u32 the device event log holds."""
    return int.from_bytes(kid[:4], "big")


def proof(key: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, label + b"".join(parts), hashlib.sha256).digest()[:MAC_SIZE]


def proof_ok(given: bytes, key: bytes, label: bytes, *parts: bytes) -> bool:
    return hmac.compare_digest(given, proof(key, label, *parts))


def session_key(key: bytes, host_nonce: bytes, device_nonce: bytes) -> bytes:
    return hmac.new(key, b"session" + host_nonce + device_nonce, hashlib.sha256).digest()


def frame_mac(key: bytes, direction: bytes, counter: int, frame: Frame) -> bytes:
    """The MAC of a frame as it travels: its header (MAC flag set) and payload, under this counter."""
    header = HEADER.pack(MAGIC, frame.version, frame.type, FLAG_MAC, 0, frame.seq & 0xFFFF, len(frame.payload))
    mac = hmac.new(key, direction + _COUNTER.pack(counter) + header, hashlib.sha256)
    mac.update(frame.payload)
    return mac.digest()[:MAC_SIZE]


def seal(frame: Frame, key: bytes, direction: bytes, counter: int) -> bytes:
    """The frame's bytes with its MAC; its seq must be the counter's low 16 bits."""
    return encode_frame(replace(frame, mac=frame_mac(key, direction, counter, frame)))


def verifies(frame: Frame, key: bytes, direction: bytes, counter: int) -> bool:
    return frame.mac is not None and hmac.compare_digest(frame.mac, frame_mac(key, direction, counter, frame))


def counter_from_seq(last: int, seq: int) -> int:
    """The smallest counter above `last` whose low 16 bits are `seq`: what the receiver
    checks the MAC against, so an old frame (replayed or overtaken) cannot verify."""
    candidate = (last & ~0xFFFF) | (seq & 0xFFFF)
    return candidate if candidate > last else candidate + 0x10000
