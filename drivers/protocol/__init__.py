"""The wire protocol (docs/protocol.md): pure codecs, no I/O."""

from drivers.protocol.frame import Frame, decode_frame, encode_frame
from drivers.protocol.messages import MESSAGES, MessageSpec, MsgType
from drivers.protocol.status import Status

__all__ = ["Frame", "decode_frame", "encode_frame", "MESSAGES", "MessageSpec", "MsgType", "Status"]
