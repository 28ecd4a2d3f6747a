"""Esc is STOP ALL exactly once per press, whichever way Qt delivers it (ui/stop_all.py).

Qt offers an Esc press to shortcuts first: when a QShortcut or QAction takes it, no KeyPress
is delivered, only a ShortcutOverride and a Shortcut event. The device must still get STOP ALL,
once, and the shortcut must still do its job. The keys go through QTest, which routes a press
through Qt's shortcut map as the window system does (the real X input: tests/ui/realinput/).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity
from ui import dialogs
from ui.testing.plugin import find

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
ESC = int(Qt.Key.Key_Escape)
NONE = Qt.KeyboardModifier.NoModifier


def stop_alls(device) -> int:
    return sum(1 for event in device.events if event.code == EventCode.STOP_ALL)


@pytest.fixture
def lead_on(qtbot, drg_window_session, drg_service, drg_device):
    """The main window, active, with lead 1 stimulating and its focus on the patient search."""
    drg_service.outputs.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=3000)).result(5)
    drg_service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    assert drg_device.outputs_on == (1,) and stop_alls(drg_device) == 0
    window = drg_window_session
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    focus = find(window, "patientSearch")
    focus.setFocus()
    return focus


def stopped_once(qtbot, service, device) -> bool:
    qtbot.waitUntil(lambda: device.outputs_on == ())
    service.wait_idle(5)
    return stop_alls(device) == 1


def esc_shortcut(kind: str, window, fired: list[str]) -> None:
    """Esc bound in the main window (window context) the two ways Qt has."""
    if kind == "QShortcut":
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        shortcut.activated.connect(lambda: fired.append(kind))
    else:
        action = QAction("Esc action", window)
        action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        action.triggered.connect(lambda: fired.append(kind))
        window.addAction(action)


@pytest.mark.parametrize("kind", ["QShortcut", "QAction"])
def test_esc_taken_by_a_shortcut_still_stops_once(qtbot, lead_on, drg_window_session, drg_service, drg_device, kind):
    fired: list[str] = []
    esc_shortcut(kind, drg_window_session, fired)
    QTest.keyClick(lead_on, Qt.Key.Key_Escape)
    assert fired == [kind]  # Qt took Esc as the shortcut: no KeyPress was delivered
    assert stopped_once(qtbot, drg_service, drg_device)


@pytest.mark.parametrize("shortcut", [False, True])
def test_a_held_esc_stops_once(qtbot, lead_on, drg_window_session, drg_service, drg_device, shortcut):
    """Auto-repeat sends release and press pairs marked as repeats: only the first press stops."""
    fired: list[str] = []
    if shortcut:
        esc_shortcut("QShortcut", drg_window_session, fired)
    QTest.simulateEvent(lead_on, True, ESC, NONE, "", False)
    for _ in range(3):
        QTest.simulateEvent(lead_on, False, ESC, NONE, "", True)
        QTest.simulateEvent(lead_on, True, ESC, NONE, "", True)
    QTest.simulateEvent(lead_on, False, ESC, NONE, "", False)
    assert fired == (["QShortcut"] * 4 if shortcut else [])
    assert stopped_once(qtbot, drg_service, drg_device)


def test_each_esc_press_stops(qtbot, lead_on, drg_service, drg_device):
    """Two presses in one turn of the event loop (a burst under load) are two STOP ALLs."""
    QTest.keyClick(lead_on, Qt.Key.Key_Escape)
    QTest.keyClick(lead_on, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: drg_device.outputs_on == ())
    drg_service.wait_idle(5)
    assert stop_alls(drg_device) == 2


def test_esc_in_a_dialog_stops_once_and_cancels_it(qtbot, lead_on, drg_window_session, drg_service, drg_device):
    box = dialogs.message_box(drg_window_session, "stopAllFailed", QMessageBox.Icon.Critical, "A dialog", "Esc me")
    box.addButton(QMessageBox.StandardButton.Ok)
    box.open()
    qtbot.waitUntil(box.isActiveWindow)
    QTest.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert stopped_once(qtbot, drg_service, drg_device)


def test_esc_to_a_window_a_dialog_blocks_stops_once(qtbot, lead_on, drg_window_session, drg_service, drg_device):
    """The print dialog race under load (docs/stop-all-reachability.md): a window-modal dialog is
    shown, the keyboard focus is still on the main window, so the window system sends Esc there.
    Qt drops a key to a blocked window (no ShortcutOverride, no KeyPress) but looks it up as a
    shortcut; the guard's fallback shortcut takes it. Sent through the window system interface,
    as the X platform plugin sends it."""
    box = dialogs.message_box(drg_window_session, "stopAllFailed", QMessageBox.Icon.Critical, "A dialog", "Esc me")
    box.addButton(QMessageBox.StandardButton.Ok)
    box.open()
    main = drg_window_session.windowHandle()
    QTest.simulateEvent(main, True, ESC, NONE, "", False)
    QTest.simulateEvent(main, False, ESC, NONE, "", False)
    assert stopped_once(qtbot, drg_service, drg_device)
    assert box.isVisible()  # the key never reached the dialog
