"""Links chosen by URI, as cflib does: `sim://0?open=2.3` or `usb://SERIAL`.

A registry maps each scheme to a factory, so a new interface (a network
bridge, a recorded session) is one `register_scheme` call away. The link's
client keeps its pairing keys in `keys` (a MemoryKeyStore unless given).
On a simulator, `pair=1` pairs at once after opening, the simulated
clinician confirming on the device (tests and benchmarks of the driver).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import usb.core
import usb.util

from drivers import usb_ids
from drivers.client import PulseGenerator
from drivers.keystore import KeyStore
from drivers.transport import UsbTransport


@dataclass
class Link:
    uri: str
    transport: UsbTransport
    client: PulseGenerator
    simulator: object | None = None  # the SimDevice behind a sim:// link (tests, demos)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def is_simulated(self) -> bool:
        return self.simulator is not None

    def close(self) -> None:
        self.transport.close()
        for cleanup in self._cleanup:
            cleanup()
        self._cleanup.clear()

    def reopen(self) -> None:
        """Find the device again after it was unplugged (same VID/PID/serial)."""
        self.transport.close()
        self.transport.open()
        self.transport.stats.reopened += 1


Factory = Callable[[str, str, dict[str, str], "KeyStore | None"], Link]
_SCHEMES: dict[str, Factory] = {}


def register_scheme(scheme: str, factory: Factory) -> None:
    _SCHEMES[scheme] = factory


def open_link(uri: str = "sim://0", keys: KeyStore | None = None) -> Link:
    """Open (find, configure, claim) the device named by `uri`; its client keeps link keys in `keys`."""
    parts = urlsplit(uri)
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"Unknown link '{uri}': use one of {', '.join(s + '://' for s in _SCHEMES)}")
    options = dict(parse_qsl(parts.query))
    return _SCHEMES[parts.scheme](uri, parts.netloc + parts.path, options, keys)


def _ids(options: dict[str, str]) -> dict[str, int]:
    return {
        "vendor_id": int(options.pop("vid", str(usb_ids.VENDOR_ID)), 0),
        "product_id": int(options.pop("pid", str(usb_ids.PRODUCT_ID)), 0),
    }


def _open_usb(uri: str, target: str, options: dict[str, str], keys: KeyStore | None) -> Link:
    import libusb_package

    serial = target or None
    if serial and serial.isdigit() and len(serial) < 3:
        serial = None  # usb://0 means the first device
    transport = UsbTransport(libusb_package.get_libusb1_backend(), serial=serial, **_ids(options))
    transport.open()
    return Link(uri, transport, PulseGenerator(transport, keys))


def _open_sim(uri: str, target: str, options: dict[str, str], keys: KeyStore | None) -> Link:
    from drivers.sim.backend import SimBackend, UsbFaults
    from drivers.sim.device import DeviceModel
    from drivers.sim.scenario import Scenario

    ids = _ids(options)
    latency_ms = float(options.pop("latency_ms", "0.2"))
    pair = options.pop("pair", "0") not in ("0", "")
    config = options.pop("config", None)
    scenario = Scenario.from_file(config) if config else Scenario.from_query(options)
    backend = SimBackend()
    device = backend.plug(DeviceModel(scenario), UsbFaults(latency_s=latency_ms / 1000))
    device.vendor_id, device.product_id = ids["vendor_id"], ids["product_id"]
    transport = UsbTransport(backend, **ids)
    try:
        transport.open()
    except Exception:
        backend.shutdown()
        raise
    link = Link(uri, transport, PulseGenerator(transport, keys), simulator=device)
    link._cleanup.append(backend.shutdown)  # noqa: SLF001 - open_link builds the Link it owns
    if pair:  # the simulated clinician confirms on the device as soon as the host asks
        try:
            link.client.pair("sim pair=1", wait=lambda _s: device.model.apply_magnet() or True)
        except Exception:
            link.close()
            raise
    return link


register_scheme("sim", _open_sim)
register_scheme("usb", _open_usb)


def available_links() -> list[str]:
    """Links a user can pick: the simulator, then every pulse generator on USB by serial."""
    uris = ["sim://0"]
    try:
        import libusb_package

        backend = libusb_package.get_libusb1_backend()
        for dev in (
            usb.core.find(find_all=True, idVendor=usb_ids.VENDOR_ID, idProduct=usb_ids.PRODUCT_ID, backend=backend)
            or ()
        ):
            try:
                uris.append(f"usb://{usb.util.get_string(dev, dev.iSerialNumber)}")
            except (usb.core.USBError, ValueError):
                uris.append("usb://0")  # no permission to read the serial: first device
    except (ImportError, usb.core.USBError, usb.core.NoBackendError):
        pass  # no USB stack here: the simulator is still there
    return uris
