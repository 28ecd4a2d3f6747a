"""Read statements of the records store and the mapping of their rows to values.

Each history query starts from the patient's sessions (index on
sessions.patient_id, started) and reaches the clinical rows through their
session_id indexes and the events through their primary key, so its cost
grows with one patient's history, not with the whole clinic's database.
tests/records/test_records_query_plans.py checks that SQLite plans them that way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from drivers.types import ImpedanceMode
from workstation.bodymap import BodyMap
from workstation.events import EventKind, Outcome
from workstation.models import (
    ImpedanceClass,
    LeadPlacement,
    Note,
    PainScore,
    Patient,
    Session,
    SessionState,
    Side,
    SpinalLevel,
    StimulusResponse,
)
from workstation.records.codec import decode_contacts, decode_program
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

Row = sa.Row[Any]
EVENT_TIME = session_events.c.time.label("time")


def patients_query() -> sa.Select[Any]:
    return sa.select(patients).order_by(patients.c.name, patients.c.id)


def matching_patients_query(text: str) -> sa.Select[Any]:
    """Patients whose name or record number contains `text`, ignoring case."""
    needle = text.strip().lower()
    return patients_query().where(
        sa.or_(
            sa.func.lower(patients.c.name).contains(needle, autoescape=True),
            sa.func.lower(patients.c.record_number).contains(needle, autoescape=True),
        )
    )


def to_patient(row: Row) -> Patient:
    return Patient(row.id, row.name, row.date_of_birth, row.record_number)


def sessions_query() -> sa.Select[Any]:
    return sa.select(sessions, devices.c.serial).join(devices).order_by(sessions.c.started.desc(), sessions.c.id.desc())


def patient_sessions_query(patient_id: int) -> sa.Select[Any]:
    """Newest first."""
    return sessions_query().where(sessions.c.patient_id == patient_id)


def unclosed_sessions_query() -> sa.Select[Any]:
    open_states = (SessionState.OPEN.value, SessionState.ACTIVE.value)
    return sessions_query().where(sessions.c.state.in_(open_states))


def to_session(row: Row) -> Session:
    return Session(row.id, row.patient_id, row.serial, row.clinician, row.started, row.ended, row.state)


def events_query() -> sa.Select[Any]:
    return sa.select(session_events).order_by(session_events.c.session_id, session_events.c.seq)


def unsettled_unknowns_query(model: str, serial: str) -> sa.Select[Any]:
    """Unknown-outcome events of the device's sessions with no correction yet, oldest first;
    from the device (serial index) through its sessions, so it costs what one device holds."""
    e = session_events.c
    correction = session_events.alias("correction")
    return (
        sa.select(session_events)
        .join(sessions, sessions.c.id == e.session_id)
        .join(devices, devices.c.id == sessions.c.device_id)
        .where(
            devices.c.serial == serial,
            devices.c.model == model,
            e.outcome == Outcome.UNKNOWN.value,
            ~sa.exists().where(correction.c.references_event_id == e.id),
        )
        .order_by(e.id)
    )


def to_event(row: Row) -> SessionEvent:
    return SessionEvent(
        row.id,
        row.session_id,
        row.seq,
        row.time,
        EventKind(row.kind),
        row.payload,
        Outcome(row.outcome),
        row.references_event_id,
    )


def _patient_rows(table: sa.Table, patient_id: int) -> sa.Select[Any]:
    """Rows of a clinical `table` recorded for the patient, with their event time, oldest first."""
    return (
        sa.select(table, EVENT_TIME)
        .join(sessions, sessions.c.id == table.c.session_id)
        .join(session_events, session_events.c.id == table.c.event_id)
        .where(sessions.c.patient_id == patient_id)
        .order_by(session_events.c.time, session_events.c.id)
    )


def impedance_history_query(patient_id: int, lead: int, contact_a: int, contact_b: int) -> sa.Select[Any]:
    t = impedance_measurements.c
    return _patient_rows(impedance_measurements, patient_id).where(
        t.lead == lead, t.contact_a == contact_a, t.contact_b == contact_b
    )


def to_impedance_point(row: Row) -> ImpedancePoint:
    return ImpedancePoint(
        row.event_id,
        row.session_id,
        row.time,
        ImpedanceMode[row.mode],
        row.ohms,
        ImpedanceClass(row.impedance_class),
    )


def _readings(patient_sessions: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Impedance readings with the device each was measured on, oldest first."""
    return (
        sa.select(
            impedance_measurements,
            EVENT_TIME,
            devices.c.model.label("device_model"),
            devices.c.serial.label("device_serial"),
        )
        .join(sessions, sessions.c.id == impedance_measurements.c.session_id)
        .join(devices, devices.c.id == sessions.c.device_id)
        .join(session_events, session_events.c.id == impedance_measurements.c.event_id)
        .where(patient_sessions)
        .order_by(session_events.c.time, session_events.c.id)
    )


def patient_impedance_query(patient_id: int) -> sa.Select[Any]:
    return _readings(sessions.c.patient_id == patient_id)


def contact_history_query(serial: str) -> sa.Select[Any]:
    """Every impedance reading of the patients who had a session with the device `serial`, on any of
    their generators (a replaced one too), with the device of each, oldest first: the history of
    each contact across visits and devices, found from the device in hand, without a session."""
    patients_of_device = (
        sa.select(sessions.c.patient_id)
        .join(devices, devices.c.id == sessions.c.device_id)
        .where(devices.c.serial == serial)
    )
    return _readings(sessions.c.patient_id.in_(patients_of_device))


def to_contact_reading(row: Row) -> ContactReading:
    return ContactReading(
        row.event_id,
        row.session_id,
        row.time,
        row.device_model,
        row.device_serial,
        ImpedanceMode[row.mode],
        row.lead,
        row.contact_a,
        row.contact_b,
        row.ohms,
        ImpedanceClass(row.impedance_class),
    )


def program_history_query(patient_id: int) -> sa.Select[Any]:
    return _patient_rows(programs, patient_id)


def program_corrections_query(patient_id: int) -> sa.Select[Any]:
    """Corrections of the patient's saved programs (references_event_id, payload), oldest first."""
    e = session_events.c
    return (
        sa.select(e.references_event_id, e.payload)
        .join(sessions, sessions.c.id == e.session_id)
        .where(
            sessions.c.patient_id == patient_id,
            e.kind == EventKind.CORRECTION.value,
            e.references_event_id.in_(sa.select(programs.c.event_id)),
        )
        .order_by(e.id)
    )


def to_saved_program(row: Row) -> SavedProgram:
    return SavedProgram(
        row.event_id,
        row.session_id,
        row.time,
        decode_program(row.name, row.leads),
        row.written,
        row.verified,
        row.mismatch,
    )


def placement_history_query(patient_id: int) -> sa.Select[Any]:
    return _patient_rows(lead_placements, patient_id)


def latest_placement_id_query(patient_id: int, channel: int) -> sa.Select[Any]:
    """The placement in force for the patient's lead on `channel`: the last one recorded."""
    return (
        sa.select(lead_placements.c.id)
        .join(sessions, sessions.c.id == lead_placements.c.session_id)
        .where(sessions.c.patient_id == patient_id, lead_placements.c.channel == channel)
        .order_by(lead_placements.c.event_id.desc())
        .limit(1)
    )


def to_placement(row: Row) -> LeadPlacement:
    return LeadPlacement(row.channel, SpinalLevel.of(row.level), Side(row.side), row.implant_date)


def threshold_history_query(patient_id: int, level: SpinalLevel | None) -> sa.Select[Any]:
    """Responses of leads with a known placement; ordered by time (the caller orders levels)."""
    query = (
        _patient_rows(stimulus_responses, patient_id)
        .join(lead_placements, lead_placements.c.id == stimulus_responses.c.placement_id)
        .add_columns(lead_placements.c.level, lead_placements.c.side)
    )
    return query if level is None else query.where(lead_placements.c.level == level.name)


def to_response(row: Row) -> StimulusResponse:
    return StimulusResponse(
        lead=row.lead,
        contacts=decode_contacts(row.contacts),
        pulse_width_us=row.pulse_width_us,
        frequency_hz=row.frequency_hz,
        sensation=row.sensation,
        paresthesia_free=row.paresthesia_free,
        body_regions=tuple(row.body_regions),
        perception_threshold_ua=row.perception_threshold_ua,
        comfortable_ua=row.comfortable_ua,
        max_tolerable_ua=row.max_tolerable_ua,
    )


def to_threshold_point(row: Row) -> ThresholdPoint:
    return ThresholdPoint(
        row.event_id,
        row.session_id,
        row.time,
        SpinalLevel.of(row.level),
        Side(row.side),
        to_response(row),
    )


def to_placement_point(row: Row) -> PlacementPoint:
    return PlacementPoint(row.event_id, row.session_id, row.time, to_placement(row))


def pain_history_query(patient_id: int) -> sa.Select[Any]:
    return _patient_rows(pain_scores, patient_id)


def to_pain_point(row: Row) -> PainPoint:
    return PainPoint(row.event_id, row.session_id, row.time, PainScore(row.nrs, row.timing, row.vas_mm))


def note_history_query(patient_id: int) -> sa.Select[Any]:
    return _patient_rows(notes, patient_id)


def to_note_point(row: Row) -> NotePoint:
    return NotePoint(row.event_id, row.session_id, row.time, Note(row.text))


def body_map_history_query(patient_id: int) -> sa.Select[Any]:
    """The body map events of the patient's sessions (their payload holds the whole map), oldest first."""
    e = session_events.c
    return (
        sa.select(e.id, e.session_id, e.time, e.payload)
        .join(sessions, sessions.c.id == e.session_id)
        .where(sessions.c.patient_id == patient_id, e.kind == EventKind.BODY_MAP_RECORDED.value)
        .order_by(e.time, e.id)
    )


def to_body_map_point(row: Row) -> BodyMapPoint:
    return BodyMapPoint(row.id, row.session_id, row.time, BodyMap.from_json(row.payload))
