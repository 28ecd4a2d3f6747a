"""Outcomes the host could not know, settled when the device is back.

A command whose reply was lost, with the device unreachable to read back,
is recorded with the outcome *unknown*, never as done or not done. Each such
record waits here. After the reconnect has re-read the device, `settle`
appends one correction per record saying what the device holds, so the
records end in agreement with the device. The corrected record itself stays
as it was (the log is append-only); readers fold the correction in
(`SavedProgram.settled`).

What the device did while the link was down is said too: if its live
settings changed (the watchdog went back to the stored program), the
clinician is told plainly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.types import LeadConfig, Program
from workstation.events import EventKind
from workstation.service.mirror import DeviceState
from workstation.service.notices import DeviceReverted, OutcomeSettled
from workstation.service.ports import Records
from workstation.wording import by_lead, describe_mismatch, lead_differences, lead_text, program_status


@dataclass(frozen=True)
class UnknownLead:
    """A lead command whose outcome is unknown: settled by what the device holds for the lead."""

    event_id: int
    kind: EventKind
    lead: int

    def settle(self, state: DeviceState) -> tuple[str, dict[str, object]]:
        held = state.leads[self.lead]
        return f"After the link came back the device holds {lead_text(held)}.", {"device_holds": held}


def write_outcome(program: Program, committed: bool, stored: Program | None) -> tuple[bool, bool, str | None]:
    """(written, verified, mismatch) of a write whose replies were lost, from what the device stores now.

    `committed`: the device's reply to COMMIT arrived, so the write happened.
    """
    if stored == program:
        return True, True, None
    if committed:
        return True, False, describe_mismatch(program, stored) if stored else "the device stores no program"
    held = "no stored program" if stored is None else f"its previous program '{stored.name}'"
    return False, False, f"not written: the device holds {held}"


@dataclass(frozen=True)
class UnknownWrite:
    """A program write whose outcome is unknown: written if the device stores exactly this program."""

    event_id: int
    kind: EventKind
    program: Program
    committed: bool  # the COMMIT reply arrived; only the read-back was lost

    def settle(self, state: DeviceState) -> tuple[str, dict[str, object]]:
        written, verified, mismatch = write_outcome(self.program, self.committed, state.stored_program)
        status = program_status(written, verified, mismatch)
        corrected: dict[str, object] = {"written": written, "verified": verified, "mismatch": mismatch}
        return f"Program '{self.program.name}' checked after the link came back: {status}.", corrected


Unknown = UnknownLead | UnknownWrite


class UnknownOutcomes:
    """The records waiting for the device to be back; thread-safe (any device thread adds)."""

    def __init__(self) -> None:
        self._waiting: list[Unknown] = []
        self._lock = threading.Lock()

    def add(self, unknown: Unknown) -> None:
        with self._lock:
            self._waiting.append(unknown)

    @property
    def waiting(self) -> tuple[Unknown, ...]:
        with self._lock:
            return tuple(self._waiting)

    def settle(self, state: DeviceState, records: Records) -> list[OutcomeSettled]:
        """Append one correction per waiting record from the re-read `state`; returns what was said."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        settled = []
        for unknown in waiting:
            sentence, corrected = unknown.settle(state)
            correction_id = records.add_correction(unknown.event_id, sentence, corrected)
            settled.append(OutcomeSettled(unknown.event_id, correction_id, unknown.kind, sentence, corrected))
        return settled


def reverted(before: Mapping[int, LeadConfig], state: DeviceState) -> DeviceReverted | None:
    """How the live settings changed while the link was down, or None if they did not.

    The device changes them on its own only by its watchdog, which goes back
    to the stored program (never turning an output on or raising one).
    """
    if not before or dict(before) == dict(state.leads):
        return None
    changes = tuple(lead_differences(before, state.leads, "before", "now"))
    stored = state.stored_program
    to_stored = stored is not None and all(
        (held.contacts, held.pulse_width_us, held.frequency_hz)
        == (want.contacts, want.pulse_width_us, want.frequency_hz)
        for lead, held in state.leads.items()
        if (want := by_lead(stored.leads).get(lead)) is not None and held != before.get(lead)
    )
    return DeviceReverted(stored.name if to_stored and stored else None, changes)
