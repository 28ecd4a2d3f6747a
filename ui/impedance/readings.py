"""One impedance run as the view shows it: readings with their class, their
text ("812 Ω", "> 4000 Ω" for an open, "3–case") and colours, and the CSV that QA files.

Qt-free on purpose: the formatting and the CSV are the record a field
engineer sends on, so they are tested without widgets.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drivers.types import CASE, ImpedanceMode, ImpedanceResult
from ui import theme
from workstation.diagnosis import format_ohms
from workstation.exports import IDENTITY_COLUMNS, ExportIdentity
from workstation.models import ImpedanceClass, ImpedanceThresholds
from workstation.wording import IMPEDANCE_CLASS_TEXT, passed_text

MODE_LABELS: dict[ImpedanceMode, str] = {
    ImpedanceMode.LEAD_PAIR: "Each lead (configured pair)",
    ImpedanceMode.CONTACT_TO_CASE: "Each contact to case",
    ImpedanceMode.CONTACT_PAIRS: "Every contact pair (engineer)",
}

# Class colours: strong for bars and points, light for cell backgrounds and bands.
CLASS_COLOURS: dict[ImpedanceClass, str] = {
    ImpedanceClass.NORMAL: theme.OK,
    ImpedanceClass.SHORT: theme.WARNING_FILL,
    ImpedanceClass.OPEN: theme.DANGER,
}
CLASS_TINTS: dict[ImpedanceClass, str] = {
    ImpedanceClass.NORMAL: theme.OK_TINT,
    ImpedanceClass.SHORT: theme.WARNING_TINT,
    ImpedanceClass.OPEN: theme.DANGER_TINT,
}
STALE_COLOUR = theme.STALE_FILL  # results kept after the link was lost
STALE_TINT = theme.SURFACE_PALE
STALE_TEXT = theme.TEXT_MUTED

CSV_COLUMNS = (
    "measured_at",
    "session",
    "mode",
    "lead",
    "contact_a",
    "contact_b",
    "ohms",
    "class",
    "result",
    "short_below_ohm",
    "open_above_ohm",
    "reading",  # as shown: an open as "> limit"
    *IDENTITY_COLUMNS,  # device model, serial, firmware, hardware; workstation version; export time
)


def contact_name(contact: int) -> str:
    return "case" if contact == CASE else str(contact)


@dataclass(frozen=True)
class Reading:
    """One measured pair with its class under the thresholds of its run."""

    lead: int
    contact_a: int
    contact_b: int
    ohms: int
    impedance_class: ImpedanceClass
    open_above_ohm: int | None = None  # the run's open limit: an open reads "> limit", not a false precise value

    @property
    def pair(self) -> tuple[int, int, int]:
        """(lead, a, b) as the device measured it: the key of the records' history."""
        return self.lead, self.contact_a, self.contact_b

    @property
    def contacts(self) -> str:
        return f"{contact_name(self.contact_a)}–{contact_name(self.contact_b)}"

    @property
    def short_contacts(self) -> str:
        """The contacts without the case: "3" for contact 3 to case, else "1–2"."""
        return str(self.contact_a) if self.contact_b == CASE else self.contacts

    @property
    def passed(self) -> bool:
        return self.impedance_class is ImpedanceClass.NORMAL

    @property
    def verdict(self) -> str:
        """The CSV's code; the screens say `result_text`."""
        return "PASS" if self.passed else "FAIL"

    @property
    def class_text(self) -> str:
        return IMPEDANCE_CLASS_TEXT[self.impedance_class]

    @property
    def result_text(self) -> str:
        return passed_text(self.passed)

    @property
    def value_text(self) -> str:
        if self.impedance_class is ImpedanceClass.OPEN and self.open_above_ohm is not None:
            return f"> {format_ohms(self.open_above_ohm)}"
        return format_ohms(self.ohms)

    @property
    def label(self) -> str:
        """Value, with the fault named so the class is never told by colour alone."""
        return self.value_text if self.passed else f"{self.value_text}\n{self.class_text}"


@dataclass(frozen=True)
class MeasuredSet:
    """The readings of one measurement run, when it ran and the thresholds that classed them."""

    mode: ImpedanceMode
    readings: tuple[Reading, ...]
    thresholds: ImpedanceThresholds
    measured_at: datetime
    session_id: int | None = None

    @classmethod
    def of(
        cls,
        result: ImpedanceResult,
        thresholds: ImpedanceThresholds,
        measured_at: datetime,
        session_id: int | None = None,
    ) -> MeasuredSet:
        readings = tuple(
            Reading(m.lead, m.contact_a, m.contact_b, m.ohms, thresholds.classify(m.ohms), thresholds.open_above_ohm)
            for m in result.measurements
        )  # in the device's order: by lead, then contact
        return cls(result.mode, readings, thresholds, measured_at, session_id)

    @property
    def time_text(self) -> str:
        return self.measured_at.strftime("%H:%M:%S")

    @property
    def failures(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings if not r.passed)


def write_csv(path: str | Path, runs: Iterable[MeasuredSet], identity: ExportIdentity | None = None) -> int:
    """Write a header and one row per measurement of `runs`, each naming the device and the
    workstation (`identity`); returns the number of rows."""
    identity = identity or ExportIdentity.of(None)
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for run in runs:
            for r in run.readings:
                writer.writerow(
                    (
                        run.measured_at.isoformat(timespec="seconds"),
                        "" if run.session_id is None else run.session_id,
                        run.mode.name,
                        r.lead,
                        r.contact_a,
                        contact_name(r.contact_b),
                        r.ohms,
                        r.impedance_class.value,
                        r.verdict,
                        run.thresholds.short_below_ohm,
                        run.thresholds.open_above_ohm,
                        r.value_text,
                        *identity.values,
                    )
                )
                rows += 1
    return rows
