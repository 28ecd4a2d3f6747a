"""The UI edge of the programming service: its notices, which arrive on the
service's threads, become Qt signals delivered on the GUI thread (cflib's
pattern), and futures report back through `run`. This is the one way back to
the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from workstation.service import (
    BatteryRead,
    DeviceRead,
    DeviceReverted,
    EventRecorded,
    ImpedanceMeasured,
    LeadChanged,
    LeadSwitchedOff,
    LinkChanged,
    Notice,
    OutcomeSettled,
    OutputsStopped,
    PlacementChanged,
    ProgrammingService,
    ProgramSaved,
    ProgramWritten,
    Refused,
    ServiceFault,
    SessionChanged,
    UserChanged,
)


class ServiceBridge(QObject):
    """Re-emits every service notice as a typed Qt signal."""

    linkChanged = Signal(object, str)  # LinkState, detail
    deviceChanged = Signal(object)  # DeviceState after interrogation or resync
    leadChanged = Signal(object)  # LeadConfig the device now holds
    eventRecorded = Signal(int)  # id of a session event just committed
    impedanceMeasured = Signal(object)  # ImpedanceResult
    programWritten = Signal(object)  # WriteResult
    programSaved = Signal(object)  # Program saved in the records
    stopped = Signal()  # STOP ALL done
    refused = Signal(str, str)  # action, sentence
    sessionChanged = Signal(object)  # Session or None
    batteryChanged = Signal(object)
    placementChanged = Signal(object)  # LeadPlacement
    fault = Signal(str)  # a background task failed
    outcomeSettled = Signal(object)  # OutcomeSettled: an unknown outcome corrected once the device was back
    deviceReverted = Signal(object)  # DeviceReverted: the device changed its settings while the link was down
    userChanged = Signal(object, bool)  # User or None (logged out), locked
    leadSwitchedOff = Signal(int, str)  # lead, sentence: the device switched it off after reading a short
    _done = Signal(object, object)  # callback, future
    _call = Signal(object)  # a function to run on the GUI thread

    def __init__(self, service: ProgrammingService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._done.connect(lambda callback, future: callback(future))
        self._call.connect(lambda fn: fn())
        self._relays: dict[type, Callable[[Any], None]] = {
            LinkChanged: lambda n: self.linkChanged.emit(n.state, n.detail),
            DeviceRead: lambda n: self.deviceChanged.emit(n.state),
            LeadChanged: lambda n: self.leadChanged.emit(n.config),
            EventRecorded: lambda n: self.eventRecorded.emit(n.event_id),
            ImpedanceMeasured: lambda n: self.impedanceMeasured.emit(n.result),
            ProgramWritten: lambda n: self.programWritten.emit(n.result),
            ProgramSaved: lambda n: self.programSaved.emit(n.program),
            OutputsStopped: lambda n: self.stopped.emit(),
            Refused: lambda n: self.refused.emit(n.action.value, n.sentence),
            SessionChanged: lambda n: self.sessionChanged.emit(n.session),
            BatteryRead: lambda n: self.batteryChanged.emit(n.battery),
            PlacementChanged: lambda n: self.placementChanged.emit(n.placement),
            ServiceFault: lambda n: self.fault.emit(n.sentence),
            OutcomeSettled: self.outcomeSettled.emit,
            DeviceReverted: self.deviceReverted.emit,
            UserChanged: lambda n: self.userChanged.emit(n.user, n.locked),
            LeadSwitchedOff: lambda n: self.leadSwitchedOff.emit(n.lead, n.sentence),
        }
        service.subscribe(self._relay)

    def _relay(self, notice: Notice) -> None:
        self._relays[type(notice)](notice)

    def run(self, future: Future, on_done: Callable[[Future], None]) -> Future:
        """Call on_done(future) on the GUI thread when the future completes."""
        future.add_done_callback(lambda f: self._done.emit(on_done, f))
        return future

    def in_gui(self, fn: Callable[[], object]) -> None:
        """Run fn on the GUI thread (from a service thread: a question to ask, progress to show)."""
        self._call.emit(fn)
