"""Sessions left unclosed (the workstation stopped during them), offered for resumption."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget
from shiboken6 import isValid

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.patients.patient_dialog import patient_label
from ui.theme import DANGER_BOX
from ui.widgets import local_time, message_label, named, show_message
from workstation.models import Patient, Session


def session_label(session: Session, patient: Patient) -> str:
    return (
        f"{patient_label(patient)} \u00b7 started {local_time(session.started)} "
        f"by {session.clinician} \u00b7 device {session.device_serial} \u00b7 {session.state.value.lower()}"
    )


class ResumeDialog(dialogs.Dialog):
    """Sessions left unclosed (the workstation stopped during them); resumes the chosen one."""

    def __init__(
        self, bridge: ServiceBridge, sessions: list[tuple[Session, Patient]], parent: QWidget | None = None
    ) -> None:
        super().__init__("resumeDialog", parent)
        self.bridge = bridge
        self.setWindowTitle("Resume an unfinished session")
        intro = QLabel(
            "These sessions were not ended (the workstation stopped during them). Resume one to "
            "keep recording in it; everything recorded so far is kept."
        )
        intro.setWordWrap(True)
        self.sessions = named(QListWidget(), "resumeList", "Unfinished sessions", "Sessions never ended, newest first.")
        identity = bridge.service.state.identity
        for session, patient in sessions:
            other = identity is not None and identity.serial != session.device_serial
            item = QListWidgetItem(
                session_label(session, patient) + (" \u00b7 not the connected device" if other else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, session.id)
            self.sessions.addItem(item)
        self.sessions.setCurrentRow(0)
        self.sessions.itemDoubleClicked.connect(lambda _item: self._resume())
        self.message = message_label("resumeMessage", "Why the session was not resumed")
        buttons = QDialogButtonBox()
        resume = named(
            buttons.addButton("Resume", QDialogButtonBox.ButtonRole.AcceptRole),
            "resumeAccept",
            "Resume session",
            "Take up the selected session again.",
        )
        resume.setDefault(True)
        named(
            buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole),
            "resumeCancel",
            "Not now",
            "Leave the sessions unfinished; you can resume them later with Resume\u2026",
        )
        buttons.accepted.connect(self._resume)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.sessions)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, 260)

    def _resume(self) -> None:
        item = self.sessions.currentItem()
        if item is None:
            return
        future = self.bridge.service.recording.resume_session(item.data(Qt.ItemDataRole.UserRole))
        self.bridge.run(future, lambda done: isValid(self) and self._resumed(done))

    def _resumed(self, future: Future) -> None:
        if future.exception() is not None:
            show_message(self.message, str(future.exception()), DANGER_BOX)
            return
        self.accept()
