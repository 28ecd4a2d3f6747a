"""The workstation's own log: rotating files in the platform's log folder.

    from workstation import logs
    logs.configure("INFO")          # once, at start-up (ui/app.py, the field tool)
    log = logging.getLogger(__name__)

What is logged (docs/field-engineer.md): every link state change, every
device error, every refusal (by the workstation or the device), STOP ALL,
sessions opened and closed by number, the USB capture starting and stopping.
What is never logged: patient data. Nothing here receives a patient's name,
date of birth or record number, a clinician's free text, or a session
event's payload; sessions and patients appear by their record id only. A
value refused at the service boundary is logged by its field name, never by
its value (it may be a name being typed). tests/fieldeng/test_logging.py
runs a session with a patient and checks the log holds none of it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from platformdirs import user_log_dir

from workstation.paths import APP_NAME

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
LOG_FILE = "drg-workstation.log"
MAX_BYTES = 2 * 1024 * 1024  # per file; a support bundle holds them all
BACKUPS = 4  # drg-workstation.log.1 … .4: 10 MiB at most
FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"
NAMESPACES = ("drivers", "workstation", "ui")  # our loggers; third-party ones stay at WARNING

_installed: logging.Handler | None = None


def log_dir() -> Path:
    """The platform's log folder for the workstation (DRG_LOG_DIR overrides it), created if missing."""
    path = Path(os.environ.get("DRG_LOG_DIR") or user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def level_name(level: str | None) -> str:
    """A valid level name: `level` (any case), else DRG_LOG_LEVEL, else INFO."""
    for candidate in (level, os.environ.get("DRG_LOG_LEVEL"), DEFAULT_LEVEL):
        if candidate and candidate.strip().upper() in LEVELS:
            return candidate.strip().upper()
    return DEFAULT_LEVEL


def configure(level: str | None = None, folder: Path | None = None) -> Path:
    """Send our loggers to a rotating file at `level`; returns the file. Calling it again
    replaces the handler (a new level or folder), so it never writes twice."""
    global _installed
    path = (folder or log_dir()) / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
        _installed.close()
    root.addHandler(handler)
    _installed = handler
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    set_level(level)
    return path


def set_level(level: str | None) -> str:
    """Change the level of our loggers now (the settings' choice); returns the level used."""
    name = level_name(level)
    for namespace in NAMESPACES:
        logging.getLogger(namespace).setLevel(name)
    return name


def current_file() -> Path | None:
    """The file being written, or None before `configure`."""
    handler = _installed
    return Path(handler.baseFilename) if isinstance(handler, logging.FileHandler) else None


def log_files(folder: Path | None = None) -> list[Path]:
    """The log file and its rotated predecessors, newest first."""
    base = current_file() if folder is None else folder / LOG_FILE
    if base is None:
        return []
    names = [base] + [base.with_name(f"{base.name}.{n}") for n in range(1, BACKUPS + 1)]
    return [p for p in names if p.exists()]


def flush() -> None:
    if _installed is not None:
        _installed.flush()


def shutdown() -> None:
    """Detach and close the file handler (tests; the end of a command-line run)."""
    global _installed
    if _installed is not None:
        logging.getLogger().removeHandler(_installed)
        _installed.close()
        _installed = None
