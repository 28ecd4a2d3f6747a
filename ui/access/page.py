"""The page shown instead of the workstation until someone logs in, and while the screen is locked.

It is a page of the main window, not a dialog: the top bar with STOP ALL
stays above it, so STOP ALL works on it as everywhere (ui/stop_all.py).
Three forms on one page: the first administrator (first run, no account
yet), log-in, and unlock (the logged-in user's password; "Log out" lets
someone else in when no session is open).

Controls (objectName):
    accessTitle         what the page asks for
    accessUser          user name (read-only when unlocking)
    accessFullName      full name (first administrator only)
    accessPassword      password
    accessPasswordAgain the password again (first administrator only)
    accessSubmit        Log in / Unlock / Create administrator
    accessLogout        log out from the lock screen (no session open)
    accessMessage       why it was refused
"""

from __future__ import annotations

from concurrent.futures import Future
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.bridge import ServiceBridge
from ui.theme import DANGER_BOX
from ui.widgets import message_label, named, show_message
from workstation.service import ServiceError


class Mode(str, Enum):
    FIRST_ADMINISTRATOR = "Create the first administrator"
    LOGIN = "Log in"
    UNLOCK = "Locked: enter your password to unlock"


class AccessPage(QWidget):
    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__()
        self.setObjectName("accessPage")
        self.bridge, self.service = bridge, bridge.service
        self.mode = Mode.LOGIN
        self.title = named(QLabel(), "accessTitle", "Log-in", "")
        self.title.setStyleSheet("font-size:16pt;font-weight:bold;")
        self.user = named(QLineEdit(), "accessUser", "User name", "Your user name.")
        self.full_name = named(QLineEdit(), "accessFullName", "Full name", "As it appears in the records.")
        self.password = named(QLineEdit(), "accessPassword", "Password", "Your password.")
        self.again = named(QLineEdit(), "accessPasswordAgain", "Password again", "The same password once more.")
        for field in (self.password, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.returnPressed.connect(self.submit)
        self.submit_button = named(QPushButton("Log in"), "accessSubmit", "Log in", "")
        self.submit_button.clicked.connect(self.submit)
        self.logout_button = named(
            QPushButton("Log out"), "accessLogout", "Log out", "Let someone else log in (no session may be open)."
        )
        self.logout_button.clicked.connect(self._logout)
        self.message = message_label("accessMessage", "Log-in message")
        self.form = QFormLayout()
        self.form.addRow("&User name:", self.user)
        self.form.addRow("&Full name:", self.full_name)
        self.form.addRow("&Password:", self.password)
        self.form.addRow("Password &again:", self.again)
        column = QVBoxLayout(self)
        column.addStretch(1)
        column.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addLayout(self.form)
        column.addWidget(self.message)
        column.addWidget(self.submit_button)
        column.addWidget(self.logout_button)
        column.addStretch(2)
        self.setMaximumWidth(480)

    def show_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.title.setText(mode.value)
        first = mode is Mode.FIRST_ADMINISTRATOR
        for field in (self.full_name, self.again):
            field.setVisible(first)
            self.form.labelForField(field).setVisible(first)
        user = self.service.access.user
        unlocking = mode is Mode.UNLOCK and user is not None
        self.user.setReadOnly(unlocking)
        self.user.setText(user.username if unlocking and user is not None else "")
        self.logout_button.setVisible(unlocking)
        self.submit_button.setText(
            {Mode.FIRST_ADMINISTRATOR: "Create administrator", Mode.LOGIN: "Log in"}.get(mode, "Unlock")
        )
        self.password.clear()
        self.again.clear()
        show_message(self.message, None)
        (self.password if unlocking else self.user).setFocus()

    def submit(self) -> None:
        access, password = self.service.access, self.password.text()
        try:
            if self.mode is Mode.FIRST_ADMINISTRATOR:
                if password != self.again.text():
                    show_message(self.message, "The two passwords differ.", DANGER_BOX)
                    return
                future: Future = access.create_first_administrator(self.user.text(), self.full_name.text(), password)
                self.bridge.run(future, self._administrator_created)
                return
            future = access.unlock(password) if self.mode is Mode.UNLOCK else access.login(self.user.text(), password)
        except (ServiceError, ValueError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.password.clear()
        self.bridge.run(future, self._answered)

    def _administrator_created(self, future: Future) -> None:
        if future.exception() is not None:
            show_message(self.message, str(future.exception()), DANGER_BOX)
            return
        username = self.user.text().strip()
        self.bridge.run(self.service.access.login(username, self.password.text()), self._answered)
        self.password.clear()

    def _answered(self, future: Future) -> None:
        if future.exception() is not None:
            show_message(self.message, str(future.exception()), DANGER_BOX)

    def _logout(self) -> None:
        self.bridge.run(self.service.access.logout(), self._answered)
