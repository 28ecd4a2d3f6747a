"""What the records store hands back: events and the history points of its queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from drivers.types import ImpedanceMode, Program
from workstation.models import ImpedanceClass, Side, SpinalLevel, StimulusResponse


class EventKind(str, Enum):
    """Kinds of the events the store writes itself; callers log their own kinds freely."""

    SESSION_OPENED = "session_opened"
    SESSION_RESUMED = "session_resumed"
    SESSION_CLOSED = "session_closed"
    IMPEDANCE_RECORDED = "impedance_recorded"
    PLACEMENT_RECORDED = "placement_recorded"
    RESPONSE_RECORDED = "response_recorded"
    PAIN_SCORE_RECORDED = "pain_score_recorded"
    NOTE_ADDED = "note_added"
    PROGRAM_SAVED = "program_saved"
    CORRECTION = "correction"


@dataclass(frozen=True)
class SessionEvent:
    """One entry of a session's append-only log; `seq` counts from 1 within the session."""

    id: int
    session_id: int
    seq: int
    time: datetime
    kind: str
    payload: dict[str, Any]
    outcome: str
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
class SavedProgram:
    event_id: int
    session_id: int
    time: datetime
    program: Program
    written: bool
    verified: bool
    mismatch: str | None


@dataclass(frozen=True)
class ThresholdPoint:
    """A stimulus response with where its lead sat when it was recorded."""

    event_id: int
    session_id: int
    time: datetime
    level: SpinalLevel
    side: Side
    response: StimulusResponse
