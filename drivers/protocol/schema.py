"""Declarative payload codecs: each payload is a tree of these.

A codec packs a Python value into bytes and unpacks it back; every defect
in the bytes raises ProtocolError, never another exception. The codecs are
introspectable so tests can derive a generator for every message.
"""

from __future__ import annotations

import dataclasses
import struct
from enum import IntEnum
from typing import Any

from drivers.errors import ProtocolError


class Codec:
    def pack(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError

    def unpack(self, buf: bytes, pos: int) -> tuple[Any, int]:
        raise NotImplementedError

    def encode(self, value: Any) -> bytes:
        out = bytearray()
        self.pack(value, out)
        return bytes(out)

    def decode(self, buf: bytes) -> Any:
        value, pos = self.unpack(buf, 0)
        if pos != len(buf):
            raise ProtocolError(f"{len(buf) - pos} trailing bytes in payload")
        return value


class Int(Codec):
    def __init__(self, fmt: str) -> None:
        self.struct = struct.Struct("<" + fmt)
        bits = self.struct.size * 8
        self.signed = fmt.islower()
        self.min = -(1 << (bits - 1)) if self.signed else 0
        self.max = (1 << (bits - 1)) - 1 if self.signed else (1 << bits) - 1

    def pack(self, value, out):
        if not self.min <= int(value) <= self.max:
            raise ProtocolError(f"{value} does not fit {self.struct.format}")
        out += self.struct.pack(int(value))

    def unpack(self, buf, pos):
        end = pos + self.struct.size
        if end > len(buf):
            raise ProtocolError("payload ends inside an integer")
        return self.struct.unpack_from(buf, pos)[0], end


U8, U16, U32, U64 = Int("B"), Int("H"), Int("I"), Int("Q")
I8, I16, I32 = Int("b"), Int("h"), Int("i")


class Bool(Codec):
    def pack(self, value, out):
        out.append(1 if value else 0)

    def unpack(self, buf, pos):
        raw, pos = U8.unpack(buf, pos)
        if raw > 1:
            raise ProtocolError(f"boolean byte {raw}")
        return bool(raw), pos


class Enum(Codec):
    def __init__(self, enum: type[IntEnum], base: Int = U8) -> None:
        self.enum, self.base = enum, base

    def pack(self, value, out):
        self.base.pack(self.enum(value), out)

    def unpack(self, buf, pos):
        raw, pos = self.base.unpack(buf, pos)
        try:
            return self.enum(raw), pos
        except ValueError:
            raise ProtocolError(f"{raw} is not a {self.enum.__name__}") from None


class Str(Codec):
    """UTF-8 text with a one-byte length."""

    def __init__(self, max_bytes: int = 255) -> None:
        self.max_bytes = max_bytes

    def pack(self, value, out):
        raw = value.encode("utf-8")
        if len(raw) > self.max_bytes:
            raise ProtocolError(f"text longer than {self.max_bytes} bytes")
        out.append(len(raw))
        out += raw

    def unpack(self, buf, pos):
        n, pos = U8.unpack(buf, pos)
        if n > self.max_bytes or pos + n > len(buf):
            raise ProtocolError("text length runs past the payload")
        try:
            return buf[pos : pos + n].decode("utf-8"), pos + n
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"text is not UTF-8: {exc}") from None


class Seq(Codec):
    """A tuple of items with a count prefix."""

    def __init__(self, item: Codec, max_items: int = 255, count: Int = U8) -> None:
        self.item, self.max_items, self.count = item, max_items, count

    def pack(self, value, out):
        if len(value) > self.max_items:
            raise ProtocolError(f"{len(value)} items exceed {self.max_items}")
        self.count.pack(len(value), out)
        for v in value:
            self.item.pack(v, out)

    def unpack(self, buf, pos):
        n, pos = self.count.unpack(buf, pos)
        if n > self.max_items:
            raise ProtocolError(f"{n} items exceed {self.max_items}")
        items = []
        for _ in range(n):
            v, pos = self.item.unpack(buf, pos)
            items.append(v)
        return tuple(items), pos


class Fixed(Codec):
    """A tuple of exactly `n` items, no count on the wire."""

    def __init__(self, item: Codec, n: int) -> None:
        self.item, self.n = item, n

    def pack(self, value, out):
        if len(value) != self.n:
            raise ProtocolError(f"expected {self.n} items, got {len(value)}")
        for v in value:
            self.item.pack(v, out)

    def unpack(self, buf, pos):
        items = []
        for _ in range(self.n):
            v, pos = self.item.unpack(buf, pos)
            items.append(v)
        return tuple(items), pos


class Bytes(Codec):
    """Exactly `n` raw bytes (keys, nonces, proofs), no count on the wire."""

    def __init__(self, n: int) -> None:
        self.n = n

    def pack(self, value, out):
        if len(value) != self.n:
            raise ProtocolError(f"expected {self.n} bytes, got {len(value)}")
        out += bytes(value)

    def unpack(self, buf, pos):
        end = pos + self.n
        if end > len(buf):
            raise ProtocolError(f"payload ends inside a {self.n}-byte field")
        return bytes(buf[pos:end]), end


class Record(Codec):
    """A dataclass packed field by field, in the order given."""

    def __init__(self, cls: type, **fields: Codec) -> None:
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        if list(fields) != names:
            raise TypeError(f"{cls.__name__}: codec fields {list(fields)} != {names}")
        self.cls, self.fields = cls, fields

    def pack(self, value, out):
        for name, codec in self.fields.items():
            codec.pack(getattr(value, name), out)

    def unpack(self, buf, pos):
        kwargs = {}
        for name, codec in self.fields.items():
            kwargs[name], pos = codec.unpack(buf, pos)
        try:
            return self.cls(**kwargs), pos
        except (ValueError, TypeError) as exc:
            raise ProtocolError(f"invalid {self.cls.__name__}: {exc}") from None


class Empty(Codec):
    """A payload with no bytes; decodes to None."""

    def pack(self, value, out):
        if value is not None:
            raise ProtocolError("this message carries no payload")

    def unpack(self, buf, pos):
        return None, pos


EMPTY = Empty()
