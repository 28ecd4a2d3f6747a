"""What the records store hands back: events and the history points of its queries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from drivers.types import ImpedanceMode, Program
from workstation.bodymap import BodyMap
from workstation.events import EventKind, Outcome
from workstation.models import ImpedanceClass, LeadPlacement, Note, PainScore, Side, SpinalLevel, StimulusResponse


@dataclass(frozen=True)
class SessionEvent:
    """One entry of a session's append-only log; `seq` counts from 1 within the session."""

    id: int
    session_id: int
    seq: int
    time: datetime
    kind: EventKind
    payload: dict[str, Any]
    outcome: Outcome
    references_event_id: int | None


@dataclass(frozen=True)
class ImpedancePoint:
    event_id: int
    session_id: int
    time: datetime
    mode: ImpedanceMode
    ohms: int
    impedance_class: ImpedanceClass


@dataclass(frozen=True)
class ContactReading:
    """One recorded impedance reading with the device it was measured on: a contact's history
    across visits and generators, read without a session (the field-engineer workspace)."""

    event_id: int
    session_id: int
    time: datetime
    device_model: str
    device_serial: str
    mode: ImpedanceMode
    lead: int
    contact_a: int
    contact_b: int
    ohms: int
    impedance_class: ImpedanceClass


@dataclass(frozen=True)
class SavedProgram:
    """A saved program; `written`/`verified` None: the write's outcome is unknown (reply lost)."""

    event_id: int
    session_id: int
    time: datetime
    program: Program
    written: bool | None
    verified: bool | None
    mismatch: str | None
    corrected: bool = False  # settled by a later correction event

    def settled(self, corrected: dict[str, Any]) -> SavedProgram:
        """As a correction (its `corrected` values) settled it; other corrections leave it as it was."""
        keys = ("written", "verified", "mismatch")
        if not any(k in corrected for k in keys):
            return self
        return replace(self, corrected=True, **{k: corrected[k] for k in keys if k in corrected})


@dataclass(frozen=True)
class ThresholdPoint:
    """A stimulus response with where its lead sat when it was recorded."""

    event_id: int
    session_id: int
    time: datetime
    level: SpinalLevel
    side: Side
    response: StimulusResponse


@dataclass(frozen=True)
class PlacementPoint:
    event_id: int
    session_id: int
    time: datetime
    placement: LeadPlacement


@dataclass(frozen=True)
class PainPoint:
    event_id: int
    session_id: int
    time: datetime
    score: PainScore


@dataclass(frozen=True)
class NotePoint:
    event_id: int
    session_id: int
    time: datetime
    note: Note


@dataclass(frozen=True)
class BodyMapPoint:
    event_id: int
    session_id: int
    time: datetime
    body_map: BodyMap
