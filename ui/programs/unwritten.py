"""The guard before closing or ending a session with live settings the device does not store,
or with the stored program's therapy off (after STOP ALL): it offers to resume it."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.programs.asker import clinician_asker
from ui.theme import DANGER_BOX, OK_BOX
from ui.widgets import message_label, named, show_message
from workstation.service import ApplyProgress, ServiceError


class UnwrittenDialog(dialogs.Dialog):
    """Lists what is live but not stored. Offers Write now / Discard / Cancel; or, when the
    stored program's therapy is off (after STOP ALL), Resume therapy / go on with it off / Cancel.
    Cancel is the default: Enter never writes, discards or ends."""

    def __init__(self, bridge: ServiceBridge, action: str, names: LeadNames, parent: QWidget | None = None) -> None:
        super().__init__("unwrittenDialog", parent)
        self.bridge = bridge
        self.action = action
        self.names = names
        service = bridge.service
        self.visit = visit = service.programs.end_of_visit()
        stored = visit.stored
        self.message = message_label("unwrittenMessage", "Result")
        changes = named(
            QListWidget(),
            "unwrittenList",
            "Unwritten changes",
            "Each setting that is live on the device but not stored in it.",
        )
        changes.addItems([names.in_sentence(change) for change in visit.changes])
        buttons = QDialogButtonBox()
        layout = QVBoxLayout(self)
        if visit.offer_resume and stored is not None:
            self.setWindowTitle("Therapy is off")
            leads = ", ".join(names.name(lead) for lead in visit.therapy_off)
            intro = QLabel(
                f"Stimulation is off on {leads}, which the stored program '{stored.name}' stimulates. "
                f"The device never turns an output on by itself: if you {action} now, the patient "
                "leaves without therapy. Differences from the stored program:"
            )
            self.primary = named(
                buttons.addButton(f"Resume therapy with '{stored.name}'", QDialogButtonBox.ButtonRole.ActionRole),
                "unwrittenResume",
                "Resume therapy",
                f"Apply the stored program '{stored.name}' to the leads again; amplitudes ramp up "
                "and each rise that needs it asks you first.",
            )
            self.primary.clicked.connect(self._resume)
            discard_text, discard_tip = f"{action.capitalize()} with therapy off", f"{action.capitalize()} anyway."
        else:
            self.setWindowTitle("Unwritten changes")
            intro = QLabel(
                f"The device's live settings differ from its stored program "
                f"'{stored.name if stored else '?'}'. If you {action} without writing, the device returns "
                "to its stored program when the programmer disconnects, and these changes are lost:"
            )
            self.name = named(
                QLineEdit(stored.name if stored else ""),
                "unwrittenName",
                "Program name",
                "Name under which the live settings are stored if you choose Write now.",
            )
            self.primary = named(
                buttons.addButton("Write now", QDialogButtonBox.ButtonRole.ActionRole),
                "unwrittenWrite",
                "Write now",
                "Store the live settings in the device, read them back and verify.",
            )
            self.primary.clicked.connect(self._write)
            discard_text, discard_tip = "Discard changes", f"Do not store the live settings; {action} anyway."
        intro.setWordWrap(True)
        self.discard = named(
            buttons.addButton(discard_text, QDialogButtonBox.ButtonRole.DestructiveRole),
            "unwrittenDiscard",
            discard_text,
            discard_tip,
        )
        cancel = named(
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel),
            "unwrittenCancel",
            "Cancel",
            f"Go back; do not {action}.",
        )
        for button in (self.primary, self.discard):
            button.setAutoDefault(False)
        cancel.setDefault(True)
        self.discard.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        layout.addWidget(intro)
        layout.addWidget(changes)
        if not visit.offer_resume:
            row = QHBoxLayout()
            row.addWidget(QLabel("Store as:"))
            row.addWidget(self.name)
            layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, 340)

    def _busy(self, busy: bool) -> None:
        self.primary.setEnabled(not busy)
        self.discard.setEnabled(not busy)

    def _write(self) -> None:
        name = self.name.text().strip()
        if not name:
            show_message(self.message, "Name the program before writing it.", DANGER_BOX)
            return
        service = self.bridge.service
        try:
            future = service.programs.write(service.programs.current(name))
        except ServiceError as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self._busy(True)
        show_message(self.message, f"Writing '{name}' to the device and reading it back\u2026")
        self.bridge.run(future, self._written)

    def _written(self, future: Future) -> None:
        self._busy(False)
        error = future.exception()
        if error is not None:
            show_message(self.message, f"Not written: {error}", DANGER_BOX)
        elif not future.result().verified:
            show_message(self.message, f"Written but not verified: {future.result().mismatch}", DANGER_BOX)
        else:
            self.accept()

    def _resume(self) -> None:
        stored = self.visit.stored
        assert stored is not None  # the button exists only with a stored program
        try:
            ask = clinician_asker(self, self.bridge, self.names)
            future = self.bridge.service.programs.apply(stored, ask, self._progress)
        except ServiceError as exc:
            show_message(self.message, f"Therapy not resumed: {exc}", DANGER_BOX)
            return
        self._busy(True)
        show_message(self.message, f"Resuming '{stored.name}'\u2026")
        self.bridge.run(future, lambda done: isValid(self) and self._resumed(done))

    def _progress(self, step: ApplyProgress) -> None:
        if step.lead is not None:
            text = f"Resuming '{step.program.name}': {self.names.name(step.lead)}\u2026"
            self.bridge.in_gui(lambda: isValid(self) and show_message(self.message, text))

    def _resumed(self, future: Future) -> None:
        self._busy(False)
        if future.exception() is not None:
            show_message(self.message, f"Therapy not resumed: {future.exception()}", DANGER_BOX)
            return
        stored = self.visit.stored
        show_message(self.message, f"Therapy resumed with '{stored.name if stored else ''}'.", OK_BOX)
        self.primary.hide()
        self.discard.setText(self.action.capitalize())


def confirm_discard_unwritten(
    bridge: ServiceBridge, parent: QWidget | None, names: LeadNames, action: str = "close"
) -> bool:
    """True when it is fine to go on: nothing unwritten, written now and verified, or discarded."""
    if not bridge.service.programs.unwritten_changes():
        return True
    return UnwrittenDialog(bridge, action, names, parent).exec() == QDialog.DialogCode.Accepted
