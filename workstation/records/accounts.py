"""Accounts in the records database; every change is audited in the same transaction.

The password hash never leaves this module except to the service's check
(`password_hash`), and is never written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workstation.accounts import Account, Role
from workstation.records.errors import RecordNotFound, RecordsError
from workstation.records.tables import accounts

Begin = Callable[[], AbstractContextManager[sa.Connection]]
Audit = Callable[[sa.Connection, str, str, dict[str, Any], str], object]
PUBLIC = [c for c in accounts.c if c.name != "password_hash"]


class DuplicateUsername(RecordsError):
    pass


class AccountRecords:
    """The accounts table, written through the store's transactions (`begin`) and audit (`audit`)."""

    def __init__(self, engine: sa.Engine, begin: Begin, audit: Audit) -> None:
        self._engine, self._begin, self._audit = engine, begin, audit

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(accounts)) or 0)

    def all(self) -> list[Account]:
        with self._engine.connect() as conn:
            return [_account(row) for row in conn.execute(sa.select(*PUBLIC).order_by(accounts.c.username))]

    def get(self, username: str) -> Account | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*PUBLIC).where(accounts.c.username == username)).first()
        return None if row is None else _account(row)

    def password_hash(self, username: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.scalar(sa.select(accounts.c.password_hash).where(accounts.c.username == username))

    def add(self, by: str, username: str, full_name: str, role: Role, password_hash: str, now: datetime) -> Account:
        """A new active account; `by` is the administrator (or the first-run set-up) who made it."""
        values = {
            "username": username,
            "full_name": full_name,
            "role": role.value,
            "password_hash": password_hash,
            "active": True,
            "failed_attempts": 0,
            "locked_until": None,
            "created": now,
        }
        with self._begin() as conn:
            if conn.scalar(sa.select(accounts.c.id).where(accounts.c.username == username)) is not None:
                raise DuplicateUsername(f"There is already an account named {username!r}.")
            conn.execute(sa.insert(accounts).values(values))
            self._audit(conn, by, "account_created", {"username": username, "role": role.value}, "ok")
        return Account(username, full_name, role, True, 0, None)

    def change(self, by: str, username: str, action: str, detail: dict[str, Any], **values: Any) -> Account:
        """Update `values` of the account and audit `action` with `detail`, in one transaction."""
        with self._begin() as conn:
            found = conn.execute(sa.update(accounts).where(accounts.c.username == username).values(values))
            if found.rowcount != 1:
                raise RecordNotFound(f"There is no account named {username!r}.")
            self._audit(conn, by, action, {"username": username, **detail}, "ok")
        account = self.get(username)
        assert account is not None
        return account

    def failed(self, username: str, locked_until: datetime | None) -> None:
        """One more failed log-in of an existing account, with the throttle it earned (audited by the caller)."""
        with self._begin() as conn:
            conn.execute(
                sa.update(accounts)
                .where(accounts.c.username == username)
                .values(failed_attempts=accounts.c.failed_attempts + 1, locked_until=locked_until)
            )

    def succeeded(self, username: str) -> None:
        with self._begin() as conn:
            conn.execute(
                sa.update(accounts).where(accounts.c.username == username).values(failed_attempts=0, locked_until=None)
            )


def _account(row: Any) -> Account:
    return Account(row.username, row.full_name, Role(row.role), row.active, row.failed_attempts, row.locked_until)
