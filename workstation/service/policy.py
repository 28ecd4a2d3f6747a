"""The one check of who may call what: `@requires(permission)` on every service operation.

The permission of each role is in workstation/accounts.py (ROLE_PERMISSIONS).
A refusal raises NotPermitted before anything is queued or sent, and is
recorded in the audit trail. `open_to_all` marks the few operations that need
no login (STOP ALL above all); tests/service/test_policy.py checks that every
public operation of the service carries one of the two.

While the screen is locked the logged-in user may still read (the panels
under the lock screen stay current) but do nothing else until unlocked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from workstation.accounts import Permission
from workstation.errors import ServiceError

P = ParamSpec("P")
T = TypeVar("T")
PERMISSION = "__permission__"
READS_WHILE_LOCKED = frozenset({Permission.HISTORY, Permission.INTERROGATE})


class NotPermitted(ServiceError):
    """The logged-in user (or nobody) may not do this; nothing was done."""


S = TypeVar("S")  # a subsystem: it holds the core (`_core`), whose `authorize` decides


def requires(permission: Permission) -> Callable[[Callable[Concatenate[S, P], T]], Callable[Concatenate[S, P], T]]:
    def wrap(operation: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
        @functools.wraps(operation)
        def checked(self: S, *args: P.args, **kwargs: P.kwargs) -> T:
            core: Any = self._core  # type: ignore[attr-defined]
            core.authorize(permission, operation.__qualname__)
            return operation(self, *args, **kwargs)

        setattr(checked, PERMISSION, permission)
        return cast(Callable[Concatenate[S, P], T], checked)

    return wrap


def open_to_all(operation: Callable[P, T]) -> Callable[P, T]:
    """An operation anyone may call, logged in or not (STOP ALL, log-in, internal steps of the service)."""
    setattr(operation, PERMISSION, None)
    return operation
