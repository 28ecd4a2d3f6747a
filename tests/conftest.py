"""Shared test set-up: headless Qt; make tests/fakes.py and tests/<area>/ helper modules importable by name."""
import os
import pathlib
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # tests are headless wherever they run

HERE = pathlib.Path(__file__).parent
for folder in (HERE, HERE / "drivers"):
    sys.path.insert(0, str(folder))
