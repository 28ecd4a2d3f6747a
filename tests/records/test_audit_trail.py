"""The audit trail against its database's owner: each tampering the owner can do is found by verify.

The owner can drop the append-only triggers, so every test here drops them
first (as the owner would) and then edits, deletes, inserts or truncates; the
check must name the first broken or missing entry. On SQLite and, with
DRG_TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from workstation.events import EventKind, Outcome
from workstation.records import RecordsStore
from workstation.records.audit import GENESIS, entry_hash, expected_triggers
from workstation.records.tables import audit_entries, session_events


@pytest.fixture
def used(store: RecordsStore, session) -> RecordsStore:
    """A store with a session opened, a login, three amplitude events and a logout in its trail."""
    store.audit("ada", "login", {"role": "clinician"}, "ok")
    for ua in (100, 200, 300):
        store.log_event(session.id, EventKind.SET_AMPLITUDE, {"lead": 1, "ua": ua}, Outcome.OK)
    store.audit("ada", "logout", {}, "ok")
    return store


def owner(store: RecordsStore) -> sa.Engine:
    """The database as its owner sees it, with the append-only triggers dropped."""
    engine = store._engine
    with engine.begin() as conn:
        for name, table in expected_triggers(engine.dialect.name).items():
            on = "" if engine.dialect.name == "sqlite" else f" ON {table}"
            conn.exec_driver_sql(f"DROP TRIGGER {name}{on}")
    return engine


def problems(store: RecordsStore) -> list[str]:
    """What verify found, without the dropped triggers (reported first, checked on their own below)."""
    return [str(f) for f in store.verify_audit().findings if "trigger" not in f.problem]


def entries(store: RecordsStore) -> list[sa.Row]:
    with store._engine.connect() as conn:
        return list(conn.execute(sa.select(audit_entries).order_by(audit_entries.c.seq)))


def chain_of(store: RecordsStore) -> str:
    return entries(store)[0].chain[:8]


def test_an_untouched_trail_verifies(used):
    report = used.verify_audit()
    assert report.intact, report.findings
    assert (report.chains, report.entries, report.events) == (1, 6, 4)  # session opened + 3 amplitude events


def test_every_session_event_and_security_event_is_in_the_chain(used, session):
    rows = entries(used)
    assert [r.action for r in rows] == ["session_event", "login"] + ["session_event"] * 3 + ["logout"]
    assert [r.seq for r in rows] == list(range(1, 7))
    assert rows[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert {r.actor for r in rows} == {"ada", "Dr Deer"}  # the session's events carry its clinician


def test_the_database_refuses_to_change_the_trail(used):
    for statement in (sa.update(audit_entries).values(actor="eve"), sa.delete(audit_entries)):
        with pytest.raises(sa.exc.DBAPIError), used._engine.begin() as conn:
            conn.execute(statement)
    assert used.verify_audit().intact


def test_dropped_triggers_are_reported(used):
    owner(used)
    found = [str(f) for f in used.verify_audit().findings]
    assert found and all("append-only trigger" in f for f in found)
    assert any("audit_entries" in f for f in found) and any("session_events" in f for f in found)


def test_an_edited_entry_is_named(used):
    with owner(used).begin() as conn:
        conn.execute(sa.update(audit_entries).where(audit_entries.c.seq == 1).values(actor="eve"))
    assert problems(used)[0] == f"chain {chain_of(used)} entry 1: altered: its content does not match its hash"


def test_an_entry_rewritten_with_its_chain_rehashed_is_caught_by_its_signature(used):
    rows = entries(used)
    with owner(used).begin() as conn:
        prev = rows[0].prev_hash
        for row in rows:  # the owner recomputes every hash after the edit, but cannot sign
            actor = "eve" if row.seq == 2 else row.actor
            digest = entry_hash(row.chain, row.seq, row.time, actor, row.action, row.detail, row.outcome, prev)
            where = audit_entries.c.id == row.id
            conn.execute(sa.update(audit_entries).where(where).values(actor=actor, prev_hash=prev, hash=digest))
            prev = digest
    assert problems(used)[0] == f"chain {chain_of(used)} entry 2: not signed by its workstation's key (forged)"


def test_a_deleted_entry_is_named_missing(used):
    with owner(used).begin() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.seq == 3))
    assert problems(used)[0] == f"chain {chain_of(used)} entry 3: missing (the chain goes on at entry 4)"


def test_an_inserted_entry_is_named(used):
    last = entries(used)[-1]
    forged = {**last._asdict(), "seq": last.seq + 1, "actor": "eve", "prev_hash": last.hash}
    forged.pop("id")
    forged["hash"] = entry_hash(
        **{k: forged[k] for k in ("chain", "seq", "time", "actor", "action", "detail", "outcome")}, prev=last.hash
    )
    with owner(used).begin() as conn:
        conn.execute(sa.insert(audit_entries).values(forged))
    assert problems(used) == [f"chain {chain_of(used)} entry 7: not signed by its workstation's key (forged)"]


def test_an_entry_inserted_in_the_middle_is_named(used):
    middle = {**entries(used)[1]._asdict(), "seq": 3, "actor": "eve"}
    middle.pop("id")
    with owner(used).begin() as conn:
        conn.execute(sa.update(audit_entries).where(audit_entries.c.seq >= 3).values(seq=audit_entries.c.seq + 100))
        conn.execute(sa.insert(audit_entries).values(middle))
    assert (
        problems(used)[0]
        == f"chain {chain_of(used)} entry 3: does not follow the entry before it (inserted or replaced)"
    )


def test_a_truncated_tail_is_named(used):
    with owner(used).begin() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.seq >= 5))
    assert problems(used)[0] == f"chain {chain_of(used)} entry 5: missing: the tail up to entry 6 is gone"


def test_an_edited_session_event_is_named(used, session):
    event = used.session_events(session.id)[2]
    with owner(used).begin() as conn:
        conn.execute(
            sa.update(session_events).where(session_events.c.id == event.id).values(payload={"lead": 1, "ua": 9000})
        )
    (found,) = problems(used)
    assert found.startswith(f"session event {event.id}: altered since chain {chain_of(used)} entry")


def test_a_deleted_session_event_is_named(used, session):
    event = used.session_events(session.id)[-1]
    with owner(used).begin() as conn:
        conn.execute(sa.delete(session_events).where(session_events.c.id == event.id))
    (found,) = problems(used)
    assert found.startswith(f"session event {event.id}: missing (deleted)")


def test_an_inserted_session_event_is_named(used, session):
    with owner(used).begin() as conn:
        values = {"session_id": session.id, "seq": 99, "time": datetime.now(timezone.utc), "kind": "set_amplitude"}
        new_id = conn.execute(
            sa.insert(session_events).values(**values, payload={"lead": 1, "ua": 4000}, outcome="ok")
        ).inserted_primary_key[0]
    assert problems(used) == [f"session event {new_id}: not in the audit trail (inserted)"]


def test_the_trail_goes_on_after_a_restart(used, reopen, session):
    again = reopen()
    again.audit("ada", "login", {}, "ok")
    report = again.verify_audit()
    assert report.intact and report.entries == 7
