"""The visit's records: patients, sessions and the clinical records of a session
(placements, responses, pain scores, notes), and the session log as it grows.
Every call runs on records-io and returns a Future."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from datetime import date
from typing import TypeVar

from workstation import history, validation, visit
from workstation.accounts import Permission
from workstation.bodymap import BodyMap
from workstation.events import EventKind
from workstation.history import PatientHistory
from workstation.models import LeadPlacement, Note, PainScore, Patient, Session, StimulusResponse
from workstation.records.rows import SessionEvent, ThresholdPoint
from workstation.service.core import ServiceCore
from workstation.service.errors import NoActiveSession, NotConnected
from workstation.service.notices import EventRecorded, PlacementChanged, SessionChanged
from workstation.service.policy import requires
from workstation.visit import VisitOutput, VisitRecord

T = TypeVar("T")
log = logging.getLogger(__name__)


class Recording:
    def __init__(self, core: ServiceCore, forget_confirmations: Callable[[], None], log_device: Callable[[], None]):
        self._core = core
        self._forget = forget_confirmations  # a confirmation holds for one session only
        self._log_device = log_device

    # -- patients -------------------------------------------------------------------------------
    @requires(Permission.HISTORY)
    def find_patients(self, text: str = "") -> Future[list[Patient]]:
        text = validation.text(text, "search")
        return self._core.query(self._core.records.find_patients, text)

    @requires(Permission.RECORD)
    def add_patient(self, name: str, date_of_birth: date, record_number: str) -> Future[Patient]:
        name, record_number = validation.text(name, "name"), validation.text(record_number, "record_number")
        date_of_birth = validation.instance(date, date_of_birth, "date_of_birth")
        return self._core.query(self._core.records.add_patient, name, date_of_birth, record_number)

    @requires(Permission.HISTORY)
    def patient(self, patient_id: int) -> Future[Patient]:
        return self._core.query(self._core.records.get_patient, validation.record_id(patient_id, "patient_id"))

    @requires(Permission.HISTORY)
    def session(self, session_id: int) -> Future[Session]:
        return self._core.query(self._core.records.get_session, validation.record_id(session_id, "session_id"))

    @requires(Permission.HISTORY)
    def sessions_of(self, patient_id: int) -> Future[list[Session]]:
        return self._core.query(self._core.records.sessions_of, validation.record_id(patient_id, "patient_id"))

    @requires(Permission.HISTORY)
    def unclosed_sessions(self) -> Future[list[Session]]:
        return self._core.query(self._core.records.unclosed_sessions)

    @requires(Permission.HISTORY)
    def unfinished(self) -> Future[list[tuple[Session, Patient]]]:
        """Sessions never closed (the workstation stopped during them), other than the active one, with
        their patients, newest first."""
        records = self._core.records

        def read() -> list[tuple[Session, Patient]]:
            active = self._core.session_id
            return [(s, records.get_patient(s.patient_id)) for s in records.unclosed_sessions() if s.id != active]

        return self._core.query(read)

    @requires(Permission.HISTORY)
    def placements(self, patient_id: int) -> Future[dict[int, LeadPlacement]]:
        patient_id = validation.record_id(patient_id, "patient_id")
        return self._core.query(self._core.records.current_placements, patient_id)

    @requires(Permission.HISTORY)
    def threshold_history(self, patient_id: int) -> Future[list[ThresholdPoint]]:
        patient_id = validation.record_id(patient_id, "patient_id")
        return self._core.query(self._core.records.threshold_history, patient_id)

    @requires(Permission.HISTORY)
    def history(self, patient_id: int) -> Future[PatientHistory]:
        """A returning patient's visits, thresholds, coverage, programs and impedance; no session needed."""
        patient_id = validation.record_id(patient_id, "patient_id")
        return self._core.query(history.load, self._core.records, patient_id)

    @requires(Permission.HISTORY)
    def visit(self, session_id: int) -> Future[VisitRecord]:
        """One visit as the records hold it (the report's and the exports' source); any past visit."""
        session_id = validation.record_id(session_id, "session_id")
        return self._core.query(visit.load, self._core.records, session_id)

    @requires(Permission.EXPORT)
    def visit_output(self, session_id: int, output: VisitOutput, destination: str) -> Future[int]:
        """Record that a visit left the records (printed, saved as PDF, exported) and where to: a
        disclosure of patient data, so the audit trail holds each one. The future gives its seq."""
        core = self._core
        session_id, output, destination = core.valid(
            EventKind.VISIT_OUTPUT,
            lambda: (
                validation.record_id(session_id, "session_id"),
                validation.member(VisitOutput, output, "output"),
                validation.filled(destination, "destination"),
            ),
        )
        detail = {"what": output.value, "session": session_id, "to": destination}

        def run() -> int:
            user = core.user
            seq = core.records.audit(user.username if user is not None else "-", "export", detail, "ok")
            log.info("session %d: %s", session_id, output.value)  # the session by number, no patient data
            return seq

        return core.query(run)

    # -- sessions --------------------------------------------------------------------------------
    @requires(Permission.RECORD)
    def start_session(self, patient_id: int) -> Future[Session]:
        """A session of the patient; its clinician is the logged-in user."""
        core = self._core
        state = core.state
        identity, caps = state.identity, state.capabilities
        if identity is None or caps is None:
            raise NotConnected("Connect to the patient's pulse generator before starting a session.")
        patient_id = validation.record_id(patient_id, "patient_id")
        user = core.user
        assert user is not None  # @requires let us in
        clinician = user.full_name

        def run() -> Session:
            session = core.records.open_session(patient_id, identity, caps, clinician)
            log.info("session %d opened (patient record %d)", session.id, patient_id)
            core.session = session
            self._forget()
            self._log_device()
            core.emit(SessionChanged(session))
            return session

        return core.run_on(core.records_io, run)

    @requires(Permission.RECORD)
    def resume_session(self, session_id: int) -> Future[Session]:
        core = self._core
        session_id = validation.record_id(session_id, "session_id")

        def run() -> Session:
            session = core.records.resume_session(session_id)
            log.info("session %d resumed", session.id)
            core.session = session
            self._forget()
            core.emit(SessionChanged(session))
            return session

        return core.run_on(core.records_io, run)

    @requires(Permission.RECORD)
    def end_session(self) -> Future[Session]:
        """Close the session. From the call on no output change is accepted and ramps end; the
        commands already queued run first, so what they did is recorded in this session."""
        core = self._core
        session_id = core.require_session()
        core.session_ending = True
        core.end_ramps(NoActiveSession())

        def run() -> Session:
            try:
                core.run_on(core.io, lambda: None).result()  # every queued command done and recorded
                core.record(EventKind.SESSION_ENDED, {})
                session = core.records.close_session(session_id)
                log.info("session %d ended", session_id)
                core.session = None
            finally:
                core.session_ending = False
            self._forget()
            core.emit(SessionChanged(None))
            return session

        return core.run_on(core.records_io, run)

    # -- the session log -------------------------------------------------------------------------------
    @requires(Permission.HISTORY)
    def events_since(self, session_id: int, after_seq: int = 0) -> Future[list[SessionEvent]]:
        """The session's events after `after_seq`: a log view asks for what is new, not for all."""
        session_id, after_seq = validation.record_id(session_id, "session_id"), validation.count(after_seq, "seq")
        return self._core.query(self._core.records.events_since, session_id, after_seq)

    # -- clinical records (each future gives the id of the event that recorded it) -----------------------
    @requires(Permission.RECORD)
    def place_lead(self, placement: LeadPlacement) -> Future[int]:
        placement = self._core.valid(
            EventKind.PLACEMENT_RECORDED, lambda: validation.instance(LeadPlacement, placement, "placement")
        )

        def announced(event_id: int) -> None:
            self._core.emit(PlacementChanged(placement))

        return self._write(lambda sid: self._core.records.record_placement(sid, placement), announced)

    @requires(Permission.RECORD)
    def record_response(self, response: StimulusResponse) -> Future[int]:
        response = self._core.valid(
            EventKind.RESPONSE_RECORDED, lambda: validation.instance(StimulusResponse, response, "response")
        )
        return self._write(lambda sid: self._core.records.record_response(sid, response))

    @requires(Permission.RECORD)
    def record_pain_score(self, score: PainScore) -> Future[int]:
        score = self._core.valid(EventKind.PAIN_SCORE_RECORDED, lambda: validation.instance(PainScore, score, "score"))
        return self._write(lambda sid: self._core.records.record_pain_score(sid, score))

    @requires(Permission.RECORD)
    def record_body_map(self, body_map: BodyMap) -> Future[int]:
        """The visit's body map as it stands now (pain areas, each lead's area), with its coverage."""
        body_map = self._core.valid(
            EventKind.BODY_MAP_RECORDED, lambda: validation.instance(BodyMap, body_map, "body_map")
        )
        return self._write(lambda sid: self._core.records.record_body_map(sid, body_map))

    @requires(Permission.RECORD)
    def add_note(self, note: Note) -> Future[int]:
        note = self._core.valid(EventKind.NOTE_ADDED, lambda: validation.instance(Note, note, "note"))
        return self._write(lambda sid: self._core.records.add_note(sid, note))

    def _write(self, write: Callable[[int], int], then: Callable[[int], None] | None = None) -> Future[int]:
        core = self._core
        session_id = core.require_session()

        def run() -> int:
            if core.session_id != session_id:
                raise NoActiveSession()
            event_id = write(session_id)
            core.emit(EventRecorded(event_id))
            if then is not None:
                then(event_id)
            return event_id

        return core.run_on(core.records_io, run)
