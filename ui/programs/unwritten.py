"""The guard before closing or ending a session with live settings the device does not store."""

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

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.theme import DANGER_BOX
from ui.widgets import message_label, named, show_message
from workstation.service import ServiceError


class UnwrittenDialog(dialogs.Dialog):
    """Lists what is live but not stored, and offers Write now / Discard / Cancel."""

    def __init__(self, bridge: ServiceBridge, action: str, parent: QWidget | None = None) -> None:
        super().__init__("unwrittenDialog", parent)
        self.bridge = bridge
        service = bridge.service
        stored = service.state.stored_program
        self.setWindowTitle("Unwritten changes")
        intro = QLabel(
            f"The device's live settings differ from its stored program "
            f"'{stored.name if stored else '?'}'. If you {action} without writing, the device returns "
            "to its stored program when the programmer disconnects, and these changes are lost:"
        )
        intro.setWordWrap(True)
        changes = named(
            QListWidget(),
            "unwrittenList",
            "Unwritten changes",
            "Each setting that is live on the device but not stored in it.",
        )
        changes.addItems(service.programs.unwritten_changes())
        self.name = named(
            QLineEdit(stored.name if stored else ""),
            "unwrittenName",
            "Program name",
            "Name under which the live settings are stored if you choose Write now.",
        )
        self.message = message_label("unwrittenMessage", "Write result")
        buttons = QDialogButtonBox()
        self.write = named(
            buttons.addButton("Write now", QDialogButtonBox.ButtonRole.AcceptRole),
            "unwrittenWrite",
            "Write now",
            "Store the live settings in the device, read them back and verify.",
        )
        self.discard = named(
            buttons.addButton("Discard changes", QDialogButtonBox.ButtonRole.DestructiveRole),
            "unwrittenDiscard",
            "Discard changes",
            f"Do not store the live settings; {action} anyway.",
        )
        cancel = named(
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel),
            "unwrittenCancel",
            "Cancel",
            f"Go back without writing; do not {action}.",
        )
        cancel.setDefault(True)
        # The buttons decide themselves: Write now must not close before the read-back.
        self.write.clicked.connect(self._write)
        self.discard.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(changes)
        row = QHBoxLayout()
        row.addWidget(QLabel("Store as:"))
        row.addWidget(self.name)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, 320)

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
        self.write.setEnabled(False)
        self.discard.setEnabled(False)
        show_message(self.message, f"Writing '{name}' to the device and reading it back\u2026")
        self.bridge.run(future, self._written)

    def _written(self, future: Future) -> None:
        self.write.setEnabled(True)
        self.discard.setEnabled(True)
        error = future.exception()
        if error is not None:
            show_message(self.message, f"Not written: {error}", DANGER_BOX)
        elif not future.result().verified:
            show_message(self.message, f"Written but not verified: {future.result().mismatch}", DANGER_BOX)
        else:
            self.accept()


def confirm_discard_unwritten(bridge: ServiceBridge, parent: QWidget | None, action: str = "close") -> bool:
    """True when it is fine to go on: nothing unwritten, written now and verified, or discarded."""
    if not bridge.service.programs.unwritten_changes():
        return True
    return UnwrittenDialog(bridge, action, parent).exec() == QDialog.DialogCode.Accepted
