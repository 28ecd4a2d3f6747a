"""The UI edge of the programming service: its callbacks, which arrive on
worker threads, become Qt signals delivered on the GUI thread (cflib's
pattern), and futures report back through `run`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QObject, Signal

from workstation.programming import ProgrammingService


class ServiceBridge(QObject):
    """Re-emits every service notification as a typed Qt signal."""

    linkChanged = Signal(object, str)  # LinkState, detail
    deviceChanged = Signal(object)  # DeviceState after interrogation or resync
    leadChanged = Signal(object)  # LeadConfig the device now holds
    eventRecorded = Signal(int)  # id of a session event just committed
    impedanceMeasured = Signal(object)  # ImpedanceResult
    programWritten = Signal(object)  # WriteResult
    stopped = Signal()  # STOP ALL done
    refused = Signal(str, str)  # action, sentence
    sessionChanged = Signal(object)  # Session or None
    batteryChanged = Signal(object)
    placementChanged = Signal(object)  # LeadPlacement
    _done = Signal(object, object)  # callback, future

    _KINDS = {
        "device": "deviceChanged",
        "lead": "leadChanged",
        "event": "eventRecorded",
        "impedance": "impedanceMeasured",
        "program": "programWritten",
        "session": "sessionChanged",
        "battery": "batteryChanged",
        "placement": "placementChanged",
    }

    def __init__(self, service: ProgrammingService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._done.connect(lambda callback, future: callback(future))
        service.subscribe(self._relay)

    def _relay(self, kind: str, payload: object) -> None:
        if kind == "link":
            self.linkChanged.emit(*payload)
        elif kind == "stopped":
            self.stopped.emit()
        elif kind == "refused":
            self.refused.emit(*payload)
        elif kind in self._KINDS:
            getattr(self, self._KINDS[kind]).emit(payload)

    def run(self, future: Future, on_done: Callable[[Future], None]) -> Future:
        """Call on_done(future) on the GUI thread when the future completes."""
        future.add_done_callback(lambda f: self._done.emit(on_done, f))
        return future
