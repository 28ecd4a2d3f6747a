"""One row per timing setting (pulse width, frequency, patient maximum): entry, steps, message.

A row shows the proposed value; a pending value (not yet applied) has an
amber background and the device's value in its tooltip. Typed text is
handed to the panel on Enter or when focus leaves (only if it was edited);
Escape puts back the shown value. The row never sends anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from ui.lead_panel.style import set_style_property
from ui.theme import DANGER_TEXT
from ui.widgets import message_label, named, show_message


@dataclass(frozen=True)
class RowSpec:
    field: str  # LeadConfig attribute
    parameter: str  # workstation.safety Parameter whose grid the value lies on
    label: str
    unit: str
    entry: str  # objectNames
    error: str
    up: str | None = None
    down: str | None = None


# The timing rows of the lead panel, in order.
ROWS = (
    RowSpec("pulse_width_us", "pulse_width", "Pulse width", "µs", "pwEntry", "pwError", "pwUp", "pwDown"),
    RowSpec("frequency_hz", "frequency", "Frequency", "Hz", "freqEntry", "freqError", "freqUp", "freqDown"),
    RowSpec("patient_max_ua", "amplitude", "Patient maximum", "µA", "patientMaxEntry", "patientMaxError"),
)
SPECS = {spec.field: spec for spec in ROWS}


class _Entry(QLineEdit):
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            event.accept()
        else:
            super().keyPressEvent(event)


class ParamRow(QObject):
    """The widgets of one setting, placed in the caller's grid at `row` (and the message below it)."""

    committed = Signal(str, str)  # field, typed text
    stepped = Signal(str, str)  # field, "up"/"down"

    def __init__(self, spec: RowSpec, grid: QGridLayout, row: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.spec = spec
        self._shown = ""
        self.entry = named(
            _Entry(parent),
            spec.entry,
            spec.label,
            f"{spec.label} in {spec.unit}; Enter proposes it, Escape puts back the shown value. Sent by Apply.",
        )
        self.error = message_label(spec.error, f"{spec.label} message", parent)
        label = QLabel(f"{spec.label}", parent)
        label.setBuddy(self.entry)
        grid.addWidget(label, row, 0)
        grid.addWidget(self.entry, row, 2)
        grid.addWidget(QLabel(spec.unit, parent), row, 4)
        grid.addWidget(self.error, row + 1, 0, 1, 5)
        self.buttons: list[QPushButton] = []
        for move, name, text, column in (("down", spec.down, "−", 1), ("up", spec.up, "+", 3)):
            if name is None:
                continue
            button = named(
                QPushButton(text, parent),
                name,
                f"{spec.label} {move}",
                f"{'Lower' if move == 'down' else 'Raise'} the {spec.label.lower()} by the chosen "
                "step (pending until Apply).",
            )
            button.setAutoDefault(False)
            button.setFixedWidth(34)
            button.clicked.connect(lambda _=False, m=move: self.stepped.emit(spec.field, m))
            grid.addWidget(button, row, column)
            self.buttons.append(button)
        self.entry.editingFinished.connect(self._commit)  # Enter, or focus leaving
        self.entry.escaped.connect(self._revert)

    def commit_typing(self) -> None:
        """Hand over what is typed and not yet taken (Apply clicked straight after typing)."""
        self._commit()

    def _commit(self) -> None:
        if self.entry.isModified():
            self.committed.emit(self.spec.field, self.entry.text())

    def _revert(self) -> None:
        self.entry.setText(self._shown)
        self.show_error(None)

    def show_value(self, value: int | None, device_value: int | None) -> None:
        """Show the proposed value, unless the clinician is in the middle of typing one."""
        self._shown = "" if value is None else str(value)
        if not self.entry.isModified():
            self.entry.setText(self._shown)
        pending = value is not None and device_value is not None and value != device_value
        set_style_property(self.entry, "pending", pending)
        note = f" Pending: the device has {device_value} {self.spec.unit}." if pending else ""
        self.entry.setAccessibleDescription(f"{self._shown} {self.spec.unit}.{note}")

    def clear_typing(self) -> None:
        """Forget what was typed (taken, or left on another lead): the shown value returns, no message."""
        self.entry.setModified(False)
        self.show_error(None)

    def show_error(self, text: str | None) -> None:
        show_message(self.error, text, DANGER_TEXT)
        set_style_property(self.entry, "invalid", bool(text))

    def set_enabled(self, on: bool) -> None:
        for widget in (self.entry, *self.buttons):
            widget.setEnabled(on)
