"""Shared test set-up: headless Qt; make tests/drivers/ helper modules importable by name."""

import os
import pathlib
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # tests are headless wherever they run
# The workstation's own files (audit key and anchors, logs) go to a folder of this test run, not the user's.
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="drg-test-data-"))

sys.path.insert(0, str(pathlib.Path(__file__).parent / "drivers"))

from hypothesis import settings

# Property tests run a bounded number of examples in CI; a long campaign (docs/safety.md):
#   DRG_HYPOTHESIS_PROFILE=campaign .venv/bin/python -m pytest \
#       tests/sim/test_device_invariants.py tests/service/test_service_invariants.py
settings.register_profile("ci", deadline=None)
settings.register_profile("campaign", deadline=None, max_examples=5000, stateful_step_count=100)
settings.load_profile(os.environ.get("DRG_HYPOTHESIS_PROFILE", "ci"))
