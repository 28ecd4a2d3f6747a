"""The pulse scope tab driven as a clinician would: it shows the delivered pulse with the
programmed one over it and read-outs; clipping is flagged; STOP ALL clicked while a capture
waits for its pulse stops the device at once."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from scope_setup import HeldSleep, deliver  # tests/drivers, on the path through tests/conftest.py

from ui.testing.plugin import find

WAIT_MS = 10_000


def open_scope(qtbot, window):
    window.tabs.setCurrentWidget(window.scope)
    scope = window.scope
    qtbot.waitUntil(lambda: scope.drawn >= 2, timeout=WAIT_MS)
    return scope


def cell(scope, row_name: str, column: int) -> str:
    table = find(scope, "scopeReadouts")
    for row in range(table.rowCount()):
        if table.item(row, 0).text().lstrip("⚠ ") == row_name:
            return table.item(row, column).text()
    raise LookupError(row_name)


def test_the_scope_shows_the_delivered_pulse_over_the_programmed_one_with_read_outs(qtbot, drg_window, drg_service):
    deliver(drg_service, 1500)
    scope = open_scope(qtbot, drg_window)
    qtbot.waitUntil(lambda: "matches the program" in find(scope, "scopeVerdict").text(), timeout=WAIT_MS)
    assert cell(scope, "Amplitude", 1) == "1500 µA"
    assert cell(scope, "Cathodic phase", 1) == "300.0 µs"
    assert cell(scope, "Interphase", 2) == "programmed 20.0 µs: as programmed"
    t, delivered = scope.current_curve.getData()
    assert np.diff(t).max() <= 2.0  # ≤ 2 µs a sample
    t_programmed, programmed = scope.programmed_curve.getData()
    phase = (t_programmed > 10) & (t_programmed < 290)
    assert (programmed[phase] == -1500).all()
    assert abs(np.median(delivered[(t > 10) & (t < 290)]) + 1500) < 5
    assert "µs per sample" in find(scope, "scopeStatus").text()

    qtbot.mouseClick(find(scope, "scopeRecharge"), Qt.MouseButton.LeftButton)  # the small, long recharge
    (x_low, x_high), (y_low, y_high) = scope.current_plot.viewRange()
    assert x_high - x_low > 2000 and 0 < y_high < 200 and y_low > -100
    qtbot.mouseClick(find(scope, "scopeResetZoom"), Qt.MouseButton.LeftButton)
    (x_low, x_high), _y = scope.current_plot.viewRange()
    assert x_low < 0 < 300 < x_high < 1000


@pytest.mark.drg_sim(high="1.1")
def test_a_clipped_pulse_is_flagged_in_words_and_in_the_table(qtbot, drg_window, drg_service):
    deliver(drg_service, 4000)
    scope = open_scope(qtbot, drg_window)
    qtbot.waitUntil(lambda: "Clipped at the compliance" in find(scope, "scopeVerdict").text(), timeout=WAIT_MS)
    assert cell(scope, "Compliance", 0).startswith("⚠")
    assert cell(scope, "Compliance", 2).startswith("CLIPPED")
    assert cell(scope, "Amplitude", 0).startswith("⚠")


def test_persistent_and_paused_displays(qtbot, drg_window, drg_service):
    deliver(drg_service, 1000)
    scope = open_scope(qtbot, drg_window)
    mode = find(scope, "scopeMode")
    mode.setCurrentIndex(1)  # persistent
    drawn = scope.drawn
    qtbot.waitUntil(lambda: scope.drawn >= drawn + 8, timeout=WAIT_MS)
    drawn_traces = [curve for curve in scope.persistence if curve.getData()[0] is not None]
    assert len(drawn_traces) >= 2
    qtbot.mouseClick(find(scope, "scopeRun"), Qt.MouseButton.LeftButton)
    assert find(scope, "scopeRun").text() == "Run" and not drg_service.scope.running
    assert "Paused" in find(scope, "scopeStatus").text()


def test_stop_all_clicked_while_a_capture_waits_stops_the_device_at_once(qtbot, drg_window, drg_service, drg_device):
    deliver(drg_service, 1000, frequency=4)
    scope = open_scope(qtbot, drg_window)
    gate = HeldSleep(drg_device._sleep)
    drg_device._sleep = gate
    try:
        assert gate.entered.wait(10)  # the scope's capture is on the wire, waiting for its pulse
        started = time.monotonic()
        qtbot.mouseClick(find(drg_window, "stopAll"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=2000)
        assert time.monotonic() - started < 0.5 and not gate.release.is_set()
    finally:
        gate.armed = False
        gate.release.set()
    qtbot.waitUntil(lambda: "lead is off" in find(scope, "scopeVerdict").text(), timeout=WAIT_MS)
    assert drg_device.outputs_on == ()
