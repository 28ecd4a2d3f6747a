"""Every dialog the workstation opens is made here, and only here.

Why: STOP ALL must stay reachable while any dialog is open (issue 8, see
docs/stop-all-reachability.md and ui/stop_all.py). A dialog made here

* has a registered, stable objectName (listed in ``DIALOGS``), so tests and
  QA automation find it, and the real-input tests in tests/ui/realinput/
  open each one and check that STOP ALL works by key and by click over it;
* is window-modal, never application-modal, also when run with exec():
  it blocks the window it belongs to, never the STOP ALL button's own
  window (an application-modal dialog blocks every window of the app);
* is Qt's own widget dialog, never a native OS dialog (a native file or
  message dialog would swallow Esc and could sit above the STOP ALL button).

A dialog that does not come from here is reported by the STOP ALL guard
when it is shown (the test fixtures fail on it), and tests/ui/test_dialogs.py
fails on any dialog constructed or subclassed elsewhere in ui/. To add a
dialog: add its name to DIALOGS, build it with one of the helpers below,
and add an opener in tests/ui/realinput/scenarios.py.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox, QWidget

MARK = "drgDialog"  # dynamic property set on every dialog made here
log = logging.getLogger(__name__)

DIALOGS: dict[str, str] = {
    "leadPositionDialog": "Lead > Place a lead… (Ctrl+L): ganglion chooser (main_window)",
    "stopAllFailed": "the device did not confirm STOP ALL (main_window)",
    "patientDialog": "New patient… (patient_panel)",
    "resumeDialog": "resume an unfinished session (patient_panel)",
    "placeLeadDialog": "record a lead placement at a ganglion (patient_panel)",
    "sessionEndConfirm": "End session… without unwritten changes (patient_panel)",
    "unwrittenDialog": "unwritten changes before closing or ending (ui.programs)",
    "programWriteConfirm": "write a program to the device (ui.programs)",
    "densityConfirm": "charge density above the warning cap (lead_panel/confirm)",
    "riseConfirm": "an amplitude rise of more than one large increment, with its ramp time (lead_panel)",
    "contactsConfirm": "applying contacts switches the lead off (lead_panel/confirm)",
    "impedanceExportFile": "save impedance as CSV (impedance/view)",
    "waveformExportFile": "save waveforms as PNG or CSV (waveforms/view)",
    "waveformExportFailed": "waveform export could not be written (waveforms/view)",
    "fieldExportFile": "save a field-engineer export, capture or diagnostics bundle (fieldeng/view)",
    "visitReportFile": "save a visit's report as PDF (history/view)",
    "visitExportFile": "export a visit as FHIR and CSV (history/view)",
    "visitPrintDialog": "print a visit's report (history/view; Visit > Print this visit's report…)",
}


def register(dialog: QDialog, name: str) -> QDialog:
    """Name and mark a dialog; window-modal; Qt's widget dialog instead of a native one.

    A name missing from DIALOGS still gives a working dialog (a clinician must never meet an
    exception here), but it is not registered: the STOP ALL guard reports it when shown and
    the test fixtures fail on it."""
    if name not in DIALOGS:
        log.error("dialog %r is not in ui.dialogs.DIALOGS: add it, and a real-input scenario", name)
    dialog.setObjectName(name)
    dialog.setProperty(MARK, True)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)  # kept by exec(), which would make it application-modal
    if isinstance(dialog, QFileDialog):
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    elif isinstance(dialog, QMessageBox):
        dialog.setOption(QMessageBox.Option.DontUseNativeDialog)
    return dialog


def is_registered(dialog: QDialog) -> bool:
    return bool(dialog.property(MARK)) and dialog.objectName() in DIALOGS


class Dialog(QDialog):
    """Base class of the workstation's own dialogs."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        register(self, name)


def message_box(parent: QWidget | None, name: str, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A message box without buttons yet (add them, then open())."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    return register(box, name)


def input_dialog(parent: QWidget | None, name: str) -> QInputDialog:
    return register(QInputDialog(parent), name)


def save_file_name(parent: QWidget | None, name: str, caption: str, directory: str, file_filter: str) -> str:
    """Ask where to save (blocks in its own event loop, as QFileDialog.getSaveFileName); '' if cancelled."""
    dialog = register(QFileDialog(parent, caption, directory, file_filter), name)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selectedFiles():
            return dialog.selectedFiles()[0]
        return ""
    finally:
        dialog.deleteLater()


def print_dialog(parent: QWidget | None, name: str, printer: QPrinter) -> QPrintDialog:
    """Qt's print dialog for `printer`, window-modal; show it with QDialog.open(), never exec().

    On X11 it is Qt's own widget dialog (there is no native one), so Esc and the STOP ALL
    button reach the app. open() returns at once: the app's event loop runs on while it is up."""
    return register(QPrintDialog(printer, parent), name)
