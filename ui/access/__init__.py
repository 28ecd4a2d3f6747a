"""Who is at the workstation: the log-in / first-administrator / lock page, the inactivity lock and
what each role sees."""

from ui.access.accounts import AccountsView
from ui.access.idle import IdleLock
from ui.access.page import AccessPage
from ui.access.roles import apply_role

__all__ = ["AccessPage", "AccountsView", "IdleLock", "apply_role"]
