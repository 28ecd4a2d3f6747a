"""Service calls a test makes on the clinician's behalf, confirmations included.

A rise of more than one large increment, or above the charge-density
warning cap, raises ConfirmationRequired until the clinician confirms it.
A test that only sets the scene confirms as the clinician would (the
confirmation is recorded like theirs): `confirmed(lambda: service.outputs.set_amplitude(1, 1500))`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from workstation.service import ConfirmationRequired, ProgrammingService


def confirmed(service: ProgrammingService, call: Callable[[], Future]) -> Future:
    """Run `call`, confirming each confirmation it asks for (at most one of each kind)."""
    for _ in range(3):
        try:
            return call()
        except ConfirmationRequired as request:
            service.outputs.confirm(request)
    return call()


def raise_amplitude(service: ProgrammingService, lead: int, amplitude_ua: int, timeout_s: float = 10) -> None:
    """Ramp a lead to `amplitude_ua` with every confirmation given, and wait until it is there."""
    confirmed(service, lambda: service.outputs.set_amplitude(lead, amplitude_ua)).result(timeout_s)
