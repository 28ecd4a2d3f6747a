"""Shared test set-up: headless Qt; make tests/drivers/ helper modules importable by name."""
import os
import pathlib
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # tests are headless wherever they run

sys.path.insert(0, str(pathlib.Path(__file__).parent / "drivers"))
