"""Impedance: measured lead by lead (progress shows, cancel acts between leads),
every value recorded, and each pair's history across visits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from drivers.errors import DriverError
from drivers.types import CASE, Capabilities, ImpedanceMeasurement, ImpedanceMode, ImpedanceResult
from workstation import validation
from workstation.accounts import Permission
from workstation.events import EventKind, Outcome
from workstation.models import ImpedanceThresholds
from workstation.records.rows import ImpedancePoint
from workstation.service.core import ServiceCore
from workstation.service.mirror import Pair
from workstation.service.notices import EventRecorded, ImpedanceMeasured
from workstation.service.policy import open_to_all, requires

Progress = Callable[[int, int], None]


def _pairs(measured: tuple[ImpedanceMeasurement, ...]) -> dict[Pair, int]:
    return {(m.lead, min(m.contact_a, m.contact_b), max(m.contact_a, m.contact_b)): m.ohms for m in measured}


class Impedance:
    def __init__(self, core: ServiceCore) -> None:
        self._core = core
        self.thresholds_override: ImpedanceThresholds | None = None  # a clinic's, instead of the device's

    @open_to_all
    def thresholds(self, caps: Capabilities | None = None) -> ImpedanceThresholds:
        return self.thresholds_override or ImpedanceThresholds.of_device(caps or self._core.caps())

    @requires(Permission.MEASURE)
    def measure(
        self,
        mode: ImpedanceMode = ImpedanceMode.LEAD_PAIR,
        leads: tuple[int, ...] | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Future[ImpedanceResult]:
        """Measure lead by lead; `progress(done, of)` is called on the device thread."""
        core = self._core
        caps = core.caps()
        chosen = core.valid(EventKind.MEASURE_IMPEDANCE, lambda: validation.leads(caps, leads))
        mode = ImpedanceMode(
            core.valid(EventKind.MEASURE_IMPEDANCE, lambda: validation.member(ImpedanceMode, mode, "mode"))
        )
        core.valid(EventKind.MEASURE_IMPEDANCE, lambda: validation.callback(progress, "progress"))
        core.valid(EventKind.MEASURE_IMPEDANCE, lambda: validation.cancel_flag(cancel))

        def run() -> ImpedanceResult:
            measurements: list[ImpedanceMeasurement] = []
            try:
                for done, lead in enumerate(chosen):
                    if cancel is not None and cancel.is_set():
                        core.record(EventKind.IMPEDANCE_CANCELLED, {"mode": mode.name, "done": done, "of": len(chosen)})
                        break
                    if progress:
                        progress(done, len(chosen))
                    part = core.client.measure_impedance(mode, lead).measurements
                    measurements.extend(part)
                    core.mirror.add_impedance(_pairs(part))
            except DriverError as exc:
                self._record(mode, measurements, caps)  # what was measured is kept
                core.record(
                    EventKind.IMPEDANCE_FAILED,
                    {"mode": mode.name, "measured": len(measurements), "reason": str(exc)},
                    Outcome.ERROR,
                )
                raise
            if progress:
                progress(len(chosen), len(chosen))
            result = self._record(mode, measurements, caps)
            core.emit(ImpedanceMeasured(result))
            core.io.submit(core.refresh_after_measurement, measurements)  # a short switches a lead off
            return result

        return core.submit(EventKind.MEASURE_IMPEDANCE, run)

    def _record(
        self, mode: ImpedanceMode, measurements: list[ImpedanceMeasurement], caps: Capabilities
    ) -> ImpedanceResult:
        core = self._core
        result = ImpedanceResult(mode, tuple(measurements))
        if core.session_id is not None and measurements:
            core.emit(EventRecorded(core.records.record_impedance(core.session_id, result, self.thresholds(caps))))
        return result

    @requires(Permission.HISTORY)
    def history(self, patient_id: int, lead: int, a: int, b: int) -> Future[list[ImpedancePoint]]:
        """One contact pair's values across the patient's visits (either contact order), oldest first."""

        patient_id = validation.record_id(patient_id, "patient_id")
        lead, a, b = (validation.count(n, name) for n, name in ((lead, "lead"), (a, "contact"), (b, "contact")))

        def both_orders() -> list[ImpedancePoint]:
            points = list(core.records.impedance_history(patient_id, lead, a, b))
            if CASE not in (a, b):  # a pair may be recorded either way round
                points += core.records.impedance_history(patient_id, lead, b, a)
            return sorted(points, key=lambda p: p.time)

        core = self._core
        return core.query(both_orders)
