"""What the service raises: every failure a caller sees is a ServiceError, so the
UI never needs the drivers' exceptions (they stay reachable as __cause__)."""

from __future__ import annotations

from enum import Enum

from drivers.errors import DeviceGone, DeviceRefused, DriverError
from drivers.types import LeadConfig
from workstation import safety
from workstation.errors import ServiceError
from workstation.validation import InvalidValue

__all__ = [
    "CancelledByStopAll",
    "Confirm",
    "ConfirmationRequired",
    "DeviceDeclined",
    "DeviceError",
    "InvalidValue",
    "LinkLost",
    "NoActiveSession",
    "NotConnected",
    "NotPairedError",
    "SafetyRefused",
    "ServiceError",
    "service_error",
]


class NotConnected(ServiceError):
    pass


class NotPairedError(ServiceError):
    """The device is open but not paired with this workstation: only STOP ALL reaches it."""


class NoActiveSession(ServiceError):
    def __init__(self) -> None:
        super().__init__("Start or resume a session first: every change to the output is recorded.")


class CancelledByStopAll(ServiceError):
    def __init__(self, action: str) -> None:
        super().__init__(f"{action} was cancelled: STOP ALL was pressed after it was requested.")


class SafetyRefused(ServiceError):
    def __init__(self, assessment: safety.Assessment) -> None:
        self.assessment = assessment
        super().__init__(" ".join(c.message for c in assessment.refusals))


class DeviceError(ServiceError):
    """The device or its link failed the command."""


class DeviceDeclined(DeviceError):
    """The device refused the command; `detail` is its own sentence, when it gave one."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(message)


class LinkLost(DeviceError):
    """The device went away mid-command: the service is reconnecting."""


class Confirm(str, Enum):
    """What a clinician must confirm before a setting is sent."""

    CHARGE_DENSITY = "charge_density"  # above the 30 µC/cm² warning cap
    LARGE_RISE = "large_rise"  # a target more than one large increment above the present amplitude


class ConfirmationRequired(ServiceError):
    """The setting is allowed only after the clinician confirms it.

    It carries what it refused (`config`, the proposed lead settings) so the
    UI can ask and hand it back with `service.outputs.confirm(exc)`.
    """

    def __init__(
        self,
        kind: Confirm,
        config: LeadConfig,
        message: str,
        assessment: safety.Assessment | None = None,
        ramp_s: float | None = None,
    ) -> None:
        self.kind, self.config, self.assessment, self.ramp_s = kind, config, assessment, ramp_s
        super().__init__(message)


def service_error(exc: BaseException) -> BaseException:
    """A driver error as the service error a caller sees (others unchanged)."""
    if isinstance(exc, DeviceRefused):
        # the device's sentence; its status code stays in the driver's log, off the clinician's screen
        said = exc.detail or exc.status.name.replace("_", " ").capitalize()
        translated: ServiceError = DeviceDeclined(said, exc.detail)
    elif isinstance(exc, DeviceGone):
        translated = LinkLost(str(exc))
    elif isinstance(exc, DriverError):
        translated = DeviceError(str(exc))
    else:
        return exc
    translated.__cause__ = exc
    return translated
