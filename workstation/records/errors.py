"""Typed errors of the records store, so callers can tell a refusal from a fault."""

from __future__ import annotations


class RecordsError(Exception):
    """Base of every error the records store raises on purpose."""


class RecordNotFound(RecordsError, LookupError):
    """No patient, session or event has the given id."""


class DuplicateRecordNumber(RecordsError, ValueError):
    """Another patient already has this record number."""


class ClosedSessionError(RecordsError):
    """The session is closed: its records can only be amended through corrections."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        super().__init__(f"Session {session_id} is closed and cannot be changed; add a correction instead.")
