"""drivers/ and workstation/ must run without Qt. Their static imports are the
import-linter contract "No Qt below ui/" (pyproject.toml, run by .ci/run); this
checks what static analysis cannot: importing every module loads no Qt."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "qtpy")


def test_importing_the_lower_layers_loads_no_qt():
    code = (
        "import sys, pkgutil, importlib, drivers, workstation\n"
        "for pkg in (drivers, workstation):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {QT!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
