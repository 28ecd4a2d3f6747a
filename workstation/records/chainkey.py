"""This workstation's audit chain: its id, its signing key and its anchor, kept beside it, never in the database.

Each workstation appends to its own chain in the audit trail (docs/security.md,
"Audit trail"). Every entry is signed with the workstation's Ed25519 key, so
whoever owns the database but not this key cannot rewrite an entry, nor the
chain after it, without the signatures failing. The key is a file readable by
its user only (mode 0600), like an SSH key.

The anchor is the last (seq, hash) this workstation appended to each database:
an entry cut off the tail of the chain is then still missed by `audit verify`.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "audit-key.json"
ANCHOR_FILE = "audit-anchors.json"
PRIVATE = 0o600


@dataclass(frozen=True)
class Anchor:
    """The last entry this workstation appended to one database's chain."""

    seq: int
    hash: str


class ChainKey:
    """The chain id and signing key of one workstation, and its anchors (files in `folder`)."""

    def __init__(self, folder: Path, chain: str, private: Ed25519PrivateKey) -> None:
        self.folder = folder
        self.chain = chain
        self._private = private
        self.public_hex = private.public_key().public_bytes_raw().hex()
        self._lock = threading.Lock()

    @classmethod
    def load_or_create(cls, folder: Path) -> ChainKey:
        """The key in `folder`, made on first use (a new chain id and key pair), readable by its user only."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / KEY_FILE
        if not path.exists():
            private = Ed25519PrivateKey.generate()
            data = {"chain": str(uuid.uuid4()), "private_key": private.private_bytes_raw().hex()}
            try:
                _write_private(path, json.dumps(data), exclusive=True)
            except FileExistsError:
                pass  # another process of this workstation made it first: use that one
        data = json.loads(path.read_text())
        return cls(folder, data["chain"], Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["private_key"])))

    def sign(self, digest: str) -> str:
        return self._private.sign(bytes.fromhex(digest)).hex()

    # -- anchors -------------------------------------------------------------------------
    def anchor(self, database: str) -> Anchor | None:
        found = self._anchors().get(database)
        return None if found is None else Anchor(int(found["seq"]), str(found["hash"]))

    def advance(self, database: str, head: Anchor) -> None:
        """Record `head` as this chain's last entry in `database` (never moves back)."""
        with self._lock:
            anchors = self._anchors()
            known = anchors.get(database)
            if known is not None and int(known["seq"]) >= head.seq:
                return
            anchors[database] = {"seq": head.seq, "hash": head.hash}
            _write_private(self.folder / ANCHOR_FILE, json.dumps(anchors))

    def _anchors(self) -> dict[str, dict[str, int | str]]:
        path = self.folder / ANCHOR_FILE
        data: dict[str, dict[str, int | str]] = json.loads(path.read_text()) if path.exists() else {}
        return data


def verify_signature(public_hex: str, digest: str, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature), bytes.fromhex(digest)
        )
    except (InvalidSignature, ValueError):  # forged, or a malformed key or signature
        return False
    return True


def _write_private(path: Path, text: str, exclusive: bool = False) -> None:
    """Write `text` to `path` readable by its user only; atomically (a reader sees old or new, whole)."""
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, path)
