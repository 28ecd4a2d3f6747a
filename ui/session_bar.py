"""The top bar's patient part: who is on the table, their record number and
the session's state, always in sight whatever tab or panel is in front."""

from __future__ import annotations

from concurrent.futures import Future
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy
from shiboken6 import isValid

from ui import theme
from ui.bridge import ServiceBridge
from ui.widgets import local_time, named
from workstation.models import Session

NO_SESSION = "No session: choose the patient, then Start."
NOBODY = "Nobody is logged in: log in to see patients and start a session."


class SessionBar(QLabel):
    """'Jane Demo · MRN-104522 · session since 10:53' (objectName sessionBar)."""

    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__()
        named(self, "sessionBar", "Patient and session", "The patient being programmed and the session's state.")
        self._bridge = bridge
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(f"padding:1px 6px;background:{theme.SURFACE_PALE};border-radius:3px;")
        bridge.sessionChanged.connect(self._session_changed)
        bridge.userChanged.connect(lambda *_: self._session_changed(bridge.service.session))
        self._session_changed(bridge.service.session)

    def _session_changed(self, session: Session | None) -> None:
        if session is None:  # before a log-in there is no patient to choose: say what comes first
            text = NO_SESSION if self._bridge.service.access.user is not None else NOBODY
            self.setText(f'<span style="color:{theme.TEXT_MUTED}">{text}</span>')
            return
        self.setText(f"Session since {local_time(session.started)} \u00b7 reading the patient\u2026")
        future = self._bridge.service.recording.patient(session.patient_id)
        self._bridge.run(future, lambda done: self._patient_read(session, done))

    def _patient_read(self, session: Session, future: Future) -> None:
        if not isValid(self) or self._bridge.service.session is not session or future.exception() is not None:
            return
        patient = future.result()
        self.setText(
            f"<b>{escape(patient.name)}</b> \u00b7 record {escape(patient.record_number)}"
            f" \u00b7 session in progress since {local_time(session.started)}"
        )
