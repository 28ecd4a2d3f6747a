"""The main window on a clinic's display, and what a user would find wrong with it there: a control
cut off, squeezed below its size or outside the window, STOP ALL not in sight, a scroll inside a
scroll, a short number in a field hundreds of pixels wide. The screenshot tests use it in-process
and, for a scaled 4K screen (QT_SCALE_FACTOR is read once per process), through `main` in a
subprocess: ``QT_SCALE_FACTOR=2 python -m ui.testing.screens 1920 1080 OUT.png``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QEventLoop, QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QLineEdit, QWidget

from ui.testing.layout import control_name, global_rect, interactive_controls

WIDE_FIELD_PX = 300  # a field showing a few characters wider than this is a 550-px two-digit field
SHORT_TEXT = 8


def problems(window: QWidget) -> list[str]:
    """What is wrong with the window as shown now, one sentence each (empty: nothing)."""
    inside = global_rect(window)
    found = []
    for widget in interactive_controls(window):
        rect, name = global_rect(widget), control_name(widget)
        if not inside.contains(rect):
            found.append(f"{name} is outside the window ({rect} not in {inside})")
        elif widget.visibleRegion().boundingRect().size() != widget.size():
            found.append(f"{name} is cut off ({widget.visibleRegion().boundingRect().size()} of {widget.size()})")
        hint = widget.minimumSize() if not widget.minimumSize().isNull() else widget.minimumSizeHint()
        if widget.width() < hint.width() or widget.height() < hint.height():  # below a size set for it, or its own
            found.append(f"{name} is squeezed below its size ({widget.size()} < {hint})")
        if isinstance(widget, QLineEdit | QAbstractSpinBox) and widget.width() > WIDE_FIELD_PX:
            text = widget.text()
            if len(text) <= SHORT_TEXT:
                found.append(f"{name} is {widget.width()} px wide for {text!r}")
    for area in window.findChildren(QAbstractScrollArea):
        if area.isVisible() and area.verticalScrollBar().isVisible() and _scrolls_inside_a_scroll(area):
            found.append(f"{control_name(area)} scrolls inside a scroll")
    return found + stop_all_problems(window)


def _scrolls_inside_a_scroll(area: QWidget) -> bool:
    parent = area.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.verticalScrollBar().isVisible():
            return True
        parent = parent.parentWidget()
    return False


def stop_all_problems(window: QWidget) -> list[str]:
    """STOP ALL is shown, enabled, whole, and inside the window's top bar."""
    button = window.findChild(QWidget, "stopAll")
    if button is None or not button.isVisible() or not button.isEnabled():
        return ["STOP ALL is not shown and enabled"]
    if not global_rect(window).contains(global_rect(button)):
        return [f"STOP ALL is outside the window ({global_rect(button)})"]
    return []


def screenshot(window: QWidget) -> QPixmap:
    """The window as the user sees it, the STOP ALL strip (its own small window) drawn over its place."""
    picture = window.grab()
    strip = window.findChild(QWidget, "stopAllStrip")
    if strip is not None and strip.isVisible():
        painter = QPainter(picture)
        painter.drawPixmap(window.mapFromGlobal(strip.mapToGlobal(QPoint(0, 0))), strip.grab())
        painter.end()
    return picture


def demo_visit(service, store) -> None:
    """A patient in session with lead 1 placed at L4 left and stimulating at 0.8 mA, leads 2-4 idle."""
    from drivers.types import ImpedanceMode, LeadConfig, Polarity
    from ui.testing.actions import raise_amplitude
    from workstation.models import LeadPlacement, Side, SpinalLevel

    patient = store.add_patient("Jane Demo", date(1968, 5, 14), "MRN-104522")
    service.recording.start_session(patient.id).result(10)
    service.recording.place_lead(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2026, 9, 2))).result(10)
    off, anode, cathode = Polarity.OFF, Polarity.ANODE, Polarity.CATHODE
    service.outputs.write_lead(LeadConfig(1, (anode, cathode, off, off), 0, 300, 20, False, 2000)).result(10)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(10)
    service.outputs.set_enabled(1, True).result(10)
    raise_amplitude(service, 1, 800)


def settled(window) -> bool:
    """The window shows the visit: the session's patient read, lead 1 named by its place."""
    return (
        "Jane Demo" in window.session_bar.text()
        and "L4 left" in window.lead_panel.findChild(QWidget, "leadTitle").text()
    )


def main(argv: list[str]) -> int:
    """Open the demo visit at width x height (logical pixels), save its screenshot to OUT.png and print
    the problems of every tab as JSON: for a screen whose scale factor needs a process of its own."""
    from drivers.keystore import FileKeyStore
    from ui.main_window import MainWindow
    from ui.testing.plugin import qa_user, sim_uri
    from workstation.records import ChainKey, RecordsStore
    from workstation.service import ProgrammingService

    width, height, out = int(argv[0]), int(argv[1]), Path(argv[2])
    app = QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp())
    store = RecordsStore.open(f"sqlite:///{folder / 'records.sqlite'}", ChainKey.load_or_create(folder / "keys"))
    service = ProgrammingService(store, keys=FileKeyStore(folder / "device-keys.json"), user=qa_user())
    service.connection.connect(sim_uri()).result(10)
    demo_visit(service, store)
    window = MainWindow(service, QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    show_at(window, QRect(0, 0, width, height))
    deadline = time.monotonic() + 10
    while not settled(window) and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    report = {}
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        app.processEvents()
        report[window.tabs.tabText(index)] = problems(window)
    window.tabs.setCurrentIndex(0)
    app.processEvents()
    screenshot(window).save(str(out))
    print(json.dumps({"problems": report, "ratio": window.devicePixelRatio(), "settled": settled(window)}))
    window.may_close = lambda: True
    window.close()
    service.shutdown()
    store.close()
    return 0


def show_at(window: QWidget, geometry: QRect) -> None:
    """Show the window un-maximised at `geometry`."""
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.setGeometry(geometry)
    window.show()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
