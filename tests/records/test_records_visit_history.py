"""The body map, VAS and a returning patient's history in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from drivers.types import ImpedanceMeasurement, ImpedanceMode, ImpedanceResult, Polarity
from workstation import history
from workstation.bodymap import BodyMap
from workstation.events import EventKind, summarise
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
from workstation.records.tables import body_map_areas

P, N, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
KNEE_MAP = BodyMap.of(
    {"front-knee-left": 7, "front-L3-left": 3},
    {1: ["front-knee-left", "front-L4-left"], 2: ["front-L3-left"]},
)


def response(lead: int, perception: int) -> StimulusResponse:
    return StimulusResponse(lead, (P, N, O, O), 300, 20, Sensation.TINGLING, False, (), perception, perception + 200)


def test_a_body_map_is_one_event_with_a_row_per_area_and_side(store, session, reopen):
    event_id = store.record_body_map(session.id, KNEE_MAP)

    again = reopen()
    (event,) = [e for e in again.session_events(session.id) if e.id == event_id]
    assert event.kind == EventKind.BODY_MAP_RECORDED
    assert BodyMap.from_json(event.payload) == KNEE_MAP
    assert [c["lead"] for c in event.payload["coverage"]] == [1, 2, None]
    assert summarise(event).startswith("pain: L3, lower front of the thigh, left (front) 3/10; knee, left")
    with again._engine.connect() as conn:
        rows = conn.execute(
            sa.select(body_map_areas.c.kind, body_map_areas.c.lead, body_map_areas.c.level, body_map_areas.c.side)
            .where(body_map_areas.c.event_id == event_id)
            .order_by(body_map_areas.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("PAIN", None, "L3", "LEFT"),
        ("PAIN", None, "L3", "LEFT"),
        ("LEAD", 1, "L4", "LEFT"),
        ("LEAD", 1, "L3", "LEFT"),
        ("LEAD", 2, "L3", "LEFT"),
    ]


def test_the_database_refuses_a_pain_area_without_intensity(store, session):
    event_id = store.record_body_map(session.id, KNEE_MAP)
    bad = {"event_id": event_id, "session_id": session.id, "kind": "PAIN", "region": "x", "side": "LEFT"}
    with pytest.raises(sa.exc.IntegrityError), store._engine.begin() as conn:
        conn.execute(sa.insert(body_map_areas).values(**bad, level="L4", intensity=None))


def test_vas_beside_nrs_and_vas_alone(store, session, reopen, patient):
    store.record_pain_score(session.id, PainScore(7, PainTiming.BEFORE, vas_mm=68))
    store.record_pain_score(session.id, PainScore(None, PainTiming.AFTER, vas_mm=22))
    points = reopen().pain_history(patient.id)
    assert [p.score for p in points] == [
        PainScore(7, PainTiming.BEFORE, 68),
        PainScore(None, PainTiming.AFTER, 22),
    ]
    assert points[1].score.text == "VAS 22 mm"
    with pytest.raises(ValueError, match="NRS, the VAS or both"):
        PainScore(None, PainTiming.AFTER)
    with pytest.raises(ValueError, match="0 \\(no pain\\) to 100"):
        PainScore(3, PainTiming.AFTER, vas_mm=101)


def test_a_returning_patients_history(store, patient, identity, capabilities, reopen):
    first = store.open_session(patient.id, identity, capabilities, "Dr Deer")
    store.record_placement(first.id, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1)))
    store.record_pain_score(first.id, PainScore(8, PainTiming.BEFORE, 80))
    store.record_pain_score(first.id, PainScore(4, PainTiming.AFTER, 41))
    store.record_response(first.id, response(1, 400))
    store.record_body_map(first.id, BodyMap.of({"front-knee-left": 7}, {1: ["front-L4-left"]}))
    store.record_body_map(first.id, KNEE_MAP)  # the visit's last map is the visit's
    store.add_note(first.id, Note("Knee pain at night."))
    store.close_session(first.id)
    second = store.open_session(patient.id, identity, capabilities, "Dr Elk")
    store.record_response(second.id, response(1, 350))
    store.record_pain_score(second.id, PainScore(5, PainTiming.BEFORE))

    h = history.load(reopen(), patient.id)

    assert [v.session.clinician for v in h.visits] == ["Dr Deer", "Dr Elk"]
    first_visit, second_visit = h.visits
    assert first_visit.pain_text(PainTiming.BEFORE) == "NRS 8/10, VAS 80 mm"
    assert second_visit.pain_text(PainTiming.AFTER) == "–"
    assert first_visit.notes == ("Knee pain at night.",)
    assert first_visit.body_map == KNEE_MAP and second_visit.coverage is None
    assert [v for _, v in h.pain_series(PainTiming.BEFORE, "nrs")] == [8, 5]
    assert [v for _, v in h.pain_series(PainTiming.BEFORE, "vas_mm")] == [80]
    ((_, shown),) = h.coverage_series()
    assert shown.coverage == 1  # lead 1 on the knee and lead 2 on the thigh: all of the pain
    ((location, points),) = h.thresholds.items()
    assert location.text == "L4 left · lead 1"
    assert [p.response.perception_threshold_ua for p in points] == [400, 350]


def test_impedance_is_named_by_where_the_lead_sat_when_it_was_measured(store, patient, identity, capabilities, reopen):
    """A reading before the lead's placement was recorded says so; a lead placed again (moved) is
    another line, so no line mixes two places."""

    def measure(session_id: int, ohms: int) -> None:
        reading = ImpedanceResult(ImpedanceMode.LEAD_PAIR, (ImpedanceMeasurement(1, 1, 2, ohms),))
        store.record_impedance(session_id, reading, ImpedanceThresholds(200, 4000))

    first = store.open_session(patient.id, identity, capabilities, "Dr Deer")
    measure(first.id, 900)
    store.record_placement(first.id, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1)))
    measure(first.id, 950)
    store.close_session(first.id)
    second = store.open_session(patient.id, identity, capabilities, "Dr Elk")
    measure(second.id, 1000)
    store.record_placement(second.id, LeadPlacement(1, SpinalLevel.L5, Side.LEFT, date(2024, 9, 1)))
    measure(second.id, 1100)

    h = history.load(reopen(), patient.id)

    assert {pair.text: [r.ohms for r in readings] for pair, readings in h.impedance.items()} == {
        "L4 left · lead 1 · 1-2": [950, 1000],
        "L5 left · lead 1 · 1-2": [1100],
        "lead 1 (not placed) · 1-2": [900],
    }
