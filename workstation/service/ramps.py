"""Amplitude ramps: a rise moves toward its target one safe step per tick of the
service's clock (workstation.safety.next_ramp_step); a decrease, a release,
STOP ALL or a lost link ends it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from drivers.types import LeadConfig
from workstation import safety
from workstation.events import EventKind
from workstation.service.core import ServiceCore, mark_service_thread
from workstation.service.errors import CancelledByStopAll

RAMP_TICK_S = 0.05


class Ramps:
    def __init__(self, core: ServiceCore, write_amplitude: Callable[[int, int], LeadConfig]) -> None:
        self._core = core
        self._write = write_amplitude
        self._targets: dict[int, int] = {}
        self._changed: dict[int, float] = {}
        self._waiters: dict[int, list[tuple[int, Future[LeadConfig | None]]]] = {}
        core.end_ramps = self.end_all
        threading.Thread(target=self._run, name="amplitude-ramp", daemon=True).start()

    def start(self, lead: int, target: int, epoch: int | None = None) -> Future[LeadConfig | None]:
        """Ramp `lead` toward `target`; the future completes once it is reached (or the ramp ends).
        Refused when STOP ALL came after `epoch` (a multi-step action started before it)."""
        core = self._core
        with core.lock:  # STOP ALL bumps the epoch and ends every ramp under this lock
            if epoch is not None and epoch != core.stop_epoch:
                raise CancelledByStopAll("amplitude ramp")
            done: Future[LeadConfig | None] = Future()
            if lead not in self._targets:
                self._changed[lead] = core.clock.now()  # a new ramp starts slow
            self._targets[lead] = target
            self._waiters.setdefault(lead, []).append((target, done))
        return done

    def stepped(self, lead: int) -> None:
        """The amplitude just changed: the next step waits a full interval from now."""
        self._changed[lead] = self._core.clock.now()

    def end(self, lead: int, error: Exception | None = None) -> None:
        """Drop a lead's ramp target and complete everyone waiting on it."""
        core = self._core
        with core.lock:
            self._targets.pop(lead, None)
            for _target, fut in self._waiters.pop(lead, []):
                if not fut.done():
                    fut.set_exception(error) if error else fut.set_result(core.state.leads.get(lead))

    def end_all(self, error: Exception) -> None:
        with self._core.lock:
            for lead in list(self._targets) + list(self._waiters):
                self.end(lead, error)

    def _run(self) -> None:
        mark_service_thread()
        core = self._core
        while not core.clock.wait(core.stopping, RAMP_TICK_S):
            for lead, target in list(self._targets.items()):
                self._tick(lead, target)

    def _tick(self, lead: int, target: int) -> None:
        core = self._core
        with core.lock:  # a decrease, release or STOP ALL cannot slip between check and queue
            if self._targets.get(lead) != target:
                return
            current = core.state.leads[lead].amplitude_ua
            elapsed = core.clock.now() - self._changed.get(lead, 0.0)
            step = safety.next_ramp_step(core.caps(), current, target, elapsed)
            pending = (
                core.submit(
                    EventKind.SET_AMPLITUDE,
                    self._write,
                    lead,
                    step,
                    raises_output=True,
                    payload={"lead": lead, "amplitude_ua": step},
                )
                if step != current
                else None
            )
        try:
            if pending is not None:
                pending.result()
        except Exception as exc:  # noqa: BLE001 - refused, unplugged, stopped: the ramp ends with that error
            self.end(lead, exc)
            return
        with core.lock:
            if self._targets.get(lead) == target and core.state.leads[lead].amplitude_ua >= target:
                self.end(lead)
