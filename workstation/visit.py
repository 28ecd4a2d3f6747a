"""One visit as the records hold it: what the report prints and the exports write.

Built from the records alone (the session's events, which carry every
clinical record in full, and the patient's placements and programs), never
from the device or the screen, so any past visit can be reprinted and a
reprint says exactly what the first print said.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from drivers.types import Program
from workstation.bodymap import BodyMap, Coverage, coverage
from workstation.diagnosis import reading_text
from workstation.events import EventKind, name, summarise
from workstation.models import (
    DeviceRecord,
    ImpedanceThresholds,
    LeadPlacement,
    PainScore,
    PainTiming,
    Patient,
    Session,
    StimulusResponse,
)
from workstation.records.codec import decode_contacts
from workstation.records.rows import PlacementPoint, SavedProgram, SessionEvent


class VisitOutput(str, Enum):
    """A visit leaving the records: each is a disclosure of patient data, so each is audited."""

    REPORT_SAVED = "visit report saved as PDF"
    REPORT_PRINTED = "visit report printed"
    EXPORTED = "visit exported (FHIR bundle and CSV files)"


class VisitRecords(Protocol):
    """What a visit is read from (the RecordsStore and the service's port)."""

    def get_session(self, session_id: int) -> Session: ...
    def get_patient(self, patient_id: int) -> Patient: ...
    def session_device(self, session_id: int) -> DeviceRecord: ...
    def session_events(self, session_id: int) -> list[SessionEvent]: ...
    def placement_history(self, patient_id: int) -> list[PlacementPoint]: ...
    def program_history(self, patient_id: int) -> list[SavedProgram]: ...


def lead_location(placement: LeadPlacement | None, lead: int) -> str:
    """'L4 left · lead 1' where the lead sat; 'lead 1 (not placed)' before a placement was recorded."""
    if placement is None:
        return f"lead {lead} (not placed)"
    return f"{placement.level.name} {placement.side.value.lower()} · lead {lead}"


@dataclass(frozen=True)
class ImpedanceRow:
    time: datetime
    lead: int
    contact_a: int
    contact_b: int  # 0: the case
    ohms: int
    impedance_class: str
    placement: LeadPlacement | None  # where the lead sat when it was measured
    thresholds: ImpedanceThresholds  # those that classed it, kept in the event

    @property
    def shown(self) -> str:
        """As the Impedance tab shows it: an open as "> 4000 Ω", never the device's meaningless figure."""
        return reading_text(self.ohms, self.thresholds)

    @property
    def pair(self) -> str:
        return f"{self.contact_a}-{self.contact_b or 'case'}"

    @property
    def location(self) -> str:
        return lead_location(self.placement, self.lead)


@dataclass(frozen=True)
class TestedResponse:
    """A stimulus response with where its lead sat (None: not placed yet)."""

    time: datetime
    placement: LeadPlacement | None
    response: StimulusResponse

    @property
    def location(self) -> str:
        return lead_location(self.placement, self.response.lead)


@dataclass(frozen=True)
class VisitRecord:
    patient: Patient
    session: Session
    device: DeviceRecord
    battery: Mapping[str, Any] | None  # the last battery reading of the visit ({"percent", "state", ...})
    placements: Mapping[int, LeadPlacement]  # in force at the end of the visit, by channel
    impedance: tuple[ImpedanceRow, ...]
    responses: tuple[TestedResponse, ...]
    body_map: BodyMap | None
    programs: tuple[SavedProgram, ...]  # as the corrections last settled them
    pain: tuple[tuple[datetime, PainScore], ...]
    notes: tuple[tuple[datetime, str], ...]
    events: tuple[SessionEvent, ...]

    @property
    def record_id(self) -> str:
        """Names this visit and what was recorded of it: the session, and a digest of its log, so
        two prints with one id hold the same record (a later correction changes the digest)."""
        log = [[e.id, e.kind.value, e.payload, e.outcome.value] for e in self.events]
        digest = hashlib.sha256(json.dumps(log, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return f"{self.patient.record_number}/S{self.session.id}/{digest}"

    @property
    def coverage(self) -> tuple[Coverage, ...]:
        return coverage(self.body_map) if self.body_map is not None else ()

    @property
    def written_program(self) -> SavedProgram | None:
        """The last program written to the device in this visit (or, failing that, the last saved)."""
        written = [p for p in self.programs if p.written] or list(self.programs)
        return written[-1] if written else None

    def lead_name(self, channel: int) -> str:
        """The lead named by where it sat at the end of the visit."""
        return lead_location(self.placements.get(channel), channel)

    def pain_score(self, when: PainTiming) -> PainScore | None:
        scores = [s for _, s in self.pain if s.when is when]
        return scores[-1] if scores else None

    def patient_maximums(self) -> dict[int, tuple[int | None, int | None]]:
        """Per lead: (the highest tolerable amplitude tested in the visit, the patient maximum of the
        program written), None where there is none."""
        tested: dict[int, int] = {}
        for t in self.responses:
            r = t.response
            if r.max_tolerable_ua is not None:
                tested[r.lead] = max(tested.get(r.lead, 0), r.max_tolerable_ua)
        program = self.written_program
        programmed = {c.lead: c.patient_max_ua for c in program.program.leads} if program is not None else {}
        return {lead: (tested.get(lead), programmed.get(lead)) for lead in sorted({*tested, *programmed})}

    def event_counts(self) -> list[tuple[str, int]]:
        """How many events of each kind (as the log names them), most frequent first."""
        return Counter(name(e.kind) for e in self.events).most_common()

    def log_lines(self) -> list[tuple[datetime, str, str, str]]:
        """(time, event, outcome, summary) of every event, in order."""
        return [(e.time, name(e.kind), e.outcome.value, summarise(e)) for e in self.events]

    @property
    def program(self) -> Program | None:
        written = self.written_program
        return written.program if written is not None else None


def _response(payload: Mapping[str, Any]) -> StimulusResponse:
    return StimulusResponse(**{**payload, "contacts": decode_contacts(payload["contacts"])})


def load(records: VisitRecords, session_id: int) -> VisitRecord:
    session = records.get_session(session_id)
    patient = records.get_patient(session.patient_id)
    events = tuple(records.session_events(session_id))
    history = records.placement_history(patient.id)
    placed: dict[int, LeadPlacement] = {}
    for point in history:  # earlier visits' placements hold until this visit moves a lead
        if point.session_id != session_id and point.time < session.started:
            placed[point.placement.channel] = point.placement
    battery: Mapping[str, Any] | None = None
    impedance: list[ImpedanceRow] = []
    responses: list[TestedResponse] = []
    body_map: BodyMap | None = None
    pain: list[tuple[datetime, PainScore]] = []
    notes: list[tuple[datetime, str]] = []
    for e in events:
        p = e.payload
        if e.kind is EventKind.PLACEMENT_RECORDED:
            placement = LeadPlacement(
                p["channel"], p["level"], p["side"], datetime.fromisoformat(p["implant_date"]).date()
            )
            placed[placement.channel] = placement
        elif e.kind is EventKind.DEVICE_STATE and p.get("battery"):
            battery = p["battery"]
        elif e.kind is EventKind.IMPEDANCE_RECORDED:
            impedance += [
                ImpedanceRow(
                    e.time,
                    m["lead"],
                    m["contact_a"],
                    m["contact_b"],
                    m["ohms"],
                    m["impedance_class"],
                    placed.get(m["lead"]),
                    ImpedanceThresholds(**p["thresholds"]),
                )
                for m in p["measurements"]
            ]
        elif e.kind is EventKind.RESPONSE_RECORDED:
            response = _response(p)
            responses.append(TestedResponse(e.time, placed.get(response.lead), response))
        elif e.kind is EventKind.BODY_MAP_RECORDED:
            body_map = BodyMap.from_json(p)
        elif e.kind is EventKind.PAIN_SCORE_RECORDED:
            pain.append((e.time, PainScore(p["nrs"], p["when"], p.get("vas_mm"))))
        elif e.kind is EventKind.NOTE_ADDED:
            notes.append((e.time, p["text"]))
    programs = tuple(p for p in records.program_history(patient.id) if p.session_id == session_id)
    return VisitRecord(
        patient,
        session,
        records.session_device(session_id),
        battery,
        dict(sorted(placed.items())),
        tuple(impedance),
        tuple(responses),
        body_map,
        programs,
        tuple(pain),
        tuple(notes),
        events,
    )
