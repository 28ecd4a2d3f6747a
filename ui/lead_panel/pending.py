"""Edits to a lead that are proposed but not yet sent, and their undo commands.

Contacts, pulse width, frequency and patient maximum are edited here first
and reach the device only on Apply: a contact change switches the lead off
and zeroes its amplitude on the device, so it must be a deliberate step.
Each edit is a QUndoCommand on the workstation's undo stack, so a slip is
undone before anything is applied.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from drivers.types import LeadConfig

CONTACT_FIELDS = ("contacts",)
PARAM_FIELDS = ("pulse_width_us", "frequency_hz", "patient_max_ua")


class PendingEdits:
    """Proposed values per lead and field; a field not edited reads as the device's value."""

    def __init__(self) -> None:
        self._by_lead: dict[int, dict[str, object]] = {}

    def value(self, device: LeadConfig, field: str) -> object:
        return self._by_lead.get(device.lead, {}).get(field, getattr(device, field))

    def set(self, lead: int, field: str, value: object) -> None:
        self._by_lead.setdefault(lead, {})[field] = value

    def proposed(self, device: LeadConfig, fields: tuple[str, ...] = CONTACT_FIELDS + PARAM_FIELDS) -> LeadConfig:
        """The device's setting with the pending values of `fields` in place."""
        return device.with_(**{field: self.value(device, field) for field in fields})

    def changed(self, device: LeadConfig, fields: tuple[str, ...]) -> tuple[str, ...]:
        """Those of `fields` whose pending value differs from the device's."""
        return tuple(f for f in fields if self.value(device, f) != getattr(device, f))

    def discard(self, lead: int, fields: tuple[str, ...]) -> None:
        edits = self._by_lead.get(lead, {})
        for field in fields:
            edits.pop(field, None)


class PendingEditCommand(QUndoCommand):
    """One pending edit of one field; undo puts back the value proposed before it."""

    def __init__(
        self,
        edits: PendingEdits,
        lead: int,
        field: str,
        old: object,
        new: object,
        text: str,
        on_change: Callable[[int], None],
    ) -> None:
        super().__init__(text)
        self._edits, self._lead, self._field = edits, lead, field
        self._old, self._new = old, new
        self._on_change = on_change

    def redo(self) -> None:
        self._edits.set(self._lead, self._field, self._new)
        self._on_change(self._lead)

    def undo(self) -> None:
        self._edits.set(self._lead, self._field, self._old)
        self._on_change(self._lead)
