"""Contact and timing edits of the lead panel: proposed (each an undoable command on the
workstation's undo stack), then applied together; a contact change asks first, since
the device switches the lead off on it.

A mixin of LeadPanel (ui/lead_panel/view.py): it uses the panel's _device, _caps,
_pending, _undo, _rows, _timing_step, _attempt (ui/lead_panel/sending.py), _refresh and names.
"""

from __future__ import annotations

from shiboken6 import isValid

from drivers.types import Polarity
from ui.lead_panel.confirm import ask_contacts
from ui.lead_panel.entry import InputError, parse_setting
from ui.lead_panel.params import SPECS
from ui.lead_panel.pending import CONTACT_FIELDS, PendingEditCommand
from workstation.increments import apply_increment


class PendingEditing:
    """Turns contact toggles, typed and stepped timing values into pending edits, and applies them."""

    # -- contacts ----------------------------------------------------------------------------
    def _on_polarity(self, contact: int, polarity: Polarity) -> None:
        device = self._device()
        if device is None:
            return
        old = self._pending.value(device, "contacts")
        new = tuple(polarity if i == contact - 1 else p for i, p in enumerate(old))
        if new != old:
            self._push(
                device.lead,
                "contacts",
                old,
                new,
                f"Lead {device.lead}: contact {contact} {old[contact - 1].symbol} → {polarity.symbol}",
            )

    def _on_apply_contacts(self) -> None:
        device = self._device()
        if device is None:
            return
        if device.enabled or device.amplitude_ua > 0:
            ask_contacts(self, self.names, device.lead, lambda: self._apply(CONTACT_FIELDS))
        else:
            self._apply(CONTACT_FIELDS)

    def _apply(self, fields: tuple[str, ...]) -> None:
        """Write the pending `fields` (the rest as the device has them); once written they are no longer pending."""
        device = self._device()
        if device is None:
            return
        config = self._pending.proposed(device, fields)
        self._attempt(
            lambda: self._service.outputs.write_lead(config),
            config,
            lambda f: f.exception() is None and self._pending.discard(config.lead, fields),
        )

    # -- pending timing edits ---------------------------------------------------------------------
    def _push(self, lead: int, field: str, old: object, new: object, text: str) -> None:
        self._undo.push(PendingEditCommand(self._pending, lead, field, old, new, text, self._pending_changed))

    def _pending_changed(self, lead: int) -> None:
        if isValid(self) and lead == self._lead:
            self._refresh()

    def _propose(self, field: str, value: int) -> None:
        device = self._device()
        if device is None:
            return
        old = self._pending.value(device, field)
        if value != old:
            spec = SPECS[field]
            self._push(
                device.lead, field, old, value, f"Lead {device.lead}: {spec.label.lower()} {old} → {value} {spec.unit}"
            )
        self._refresh()

    def _on_param_typed(self, field: str, text: str) -> None:
        row, caps = self._rows[field], self._caps()
        if caps is None:
            return
        try:
            value = parse_setting(caps, row.spec.parameter, text, row.spec.label)
        except InputError as exc:
            row.show_error(str(exc))
            return
        row.clear_typing()
        self._propose(field, value)

    def _on_param_stepped(self, field: str, move: str) -> None:
        device, caps = self._device(), self._caps()
        if device is None or caps is None:
            return
        row = self._rows[field]
        current = self._pending.value(device, field)
        row.clear_typing()
        self._propose(field, apply_increment(caps, row.spec.parameter, current, self._timing_step.currentIndex(), move))
