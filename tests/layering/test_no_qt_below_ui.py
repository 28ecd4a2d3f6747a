"""drivers/ and workstation/ must run without Qt: the import contract (as napari's)."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "qtpy")


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_module_below_ui_imports_qt():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for package in ("drivers", "workstation")
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in QT
    ]
    assert offenders == []


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
