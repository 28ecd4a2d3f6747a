"""Durable records of programming sessions: patients, devices, event log, measurements, programs."""

from workstation.records.audit import AuditReport, Finding
from workstation.records.chainkey import ChainKey
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
    "AuditReport",
    "ChainKey",
    "Finding",
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
