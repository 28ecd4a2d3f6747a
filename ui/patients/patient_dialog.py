"""New patient: nothing is saved unless the records accept every field."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QLineEdit, QWidget
from shiboken6 import isValid

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.patients.forms import BlankDateEdit, form_rows
from ui.theme import DANGER_BOX
from ui.widgets import message_label, named, show_message
from workstation.models import Patient


class PatientDialog(dialogs.Dialog):
    """New patient: nothing is saved unless the store accepts every field."""

    def __init__(self, bridge: ServiceBridge, parent: QWidget | None = None) -> None:
        super().__init__("patientDialog", parent)
        self.bridge = bridge
        self.patient: Patient | None = None
        self.setWindowTitle("New patient")
        self.name = named(QLineEdit(), "patientName", "Patient name", "The patient's full name.")
        self.dob = named(
            BlankDateEdit(QDate(1970, 1, 1)),
            "patientDob",
            "Date of birth",
            "Date of birth, year-month-day: type the digits, e.g. 19700315.",
        )
        self.record_number = named(
            QLineEdit(), "patientRecordNumber", "Record number", "The hospital record number; it must be unique."
        )
        self.message = message_label("patientDialogMessage", "Why the patient was not saved")
        form_rows(
            self,
            [("&Name:", self.name), ("&Date of birth:", self.dob), ("&Record number:", self.record_number)],
            self.message,
            ("Save patient", "Save the new patient in the records."),
            self._save,
        )

    def _save(self) -> None:
        born = self.dob.value()
        if born is None:
            show_message(self.message, "Enter the date of birth.", DANGER_BOX)
            self.dob.setFocus()
            return
        future = self.bridge.service.recording.add_patient(self.name.text(), born, self.record_number.text())
        self.bridge.run(future, lambda done: isValid(self) and self._saved(done))

    def _saved(self, future: Future) -> None:
        if future.exception() is not None:  # a field the records refuse, a duplicate record number
            show_message(self.message, str(future.exception()), DANGER_BOX)
            return
        self.patient = future.result()
        self.accept()


def patient_label(patient: Patient) -> str:
    return f"{patient.name} (record {patient.record_number})"
