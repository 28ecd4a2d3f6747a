"""Cold start: process start to an interactive main window connected to the simulator.

Each run spawns `python -c CHILD` that runs ui.app.main with a records
database in a temporary folder (--records) and the default sim:// link.
The child patches, in its own process only, MainWindow.__init__ so that it
prints perf_counter stamps: when the event loop first runs with the window
shown ("shown", the window answers input from then on) and when the
window's bridge delivers LinkState.CONNECTED on the GUI thread
("connected"); then it quits. perf_counter is CLOCK_MONOTONIC on Linux, so
the child's stamps compare with the parent's spawn time. The figure is the
median over the runs of spawn -> connected; target <= 1.5 s.

One untimed run comes first: it creates the records database (a clinic's
first start) and warms the OS file cache, so the timed runs are a daily
start with a warm cache. If ui.main_window does not import yet, the child
measures imports + records store + ProgrammingService.connect instead, and
the RESULT line says mode=service.

Run: .venv/bin/python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import REPO, machine, result

TARGET_S = 1.5
TIMEOUT_S = 60

NO_UI = 3  # the child's exit status when the main window does not import yet

STAMP = f"""
import sys, time
NO_UI = {NO_UI}
def stamp(name):
    print(f"STAMP {{name}} {{time.perf_counter():.6f}}", flush=True)
stamp("interpreter")
"""

CHILD_UI = (
    STAMP
    + """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
try:
    import ui.app
    import ui.main_window
except ImportError as exc:
    print(f"NO-UI {exc}", flush=True)
    sys.exit(NO_UI)
from workstation.service import LinkState
from ui.testing.plugin import qa_user
stamp("imported")
original_init = ui.main_window.MainWindow.__init__

def on_link(state, _detail):
    if state == LinkState.CONNECTED:
        stamp("connected")
        QTimer.singleShot(0, QApplication.quit)

def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    self.bridge.linkChanged.connect(on_link)
    QTimer.singleShot(0, lambda: stamp("shown"))

ui.main_window.MainWindow.__init__ = init
code = ui.app.main(["--records", sys.argv[1]])
stamp("exited")
sys.exit(code)
"""
)

CHILD_SERVICE = (
    STAMP
    + """
from workstation.service import ProgrammingService
from workstation.records.store import RecordsStore
stamp("imported")
store = RecordsStore.open(sys.argv[1])
service = ProgrammingService(store, user=qa_user())
service.connection.connect("sim://0?magnet=held").result(30)
stamp("connected")
service.shutdown()
store.close()
stamp("exited")
"""
)


def run_once(child: str, folder: Path) -> dict[str, float]:
    """Seconds from spawn to each stamp the child printed."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
    }
    url = f"sqlite:///{folder / 'records.sqlite'}"
    spawned = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", child, url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    stamps = {}
    for line in done.stdout.splitlines():
        if line.startswith("STAMP "):
            _, name, value = line.split()
            stamps[name] = float(value) - spawned
    if done.returncode == NO_UI:
        raise NoUi(done.stdout.split("NO-UI ", 1)[1].strip())
    if done.returncode != 0 or "connected" not in stamps:
        raise RuntimeError(f"the child failed (exit {done.returncode}):\n{done.stderr}")
    return stamps


class NoUi(RuntimeError):
    """The main window does not import yet."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    mode, child = "ui", CHILD_UI
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            first = run_once(child, folder)
        except NoUi as exc:
            print(f"the main window does not start yet ({exc}): timing imports + store + service connect")
            mode, child = "service", CHILD_SERVICE
            first = run_once(child, folder)
        print(f"first run (creates the records database): connected after {first['connected']:.3f} s")
        runs = [run_once(child, folder) for _ in range(args.runs)]
    names = [name for name in ("interpreter", "imported", "shown", "connected", "exited") if name in runs[0]]
    for name in names:
        values = [run[name] for run in runs]
        print(f"  {name:<12} median {statistics.median(values):.3f} s  (runs: {', '.join(f'{v:.3f}' for v in values)})")
    connected = statistics.median(run["connected"] for run in runs)
    print(
        f"spawn -> connected, median of {args.runs}: {connected:.3f} s, {connected / TARGET_S:.2f}x the "
        f"{TARGET_S:g} s target (mode: {mode})"
    )
    extra = {"shown_median_s": statistics.median(run["shown"] for run in runs)} if mode == "ui" else {}
    result(
        "cold_start",
        connected_median_s=connected,
        target_connected_median_s=TARGET_S,
        **extra,
        first_run_s=first["connected"],
        runs=args.runs,
        mode=mode,
    )


if __name__ == "__main__":
    main()
