"""History queries reach rows through indexes, so they stay fast with 10,000 sessions: every query
of the History tab and the visit report among them (a patient's history is one patient's rows).

SQLite's EXPLAIN QUERY PLAN says SCAN for a full-table walk and SEARCH for an
index lookup; a per-patient query may SCAN only the small patients table.
Also checks the durability settings every SQLite connection gets, and where
the default database lives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from workstation.models import SpinalLevel
from workstation.records import queries
from workstation.records.connection import URL_VARIABLE, create_records_engine, records_url
from workstation.records.migrate import upgrade
from workstation.records.tables import session_events

PER_PATIENT = {
    "sessions of a patient": queries.patient_sessions_query(7),
    "unclosed sessions": queries.unclosed_sessions_query(),
    "impedance of a contact pair": queries.impedance_history_query(7, 1, 1, 2),
    "programs of a patient": queries.program_history_query(7),
    "thresholds of a patient": queries.threshold_history_query(7, None),
    "thresholds at one level": queries.threshold_history_query(7, SpinalLevel.L4),
    "placements of a patient": queries.placement_history_query(7),
    "placement in force": queries.latest_placement_id_query(7, 1),
    "contacts of a device's patients": queries.contact_history_query("SIM-0001"),
    # the History tab (workstation.history.load) and the visit report (workstation.visit.load)
    "pain scores of a patient": queries.pain_history_query(7),
    "notes of a patient": queries.note_history_query(7),
    "body maps of a patient": queries.body_map_history_query(7),
    "impedance of a patient": queries.patient_impedance_query(7),
    "program corrections of a patient": queries.program_corrections_query(7),
    "events of a visit": queries.events_query().where(session_events.c.session_id == 7),
}


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory):
    engine = create_records_engine(f"sqlite:///{tmp_path_factory.mktemp('plans') / 'r.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def plan(engine: sa.Engine, query: sa.Select) -> list[str]:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]


@pytest.mark.parametrize("query", PER_PATIENT.values(), ids=PER_PATIENT.keys())
def test_history_queries_never_scan_a_table(sqlite_engine, query):
    steps = plan(sqlite_engine, query)
    scans = [s for s in steps if s.startswith("SCAN") and "patients" not in s]
    assert scans == [], steps
    assert any(s.startswith("SEARCH") for s in steps), steps


def test_the_plan_check_sees_a_full_scan(sqlite_engine):
    unindexed = sa.select(sa.table("session_events", sa.column("kind"))).where(sa.column("kind") == "x")
    assert any(s.startswith("SCAN session_events") for s in plan(sqlite_engine, unindexed))


def test_sqlite_connections_are_durable_and_enforce_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_url_comes_from_the_argument_then_the_environment_then_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    default = records_url()
    assert sa.make_url(default).database == str(tmp_path / "drg-workstation" / "records.sqlite3")
    assert Path(sa.make_url(default).database).parent.is_dir()

    monkeypatch.setenv(URL_VARIABLE, "postgresql+psycopg://u:p@clinic-db/records")
    assert records_url() == "postgresql+psycopg://u:p@clinic-db/records"
    assert records_url("sqlite:///given.sqlite3") == "sqlite:///given.sqlite3"
