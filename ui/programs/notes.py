"""Free-text notes and NRS pain scores for the session record."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout
from shiboken6 import isValid

from ui.bridge import ServiceBridge
from ui.theme import DANGER_BOX
from ui.widgets import local_time, message_label, named, show_message
from workstation.models import Note, PainScore, PainTiming
from workstation.service import ServiceError


class NotesBox(QGroupBox):
    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__("Notes and pain (NRS 0-10)")
        self._bridge = bridge
        self._active = False
        self._note_pending = False  # a note is on its way to the records: not again until it is there
        self._nrs_pending = False
        self.note_text = named(
            QPlainTextEdit(), "noteText", "Note", "A note for the session record. Ctrl+Enter adds it."
        )
        self.note_text.setTabChangesFocus(True)
        self.note_text.setPlaceholderText("Note for the record")
        self.note_text.setMaximumHeight(90)
        self.note_add = named(
            QPushButton("Add &note"), "noteAdd", "Add note", "Add the note to the session record (Ctrl+Enter)."
        )
        self.note_add.clicked.connect(self._add_note)
        QShortcut(
            QKeySequence("Ctrl+Return"), self.note_text, self._add_note, context=Qt.ShortcutContext.WidgetShortcut
        )
        self.note_message = message_label("noteMessage", "Note message", lines=1)

        self.nrs: dict[PainTiming, QSpinBox] = {}
        nrs_row = QHBoxLayout()
        for when, name in ((PainTiming.BEFORE, "nrsBefore"), (PainTiming.AFTER, "nrsAfter")):
            box = named(
                QSpinBox(),
                name,
                f"Pain score {when.value.lower()} programming",
                f"NRS {when.value.lower()} programming: 0 no pain to 10 worst pain imaginable. "
                "Leave at 'not rated' to record nothing for it.",
            )
            box.setRange(-1, 10)
            box.setSpecialValueText("not rated")
            box.setValue(-1)
            self.nrs[when] = box
            label = QLabel(f"{when.value.capitalize()}:")
            label.setBuddy(box)
            nrs_row.addWidget(label)
            nrs_row.addWidget(box)
        self.nrs_record = named(
            QPushButton("&Record NRS"),
            "nrsRecord",
            "Record pain scores",
            "Record the rated pain scores (0-10) in the session.",
        )
        self.nrs_record.clicked.connect(self._record_nrs)
        self.nrs_message = message_label("nrsMessage", "Pain score message", lines=1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note_text)
        layout.addWidget(self.note_add)
        layout.addWidget(self.note_message)
        layout.addSpacing(8)
        layout.addLayout(nrs_row)
        layout.addWidget(self.nrs_record)
        layout.addWidget(self.nrs_message)
        layout.addStretch(1)

    def set_active(self, active: bool) -> None:
        self._active = active
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.note_add.setEnabled(self._active and not self._note_pending)
        self.nrs_record.setEnabled(self._active and not self._nrs_pending)

    def _add_note(self) -> None:
        if self._note_pending:  # a second click or Ctrl+Enter before the first is recorded
            return
        try:
            future = self._bridge.service.recording.add_note(Note(self.note_text.toPlainText()))
        except (ValueError, ServiceError) as exc:
            show_message(self.note_message, str(exc), DANGER_BOX)
            return
        self._note_pending = True
        self._update_buttons()
        self._bridge.run(future, self._note_added)

    def _note_added(self, future: Future) -> None:
        if not isValid(self):
            return
        self._note_pending = False
        self._update_buttons()
        if future.exception() is not None:
            show_message(self.note_message, str(future.exception()), DANGER_BOX)
            return
        self.note_text.clear()
        show_message(self.note_message, f"Note added at {local_time(datetime.now(timezone.utc))}.")

    def _record_nrs(self) -> None:
        if self._nrs_pending:  # the scores are on their way: a second click must not record them again
            return
        rated = [(when, box.value()) for when, box in self.nrs.items() if box.value() >= 0]
        if not rated:
            show_message(self.nrs_message, "Rate the pain before or after programming (0-10) first.", DANGER_BOX)
            return
        recording = self._bridge.service.recording
        try:
            futures = [recording.record_pain_score(PainScore(nrs, when)) for when, nrs in rated]
        except (ValueError, ServiceError) as exc:
            show_message(self.nrs_message, str(exc), DANGER_BOX)
            return
        self._nrs_pending = True
        self._update_buttons()
        self._bridge.run(futures[-1], lambda _last: self._scores_recorded(rated, futures))

    def _scores_recorded(self, rated: list[tuple[PainTiming, int]], futures: list[Future]) -> None:
        if not isValid(self):
            return
        self._nrs_pending = False
        self._update_buttons()
        failed = next((f.exception() for f in futures if f.exception() is not None), None)
        if failed is not None:
            show_message(self.nrs_message, str(failed), DANGER_BOX)
            return
        for when, _nrs in rated:
            self.nrs[when].setValue(-1)
        recorded = ", ".join(f"{when.value.lower()} {nrs}/10" for when, nrs in rated)
        show_message(self.nrs_message, f"Recorded NRS {recorded} at {local_time(datetime.now(timezone.utc))}.")
