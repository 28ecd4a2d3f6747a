"""Where this host keeps the link keys of the pulse generators it has paired with.

The OS keyring (the `keyring` library: Secret Service, macOS Keychain, Windows
Credential Locker) when one is usable; otherwise a JSON file private to the
user (mode 0600 in a 0700 folder), which is what CI and a fresh Debian without
a keyring daemon get. A key is filed under the device's serial number. Tests
inject a MemoryKeyStore or a FileKeyStore in a temporary folder.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)
KEYRING_SERVICE = "drg-workstation device link"
KEYS_FILE = "device-keys.json"


@dataclass(frozen=True)
class PairedKey:
    key: bytes  # the 32-byte link key
    key_id: bytes  # its 8-byte name on the wire

    def to_text(self) -> str:
        return json.dumps({"key": self.key.hex(), "key_id": self.key_id.hex()})

    @classmethod
    def from_text(cls, text: str) -> PairedKey:
        data = json.loads(text)
        return cls(bytes.fromhex(data["key"]), bytes.fromhex(data["key_id"]))


class KeyStore(Protocol):
    def get(self, serial: str) -> PairedKey | None: ...
    def put(self, serial: str, key: PairedKey) -> None: ...
    def delete(self, serial: str) -> None: ...


class MemoryKeyStore:
    """Keys for this process only (tests, and a service built without a store)."""

    def __init__(self) -> None:
        self._keys: dict[str, PairedKey] = {}

    def get(self, serial: str) -> PairedKey | None:
        return self._keys.get(serial)

    def put(self, serial: str, key: PairedKey) -> None:
        self._keys[serial] = key

    def delete(self, serial: str) -> None:
        self._keys.pop(serial, None)


class FileKeyStore:
    """A JSON file only its user can read or write: the fallback when no keyring serves."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def _write(self, keys: dict[str, str]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(keys, out)
        os.chmod(tmp, 0o600)  # the umask cannot widen it, and an older file's mode does not survive
        os.replace(tmp, self.path)

    def get(self, serial: str) -> PairedKey | None:
        with self._lock:
            text = self._read().get(serial)
        return PairedKey.from_text(text) if text else None

    def put(self, serial: str, key: PairedKey) -> None:
        with self._lock:
            keys = self._read()
            keys[serial] = key.to_text()
            self._write(keys)

    def delete(self, serial: str) -> None:
        with self._lock:
            keys = self._read()
            if keys.pop(serial, None) is not None:
                self._write(keys)


class KeyringKeyStore:
    """The OS keyring, through the `keyring` library."""

    def get(self, serial: str) -> PairedKey | None:
        import keyring

        text = keyring.get_password(KEYRING_SERVICE, serial)
        return PairedKey.from_text(text) if text else None

    def put(self, serial: str, key: PairedKey) -> None:
        import keyring

        keyring.set_password(KEYRING_SERVICE, serial, key.to_text())

    def delete(self, serial: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, serial)
        except PasswordDeleteError:
            pass  # nothing stored: nothing to forget


def keyring_usable() -> bool:
    """True when `keyring` found a backend that really stores secrets (not its fail or null one)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, (fail.Keyring, null.Keyring)) and getattr(backend, "priority", 0) > 0


def default_keystore(data_dir: Path) -> KeyStore:
    """The OS keyring when usable, else `data_dir`/device-keys.json (0600)."""
    if keyring_usable():
        log.info("device link keys kept in the OS keyring")
        return KeyringKeyStore()
    log.info("no OS keyring: device link keys kept in %s (mode 0600)", data_dir / KEYS_FILE)
    return FileKeyStore(data_dir / KEYS_FILE)
