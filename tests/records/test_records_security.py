"""Protected records: a private SQLite file and keys, TLS and no password in a records server's URL."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from workstation.records import ChainKey, RecordsStore
from workstation.records.connection import CredentialsInUrl, _server_credentials, server_url


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_file_and_its_wal_are_private_to_their_user(tmp_path):
    old = os.umask(0o022)  # files would be world-readable by default
    try:
        with RecordsStore.open(
            f"sqlite:///{tmp_path / 'records.sqlite3'}", ChainKey.load_or_create(tmp_path / "k")
        ) as s:
            s.audit("admin", "login", {}, "ok")
            assert mode(tmp_path / "records.sqlite3") == 0o600
            assert mode(tmp_path / "records.sqlite3-wal") == 0o600
    finally:
        os.umask(old)


def test_the_audit_key_and_anchors_are_private(tmp_path):
    key = ChainKey.load_or_create(tmp_path / "keys")
    with RecordsStore.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", key) as store:
        store.audit("admin", "login", {}, "ok")
    assert mode(tmp_path / "keys" / "audit-key.json") == 0o600
    assert mode(tmp_path / "keys" / "audit-anchors.json") == 0o600
    assert ChainKey.load_or_create(tmp_path / "keys").chain == key.chain  # the same workstation after a restart


def test_a_remote_records_server_needs_verified_tls():
    url = server_url(sa.make_url("postgresql+psycopg://drg@clinic-db/records"))
    assert url.query["sslmode"] == "verify-full"
    assert "sslmode" not in server_url(sa.make_url("postgresql+psycopg://drg@127.0.0.1/records")).query


def test_a_password_in_a_remote_servers_url_is_refused_with_where_to_put_it():
    with pytest.raises(CredentialsInUrl, match="keyring set drg-workstation drg@clinic-db"):
        server_url(sa.make_url("postgresql+psycopg://drg:secret@clinic-db/records"))


def test_the_password_comes_from_the_keyring(monkeypatch):
    import keyring

    stored = {("drg-workstation", "drg@clinic-db"): "from-keyring"}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: stored.get((service, user)))
    assert _server_credentials(sa.make_url("postgresql+psycopg://drg@clinic-db/records")) == {
        "password": "from-keyring"
    }
    assert _server_credentials(sa.make_url("postgresql+psycopg://other@clinic-db/records")) == {}
