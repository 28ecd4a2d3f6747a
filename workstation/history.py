"""A returning patient's history, read from the records without a session or a device.

One query per kind of record (each through the patient's sessions, so its
cost is one patient's history, not the clinic's), folded here into visits and
series a clinician would rather look at than read: pain (NRS and VAS) before
and after, thresholds per lead location, coverage, programs with their
verification, and every contact's impedance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workstation.bodymap import BodyMap, Coverage, combined_coverage
from workstation.models import PainScore, PainTiming, Patient, Session, Side, SpinalLevel
from workstation.records.rows import (
    BodyMapPoint,
    ContactReading,
    NotePoint,
    PainPoint,
    SavedProgram,
    ThresholdPoint,
)


class HistoryRecords(Protocol):
    """What the history reads from the records (the RecordsStore and the service's port)."""

    def get_patient(self, patient_id: int) -> Patient: ...
    def sessions_of(self, patient_id: int) -> list[Session]: ...
    def pain_history(self, patient_id: int) -> list[PainPoint]: ...
    def note_history(self, patient_id: int) -> list[NotePoint]: ...
    def body_map_history(self, patient_id: int) -> list[BodyMapPoint]: ...
    def program_history(self, patient_id: int) -> list[SavedProgram]: ...
    def threshold_history(self, patient_id: int, level: SpinalLevel | None = None) -> list[ThresholdPoint]: ...
    def impedance_readings(self, patient_id: int) -> list[ContactReading]: ...


@dataclass(frozen=True, order=True)
class LeadLocation:
    """Where a lead sat when it was tested: "L4 left · lead 1"."""

    level: SpinalLevel
    side: Side
    lead: int

    @property
    def text(self) -> str:
        return f"{self.level.name} {self.side.value.lower()} · lead {self.lead}"


@dataclass(frozen=True)
class Visit:
    """One session as the history lists it; pain scores and body map are the last recorded of each."""

    session: Session
    pain: Mapping[PainTiming, PainScore]
    notes: tuple[str, ...]
    body_map: BodyMap | None
    programs: tuple[SavedProgram, ...]

    @property
    def coverage(self) -> Coverage | None:
        return None if self.body_map is None or not self.body_map.pain else combined_coverage(self.body_map)

    def pain_text(self, when: PainTiming) -> str:
        score = self.pain.get(when)
        return score.text if score is not None else "–"


@dataclass(frozen=True)
class PatientHistory:
    patient: Patient
    visits: tuple[Visit, ...]  # oldest first
    thresholds: Mapping[LeadLocation, tuple[ThresholdPoint, ...]]  # by location, each oldest first
    impedance: tuple[ContactReading, ...]  # oldest first

    def pain_series(self, when: PainTiming, scale: str) -> list[tuple[datetime, int]]:
        """(visit start, value) of the visits rated on `scale` ("nrs" or "vas_mm") at `when`."""
        series = []
        for visit in self.visits:
            score = visit.pain.get(when)
            value = None if score is None else getattr(score, scale)
            if value is not None:
                series.append((visit.session.started, value))
        return series

    def coverage_series(self) -> list[tuple[datetime, Coverage]]:
        return [(v.session.started, c) for v in self.visits if (c := v.coverage) is not None]

    @property
    def programs(self) -> list[SavedProgram]:
        return [p for visit in self.visits for p in visit.programs]


def load(records: HistoryRecords, patient_id: int) -> PatientHistory:
    """The patient's history; every visit, oldest first."""
    patient = records.get_patient(patient_id)
    sessions = list(reversed(records.sessions_of(patient_id)))
    pain: dict[int, dict[PainTiming, PainScore]] = {}
    for p in records.pain_history(patient_id):
        pain.setdefault(p.session_id, {})[p.score.when] = p.score  # oldest first: the last one stays
    notes: dict[int, list[str]] = {}
    for n in records.note_history(patient_id):
        notes.setdefault(n.session_id, []).append(n.note.text)
    maps = {m.session_id: m.body_map for m in records.body_map_history(patient_id)}
    programs: dict[int, list[SavedProgram]] = {}
    for saved in records.program_history(patient_id):
        programs.setdefault(saved.session_id, []).append(saved)
    thresholds: dict[LeadLocation, list[ThresholdPoint]] = {}
    for t in sorted(records.threshold_history(patient_id), key=lambda t: (t.time, t.event_id)):
        thresholds.setdefault(LeadLocation(t.level, t.side, t.response.lead), []).append(t)
    visits = tuple(
        Visit(s, pain.get(s.id, {}), tuple(notes.get(s.id, ())), maps.get(s.id), tuple(programs.get(s.id, ())))
        for s in sessions
    )
    return PatientHistory(
        patient,
        visits,
        {location: tuple(points) for location, points in sorted(thresholds.items())},
        tuple(records.impedance_readings(patient_id)),
    )
