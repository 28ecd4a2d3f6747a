"""The schema comes only from the Alembic migrations, and they match the table definitions."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from workstation.records import RecordsStore
from workstation.records.connection import create_records_engine
from workstation.records.migrate import alembic_config, upgrade
from workstation.records.tables import devices, metadata, patients, session_events, sessions

FIRST_REVISION = "0001"


@pytest.fixture
def engine(records_url):
    created = create_records_engine(records_url)
    yield created
    created.dispose()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision_of(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def drift(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def table_names(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_an_empty_database_is_upgraded_to_head(records_url, engine):
    assert table_names(engine) == set()

    RecordsStore.open(records_url).close()

    assert revision_of(engine) == head()
    assert table_names(engine) == set(metadata.tables) | {"alembic_version"}


def test_the_migrated_schema_matches_the_table_definitions(engine):
    upgrade(engine)
    assert drift(engine) == []


def test_the_drift_check_sees_a_missing_index(engine):
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_sessions_patient_id_started"))
    assert [d[0] for d in drift(engine)] == ["add_index"]


def test_upgrading_a_populated_database_keeps_its_records(records_url, engine):
    """Rows written at revision 0001 (as that release wrote them) survive every migration; the
    audit trail, which began at 0005, finds nothing wrong with the events recorded before it."""
    upgrade(engine, FIRST_REVISION)
    started = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
    with engine.begin() as conn:
        patient_id = conn.execute(
            sa.insert(patients).values(name="Ada Lovelace", date_of_birth=date(1962, 12, 10), record_number="MRN-1")
        ).inserted_primary_key[0]
        device = {"serial": "DRG-0001", "model": "SIM", "firmware": "1", "hardware_rev": "A", "capabilities": {}}
        device_id = conn.execute(sa.insert(devices).values(**device, fingerprint="f" * 64)).inserted_primary_key[0]
        session = {"patient_id": patient_id, "device_id": device_id, "clinician": "Dr Deer", "started": started}
        session_id = conn.execute(
            sa.insert(sessions).values(**session, ended=started, state="CLOSED")
        ).inserted_primary_key[0]
        event = {"session_id": session_id, "seq": 1, "time": started, "kind": "set_amplitude", "payload": {"ua": 400}}
        event_id = conn.execute(sa.insert(session_events).values(**event, outcome="ok")).inserted_primary_key[0]

    with RecordsStore.open(records_url) as reopened:  # upgrades to head again
        assert reopened.get_patient(patient_id).record_number == "MRN-1"
        assert [e.id for e in reopened.session_events(session_id)] == [event_id]
        assert reopened.sessions_of(patient_id)[0].ended == started
        assert reopened.verify_audit().intact
    assert revision_of(engine) == head()


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(engine):
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert table_names(engine) == {"alembic_version"}

    upgrade(engine)
    assert drift(engine) == []


def test_migrations_run_from_any_working_directory(records_url, engine, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no alembic.ini anywhere near
    RecordsStore.open(records_url).close()
    assert revision_of(engine) == head()
