"""Engine for the records database: which URL, and SQLite settings that make commits durable.

SQLite gets WAL (readers never block the writer), synchronous=FULL (a commit
is on disk when it returns), foreign keys, and BEGIN IMMEDIATE so a
transaction that reads then writes never fails half-way on a lock upgrade:
it waits (busy timeout) for the writer ahead of it instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from workstation.paths import default_records_file

URL_VARIABLE = "DRG_RECORDS_URL"
BUSY_TIMEOUT_S = 30
PRIVATE = 0o600
KEYRING_SERVICE = "drg-workstation"
LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


def records_url(url: str | None = None) -> str:
    """The URL given, else $DRG_RECORDS_URL, else the SQLite file in the user's data folder."""
    return url or os.environ.get(URL_VARIABLE) or f"sqlite:///{default_records_file()}"


def create_records_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(server_url(parsed), pool_pre_ping=True, connect_args=_server_credentials(parsed))
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})
    sa.event.listen(engine, "connect", _configure_sqlite)
    if parsed.database and parsed.database != ":memory:":
        sa.event.listen(engine, "connect", lambda *_: _private(Path(parsed.database or "")))
    sa.event.listen(engine, "begin", _begin_immediate)
    return engine


class CredentialsInUrl(ValueError):
    """A records URL that carries a password (it would show in the process list and the shell history)."""


def server_url(url: sa.URL) -> sa.URL:
    """The records server's URL with TLS and certificate verification required (docs/security.md), except
    on this machine. A password in the URL of a server elsewhere is refused: it comes from the keyring or the
    pgpass file (a throw-away test server on this machine may keep one)."""
    if url.password and url.host not in LOCAL_HOSTS:
        raise CredentialsInUrl(
            "The records URL holds a password: remove it, and store it in the OS keyring "
            f"(keyring set {KEYRING_SERVICE} {url.username}@{url.host}) or in ~/.pgpass (mode 0600)."
        )
    if url.host in LOCAL_HOSTS or "sslmode" in url.query:
        return url
    return url.update_query_dict({"sslmode": "verify-full"})


def _server_credentials(url: sa.URL) -> dict[str, Any]:
    """The password kept in the OS keyring for user@host, if any; else libpq reads ~/.pgpass itself."""
    try:
        import keyring
        from keyring.errors import KeyringError

        password = keyring.get_password(KEYRING_SERVICE, f"{url.username}@{url.host}")
    except (ImportError, KeyringError, RuntimeError):  # no usable keyring backend on this machine
        password = None
    return {"password": password} if password else {}


def _private(path: Path) -> None:
    """The SQLite file and its WAL companions: readable and writable by their user only."""
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists() and stat.S_IMODE(each.stat().st_mode) != PRIVATE:
            each.chmod(PRIVATE)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
