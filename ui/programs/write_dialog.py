"""The confirmation before a program is stored in the device."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from drivers.types import Program
from ui import dialogs
from ui.lead_names import LeadNames
from ui.programs.tables import fill_lead_table, lead_table
from ui.widgets import named
from workstation.wording import CONTACT_LEGEND, by_lead


def ask_write(
    parent: QWidget, program: Program, write: Callable[[Program], None], names: LeadNames | None = None
) -> dialogs.Dialog:
    """Open the window-modal confirmation; `write(program)` runs when the clinician accepts."""
    dialog = dialogs.Dialog("programWriteConfirm", parent)
    dialog.setWindowTitle("Write program to device")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    text = QLabel(
        f"Store '{program.name}' in the device? It replaces the stored program and is live at "
        "once; it is also what the device runs after the programmer disconnects. It is read back "
        "and compared. (A program that would raise any output must be applied to the leads "
        "first, so its amplitudes ramp.)"
    )
    names = names or LeadNames()
    maxima = "; ".join(
        f"{names.name(config.lead)}: {config.patient_max_ua / 1000:.3f} mA"
        for config in program.leads
        if config.enabled
    )
    patient = named(
        QLabel(f"The patient can raise stimulation up to: {maxima or 'no lead is on'}."),
        "programWritePatientMax",
        "Patient maximum",
        "The highest amplitude the patient controller allows on each lead that stimulates.",
    )
    patient.setWordWrap(True)
    text.setWordWrap(True)
    table = lead_table("programWriteTable", "Program to be stored")
    fill_lead_table(table, [("", by_lead(program.leads))], names=names)
    buttons = QDialogButtonBox()
    named(
        buttons.addButton("Write to device", QDialogButtonBox.ButtonRole.AcceptRole),
        "programWriteOk",
        "Write to device",
        "Store this program in the device and verify it.",
    )
    cancel = named(
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel), "programWriteCancel", "Cancel", "Do not write."
    )
    cancel.setDefault(True)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(patient)
    layout.addWidget(table)
    layout.addWidget(QLabel(CONTACT_LEGEND))
    layout.addWidget(buttons)
    dialog.accepted.connect(lambda: write(program))
    dialog.resize(560, 320)
    dialog.open()
    return dialog
