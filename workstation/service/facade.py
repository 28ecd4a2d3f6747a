"""The one object the UI holds: a pulse generator and its records, composed of
small subsystems (cflib's Crazyflie: `commander`, `param`, `log`).

    service = ProgrammingService.open(records_url)
    service.access.login("dr.example", password).result()
    service.connection.connect("sim://0").result()
    session = service.recording.start_session(patient.id).result()  # its clinician: the logged-in user
    service.outputs.set_amplitude(1, 800)
    service.stop_all()
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from drivers.keystore import KeyStore, MemoryKeyStore, default_keystore
from drivers.links import Link, open_link
from workstation.accounts import User
from workstation.clock import Clock, SystemClock
from workstation.models import Session
from workstation.service.access import Access
from workstation.service.connection import Connection
from workstation.service.core import ServiceCore
from workstation.service.errors import ServiceError
from workstation.service.field import FieldTools
from workstation.service.impedance import Impedance
from workstation.service.mirror import DeviceState
from workstation.service.notices import LinkState, Listener
from workstation.service.outputs import Outputs
from workstation.service.ports import Records
from workstation.service.programs import Programs
from workstation.service.recording import Recording
from workstation.service.scope import PulseScope


class ProgrammingService:
    """Drives one pulse generator and records every action in the records.

    `keys` keeps the link keys of paired devices: a process-local store unless
    given (`open` gives the OS keyring, or its 0600 file fallback)."""

    def __init__(
        self,
        records: Records,
        opener: Callable[[str], Link] = open_link,
        clock: Clock | None = None,
        keys: KeyStore | None = None,
        user: User | None = None,
    ) -> None:
        """`user`: act as this user without a log-in (scripts, tests, drg-field); the app passes none and
        logs in through `access`."""
        self._core = core = ServiceCore(records, opener, clock or SystemClock(), keys or MemoryKeyStore())
        core.user = user
        self.access = Access(core)
        self.connection = Connection(core)
        self.outputs = Outputs(core)
        self.programs = Programs(core, self.outputs)
        self.impedance = Impedance(core)
        self.recording = Recording(core, self.outputs.forget_confirmations, self.connection.record_device_state)
        self.field = FieldTools(core, self.impedance.thresholds, lambda: self.connection.telemetry)
        self.scope = PulseScope(core)
        self._owns_records = False

    @classmethod
    def open(
        cls, records_url: str | None = None, clock: Clock | None = None, user: User | None = None
    ) -> ProgrammingService:
        """A service on the records at `records_url` (the default database when None), keeping link
        keys in the OS keyring (or the 0600 file in the data folder); it closes the records on shutdown."""
        from workstation.paths import data_dir
        from workstation.records.store import RecordsStore

        service = cls(RecordsStore.open(records_url), clock=clock, keys=default_keystore(data_dir()), user=user)
        service._owns_records = True
        return service

    # -- what the UI reads --------------------------------------------------------------------
    @property
    def state(self) -> DeviceState:
        """The device as last read: an immutable snapshot."""
        return self._core.state

    @property
    def link_state(self) -> LinkState:
        return self._core.link_state

    @property
    def session(self) -> Session | None:
        """The active session, or None."""
        return self._core.session

    @property
    def session_id(self) -> int | None:
        return self._core.session_id

    @property
    def stop_epoch(self) -> int:
        """Changes at every STOP ALL: a multi-step action started before it must not go on."""
        return self._core.stop_epoch

    @property
    def link(self) -> Link | None:
        """The open link (tests and the QA harness reach the simulator through it)."""
        return self._core.link

    @property
    def records(self) -> Records:
        """The records port (tests; the UI goes through `recording`)."""
        return self._core.records

    def subscribe(self, listener: Listener) -> None:
        """`listener(notice)` is called on the service's threads for every change (workstation.service.notices)."""
        self._core.subscribe(listener)

    # -- the one button ---------------------------------------------------------------------------
    def stop_all(self) -> Future[None]:
        """Every output off, ahead of anything queued. Allowed without a session, in every state."""
        return self.outputs.stop_all()

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until every command and record write queued so far has run (tests, scripts)."""
        self._core.wait_idle(timeout)

    def shutdown(self) -> None:
        core = self._core
        core.stopping.set()
        self.connection.cancel_pairing()
        self.outputs.ramps.end_all(ServiceError("The workstation is shutting down."))
        self.scope.stop()
        try:
            self.connection.disconnect().result(timeout=5)
        except Exception:  # noqa: BLE001 - shutting down: nothing left to tell
            pass
        self.connection.shutdown()
        core.io.shutdown(wait=True, cancel_futures=True)
        self.field.shutdown()
        core.urgent.shutdown(wait=True)
        core.records_io.shutdown(wait=True)
        if self._owns_records:
            core.records.close()
