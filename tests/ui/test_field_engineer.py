"""The field-engineer workspace, driven with real clicks on a simulator with contact 3 of lead 2
open and contacts 1-2 of lead 1 shorted (the issue's done-when): in one place the engineer sees
which contacts are open or shorted and why, reads the device log, runs the self-test, and saves a
diagnostics bundle whose capture tshark decodes message by message. No patient, no session."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QTableWidget

from drivers.types import ImpedanceMode, Polarity
from ui import dialogs
from ui.testing.plugin import find
from workstation.exports import IDENTITY_COLUMNS

WAIT_MS = 15_000
DISSECTOR = Path(__file__).resolve().parents[2] / "resources" / "wireshark" / "drg.lua"


def _click(qtbot, window, name: str) -> None:
    button = find(window, name)
    assert isinstance(button, QPushButton) and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _cells(table: QTableWidget, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount()) if table.item(r, column)]


@pytest.fixture
def workspace(qtbot, drg_window):
    drg_window.show_field_engineer()
    assert drg_window.tabs.currentWidget() is drg_window.field
    assert drg_window.service.session is None  # a mode, not a session
    return drg_window


@pytest.mark.drg_sim("open=2.3&short=1.2")
def test_diagnosis_names_the_open_and_the_short_with_their_evidence(qtbot, workspace):
    field = workspace.field
    field.tabs.setCurrentIndex(1)
    _click(qtbot, workspace, "fieldDiagnose")
    summary = find(workspace, "fieldDiagnosisSummary")
    qtbot.waitUntil(lambda: "contact 3 open" in summary.text(), timeout=WAIT_MS)
    assert "lead 1 contacts 1-2 shorted" in summary.text().lower()
    conclusions = find(workspace, "fieldConclusions")
    assert sorted(_cells(conclusions, 2)) == ["lead 1 contacts 1-2 shorted", "lead 2 contact 3 open"]
    evidence = " ".join(_cells(conclusions, 3))
    assert "3–case read > 4000 Ω in all 3 readings" in evidence and "below the 200 Ω short limit" in evidence
    contacts = find(workspace, "fieldContacts")
    assert contacts.item(1, 3).text().startswith("Open circuit\n> 4000 Ω")  # lead 2, contact 3: above range, no MΩ
    assert contacts.item(0, 1).text().startswith("Shorted")
    assert all("MΩ" not in contacts.item(r, c).text() for r in range(4) for c in range(1, 5))
    assert "not recorded: no session is active" in find(workspace, "fieldStatus").text()
    # the impedance tab shows the last round too
    assert workspace.impedance.runs()


@pytest.mark.drg_sim("memory=corrupt&battery=eri")
def test_device_page_self_test_and_log(qtbot, workspace, tmp_path, monkeypatch):
    battery = find(workspace, "fieldBattery")
    assert "ERI — ELECTIVE REPLACEMENT" in battery.text() and "16pt" in battery.styleSheet()
    assert "SIM-0001" in find(workspace, "fieldIdentity").text()

    workspace.field.tabs.setCurrentIndex(3)
    _click(qtbot, workspace, "fieldSelfTest")
    result = find(workspace, "fieldSelfTestResult")
    qtbot.waitUntil(lambda: result.text().startswith("Failed: memory"), timeout=WAIT_MS)
    table = find(workspace, "fieldSelfTestTable")
    assert _cells(table, 0) == ["Output stage", "Measurement path", "Battery", "Memory", "Clock"]
    assert _cells(table, 1) == ["Passed", "Passed", "Needs attention", "Failed", "Passed"]

    workspace.field.tabs.setCurrentIndex(2)
    _click(qtbot, workspace, "fieldReadLog")
    qtbot.waitUntil(lambda: len(workspace.field.shown_log()) > 2, timeout=WAIT_MS)
    assert "Powered on." in workspace.field.shown_log()
    assert not [line for line in workspace.field.shown_log() if "Event code" in line or "(s)" in line]
    assert "Self-test run: memory failed." in workspace.field.shown_log()
    qtbot.keyClicks(find(workspace, "fieldLogFilter"), "self-test")
    assert workspace.field.shown_log() == ["Self-test run: memory failed."]
    find(workspace, "fieldLogFilter").clear()
    severity = find(workspace, "fieldLogSeverity")
    assert isinstance(severity, QComboBox)
    severity.setCurrentIndex(2)  # errors only
    assert workspace.field.shown_log() == ["Self-test run: memory failed."]

    path = tmp_path / "device-log.csv"
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args, **kwargs: str(path))
    _click(qtbot, workspace, "fieldLogExport")
    qtbot.waitUntil(lambda: "Device log saved" in find(workspace, "fieldStatus").text(), timeout=WAIT_MS)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",".join(IDENTITY_COLUMNS))


def test_the_contact_history_counts_in_words(qtbot, drg_window_session, drg_service):
    """'1 reading from 1 visit on 1 device', never 'readings' or 'visit(s)'."""
    bipole = (Polarity.ANODE, Polarity.CATHODE, Polarity.OFF, Polarity.OFF)
    drg_service.outputs.write_lead(drg_service.state.leads[1].with_(contacts=bipole)).result(5)
    drg_service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(5)
    drg_service.recording.end_session().result(5)
    drg_window_session.show_field_engineer()
    drg_window_session.field.tabs.setCurrentIndex(1)
    _click(qtbot, drg_window_session, "fieldHistoryLoad")
    status = find(drg_window_session, "fieldStatus")
    qtbot.waitUntil(lambda: status.text().startswith("Contact history"), timeout=WAIT_MS)
    assert status.text() == "Contact history: 1 reading from 1 visit on 1 device."


def test_log_level_is_a_setting(qtbot, workspace):
    level = find(workspace, "fieldLogLevel")
    level.setCurrentText("DEBUG")
    assert workspace.settings.value("logging/level") == "DEBUG"
    import logging

    assert logging.getLogger("workstation").level == logging.DEBUG
    level.setCurrentText("INFO")


def _tshark(capture: Path) -> str:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed (.ci/run installs it)")
    run = subprocess.run(
        [tshark, "-X", f"lua_script:{DISSECTOR}", "-r", str(capture)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.drg_sim("open=2.3&short=1.2")
def test_the_done_when_a_bundle_whose_capture_wireshark_decodes(qtbot, workspace, tmp_path, monkeypatch):
    field = workspace.field
    field.tabs.setCurrentIndex(4)
    _click(qtbot, workspace, "fieldCaptureStart")
    capture = find(workspace, "fieldCaptureStatus").text()
    assert capture.startswith("Capturing") and capture.endswith(" MB of 32 MB.")  # the cap as set: 32 MB
    field.tabs.setCurrentIndex(1)
    _click(qtbot, workspace, "fieldDiagnose")
    qtbot.waitUntil(lambda: "contact 3 open" in find(workspace, "fieldDiagnosisSummary").text(), timeout=WAIT_MS)
    field.tabs.setCurrentIndex(3)
    _click(qtbot, workspace, "fieldSelfTest")
    qtbot.waitUntil(lambda: find(workspace, "fieldSelfTestResult").text().startswith("Passed"), timeout=WAIT_MS)

    bundle = tmp_path / "bundle.zip"
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args, **kwargs: str(bundle))
    _click(qtbot, workspace, "fieldBundle")
    status = find(workspace, "fieldStatus")
    assert isinstance(status, QLabel)
    qtbot.waitUntil(lambda: "Diagnostics bundle saved" in status.text(), timeout=WAIT_MS)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        assert {"capture.pcap", "device-log.txt", "self-test.txt", "lead-diagnosis.txt", "versions.json"} <= names
        assert "lead 2 contact 3 open" in archive.read("lead-diagnosis.txt").decode()
        (tmp_path / "capture.pcap").write_bytes(archive.read("capture.pcap"))
        assert "Qt" in archive.read("versions.json").decode()
    summary = _tshark(tmp_path / "capture.pcap")
    for text in (
        "MEASURE_IMPEDANCE request",
        "MEASURE_IMPEDANCE reply",
        "SELF_TEST reply seq=",
        "5 checks passed",
        "READ_EVENTS reply",
        "TELEMETRY_BLOCK telemetry",
    ):
        assert text in summary, text
    assert "BAD CRC" not in summary


def test_the_workspace_needs_no_link(qtbot, drg_service_factory, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    service = drg_service_factory(connect=False)
    window = MainWindow(service, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show_field_engineer()
    assert not find(window, "fieldDiagnose").isEnabled()
    assert "No device" in find(window, "fieldIdentity").text()
    filter_box = find(window, "fieldLogFilter")
    assert isinstance(filter_box, QLineEdit)
    _click(qtbot, window, "fieldCaptureStart")
    assert "starts when the device is connected" in find(window, "fieldCaptureStatus").text()
    service.connection.connect("sim://0?latency_ms=0&magnet=held").result(10)
    qtbot.waitUntil(lambda: "Capturing" in find(window, "fieldCaptureStatus").text(), timeout=WAIT_MS)
