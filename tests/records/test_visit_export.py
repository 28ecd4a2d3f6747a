"""A visit read from the records alone, exported as CSV files and a FHIR R4 Bundle (validated by fhir.resources)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle

from drivers.types import (
    BatteryState,
    BatteryStatus,
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Polarity,
    Program,
)
from workstation import visit
from workstation.bodymap import BodyMap
from workstation.events import EventKind, Outcome
from workstation.models import (
    ImpedanceThresholds,
    LeadPlacement,
    Note,
    PainScore,
    PainTiming,
    Sensation,
    Side,
    SpinalLevel,
    StimulusResponse,
)
from workstation.records.codec import to_json
from workstation.visit_export import fhir_bundle, write_csv, write_fhir

P, N, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
EXPORTED = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
PROGRAM = Program("Knee", (LeadConfig(1, (P, N, O, O), 800, 300, 20, True, 1400), LeadConfig(2, (O, O, O, O))))


@pytest.fixture
def recorded(store, patient, identity, capabilities):
    """A whole visit: placement, battery, impedance, a response, body map, pain, note, program written."""
    session = store.open_session(patient.id, identity, capabilities, "Dr Deer")
    battery = BatteryStatus(2900, 81, BatteryState.OK)
    store.log_event(session.id, EventKind.DEVICE_STATE, to_json({"battery": battery}), Outcome.OK)
    store.record_placement(session.id, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1)))
    measured = ImpedanceResult(
        ImpedanceMode.CONTACT_PAIRS, (ImpedanceMeasurement(1, 1, 2, 1180), ImpedanceMeasurement(1, 3, 4, 5200))
    )
    store.record_impedance(session.id, measured, ImpedanceThresholds(200, 4000))
    store.record_pain_score(session.id, PainScore(7, PainTiming.BEFORE, 71))
    store.record_response(
        session.id, StimulusResponse(1, (P, N, O, O), 300, 20, Sensation.TINGLING, False, (), 450, 800, 1400)
    )
    store.record_body_map(session.id, BodyMap.of({"front-knee-left": 7}, {1: ["front-knee-left", "front-L4-left"]}))
    store.save_program(session.id, PROGRAM, True, True)
    store.record_pain_score(session.id, PainScore(3, PainTiming.AFTER, 28))
    store.add_note(session.id, Note("Knee pain eased."))
    store.close_session(session.id)
    return visit.load(store, session.id)


def test_the_visit_is_read_from_the_records_alone(recorded, store):
    assert recorded.battery == {"voltage_mv": 2900, "percent": 81, "state": "OK"}
    assert recorded.placements[1].level is SpinalLevel.L4
    assert [(r.pair, r.ohms, r.impedance_class) for r in recorded.impedance] == [
        ("1-2", 1180, "NORMAL"),
        ("3-4", 5200, "OPEN"),
    ]
    (tested,) = recorded.responses
    assert tested.location == "L4 left · lead 1" and tested.response.comfortable_ua == 800
    assert recorded.program == PROGRAM and recorded.written_program.verified
    assert recorded.patient_maximums() == {1: (1400, 1400), 2: (None, 0)}
    assert recorded.pain_score(PainTiming.AFTER) == PainScore(3, PainTiming.AFTER, 28)
    assert recorded.coverage[-1].coverage == 1
    # reprinting gives the same record id; a correction changes it
    again = visit.load(store, recorded.session.id)
    assert again.record_id == recorded.record_id
    store.add_correction(recorded.events[-2].id, "typo", {"text": "Knee pain eased a lot."})
    assert visit.load(store, recorded.session.id).record_id != recorded.record_id


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_csv_files_hold_events_impedance_thresholds_and_program(recorded, tmp_path):
    paths = write_csv(recorded, tmp_path, EXPORTED)
    assert [p.name for p in paths] == ["events.csv", "impedance.csv", "thresholds.csv", "program.csv"]
    events = rows(tmp_path / "events.csv")
    assert [int(e["seq"]) for e in events] == [e.seq for e in recorded.events]
    assert any(e["event"] == "Body map" and "coverage 100 %" in e["summary"] for e in events)
    assert [(r["contacts"], r["ohms"], r["class"]) for r in rows(tmp_path / "impedance.csv")] == [
        ("1-2", "1180", "NORMAL"),
        ("3-4", "5200", "OPEN"),
    ]
    (threshold,) = rows(tmp_path / "thresholds.csv")
    assert (threshold["location"], threshold["perception_ua"], threshold["max_tolerable_ua"]) == (
        "L4 left · lead 1",
        "450",
        "1400",
    )
    program = rows(tmp_path / "program.csv")
    assert [(r["lead"], r["amplitude_ua"], r["status"]) for r in program] == [
        ("1", "800", "written and verified"),
        ("2", "0", "written and verified"),
    ]
    assert {r["device_serial"] for r in program} == {"DRG-0001"}
    assert {r["exported_at"] for r in program} == {EXPORTED.astimezone().isoformat(timespec="seconds")}


def test_the_fhir_bundle_validates_and_holds_the_records_values(recorded, tmp_path):
    path = write_fhir(recorded, tmp_path / "visit.json", EXPORTED)
    bundle = Bundle.model_validate_json(path.read_text(encoding="utf-8"))  # the library validates it again
    resources = [e.resource for e in bundle.entry]
    by_type = {}
    for r in resources:
        by_type.setdefault(r.get_resource_type(), []).append(r)
    assert sorted(by_type) == ["Device", "Observation", "Patient", "Procedure"]
    (patient,) = by_type["Patient"]
    assert patient.identifier[0].value == "MRN-0001" and str(patient.birthDate) == "1962-12-10"
    (device,) = by_type["Device"]
    assert device.serialNumber == "DRG-0001"
    settings = {p.type.text: p.valueQuantity[0].value for p in device.property if p.valueQuantity}
    assert settings["lead 1 amplitude"] == 800 and settings["lead 1 patient maximum"] == 1400
    (procedure,) = by_type["Procedure"]
    assert procedure.status == "completed" and procedure.performer[0].actor.display == "Dr Deer"
    assert procedure.identifier[0].value == recorded.record_id
    observations = {o.code.text: o for o in by_type["Observation"]}
    assert observations["Pain NRS before programming"].valueInteger == 7
    assert observations["Pain VAS after programming (0-100 mm)"].valueQuantity.value == 28
    assert observations["Stimulation comfortable level"].valueQuantity.value == 800
    assert observations["Stimulation comfortable level"].bodySite.text == "L4 left · lead 1"
    impedance = observations["Electrode impedance, lead 1, contacts 3-4"]
    assert impedance.valueQuantity.value == 5200 and impedance.interpretation[0].text == "open"
    assert observations["Pain coverage by paresthesia, lead 1"].valueQuantity.value == 100
    # every reference points at an entry of the bundle
    urls = {e.fullUrl for e in bundle.entry}
    text = json.loads(path.read_text(encoding="utf-8"))
    references = [v for v in _walk(text) if isinstance(v, dict) and "reference" in v]
    assert references and {r["reference"] for r in references} <= urls
    # the same record exports the same bundle
    assert fhir_bundle(recorded, EXPORTED).model_dump_json() == bundle.model_dump_json()


def _walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
