"""Fixtures of the records tests: a store on SQLite and, when configured, on PostgreSQL.

Set DRG_TEST_POSTGRES_URL (postgresql+psycopg://user:pass@host/db) to run
every store test against PostgreSQL too; each test gets its own schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from drivers.types import AmplitudeBand, Capabilities, Identity
from workstation.models import Patient, Session
from workstation.records import RecordsStore

POSTGRES_VARIABLE = "DRG_TEST_POSTGRES_URL"


@pytest.fixture
def identity() -> Identity:
    return Identity(model="SIM-DRG4", serial="DRG-0001", firmware="1.0.0", hardware_rev="A")


@pytest.fixture
def capabilities() -> Capabilities:
    """The model values of drg-programming-facts.md."""
    return Capabilities(
        lead_count=4,
        contacts_per_lead=4,
        amplitude_bands=(AmplitudeBand(2000, 25), AmplitudeBand(6000, 50)),
        pulse_width_min_us=40,
        pulse_width_max_us=720,
        pulse_width_step_us=10,
        pulse_width_default_us=40,
        frequency_min_hz=4,
        frequency_max_hz=100,
        frequency_step_hz=2,
        frequency_default_hz=60,
        contact_area_um2=3_930_000,
        compliance_mv=12_000,
        shannon_k_limit_x100=185,
        telemetry_max_rate_hz=1000,
        watchdog_ms=500,
        impedance_short_ohm=200,
        impedance_open_ohm=4000,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def records_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL to an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite3'}"
        return
    base = os.environ.get(POSTGRES_VARIABLE)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_VARIABLE} to run against it")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def store(records_url: str) -> Iterator[RecordsStore]:
    opened = RecordsStore.open(records_url)
    yield opened
    opened.close()


@pytest.fixture
def reopen(store: RecordsStore, records_url: str) -> Iterator:
    """Close `store` and open the same database anew, as after a restart."""
    reopened: list[RecordsStore] = []

    def _reopen() -> RecordsStore:
        store.close()
        reopened.append(RecordsStore.open(records_url))
        return reopened[-1]

    yield _reopen
    for each in reopened:
        each.close()


@pytest.fixture
def patient(store: RecordsStore) -> Patient:
    return store.add_patient("Ada Lovelace", date(1962, 12, 10), "MRN-0001")


@pytest.fixture
def session(store: RecordsStore, patient: Patient, identity: Identity, capabilities: Capabilities) -> Session:
    return store.open_session(patient.id, identity, capabilities, "Dr Deer")
