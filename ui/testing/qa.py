"""Helpers for QA tests, in one import: ``from ui.testing.qa import answer_dialog, events_of, ...``.

Dialogs (every one is listed in docs/objectnames.md and ui.dialogs.DIALOGS)::

    answer_dialog(qtbot, "programWriteConfirm", "OK")      # waits until it is shown, then clicks
    pending = answer_when_shown("unwrittenDialog", "Discard")  # before an action that runs a dialog's exec()

A button is named by its objectName ("programWriteOk"), its label ("Write to device", "&" ignored, any
case), or its role: "OK" / "accept" / "yes" (the one accepting button), "Cancel" / "reject" / "no".

Service events (``drg_events`` fixture, or ``events_of(service)``): every event the service emits is
kept, and each wait returns the first matching one since the previous wait of that kind::

    drg_events.wait_link(qtbot, LinkState.RECONNECTING)
    result = drg_events.wait_measurement(qtbot)   # ImpedanceResult: "measurement finished"
    written = drg_events.wait_program(qtbot)      # WriteResult: "program written" (read back; .verified)
    event = drg_events.wait_record(qtbot, "program_saved")   # a session record committed

Records: ``session_records(drg_service, kind="program_saved")`` (a SessionEvent list, see
workstation/records/rows.py). Faults: ``inject_at`` (ui/testing/faults.py).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from ui.testing.actions import confirmed, raise_amplitude
from ui.testing.faults import Fault, Injection, Moment, MsgType, inject_at
from ui.testing.plugin import find, lead_panel, sim_uri
from workstation.events import EventKind
from workstation.service import (
    EventRecorded,
    ImpedanceMeasured,
    LinkChanged,
    LinkState,
    Notice,
    OutputsStopped,
    ProgramWritten,
)

__all__ = [
    "Fault",
    "Injection",
    "LinkState",
    "Moment",
    "MsgType",
    "PendingAnswer",
    "ServiceEvents",
    "answer_dialog",
    "answer_when_shown",
    "confirmed",
    "dialog_button",
    "events_of",
    "find",
    "inject_at",
    "lead_panel",
    "open_dialog",
    "raise_amplitude",
    "session_records",
    "sim_uri",
]

WAIT_MS = 10_000
ACCEPT = {"ok", "accept", "yes", "apply"}
REJECT = {"cancel", "reject", "no", "close"}


# -- dialogs ------------------------------------------------------------------------------------------


def shown_dialog(name: str):
    """The visible dialog with this objectName, or None."""
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def open_dialog(qtbot, name: str, timeout_ms: int = WAIT_MS):
    """Wait until the dialog named `name` is shown, and return it."""
    qtbot.waitUntil(lambda: shown_dialog(name) is not None, timeout=timeout_ms)
    return shown_dialog(name)


def dialog_button(dialog, button: str):
    """The push button of `dialog` named `button` (objectName, label, or role; see the module doc)."""
    from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QMessageBox

    buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    for found in buttons:
        if found.objectName() == button:
            return found
    wanted = button.replace("&", "").strip().lower()
    for found in buttons:
        if found.text().replace("&", "").strip().lower() == wanted:
            return found
    if wanted in ACCEPT | REJECT:
        accepting = wanted in ACCEPT
        roles = (
            (QDialogButtonBox.ButtonRole.AcceptRole, QDialogButtonBox.ButtonRole.YesRole)
            if accepting
            else (QDialogButtonBox.ButtonRole.RejectRole, QDialogButtonBox.ButtonRole.NoRole)
        )
        boxes = dialog.findChildren(QDialogButtonBox)
        if isinstance(dialog, QMessageBox):
            matches = [b for b in dialog.buttons() if dialog.buttonRole(b).value in {r.value for r in roles}]
        else:
            matches = [b for box in boxes for b in box.buttons() if box.buttonRole(b) in roles]
        if len(matches) == 1:
            return matches[0]
    names = [b.objectName() or b.text() for b in buttons]
    raise LookupError(f"dialog {dialog.objectName()!r} has no button {button!r}; it has {names}")


def _fill(dialog, text: str) -> None:
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QComboBox, QFileDialog, QInputDialog, QLineEdit

    if isinstance(dialog, QInputDialog):
        dialog.setTextValue(text)
    elif isinstance(dialog, QFileDialog):
        dialog.selectFile(text)
    elif isinstance(dialog, QPrintDialog):  # print to this PDF file, never to a real printer
        printers = dialog.findChild(QComboBox, "printers")
        printers.setCurrentIndex(printers.count() - 1)  # Qt's "Print to File (PDF)" comes last
        dialog.findChild(QLineEdit, "filename").setText(text)
    else:
        dialog.findChild(QLineEdit).setText(text)


def _answer(dialog, button: str, text: str | None) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    if text is not None:
        _fill(dialog, text)
    QTest.mouseClick(dialog_button(dialog, button), Qt.MouseButton.LeftButton)


def answer_dialog(qtbot, name: str, button: str = "OK", *, text: str | None = None, timeout_ms: int = WAIT_MS) -> None:
    """Wait until dialog `name` is shown and click `button`; `text` first fills its text field (a file
    dialog's file name, an input dialog's value, the PDF file a print dialog prints to). For a dialog
    opened with open() (all but those run with exec(): unwrittenDialog, impedanceExportFile,
    waveformExportFile; use answer_when_shown)."""
    _answer(open_dialog(qtbot, name, timeout_ms), button, text)


@dataclass
class PendingAnswer:
    """An answer waiting for its dialog; `done` is set once it clicked."""

    name: str
    button: str
    text: str | None
    done: threading.Event = field(default_factory=threading.Event)
    timer: object = None

    def poll(self) -> None:
        dialog = shown_dialog(self.name)
        if dialog is not None and not self.done.is_set():
            self.done.set()
            self.timer.stop()
            _answer(dialog, self.button, self.text)

    def wait(self, qtbot, timeout_ms: int = WAIT_MS) -> None:
        qtbot.waitUntil(self.done.is_set, timeout=timeout_ms)


def answer_when_shown(name: str, button: str = "OK", *, text: str | None = None) -> PendingAnswer:
    """Answer dialog `name` as soon as it shows, also inside its own exec() loop: call before the action."""
    from PySide6.QtCore import QTimer

    pending = PendingAnswer(name, button, text)
    pending.timer = QTimer()
    pending.timer.setInterval(20)
    pending.timer.timeout.connect(pending.poll)
    pending.timer.start()
    return pending


# -- service events -----------------------------------------------------------------------------------


class ServiceEvents:
    """Every notice the service announces (workstation.service.notices), kept in order; waits consume
    them type by type: LinkChanged, DeviceRead, SessionChanged, LeadChanged, ImpedanceMeasured,
    ProgramWritten, ProgramSaved, OutputsStopped, Refused, BatteryRead, PlacementChanged, ServiceFault,
    EventRecorded (the id of a session record just committed)."""

    def __init__(self, service) -> None:
        self.service = service
        self.events: list[Notice] = []
        self._cursor: dict[str, int] = {}
        self._lock = threading.Lock()
        service.subscribe(self._on_event)

    def _on_event(self, notice: Notice) -> None:
        with self._lock:
            self.events.append(notice)

    def _take(self, key: str, kind: type, accept) -> tuple[bool, object]:
        with self._lock:
            for index in range(self._cursor.get(key, 0), len(self.events)):
                notice = self.events[index]
                if isinstance(notice, kind) and accept(notice):
                    self._cursor[key] = index + 1
                    return True, notice
        return False, None

    def wait(self, qtbot, kind: type, accept=lambda _notice: True, timeout_ms: int = WAIT_MS, key: str = ""):
        """The next notice of type `kind` that `accept`s, since the previous wait for the same key."""
        got: list = []

        def arrived() -> bool:
            found, notice = self._take(key or kind.__name__, kind, accept)
            if found:
                got.append(notice)
            return bool(got)

        qtbot.waitUntil(arrived, timeout=timeout_ms)
        return got[0]

    def wait_link(self, qtbot, state: LinkState | str, timeout_ms: int = WAIT_MS) -> str:
        """Until the link reached `state` (a notice since the last wait_link, or the current state); its detail."""
        state = LinkState(state)
        with self._lock:
            pending = any(isinstance(n, LinkChanged) for n in self.events[self._cursor.get("LinkChanged", 0) :])
        if self.service.link_state == state and not pending:
            return ""
        return self.wait(qtbot, LinkChanged, lambda n: n.state == state, timeout_ms).detail

    def wait_measurement(self, qtbot, timeout_ms: int = WAIT_MS):
        """'Measurement finished': the next impedance result (every requested lead measured and recorded)."""
        return self.wait(qtbot, ImpedanceMeasured, timeout_ms=timeout_ms).result

    def wait_program(self, qtbot, timeout_ms: int = WAIT_MS):
        """'Program written': the next WriteResult (stored, read back; `.verified`, `.mismatch`)."""
        return self.wait(qtbot, ProgramWritten, timeout_ms=timeout_ms).result

    def wait_stopped(self, qtbot, timeout_ms: int = WAIT_MS) -> None:
        """STOP ALL confirmed by the device."""
        self.wait(qtbot, OutputsStopped, timeout_ms=timeout_ms)

    def wait_record(self, qtbot, kind: EventKind | str, timeout_ms: int = WAIT_MS):
        """The next record of `kind` (program_saved, impedance_recorded, link_lost, ...) committed to the
        active session: its SessionEvent."""
        kind = EventKind(kind)

        def record(event_id: int):
            if self.service.session_id is None:
                return None
            return next((e for e in session_records(self.service) if e.id == event_id and e.kind == kind), None)

        recorded = self.wait(
            qtbot, EventRecorded, lambda n: record(n.event_id) is not None, timeout_ms, key=f"record:{kind.value}"
        )
        return record(recorded.event_id)


_recorders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def events_of(service) -> ServiceEvents:
    """The event recorder of `service` (made, and subscribed, on the first call)."""
    if service not in _recorders:
        _recorders[service] = ServiceEvents(service)
    return _recorders[service]


# -- records ------------------------------------------------------------------------------------------


def session_records(service_or_store, session_id: int | None = None, kind: str | None = None) -> list:
    """The session's records in order (workstation.records.rows.SessionEvent: kind, payload, outcome, time),
    optionally only those of `kind`. Given a service: its store and its active session by default."""
    store = getattr(service_or_store, "records", service_or_store)
    if session_id is None:
        session_id = getattr(service_or_store, "session_id", None)
    if session_id is None:
        raise ValueError("no session: pass session_id, or a service with an active session")
    return [e for e in store.session_events(session_id) if kind is None or e.kind == kind]
