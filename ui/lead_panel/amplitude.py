"""The amplitude area: what the device delivers, and the controls that move it.

The readout shows the device's value (after its rounding) in mA and µA, or
"unknown" when the link is down. "+" acts once on click; held, it ramps
(`rampTick` repeatedly) until released (`rampEnded`): stimulation only rises
while the clinician keeps the control held. "−" acts at once. With the area
focused, Up/Down move one small increment, PageUp/PageDown one large.
The area only emits requests; the panel checks and sends them.

objectNames: ampArea, ampReadout, ampMicro, ampDown, ampUp, ampIncrement,
ampEntry, ampSet, ampError, ampUpBlocked (why "+" is disabled), maxSafeLabel,
ampResume ("Ramp back to … mA" after a lead was switched on again at 0 µA).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ui.lead_panel.style import set_style_property
from ui.theme import WARNING_TEXT
from ui.widgets import message_label, named, show_message

HOLD_DELAY_MS = 400  # held longer than this, "+" ramps instead of stepping once
RAMP_TICK_MS = 150  # while held, the target moves one increment ahead this often
SIZE_NAMES = ("Small", "Medium", "Large")
KEY_MOVES = {
    Qt.Key.Key_Up: ("up", 0),
    Qt.Key.Key_Down: ("down", 0),
    Qt.Key.Key_PageUp: ("up", 2),
    Qt.Key.Key_PageDown: ("down", 2),
}


class AmplitudeArea(QFrame):
    step = Signal(str, int)  # "up"/"down", increment size 0..2
    rampTick = Signal(int)  # size; "+" is still held
    rampEnded = Signal()  # "+" released after ramping
    setRequested = Signal(str)  # the typed amplitude text
    resumeRequested = Signal()  # ramp back to the amplitude the lead had before it was switched off

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(
            self,
            "ampArea",
            "Amplitude",
            "Amplitude. Up/Down: one small increment; PageUp/PageDown: one large increment.",
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.readout = named(
            QLabel("unknown", self),
            "ampReadout",
            "Amplitude on the device",
            "Amplitude the device holds now, after rounding to its step.",
        )
        self.micro = named(QLabel("", self), "ampMicro", "Amplitude in microamps", "The same value in µA.")
        self.down = named(
            QPushButton("−", self),
            "ampDown",
            "Decrease amplitude",
            "Lower the amplitude by the chosen increment, at once.",
        )
        self.up = named(
            QPushButton("+", self),
            "ampUp",
            "Increase amplitude",
            "Click: raise by the chosen increment. Hold: ramp up while held; release stops.",
        )
        self.increment = named(QComboBox(self), "ampIncrement", "Amplitude increment", "Size of one − / + step.")
        self.entry = named(
            QLineEdit(self),
            "ampEntry",
            "Amplitude to set",
            "Type an amplitude in mA, as the readout shows it (or in µA with the unit, e.g. "
            "1250 µA); it is rounded down to the device step and a rise is ramped.",
        )
        self.entry.setPlaceholderText("mA, e.g. 1.25 (or 1250 µA)")
        self.entry.setMaximumWidth(self.entry.fontMetrics().horizontalAdvance(self.entry.placeholderText()) + 24)
        self.set_button = named(
            QPushButton("Set", self), "ampSet", "Set amplitude", "Send the typed amplitude (rises are ramped)."
        )
        self.error = message_label("ampError", "Amplitude entry message", self, lines=1)
        self.resume = named(
            QPushButton("Ramp back", self),
            "ampResume",
            "Ramp back to the earlier amplitude",
            "The lead was switched on again at 0 mA. Click to ramp back up to the amplitude "
            "it had before it was switched off (a large rise asks first).",
        )
        self.resume.setAutoDefault(False)
        policy = self.resume.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing or hiding it does not move the controls below
        self.resume.setSizePolicy(policy)
        self.resume.hide()
        self.blocked = message_label("ampUpBlocked", "Why + is off", self, lines=2)  # in words, not only in a tooltip
        self.max_safe = named(
            QLabel("Limit: –", self),
            "maxSafeLabel",
            "Highest amplitude without a warning",
            "Highest amplitude with no warning or refusal for these settings: below the "
            "charge density cap and the Shannon limit, within compliance and the patient maximum.",
        )
        for button in (self.up, self.down):
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setAutoDefault(False)
        self._layout()
        self._hold = QTimer(self, singleShot=True, interval=HOLD_DELAY_MS)
        self._ramp = QTimer(self, interval=RAMP_TICK_MS)
        self._hold.timeout.connect(self._start_ramp)
        self._ramp.timeout.connect(lambda: self.rampTick.emit(self.size()))
        self.up.pressed.connect(self._pressed)
        self.up.released.connect(self._released)
        self.down.clicked.connect(lambda: self.step.emit("down", self.size()))
        self.set_button.clicked.connect(lambda: self.setRequested.emit(self.entry.text()))
        self.entry.returnPressed.connect(self.set_button.click)
        self.resume.clicked.connect(self.resumeRequested)

    def _layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        readout = QHBoxLayout()
        readout.addWidget(self.readout)
        readout.addWidget(self.micro, 0, Qt.AlignmentFlag.AlignBottom)
        readout.addStretch()
        grid.addLayout(readout, 0, 0, 1, 4)
        grid.addWidget(self.down, 1, 0)
        grid.addWidget(self.up, 1, 1)
        grid.addWidget(self.increment, 1, 2, 1, 2)
        grid.addWidget(self.resume, 2, 0, 1, 4)
        grid.addWidget(self.blocked, 3, 0, 1, 4)
        grid.addWidget(self.max_safe, 4, 0, 1, 4)
        grid.addWidget(self.entry, 5, 0, 1, 3)
        grid.addWidget(self.set_button, 5, 3)
        grid.addWidget(self.error, 6, 0, 1, 4)
        grid.setColumnStretch(2, 1)

    # -- what the panel shows --------------------------------------------------------
    def show_amplitude(self, ua: int | None) -> None:
        if ua is None:
            self.readout.setText("unknown")
            self.micro.setText("link down")
        else:
            self.readout.setText(f"{ua / 1000:.3f} mA")
            self.micro.setText(f"{ua} µA")
        set_style_property(self.readout, "state", "unknown" if ua is None else "known")
        self.setAccessibleDescription(f"Amplitude {self.readout.text()}")

    def show_increments(self, sizes: tuple[int, int, int], unit: str = "µA") -> None:
        current = max(self.increment.currentIndex(), 0)
        labels = [f"{name} ({size} {unit})" for name, size in zip(SIZE_NAMES, sizes)]
        if labels != [self.increment.itemText(i) for i in range(self.increment.count())]:
            self.increment.blockSignals(True)
            self.increment.clear()
            self.increment.addItems(labels)
            self.increment.setCurrentIndex(current)
            self.increment.blockSignals(False)

    def show_max_safe(self, ua: int | None, with_pending: bool = False) -> None:
        text = "Limit: –" if ua is None else f"Limit: {ua / 1000:.3f} mA"
        self.max_safe.setText(text + (" (with the pending edits)" if with_pending and ua is not None else ""))

    def offer_resume(self, ua: int | None) -> None:
        """Show "Ramp back to …" for an earlier amplitude, or hide it (None); its space stays."""
        if ua is None:
            self.resume.hide()
            return
        self.resume.setText(f"Ramp back to {ua / 1000:.3f} mA")
        self.resume.setAccessibleDescription(f"Ramp back to {ua / 1000:.3f} mA ({ua} µA)")
        self.resume.show()

    def allow_up(self, allowed: bool, reason: str) -> None:
        if not allowed:
            self.stop_ramp()
        self.up.setEnabled(allowed)
        self.up.setToolTip(reason)
        show_message(self.blocked, None if allowed else reason, WARNING_TEXT)

    def size(self) -> int:
        return max(self.increment.currentIndex(), 0)

    # -- hold to ramp -------------------------------------------------------------
    @property
    def ramping(self) -> bool:
        return self._ramp.isActive()

    def _pressed(self) -> None:
        self.step.emit("up", self.size())
        self._hold.start()

    def _start_ramp(self) -> None:
        if self.up.isDown():
            self._ramp.start()
            self.rampTick.emit(self.size())

    def _released(self) -> None:
        self._hold.stop()
        self.stop_ramp()

    def stop_ramp(self) -> None:
        """End a ramp (release, refusal, link lost); the panel holds the amplitude where it is."""
        self._hold.stop()
        if self._ramp.isActive():
            self._ramp.stop()
            self.rampEnded.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        move = KEY_MOVES.get(event.key())
        focused = QApplication.focusWidget() in (self, self.up, self.down)  # not while typing in ampEntry
        if move is None or not focused:
            super().keyPressEvent(event)
            return
        if move[0] == "down" or self.up.isEnabled():
            self.step.emit(*move)
        event.accept()
