"""What this workstation is: its version and the versions of what it runs on, for
exports, the log and the diagnostics bundle."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

DISTRIBUTION = "drg-workstation"
_PACKAGES = ("pyusb", "libusb-package", "numpy", "SQLAlchemy", "alembic", "platformdirs", "PySide6-Essentials")


def workstation_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def versions() -> dict[str, str]:
    """The workstation, Python, the platform and each runtime package (installed or not)."""
    found = {
        "drg-workstation": workstation_version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
