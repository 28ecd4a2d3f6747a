"""Where the workstation keeps its files on this computer (per user, per OS convention)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "drg-workstation"


def data_dir() -> Path:
    """The user's data folder for the workstation, created if missing."""
    path = Path(user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_records_file() -> Path:
    return data_dir() / "records.sqlite3"


def keys_dir() -> Path:
    """This workstation's own keys (the audit chain's signing key), readable by the user only."""
    path = data_dir() / "keys"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
