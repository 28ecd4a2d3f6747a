"""The body map: the drawing's areas, coverage and spill against hand-computed cases, suggested levels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workstation import bodymap
from workstation.bodymap import BodyMap, Coverage, LeadArea, View, coverage, shares
from workstation.levels import known_regions
from workstation.models import Side, SpinalLevel

HAND = {"A": 4.0, "B": 1.0, "C": 9.0}  # area sizes by hand


def test_hand_computed_coverage_and_spill():
    # pain: A (4) + B (1) = 5; lead 1 felt in B and C: overlap 1 of 5 pain, 9 of its 10 outside
    lead1, lead2, combined = shares(["A", "B"], {2: ["A"], 1: ["B", "C"]}, HAND)
    assert (lead1.pain_area, lead1.felt_area, lead1.overlap_area) == (5, 10, 1)
    assert lead1.coverage == pytest.approx(1 / 5) and lead1.spill == pytest.approx(9 / 10)
    assert lead2.coverage == pytest.approx(4 / 5) and lead2.spill == 0
    # together A, B, C felt (14): all 5 of the pain covered, 9 of 14 outside
    assert combined.lead is None
    assert combined.coverage == 1 and combined.spill == pytest.approx(9 / 14)


def test_nothing_to_share_is_not_zero():
    lead, combined = shares([], {1: ["C"]}, HAND)
    assert lead.coverage is None and lead.spill == 1
    (combined,) = shares(["A"], {}, HAND)
    assert combined.coverage == 0 and combined.spill is None
    assert combined.text == "All leads: coverage 0 %, spill –"


def test_an_area_of_the_drawing_has_its_shoelace_area():
    t10 = bodymap.region("front-T10-left")
    # a trapezoid 16 high, 34 wide at the waist and 35.7 at its lower edge
    assert t10.area == pytest.approx(16 * (34 + 35.7) / 2)
    assert bodymap.region("front-T10-right").area == pytest.approx(t10.area)  # the two sides mirror


def test_the_drawing_covers_t10_to_s2_on_both_sides_and_the_finer_targets():
    regions = bodymap.body_regions().values()
    for side in Side:
        assert {r.level for r in regions if r.side is side} == set(SpinalLevel)
        for view in View:
            assert {r.target for r in regions if r.side is side and r.view is view} >= {"knee", "foot"}
        assert {r.target for r in regions if r.side is side} == {"", "groin", "knee", "foot", "pelvis"}
    assert {r.table_region for r in regions} <= set(known_regions())


def point_inside(point, polygon) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


@given(st.floats(0, 440), st.floats(0, 430))
def test_no_point_of_the_drawing_lies_in_two_areas(x, y):
    """The areas do not overlap, so the coverage may add their areas."""
    holding = [r.id for r in bodymap.body_regions().values() if point_inside((x, y), r.points)]
    assert len(holding) <= 1, holding


def test_a_map_is_checked_and_canonical():
    m = BodyMap.of({"front-knee-left": 6, "front-groin-right": 3}, {2: ["back-S1-left", "back-L4-left"], 1: []})
    assert [p.region for p in m.pain] == ["front-groin-right", "front-knee-left"]
    assert m.leads == (LeadArea(2, ("back-L4-left", "back-S1-left")),)  # a lead with no area is left out
    assert BodyMap.from_json({"pain": [{"region": "front-knee-left", "intensity": 6}]}).pain_regions == {
        "front-knee-left": 6
    }
    with pytest.raises(ValueError, match="not an area"):
        BodyMap.of({"elbow": 3}, {})
    with pytest.raises(ValueError, match="1 \\(slight\\) to 10"):
        BodyMap.of({"front-knee-left": 11}, {})
    with pytest.raises(ValueError, match="numbered 1 to 4"):
        BodyMap.of({}, {5: ["front-knee-left"]})


def test_a_lead_location_lights_its_dermatome_on_both_views():
    assert bodymap.regions_of(SpinalLevel.L4, Side.LEFT) == ("front-L4-left", "back-L4-left")
    assert set(bodymap.regions_of(SpinalLevel.S2, Side.RIGHT)) == {
        "back-pelvis-right",
        "back-S2-right",
        "back-knee-right",
    }


def test_levels_are_suggested_per_side_through_the_dermatome_table():
    m = BodyMap.of({"front-knee-left": 8, "front-L3-left": 5, "front-groin-right": 4}, {})
    suggested = bodymap.suggested_levels(m)
    # thigh (L1-L3, mostly L2) and knee (L3, L4): L3 is named by both
    assert [s.text for s in suggested if s.side is Side.LEFT] == ["L3 left", "L2 left", "L4 left", "L1 left"]
    right = [s for s in suggested if s.side is Side.RIGHT]
    assert right[0].text == "L1 right" and right[0].reasons[0].startswith("groin: Schu 2015")
    # the left (the larger painted area) comes first
    assert suggested[0].side is Side.LEFT


def test_coverage_on_the_drawing_by_hand():
    # front knee, left: (120,300) (144,298) (142,325) (120,325), shoelace 1194 / 2 = 597;
    # the L3 band above it: (117,268) (148,262) (144,298) (120,300), 1866 / 2 = 933
    assert bodymap.region("front-knee-left").area == pytest.approx(597)
    assert bodymap.region("front-L3-left").area == pytest.approx(933)
    m = BodyMap.of({"front-knee-left": 8}, {1: ["front-knee-left", "front-L3-left"]})
    lead1, combined = coverage(m)
    assert lead1.coverage == 1 and lead1.spill == pytest.approx(933 / 1530)
    assert combined == Coverage(None, 597, 1530, 597)
    # painting the L3 band as well and feeling only the knee: half-covered by area, nothing spills
    m = BodyMap.of({"front-knee-left": 8, "front-L3-left": 2}, {1: ["front-knee-left"]})
    lead1, _ = coverage(m)
    assert lead1.coverage == pytest.approx(597 / 1530) and lead1.spill == 0


def test_the_log_line_names_the_areas_and_the_shares():
    m = BodyMap.of({"front-knee-left": 8}, {1: ["front-knee-left", "front-L3-left"]})
    text = bodymap.summary(m)
    assert text.startswith("pain: knee, left (front) 8/10; Lead 1: coverage 100 %, spill ")
    assert "All leads" not in text  # one lead: its figures are the combined ones


def test_coverage_text_rounds_to_whole_percent():
    assert Coverage(1, 3, 3, 1).text == "Lead 1: coverage 33 %, spill 67 %"
