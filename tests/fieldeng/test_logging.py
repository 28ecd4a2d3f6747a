"""The application log: a rotating file in the log folder, at the level of the settings; link
state changes, device errors and refusals are in it; a patient's data never is."""

from __future__ import annotations

import logging
import logging.handlers
import time
from datetime import date

import pytest

from drivers.types import LeadConfig, Polarity
from ui.testing.plugin import qa_user
from workstation import logs
from workstation.models import Note
from workstation.service import InvalidValue, LinkState, ProgrammingService, ServiceError

WAIT_S = 10
NAME, MRN, BIRTH = "Ada Quillfeather-Nakamura", "MRN-77310-XZ", date(1961, 3, 14)
P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


@pytest.fixture
def log_file(tmp_path):
    path = logs.configure("DEBUG", tmp_path / "logs")
    yield path
    logs.shutdown()


def _wait(condition) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _text(path) -> str:
    logs.flush()
    return path.read_text(encoding="utf-8")


def test_the_log_goes_to_a_rotating_file_at_the_chosen_level(tmp_path, monkeypatch):
    monkeypatch.setenv("DRG_LOG_DIR", str(tmp_path / "platform-logs"))
    try:
        path = logs.configure("warning")
        assert path == tmp_path / "platform-logs" / logs.LOG_FILE
        assert isinstance(logging.getLogger().handlers[-1], logging.handlers.RotatingFileHandler)
        logging.getLogger("workstation.test").info("not at WARNING")
        logging.getLogger("workstation.test").warning("at WARNING")
        assert "at WARNING" in _text(path) and "not at WARNING" not in _text(path)
        assert logs.set_level("info") == "INFO"
        logging.getLogger("drivers.test").info("now at INFO")
        assert "now at INFO" in _text(path)
        assert logs.set_level("nonsense") == "INFO"  # an unknown level falls back, never fails
    finally:
        logs.shutdown()


def test_rotation_keeps_a_bounded_set_of_files(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    try:
        path = logs.configure("INFO", tmp_path)
        for n in range(400):
            logging.getLogger("workstation.test").info("line %d %s", n, "x" * 40)
        files = logs.log_files()
        assert files[0] == path and len(files) == logs.BACKUPS + 1
        assert all(f.stat().st_size <= 2200 for f in files)
    finally:
        logs.shutdown()


def test_a_session_logs_link_changes_errors_and_refusals_but_no_patient_data(drg_store, log_file):
    patient = drg_store.add_patient(NAME, BIRTH, MRN)
    service = ProgrammingService(drg_store, user=qa_user())
    try:
        service.connection.connect("sim://0?magnet=held&latency_ms=0&impedance_ms=1&open=2.3&short=1.2").result(WAIT_S)
        service.recording.start_session(patient.id).result(WAIT_S)
        with pytest.raises(InvalidValue):
            service.outputs.set_amplitude(1, NAME)  # refused at the boundary, with the name in its sentence
        service.recording.add_note(Note(f"{NAME} ({MRN}) reports less pain")).result(WAIT_S)
        service.outputs.write_lead(LeadConfig(1, (P, M, O, O), 0, 300, 20, False, 2000)).result(WAIT_S)
        with pytest.raises(ServiceError):  # the device refuses: the pair is not measured yet
            service.outputs.set_enabled(1, True).result(WAIT_S)
        service.impedance.measure().result(WAIT_S)
        service.link.simulator.unplug()
        with pytest.raises(ServiceError):
            service.stop_all().result(WAIT_S)
        _wait(lambda: service.link_state is LinkState.RECONNECTING)
        service.link.simulator.replug()
        _wait(lambda: service.link_state is LinkState.CONNECTED)
        service.recording.end_session().result(WAIT_S)
        service.wait_idle(WAIT_S)
    finally:
        service.shutdown()

    text = _text(log_file)
    assert "link disconnected -> connecting" in text
    assert "link connecting -> pairing" in text and "link pairing -> connected" in text  # a new device pairs first
    assert "paired with" in text
    assert "reconnecting" in text and "device back" in text
    assert "STOP ALL pressed" in text
    assert "refused by the device: IMPEDANCE_REQUIRED" in text
    assert "invalid value for field" in text
    assert "interrogated DRG-SIM-4 serial SIM-0001" in text
    assert f"session {service.session_id or ''}".strip() in text
    for secret in (NAME, *NAME.split(), MRN, BIRTH.isoformat(), "1961", "less pain"):
        assert secret not in text, secret


def test_the_log_level_is_a_setting_changed_by_its_role_and_audited(drg_service, drg_store, log_file):
    import sqlalchemy as sa

    from workstation.records.tables import audit_entries

    assert drg_service.field.set_log_level(" debug ") == "DEBUG"
    assert logging.getLogger("workstation").level == logging.DEBUG
    for bad in ("LOUD", None, 3, float("nan")):
        with pytest.raises(InvalidValue):
            drg_service.field.set_log_level(bad)
    assert logging.getLogger("workstation").level == logging.DEBUG  # nothing changed
    drg_service.wait_idle(WAIT_S)
    with drg_store._engine.connect() as conn:
        rows = list(conn.execute(sa.select(audit_entries).where(audit_entries.c.action == "settings_changed")))
    assert [(r.actor, r.detail) for r in rows] == [("qa", '{"setting":"log level","value":"DEBUG"}')]
    drg_service.field.set_log_level("INFO")
