"""Spinal level suggestion from pain regions (table from drg-programming-facts.md)."""

from __future__ import annotations

import pytest

from workstation.levels import known_regions, region_levels, suggest_levels
from workstation.models import SpinalLevel as L


def levels_for(*regions: str) -> list[L]:
    return [level for level, _ in suggest_levels(regions)]


@pytest.mark.parametrize(
    "region, expected",
    [
        ("foot", {L.L4, L.L5, L.S1}),
        ("ankle", {L.L4, L.L5, L.S1}),
        ("knee", {L.L3, L.L4}),
        ("pelvis", {L.S1, L.S2}),
        ("perineum", {L.S1, L.S2}),
        ("hip", {L.L1, L.L2, L.L3}),
        ("heel", {L.S1}),
    ],
)
def test_region_maps_to_facts_levels(region, expected):
    assert set(levels_for(region)) == expected


def test_groin_covers_t12_to_l2_and_ranks_l1_l2_first():
    suggested = levels_for("groin")
    assert {L.T12, L.L1, L.L2} <= set(suggested)
    assert suggested[:2] == [L.L1, L.L2]


def test_levels_pointed_at_by_more_regions_rank_first():
    assert levels_for("foot", "heel")[0] == L.S1
    assert levels_for("knee", "foot")[0] == L.L4
    assert levels_for("knee", "foot", "lower leg")[:2] == [L.L4, L.L5]


def test_reasons_name_each_region_and_its_source():
    ranked = dict(suggest_levels(["knee", "foot"]))
    assert len(ranked[L.L4]) == 2
    assert any(r.startswith("knee: Martin") for r in ranked[L.L4])
    assert ranked[L.L3] == ("knee: Martin et al. (Oxford): L3 and/or L4, 1-2 leads",)


def test_region_names_ignore_case_separators_and_repeats():
    assert levels_for("Lower_Leg") == levels_for("lower leg") == levels_for("LOWER-LEG", "lower leg")
    assert len(dict(suggest_levels(["foot", "Foot"]))[L.L5]) == 1


def test_unknown_region_lists_the_known_ones():
    with pytest.raises(ValueError, match="known regions: .*foot.*knee"):
        suggest_levels(["elbow"])


def test_no_regions_suggests_nothing():
    assert suggest_levels([]) == []


def test_every_row_has_a_source_and_spinal_levels_are_ordered():
    assert {"groin", "knee", "foot", "ankle", "pelvis", "perineum", "hip", "thigh", "lower leg", "heel"} <= set(
        known_regions()
    )
    for region in known_regions():
        row = region_levels(region)
        assert row.source and row.levels and set(row.primary) <= set(row.levels)
    assert list(L) == sorted(L) and L.T10 < L.L1 < L.S2 and len(L) == 10
