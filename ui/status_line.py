"""The main window's status bar, which says only what is still true (issue 14).

A message describes the moment it was said: it goes with the next change of
the link, the session or the user (`moved_on`), and sooner once its own
condition stops holding ("every output is off" once a lead is switched on
again: `recheck` on every change of the device's settings).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QStatusBar


def always() -> bool:
    return True


class StatusLine:
    def __init__(self, bar: QStatusBar) -> None:
        self._bar = bar
        self._holds: Callable[[], bool] = always

    def say(self, text: str, timeout_ms: int = 0, holds: Callable[[], bool] = always) -> None:
        self._holds = holds
        self._bar.showMessage(text, timeout_ms)

    def recheck(self, *_change: object) -> None:
        """The device's settings changed: take the message away if what it says is no longer so."""
        if not self._holds():
            self._bar.clearMessage()

    def moved_on(self, *_change: object) -> None:
        """The link, the session or the user changed: whatever was said was about before."""
        self._bar.clearMessage()
