"""What each role sees: a tab or area the role may not use is disabled, with a tooltip saying why.

The service refuses what a role may not do whatever the UI shows
(workstation/service/policy.py); this only keeps the user from trying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workstation.accounts import Permission, User

if TYPE_CHECKING:
    from ui.main_window import MainWindow

TAB_NEEDS = {  # tab objectName (its widget) -> permission; every tab is here (a new one fails loudly)
    "programmingTab": Permission.PROGRAM,
    "bodyMapPanel": Permission.RECORD,
    "waveformView": Permission.CONNECT,
    "pulseScopeView": Permission.INTERROGATE,
    "impedanceView": Permission.MEASURE,
    "programsPanel": Permission.HISTORY,
    "historyView": Permission.HISTORY,
    "fieldEngineerView": Permission.SERVICE,
    "accountsView": Permission.ACCOUNTS,
}


def apply_role(window: MainWindow, user: User | None) -> None:
    tabs = window.tabs
    first_allowed = None
    for index in range(tabs.count()):
        need = TAB_NEEDS[tabs.widget(index).objectName()]
        allowed = _may(user, need)
        tabs.setTabEnabled(index, allowed)
        tabs.setTabToolTip(index, "" if allowed else f"Your role may not use this ({need.value}).")
        if allowed and first_allowed is None:
            first_allowed = index
    if first_allowed is not None and not tabs.isTabEnabled(tabs.currentIndex()):
        tabs.setCurrentIndex(first_allowed)
    window.patient_panel.setEnabled(_may(user, Permission.HISTORY))
    window.connection.setEnabled(_may(user, Permission.CONNECT))
    window.lead_chooser.setEnabled(_may(user, Permission.PROGRAM))
    window.waveforms.setEnabled(_may(user, Permission.CONNECT))  # also when shown beside the lead panel


def _may(user: User | None, permission: Permission) -> bool:
    return user is not None and user.may(permission)
