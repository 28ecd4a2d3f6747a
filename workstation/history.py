"""A returning patient's history, read from the records without a session or a device.

One query per kind of record (each through the patient's sessions, so its
cost is one patient's history, not the clinic's), folded here into visits and
series a clinician would rather look at than read: pain (NRS and VAS) before
and after, thresholds per lead location, coverage, programs with their
verification, and every contact pair's impedance where its lead sat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workstation.bodymap import BodyMap, Coverage, combined_coverage
from workstation.models import LeadPlacement, PainScore, PainTiming, Patient, Session, Side, SpinalLevel
from workstation.records.rows import (
    BodyMapPoint,
    ContactReading,
    NotePoint,
    PainPoint,
    PlacementPoint,
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
    def placement_history(self, patient_id: int) -> list[PlacementPoint]: ...


@dataclass(frozen=True, order=True)
class LeadLocation:
    """Where a lead sat when it was tested: "L4 left · lead 1"."""

    level: SpinalLevel
    side: Side
    lead: int

    @property
    def text(self) -> str:
        return f"{self.level.name} {self.side.value.lower()} · lead {self.lead}"

    @classmethod
    def of(cls, placement: LeadPlacement) -> LeadLocation:
        return cls(placement.level, placement.side, placement.channel)


@dataclass(frozen=True)
class ContactPair:
    """A lead's contact pair where the lead sat when it was measured: a lead placed again (moved)
    is another pair; `location` None: no placement was recorded for the lead then."""

    lead: int
    contact_a: int
    contact_b: int  # 0: the case
    location: LeadLocation | None

    @property
    def text(self) -> str:
        """'L4 left · lead 1 · 1-2'; 'lead 1 (not placed) · 1-2' for a reading before any placement."""
        where = self.location.text if self.location is not None else f"lead {self.lead} (not placed)"
        return f"{where} · {self.contact_a}-{self.contact_b or 'case'}"


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
    impedance: Mapping[ContactPair, tuple[ContactReading, ...]]  # by lead and pair, each oldest first

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
        _impedance_by_pair(records.impedance_readings(patient_id), records.placement_history(patient_id)),
    )


def _impedance_by_pair(
    readings: list[ContactReading], placements: list[PlacementPoint]
) -> dict[ContactPair, tuple[ContactReading, ...]]:
    """Each reading under the placement in force when it was recorded (as a response is filed):
    the last one recorded before it for its lead, in the order of the records."""
    placed: dict[int, LeadLocation] = {}
    pairs: dict[ContactPair, list[ContactReading]] = {}
    records: list[ContactReading | PlacementPoint] = [*readings, *placements]
    for record in sorted(records, key=lambda r: r.event_id):
        if isinstance(record, PlacementPoint):
            placed[record.placement.channel] = LeadLocation.of(record.placement)
        else:
            pair = ContactPair(record.lead, record.contact_a, record.contact_b, placed.get(record.lead))
            pairs.setdefault(pair, []).append(record)
    return {
        pair: tuple(points)
        for pair, points in sorted(
            pairs.items(), key=lambda item: (item[0].lead, item[0].contact_a, item[0].contact_b, item[0].text)
        )
    }
