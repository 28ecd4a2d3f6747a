"""Shared test set-up: make tests/fakes.py and tests/<area>/ helper modules importable by name."""
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
for folder in (HERE, HERE / "drivers"):
    sys.path.insert(0, str(folder))
