"""Form pieces the patient dialogs share: a date field that starts blank, OK / Cancel, a form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QSignalBlocker
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from ui.widgets import named

DATE_FORMAT = "yyyy-MM-dd"


class BlankDateEdit(QDateEdit):
    """A date field that starts empty ("not entered"), so an untouched field is never a real date.

    Focus puts `start` in place so the date can be typed section by section
    (e.g. 19700315); leaving without typing anything makes it blank again.
    """

    def __init__(self, start: QDate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start = start
        self._seeded = False
        self.setDisplayFormat(DATE_FORMAT)
        self.setCalendarPopup(True)
        self.setMinimumDate(QDate(1899, 12, 31))  # the blank value, shown as the special text
        self.setMaximumDate(QDate.currentDate())
        self.setSpecialValueText("not entered")
        self.setDate(self.minimumDate())
        self.dateChanged.connect(self._entered)

    def value(self) -> date | None:
        return None if self.date() == self.minimumDate() else self.date().toPython()

    def _entered(self) -> None:
        self._seeded = False

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.value() is None:
            with QSignalBlocker(self):
                self.setDate(self._start)
            self._seeded = True
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.text():
            self._seeded = False
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._seeded:
            with QSignalBlocker(self):
                self.setDate(self.minimumDate())
            self._seeded = False


def dialog_buttons(dialog: QDialog, ok_text: str, ok_tip: str) -> QDialogButtonBox:
    """OK (which validates before closing) and Cancel, with names and tooltips."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    named(ok, f"{dialog.objectName()}Ok", ok_text, ok_tip)
    named(
        buttons.button(QDialogButtonBox.StandardButton.Cancel),
        f"{dialog.objectName()}Cancel",
        "Cancel",
        "Close without saving anything.",
    )
    buttons.rejected.connect(dialog.reject)
    return buttons


def form_rows(
    dialog: QDialog, rows: list[tuple], message: QLabel, ok: tuple[str, str], on_ok: Callable[[], None]
) -> None:
    """A form dialog: labelled fields, the message that says why OK did nothing, OK / Cancel."""
    form = QFormLayout(dialog)
    for row in rows:
        form.addRow(*row)
    form.addRow(message)
    buttons = dialog_buttons(dialog, *ok)
    buttons.accepted.connect(on_ok)
    form.addRow(buttons)
