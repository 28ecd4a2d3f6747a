"""Typed driver errors: every failure the host can see maps to one of these."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drivers.protocol.status import Status


class DriverError(Exception):
    """Base of every error the driver layer raises."""


class ProtocolError(DriverError):
    """Bytes that are not a valid frame or payload (bad magic, CRC, length...)."""


class DeviceNotFound(DriverError):
    """No device matched the link's VID/PID/serial."""


class DeviceGone(DriverError):
    """The device went away (unplugged, ENODEV)."""


class DeviceTimeout(DriverError):
    """The device did not answer in time."""


class EndpointStalled(DriverError):
    """A bulk endpoint halted (EPIPE). The transport has already cleared the halt.

    `delivered` is False when the command itself was refused on the wire
    (the device never saw it, so sending it again is safe), True when the
    stall came while reading its reply (it may have run).
    """

    def __init__(self, message: str = "", delivered: bool = True) -> None:
        super().__init__(message or "A USB endpoint stalled; the halt was cleared.")
        self.delivered = delivered


class PermissionDenied(DriverError):
    """The OS refused access to the USB device (EACCES)."""

    def __init__(self, message: str = "") -> None:
        hint = (
            "No permission to open the pulse generator. On Linux install the udev "
            "rule: sudo cp resources/99-drg-workstation.rules /etc/udev/rules.d/ && "
            "sudo udevadm control --reload && sudo udevadm trigger, then replug."
        )
        super().__init__(f"{message} {hint}".strip())


class DeviceRefused(DriverError):
    """The device answered with a non-OK status; `status` says why."""

    def __init__(self, status: Status, detail: str = "") -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"{status.name}: {detail}" if detail else status.name)


class NotPaired(DriverError):
    """This host holds no key the device accepts: pairing (confirmed on the device) comes first."""


class AuthenticationFailed(DriverError):
    """The link could not be authenticated: the device is too old, or failed to prove its key."""


class PairingCancelled(DriverError):
    """The user stopped waiting for the confirmation on the device."""
