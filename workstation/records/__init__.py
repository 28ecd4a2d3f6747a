"""Durable records of programming sessions: patients, devices, event log, measurements, programs."""

from workstation.records.errors import (
    ClosedSessionError,
    DuplicateRecordNumber,
    RecordNotFound,
    RecordsError,
)
from workstation.records.rows import (
    ContactReading,
    ImpedancePoint,
    SavedProgram,
    SessionEvent,
    ThresholdPoint,
)
from workstation.records.store import RecordsStore

__all__ = [
    "ClosedSessionError",
    "ContactReading",
    "DuplicateRecordNumber",
    "ImpedancePoint",
    "RecordNotFound",
    "RecordsError",
    "RecordsStore",
    "SavedProgram",
    "SessionEvent",
    "ThresholdPoint",
]
