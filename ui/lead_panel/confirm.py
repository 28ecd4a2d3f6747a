"""Confirmation dialogs of the lead panel, opened window-modal without blocking the event loop.

Cancel is the default and the Escape answer: an unanswered or dismissed
dialog changes nothing. Each names the lead by where it sits (the window's
LeadNames). Tests find a dialog by objectName (densityConfirm, riseConfirm,
contactsConfirm) and click its button.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ui import dialogs
from ui.lead_names import LeadNames
from workstation.safety import Rule
from workstation.service import Confirm, ConfirmationRequired


def ask(
    parent: QWidget, name: str, title: str, text: str, detail: str, yes: str, on_yes: Callable[[], None]
) -> QMessageBox:
    box = dialogs.message_box(parent, name, QMessageBox.Icon.Warning, title, text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a later findChild sees only the open one
    box.setInformativeText(detail)
    accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.finished.connect(lambda _result: box.clickedButton() is accept and on_yes())
    box.open()
    return box


def ask_density(
    parent: QWidget, names: LeadNames, lead: int, exc: ConfirmationRequired, on_continue: Callable[[], None]
) -> QMessageBox:
    check = exc.assessment.check(Rule.CHARGE_DENSITY)
    return ask(
        parent,
        "densityConfirm",
        "Charge density above the warning cap",
        f"{names.name(lead)}: charge density {check.figure:.1f} µC/cm²/phase; the warning cap is "
        f"{check.limit:g} µC/cm²/phase.",
        f"{names.in_sentence(str(exc))} Continue only if you mean this setting; "
        "the confirmation is recorded in the session.",
        "Continue",
        on_continue,
    )


def ask_confirmation(
    parent: QWidget, names: LeadNames, exc: ConfirmationRequired, on_continue: Callable[[], None]
) -> QMessageBox:
    """The question for whatever the service asked to confirm (exc.kind)."""
    if exc.kind == Confirm.CHARGE_DENSITY:
        return ask_density(parent, names, exc.config.lead, exc, on_continue)
    return ask(
        parent,
        "riseConfirm",
        "Raise the amplitude",
        names.in_sentence(str(exc)),
        "The amplitude rises at the ramp rate; STOP ALL stops it. The confirmation is recorded in the session.",
        "Ramp up",
        on_continue,
    )


def ask_contacts(parent: QWidget, names: LeadNames, lead: int, on_apply: Callable[[], None]) -> QMessageBox:
    return ask(
        parent,
        "contactsConfirm",
        "Apply contacts",
        f"Applying new contacts switches {names.name(lead)} OFF and sets its amplitude to 0 mA.",
        "The device does this on any contact change. Re-measure impedance, enable the lead and raise "
        "the amplitude again from 0.",
        "Apply contacts",
        on_apply,
    )
