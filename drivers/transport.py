"""The pyusb transport: find the device, claim its interface, move frames.

Only bytes cross here; framing is the codec's job and message semantics
the client's. Every pyusb error becomes a typed driver error.
"""

from __future__ import annotations

import errno
import logging
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import usb.core
import usb.util

from drivers import usb_ids
from drivers.capture import DEFAULT_MAX_BYTES, XFER_BULK, XFER_CONTROL, UsbCapture, status_of
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


@dataclass
class LinkStatistics:
    """What crossed this link since it was opened (the field-engineer workspace shows it)."""

    commands: int = 0  # command frames written
    replies: int = 0  # reply frames read (stale ones included)
    telemetry_frames: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    timeouts: int = 0
    stalls: int = 0
    errors: int = 0  # any other failed transfer
    reopened: int = 0  # times the device was found again after a loss


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
        self.stats = LinkStatistics()
        self.capture: UsbCapture | None = None  # set by start_capture: every transfer is recorded

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
        if self.capture is not None:
            self._capture_identity(self.capture)
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
                data_out=frame,
            )
            self.stats.commands += 1
            self.stats.bytes_out += len(frame)
            while True:
                reply = self._recovering(
                    usb_ids.EP_REPLY_IN,
                    delivered=True,
                    call=lambda: bytes(dev.read(usb_ids.EP_REPLY_IN, MAX_FRAME, timeout_ms)),
                )
                self.stats.replies += 1
                self.stats.bytes_in += len(reply)
                if expect_reply(reply):
                    return reply

    def _recovering(self, endpoint: int, delivered: bool, call, data_out: bytes = b"", quiet_timeout: bool = False):
        """Run one transfer; a stall clears its endpoint's halt at once, so the next transfer works.
        With a capture on, the transfer is recorded (a telemetry read that timed out is not: it
        is the idle poll of the stream, not traffic)."""
        capture = self.capture
        started = capture.now() if capture is not None else 0.0
        try:
            with usb_errors():
                result = call()
        except DriverError as exc:
            timeout = isinstance(exc, DeviceTimeout)
            if timeout:
                self.stats.timeouts += 0 if quiet_timeout else 1
            elif isinstance(exc, EndpointStalled):
                self.stats.stalls += 1
            else:
                self.stats.errors += 1
            if capture is not None and not (timeout and quiet_timeout):
                capture.transfer(endpoint, XFER_BULK, started, data_out, status=status_of(exc), requested=MAX_FRAME)
            if isinstance(exc, EndpointStalled):
                log.warning("endpoint 0x%02x stalled; clearing the halt", endpoint)
                self._clear_halt(endpoint)
                raise EndpointStalled(str(exc), delivered=delivered) from exc
            raise
        if capture is not None:
            if endpoint & 0x80:
                data_in = result if isinstance(result, bytes) else b""
                capture.transfer(endpoint, XFER_BULK, started, data_in=data_in, requested=MAX_FRAME)
            else:
                capture.transfer(endpoint, XFER_BULK, started, data_out)
        return result

    def read_telemetry(self, timeout_ms: int) -> bytes:
        """One telemetry frame; the read buffer is allocated once per link."""
        n = self._recovering(
            usb_ids.EP_TELEMETRY_IN,
            delivered=True,
            call=lambda: self._read_telemetry_frame(timeout_ms),
            quiet_timeout=True,
        )
        return n

    def _read_telemetry_frame(self, timeout_ms: int) -> bytes:
        n = self._dev().read(usb_ids.EP_TELEMETRY_IN, self._telemetry_buffer, timeout_ms)
        frame = memoryview(self._telemetry_buffer)[:n].tobytes()
        self.stats.telemetry_frames += 1
        self.stats.bytes_in += n
        return frame

    def stop_all(self, timeout_ms: int) -> None:
        """Vendor control request on endpoint 0: bypasses any queued bulk command."""
        request_type = usb.util.build_request_type(
            usb.util.CTRL_OUT, usb.util.CTRL_TYPE_VENDOR, usb.util.CTRL_RECIPIENT_INTERFACE
        )
        setup = struct.pack("<BBHHH", request_type, usb_ids.VENDOR_REQUEST_STOP_ALL, 0, usb_ids.INTERFACE, 0)
        capture = self.capture
        started = capture.now() if capture is not None else 0.0
        try:
            with usb_errors():
                self._dev().ctrl_transfer(
                    request_type, usb_ids.VENDOR_REQUEST_STOP_ALL, 0, usb_ids.INTERFACE, None, timeout_ms
                )
        except DriverError as exc:
            if capture is not None:
                capture.transfer(0x00, XFER_CONTROL, started, status=status_of(exc), setup=setup)
            raise
        if capture is not None:
            capture.transfer(0x00, XFER_CONTROL, started, setup=setup)

    # -- capture ---------------------------------------------------------------------------------
    def start_capture(self, max_bytes: int | None = None) -> UsbCapture:
        """Record every transfer from now on into a new ring (the previous capture is replaced).
        It starts with the device descriptor read over EP0, so Wireshark knows the VID/PID."""
        dev = self.device
        capture = UsbCapture(
            max_bytes or DEFAULT_MAX_BYTES,
            bus=int(getattr(dev, "bus", None) or 1),
            device=int(getattr(dev, "address", None) or 1),
        )
        if dev is not None:
            self._capture_identity(capture)
        self.capture = capture
        log.info("USB capture started (ring of %d bytes)", capture.max_bytes)
        return capture

    def stop_capture(self) -> UsbCapture | None:
        capture, self.capture = self.capture, None
        if capture is not None:
            capture.stop()
            log.info("USB capture stopped: %d transfers", capture.stats().transfers)
        return capture

    def _capture_identity(self, capture: UsbCapture) -> None:
        """GET_DESCRIPTOR(DEVICE) on EP0, recorded: what a usbmon capture holds from enumeration."""
        request_type = usb.util.build_request_type(
            usb.util.CTRL_IN, usb.util.CTRL_TYPE_STANDARD, usb.util.CTRL_RECIPIENT_DEVICE
        )
        setup = struct.pack("<BBHHH", request_type, 6, 0x0100, 0, 18)
        started = capture.now()
        try:
            with usb_errors():
                data = bytes(self._dev().ctrl_transfer(request_type, 6, 0x0100, 0, 18, 500))
        except DriverError as exc:
            capture.transfer(0x80, XFER_CONTROL, started, status=status_of(exc), requested=18, setup=setup, pinned=True)
            return
        capture.transfer(0x80, XFER_CONTROL, started, data_in=data, requested=18, setup=setup, pinned=True)

    def _clear_halt(self, endpoint: int) -> None:
        with usb_errors():
            self._dev().clear_halt(endpoint)
