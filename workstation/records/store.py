"""The records store: every action of a programming session, durable before the call returns.

Each write method is one database transaction, committed before it returns:
a crash (even SIGKILL) loses nothing that a method reported as done. Every
clinical record is also a session event, so a session's event log is its
complete timeline.

Session lifecycle: open_session() creates it OPEN; the first write makes it
ACTIVE; close_session() makes it CLOSED for good. A session left OPEN or
ACTIVE by a crash is listed by unclosed_sessions() and taken up again with
resume_session(). A closed session refuses every write (ClosedSessionError)
except add_correction(), which appends a correction event that references
the corrected event; nothing already written is ever changed.

Thread safety: the engine's pool gives each call its own connection, and a
write locks its session row first (SQLite: BEGIN IMMEDIATE; PostgreSQL:
SELECT ... FOR UPDATE), so calls from the GUI and worker threads, or from
two workstations, serialise per session.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa

from drivers.types import Capabilities, Identity, ImpedanceResult, Program
from workstation import bodymap
from workstation.bodymap import BodyMap
from workstation.events import EventKind, Outcome
from workstation.models import (
    DeviceRecord,
    ImpedanceThresholds,
    LeadPlacement,
    Note,
    PainScore,
    Patient,
    Session,
    SessionState,
    SpinalLevel,
    StimulusResponse,
)
from workstation.paths import keys_dir
from workstation.records import audit, queries
from workstation.records.accounts import AccountRecords
from workstation.records.audit import AuditReport
from workstation.records.chainkey import Anchor, ChainKey
from workstation.records.codec import checked_payload, decode_capabilities, to_json
from workstation.records.connection import create_records_engine, records_url
from workstation.records.errors import (
    ClosedSessionError,
    DuplicateRecordNumber,
    RecordNotFound,
)
from workstation.records.migrate import upgrade
from workstation.records.rows import (
    BodyMapPoint,
    ContactReading,
    ImpedancePoint,
    NotePoint,
    PainPoint,
    PlacementPoint,
    SavedProgram,
    SessionEvent,
    ThresholdPoint,
)
from workstation.records.tables import (
    audit_entries,
    body_map_areas,
    devices,
    impedance_measurements,
    lead_placements,
    notes,
    pain_scores,
    patients,
    programs,
    session_events,
    sessions,
    stimulus_responses,
)

RECORDED = Outcome.RECORDED  # outcome of the events the store writes for its own records
RowWriter = Callable[[sa.Connection, int], None]  # inserts the rows of one event
_HEAD = "drg_audit_head"  # conn.info: the chain head a transaction appended, for the anchor once committed


def _now() -> datetime:
    return datetime.now(timezone.utc)


class RecordsStore:
    """Patients, sessions and their records in one SQL database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: sa.Engine, key: ChainKey | None = None) -> None:
        """Use RecordsStore.open(); this assumes the schema is already at head.

        `key`: this workstation's audit chain (default: the one in the user's data folder).
        """
        self._engine = engine
        self._key = key or ChainKey.load_or_create(keys_dir())
        self._database = engine.url.render_as_string(hide_password=True)  # names this database in the anchors
        self.accounts = AccountRecords(engine, self._begin, self._audit)

    @classmethod
    def open(cls, url: str | None = None, key: ChainKey | None = None) -> RecordsStore:
        """Open (creating or migrating to the latest schema) the database at `url`.

        None means $DRG_RECORDS_URL if set, else records.sqlite3 in the user's
        data folder.
        """
        engine = create_records_engine(records_url(url))
        upgrade(engine)
        return cls(engine, key)

    @property
    def url(self) -> sa.URL:
        return self._engine.url

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> RecordsStore:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the audit trail ---------------------------------------------------

    def audit(self, actor: str, action: str, detail: dict[str, Any], outcome: str) -> int:
        """Append a security event (login, account change, export, ...) to this workstation's chain; its seq."""
        data = checked_payload(detail)
        with self._begin() as conn:
            return self._audit(conn, actor, action, data, outcome).seq

    def audit_details(self, action: str) -> list[dict[str, Any]]:
        """What the trail holds of one action (every export, say), oldest first: an auditor's question."""
        query = sa.select(audit_entries.c.detail).where(audit_entries.c.action == action).order_by(audit_entries.c.id)
        return self._all(query, lambda row: json.loads(row.detail))

    def verify_audit(self) -> AuditReport:
        """Check every chain, the session events they cover and this workstation's anchor."""
        with self._engine.connect() as conn:
            return audit.verify(conn, self._key, self._database)

    # -- patients ---------------------------------------------------------

    def add_patient(self, name: str, date_of_birth: date, record_number: str) -> Patient:
        values = {
            "name": name.strip(),
            "date_of_birth": date_of_birth,
            "record_number": record_number.strip(),
        }
        with self._begin() as conn:
            taken = patients.c.record_number == values["record_number"]
            if conn.scalar(sa.select(patients.c.id).where(taken)) is not None:
                raise DuplicateRecordNumber(f"Another patient already has record number {values['record_number']}.")
            new_id = conn.execute(sa.insert(patients).values(values)).inserted_primary_key[0]
            return Patient(new_id, **values)  # validates; a ValueError rolls the insert back

    def get_patient(self, patient_id: int) -> Patient:
        query = queries.patients_query().where(patients.c.id == patient_id)
        return queries.to_patient(self._one(query, f"There is no patient {patient_id}."))

    def find_patients(self, text: str = "") -> list[Patient]:
        """Patients whose name or record number contains `text` (any case), by name."""
        return self._all(queries.matching_patients_query(text), queries.to_patient)

    # -- sessions ---------------------------------------------------------

    def open_session(self, patient_id: int, identity: Identity, capabilities: Capabilities, clinician: str) -> Session:
        """A new OPEN session of the patient with the device as it described itself."""
        device = DeviceRecord(identity, capabilities)
        started = _now()
        with self._begin() as conn:
            if conn.scalar(sa.select(patients.c.id).where(patients.c.id == patient_id)) is None:
                raise RecordNotFound(f"There is no patient {patient_id}.")
            values = {
                "patient_id": patient_id,
                "device_id": self._device_id(conn, device),
                "clinician": clinician.strip(),
                "started": started,
                "state": SessionState.OPEN.value,
            }
            session_id = conn.execute(sa.insert(sessions).values(values)).inserted_primary_key[0]
            session = Session(
                session_id,
                patient_id,
                identity.serial,
                values["clinician"],
                started,
                None,
                SessionState.OPEN,
            )
            payload = {"clinician": session.clinician, "device": to_json(identity)}
            self._append_event(conn, session_id, EventKind.SESSION_OPENED, payload, RECORDED)
        return session

    def get_session(self, session_id: int) -> Session:
        with self._engine.connect() as conn:
            return self._session(conn, session_id)

    def session_device(self, session_id: int) -> DeviceRecord:
        query = sa.select(devices).join(sessions).where(sessions.c.id == session_id)
        row = self._one(query, f"There is no session {session_id}.")
        identity = Identity(row.model, row.serial, row.firmware, row.hardware_rev)
        return DeviceRecord(identity, decode_capabilities(row.capabilities))

    def sessions_of(self, patient_id: int) -> list[Session]:
        """The patient's sessions, newest first."""
        return self._all(queries.patient_sessions_query(patient_id), queries.to_session)

    def unclosed_sessions(self) -> list[Session]:
        """Sessions never closed (the workstation stopped during them), newest first."""
        return self._all(queries.unclosed_sessions_query(), queries.to_session)

    def resume_session(self, session_id: int) -> Session:
        """Take up an unclosed session again: it becomes ACTIVE and the resumption is logged."""
        return self._write_returning_session(session_id, EventKind.SESSION_RESUMED, {})

    def close_session(self, session_id: int) -> Session:
        """Close the session for good: from now on it only accepts corrections."""
        ended = _now()
        update = {"state": SessionState.CLOSED.value, "ended": ended}
        return self._write_returning_session(session_id, EventKind.SESSION_CLOSED, update)

    # -- events -----------------------------------------------------------

    def log_event(self, session_id: int, kind: EventKind, payload: dict[str, Any], outcome: Outcome) -> int:
        """Append an action and its outcome to the session's log; returns the event id.

        Only catalogued kinds and outcomes (workstation.events) are accepted.
        """
        return self._record(session_id, EventKind(kind), payload, Outcome(outcome))

    def add_correction(self, event_id: int, reason: str, corrected: dict[str, Any] | None = None) -> int:
        """Append to the session of `event_id` a correction that references it; returns its id.

        Allowed on closed sessions too: it is the only way to amend one. The
        corrected event stays as it was; `corrected` holds the right values.
        """
        if not reason.strip():
            raise ValueError("A correction needs a reason.")
        payload = checked_payload({"reason": reason.strip(), "corrected": corrected or {}})
        with self._begin() as conn:
            session_id = conn.scalar(sa.select(session_events.c.session_id).where(session_events.c.id == event_id))
            if session_id is None:
                raise RecordNotFound(f"There is no event {event_id} to correct.")
            self._lock_session(conn, session_id)
            return self._append_event(conn, session_id, EventKind.CORRECTION, payload, RECORDED, references=event_id)

    def session_events(self, session_id: int) -> list[SessionEvent]:
        """The session's log in order (seq)."""
        query = queries.events_query().where(session_events.c.session_id == session_id)
        return self._all(query, queries.to_event)

    def events_since(self, session_id: int, after_seq: int = 0) -> list[SessionEvent]:
        """The session's events after `after_seq`, in order: how a log view stays current."""
        query = queries.events_query().where(
            session_events.c.session_id == session_id, session_events.c.seq > after_seq
        )
        return self._all(query, queries.to_event)

    def unsettled_unknowns(self, model: str, serial: str) -> list[SessionEvent]:
        """Events of the device's sessions whose outcome is unknown and that no correction has
        settled yet, oldest first: what the next connection to that device settles, in this run
        of the workstation or a later one."""
        return self._all(queries.unsettled_unknowns_query(model, serial), queries.to_event)

    def corrections_of(self, event_id: int) -> list[SessionEvent]:
        """Corrections that reference `event_id`, oldest first."""
        query = queries.events_query().where(session_events.c.references_event_id == event_id)
        return self._all(query, queries.to_event)

    # -- clinical records (each returns the id of the event that recorded it) --

    def record_impedance(self, session_id: int, result: ImpedanceResult, thresholds: ImpedanceThresholds) -> int:
        """Store every measurement with its class under `thresholds` (kept in the event)."""
        measured = [
            {
                "lead": m.lead,
                "contact_a": m.contact_a,
                "contact_b": m.contact_b,
                "ohms": m.ohms,
                "impedance_class": thresholds.classify(m.ohms).value,
            }
            for m in result.measurements
        ]
        rows = [{**m, "mode": result.mode.name} for m in measured]
        payload = {"mode": result.mode, "thresholds": thresholds, "measurements": measured}
        return self._record_rows(session_id, EventKind.IMPEDANCE_RECORDED, payload, impedance_measurements, rows)

    def record_placement(self, session_id: int, placement: LeadPlacement) -> int:
        """Where a lead sits; responses recorded afterwards are filed under this level."""
        row = {
            "channel": placement.channel,
            "level": placement.level.name,
            "side": placement.side.value,
            "implant_date": placement.implant_date,
        }
        return self._record_rows(session_id, EventKind.PLACEMENT_RECORDED, placement, lead_placements, [row])

    def record_response(self, session_id: int, response: StimulusResponse) -> int:
        """Filed under the placement in force for its lead (none if the lead is not placed yet)."""

        def write(conn: sa.Connection, event_id: int) -> None:
            patient_id = conn.scalar(sa.select(sessions.c.patient_id).where(sessions.c.id == session_id))
            placement_id = conn.scalar(queries.latest_placement_id_query(patient_id, response.lead))
            row = {**to_json(response), "placement_id": placement_id}
            _insert_rows(conn, stimulus_responses, session_id, event_id, [row])

        return self._record(session_id, EventKind.RESPONSE_RECORDED, response, RECORDED, write)

    def record_pain_score(self, session_id: int, score: PainScore) -> int:
        row = {"nrs": score.nrs, "timing": score.when.value, "vas_mm": score.vas_mm}
        return self._record_rows(session_id, EventKind.PAIN_SCORE_RECORDED, score, pain_scores, [row])

    def record_body_map(self, session_id: int, body_map: BodyMap) -> int:
        """The visit's body map as it stands (a later one replaces it for the visit), with its coverage.

        One row per painted area, with the area's side and dermatome level; the event holds the whole
        map and the shares shown, so the log and a report read it without the drawing.
        """
        drawn = bodymap.body_regions()

        def row(region: str, kind: str, lead: int | None, intensity: int | None) -> dict[str, Any]:
            area = drawn[region]
            return {
                "kind": kind,
                "lead": lead,
                "region": region,
                "side": area.side.value,
                "level": area.level.name,
                "intensity": intensity,
            }

        rows = [row(p.region, "PAIN", None, p.intensity) for p in body_map.pain]
        rows += [row(r, "LEAD", a.lead, None) for a in body_map.leads for r in a.regions]
        shares = [{"lead": c.lead, "coverage": c.coverage, "spill": c.spill} for c in bodymap.coverage(body_map)]
        payload = {**to_json(body_map), "coverage": shares}
        return self._record_rows(session_id, EventKind.BODY_MAP_RECORDED, payload, body_map_areas, rows)

    def add_note(self, session_id: int, note: Note) -> int:
        return self._record_rows(session_id, EventKind.NOTE_ADDED, note, notes, [{"text": note.text}])

    def save_program(
        self,
        session_id: int,
        program: Program,
        written: bool | None,
        verified: bool | None,
        mismatch: str | None = None,
        commit_acknowledged: bool = False,
    ) -> int:
        """A program as saved, whether it was written to the device and read back identical.

        `mismatch` says what differed when the read-back did not match, or why
        not written. `written` None means the host cannot know (the reply was
        lost and the device could not be read back): recorded as unknown, to be
        settled by a correction once the device is back; `commit_acknowledged` then
        says whether the device's reply to COMMIT had arrived (only the read-back was lost).
        """
        if (written is None) != (verified is None):
            raise ValueError("An unknown write outcome leaves both written and verified unknown.")
        if verified and not written:
            raise ValueError("A program cannot be verified before it is written to the device.")
        if verified and mismatch:
            raise ValueError("A verified program cannot also have a mismatch.")
        flags = {"written": written, "verified": verified, "mismatch": mismatch}
        row = {"name": program.name, "leads": to_json(program.leads), **flags}
        payload: dict[str, Any] = {"program": program, **flags}
        if written is None:
            payload["commit_acknowledged"] = commit_acknowledged
        elif commit_acknowledged:
            raise ValueError("commit_acknowledged describes an unknown outcome only.")
        outcome = Outcome.UNKNOWN if written is None else RECORDED
        return self._record_rows(session_id, EventKind.PROGRAM_SAVED, payload, programs, [row], outcome)

    # -- history ----------------------------------------------------------

    def impedance_history(self, patient_id: int, lead: int, contact_a: int, contact_b: int) -> list[ImpedancePoint]:
        """One contact pair's impedance across the patient's sessions, oldest first."""
        query = queries.impedance_history_query(patient_id, lead, contact_a, contact_b)
        return self._all(query, queries.to_impedance_point)

    def contact_history(self, serial: str) -> list[ContactReading]:
        """Impedance readings of the patients of device `serial`, on every one of their devices, oldest first."""
        return self._all(queries.contact_history_query(serial), queries.to_contact_reading)

    def program_history(self, patient_id: int) -> list[SavedProgram]:
        """Every program saved for the patient, oldest first, as its corrections last settled it."""
        saved = self._all(queries.program_history_query(patient_id), queries.to_saved_program)
        settled = self._all(queries.program_corrections_query(patient_id), lambda row: row)
        latest = {row.references_event_id: row.payload["corrected"] for row in settled}  # in order: last wins
        return [p.settled(latest[p.event_id]) if p.event_id in latest else p for p in saved]

    def threshold_history(self, patient_id: int, level: SpinalLevel | None = None) -> list[ThresholdPoint]:
        """Stimulus responses of placed leads, by spinal level (cranial first), then oldest first."""
        points = self._all(queries.threshold_history_query(patient_id, level), queries.to_threshold_point)
        return sorted(points, key=lambda p: p.level)  # stable: time order kept within a level

    def placement_history(self, patient_id: int) -> list[PlacementPoint]:
        """Every placement recorded for the patient, oldest first (a lead moved is placed again)."""
        return self._all(queries.placement_history_query(patient_id), queries.to_placement_point)

    def pain_history(self, patient_id: int) -> list[PainPoint]:
        """Every pain score of the patient, oldest first."""
        return self._all(queries.pain_history_query(patient_id), queries.to_pain_point)

    def note_history(self, patient_id: int) -> list[NotePoint]:
        return self._all(queries.note_history_query(patient_id), queries.to_note_point)

    def body_map_history(self, patient_id: int) -> list[BodyMapPoint]:
        """Every body map recorded for the patient, oldest first (the last of a visit is the visit's)."""
        return self._all(queries.body_map_history_query(patient_id), queries.to_body_map_point)

    def impedance_readings(self, patient_id: int) -> list[ContactReading]:
        """Every impedance reading of the patient on any of their devices, oldest first."""
        return self._all(queries.patient_impedance_query(patient_id), queries.to_contact_reading)

    def current_placements(self, patient_id: int) -> dict[int, LeadPlacement]:
        """The last placement recorded for each of the patient's lead channels."""
        history = self._all(queries.placement_history_query(patient_id), queries.to_placement)
        return {placement.channel: placement for placement in history}

    # -- internals --------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        """A transaction; once it has committed, this workstation's anchor moves to the chain's new head."""
        with self._engine.begin() as conn:
            conn.info.pop(_HEAD, None)
            yield conn
            head: Anchor | None = conn.info.pop(_HEAD, None)
        if head is not None:
            self._key.advance(self._database, head)

    def _audit(self, conn: sa.Connection, actor: str, action: str, detail: dict[str, Any], outcome: str) -> Anchor:
        head = audit.append(conn, self._key, actor, action, detail, outcome, _now())
        conn.info[_HEAD] = head
        return head

    def _one(self, query: sa.Select[Any], missing: str) -> sa.Row[Any]:
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise RecordNotFound(missing)
        return row

    def _all(self, query: sa.Select[Any], to_value: Callable[[sa.Row[Any]], Any]) -> list[Any]:
        with self._engine.connect() as conn:
            return [to_value(row) for row in conn.execute(query)]

    def _session(self, conn: sa.Connection, session_id: int) -> Session:
        row = conn.execute(queries.sessions_query().where(sessions.c.id == session_id)).first()
        if row is None:
            raise RecordNotFound(f"There is no session {session_id}.")
        return queries.to_session(row)

    def _record(
        self,
        session_id: int,
        kind: EventKind,
        payload: Any,
        outcome: Outcome,
        write_rows: RowWriter | None = None,
    ) -> int:
        """One transaction: lock the writable session, append the event, insert its rows."""
        data = checked_payload(payload)
        with self._begin() as conn:
            self._claim_writable(conn, session_id)
            event_id = self._append_event(conn, session_id, kind, data, outcome)
            if write_rows is not None:
                write_rows(conn, event_id)
        return event_id

    def _record_rows(
        self,
        session_id: int,
        kind: EventKind,
        payload: Any,
        table: sa.Table,
        rows: list[dict[str, Any]],
        outcome: Outcome = RECORDED,
    ) -> int:
        """_record whose event inserts `rows` into `table`."""

        def write(conn: sa.Connection, event_id: int) -> None:
            _insert_rows(conn, table, session_id, event_id, rows)

        return self._record(session_id, kind, payload, outcome, write)

    def _write_returning_session(self, session_id: int, kind: EventKind, update: dict[str, Any]) -> Session:
        with self._begin() as conn:
            self._claim_writable(conn, session_id)
            self._append_event(conn, session_id, kind, {}, RECORDED)
            if update:
                conn.execute(sa.update(sessions).where(sessions.c.id == session_id).values(update))
            return self._session(conn, session_id)

    def _lock_session(self, conn: sa.Connection, session_id: int) -> SessionState:
        """Lock the session row for this transaction (serialises writers) and return its state."""
        state = conn.scalar(sa.select(sessions.c.state).where(sessions.c.id == session_id).with_for_update())
        if state is None:
            raise RecordNotFound(f"There is no session {session_id}.")
        return SessionState(state)

    def _claim_writable(self, conn: sa.Connection, session_id: int) -> None:
        state = self._lock_session(conn, session_id)
        if state is SessionState.CLOSED:
            raise ClosedSessionError(session_id)
        if state is SessionState.OPEN:
            conn.execute(sa.update(sessions).where(sessions.c.id == session_id).values(state=SessionState.ACTIVE.value))

    def _append_event(
        self,
        conn: sa.Connection,
        session_id: int,
        kind: EventKind,
        payload: dict[str, Any],
        outcome: Outcome,
        references: int | None = None,
    ) -> int:
        """Insert the next event of a session whose row this transaction has locked."""
        seq = conn.scalar(
            sa.select(sa.func.coalesce(sa.func.max(session_events.c.seq), 0) + 1).where(
                session_events.c.session_id == session_id
            )
        )
        values = {
            "session_id": session_id,
            "seq": seq,
            "time": _now(),
            "kind": kind.value,
            "payload": payload,
            "outcome": outcome.value,
            "references_event_id": references,
        }
        event_id = conn.execute(sa.insert(session_events).values(values)).inserted_primary_key[0]
        actor = conn.scalar(sa.select(sessions.c.clinician).where(sessions.c.id == session_id))
        detail = {
            "event_id": event_id,
            "session_id": session_id,
            "kind": kind.value,
            "digest": audit.event_digest({**values, "id": event_id}),
        }
        self._audit(conn, actor, audit.SESSION_EVENT, detail, outcome.value)
        return event_id

    @staticmethod
    def _device_id(conn: sa.Connection, device: DeviceRecord) -> int:
        """The row of this exact self-description, added the first time it is seen.

        No lock is needed: one device is plugged into one workstation at a time.
        """
        data = to_json(device)
        fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        found = conn.scalar(sa.select(devices.c.id).where(devices.c.fingerprint == fingerprint))
        if found is not None:
            return found
        values = {**data["identity"], "capabilities": data["capabilities"], "fingerprint": fingerprint}
        return conn.execute(sa.insert(devices).values(values)).inserted_primary_key[0]


def _insert_rows(
    conn: sa.Connection, table: sa.Table, session_id: int, event_id: int, rows: list[dict[str, Any]]
) -> None:
    if rows:
        conn.execute(sa.insert(table), [{**row, "session_id": session_id, "event_id": event_id} for row in rows])
