"""The field engineer's tools through the application layer (service.field), as the workspace
and the command line use them: without a session, and recorded when one is active."""

from __future__ import annotations

import csv
import json
import time
import zipfile
from datetime import date

import pytest

from drivers.capture import read_pcap
from drivers.types import EventCode, ImpedanceMode
from ui.testing.plugin import qa_user
from workstation import logs
from workstation.events import EventKind
from workstation.exports import IDENTITY_COLUMNS, write_device_log_csv, write_self_test_csv
from workstation.service import LinkState, NotConnected, ProgrammingService

WAIT_S = 20
URI = "sim://0?magnet=held&latency_ms=0&impedance_ms=0&open=2.3&short=1.2&memory=corrupt"


@pytest.fixture
def service(drg_store):
    service = ProgrammingService(drg_store, user=qa_user())
    service.connection.connect(URI).result(WAIT_S)
    yield service
    service.shutdown()


def test_without_a_session_the_tools_work_and_record_nothing(service, drg_store):
    assert service.session is None
    run = service.field.diagnose().result(WAIT_S)
    assert {c.sentence for c in run.diagnosis.conclusions} == {"lead 2 contact 3 open", "lead 1 contacts 1-2 shorted"}
    assert run.event_id is None and run.diagnosis.rounds == 3
    test = service.field.self_test().result(WAIT_S)
    assert not test.report.passed and test.event_id is None
    device_log = service.field.read_device_log().result(WAIT_S)
    assert device_log.events[0].code == EventCode.POWER_ON
    assert any(e.code == EventCode.SELF_TEST for e in device_log.events)
    info = service.field.info()
    assert info.identity.serial == "SIM-0001" and info.simulated and info.link_state is LinkState.CONNECTED
    assert info.statistics.commands > 20 and info.statistics.replies >= info.statistics.commands


def test_in_a_session_each_tool_is_recorded(service, drg_store):
    patient = drg_store.add_patient("Field Test", date(1960, 1, 1), "FE-1")
    session = service.recording.start_session(patient.id).result(WAIT_S)
    diagnosis = service.field.diagnose(rounds=1).result(WAIT_S)
    self_test = service.field.self_test().result(WAIT_S)
    service.field.read_device_log().result(WAIT_S)
    service.wait_idle(WAIT_S)
    events = drg_store.session_events(session.id)
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.IMPEDANCE_RECORDED) == 2  # contact to case, every pair
    recorded = {e.id: e for e in events}
    assert recorded[diagnosis.event_id].kind is EventKind.LEAD_DIAGNOSIS
    assert recorded[self_test.event_id].kind is EventKind.SELF_TEST
    assert recorded[self_test.event_id].payload["passed"] is False
    assert EventKind.DEVICE_LOG_READ in kinds
    from workstation.events import summarise

    assert "failed: stored program CRC-32" in summarise(recorded[self_test.event_id])
    assert "lead 2 contact 3 open" in summarise(recorded[diagnosis.event_id])


def test_contact_history_across_visits_and_devices_needs_no_session(drg_store, drg_service_factory):
    patient = drg_store.add_patient("History Test", date(1955, 5, 5), "FE-2")
    for serial in ("OLD-0001", "NEW-0002"):  # the generator was replaced between visits
        service = drg_service_factory(serial=serial, open="2.3")
        service.recording.start_session(patient.id).result(WAIT_S)
        service.impedance.measure(ImpedanceMode.CONTACT_TO_CASE).result(WAIT_S)
        service.recording.end_session().result(WAIT_S)
    other = drg_store.add_patient("Someone Else", date(1980, 1, 1), "FE-3")
    service = drg_service_factory(serial="OTHER-9")
    service.recording.start_session(other.id).result(WAIT_S)
    service.impedance.measure(ImpedanceMode.CONTACT_TO_CASE).result(WAIT_S)
    service.recording.end_session().result(WAIT_S)

    fresh = drg_service_factory(serial="NEW-0002")  # no session, no patient chosen
    history = fresh.field.contact_history().result(WAIT_S)
    assert {r.device_serial for r in history} == {"OLD-0001", "NEW-0002"}  # not OTHER-9: another patient
    contact_3 = [r for r in history if (r.lead, r.contact_a) == (2, 3)]
    assert len(contact_3) == 2 and all(r.impedance_class.value == "OPEN" for r in contact_3)
    assert contact_3[0].time < contact_3[1].time


def test_contact_history_needs_a_device_or_a_serial(drg_store):
    service = ProgrammingService(drg_store, user=qa_user())
    try:
        with pytest.raises(NotConnected):
            service.field.contact_history()
        assert service.field.contact_history("NOBODY").result(WAIT_S) == []
    finally:
        service.shutdown()


def test_exports_name_the_device_the_workstation_and_the_time(service, tmp_path):
    test = service.field.self_test().result(WAIT_S)
    path = service.field.export(lambda p, ident: write_self_test_csv(p, test.report, ident), tmp_path / "st.csv")
    rows = list(csv.DictReader(open(path.result(WAIT_S), encoding="utf-8")))
    assert len(rows) == 5
    assert {r["device_serial"] for r in rows} == {"SIM-0001"}
    assert {r["device_model"] for r in rows} == {"DRG-SIM-4"} and {r["device_firmware"] for r in rows} == {"1.0.0"}
    assert all(r["workstation_version"] and r["exported_at"] for r in rows)
    events = service.field.read_device_log().result(WAIT_S).events
    path = service.field.export(lambda p, ident: write_device_log_csv(p, events, ident), tmp_path / "log.csv")
    with open(path.result(WAIT_S), encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[-len(IDENTITY_COLUMNS) :] == list(IDENTITY_COLUMNS) and "event" in header


def test_capture_runs_in_the_background_and_is_saved(service, tmp_path):
    stats = service.field.start_capture(max_bytes=1_000_000)
    assert stats.running
    service.connection.start_telemetry(10_000, (1,)).result(WAIT_S)
    time.sleep(0.3)
    service.field.self_test().result(WAIT_S)
    size = service.field.save_capture(tmp_path / "c.pcap").result(WAIT_S)
    packets = read_pcap((tmp_path / "c.pcap").read_bytes())
    assert size == (tmp_path / "c.pcap").stat().st_size and len(packets) > 10
    assert any(p.endpoint == 0x82 and p.data for p in packets)  # telemetry, read by the receiver thread
    assert service.field.stop_capture().running is False
    assert service.field.save_capture(tmp_path / "again.pcap").result(WAIT_S) > 0  # the stopped one is kept


def test_capture_asked_before_connecting_starts_with_the_link(drg_store, tmp_path):
    service = ProgrammingService(drg_store, user=qa_user())
    try:
        assert service.field.start_capture() is None
        service.connection.connect("sim://0?magnet=held&latency_ms=0").result(WAIT_S)
        service.field.save_capture(tmp_path / "from-start.pcap").result(WAIT_S)
    finally:
        service.shutdown()
    from drivers.protocol.frame import decode_frame

    packets = read_pcap((tmp_path / "from-start.pcap").read_bytes())
    assert packets[0].xfer == 2  # the device descriptor first
    frames = [decode_frame(p.data) for p in packets if p.data and p.xfer == 3]
    assert frames[0].type == 0x01  # IDENTIFY: the interrogation from its first command


def test_the_diagnostics_bundle_holds_everything_for_a_support_ticket(service, tmp_path):
    log_file = logs.configure("INFO", tmp_path / "logs")
    try:
        service.field.start_capture()
        service.field.diagnose(rounds=1).result(WAIT_S)
        service.field.self_test().result(WAIT_S)
        path = service.field.save_bundle(tmp_path / "bundle.zip", {"Qt": "6.x"}).result(WAIT_S)
    finally:
        logs.shutdown()
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        assert {
            "README.txt",
            "versions.json",
            "device.json",
            "logs/drg-workstation.log",
            "device-log.txt",
            "device-log.csv",
            "self-test.txt",
            "self-test.csv",
            "lead-diagnosis.txt",
            "lead-diagnosis.csv",
            "capture.pcap",
            "drg.lua",
        } <= names
        assert bundle.testzip() is None
        versions = json.loads(bundle.read("versions.json"))
        assert versions["Qt"] == "6.x" and versions["drg-workstation"]
        device = json.loads(bundle.read("device.json"))
        assert device["identity"]["device_serial"] == "SIM-0001"
        assert device["device"]["capabilities"]["impedance_open_ohm"] == 4000
        assert "Self-test run: memory failed." in bundle.read("device-log.txt").decode()
        assert "lead 2 contact 3 open" in bundle.read("lead-diagnosis.txt").decode()
        assert "MEMORY            FAIL" in bundle.read("self-test.txt").decode()
        assert read_pcap(bundle.read("capture.pcap"))
        assert "self-test FAILED: MEMORY" in bundle.read("logs/drg-workstation.log").decode()
        assert log_file.name == "drg-workstation.log"
        assert "Device: DRG-SIM-4, serial SIM-0001, firmware 1.0.0" in bundle.read("README.txt").decode()
