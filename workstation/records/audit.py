"""The tamper-evident audit trail: per-workstation hash chains of signed entries, and their check.

Each entry holds the hash of the one before it in its chain and is signed
with its workstation's key (records/chainkey.py). Every session event gets
an audit entry in the same transaction, carrying the digest of the event, so
the clinical timeline is covered by the chain too. Why one chain per
workstation and not one for the clinic: docs/security.md, "Audit trail".

`verify` names what it finds, first problem first: an entry altered, missing,
inserted or cut off the tail, a session event altered, deleted or inserted,
and an append-only trigger dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from workstation.records.chainkey import Anchor, ChainKey, verify_signature
from workstation.records.tables import audit_chains, audit_entries, session_events

GENESIS = "0" * 64  # prev_hash of a chain's first entry
SESSION_EVENT = "session_event"  # action of the entry that covers a session event
APPEND_ONLY = ("session_events", "audit_entries", "audit_chains")  # tables whose triggers refuse UPDATE and DELETE


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _time_text(time: datetime) -> str:
    return time.astimezone(timezone.utc).isoformat(timespec="microseconds")


def entry_hash(
    chain: str, seq: int, time: datetime, actor: str, action: str, detail: str, outcome: str, prev: str
) -> str:
    fields = [chain, seq, _time_text(time), actor, action, detail, outcome, prev]
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def event_digest(event: dict[str, Any]) -> str:
    """Digest of a session event row as stored (id, session, seq, time, kind, payload, outcome, reference)."""
    fields = [
        event["id"],
        event["session_id"],
        event["seq"],
        _time_text(event["time"]),
        event["kind"],
        canonical(event["payload"]),
        event["outcome"],
        event["references_event_id"],
    ]
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def append(
    conn: sa.Connection,
    key: ChainKey,
    actor: str,
    action: str,
    detail: dict[str, Any],
    outcome: str,
    now: datetime,
) -> Anchor:
    """Append one signed entry to the workstation's chain in this transaction; returns the new head.

    The chain's row is locked first, so the workstation's threads append one after another; the
    first entry registers the chain with its public key.
    """
    mine = audit_chains.c.chain == key.chain
    if conn.scalar(sa.select(audit_chains.c.chain).where(mine).with_for_update()) is None:
        conn.execute(sa.insert(audit_chains).values(chain=key.chain, public_key=key.public_hex, created=now))
    last = conn.execute(
        sa.select(audit_entries.c.seq, audit_entries.c.hash)
        .where(audit_entries.c.chain == key.chain)
        .order_by(audit_entries.c.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    text = canonical(detail)
    digest = entry_hash(key.chain, seq, now, actor, action, text, outcome, prev)
    values = {
        "chain": key.chain,
        "seq": seq,
        "time": now,
        "actor": actor,
        "action": action,
        "detail": text,
        "outcome": outcome,
        "prev_hash": prev,
        "hash": digest,
        "signature": key.sign(digest),
    }
    conn.execute(sa.insert(audit_entries).values(values))
    return Anchor(seq, digest)


# -- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem: where (chain and seq, or a session event) and what."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass(frozen=True)
class AuditReport:
    chains: int
    entries: int
    events: int  # session events checked against their audit entries
    findings: tuple[Finding, ...]

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def verify(conn: sa.Connection, key: ChainKey | None, database: str) -> AuditReport:
    """Check every chain, the session events they cover, and this workstation's anchor in `database`."""
    findings: list[Finding] = []
    chains = {row.chain: row.public_key for row in conn.execute(sa.select(audit_chains))}
    covered: dict[int, tuple[str, str]] = {}  # session event id -> (where, digest)
    heads: dict[str, Anchor] = {}
    entries = 0
    rows = conn.execute(sa.select(audit_entries).order_by(audit_entries.c.chain, audit_entries.c.seq))
    for chain, chain_rows in _by_chain(rows):
        public = chains.get(chain)
        broken = None
        for row in chain_rows:
            entries += 1
            if broken is None:
                broken = _check_entry(row, public, heads.get(chain))
                if broken is not None:
                    findings.append(broken)
                heads[chain] = Anchor(row.seq, row.hash)
            if row.action == SESSION_EVENT:
                detail = json.loads(row.detail)
                covered[detail["event_id"]] = (f"chain {chain[:8]} entry {row.seq}", detail["digest"])
    if key is not None:
        findings.extend(_check_own_chain(key, chains.get(key.chain), heads.get(key.chain), key.anchor(database)))
    findings.extend(_check_events(conn, covered))
    findings.extend(_missing_triggers(conn))  # last: the first finding names an entry when one is broken
    return AuditReport(len(chains), entries, len(covered), tuple(findings))


def _by_chain(rows: Iterable[Any]) -> Iterator[tuple[str, list[Any]]]:
    current: list[Any] = []
    for row in rows:
        if current and current[0].chain != row.chain:
            yield current[0].chain, current
            current = []
        current.append(row)
    if current:
        yield current[0].chain, current


def _check_entry(row: Any, public: str | None, previous: Anchor | None) -> Finding | None:
    where = f"chain {row.chain[:8]} entry {row.seq}"
    expected_seq, expected_prev = (1, GENESIS) if previous is None else (previous.seq + 1, previous.hash)
    if row.seq > expected_seq:
        return Finding(f"chain {row.chain[:8]} entry {expected_seq}", f"missing (the chain goes on at entry {row.seq})")
    if row.seq != expected_seq or row.prev_hash != expected_prev:
        return Finding(where, "does not follow the entry before it (inserted or replaced)")
    digest = entry_hash(row.chain, row.seq, row.time, row.actor, row.action, row.detail, row.outcome, row.prev_hash)
    if digest != row.hash:
        return Finding(where, "altered: its content does not match its hash")
    if public is None or not verify_signature(public, row.hash, row.signature):
        return Finding(where, "not signed by its workstation's key (forged)")
    return None


def _check_own_chain(key: ChainKey, public: str | None, head: Anchor | None, anchor: Anchor | None) -> list[Finding]:
    where = f"chain {key.chain[:8]} (this workstation)"
    if anchor is None:
        return []
    if public is not None and public != key.public_hex:
        return [Finding(where, "its public key was replaced in the database")]
    if head is None or head.seq < anchor.seq:
        first_missing = 1 if head is None else head.seq + 1
        return [
            Finding(
                f"chain {key.chain[:8]} entry {first_missing}", f"missing: the tail up to entry {anchor.seq} is gone"
            )
        ]
    return []


def _check_events(conn: sa.Connection, covered: dict[int, tuple[str, str]]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[int] = set()
    baseline = min(
        covered, default=None
    )  # events recorded before the audit trail began (revision 0005) are not covered
    if baseline is None:
        return findings
    for row in conn.execute(
        sa.select(session_events).where(session_events.c.id >= baseline).order_by(session_events.c.id)
    ):
        seen.add(row.id)
        entry = covered.get(row.id)
        if entry is None:
            findings.append(Finding(f"session event {row.id}", "not in the audit trail (inserted)"))
        elif event_digest(row._asdict()) != entry[1]:
            findings.append(Finding(f"session event {row.id}", f"altered since {entry[0]} recorded it"))
    for event_id in sorted(set(covered) - seen):
        findings.append(Finding(f"session event {event_id}", f"missing (deleted): {covered[event_id][0]} recorded it"))
    return findings


def expected_triggers(dialect: str) -> dict[str, str]:
    """Trigger name -> table, of the triggers that refuse UPDATE and DELETE on the append-only tables."""
    if dialect == "sqlite":
        return {f"{table}_no_{action}": table for table in APPEND_ONLY for action in ("update", "delete")}
    return {f"{table}_append_only": table for table in APPEND_ONLY}


def _missing_triggers(conn: sa.Connection) -> Iterator[Finding]:
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        )
    present = {row[0] for row in conn.exec_driver_sql(query)}
    for name, table in expected_triggers(conn.dialect.name).items():
        if name not in present:
            yield Finding(f"table {table}", f"its append-only trigger {name} was dropped")
