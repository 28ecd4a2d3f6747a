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
    shown = tabs.currentIndex()  # Qt moves off a tab as it is disabled: put back what is meant below
    first_allowed = None
    for index in range(tabs.count()):
        need = TAB_NEEDS[tabs.widget(index).objectName()]
        allowed = _may(user, need)
        tabs.setTabEnabled(index, allowed)
        tabs.setTabToolTip(index, "" if allowed else f"Your role may not use this ({need.value}).")
        if allowed and first_allowed is None:
            first_allowed = index
    # locked or logged out, the tab shown is kept for the next user; one whose role may not use it gets
    # the first tab it may (a clinician logging in on a fresh start landed on the field engineer's)
    tabs.setCurrentIndex(shown if first_allowed is None or tabs.isTabEnabled(shown) else first_allowed)
    window.patient_panel.setEnabled(_may(user, Permission.HISTORY))
    window.connection.setEnabled(_may(user, Permission.CONNECT))
    window.lead_chooser.setEnabled(_may(user, Permission.PROGRAM))
    window.waveforms.setEnabled(_may(user, Permission.CONNECT))  # also when shown beside the lead panel


def _may(user: User | None, permission: Permission) -> bool:
    return user is not None and user.may(permission)
