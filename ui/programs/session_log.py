"""The session log: the session's events in order, read incrementally.

Each new record is announced (bridge.eventRecorded); the log then asks the
service for the events after the last one it shows (`events_since`), one
request at a time, on the service's records thread, at most every
READ_EVERY_MS (display on a timer). A burst of records (a ramp writes one
per step) costs one read, not one per record. A hidden log (the clinician
is on another tab) reads nothing until it is shown: background reads on the
records thread compete with STOP ALL for the interpreter
(bench/command_latency.py, docs/performance.md).
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem
from shiboken6 import isValid

from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.theme import DANGER_BOX, WARNING_BOX
from ui.widgets import local_time, named
from workstation import events
from workstation.events import EventKind, Outcome
from workstation.records import SessionEvent

READ_EVERY_MS = 200
TONES = {Outcome.REFUSED: WARNING_BOX, Outcome.ERROR: DANGER_BOX, Outcome.UNKNOWN: DANGER_BOX}


class SessionLog(QTableWidget):
    """The session's events in order, appended as they are recorded; refusals and errors stand out."""

    COLUMNS = ("Time", "Event", "Outcome", "Details")

    def __init__(self, bridge: ServiceBridge, names: LeadNames | None = None) -> None:
        super().__init__(0, len(self.COLUMNS))
        named(
            self,
            "sessionLog",
            "Session log",
            "Every action of this session as recorded, newest at the bottom. Refused and failed actions "
            "are highlighted.",
        )
        self._bridge = bridge
        self._names = names or LeadNames()
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self._session_id: int | None = None
        self._seq = 0  # the last event shown
        self._reading = False  # a read is on its way
        self._stale = False  # more was recorded while it was
        self._ramp: tuple[int, int, datetime, int, int] | None = None  # lead, first value, start, steps, last value
        self._soon = QTimer(self, singleShot=True, interval=READ_EVERY_MS, timeout=self._when_shown)
        bridge.eventRecorded.connect(lambda _id: self._soon.isActive() or self._soon.start())

    def follow(self, session_id: int | None) -> None:
        """Show `session_id`'s log (from its start when it is another session than shown)."""
        if session_id != self._session_id:
            self.setRowCount(0)
            self._seq, self._ramp, self._session_id = 0, None, session_id
        self.catch_up()

    def _when_shown(self) -> None:
        """A hidden log (another tab is in front) reads nothing; it catches up when shown."""
        if self.isVisible():
            self.catch_up()

    def catch_up(self) -> None:
        """Read what was recorded since the last event shown."""
        if self._session_id is None:
            return
        if self._reading:
            self._stale = True
            return
        self._reading, self._stale = True, False
        session_id = self._session_id
        future = self._bridge.service.recording.events_since(session_id, self._seq)
        self._bridge.run(future, lambda done: self._read(session_id, done))

    def _read(self, session_id: int, future: Future) -> None:
        if not isValid(self):
            return
        self._reading = False
        if session_id == self._session_id and future.exception() is None:
            new = [event for event in future.result() if event.seq > self._seq]
            for event in new:
                self._append(event)
            if new:
                self._seq = new[-1].seq
                self.scrollToBottom()
        if self._stale or session_id != self._session_id:
            self.catch_up()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.catch_up()
        self.scrollToBottom()

    def _append(self, event: SessionEvent) -> None:
        if self._merge_ramp_step(event):
            return
        row = self.rowCount()
        self.insertRow(row)
        summary = self._names.in_sentence(events.summarise(event))
        tone = TONES.get(event.outcome)
        cells = (local_time(event.time), events.name(event.kind), event.outcome.value, summary)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(
                f"{local_time(event.time)} \u00b7 {events.name(event.kind)} \u00b7 {event.outcome.value}\n{summary}"
            )
            if tone:
                item.setBackground(QColor(tone.background))
                item.setForeground(QColor(tone.ink))
            self.setItem(row, column, item)

    def _merge_ramp_step(self, event: SessionEvent) -> bool:
        """Fold the rising steps of one amplitude ramp into a single row ('625 → 900 µA in 12 steps')."""
        ok_step = event.kind == EventKind.SET_AMPLITUDE and event.outcome == Outcome.OK
        result = event.payload.get("result") if ok_step else None
        if result is None:
            self._ramp = None
            return False
        lead, reached = result["lead"], result["amplitude_ua"]
        if self._ramp is None or self._ramp[0] != lead or reached <= self._ramp[4]:
            self._ramp = (lead, reached, event.time, 1, reached)  # a decrease always shows on its own row
            return False
        _lead, first, started, steps, _last = self._ramp
        steps += 1
        self._ramp = (lead, first, started, steps, reached)
        row = self.rowCount() - 1
        seconds = (event.time - started).total_seconds()
        self.item(row, 3).setText(
            f"{self._names.name(lead)}: {first} \u2192 {reached} \u00b5A on the device, "
            f"{steps} steps in {seconds:.1f} s"
        )
        self.item(row, 3).setToolTip(self.item(row, 3).text())
        return True
