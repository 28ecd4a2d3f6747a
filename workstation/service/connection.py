"""The link: connect, authenticate (or pair, confirmed on the device) and
interrogate, reconnect after a loss, keep the device's watchdog fed, poll the
battery, and stream telemetry."""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from drivers.errors import DeviceGone, DeviceRefused, DriverError, NotPaired, PairingCancelled
from drivers.links import Link, available_links
from drivers.protocol.messages import TelemetryRequest
from drivers.telemetry import TelemetryReceiver
from drivers.types import BatteryState
from workstation import validation
from workstation.accounts import Permission
from workstation.events import EventKind, Outcome
from workstation.service.core import ServiceCore, mark_service_thread
from workstation.service.errors import InvalidValue, NotConnected, NotPairedError, ServiceError, service_error
from workstation.service.mirror import DeviceState
from workstation.service.notices import BatteryRead, DeviceRead, LinkChanged, LinkState, ServiceFault
from workstation.service.policy import open_to_all, requires
from workstation.service.unknowns import reverted

log = logging.getLogger(__name__)
KEEPALIVE_FRACTION = 1 / 3  # of the device watchdog
KEEPALIVE_TICK_S = 0.2
RECONNECT_INTERVAL_S = 0.5
BATTERY_POLL_S = 60.0
CONFIRM_ON_DEVICE = "Confirm on the pulse generator: hold the magnet over it to pair this workstation."


class Connection:
    def __init__(self, core: ServiceCore) -> None:
        self._core = core
        core.on_lost = self._lost
        self.telemetry: TelemetryReceiver | None = None
        self._telemetry_request: tuple[int, tuple[int, ...]] | None = None
        self._reconnecting = False
        self._keepalive: Future[None] | None = None
        self._last_battery = core.clock.now()
        self._cancel_pairing = threading.Event()
        self._scan = ThreadPoolExecutor(1, "usb-scan", initializer=mark_service_thread)
        threading.Thread(target=self._run_keepalive, name="keepalive", daemon=True).start()

    @open_to_all  # lists the links it could open; opens none
    def discover(self) -> Future[list[str]]:
        """The links that can be opened now (USB devices found, and the simulator); on its own
        thread, so a slow USB enumeration holds up neither device commands nor records."""
        return self._scan.submit(available_links)

    @property
    def simulated(self) -> bool:
        """True when the open link is the simulator, not a patient's device."""
        link = self._core.link
        return bool(link and link.is_simulated)

    @requires(Permission.CONNECT)
    def connect(self, uri: str = "sim://0") -> Future[DeviceState]:
        """Open the link and interrogate the device: identity, capabilities, battery, leads, program.

        Refused while a link is open (reconnecting included): opening another would leave the
        first device running unreachable, with STOP ALL going to the new one. Disconnect first."""
        core = self._core
        uri = core.valid(EventKind.LINK_STATE, lambda: validation.text(uri, "uri"))

        def run() -> DeviceState:
            if core.link is not None:  # judged on device-io: two connects queued cannot both open
                error = ServiceError(
                    f"The workstation is {core.link_state.value} to {core.uri}: disconnect it before opening {uri}."
                )
                core.refused(EventKind.LINK_STATE, {"uri": uri}, error)
                raise error
            core.set_link_state(LinkState.CONNECTING, uri)
            try:
                link = core.open_link(uri)
            except DriverError as exc:
                core.set_link_state(LinkState.DISCONNECTED, str(exc))
                raise service_error(exc) from exc
            except ValueError as exc:  # not a link this workstation knows: a bad value, refused
                core.set_link_state(LinkState.DISCONNECTED, str(exc))
                error = InvalidValue("uri", uri, f"{str(exc).rstrip('.')}.")
                core.refused(EventKind.LINK_STATE, {"field": "uri", "value": error.shown_value}, error)
                raise error from exc
            link.client.keys = core.keys
            for opened in core.on_link_opened:
                opened(link)
            with core.lock:
                core.link, core.uri = link, uri
                core.stop_pending = False  # a STOP ALL pressed with no device open has nothing to stop
            return self._secure_and_interrogate(link)

        return core.run_on(core.io, run)

    @requires(Permission.CONNECT)
    def pair(self) -> Future[DeviceState]:
        """Pair the open, unpaired device (it waits for the confirmation on the device), then interrogate it."""
        core = self._core

        def run() -> DeviceState:
            link = core.link
            if link is None:
                raise NotConnected("Connect to a pulse generator first.")
            return self._secure_and_interrogate(link, pair=True)

        return core.run_on(core.io, run)

    @open_to_all  # cancelling never raises output (and shutdown must cancel)
    def cancel_pairing(self) -> None:
        """Stop waiting for the confirmation on the device: the link stays open, unpaired."""
        self._cancel_pairing.set()

    @requires(Permission.CONNECT)
    def confirm_on_simulator(self) -> bool:
        """The simulator's "confirm on device" (its magnet): False on a real device or with no pairing waiting."""
        link = self._core.link
        simulator = link.simulator if link is not None else None
        return bool(simulator is not None and simulator.model.apply_magnet())  # type: ignore[attr-defined]

    def _secure_and_interrogate(self, link: Link, pair: bool = False) -> DeviceState:
        """Authenticate with the stored key, or pair when there is none (or `pair`), then interrogate.
        Not paired in the end: the link stays open in UNPAIRED, where STOP ALL still works."""
        core = self._core
        try:
            try:
                if pair:
                    raise NotPaired("pairing asked for")
                link.client.authenticate()
            except NotPaired:
                self._pair(link)
            self._interrogate(link)
        except (NotPaired, PairingCancelled) as exc:
            core.set_link_state(LinkState.UNPAIRED, str(exc))
            raise NotPairedError(str(exc)) from exc
        except DeviceRefused as exc:  # the pairing was refused or its window closed
            core.set_link_state(LinkState.UNPAIRED, exc.detail)
            raise NotPairedError(exc.detail) from exc
        except DriverError as exc:
            self._close_link()
            core.set_link_state(LinkState.DISCONNECTED, str(exc))
            raise service_error(exc) from exc
        core.set_link_state(LinkState.CONNECTED, core.uri or "")
        core.settle_unknowns()  # left by an earlier connection to this device, in this run or before
        return core.state

    def _pair(self, link: Link) -> None:
        core = self._core
        self._cancel_pairing.clear()
        core.set_link_state(LinkState.PAIRING, CONFIRM_ON_DEVICE)
        link.client.pair(
            socket.gethostname(),
            wait=lambda seconds: not core.clock.wait(self._cancel_pairing, seconds) and not core.stopping.is_set(),
        )
        log.info("paired with the pulse generator on %s", core.uri)

    def _interrogate(self, link: Link) -> None:
        core, client = self._core, link.client
        identity, caps = client.identify(), client.capabilities()
        battery = client.battery()
        leads = {n: client.read_lead(n) for n in range(1, caps.lead_count + 1)}
        stored = client.read_program()
        state = core.mirror.update(
            lambda s: DeviceState(identity, caps, battery, {}, stored, s.impedance).with_leads(leads.values())
        )
        log.info(
            "interrogated %s serial %s firmware %s hardware %s; battery %s %d %% %d mV; stored program of %d leads",
            identity.model,
            identity.serial,
            identity.firmware,
            identity.hardware_rev,
            battery.state.name,
            battery.percent,
            battery.voltage_mv,
            len(stored.leads),
        )
        if battery.state != BatteryState.OK:
            log.warning("battery at %s", battery.state.name)
        core.last_io = core.clock.now()
        self.record_device_state()
        core.emit(DeviceRead(state))

    @open_to_all
    def record_device_state(self) -> None:
        state = self._core.state
        self._core.record(
            EventKind.DEVICE_STATE,
            {
                "battery": state.battery,
                "leads": list(state.leads.values()),
                "program": state.stored_program,
                "uri": self._core.uri,
            },
        )

    @open_to_all
    def shutdown(self) -> None:
        self._scan.shutdown(wait=False, cancel_futures=True)

    @open_to_all  # closing a link never raises output (and shutdown must close it)
    def disconnect(self) -> Future[None]:
        self.cancel_pairing()  # the device-io thread may be waiting for a confirmation

        def run() -> None:
            self.stop_telemetry_now()
            self._close_link()
            self._core.set_link_state(LinkState.DISCONNECTED, "closed by the user")

        return self._core.run_on(self._core.io, run)

    def _close_link(self) -> None:
        core = self._core
        with core.lock:
            link, core.link = core.link, None
            receiver, self.telemetry = self.telemetry, None
        if receiver is not None:
            receiver.stop()
        if link is not None:
            link.close()

    # -- loss and reconnect ------------------------------------------------------------------
    def _lost(self, exc: DriverError) -> None:
        """The device went away: say so, mark output unknown, and keep retrying."""
        core = self._core
        with core.lock:
            if self._reconnecting or core.link is None:
                return
            self._reconnecting = True
            core.link_state = LinkState.RECONNECTING
        log.warning("link connected -> reconnecting: device lost: %s", exc)
        core.end_ramps(service_error(exc))  # type: ignore[arg-type]
        core.record(EventKind.LINK_LOST, {"reason": str(exc)}, Outcome.ERROR)
        core.emit(LinkChanged(LinkState.RECONNECTING, str(exc)))
        threading.Thread(target=self._reconnect, name="reconnect", daemon=True).start()

    def _reconnect(self) -> None:
        mark_service_thread()
        core = self._core
        link = core.link
        try:
            while not core.clock.wait(core.stopping, RECONNECT_INTERVAL_S):
                with core.lock:
                    if core.link is not link or link is None:
                        return  # the user disconnected meanwhile
                try:
                    core.io.submit(self._try_reopen, link).result()
                except (DriverError, AttributeError):  # not back yet, or closed under us: try again
                    continue
                with core.lock:
                    if core.link is not link:
                        return
                    self._reconnecting = False
                break
            else:
                return
        finally:
            with core.lock:
                self._reconnecting = False
        log.info("device back after a loss")
        core.set_link_state(LinkState.CONNECTED, "device back; state re-read from the device")
        if self.telemetry is not None and self._telemetry_request is not None:
            core.io.submit(self._start_telemetry, *self._telemetry_request)

    def _try_reopen(self, link: Link) -> None:
        link.reopen()
        core = self._core
        if core.stop_pending:  # STOP ALL was pressed while the device was away: it goes first
            link.client.stop_all()
            core.stop_pending = False
            core.outputs_stopped({"after_reconnect": True})
        before = core.state.leads
        self._interrogate(link)
        core.settle_unknowns()
        change = reverted(before, core.state)
        if change is not None:
            core.record(EventKind.DEVICE_REVERTED, {"program": change.program, "changes": list(change.changes)})
            core.emit(change)

    # -- telemetry ------------------------------------------------------------------------------
    @requires(Permission.CONNECT)
    def start_telemetry(self, rate_hz: int, leads: tuple[int, ...] | None = None) -> Future[TelemetryRequest]:
        core = self._core
        caps = core.caps()
        leads = core.valid(EventKind.START_TELEMETRY, lambda: validation.leads(caps, leads))
        rate_hz = core.valid(EventKind.START_TELEMETRY, lambda: validation.telemetry_rate(caps, rate_hz))
        return core.submit(EventKind.START_TELEMETRY, self._start_telemetry, rate_hz, leads)

    def _start_telemetry(self, rate_hz: int, leads: tuple[int, ...]) -> TelemetryRequest:
        core = self._core
        link = core.link
        if link is None:
            raise NotConnected("The pulse generator is not connected.")
        if self.telemetry is None or self.telemetry.transport is not link.transport:
            self.telemetry = TelemetryReceiver(
                link.transport, core.caps(), on_error=self._telemetry_error, session=lambda: link.client.session
            )
        actual = link.client.start_telemetry(rate_hz, leads)
        self._telemetry_request = (actual.rate_hz, actual.leads)
        if not self.telemetry.running:
            self.telemetry.start()
        return actual

    def _telemetry_error(self, exc: DriverError) -> None:
        log.warning("telemetry: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, DeviceGone):
            self._lost(exc)

    @open_to_all
    def stop_telemetry_now(self) -> None:
        core = self._core
        self._telemetry_request = None
        if self.telemetry is not None:
            self.telemetry.stop()
        if core.link is not None and core.link_state == LinkState.CONNECTED:
            try:
                core.link.client.stop_telemetry()
            except DriverError:
                pass  # the stream ends with the link anyway

    # -- keep-alive and battery -----------------------------------------------------------------
    def _run_keepalive(self) -> None:
        """Keep the device's watchdog fed while idle; this thread must never die."""
        mark_service_thread()
        core = self._core
        while not core.clock.wait(core.stopping, KEEPALIVE_TICK_S):
            try:
                self._keepalive_tick()
            except Exception as exc:  # noqa: BLE001 - a failed tick is retried; the thread goes on
                core.emit(ServiceFault(f"keep-alive: {exc}"))

    def _keepalive_tick(self) -> None:
        core = self._core
        caps, link, now = core.state.capabilities, core.link, core.clock.now()
        if caps is None or link is None or core.link_state != LinkState.CONNECTED:
            return
        idle = now - core.last_io > caps.watchdog_ms / 1000 * KEEPALIVE_FRACTION
        if idle and (self._keepalive is None or self._keepalive.done()):
            self._keepalive = core.submit(EventKind.LINK_STATE, link.client.keepalive)
        if now - self._last_battery > BATTERY_POLL_S:
            self._last_battery = now
            core.submit(EventKind.DEVICE_STATE, self._poll_battery)

    def _poll_battery(self) -> None:
        battery = self._core.client.battery()
        if battery != self._core.state.battery:
            log.info("battery now %s %d %% %d mV", battery.state.name, battery.percent, battery.voltage_mv)
        self._core.mirror.set(battery=battery)
        self._core.emit(BatteryRead(battery))
