"""The plugin alone, without this project's conftest and without a display: headless, and the marker works."""

import os
import subprocess
import sys

TEST = """
import os
import pytest


@pytest.mark.drg_sim("battery=eri")
def test_headless_with_a_scenario(drg_window, drg_device):
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert drg_device.battery.state.name == "ERI"
"""


def test_plugin_alone_without_a_display(tmp_path):
    (tmp_path / "test_alone.py").write_text(TEST)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--strict-markers",
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
