"""Runs the workstation on a real X display (QT_QPA_PLATFORM=xcb) over the
simulated pulse generator, switches lead 1 on, opens one scenario (a dialog,
a menu, a popup, a drag), then presses STOP ALL with REAL X input and checks
the device:

    python tests/ui/realinput/driver.py SCENARIO key|click

`key` presses Esc with XTEST; `click` moves the real pointer to the STOP ALL
button's screen position and clicks. Exit status 0 when the simulated device
switched every output off by STOP ALL; 1 with a diagnosis otherwise. Used by
test_stop_all_reachable.py, each run in its own process (a QApplication
has one platform, and the rest of the suite runs offscreen).

The script is a generator ticked by a timer, so it keeps going while the
app sits in a dialog's own exec() loop.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity
from ui.testing import realinput

SIM_URI = "sim://0?impedance_ms=1&latency_ms=0&magnet=held"
STEP_TIMEOUT_S = 15.0
P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


class App:
    """The workstation under test and its simulated device."""

    def __init__(self, scenario) -> None:
        from ui.main_window import MainWindow
        from ui.testing.plugin import qa_user
        from workstation.records.store import RecordsStore
        from workstation.service import ProgrammingService

        self.tmp = tempfile.mkdtemp(prefix="drg-realinput-")
        self.store = RecordsStore.open(f"sqlite:///{self.tmp}/records.sqlite")
        self.service = ProgrammingService(self.store, user=qa_user())
        self.service.connection.connect(SIM_URI).result(10)
        self.device = self.service.link.simulator.model
        self.patient = self.store.add_patient("Real Input", date(1970, 1, 1), "RI-0001")
        if scenario.session:
            self.service.recording.start_session(self.patient.id).result()
        else:  # an unclosed session, as a crash leaves it: something to resume
            state = self.service.state
            self.store.open_session(self.patient.id, state.identity, state.capabilities, "Earlier Clinician")
        self.window = MainWindow(self.service, QSettings(f"{self.tmp}/settings.ini", QSettings.IniFormat))
        self.window.move(0, 0)
        self.window.show()
        self.drag_start = 0

    def lead_on(self, scenario) -> None:
        """Lead 1 on, through the service with a session, through the client without one."""
        config = LeadConfig(1, (P, M, O, O), 0, scenario.pulse_width_us, 20, False, 3000)
        if scenario.session:
            service = self.service
            service.outputs.write_lead(config).result(5)
            service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(5)
            service.outputs.set_enabled(1, True).result(5)
            service.outputs.set_amplitude(1, 100).result(5)
        else:
            client = self.service.link.client
            client.write_lead(config.with_(patient_max_ua=3000))
            client.measure_impedance(ImpedanceMode.LEAD_PAIR, 1)
            client.set_stimulation(1, True)

    def stop_all_events(self) -> int:
        return sum(1 for event in self.device.events if event.code == EventCode.STOP_ALL)

    def describe(self) -> str:
        focus = QApplication.focusWindow()
        popup = QApplication.activePopupWidget()
        modal = QApplication.activeModalWidget()
        strip = self.window.stop_guard.strip
        return (
            f"outputs_on={self.device.outputs_on} stop_all_events={self.stop_all_events()} "
            f"focus_window={focus.objectName() if focus else None} popup={popup} "
            f"modal={modal.objectName() if modal else None} strip_visible={strip.isVisible()} "
            f"strip_geometry={strip.geometry().getRect()} status={self.window.statusBar().currentMessage()!r}"
        )


def script(app: App, scenario, action: str):
    """Steps; each `yield (predicate, what)` waits until predicate() holds."""
    yield (lambda: app.window.isVisible() and app.window.lead_chooser.count() > 0, "the main window")
    yield (lambda: app.window.stop_guard.strip.isVisible(), "the STOP ALL strip")
    app.lead_on(scenario)
    yield (lambda: app.device.outputs_on == (1,), "lead 1 on")
    if scenario.stored:
        written = app.service.programs.write(app.service.programs.current("Live"))
        yield (written.done, "the live settings written")
        written.result()
        yield (lambda: not app.window.programs.has_unwritten_changes(), "nothing unwritten")
    if scenario.unwritten:
        yield (lambda: app.window.programs.has_unwritten_changes(), "unwritten changes")
    before = app.stop_all_events()
    started = []
    QTimer.singleShot(0, lambda: started.append(scenario.open(app)))  # may block in exec(): the script goes on
    yield (lambda: bool(started) or scenario.is_open(app), "the opener to run")
    procs = started[0] if started and isinstance(started[0], list) else [started[0]] if started else []
    for proc in procs:
        if hasattr(proc, "poll"):
            yield (lambda proc=proc: proc.poll() is not None, "xdotool (opening)")
    yield (lambda: scenario.is_open(app), f"{scenario.name} to be open")
    if action == "key":
        proc = realinput.key("Escape")
    else:
        proc = realinput.click(app.window.stop_guard.button)
    yield (lambda: proc.poll() is not None, f"xdotool ({action})")
    yield (
        lambda: app.device.outputs_on == () and app.stop_all_events() > before,
        f"STOP ALL on the device after a real {action} with {scenario.name} open",
    )
    if scenario.name == "splitterDrag":
        up = realinput.mouse_up()
        yield (lambda: up.poll() is not None, "xdotool (drop)")


def main() -> int:
    from scenarios import SCENARIOS

    name, action = sys.argv[1], sys.argv[2]
    scenario = SCENARIOS[name]
    qapp = QApplication(sys.argv[:1])
    app = App(scenario)
    steps = script(app, scenario, action)
    state = {"wait": None, "deadline": 0.0, "result": None}

    def finish(code: int, text: str) -> None:
        state["result"] = (code, text)
        print(text, flush=True)
        app.service.shutdown()
        os._exit(code)  # a dialog may still be in its exec() loop: do not unwind through it

    def tick() -> None:
        try:
            while True:
                if state["wait"] is not None:
                    predicate, what = state["wait"]
                    if not predicate():
                        if time.monotonic() > state["deadline"]:
                            finish(1, f"FAIL {name} {action}: timed out waiting for {what}; {app.describe()}")
                        return
                state["wait"] = next(steps)
                state["deadline"] = time.monotonic() + STEP_TIMEOUT_S
        except StopIteration:
            finish(0, f"OK {name} {action}: {app.describe()}")
        except Exception:  # noqa: BLE001 - report anything as a failure with its traceback
            finish(1, f"FAIL {name} {action}: {traceback.format_exc()}")

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    qapp.exec()
    return 1


if __name__ == "__main__":
    sys.exit(main())
