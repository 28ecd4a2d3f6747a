"""A visit exported from the records: CSV files and an HL7 FHIR R4 Bundle.

The FHIR resources are built and validated with fhir.resources, using its
R4B package (FHIR 4.3.0): fhir.resources 8 defaults to R5, and R4B is the
technical correction of R4 whose Patient, Device, Procedure, Observation and
Bundle read as R4 ones (the elements used here are the same in 4.0.1 and
4.3.0). Ids are name-based UUIDs of the record id, so exporting the same
record twice gives the same bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from workstation.bodymap import body_regions
from workstation.events import EventKind
from workstation.exports import ExportIdentity, write_rows
from workstation.visit import VisitRecord
from workstation.wording import program_status

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
RECORD_NUMBER_SYSTEM = "urn:drg-workstation:record-number"
NRS_LOINC = "72514-3"  # Pain severity - 0-10 verbal numeric rating [Score] - Reported

EVENT_COLUMNS = ("seq", "time", "event", "outcome", "summary", "references_event")
IMPEDANCE_COLUMNS = ("time", "lead", "contacts", "ohms", "class")
THRESHOLD_COLUMNS = (
    "time",
    "location",
    "contacts",
    "pulse_width_us",
    "frequency_hz",
    "perception_ua",
    "comfortable_ua",
    "max_tolerable_ua",
    "sensation",
    "paresthesia_free",
)
PROGRAM_COLUMNS = (
    "program",
    "status",
    "lead",
    "contacts",
    "amplitude_ua",
    "pulse_width_us",
    "frequency_hz",
    "output",
    "patient_max_ua",
)
CONTACT_SIGNS = {"ANODE": "+", "CATHODE": "-", "OFF": "0"}


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _contacts(contacts: Iterable[Any]) -> str:
    return "".join(CONTACT_SIGNS[c.name] for c in contacts)


def write_csv(record: VisitRecord, folder: str | Path, when: datetime | None = None) -> list[Path]:
    """events.csv, impedance.csv, thresholds.csv and program.csv in `folder`, each row with the device's
    identity, the workstation's version and the export time (workstation.exports)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    identity = ExportIdentity.of(record.device.identity, when)
    events = [
        (e.seq, _iso(e.time), event, outcome, text, e.references_event_id or "")
        for e, (_, event, outcome, text) in zip(record.events, record.log_lines())
    ]
    impedance = [(_iso(r.time), r.lead, r.pair, r.ohms, r.impedance_class) for r in record.impedance]
    thresholds = [
        (
            _iso(t.time),
            t.location,
            _contacts(t.response.contacts),
            t.response.pulse_width_us,
            t.response.frequency_hz,
            t.response.perception_threshold_ua,
            t.response.comfortable_ua,
            t.response.max_tolerable_ua,
            t.response.sensation.value,
            t.response.paresthesia_free,
        )
        for t in record.responses
    ]
    programs = [
        (
            saved.program.name,
            program_status(saved.written, saved.verified, saved.mismatch),
            c.lead,
            _contacts(c.contacts),
            c.amplitude_ua,
            c.pulse_width_us,
            c.frequency_hz,
            "on" if c.enabled else "off",
            c.patient_max_ua,
        )
        for saved in record.programs
        for c in saved.program.leads
    ]
    files: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {
        "events.csv": (EVENT_COLUMNS, events),
        "impedance.csv": (IMPEDANCE_COLUMNS, impedance),
        "thresholds.csv": (THRESHOLD_COLUMNS, thresholds),
        "program.csv": (PROGRAM_COLUMNS, programs),
    }
    written = []
    for file_name, (columns, rows) in files.items():
        path = folder / file_name
        write_rows(path, columns, rows, identity)
        written.append(path)
    return written


class _Ids:
    """Stable urn:uuid ids, one per named resource of the record."""

    def __init__(self, record_id: str) -> None:
        self._base = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:drg-workstation:{record_id}")

    def __call__(self, name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(self._base, name)}"


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def fhir_bundle(record: VisitRecord, when: datetime | None = None) -> Bundle:
    """Patient, Device (identity and the program's settings), Procedure (the visit) and Observations
    (pain scores, thresholds, impedance, coverage), as a collection Bundle; validated on construction."""
    ids = _Ids(record.record_id)
    patient_ref, device_ref, visit_ref = ({"reference": ids(k)} for k in ("patient", "device", "visit"))
    p, s, identity = record.patient, record.session, record.device.identity
    entries: list[tuple[str, Any]] = []
    entries.append(
        (
            ids("patient"),
            Patient.model_validate(
                {
                    "identifier": [{"system": RECORD_NUMBER_SYSTEM, "value": p.record_number}],
                    "name": [{"text": p.name}],
                    "birthDate": p.date_of_birth.isoformat(),
                }
            ),
        )
    )
    settings = []
    program = record.written_program
    if program is not None:
        for c in program.program.leads:
            lead = f"lead {c.lead}"
            settings += [
                {"type": {"text": f"{lead} amplitude"}, "valueQuantity": [_quantity(c.amplitude_ua, "µA", "uA")]},
                {"type": {"text": f"{lead} pulse width"}, "valueQuantity": [_quantity(c.pulse_width_us, "µs", "us")]},
                {"type": {"text": f"{lead} frequency"}, "valueQuantity": [_quantity(c.frequency_hz, "Hz", "Hz")]},
                {
                    "type": {"text": f"{lead} patient maximum"},
                    "valueQuantity": [_quantity(c.patient_max_ua, "µA", "uA")],
                },
                {"type": {"text": f"{lead} contacts"}, "valueCode": [{"text": _contacts(c.contacts)}]},
                {"type": {"text": f"{lead} output"}, "valueCode": [{"text": "on" if c.enabled else "off"}]},
            ]
    entries.append(
        (
            ids("device"),
            Device.model_validate(
                {
                    "identifier": [{"system": "urn:drg-workstation:serial", "value": identity.serial}],
                    "serialNumber": identity.serial,
                    "modelNumber": identity.model,
                    "deviceName": [{"name": identity.model, "type": "model-name"}],
                    "version": [
                        {"type": {"text": "firmware"}, "value": identity.firmware},
                        {"type": {"text": "hardware"}, "value": identity.hardware_rev},
                    ],
                    "patient": patient_ref,
                    "property": settings,
                    "note": [
                        {
                            "text": f"Program '{program.program.name}': "
                            f"{program_status(program.written, program.verified, program.mismatch)}"
                        }
                    ]
                    if program is not None
                    else None,
                }
            ),
        )
    )
    period = {"start": _iso(s.started), **({"end": _iso(s.ended)} if s.ended else {})}
    entries.append(
        (
            ids("visit"),
            Procedure.model_validate(
                {
                    "identifier": [{"system": "urn:drg-workstation:record-id", "value": record.record_id}],
                    "status": "completed" if s.ended else "in-progress",
                    "code": {"text": "Programming of a dorsal root ganglion neurostimulator"},
                    "subject": patient_ref,
                    "performedPeriod": period,
                    "performer": [{"actor": {"display": s.clinician}}],
                    "focalDevice": [{"manipulated": device_ref}],
                    "note": [{"text": text, "time": _iso(t)} for t, text in record.notes] or None,
                }
            ),
        )
    )

    def observation(key: str, time: datetime, code: dict[str, Any], **values: Any) -> None:
        data = {
            "status": "final",
            "code": code,
            "subject": patient_ref,
            "partOf": [visit_ref],
            "effectiveDateTime": _iso(time),
            **values,
        }
        entries.append((ids(key), Observation.model_validate(data)))

    for i, (time, score) in enumerate(record.pain):
        timing = score.when.value.lower()
        if score.nrs is not None:
            code = {"coding": [{"system": LOINC, "code": NRS_LOINC}], "text": f"Pain NRS {timing} programming"}
            observation(f"nrs-{i}", time, code, valueInteger=score.nrs)
        if score.vas_mm is not None:
            code = {"text": f"Pain VAS {timing} programming (0-100 mm)"}
            observation(f"vas-{i}", time, code, valueQuantity=_quantity(score.vas_mm, "mm", "mm"))
    for i, tested in enumerate(record.responses):
        r = tested.response
        for label, value in (
            ("perception threshold", r.perception_threshold_ua),
            ("comfortable level", r.comfortable_ua),
            ("maximum tolerable level", r.max_tolerable_ua),
        ):
            if value is not None:
                observation(
                    f"threshold-{i}-{label}",
                    tested.time,
                    {"text": f"Stimulation {label}"},
                    valueQuantity=_quantity(value, "µA", "uA"),
                    bodySite={"text": tested.location},
                    device=device_ref,
                    note=[{"text": f"contacts {_contacts(r.contacts)}, {r.pulse_width_us} µs, {r.frequency_hz} Hz"}],
                )
    for i, row in enumerate(record.impedance):
        observation(
            f"impedance-{i}",
            row.time,
            {"text": f"Electrode impedance, lead {row.lead}, contacts {row.pair}"},
            valueQuantity=_quantity(row.ohms, "Ω", "Ohm"),
            interpretation=[{"text": row.impedance_class.lower()}],
            device=device_ref,
        )
    if record.body_map is not None:
        regions = body_regions()
        pain_sites = [{"text": regions[a.region].name} for a in record.body_map.pain]
        last = max(e.time for e in record.events if e.kind is EventKind.BODY_MAP_RECORDED)
        for share in record.coverage:
            who = "all leads" if share.lead is None else f"lead {share.lead}"
            components = []
            if share.spill is not None:
                components.append(
                    {
                        "code": {"text": "Spill (share of the paresthesia outside the pain area)"},
                        "valueQuantity": _quantity(round(share.spill * 100, 1), "%", "%"),
                    }
                )
            values: dict[str, Any] = {
                "component": components or None,
                "note": [{"text": "; ".join(s["text"] for s in pain_sites) or "no pain area"}],
            }
            if share.coverage is not None:
                values["valueQuantity"] = _quantity(round(share.coverage * 100, 1), "%", "%")
            else:
                values["dataAbsentReason"] = {"text": "no pain area painted"}
            observation(f"coverage-{who}", last, {"text": f"Pain coverage by paresthesia, {who}"}, **values)
    stamp = _iso(when or datetime.now(timezone.utc))
    return Bundle.model_validate(
        {
            "identifier": {"system": "urn:drg-workstation:record-id", "value": record.record_id},
            "type": "collection",
            "timestamp": stamp,
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
        }
    )


def write_fhir(record: VisitRecord, path: str | Path, when: datetime | None = None) -> Path:
    path = Path(path)
    path.write_text(fhir_bundle(record, when).model_dump_json(indent=2, exclude_none=True), encoding="utf-8")
    return path
