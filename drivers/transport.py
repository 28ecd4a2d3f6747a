"""The pyusb transport: find the device, claim its interface, move frames.

Only bytes cross here; framing is the codec's job and message semantics
the client's. Every pyusb error becomes a typed driver error.
"""

from __future__ import annotations

import errno
import logging
import threading
from contextlib import contextmanager

import usb.core
import usb.util

from drivers import usb_ids
from drivers.errors import DeviceGone, DeviceNotFound, DeviceTimeout, DriverError, EndpointStalled, PermissionDenied
from drivers.protocol.frame import MAX_FRAME

log = logging.getLogger(__name__)
_GONE = {errno.ENODEV, errno.ENOENT, errno.ESHUTDOWN}


def map_usb_error(exc: usb.core.USBError) -> DriverError:
    """Translate a pyusb error into the driver's typed error."""
    if isinstance(exc, usb.core.USBTimeoutError) or exc.errno == errno.ETIMEDOUT:
        return DeviceTimeout(str(exc))
    if exc.errno in _GONE:
        return DeviceGone(str(exc))
    if exc.errno == errno.EACCES:
        return PermissionDenied(str(exc))
    if exc.errno == errno.EPIPE:
        return EndpointStalled(str(exc))
    return DriverError(f"USB error: {exc}")


@contextmanager
def usb_errors():
    try:
        yield
    except usb.core.USBError as exc:
        raise map_usb_error(exc) from exc
    except NotImplementedError as exc:  # pyusb's answer when a backend lacks an operation
        raise DriverError(f"USB backend cannot do this: {exc}") from exc


class UsbTransport:
    """One claimed pulse generator. Thread-safe per endpoint: one thread may
    run commands while another reads telemetry and a third sends STOP ALL."""

    def __init__(
        self,
        backend=None,
        vendor_id: int = usb_ids.VENDOR_ID,
        product_id: int = usb_ids.PRODUCT_ID,
        serial: str | None = None,
    ) -> None:
        self.backend = backend
        self.vendor_id, self.product_id, self.serial = vendor_id, product_id, serial
        self.device: usb.core.Device | None = None
        self._command_lock = threading.Lock()
        self._telemetry_buffer = usb.util.create_buffer(MAX_FRAME)

    def open(self) -> None:
        with usb_errors():
            found = usb.core.find(
                find_all=True, idVendor=self.vendor_id, idProduct=self.product_id, backend=self.backend
            )
            for dev in found:
                if self.serial is None or usb.util.get_string(dev, dev.iSerialNumber) == self.serial:
                    break
            else:
                wanted = f" with serial {self.serial}" if self.serial else ""
                raise DeviceNotFound(f"No pulse generator {self.vendor_id:04x}:{self.product_id:04x}{wanted} on USB.")
            dev.set_configuration()
            usb.util.claim_interface(dev, usb_ids.INTERFACE)
        self.device = dev
        log.info(
            "opened USB device %04x:%04x%s on bus %s address %s",
            self.vendor_id,
            self.product_id,
            f" serial {self.serial}" if self.serial else "",
            getattr(dev, "bus", "?"),
            getattr(dev, "address", "?"),
        )

    def close(self) -> None:
        if self.device is None:
            return
        try:
            usb.util.release_interface(self.device, usb_ids.INTERFACE)
            usb.util.dispose_resources(self.device)
        except usb.core.USBError:
            pass  # the device is already gone: nothing left to release
        self.device = None
        log.info("closed USB device %04x:%04x", self.vendor_id, self.product_id)

    def _dev(self) -> usb.core.Device:
        if self.device is None:
            raise DeviceGone("The link is closed.")
        return self.device

    def serial_number(self) -> str:
        with usb_errors():
            return usb.util.get_string(self._dev(), self._dev().iSerialNumber)

    def exchange(self, frame: bytes, timeout_ms: int, expect_reply) -> bytes:
        """Write one command frame and read replies until `expect_reply(bytes)` accepts one.

        Replies that `expect_reply` rejects (stale answers to an earlier,
        timed-out request) are discarded.
        """
        dev = self._dev()
        with self._command_lock:
            self._recovering(
                usb_ids.EP_COMMAND_OUT,
                delivered=False,
                call=lambda: dev.write(usb_ids.EP_COMMAND_OUT, frame, timeout_ms),
            )
            while True:
                reply = self._recovering(
                    usb_ids.EP_REPLY_IN,
                    delivered=True,
                    call=lambda: bytes(dev.read(usb_ids.EP_REPLY_IN, MAX_FRAME, timeout_ms)),
                )
                if expect_reply(reply):
                    return reply

    def _recovering(self, endpoint: int, delivered: bool, call):
        """Run one transfer; a stall clears its endpoint's halt at once, so the next transfer works."""
        try:
            with usb_errors():
                return call()
        except EndpointStalled as exc:
            log.warning("endpoint 0x%02x stalled; clearing the halt", endpoint)
            self._clear_halt(endpoint)
            raise EndpointStalled(str(exc), delivered=delivered) from exc

    def read_telemetry(self, timeout_ms: int) -> bytes:
        """One telemetry frame; the read buffer is allocated once per link."""
        n = self._recovering(
            usb_ids.EP_TELEMETRY_IN,
            delivered=True,
            call=lambda: self._dev().read(usb_ids.EP_TELEMETRY_IN, self._telemetry_buffer, timeout_ms),
        )
        return memoryview(self._telemetry_buffer)[:n].tobytes()

    def stop_all(self, timeout_ms: int) -> None:
        """Vendor control request on endpoint 0: bypasses any queued bulk command."""
        request_type = usb.util.build_request_type(
            usb.util.CTRL_OUT, usb.util.CTRL_TYPE_VENDOR, usb.util.CTRL_RECIPIENT_INTERFACE
        )
        with usb_errors():
            self._dev().ctrl_transfer(
                request_type, usb_ids.VENDOR_REQUEST_STOP_ALL, 0, usb_ids.INTERFACE, None, timeout_ms
            )

    def _clear_halt(self, endpoint: int) -> None:
        with usb_errors():
            self._dev().clear_halt(endpoint)
