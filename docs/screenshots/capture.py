"""Capture the screenshots in docs/screenshots/ from the real app on a real X display.

Run under Xvfb (no window manager needed):
    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python docs/screenshots/capture.py
It drives a demo visit on the simulator (a fault on lead 3 contact 3), then
grabs the screen with each main view showing. Then a field engineer connects to a
generator with contact 3 of lead 2 open, contacts 1-2 of lead 1 shorted and the battery
at ERI (`sim://0?open=2.3&short=1.2&battery=eri`), without a patient or a session, and
each page of the Field engineer tab is captured (field_*.png).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from drivers.types import ImpedanceMode, LeadConfig, Polarity
from ui.lead_panel.confirm import ask_confirmation
from ui.main_window import MainWindow
from ui.report import write_pdf
from ui.testing.actions import raise_amplitude
from ui.testing.plugin import qa_user
from workstation import logs
from workstation.bodymap import BodyMap
from workstation.models import LeadPlacement, PainScore, PainTiming, Side, SpinalLevel
from workstation.records import RecordsStore
from workstation.service import ConfirmationRequired, ProgrammingService

OUT = Path(__file__).parent
P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shot(app: QApplication, window: MainWindow, name: str) -> None:
    settle(app, 1.0)
    app.primaryScreen().grabWindow(0).save(str(OUT / f"{name}.png"))
    print("saved", OUT / f"{name}.png")


def main() -> int:
    app = QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp())
    logs.configure("INFO", folder / "logs")  # as the app does: the Field engineer tab shows its folder
    store = RecordsStore.open(f"sqlite:///{folder / 'records.sqlite'}")
    service = ProgrammingService(store, user=qa_user())
    service.connection.connect("sim://0?open=3.3&impedance_ms=5&magnet=held").result(10)
    window = MainWindow(service, QSettings(str(folder / "settings.ini"), QSettings.IniFormat))
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    settle(app, 0.5)

    patient = store.add_patient("Jane Demo", date(1968, 5, 14), "MRN-104522")
    earlier_visit(service, store, patient.id)
    service.recording.start_session(patient.id).result(10)
    for channel, level, side in (
        (1, SpinalLevel.L4, Side.LEFT),
        (2, SpinalLevel.L5, Side.LEFT),
        (3, SpinalLevel.S1, Side.RIGHT),
    ):
        service.recording.place_lead(LeadPlacement(channel, level, side, date(2026, 9, 2))).result(10)
    for lead in (1, 2, 3):
        service.outputs.write_lead(
            LeadConfig(lead, (P, M, O, O) if lead != 3 else (O, P, M, O), 0, 300, 20, False, 2000)
        ).result(10)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR).result(10)
    for lead, amplitude in ((1, 800), (2, 600)):
        service.outputs.set_enabled(lead, True).result(10)
        raise_amplitude(service, lead, amplitude, 20)
    window.tabs.setCurrentWidget(window.body_map)
    wait_for(app, window.body_map.previous.isVisible)
    shot(app, window, "body_map_previous")  # the last visit's pain offered as a starting point
    window.body_map.previous.use.click()  # its levels are starred on the spinal map
    window.tabs.setCurrentIndex(0)
    window.select_lead(1)
    shot(app, window, "main_window")
    window.tabs.setCurrentWidget(window.waveforms)
    shot(app, window, "waveforms")
    window.tabs.setCurrentWidget(window.scope)  # lead 1: 800 µA, 300 µs, 20 Hz, averaged
    wait_for(app, lambda: window.scope.drawn >= 8)
    shot(app, window, "pulse_scope")
    window.tabs.setCurrentWidget(window.impedance)
    window.impedance.measure()
    table = window.impedance.findChild(QWidget, "impedanceTable")
    wait_for(app, lambda: table.rowCount() >= 3)
    shot(app, window, "impedance_tab")
    window.tabs.setCurrentWidget(window.programs)
    shot(app, window, "programs_tab")
    visit_record(app, window, service)
    window.tabs.setCurrentIndex(0)
    service.stop_all().result(10)
    service.outputs.set_enabled(1, True).result(10)  # back on at 0 µA: "Ramp back to 0.800 mA" is offered
    shot(app, window, "resume_after_stop")
    try:
        service.outputs.set_amplitude(1, 1500)
    except ConfirmationRequired as exc:
        box = ask_confirmation(window.lead_panel, window.names, exc, lambda: None)
        shot(app, window, "rise_confirm")
        box.reject()
    service.link.simulator.unplug()
    window.tabs.setCurrentIndex(0)
    wait_for(app, window.banner.isVisible)
    shot(app, window, "link_lost")
    window.may_close = lambda: True  # the link stays down: the session is left for the records (no reconnect)
    window.close()
    service.shutdown()
    field_engineer(app, store, folder)
    store.close()
    return 0


def earlier_visit(service: ProgrammingService, store: RecordsStore, patient_id: int) -> None:
    """A visit before the demo one, so the patient returns: pain and a body map, then closed."""
    state = service.state
    session = store.open_session(patient_id, state.identity, state.capabilities, "Dr B. Earlier")
    store.record_pain_score(session.id, PainScore(8, PainTiming.BEFORE, 79))
    store.record_body_map(session.id, BodyMap.of({"front-knee-left": 8, "front-L4-left": 6}, {}))
    store.close_session(session.id)


def visit_record(app: QApplication, window: MainWindow, service: ProgrammingService) -> None:
    """The body map painted (knee and foot pain, leads 1 and 2 felt), the History tab, its print
    dialog, and page 1 of the visit's PDF report (rendered with pdftoppm)."""
    service.recording.record_pain_score(PainScore(7, PainTiming.BEFORE, 68)).result(10)
    body_map = BodyMap.of(
        {"front-knee-left": 7, "front-L4-left": 5, "front-foot-left": 8, "back-foot-left": 6},
        {1: ["front-L4-left", "front-knee-left", "front-L3-left"], 2: ["front-foot-left", "front-L5-left"]},
    )
    window.tabs.setCurrentWidget(window.body_map)
    window.body_map.set_map(body_map)
    window.body_map.save.click()
    settle(app, 0.5)
    shot(app, window, "body_map")
    service.recording.record_pain_score(PainScore(3, PainTiming.AFTER, 31)).result(10)
    window.tabs.setCurrentWidget(window.history)
    wait_for(app, lambda: window.history.visits.rowCount() > 0)
    window.history.visits.selectRow(0)
    shot(app, window, "history")
    window.history.print_report()  # the print dialog over the window; STOP ALL stays above it
    wait_for(app, lambda: getattr(app.activeModalWidget(), "objectName", str)() == "visitPrintDialog")
    shot(app, window, "print_dialog")
    app.activeModalWidget().reject()
    pdf = Path(tempfile.mkdtemp()) / "report.pdf"
    write_pdf(service.recording.visit(service.session_id).result(10), pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(OUT / "report")])
    print("saved", OUT / "report.png")


def field_engineer(app: QApplication, store: RecordsStore, folder: Path) -> None:
    """The Field engineer tab on a faulty generator, no patient or session (docs/field-engineer.md)."""
    service = ProgrammingService(store, user=qa_user())
    service.connection.connect("sim://0?open=2.3&short=1.2&battery=eri&impedance_ms=5&magnet=held").result(10)
    window = MainWindow(service, QSettings(str(folder / "field.ini"), QSettings.IniFormat))
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    window.show_field_engineer()
    field = window.field
    field.start_capture()
    service.connection.start_telemetry(10_000).result(10)
    settle(app, 0.5)
    shot(app, window, "field_device")
    field.tabs.setCurrentIndex(1)
    field.diagnose()
    wait_for(app, lambda: service.field.last_diagnosis is not None)
    field.load_history()
    shot(app, window, "field_diagnosis")
    field.tabs.setCurrentIndex(3)
    field.run_self_test()
    wait_for(app, lambda: service.field.last_self_test is not None)
    shot(app, window, "field_self_test")
    field.tabs.setCurrentIndex(2)
    field.read_log()
    wait_for(app, lambda: bool(field.shown_log()))
    shot(app, window, "field_device_log")
    field.tabs.setCurrentIndex(4)
    bundle = folder / "diagnostics.zip"
    field.save_bundle(bundle)
    wait_for(app, bundle.exists)
    field.refresh()
    shot(app, window, "field_capture")
    window.close()
    service.shutdown()


def wait_for(app: QApplication, condition, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the workstation did not finish in time")
        settle(app, 0.05)


if __name__ == "__main__":
    sys.exit(main())
