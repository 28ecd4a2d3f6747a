"""A records failure is told without the patient data its database error quotes."""

import logging
from datetime import date

import sqlalchemy as sa

from workstation.records.errors import without_values


def test_database_error_text_keeps_no_values(drg_store):
    drg_store.add_patient("Jane Secret", date(1970, 1, 1), "MRN-777")
    try:
        with drg_store._engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO patients (name, date_of_birth, record_number) VALUES (:n, :d, :r)"),
                {"n": "Jane Secret", "d": "1970-01-01", "r": "MRN-777"},
            )
    except sa.exc.DBAPIError as exc:
        text = without_values(exc)
    else:
        raise AssertionError("the duplicate record number was accepted")
    assert "records database failed" in text
    assert "Jane" not in text and "MRN-777" not in text and "1970" not in text


def test_service_fault_from_records_logs_no_patient_data(drg_service, drg_session, caplog, monkeypatch):
    """A failed background record write is announced and logged, without the values it held."""
    from workstation.events import EventKind

    def failing(*_args, **_kwargs):
        raise sa.exc.IntegrityError("INSERT ... VALUES (?)", ("Jane Secret", "MRN-777"), Exception("CHECK failed"))

    monkeypatch.setattr(drg_service._core.records, "log_event", failing)
    faults = []
    drg_service.subscribe(lambda n: faults.append(n) if type(n).__name__ == "ServiceFault" else None)
    with caplog.at_level(logging.INFO):
        drg_service._core.record(EventKind.NOTE_ADDED, {"text": "Jane Secret"})
        drg_service.wait_idle(10)
    assert faults and "Could not record" in faults[0].sentence
    assert "Jane" not in caplog.text and "MRN-777" not in caplog.text
    assert all("Jane" not in f.sentence for f in faults)
