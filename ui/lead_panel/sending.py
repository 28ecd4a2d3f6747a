"""How the lead panel sends: one service call at a time, with the confirmation the
service asks for (charge density, a large rise) and the refusal in words.

A mixin of LeadPanel (ui/lead_panel/view.py): it uses the panel's _bridge,
_service, _amplitude, _show_refusal, _refresh and names.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from shiboken6 import isValid

from drivers.types import LeadConfig
from ui.lead_panel.confirm import ask_confirmation
from workstation.service import ConfirmationRequired, DeviceDeclined, ServiceError


def sentence(exc: BaseException) -> str:
    """What to tell the clinician about a failed action: the device's own sentence when it refused."""
    return exc.detail if isinstance(exc, DeviceDeclined) and exc.detail else str(exc)


class ServiceCalls:
    """Sends the panel's requests: _attempt runs one, asks for a confirmation and retries."""

    def _attempt(
        self, call: Callable[[], Future], confirm: LeadConfig | None, on_done: Callable[[Future], None] | None = None
    ) -> bool:
        """Run one service call; on ConfirmationRequired ask, record the confirmation and retry.

        Returns whether the call was accepted by the service (its future runs).
        """
        self._show_refusal(None)
        try:
            future = call()
        except ConfirmationRequired as exc:
            self._amplitude.stop_ramp()
            if confirm is not None:
                request = exc  # `exc` is unbound when the except block ends; the answer comes later
                ask_confirmation(self, self.names, request, lambda: self._confirmed(call, request, on_done))
            return False
        except ServiceError as exc:
            self._amplitude.stop_ramp()
            self._show_refusal(str(exc))
            return False
        self._bridge.run(future, lambda f: self._finished(f, on_done))
        return True

    def _confirmed(self, call: Callable[[], Future], exc: ConfirmationRequired, on_done) -> None:
        try:
            self._service.outputs.confirm(exc)
        except ServiceError as error:
            self._show_refusal(str(error))
            return
        self._attempt(call, exc.config, on_done)

    def _finished(self, future: Future, on_done: Callable[[Future], None] | None) -> None:
        if not isValid(self):
            return  # the panel was closed while the device worked
        if future.exception() is not None:
            self._amplitude.stop_ramp()
            self._show_refusal(sentence(future.exception()))
        if on_done is not None:
            on_done(future)
        self._refresh()
