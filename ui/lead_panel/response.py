"""Stimulus response: what the patient felt, where, and at which amplitudes.

"Perception threshold", "Comfortable" and "Max tolerable" capture the
amplitude the DEVICE holds now for this lead and configuration; changing
the lead's contacts, pulse width or frequency clears the captures (they
belong to one configuration). "Save response" builds a
workstation.models.StimulusResponse; its ValueError sentence shows inline.
Where the patient feels it is painted, with its side, as the lead's area on
the body map ("Where is it felt?" opens it with the lead's brush): one way
to record it, saved and logged with the visit's map.

objectNames: recordPerception, recordComfortable, recordMaxTolerable (with
perceptionValue, comfortableValue, maxTolerableValue), responseWhere,
sensation, paresthesiaFree, saveResponse, responseMessage.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)

from drivers.types import LeadConfig
from ui.theme import DANGER_TEXT, OK_TEXT, WARNING_TEXT
from ui.widgets import message_label, named, show_message
from workstation.models import Sensation, StimulusResponse

CAPTURES = (  # StimulusResponse field, button text, button objectName, value objectName
    ("perception_threshold_ua", "Perception threshold", "recordPerception", "perceptionValue"),
    ("comfortable_ua", "Comfortable", "recordComfortable", "comfortableValue"),
    ("max_tolerable_ua", "Max tolerable", "recordMaxTolerable", "maxTolerableValue"),
)


def _config_key(config: LeadConfig) -> tuple:
    return config.lead, config.contacts, config.pulse_width_us, config.frequency_hz


class ResponseForm(QGroupBox):
    responseReady = Signal(object)  # StimulusResponse to record
    whereFelt = Signal()  # the clinician wants to paint where this lead is felt

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Stimulus response", parent)
        self._config: LeadConfig | None = None
        self._captured: dict[str, int] = {}
        grid = QGridLayout(self)
        grid.setVerticalSpacing(3)
        self._buttons: list[QPushButton] = []
        self._values: dict[str, QLabel] = {}
        for row, (field, text, name, value_name) in enumerate(CAPTURES):
            button = named(
                QPushButton(text, self),
                name,
                f"Record {text.lower()}",
                f"Record the amplitude the device holds now as the {text.lower()} for this lead and configuration.",
            )
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, f=field: self._capture(f))
            value = named(QLabel("–", self), value_name, f"{text} recorded", f"{text} captured for this response.")
            grid.addWidget(button, row, 0)
            grid.addWidget(value, row, 1)
            self._buttons.append(button)
            self._values[field] = value
        self.where = named(
            QPushButton("Where is it felt?…", self),
            "responseWhere",
            "Where is it felt",
            "Paint where the patient feels this lead on the body map (left and right), with the lead's brush.",
        )
        self.where.setAutoDefault(False)
        self.where.clicked.connect(self.whereFelt)
        self.sensation = named(QComboBox(self), "sensation", "Sensation", "What the patient feels.")
        for sensation in Sensation:
            if sensation is not Sensation.NONE:  # nothing felt: the Paresthesia-free box says it
                self.sensation.addItem(sensation.value.capitalize(), sensation)
        self.paresthesia_free = named(
            QCheckBox("Paresthesia-free", self),
            "paresthesiaFree",
            "Paresthesia-free",
            "Check when the therapy works without the patient feeling anything.",
        )
        self.paresthesia_free.toggled.connect(lambda free: self.sensation.setEnabled(not free))
        self.save = named(
            QPushButton("Save response", self),
            "saveResponse",
            "Save response",
            "Record this stimulus response in the session.",
        )
        self.save.setAutoDefault(False)
        self.message = message_label("responseMessage", "Stimulus response message", self, lines=2)
        grid.addWidget(self.sensation, 3, 0, 1, 2)
        grid.addWidget(self.paresthesia_free, 4, 0, 1, 2)
        grid.addWidget(self.save, 5, 0, 1, 2)
        grid.addWidget(self.where, 0, 2, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.message, 7, 0, 1, 3)
        grid.setRowStretch(6, 1)  # the controls stay together at the top
        grid.setColumnStretch(2, 1)
        self.save.clicked.connect(self._save)

    def set_config(self, config: LeadConfig | None) -> None:
        """The device's setting of the lead shown (None: unknown); a new configuration clears captures."""
        if config is not None and self._config is not None and _config_key(config) != _config_key(self._config):
            if self._captured:
                show_message(
                    self.message, "The lead's configuration changed: captured amplitudes cleared.", WARNING_TEXT
                )
            self._clear_captures()
        self._config = config
        for button in self._buttons:
            button.setEnabled(config is not None)

    def _capture(self, field: str) -> None:
        if self._config is None:
            return
        ua = self._config.amplitude_ua
        self._captured[field] = ua
        self._values[field].setText(f"{ua / 1000:.3f} mA")
        show_message(self.message, None)

    def _clear_captures(self) -> None:
        self._captured.clear()
        for value in self._values.values():
            value.setText("–")

    def _save(self) -> None:
        config = self._config
        if config is None:
            show_message(self.message, "The lead's setting is unknown: reconnect before recording.", DANGER_TEXT)
            return
        try:
            response = StimulusResponse(
                config.lead,
                config.contacts,
                config.pulse_width_us,
                config.frequency_hz,
                Sensation.NONE if self.paresthesia_free.isChecked() else self.sensation.currentData(),
                self.paresthesia_free.isChecked(),
                **self._captured,
            )
        except ValueError as exc:
            show_message(self.message, str(exc), DANGER_TEXT)
            return
        self.responseReady.emit(response)

    def show_outcome(self, error: str | None, note: str = "") -> None:
        """After recording: the error sentence, or a confirmation (captures cleared for the next test)."""
        if error:
            show_message(self.message, error, DANGER_TEXT)
            return
        self._clear_captures()
        show_message(self.message, f"Response saved in the session{note}.", OK_TEXT)

    def reset(self) -> None:
        """Another lead (or session) is shown: nothing captured for it yet."""
        self._config = None
        self._clear_captures()
        show_message(self.message, None)
        self.paresthesia_free.setChecked(False)
        self.sensation.setCurrentIndex(0)
