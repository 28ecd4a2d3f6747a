"""The service's core: the link, the mirror, the worker threads, the records port
and the listeners. The subsystems (connection, outputs, programs, impedance,
recording) are composed on one core, as cflib composes its Crazyflie.

Threads (docs/architecture.md): `device-io` runs every device command in
order; `device-stop` runs STOP ALL so nothing queued delays it; `records-io`
runs every records query and every write a caller does not wait for. A caller
(the GUI) never blocks on USB or the database: it gets a Future.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from drivers.client import PulseGenerator
from drivers.errors import DeviceGone, DriverError
from drivers.keystore import KeyStore
from drivers.links import Link
from drivers.types import Capabilities, ImpedanceMeasurement, LeadConfig
from workstation.accounts import Permission, User
from workstation.clock import Clock
from workstation.events import EventKind, Outcome
from workstation.models import Session
from workstation.records.errors import without_values
from workstation.service import unknowns
from workstation.service.errors import (
    CancelledByStopAll,
    ConfirmationRequired,
    InvalidValue,
    NoActiveSession,
    NotConnected,
    ServiceError,
    service_error,
)
from workstation.service.mirror import DeviceState, Mirror
from workstation.service.notices import (
    EventRecorded,
    LeadChanged,
    LeadSwitchedOff,
    LinkChanged,
    LinkState,
    Listener,
    Notice,
    OutputsStopped,
    Refused,
    ServiceFault,
)
from workstation.service.policy import READS_WHILE_LOCKED, NotPermitted
from workstation.service.ports import Records

T = TypeVar("T")
log = logging.getLogger(__name__)
_on_worker = threading.local()


def mark_service_thread() -> None:
    """Called first on every thread the service owns: records written there commit before it goes on."""
    _on_worker.service = True


def on_service_thread() -> bool:
    return getattr(_on_worker, "service", False)


class ServiceCore:
    def __init__(self, records: Records, opener: Callable[[str], Link], clock: Clock, keys: KeyStore) -> None:
        self.records = records
        self.open_link = opener
        self.clock = clock
        self.keys = keys  # the paired devices' link keys
        self.link: Link | None = None
        self.uri: str | None = None
        self.mirror = Mirror()
        self.link_state = LinkState.DISCONNECTED
        self.session: Session | None = None  # the active session
        self.user: User | None = None  # the logged-in user: the clinician of the sessions started
        self.locked = False  # the screen is locked: reads only until the user unlocks it
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.last_io = clock.now()
        self.stop_epoch = 0  # bumped by STOP ALL: output changes queued before it are dropped
        self.stop_pending = False  # STOP ALL could not reach the device: sent first when it is back
        self.session_ending = False  # end_session called: no new output change is accepted
        self.on_lost: Callable[[DriverError], None] = lambda exc: None  # set by the connection
        self.end_ramps: Callable[[Exception], None] = lambda exc: None  # set by the outputs
        self.on_link_opened: list[Callable[[Link], None]] = []  # before interrogation (the USB capture)
        self._listeners: list[Listener] = []
        self.io = ThreadPoolExecutor(1, "device-io", initializer=mark_service_thread)
        self.urgent = ThreadPoolExecutor(1, "device-stop", initializer=mark_service_thread)
        self.records_io = ThreadPoolExecutor(1, "records-io", initializer=mark_service_thread)

    # -- state and listeners -----------------------------------------------------------
    @property
    def session_id(self) -> int | None:
        session = self.session
        return None if session is None else session.id

    @property
    def state(self) -> DeviceState:
        return self.mirror.state

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, notice: Notice) -> None:
        if isinstance(notice, ServiceFault):
            log.error("service fault: %s", notice.sentence)
        for listener in list(self._listeners):
            listener(notice)

    def set_link_state(self, state: LinkState, detail: str = "") -> None:
        previous, self.link_state = self.link_state, state
        log.log(
            logging.WARNING if state is LinkState.DISCONNECTED and previous is LinkState.CONNECTING else logging.INFO,
            "link %s -> %s%s",
            previous.value,
            state.value,
            f": {detail}" if detail else "",
        )
        self.record(EventKind.LINK_STATE, {"state": state.value, "detail": detail})
        self.emit(LinkChanged(state, detail))

    def caps(self) -> Capabilities:
        caps = self.state.capabilities
        if caps is None:
            raise NotConnected("Connect to a pulse generator first.")
        return caps

    @property
    def client(self) -> PulseGenerator:
        link = self.link
        if link is None:
            raise NotConnected(f"The pulse generator is {self.link_state.value}.")
        return link.client

    # -- who may ------------------------------------------------------------------------
    def authorize(self, permission: Permission, operation: str) -> None:
        """Raise NotPermitted (and audit the refusal) unless the logged-in user may do this now."""
        user = self.user
        if user is None:
            why = "Log in first."
        elif self.locked and permission not in READS_WHILE_LOCKED:
            why = "The workstation is locked: unlock it first."
        elif not user.may(permission):
            why = f"Your role ({user.role.label.lower()}) does not allow this: {permission.value}."
        else:
            return
        log.warning("refused %s: %s", operation, why)
        self.audit("refused", {"operation": operation, "permission": permission.value, "reason": why}, "refused")
        raise NotPermitted(why)

    def audit(self, action: str, detail: dict[str, Any], outcome: str = "ok", actor: str | None = None) -> None:
        """Append a security event to the audit trail: at once on a service thread, else on records-io."""
        user = self.user
        who = actor if actor is not None else (user.username if user is not None else "-")
        if on_service_thread():
            self.records.audit(who, action, detail, outcome)
        else:
            self.in_background(lambda: self.records.audit(who, action, detail, outcome))

    # -- recording -----------------------------------------------------------------------
    def record(self, kind: EventKind, payload: dict[str, Any], outcome: Outcome = Outcome.OK) -> int | None:
        """Log one session event (without a session: an audit entry). On a service thread it commits
        before the thread goes on and returns its id; from a caller's thread it is queued on
        records-io (None)."""
        session_id = self.session_id
        if session_id is None:  # no session (interrogating, a field engineer's tools): the audit trail only
            self.audit(kind.value, payload, outcome.value)
            return None
        if on_service_thread():
            event_id = self.records.log_event(session_id, kind, payload, outcome)
            self.emit(EventRecorded(event_id))
            return event_id
        self.in_background(lambda: self.emit(EventRecorded(self.records.log_event(session_id, kind, payload, outcome))))
        return None

    def settle_unknowns(self) -> None:
        """After the device was re-read: correct each record of unknown outcome by what it holds.

        A records failure is announced and leaves the records waiting for the next connection;
        it never undoes the connection itself."""
        try:
            done = unknowns.settle(self.state, self.records)
        except Exception as exc:  # noqa: BLE001 - the records are unreachable: settled next time
            self.emit(ServiceFault(f"Could not settle records of unknown outcome: {without_values(exc)}"))
            return
        for settled in done:
            self.emit(EventRecorded(settled.correction_id))
            self.emit(settled)

    def in_background(self, work: Callable[[], object]) -> None:
        """Run on records-io; a failure is announced (nobody waits for it)."""

        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - told to the listeners: nobody waits on this
                self.emit(ServiceFault(f"Could not record: {without_values(exc)}"))

        self.run_on(self.records_io, run)

    def query(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """A records call on records-io (never the caller's thread)."""
        return self.run_on(self.records_io, fn, *args)

    @staticmethod
    def run_on(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> Future[T]:
        """executor.submit, but after shutdown a failed future (the caller shows it), not an exception."""
        try:
            return executor.submit(fn, *args)
        except RuntimeError:  # the executor has shut down: the workstation is closing
            closed: Future[T] = Future()
            closed.set_exception(ServiceError("The workstation is shutting down."))
            return closed

    def require_session(self) -> int:
        session_id = self.session_id
        if session_id is None or self.session_ending:
            raise NoActiveSession()
        return session_id

    def refused(self, action: EventKind, payload: dict[str, Any], exc: Exception) -> None:
        """Record a request turned down; a confirmation request is recorded as "asked" and not
        announced as a refusal: the question itself is shown to the clinician."""
        if isinstance(exc, ConfirmationRequired):
            log.info("%s: confirmation asked (%s)", action.value, exc.kind.value)
            self.record(action, {**payload, "reason": str(exc)}, Outcome.ASKED)
            return
        if isinstance(exc, InvalidValue):  # its sentence may quote the value (a name being typed): field only
            log.warning("refused %s: invalid value for field %r", action.value, exc.field)
        else:
            log.warning("refused %s: %s", action.value, exc)
        self.record(action, {**payload, "reason": str(exc)}, Outcome.REFUSED)
        self.emit(Refused(action, str(exc)))

    def valid(self, action: EventKind, check: Callable[[], T]) -> T:
        """Run a validation; a bad value is recorded as refused (nothing sent) and raised."""
        try:
            return check()
        except InvalidValue as exc:
            self.refused(action, {"field": exc.field, "value": exc.shown_value}, exc)
            raise

    # -- device I/O off the caller's thread -----------------------------------------------
    def submit(
        self,
        action: EventKind,
        fn: Callable[..., T],
        *args: Any,
        executor: ThreadPoolExecutor | None = None,
        raises_output: bool = False,
        payload: dict[str, Any] | None = None,
        epoch: int | None = None,
        any_link_state: bool = False,
    ) -> Future[T]:
        """Queue fn on the device I/O thread; a driver error reaches the caller as a service
        error. An action that can raise output is dropped (and recorded with `payload`) if
        STOP ALL was pressed after `epoch` (by default: after it was queued). Only STOP ALL
        is tried in any link state (`any_link_state`)."""
        epoch = self.stop_epoch if epoch is None else epoch

        def run() -> T:
            usable = any_link_state or self.link_state in (LinkState.CONNECTED, LinkState.CONNECTING)
            if self.link is None or not usable:
                raise NotConnected(f"{action.value}: the pulse generator is {self.link_state.value}.")
            if raises_output and epoch != self.stop_epoch:
                self.record(action, payload or {}, Outcome.CANCELLED)
                raise CancelledByStopAll(action.value)
            self.last_io = self.clock.now()
            try:
                return fn(*args)
            except DeviceGone as exc:
                log.warning("device gone during %s: %s", action.value, exc)
                self.on_lost(exc)
                raise service_error(exc) from exc
            except DriverError as exc:
                log.warning("device error during %s: %s: %s", action.value, type(exc).__name__, exc)
                raise service_error(exc) from exc
            finally:
                if raises_output and epoch != self.stop_epoch:
                    self.stop_again(action)

        return self.run_on(executor or self.io, run)

    def stop_again(self, action: EventKind) -> None:
        """STOP ALL came while an output-raising command was on the wire: stop once more,
        so the command cannot have turned output on after the stop."""
        try:
            self.client.stop_all()
        except (DriverError, NotConnected) as exc:
            log.error("STOP ALL repeated after %s failed: %s", action.value, exc)
            self.record(EventKind.STOP_ALL, {"reason": f"repeat after {action.value}: {exc}"}, Outcome.ERROR)
            return
        self.outputs_stopped({"repeat_after": action.value})

    def outputs_stopped(self, payload: dict[str, Any]) -> None:
        """The device confirmed STOP ALL: record it, mirror it, announce it."""
        log.info("STOP ALL confirmed by the device")
        self.record(EventKind.STOP_ALL, payload)
        self.mirror.update(lambda s: s.with_leads(c.with_(enabled=False) for c in s.leads.values()))
        self.emit(OutputsStopped())

    def lead_changed(self, config: LeadConfig) -> None:
        self.mirror.set_leads(config)
        self.emit(LeadChanged(config))

    def refresh_leads(self) -> None:
        """Re-read every lead (after STOP ALL, a measurement or a program write)."""
        link = self.link
        if link is None:
            return
        for lead in list(self.state.leads):
            self.lead_changed(link.client.read_lead(lead))

    def refresh_after_measurement(self, measured: Sequence[ImpedanceMeasurement]) -> None:
        """Re-read every lead after an impedance measurement. The device switches a stimulating
        lead off when it reads a short on the contacts it uses: that is recorded and said, not
        left for the clinician to notice."""
        on_before = [lead for lead, config in self.state.leads.items() if config.enabled]
        self.refresh_leads()
        for lead in on_before:
            if self.state.leads[lead].enabled:
                continue
            lowest = min((m.ohms for m in measured if m.lead == lead), default=None)
            reading = f" (lowest reading {lowest} Ω)" if lowest is not None else ""
            sentence = (
                f"The device switched lead {lead} off: it read a short on the contacts it was stimulating"
                f"{reading}. Check the lead before switching it on again."
            )
            log.warning("device switched lead %d off after a short", lead)
            self.record(EventKind.LEAD_SWITCHED_OFF, {"lead": lead, "ohms": lowest, "sentence": sentence})
            self.emit(LeadSwitchedOff(lead, sentence))

    def read_back_lead(self, lead: int) -> LeadConfig | None:
        try:
            config = self.client.read_lead(lead)
        except (DriverError, NotConnected):
            return None  # the device is gone too: the reconnect re-reads everything
        self.lead_changed(config)
        return config

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until every device command and record write queued so far has run (tests, shutdown)."""
        self.io.submit(lambda: None).result(timeout)
        self.urgent.submit(lambda: None).result(timeout)
        self.records_io.submit(lambda: None).result(timeout)
