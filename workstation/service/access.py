"""Log-in, lock and accounts: who is at the workstation (docs/security.md, "Accounts and roles").

Every outcome is in the audit trail: log-in, failure, throttled attempt,
log-out, lock, unlock, account created, role changed, account (de)activated,
password reset. A failed attempt says the same whatever was wrong (name or
password), and after FREE_ATTEMPTS failures in a row the account waits
longer before each next attempt (workstation.accounts.throttle_until).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime, timezone

from workstation import validation
from workstation.accounts import (
    Account,
    Permission,
    Role,
    User,
    hash_password,
    password_matches,
    password_problem,
    throttle_until,
)
from workstation.service.core import ServiceCore
from workstation.service.errors import InvalidValue, ServiceError
from workstation.service.notices import UserChanged
from workstation.service.policy import NotPermitted, open_to_all, requires

log = logging.getLogger(__name__)
SETUP = "first-run set-up"  # the actor that creates the first administrator
WRONG = "The user name or the password is wrong."


class LoginRefused(ServiceError):
    """Wrong name or password, an inactive account, or too many attempts: nobody was logged in."""


class Access:
    def __init__(self, core: ServiceCore) -> None:
        self._core = core

    @property
    def user(self) -> User | None:
        return self._core.user

    @property
    def locked(self) -> bool:
        return self._core.locked

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    # -- first run ------------------------------------------------------------------------------
    @open_to_all
    def needs_first_administrator(self) -> Future[bool]:
        """True until the records hold an account: the app then asks for the first administrator."""
        return self._core.query(lambda: self._core.records.accounts.count() == 0)

    @open_to_all
    def create_first_administrator(self, username: str, full_name: str, password: str) -> Future[Account]:
        """The first account, an administrator; refused once any account exists."""
        username, full_name = _names(username, full_name)
        _check_password(password, username)
        accounts = self._core.records.accounts

        def run() -> Account:
            if accounts.count():
                raise NotPermitted("The first administrator exists already: log in.")
            return accounts.add(SETUP, username, full_name, Role.ADMINISTRATOR, hash_password(password), self._now())

        return self._core.query(run)

    # -- log-in, lock ---------------------------------------------------------------------------
    @open_to_all
    def login(self, username: str, password: str) -> Future[User]:
        core = self._core
        username = username.strip()

        def run() -> User:
            if core.session is not None or core.user is not None:
                raise NotPermitted("Someone is logged in: log out first.")
            user = self._check(username, password)
            core.user, core.locked = user, False
            core.audit("login", {"role": user.role.value})
            log.info("%s logged in (%s)", user.username, user.role.value)
            core.emit(UserChanged(user, locked=False))
            return user

        return core.query(run)

    @open_to_all
    def logout(self) -> Future[None]:
        """Log out; refused during a session (end it first: its clinician is the logged-in user)."""
        core = self._core

        def run() -> None:
            if core.session is not None:
                raise NotPermitted("End the session before logging out.")
            if core.user is not None:
                core.audit("logout", {})
            core.user, core.locked = None, False
            core.emit(UserChanged(None, locked=False))

        return core.query(run)

    @open_to_all
    def lock(self, reason: str = "inactivity") -> None:
        """Lock the screen (after inactivity, or asked): the user stays logged in, reads only."""
        core = self._core
        if core.user is None or core.locked:
            return
        core.locked = True
        core.audit("lock", {"reason": reason})
        core.emit(UserChanged(core.user, locked=True))

    @open_to_all
    def unlock(self, password: str) -> Future[User]:
        """Unlock with the logged-in user's password (failures count towards the throttle)."""
        core = self._core

        def run() -> User:
            user = core.user
            if user is None:
                raise NotPermitted("Nobody is logged in.")
            checked = self._check(user.username, password, action="unlock")
            core.locked = False
            core.audit("unlock", {})
            core.emit(UserChanged(checked, locked=False))
            return checked

        return core.query(run)

    def _check(self, username: str, password: str, action: str = "login") -> User:
        """The account's user if the password is right; a failure is audited and throttles the account."""
        core, accounts, now = self._core, self._core.records.accounts, self._now()
        account = accounts.get(username)
        if account is not None and account.locked_until is not None and account.locked_until > now:
            wait = int((account.locked_until - now).total_seconds()) + 1
            core.audit(f"{action}_throttled", {"wait_s": wait}, "refused", actor=username)
            raise LoginRefused(f"Too many failed attempts: try again in {wait} s.")
        stored = accounts.password_hash(username) if account is not None else None
        if account is None or stored is None or not account.active or not password_matches(stored, password):
            if account is not None:
                accounts.failed(username, throttle_until(account.failed_attempts + 1, now))
            why = "no such account" if account is None else ("inactive" if not account.active else "wrong password")
            core.audit(f"{action}_failed", {"why": why}, "refused", actor=username or "-")
            raise LoginRefused(WRONG)
        if account.failed_attempts:
            accounts.succeeded(username)
        return account.user

    # -- accounts (administrators) --------------------------------------------------------------
    @requires(Permission.ACCOUNTS)
    def accounts(self) -> Future[list[Account]]:
        return self._core.query(self._core.records.accounts.all)

    @requires(Permission.ACCOUNTS)
    def create_account(self, username: str, full_name: str, role: Role, password: str) -> Future[Account]:
        username, full_name = _names(username, full_name)
        role = validation.instance(Role, role, "role")
        _check_password(password, username)
        by, accounts = self._by(), self._core.records.accounts
        return self._core.query(
            lambda: accounts.add(by, username, full_name, role, hash_password(password), self._now())
        )

    @requires(Permission.ACCOUNTS)
    def set_role(self, username: str, role: Role) -> Future[Account]:
        role = validation.instance(Role, role, "role")
        self._not_self(username, "change your own role")
        accounts, by = self._core.records.accounts, self._by()
        return self._core.query(
            lambda: accounts.change(by, username, "role_changed", {"role": role.value}, role=role.value)
        )

    @requires(Permission.ACCOUNTS)
    def set_active(self, username: str, active: bool) -> Future[Account]:
        active = validation.instance(bool, active, "active")
        self._not_self(username, "deactivate your own account")
        accounts, by = self._core.records.accounts, self._by()
        return self._core.query(
            lambda: accounts.change(by, username, "account_changed", {"active": bool(active)}, active=bool(active))
        )

    @requires(Permission.ACCOUNTS)
    def reset_password(self, username: str, password: str) -> Future[Account]:
        """A new password, and the throttle lifted."""
        _check_password(password, username)
        accounts, by = self._core.records.accounts, self._by()
        values = {"password_hash": hash_password(password), "failed_attempts": 0, "locked_until": None}
        return self._core.query(lambda: accounts.change(by, username, "password_reset", {}, **values))

    def _by(self) -> str:
        user = self._core.user
        assert user is not None  # @requires let us in
        return user.username

    def _not_self(self, username: str, what: str) -> None:
        if username == self._by():
            raise NotPermitted(f"You cannot {what}: ask another administrator.")


def _names(username: str, full_name: str) -> tuple[str, str]:
    username, full_name = validation.text(username, "username"), validation.text(full_name, "full_name")
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidValue("username", username, "A user name is 1 to 64 characters without spaces.")
    if not full_name:
        raise InvalidValue("full_name", full_name, "Enter the person's full name.")
    return username, full_name


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidValue("password", "(hidden)", problem)
