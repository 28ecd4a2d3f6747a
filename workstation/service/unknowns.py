"""Outcomes the host could not know, settled when the device is back.

A command whose reply was lost, with the device unreachable to read back,
is recorded with the outcome *unknown*, never as done or not done. Such a
record waits in the records themselves (no correction yet), so a restart
loses none. When the device is connected again and re-read, `settle`
appends one correction per record saying what the device holds, so the
records end in agreement with the device. The corrected record itself stays
as it was (the log is append-only); readers fold the correction in
(`SavedProgram.settled`).

What the device did while the link was down is said too: if its live
settings changed (the watchdog went back to the stored program), the
clinician is told plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drivers.types import LeadConfig, Program
from workstation.events import EventKind
from workstation.records.codec import decode_program
from workstation.records.rows import SessionEvent
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


def unknown_of(event: SessionEvent) -> Unknown | None:
    """What a recorded event of unknown outcome waits for, or None if its record already says
    what the device held (a lead command whose read-back worked)."""
    payload = event.payload
    if event.kind is EventKind.PROGRAM_SAVED:
        program = decode_program(payload["program"]["name"], payload["program"]["leads"])
        return UnknownWrite(event.id, event.kind, program, bool(payload.get("commit_acknowledged")))
    if payload.get("device_holds") is None and isinstance(payload.get("lead"), int):
        return UnknownLead(event.id, event.kind, payload["lead"])
    return None


def settle(state: DeviceState, records: Records) -> list[OutcomeSettled]:
    """Append one correction to each unsettled unknown-outcome record of this device (by model and
    serial: another device cannot tell what this one did), from the re-read `state`.

    The records are the list: an unknown left when the workstation closed, or crashed, is
    settled at the next connection to that device. Runs on the device I/O thread only, so one
    record is never settled twice.
    """
    identity = state.identity
    if identity is None:
        return []
    settled = []
    for event in records.unsettled_unknowns(identity.model, identity.serial):
        unknown = unknown_of(event)
        if unknown is None:
            continue
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
