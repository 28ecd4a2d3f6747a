"""Who may do what: roles, their permissions, passwords and the throttle after failed log-ins (Qt-free).

The role table is the one place a permission is granted (docs/security.md,
"Roles"); the service checks it before every operation
(workstation/service/policy.py). STOP ALL needs no permission: it works
logged out, locked and in every state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD = 8
FREE_ATTEMPTS = 3  # failed log-ins allowed before the throttle starts
FIRST_DELAY_S = 5  # then 5 s, 10 s, 20 s ... between attempts
MAX_DELAY_S = 15 * 60
IDLE_LOCK_S = 5 * 60  # the screen locks after this long without input


class Role(str, Enum):
    CLINICIAN = "clinician"
    FIELD_ENGINEER = "field_engineer"
    READ_ONLY = "read_only"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Permission(str, Enum):
    CONNECT = "connect"  # find, open and close a link; telemetry
    INTERROGATE = "interrogate"  # read the device: identity, settings, battery, device information
    MEASURE = "measure"  # impedance
    PROGRAM = "program"  # change therapy: outputs, amplitudes, contacts, program writes and applies
    RECORD = "record"  # patients, sessions and the clinical records of a session
    SERVICE = "service"  # the field engineer's tools: device log, self-test, lead diagnosis, USB capture
    HISTORY = "history"  # read patients, sessions and their history
    EXPORT = "export"  # exports and reports of patient data
    ACCOUNTS = "accounts"  # create accounts, change roles, deactivate, reset passwords


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # a clinician also runs the field engineer's tools (a device log or a self-test during a visit)
    Role.CLINICIAN: frozenset(
        {P.CONNECT, P.INTERROGATE, P.MEASURE, P.SERVICE, P.PROGRAM, P.RECORD, P.HISTORY, P.EXPORT}
    ),
    Role.FIELD_ENGINEER: frozenset({P.CONNECT, P.INTERROGATE, P.MEASURE, P.SERVICE, P.EXPORT}),
    Role.READ_ONLY: frozenset({P.HISTORY, P.EXPORT}),
    Role.ADMINISTRATOR: frozenset({P.ACCOUNTS}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True)
class User:
    """A logged-in account: the actor of every audit entry and the clinician of the sessions it starts."""

    username: str
    full_name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return allowed(self.role, permission)


@dataclass(frozen=True)
class Account:
    """An account as stored (without its password hash)."""

    username: str
    full_name: str
    role: Role
    active: bool
    failed_attempts: int
    locked_until: datetime | None

    @property
    def user(self) -> User:
        return User(self.username, self.full_name, self.role)


_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str) -> str | None:
    """Why this password may not be used, or None."""
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    if password.strip().lower() == username.strip().lower():
        return "The password may not be the user name."
    return None


def throttle_until(failed_attempts: int, now: datetime) -> datetime | None:
    """When the next log-in may be tried after `failed_attempts` failures in a row (None: at once)."""
    if failed_attempts < FREE_ATTEMPTS:
        return None
    delay = min(FIRST_DELAY_S * 2 ** (failed_attempts - FREE_ATTEMPTS), MAX_DELAY_S)
    return now + timedelta(seconds=delay)
