"""The schema comes only from the Alembic migrations, and they match the table definitions."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from workstation.records import RecordsStore
from workstation.records.connection import create_records_engine
from workstation.records.migrate import alembic_config, upgrade
from workstation.records.tables import metadata

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


def test_upgrading_a_populated_database_keeps_its_records(records_url, engine, identity, capabilities):
    upgrade(engine, FIRST_REVISION)
    store = RecordsStore(engine)
    patient = store.add_patient("Ada Lovelace", date(1962, 12, 10), "MRN-1")
    session = store.open_session(patient.id, identity, capabilities, "Dr Deer")
    event = store.log_event(session.id, "set_amplitude", {"ua": 400}, "ok")
    store.close_session(session.id)

    with RecordsStore.open(records_url) as reopened:  # upgrades to head again
        assert reopened.get_patient(patient.id) == patient
        assert [e.id for e in reopened.session_events(session.id)][1] == event
        assert reopened.sessions_of(patient.id)[0].ended is not None
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
