"""The clinician's answer to a confirmation that a service thread asks for (during Apply)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.lead_panel.confirm import ask_confirmation
from workstation.service import ConfirmationRequired


def clinician_asker(
    owner: QWidget, bridge: ServiceBridge, names: LeadNames
) -> Callable[[ConfirmationRequired], Future[bool]]:
    """An `ask` for service.programs.apply: shows the question over `owner` on the GUI thread.

    The future holds True only for an explicit yes; closing the question, STOP ALL
    or `owner` going away answer no.
    """

    def ask(request: ConfirmationRequired) -> Future[bool]:
        answer: Future[bool] = Future()

        def no() -> None:
            answer.done() or answer.set_result(False)

        def show() -> None:
            if not isValid(owner):
                no()  # the window is gone: nobody can answer
                return
            box = ask_confirmation(owner, names, request, lambda: answer.done() or answer.set_result(True))
            box.finished.connect(lambda _result: no())
            bridge.stopped.connect(box.reject)  # STOP ALL answers "no" and closes the question
            owner.destroyed.connect(no)

        bridge.in_gui(show)
        return answer

    return ask
