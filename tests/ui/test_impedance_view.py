"""The impedance view on a simulated pulse generator with an open contact (2.3)
and a shorted pair (1.1-2), driven with real clicks and keys: what the
clinician sees, what the device measured and what the records hold."""

from __future__ import annotations

import csv
import re
from datetime import datetime

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QPushButton, QTableWidget

from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity
from ui.bridge import ServiceBridge
from ui.impedance.readings import (
    CLASS_COLOURS,
    CLASS_TINTS,
    CSV_COLUMNS,
    STALE_COLOUR,
    format_ohms,
)
from ui.impedance.view import ImpedanceView
from ui.testing.plugin import qa_user
from workstation.models import ImpedanceClass
from workstation.service import ProgrammingService

FAULTY_URI = "sim://0?impedance_ms=1&latency_ms=0&magnet=held&open=2.3&short=1.1-2"
SLOW_URI = "sim://0?impedance_ms=200&latency_ms=0&magnet=held"
WAIT_S = 10
WAIT_MS = 5000
P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
# Lead pairs that take in the faults: lead 1 on the shorted 1-2, lead 2 on 3-4 with 3 open.
LEAD_CONTACTS = {1: (P, M, O, O), 2: (O, O, P, M), 3: (P, M, O, O), 4: (O, P, M, O)}
S, N, X = "Short circuit", "Normal", "Open circuit"  # as shown; the CSV keeps the codes
LEAD_PAIR_ROWS = [  # leads not placed: named "Lead N" (a placed one: "L4 left (1)")
    ("Lead 1", "1–2", S, "Failed"),
    ("Lead 2", "3–4", X, "Failed"),
    ("Lead 3", "1–2", N, "Passed"),
    ("Lead 4", "2–3", N, "Passed"),
]
PAIRS = ("1–2", "1–3", "1–4", "2–3", "2–4", "3–4")


def _expected(mode: ImpedanceMode) -> list[tuple[str, str, str]]:
    """(lead, contacts, class) of every row the table must show, in order."""
    if mode is ImpedanceMode.LEAD_PAIR:
        return [row[:2] + (row[2],) for row in LEAD_PAIR_ROWS]
    if mode is ImpedanceMode.CONTACT_TO_CASE:
        return [
            (f"Lead {lead}", f"{c}–case", X if (lead, c) == (2, 3) else N) for lead in range(1, 5) for c in range(1, 5)
        ]
    return [
        (f"Lead {lead}", pair, S if (lead, pair) == (1, "1–2") else X if lead == 2 and "3" in pair else N)
        for lead in range(1, 5)
        for pair in PAIRS
    ]


def _connected(store, patient, uri: str, leads: dict) -> ProgrammingService:
    service = ProgrammingService(store, user=qa_user())
    service.connection.connect(uri).result(WAIT_S)
    service.recording.start_session(patient.id).result()
    for lead, contacts in leads.items():
        service.outputs.write_lead(LeadConfig(lead, contacts, 0, 300, 20, False, 2000)).result(WAIT_S)
    return service


@pytest.fixture
def faulty_service(drg_store, drg_patient):
    service = _connected(drg_store, drg_patient, FAULTY_URI, LEAD_CONTACTS)
    yield service
    service.shutdown()


@pytest.fixture
def slow_service(drg_store, drg_patient):
    service = _connected(drg_store, drg_patient, SLOW_URI, {})
    yield service
    service.shutdown()


def _view(qtbot, service, patient_id) -> ImpedanceView:
    view = ImpedanceView(ServiceBridge(service))
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.set_patient(patient_id)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def view(qtbot, faulty_service, drg_patient) -> ImpedanceView:
    return _view(qtbot, faulty_service, drg_patient.id)


def _child(view, kind, name):
    child = view.findChild(kind, name)
    assert child is not None, name
    return child


def _choose_mode(qtbot, view, mode: ImpedanceMode) -> None:
    combo = _child(view, QComboBox, "impedanceMode")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.findData(mode)):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() is mode


def _measure(qtbot, view, mode: ImpedanceMode):
    _choose_mode(qtbot, view, mode)
    before = view.runs().get(mode)
    button = _child(view, QPushButton, "impedanceMeasure")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.runs().get(mode) is not before and button.isEnabled(), timeout=WAIT_MS)
    return view.runs()[mode]


def _rows(view, columns=(0, 1, 3)) -> list[tuple[str, ...]]:
    table = _child(view, QTableWidget, "impedanceTable")
    return [tuple(table.item(row, c).text() for c in columns) for row in range(table.rowCount())]


def _measured_leads(device) -> list[int]:
    return [e.lead for e in device.events if e.code == EventCode.IMPEDANCE_MEASURED]


@pytest.mark.parametrize("mode", list(ImpedanceMode), ids=lambda mode: mode.name)
def test_each_mode_lists_every_measurement_classed_and_coloured(qtbot, view, faulty_service, mode):
    device = faulty_service.link.simulator.model
    _measure(qtbot, view, mode)

    assert _rows(view) == _expected(mode)
    if mode is ImpedanceMode.LEAD_PAIR:
        assert _rows(view, (0, 1, 3, 4)) == LEAD_PAIR_ROWS
    assert _measured_leads(device)[-4:] == [1, 2, 3, 4]  # the device measured lead by lead
    progress = _child(view, QProgressBar, "impedanceProgress")
    assert progress.value() == progress.maximum() == 4

    bars = view.bars
    image = bars.grab().toImage()
    for index, reading in enumerate(bars.readings):
        colour = CLASS_COLOURS[reading.impedance_class]
        assert bars.bar_item.opts["brushes"][index].color() == QColor(colour)
        assert image.pixelColor(bars.bar_rect(index).center()) == QColor(colour), reading
    faults = [label for label in bars.labels if X in label or S in label]
    assert len(faults) == sum(cls != N for *_rest, cls in _expected(mode))  # named, not only coloured


def test_a_lead_without_a_pair_is_not_counted_as_measured(qtbot, drg_store, drg_patient):
    service = _connected(drg_store, drg_patient, FAULTY_URI, {k: v for k, v in LEAD_CONTACTS.items() if k != 4})
    try:
        view = _view(qtbot, service, drg_patient.id)
        _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)
        progress = _child(view, QProgressBar, "impedanceProgress")
        assert progress.format() == "3 of 4 leads measured" and progress.value() == 3
    finally:
        service.shutdown()


def test_cancel_stops_between_leads_and_the_ui_stays_responsive(qtbot, slow_service, drg_patient):
    view = _view(qtbot, slow_service, drg_patient.id)
    device = slow_service.link.simulator.model
    _choose_mode(qtbot, view, ImpedanceMode.CONTACT_TO_CASE)  # 4 contacts x 200 ms per lead
    measure, cancel = _child(view, QPushButton, "impedanceMeasure"), _child(view, QPushButton, "impedanceCancel")
    progress = _child(view, QProgressBar, "impedanceProgress")
    assert not cancel.isEnabled()
    qtbot.mouseClick(measure, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: progress.value() >= 1, timeout=WAIT_MS)  # lead 1 done, lead 2 under way

    assert cancel.isEnabled() and not measure.isEnabled()
    timer = QTimer(view)
    timer.setSingleShot(True)
    with qtbot.waitSignal(timer.timeout, timeout=500):  # the event loop runs while a lead takes 800 ms
        timer.start(0)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(measure.isEnabled, timeout=WAIT_MS)

    measured = {lead for lead, *_rest in _rows(view)}
    assert measured and len(measured) < 4
    assert len(set(_measured_leads(device))) < 4
    status = _child(view, QLabel, "impedanceStatus").text()
    assert status.startswith("Cancelled; not measured: Lead ")
    events = slow_service.records.session_events(slow_service.session_id)
    assert "impedance_cancelled" in [e.kind for e in events]
    recorded = [e for e in events if e.kind == "impedance_recorded"]
    assert len(recorded[-1].payload["measurements"]) == 4 * len(measured) < 16


def test_records_hold_the_measurements_and_the_trend_follows_the_selection(
    qtbot, view, faulty_service, drg_store, drg_patient
):
    for session in range(2):
        if session:
            faulty_service.recording.end_session().result()
            faulty_service.recording.start_session(drg_patient.id).result()
        _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)

    history = drg_store.impedance_history(drg_patient.id, 2, 3, 4)
    assert [p.impedance_class for p in history] == [ImpedanceClass.OPEN] * 2
    assert len({p.session_id for p in history}) == 2

    table = _child(view, QTableWidget, "impedanceTable")
    table.setFocus()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(1, 0)).center())
    qtbot.waitUntil(lambda: len(view.trend.plotted()) == 2, timeout=WAIT_MS)
    assert [round(10**y) for _x, y in view.trend.plotted()] == [p.ohms for p in history]
    assert "Lead 2, contacts 3–4: 2 readings in 2 sessions" in view.trend.caption.text()

    qtbot.keyClick(table, Qt.Key.Key_Down)  # the keyboard moves the selection too
    qtbot.waitUntil(
        lambda: "Lead 3, contacts 1–2" in view.trend.caption.text() and len(view.trend.plotted()) == 2, timeout=WAIT_MS
    )

    rect = view.bars.bar_rect(0)  # and so does a click on a bar
    qtbot.mouseClick(view.bars.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: "Lead 1, contacts 1–2" in view.trend.caption.text(), timeout=WAIT_MS)
    assert table.currentRow() == 0
    assert view.bars.bar_item.opts["pens"][0].widthF() > view.bars.bar_item.opts["pens"][1].widthF()


def test_csv_export_has_a_header_and_a_row_per_measurement(qtbot, view, faulty_service, tmp_path):
    pairs = _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)
    _measure(qtbot, view, ImpedanceMode.CONTACT_TO_CASE)

    path = tmp_path / "impedance.csv"
    assert view.export_csv(path) == 20
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        handle.seek(0)
        assert tuple(next(csv.reader(handle))) == CSV_COLUMNS
    assert len(rows) == 20
    assert [(r["lead"], r["contact_a"], r["contact_b"], r["class"], r["result"]) for r in rows[:2]] == [
        ("1", "1", "2", "SHORT", "FAIL"),
        ("2", "3", "4", "OPEN", "FAIL"),
    ]
    assert [r for r in rows if r["contact_b"] == "case" and r["class"] != "NORMAL"] == [
        next(r for r in rows if (r["lead"], r["contact_a"], r["contact_b"]) == ("2", "3", "case"))
    ]
    assert {r["session"] for r in rows} == {str(faulty_service.session_id)}
    assert datetime.fromisoformat(rows[0]["measured_at"]) == pairs.measured_at.replace(microsecond=0)
    assert rows[0]["ohms"] == str(pairs.readings[0].ohms)
    assert rows[1]["reading"] == "> 4000 Ω"  # the open contact: above range, not a false precise value
    assert {(r["device_model"], r["device_serial"], r["device_firmware"]) for r in rows} == {
        ("DRG-SIM-4", "SIM-0001", "1.0.0")
    }
    assert all(r["workstation_version"] and datetime.fromisoformat(r["exported_at"]) for r in rows)


def test_matrix_shows_every_contact_pair_of_the_chosen_lead(qtbot, view):
    _measure(qtbot, view, ImpedanceMode.CONTACT_PAIRS)
    chooser = _child(view, QComboBox, "impedanceMatrixLead")
    grid = _child(view, QTableWidget, "impedanceMatrix")

    chooser.setFocus()
    qtbot.keyClick(chooser, Qt.Key.Key_Down)  # lead 2
    assert chooser.currentText() == "Lead 2 \u00b7 not placed"
    for a, b in ((1, 3), (2, 3), (3, 4)):
        assert grid.item(a - 1, b - 1).text().endswith(f"\n{X}")
        assert grid.item(b - 1, a - 1).text() == grid.item(a - 1, b - 1).text()  # symmetric
        assert grid.item(a - 1, b - 1).background().color() == QColor(CLASS_TINTS[ImpedanceClass.OPEN])
    assert re.fullmatch(r"\d+ Ω", grid.item(0, 1).text())
    assert all(grid.item(c, c).text() == "" for c in range(4))

    qtbot.keyClick(chooser, Qt.Key.Key_Up)  # lead 1: the shorted pair
    assert grid.item(0, 1).text().endswith(f"\n{S}")
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualItemRect(grid.item(0, 1)).center())
    qtbot.waitUntil(lambda: "Lead 1, contacts 1–2: 1 reading" in view.trend.caption.text(), timeout=WAIT_MS)


def test_a_lost_link_keeps_the_results_greyed_with_their_time(qtbot, view, faulty_service):
    run = _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)
    faulty_service.link.simulator.unplug()
    qtbot.mouseClick(_child(view, QPushButton, "impedanceMeasure"), Qt.MouseButton.LeftButton)

    note = _child(view, QLabel, "impedanceStaleNote")
    qtbot.waitUntil(note.isVisible, timeout=WAIT_MS)
    assert f"last measured {run.measured_at:%H:%M:%S}" in note.text()
    assert _rows(view, (0, 1, 3, 4)) == LEAD_PAIR_ROWS  # kept
    assert all(b.color() == QColor(STALE_COLOUR) for b in view.bars.bar_item.opts["brushes"])
    table = _child(view, QTableWidget, "impedanceTable")
    assert table.item(0, 3).background().color() != QColor(CLASS_TINTS[ImpedanceClass.SHORT])
    status = _child(view, QLabel, "impedanceStatus")
    qtbot.waitUntil(lambda: "failed" in status.text(), timeout=WAIT_MS)  # the link's loss may be told first
    assert not _child(view, QPushButton, "impedanceMeasure").isEnabled()


def test_measuring_and_choosing_a_row_work_from_the_keyboard(qtbot, view):
    view.activateWindow()
    _choose_mode(qtbot, view, ImpedanceMode.CONTACT_TO_CASE)
    qtbot.keyClick(view.focusWidget(), Qt.Key.Key_Tab)
    measure = _child(view, QPushButton, "impedanceMeasure")
    assert view.focusWidget() is measure
    qtbot.keyClick(measure, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: ImpedanceMode.CONTACT_TO_CASE in view.runs() and measure.isEnabled(), timeout=WAIT_MS)
    table = _child(view, QTableWidget, "impedanceTable")
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Home)
    for _ in range(6):  # row 6: lead 2, contact 3 to case
        qtbot.keyClick(table, Qt.Key.Key_Down)
    assert _rows(view)[table.currentRow()] == ("Lead 2", "3–case", X)
    qtbot.waitUntil(lambda: "Lead 2, contacts 3–case: 1 reading" in view.trend.caption.text(), timeout=WAIT_MS)


def test_lead_pair_mode_without_a_configured_pair_says_so_and_measures_nothing(
    qtbot, drg_service, drg_session, drg_device, drg_patient
):
    view = _view(qtbot, drg_service, drg_patient.id)
    qtbot.mouseClick(_child(view, QPushButton, "impedanceMeasure"), Qt.MouseButton.LeftButton)
    assert "No lead has a + and a − contact configured" in _child(view, QLabel, "impedanceStatus").text()
    assert _measured_leads(drg_device) == []


def test_measuring_without_a_session_warns_that_nothing_is_recorded(qtbot, drg_service, drg_patient):
    view = _view(qtbot, drg_service, drg_patient.id)
    _measure(qtbot, view, ImpedanceMode.CONTACT_TO_CASE)
    assert "Not recorded: no session is active." in _child(view, QLabel, "impedanceStatus").text()


@pytest.mark.parametrize(
    ("ohms", "text"),
    [
        (87, "87 Ω"),
        (812, "812 Ω"),
        (4120, "4120 Ω"),
        (12_340, "12.3 kΩ"),
        (250_000, "250 kΩ"),
        (7_400_000, "7.4 MΩ"),
        (14_300_000, "14.3 MΩ"),
    ],
)
def test_ohms_read_as_a_clinician_writes_them(ohms, text):
    assert format_ohms(ohms) == text


def test_after_a_reconnect_the_stale_note_says_the_link_is_back_and_nothing_contradicts_it(qtbot, view, faulty_service):
    run = _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)
    usb = faulty_service.link.simulator
    usb.unplug()
    note = _child(view, QLabel, "impedanceStaleNote")
    faulty_service.stop_all()  # any command finds the device gone
    qtbot.waitUntil(lambda: note.isVisible() and "reconnecting" in note.text(), timeout=WAIT_MS)
    assert "Measure again once connected" in note.text()
    usb.replug()
    qtbot.waitUntil(lambda: "Link back" in note.text(), timeout=WAIT_MS)
    assert "once connected" not in note.text()  # the link is connected: it must not say to wait for it
    assert f"{run.measured_at:%H:%M:%S}" in note.text()


def test_an_export_does_not_replace_the_fault_summary(qtbot, view, tmp_path, monkeypatch):
    from ui import dialogs

    _measure(qtbot, view, ImpedanceMode.LEAD_PAIR)
    status = _child(view, QLabel, "impedanceStatus")
    summary = status.text()
    assert "FAIL" not in summary and "short" in summary.lower()  # names the faults
    path = tmp_path / "impedance.csv"
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args, **kwargs: str(path))
    qtbot.mouseClick(_child(view, QPushButton, "impedanceExportCsv"), Qt.MouseButton.LeftButton)
    assert status.text() == summary
    assert "Saved 4 measurements to impedance.csv" in _child(view, QLabel, "impedanceExportStatus").text()
