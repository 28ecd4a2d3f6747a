"""The administrator's tab: the accounts, a new account, and changes to the one chosen.

Each change goes through the service (workstation/service/access.py), which
checks the role, refuses an administrator changing their own role or
account, and audits it; this tab only asks and shows the answer.

Controls (objectName):
    accountsTable       user name, full name, role, active, failed attempts, throttled until
    newAccountUser      user name of a new account
    newAccountName      its full name
    newAccountRole      its role
    newAccountPassword  its first password (and newAccountPasswordAgain)
    createAccount       make it
    accountRole         the role to give the account chosen (changeRole applies it)
    toggleActive        deactivate (or activate again) the account chosen
    resetPassword       give the account chosen the new password typed in newAccountPassword
    accountsMessage     what happened, or why not
"""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.bridge import ServiceBridge
from ui.theme import DANGER_BOX
from ui.widgets import message_label, named, show_message
from workstation.accounts import Account, Permission, Role
from workstation.service import ServiceError

COLUMNS = ("User name", "Full name", "Role", "Active", "Failed attempts", "Throttled until")


class AccountsView(QWidget):
    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__()
        named(self, "accountsView", "Accounts", "")
        self.bridge, self.service = bridge, bridge.service
        self.accounts: list[Account] = []
        self.table = named(QTableWidget(0, len(COLUMNS)), "accountsTable", "Accounts", "Every account.")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._chosen_changed)

        self.user = named(QLineEdit(), "newAccountUser", "User name", "1 to 64 characters, no spaces.")
        self.full_name = named(QLineEdit(), "newAccountName", "Full name", "As it appears in the records.")
        self.role = _role_box("newAccountRole", "Role of the new account.")
        self.password = named(QLineEdit(), "newAccountPassword", "Password", "At least 8 characters.")
        self.again = named(QLineEdit(), "newAccountPasswordAgain", "Password again", "The same password once more.")
        for field in (self.password, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        for field in (self.user, self.full_name, self.password, self.again):
            field.setMaximumWidth(field.fontMetrics().horizontalAdvance("x" * 40))  # a name, not a whole screen
        self.create = named(QPushButton("Create account"), "createAccount", "Create account", "")
        self.create.clicked.connect(self._create)
        new = QGroupBox("New account, or a new password")
        form = QFormLayout(new)
        form.addRow("&User name:", self.user)
        form.addRow("&Full name:", self.full_name)
        form.addRow("&Role:", self.role)
        form.addRow("&Password:", self.password)
        form.addRow("Password &again:", self.again)
        form.addRow(self.create)

        self.chosen_role = _role_box("accountRole", "The role to give the account chosen.")
        self.change_role = named(QPushButton("Change role"), "changeRole", "Change role", "")
        self.toggle_active = named(QPushButton("Deactivate"), "toggleActive", "Deactivate", "")
        self.reset = named(
            QPushButton("Reset password"),
            "resetPassword",
            "Reset password",
            "Give the account chosen the password typed under New account (and lift its throttle).",
        )
        self.change_role.clicked.connect(self._change_role)
        self.toggle_active.clicked.connect(self._toggle_active)
        self.reset.clicked.connect(self._reset)
        chosen = QGroupBox("The account chosen")
        row = QHBoxLayout(chosen)
        for widget in (self.chosen_role, self.change_role, self.toggle_active, self.reset):
            row.addWidget(widget)
        row.addStretch(1)

        self.message = message_label("accountsMessage", "Accounts message", lines=2)
        column = QVBoxLayout(self)
        column.addWidget(self.table, 1)
        column.addWidget(chosen)
        column.addWidget(new)
        column.addWidget(self.message)
        self._chosen_changed()

    # -- reading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        user = self.service.access.user
        if user is None or self.service.access.locked or not user.may(Permission.ACCOUNTS):
            return
        self.bridge.run(self.service.access.accounts(), self._show)

    def _show(self, future: Future) -> None:
        if future.exception() is not None:
            show_message(self.message, str(future.exception()), DANGER_BOX)
            return
        chosen = self.chosen()
        self.accounts = future.result()
        self.table.setRowCount(len(self.accounts))
        for row, account in enumerate(self.accounts):
            until = account.locked_until.astimezone().strftime("%H:%M:%S") if account.locked_until else ""
            cells = (account.username, account.full_name, account.role.label, "yes" if account.active else "no")
            for column, text in enumerate((*cells, str(account.failed_attempts), until)):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if chosen is not None and account.username == chosen.username:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        self._chosen_changed()

    def chosen(self) -> Account | None:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows and rows[0].row() < len(self.accounts) else None

    def _chosen_changed(self) -> None:
        account = self.chosen()
        for widget in (self.chosen_role, self.change_role, self.toggle_active, self.reset):
            widget.setEnabled(account is not None)
        if account is not None:
            self.chosen_role.setCurrentIndex(self.chosen_role.findData(account.role.value))
            self.toggle_active.setText("Deactivate" if account.active else "Activate")

    # -- changes ----------------------------------------------------------------------------------
    def _create(self) -> None:
        if self._passwords_differ():
            return
        self._ask(
            lambda access: access.create_account(
                self.user.text(), self.full_name.text(), Role(self.role.currentData()), self.password.text()
            ),
            lambda account: f"Account {account.username} ({account.role.label.lower()}) created.",
            clear=True,
        )

    def _change_role(self) -> None:
        account = self.chosen()
        if account is not None:
            role = Role(self.chosen_role.currentData())
            self._ask(
                lambda access: access.set_role(account.username, role),
                lambda changed: f"{changed.username} is now {changed.role.label.lower()}.",
            )

    def _toggle_active(self) -> None:
        account = self.chosen()
        if account is not None:
            self._ask(
                lambda access: access.set_active(account.username, not account.active),
                lambda changed: f"{changed.username} is {'active' if changed.active else 'deactivated'}.",
            )

    def _reset(self) -> None:
        account = self.chosen()
        if account is not None and not self._passwords_differ():
            self._ask(
                lambda access: access.reset_password(account.username, self.password.text()),
                lambda changed: f"{changed.username} has a new password.",
                clear=True,
            )

    def _passwords_differ(self) -> bool:
        if self.password.text() != self.again.text():
            show_message(self.message, "The two passwords differ.", DANGER_BOX)
            return True
        return False

    def _ask(self, call, said, clear: bool = False) -> None:
        """Run one change; show what it did (and re-read the accounts) or why it was refused."""
        try:
            future = call(self.service.access)
        except ServiceError as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return

        def answered(done: Future) -> None:
            if done.exception() is not None:
                show_message(self.message, str(done.exception()), DANGER_BOX)
                return
            show_message(self.message, said(done.result()))
            if clear:
                for field in (self.user, self.full_name, self.password, self.again):
                    field.clear()
            self.refresh()

        self.bridge.run(future, answered)


def _role_box(object_name: str, tooltip: str) -> QComboBox:
    box = named(QComboBox(), object_name, "Role", tooltip)
    for role in Role:
        box.addItem(role.label, role.value)  # Qt keeps a str enum as its text: Role(data) reads it back
    return box
