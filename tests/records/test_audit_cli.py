"""`drg-workstation audit verify` from the command line: exit status and the first problem named."""

from __future__ import annotations

import sqlalchemy as sa

from ui.app import main
from workstation.records import RecordsStore
from workstation.records.tables import audit_entries


def test_verify_says_intact_then_names_the_first_tampered_entry(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    with RecordsStore.open(url) as store:
        for action in ("login", "account_created", "logout"):
            store.audit("admin", action, {}, "ok")
        chain = store._key.chain[:8]

    assert main(["audit", "verify", "--records", url]) == 0
    assert "audit trail intact: 1 chain(s), 3 entries" in capsys.readouterr().out

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        conn.execute(sa.update(audit_entries).where(audit_entries.c.seq == 2).values(action="nothing"))
    engine.dispose()
    assert main(["audit", "verify", "--records", url]) == 1
    out = capsys.readouterr().out
    assert f"first problem: chain {chain} entry 2: altered: its content does not match its hash" in out
    assert "also: table audit_entries: its append-only trigger audit_entries_no_update was dropped" in out


def test_verify_of_records_it_cannot_open_fails_with_a_sentence(tmp_path, capsys):
    assert main(["audit", "verify", "--records", "nosuchdb://x"]) == 2
    assert "cannot open the records" in capsys.readouterr().err
