"""Typed errors of the records store, so callers can tell a refusal from a fault."""

from __future__ import annotations

import sqlalchemy as sa


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


def without_values(exc: BaseException) -> str:
    """`exc` as a sentence fit for the log and the screen.

    A database error's text carries the statement's SQL, its parameters and the
    server's DETAIL lines, which quote patient data (a name, a record number):
    only the error's class and the server's first line are kept.
    """
    if isinstance(exc, sa.exc.StatementError):
        cause = exc.orig if exc.orig is not None else exc
        lines = str(cause).splitlines()
        first = f": {lines[0]}" if lines else ""
        return f"the records database failed ({type(cause).__name__}{first})"
    return str(exc)
