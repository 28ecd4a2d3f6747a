"""Engine for the records database: which URL, and SQLite settings that make commits durable.

SQLite gets WAL (readers never block the writer), synchronous=FULL (a commit
is on disk when it returns), foreign keys, and BEGIN IMMEDIATE so a
transaction that reads then writes never fails half-way on a lock upgrade:
it waits (busy timeout) for the writer ahead of it instead.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from workstation.paths import default_records_file

URL_VARIABLE = "DRG_RECORDS_URL"
BUSY_TIMEOUT_S = 30


def records_url(url: str | None = None) -> str:
    """The URL given, else $DRG_RECORDS_URL, else the SQLite file in the user's data folder."""
    return url or os.environ.get(URL_VARIABLE) or f"sqlite:///{default_records_file()}"


def create_records_engine(url: str) -> Engine:
    if sa.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})
    sa.event.listen(engine, "connect", _configure_sqlite)
    sa.event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
