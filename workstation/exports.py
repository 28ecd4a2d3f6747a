"""What every export of the field-engineer workspace carries: the device (model, serial,
firmware, hardware revision), the workstation's version and the time of the export, on
every row of a CSV and at the top of every text report. Qt-free: the workspace, the
impedance view, the command-line tool and the diagnostics bundle share it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.types import DeviceEvent, Identity, SelfTestReport
from workstation import devicelog
from workstation.diagnosis import Diagnosis
from workstation.versions import workstation_version

IDENTITY_COLUMNS = (
    "device_model",
    "device_serial",
    "device_firmware",
    "device_hardware_rev",
    "workstation_version",
    "exported_at",
)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ExportIdentity:
    model: str
    serial: str
    firmware: str
    hardware_rev: str
    workstation_version: str
    exported_at: str  # ISO 8601 with the UTC offset

    @classmethod
    def of(cls, identity: Identity | None, when: datetime | None = None) -> ExportIdentity:
        when = (when or datetime.now()).astimezone()
        ident = identity or Identity(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN)
        return cls(
            ident.model,
            ident.serial,
            ident.firmware,
            ident.hardware_rev,
            workstation_version(),
            when.isoformat(timespec="seconds"),
        )

    @property
    def values(self) -> tuple[str, ...]:
        return (
            self.model,
            self.serial,
            self.firmware,
            self.hardware_rev,
            self.workstation_version,
            self.exported_at,
        )

    def as_dict(self) -> dict[str, str]:
        return dict(zip(IDENTITY_COLUMNS, self.values))

    def header_lines(self) -> list[str]:
        """The first lines of a text report."""
        return [
            f"Device: {self.model}, serial {self.serial}, firmware {self.firmware}, hardware {self.hardware_rev}",
            f"Workstation: drg-workstation {self.workstation_version}",
            f"Exported: {self.exported_at}",
        ]


def write_rows(
    path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], identity: ExportIdentity
) -> int:
    """A CSV: a header, then each row followed by the identity columns; returns the rows written."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow((*columns, *IDENTITY_COLUMNS))
        for row in rows:
            writer.writerow((*row, *identity.values))
            count += 1
    return count


SELF_TEST_COLUMNS = ("check", "result", "measured", "expected_min", "expected_max", "unit", "detail")


def self_test_rows(report: SelfTestReport) -> list[tuple[Any, ...]]:
    return [
        (c.check.name, c.result.name, c.measured, c.expected_min, c.expected_max, c.unit, c.detail)
        for c in report.checks
    ]


def write_self_test_csv(path: str | Path, report: SelfTestReport, identity: ExportIdentity) -> int:
    return write_rows(path, SELF_TEST_COLUMNS, self_test_rows(report), identity)


def self_test_payload(report: SelfTestReport) -> dict[str, Any]:
    """The self-test as recorded in a session event (and in the bundle's JSON)."""
    return {
        "passed": report.passed,
        "checks": [dict(zip(SELF_TEST_COLUMNS, row)) for row in self_test_rows(report)],
    }


DEVICE_LOG_COLUMNS = ("index", "since_power_on", "code", "lead", "value", "severity", "event")


def write_device_log_csv(path: str | Path, events: Iterable[DeviceEvent], identity: ExportIdentity) -> int:
    rows = (
        (line.index, line.uptime, line.code, line.lead, line.value, line.severity, line.sentence)
        for line in devicelog.lines(events)
    )
    return write_rows(path, DEVICE_LOG_COLUMNS, rows, identity)


DIAGNOSIS_COLUMNS = ("lead", "contact", "finding", "case_reading", "note")
CONCLUSION_COLUMNS = ("lead", "contacts", "finding", "conclusion", "evidence")


def write_diagnosis_csv(path: str | Path, diagnosis: Diagnosis, identity: ExportIdentity) -> int:
    """One row per contact (its finding and latest reading to case, an open as "> limit")."""
    rows = ((s.lead, s.contact, s.finding.value, s.shown, s.note) for s in diagnosis.contacts)
    return write_rows(path, DIAGNOSIS_COLUMNS, rows, identity)


def diagnosis_report(diagnosis: Diagnosis, identity: ExportIdentity) -> str:
    """A plain-text report: identity, conclusions with their evidence, then every contact."""
    out = ["DRG lead diagnosis", *identity.header_lines(), ""]
    t = diagnosis.thresholds
    out.append(
        f"Limits: short below {t.short_below_ohm} Ω, open above {t.open_above_ohm} Ω; "
        f"{diagnosis.readings} readings in {diagnosis.rounds} round(s)."
    )
    out.append("")
    out.append("Conclusions:" if diagnosis.conclusions else "Conclusions: none, " + diagnosis.summary)
    for c in diagnosis.conclusions:
        out.append(f"  - {c.sentence}")
        out += [f"      {line}" for line in c.evidence]
    for lead, note in sorted(diagnosis.lead_notes.items()):
        out.append(f"  ! lead {lead}: {note}")
    out.append("")
    out.append("Contacts (to case):")
    for s in diagnosis.contacts:
        out.append(f"  lead {s.lead} contact {s.contact}: {s.finding.value:<12} {s.shown:>10}  {s.note}")
    return "\n".join(out) + "\n"


def self_test_report(report: SelfTestReport, identity: ExportIdentity) -> str:
    out = ["DRG device self-test", *identity.header_lines(), ""]
    out.append(f"Result: {'PASSED' if report.passed else 'FAILED'}")
    for c in report.checks:
        out.append(f"  {c.check.name:<17} {c.result.name:<5} {c.detail}")
    return "\n".join(out) + "\n"


def to_json(data: Any, identity: ExportIdentity) -> str:
    return json.dumps({"identity": identity.as_dict(), **data}, indent=2, default=str, ensure_ascii=False)


__all__ = [
    "IDENTITY_COLUMNS",
    "ExportIdentity",
    "diagnosis_report",
    "self_test_payload",
    "self_test_report",
    "write_device_log_csv",
    "write_diagnosis_csv",
    "write_rows",
    "write_self_test_csv",
]
