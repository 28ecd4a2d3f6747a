"""Lock the screen after a spell without keyboard or mouse input (workstation.accounts.IDLE_LOCK_S)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from workstation.accounts import IDLE_LOCK_S
from workstation.service import ProgrammingService

INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleLock(QObject):
    """An application-wide event filter: any input restarts the countdown; at its end, `access.lock()`."""

    def __init__(self, service: ProgrammingService, seconds: float = IDLE_LOCK_S, parent: QObject | None = None):
        super().__init__(parent)
        self.service = service
        self.timer = QTimer(self, singleShot=True, interval=int(seconds * 1000))
        self.timer.timeout.connect(self.expire)
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT:
            self.timer.start()
        return False

    def expire(self) -> None:
        """The countdown ran out (a test calls this instead of waiting): lock, if someone is logged in."""
        self.service.access.lock("inactivity")
