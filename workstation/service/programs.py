"""Programs: save the live settings, apply a program to the leads step by step
(with progress), write one to the device and verify it, and say how the live
settings differ from the stored program."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from drivers.errors import DeviceRefused, DriverError
from drivers.types import LeadConfig, Program
from workstation import validation
from workstation.accounts import Permission
from workstation.events import EventKind
from workstation.records.rows import SavedProgram
from workstation.service.core import ServiceCore, mark_service_thread
from workstation.service.errors import CancelledByStopAll, ConfirmationRequired, NotConnected, ServiceError
from workstation.service.notices import EventRecorded, ProgramSaved, ProgramWritten, WriteResult
from workstation.service.outputs import Outputs
from workstation.service.policy import open_to_all, requires
from workstation.service.unknowns import write_outcome
from workstation.wording import by_lead, describe_mismatch, lead_differences

ANSWER_POLL_S = 0.1  # how often Apply, waiting for the clinician, looks for STOP ALL
Ask = Callable[[ConfirmationRequired], Future[bool]]  # the clinician's answer to a confirmation


@dataclass(frozen=True)
class ApplyProgress:
    program: Program
    lead: int | None  # the lead being applied; None once done
    done: int  # leads applied so far
    of: int


@dataclass(frozen=True)
class EndOfVisit:
    """The device's live settings against its stored program, as the session ends.

    `therapy_off`: leads the stored program stimulates that deliver nothing
    now (STOP ALL, or switched off). Then the patient would leave with no
    therapy (the device never turns an output on by itself), so the end guard
    offers to resume the stored program and never offers to store the stopped
    state in its place.
    """

    stored: Program | None
    changes: tuple[str, ...]
    therapy_off: tuple[int, ...]

    @property
    def offer_resume(self) -> bool:
        return self.stored is not None and bool(self.therapy_off)


class Programs:
    def __init__(self, core: ServiceCore, outputs: Outputs) -> None:
        self._core = core
        self._outputs = outputs

    @open_to_all
    def current(self, name: str) -> Program:
        """The device's live settings as a program named `name`."""
        leads = self._core.state.leads
        return Program(name, tuple(leads[n] for n in sorted(leads)))

    @open_to_all
    def unwritten_changes(self) -> list[str]:
        """How the device's live settings differ from its stored program (nothing ignored)."""
        state = self._core.state
        if state.stored_program is None:
            return []
        return lead_differences(state.leads, by_lead(state.stored_program.leads), "live", "stored")

    @open_to_all
    def end_of_visit(self) -> EndOfVisit:
        """What ending the session now would leave on the device (see EndOfVisit)."""
        state = self._core.state
        stored = state.stored_program
        if stored is None:
            return EndOfVisit(None, (), ())
        off = tuple(
            c.lead
            for c in stored.leads
            if c.delivering and c.lead in state.leads and not state.leads[c.lead].delivering
        )
        return EndOfVisit(stored, tuple(self.unwritten_changes()), off)

    @requires(Permission.HISTORY)
    def history(self, patient_id: int) -> Future[list[SavedProgram]]:
        """Every program saved for the patient, oldest first."""
        patient_id = validation.record_id(patient_id, "patient_id")
        return self._core.query(self._core.records.program_history, patient_id)

    # -- save -----------------------------------------------------------------------------------
    @requires(Permission.RECORD)
    def save(self, name: str) -> Future[Program]:
        """Save the live settings under `name` in the session's records (not written to the device)."""
        core = self._core
        session_id = core.require_session()
        name = core.valid(EventKind.PROGRAM_SAVED, lambda: validation.program_name(name))
        if not core.state.leads:
            raise NotConnected("Connect to the device to save its settings.")
        program = self.current(name)

        def run() -> Program:
            self._save(session_id, program, written=False, verified=False, mismatch=None)
            core.emit(ProgramSaved(program))
            return program

        return core.run_on(core.records_io, run)

    # -- apply (live, lead by lead) ---------------------------------------------------------------
    @requires(Permission.PROGRAM)
    def apply(
        self, program: Program, ask: Ask, progress: Callable[[ApplyProgress], None] | None = None
    ) -> Future[None]:
        """Make the leads run `program` without storing it: for each lead its settings, a
        lower amplitude at once, the output switch, then a ramp up (asking through `ask`
        when a rise needs the clinician's confirmation). STOP ALL ends it."""
        core = self._core
        core.require_session()
        caps = core.caps()
        program = core.valid(EventKind.WRITE_PROGRAM, lambda: validation.program(caps, program))
        core.valid(EventKind.WRITE_PROGRAM, lambda: validation.callback(ask, "ask", optional=False))
        core.valid(EventKind.WRITE_PROGRAM, lambda: validation.callback(progress, "progress"))
        finished: Future[None] = Future()
        epoch = core.stop_epoch

        def run() -> None:
            mark_service_thread()
            try:
                for done, config in enumerate(program.leads):
                    if progress:
                        progress(ApplyProgress(program, config.lead, done, len(program.leads)))
                    self._apply_lead(config, ask, epoch)
                if progress:
                    progress(ApplyProgress(program, None, len(program.leads), len(program.leads)))
            except BaseException as exc:  # noqa: BLE001 - the caller gets whatever ended it
                finished.set_exception(exc)
            else:
                finished.set_result(None)

        threading.Thread(target=run, name="apply-program", daemon=True).start()
        return finished

    def _apply_lead(self, config: LeadConfig, ask: Ask, epoch: int) -> None:
        core, outputs = self._core, self._outputs

        def step(send: Callable[[], Future[Any]]) -> None:
            """One command, never after a STOP ALL pressed since Apply began."""
            if core.stop_epoch != epoch:
                raise CancelledByStopAll("Apply")
            send().result()
            if core.stop_epoch != epoch:
                raise CancelledByStopAll("Apply")

        def live() -> LeadConfig:
            return core.state.leads[config.lead]

        step(lambda: outputs.write_lead(config, epoch))
        if live().amplitude_ua > config.amplitude_ua:
            step(lambda: outputs.set_amplitude(config.lead, config.amplitude_ua, epoch))
        if live().enabled != config.enabled:
            step(lambda: outputs.set_enabled(config.lead, config.enabled, epoch))
        for _ in range(3):
            if live().amplitude_ua >= config.amplitude_ua:
                return
            try:
                step(lambda: outputs.set_amplitude(config.lead, config.amplitude_ua, epoch))
            except ConfirmationRequired as request:
                if not self._answer(ask(request), epoch):
                    raise ServiceError(f"The rise of lead {config.lead} was not confirmed.") from None
                if core.stop_epoch != epoch:  # answered "yes" after STOP ALL: nothing is confirmed
                    raise CancelledByStopAll("Apply") from None
                outputs.confirm(request)
        reached = live().amplitude_ua
        if reached < config.amplitude_ua:
            raise ServiceError(f"Lead {config.lead} stopped at {reached} \u00b5A (ramp held or stopped).")

    def _answer(self, answer: Future[bool], epoch: int) -> bool:
        """The clinician's answer; STOP ALL or shutting down ends the wait (as a "no" that stops Apply)."""
        core = self._core
        while True:
            try:
                return answer.result(timeout=ANSWER_POLL_S)
            except FutureTimeout:
                if core.stop_epoch != epoch:
                    raise CancelledByStopAll("Apply") from None
                if core.stopping.is_set():
                    raise ServiceError("The workstation is shutting down.") from None

    # -- write and verify ----------------------------------------------------------------------------
    @requires(Permission.PROGRAM)
    def write(self, program: Program) -> Future[WriteResult]:
        """Stage, commit, read back and compare; the session records the result or the exact mismatch.

        The device makes a committed program live at once, so a program that
        would raise any lead's output above what it delivers now is refused:
        apply it to the leads first (amplitudes ramp), then write it.
        """
        core, outputs = self._core, self._outputs
        session_id = core.require_session()
        caps = core.caps()
        program = core.valid(EventKind.WRITE_PROGRAM, lambda: validation.program(caps, program))
        for config in program.leads:
            self._refuse_jump(config)
            outputs.gate(EventKind.WRITE_PROGRAM, config)

        def run() -> WriteResult:
            committed: Program | None = None
            try:
                committed = core.client.write_program(program)
                read_back = core.client.read_program()
            except DeviceRefused as exc:
                self._save(session_id, program, written=False, verified=False, mismatch=f"not written: {exc}")
                raise
            except DriverError:
                self._record_lost_reply(session_id, program, committed is not None)
                raise
            mismatch = describe_mismatch(program, read_back) or describe_mismatch(program, committed)
            core.mirror.set(stored_program=read_back)
            self._save(session_id, program, written=True, verified=mismatch is None, mismatch=mismatch)
            core.refresh_leads()
            result = WriteResult(program, read_back, mismatch is None, mismatch)
            core.emit(ProgramWritten(result))
            return result

        return core.submit(EventKind.WRITE_PROGRAM, run, raises_output=True, payload={"program": program.name})

    def _save(
        self,
        session_id: int,
        program: Program,
        written: bool | None,
        verified: bool | None,
        mismatch: str | None,
        commit_acknowledged: bool = False,
    ) -> int:
        core = self._core
        event_id = core.records.save_program(session_id, program, written, verified, mismatch, commit_acknowledged)
        core.emit(EventRecorded(event_id))
        return event_id

    def _refuse_jump(self, config: LeadConfig) -> None:
        """The device makes a committed program live at once: it may deliver no more than now."""
        live = self._core.state.leads[config.lead]
        if config.delivers_more_than(live):
            now = (
                f"{live.amplitude_ua} µA, {live.pulse_width_us} µs, {live.frequency_hz} Hz"
                if live.delivering
                else "off"
            )
            self._outputs.refuse(
                EventKind.WRITE_PROGRAM,
                config,
                "program_jump",
                f"Writing this program would raise lead {config.lead} at once (now {now}; the program has "
                f"{config.amplitude_ua} µA, {config.pulse_width_us} µs, {config.frequency_hz} Hz). "
                "Apply it to the leads first (rises ramp), then write it.",
            )

    def _record_lost_reply(self, session_id: int, program: Program, committed: bool) -> None:
        """The link failed mid-write: read the device back to learn what it stores. If that fails
        too the outcome is recorded as unknown and settled when the device is back (unknowns.py)."""
        core = self._core
        try:
            stored = core.client.read_program()
        except (DriverError, NotConnected):
            self._save(session_id, program, written=None, verified=None, mismatch=None, commit_acknowledged=committed)
            core.emit(ProgramSaved(program))
            return
        core.mirror.set(stored_program=stored)
        self._save(session_id, program, *write_outcome(program, committed, stored))
        core.emit(ProgramSaved(program))
        try:
            core.refresh_leads()
        except DriverError:
            pass  # gone again: the reconnect re-reads every lead
