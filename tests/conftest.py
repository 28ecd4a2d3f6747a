"""Shared test set-up: make tests/<area>/ helper modules importable by name."""
import pathlib
import sys

for area in ("drivers",):
    sys.path.insert(0, str(pathlib.Path(__file__).parent / area))
