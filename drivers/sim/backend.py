"""A pyusb backend (usb.backend.IBackend) for simulated pulse generators.

It answers the standard descriptor requests, moves bulk bytes with a
realistic latency and hands vendor traffic to a DeviceModel, so the real
driver code (usb.core.find, set_configuration, read/write, ctrl_transfer)
runs unchanged against it. Faults are injected on demand (see UsbFaults).
Modelled on pyftdi's usbvirt backend.
"""

from __future__ import annotations

import array
import errno
import itertools
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import SimpleNamespace

import usb.backend
import usb.util
from usb.core import USBError, USBTimeoutError

from drivers import usb_ids
from drivers.sim.device import DeviceModel

_bus_addresses = itertools.count(2)

MANUFACTURER, PRODUCT, SERIAL = 1, 2, 3
LANG_EN_US = 0x0409


class Fault(Enum):
    """What can go wrong with one bulk transfer."""

    UNPLUG = "unplug"  # the device leaves the bus during this transfer (ENODEV)
    TIMEOUT = "timeout"  # the command is executed but its reply never comes
    DROP = "drop"  # the command transfer is lost: nothing executes, no reply
    CORRUPT = "corrupt"  # one byte of this transfer is damaged on the wire
    STALL = "stall"  # this transfer's endpoint halts (EPIPE) until the host clears it; EP0 keeps working


@dataclass
class UsbFaults:
    """Faults a test or a demo switches on.

    unplugged: every call fails with ENODEV and the device is off the bus.
    deny_access: opening fails with EACCES (the udev rule is missing).
    planned: transfer number -> fault; transfers (commands written and
    replies read) are counted by SimDevice.transfers, so a test plans a
    fault at any point of an exchange with SimDevice.inject.
    latency_s: time from a command transfer to its reply being readable.
    """

    unplugged: bool = False
    deny_access: bool = False
    planned: dict[int, Fault] = field(default_factory=dict)
    latency_s: float = 0.0002


def _error(code: int, text: str) -> USBError:
    return USBError(text, -1, code)


@dataclass
class SimDevice:
    """One simulated device on the bus: its model, its faults and its queues."""

    model: DeviceModel
    faults: UsbFaults = field(default_factory=UsbFaults)
    address: int = field(default_factory=lambda: next(_bus_addresses))
    vendor_id: int = usb_ids.VENDOR_ID
    product_id: int = usb_ids.PRODUCT_ID

    def __post_init__(self) -> None:
        # Watchers of the command stream, for faults at a protocol moment (ui/testing/faults.py): each is
        # called as watcher(device, frame) with every command frame written, with the device lock held and
        # before the write is counted, so `device.transfers` is this write's number and `transfers + 1` its
        # reply's. A watcher may plan faults in `device.faults.planned`; it must not block.
        self.command_watchers: list[Callable[[SimDevice, bytes], None]] = []
        self._lock = threading.Condition()
        self._commands: deque[bytes] = deque()
        self._replies: deque[tuple[float, bytes]] = deque()
        self._halted: set[int] = set()  # bulk endpoints halted by a stall; EP0 is never halted by them
        self._closed = False
        self._swallow_reply = False
        self.transfers = 0
        self._firmware = threading.Thread(target=self._run_firmware, daemon=True, name=f"sim-firmware-{self.address}")
        self._firmware.start()

    # -- the firmware's command loop: replies come after the command is handled,
    #    so a long measurement does not block the host's write.
    def _run_firmware(self) -> None:
        while True:
            with self._lock:
                while not self._commands and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                data = self._commands.popleft()
            reply = self.model.handle_command(data)
            with self._lock:
                if reply is not None:
                    self._replies.append((time.monotonic() + self.faults.latency_s, reply))
                    self._lock.notify_all()

    def inject(self, fault: Fault, after: int = 0) -> None:
        """Plan `fault` for the transfer `after` transfers from now (0: the next one)."""
        with self._lock:
            self.faults.planned[self.transfers + after] = fault

    def _next_transfer(self, endpoint: int) -> Fault | None:
        """Count one transfer and apply its planned fault, if any, that fails it outright."""
        fault = self.faults.planned.pop(self.transfers, None)
        self.transfers += 1
        if fault is Fault.UNPLUG:
            self._unplug_locked()
        elif fault is Fault.STALL:
            self._halted.add(endpoint)
        self.check(endpoint)
        return fault

    @staticmethod
    def _corrupt(data: bytes) -> bytes:
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x5A
        return bytes(flipped)

    def check(self, endpoint: int | None = None) -> None:
        """Fail a transfer as the bus would: every endpoint when unplugged, a halted one with EPIPE."""
        if self.faults.unplugged:
            raise _error(errno.ENODEV, "No such device (it may have been disconnected)")
        if endpoint in self._halted:
            raise _error(errno.EPIPE, "Pipe error (endpoint halted)")

    def clear_halt(self, endpoint: int) -> None:
        with self._lock:
            self._halted.discard(endpoint)

    def write_command(self, data: bytes) -> int:
        with self._lock:
            self.check(usb_ids.EP_COMMAND_OUT)
            for watcher in list(self.command_watchers):
                watcher(self, data)
            fault = self._next_transfer(usb_ids.EP_COMMAND_OUT)
            if fault is Fault.TIMEOUT:
                self._swallow_reply = True
            if fault is not Fault.DROP:
                self._commands.append(self._corrupt(data) if fault is Fault.CORRUPT else bytes(data))
                self._lock.notify_all()
        self.model.poll()
        return len(data)

    def read_reply(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                self.check(usb_ids.EP_REPLY_IN)
                now = time.monotonic()
                if self._replies and self._replies[0][0] <= now:
                    reply = self._replies.popleft()[1]
                    if self._swallow_reply:
                        self._swallow_reply = False
                        continue
                    return self._corrupt(reply) if self._next_transfer(usb_ids.EP_REPLY_IN) is Fault.CORRUPT else reply
                wake = self._replies[0][0] if self._replies else deadline
                if now >= deadline:
                    raise USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
                self._lock.wait(max(0.0, min(wake, deadline) - now))

    def read_telemetry(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                self.check(usb_ids.EP_TELEMETRY_IN)
            frame = self.model.next_telemetry_frame()
            if frame is not None:
                return frame
            now = time.monotonic()
            if now >= deadline:
                raise USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
            time.sleep(max(0.0002, min(self.model.telemetry_due_in(), deadline - now, 0.05)))

    def reset(self) -> None:
        with self._lock:
            self._commands.clear()
            self._replies.clear()
            self._halted.clear()
        self.model.reset_link()

    def unplug(self) -> None:
        with self._lock:
            self._unplug_locked()

    def _unplug_locked(self) -> None:
        self.faults.unplugged = True
        self._replies.clear()
        self._commands.clear()
        self._lock.notify_all()

    def replug(self) -> None:
        with self._lock:
            self.faults.unplugged = False
            self._halted.clear()
        self.model.reset_link()

    def shutdown(self) -> None:
        """Stop the firmware thread (end of a test or of the app)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._firmware.join(timeout=2)

    # -- descriptors
    def strings(self) -> dict[int, str]:
        ident = self.model.identity
        return {
            MANUFACTURER: "Open DRG Project",
            PRODUCT: f"{ident.model} pulse generator (simulated)",
            SERIAL: ident.serial,
        }


def _device_descriptor(dev: SimDevice) -> SimpleNamespace:
    return SimpleNamespace(
        bLength=18,
        bDescriptorType=usb.util.DESC_TYPE_DEVICE,
        bcdUSB=0x0200,
        bDeviceClass=0,
        bDeviceSubClass=0,
        bDeviceProtocol=0,
        bMaxPacketSize0=64,
        idVendor=dev.vendor_id,
        idProduct=dev.product_id,
        bcdDevice=0x0100,
        iManufacturer=MANUFACTURER,
        iProduct=PRODUCT,
        iSerialNumber=SERIAL,
        bNumConfigurations=1,
        address=dev.address,
        bus=1,
        port_number=dev.address,
        port_numbers=(dev.address,),
        speed=usb.util.SPEED_HIGH,
    )


def _config_descriptor() -> SimpleNamespace:
    return SimpleNamespace(
        bLength=9,
        bDescriptorType=usb.util.DESC_TYPE_CONFIG,
        wTotalLength=9 + 9 + 3 * 7,
        bNumInterfaces=1,
        bConfigurationValue=1,
        iConfiguration=0,
        bmAttributes=0x80,
        bMaxPower=50,
        extra_descriptors=[],
    )


def _interface_descriptor() -> SimpleNamespace:
    return SimpleNamespace(
        bLength=9,
        bDescriptorType=usb.util.DESC_TYPE_INTERFACE,
        bInterfaceNumber=usb_ids.INTERFACE,
        bAlternateSetting=0,
        bNumEndpoints=3,
        bInterfaceClass=0xFF,
        bInterfaceSubClass=0,
        bInterfaceProtocol=0,
        iInterface=0,
        extra_descriptors=[],
    )


_ENDPOINTS = (usb_ids.EP_COMMAND_OUT, usb_ids.EP_REPLY_IN, usb_ids.EP_TELEMETRY_IN)


def _endpoint_descriptor(index: int) -> SimpleNamespace:
    return SimpleNamespace(
        bLength=7,
        bDescriptorType=usb.util.DESC_TYPE_ENDPOINT,
        bEndpointAddress=_ENDPOINTS[index],
        bmAttributes=usb.util.ENDPOINT_TYPE_BULK,
        wMaxPacketSize=usb_ids.BULK_PACKET,
        bInterval=0,
        bRefresh=0,
        bSynchAddress=0,
        extra_descriptors=[],
    )


class SimBackend(usb.backend.IBackend):
    """The bus: devices are plugged in and out; pyusb sees them as real."""

    def __init__(self) -> None:
        self.devices: list[SimDevice] = []

    def plug(self, model: DeviceModel, faults: UsbFaults | None = None) -> SimDevice:
        device = SimDevice(model, faults or UsbFaults())
        self.devices.append(device)
        return device

    def shutdown(self) -> None:
        for device in self.devices:
            device.shutdown()

    # -- enumeration and descriptors
    def enumerate_devices(self):
        return [d for d in self.devices if not d.faults.unplugged]

    def get_device_descriptor(self, dev):
        return _device_descriptor(dev)

    def get_configuration_descriptor(self, dev, config):
        if config != 0:
            raise _error(errno.ENOENT, "no such configuration")
        return _config_descriptor()

    def get_interface_descriptor(self, dev, intf, alt, config):
        if (intf, alt, config) != (0, 0, 0):
            raise _error(errno.ENOENT, "no such interface")
        return _interface_descriptor()

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        if not 0 <= ep < len(_ENDPOINTS) or (intf, alt, config) != (0, 0, 0):
            raise _error(errno.ENOENT, "no such endpoint")
        return _endpoint_descriptor(ep)

    # -- handles and configuration
    def open_device(self, dev):
        if dev.faults.deny_access:
            raise _error(errno.EACCES, "Access denied (insufficient permissions)")
        dev.check()
        return dev

    def close_device(self, dev_handle):
        pass

    def set_configuration(self, dev_handle, config_value):
        dev_handle.check()
        dev_handle.reset()

    def get_configuration(self, dev_handle):
        dev_handle.check()
        return 1

    def set_interface_altsetting(self, dev_handle, intf, altsetting):
        dev_handle.check()

    def claim_interface(self, dev_handle, intf):
        dev_handle.check()

    def release_interface(self, dev_handle, intf):
        pass

    def is_kernel_driver_active(self, dev_handle, intf):
        return False

    def detach_kernel_driver(self, dev_handle, intf):
        pass

    def attach_kernel_driver(self, dev_handle, intf):
        pass

    def clear_halt(self, dev_handle, ep):
        dev_handle.check()
        dev_handle.clear_halt(ep)

    def reset_device(self, dev_handle):
        dev_handle.check()
        dev_handle.reset()

    # -- transfers
    def bulk_write(self, dev_handle, ep, intf, data, timeout):
        if ep != usb_ids.EP_COMMAND_OUT:
            raise _error(errno.EINVAL, f"endpoint 0x{ep:02x} is not OUT")
        return dev_handle.write_command(bytes(data))

    def bulk_read(self, dev_handle, ep, intf, buff, timeout):
        timeout_s = (timeout or 1000) / 1000
        if ep == usb_ids.EP_REPLY_IN:
            data = dev_handle.read_reply(timeout_s)
        elif ep == usb_ids.EP_TELEMETRY_IN:
            data = dev_handle.read_telemetry(timeout_s)
        else:
            raise _error(errno.EINVAL, f"endpoint 0x{ep:02x} is not IN")
        if len(data) > len(buff) * buff.itemsize:
            raise _error(errno.EOVERFLOW, "Overflow")
        buff[: len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(self, dev_handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        dev_handle.check()
        kind = bmRequestType & (3 << 5)
        if kind == usb.util.CTRL_TYPE_VENDOR and bRequest == usb_ids.VENDOR_REQUEST_STOP_ALL:
            dev_handle.model.stop_all_now()
            return 0
        if kind == usb.util.CTRL_TYPE_STANDARD and bRequest == 0x06:  # GET_DESCRIPTOR
            reply = self._descriptor(dev_handle, wValue >> 8, wValue & 0xFF)
            n = min(len(reply), len(data))
            data[:n] = array.array("B", reply[:n])
            return n
        raise _error(errno.EPIPE, "Pipe error (request not supported)")

    @staticmethod
    def _descriptor(dev: SimDevice, kind: int, index: int) -> bytes:
        if kind == usb.util.DESC_TYPE_STRING:
            if index == 0:
                return struct.pack("<BBH", 4, usb.util.DESC_TYPE_STRING, LANG_EN_US)
            text = dev.strings().get(index)
            if text is None:
                raise _error(errno.EPIPE, "Pipe error (no such string)")
            raw = text.encode("utf-16-le")
            return bytes([2 + len(raw), usb.util.DESC_TYPE_STRING]) + raw
        if kind == usb.util.DESC_TYPE_DEVICE:
            d = _device_descriptor(dev)
            return struct.pack(
                "<BBHBBBBHHHBBBB",
                18,
                1,
                d.bcdUSB,
                0,
                0,
                0,
                64,
                d.idVendor,
                d.idProduct,
                d.bcdDevice,
                MANUFACTURER,
                PRODUCT,
                SERIAL,
                1,
            )
        raise _error(errno.EPIPE, "Pipe error (descriptor not supported)")
