"""Suggest the spinal levels to place DRG leads at from the patient's pain regions.

The region -> level table is data (data/dermatomes.json) with the source of
every row, so a clinician can see why a level was proposed and the table can
be reviewed without reading code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workstation.models import SpinalLevel

DERMATOMES_PATH = Path(__file__).parent / "data" / "dermatomes.json"


@dataclass(frozen=True)
class RegionLevels:
    """One row of the table: the levels a pain region points at, and why."""

    region: str
    levels: tuple[SpinalLevel, ...]
    primary: tuple[SpinalLevel, ...]  # levels the source names as most used
    source: str


def _normalise(region: str) -> str:
    return " ".join(region.replace("_", " ").replace("-", " ").lower().split())


@cache
def _table() -> dict[str, RegionLevels]:
    rows = json.loads(DERMATOMES_PATH.read_text(encoding="utf-8"))["regions"]
    table = {}
    for row in rows:
        entry = RegionLevels(
            region=_normalise(row["region"]),
            levels=tuple(SpinalLevel[name] for name in row["levels"]),
            primary=tuple(SpinalLevel[name] for name in row["primary"]),
            source=row["source"],
        )
        if not entry.source or not set(entry.primary) <= set(entry.levels):
            raise ValueError(f"dermatome row {entry.region!r} needs a source and primary levels among its levels")
        table[entry.region] = entry
    return table


def known_regions() -> tuple[str, ...]:
    return tuple(sorted(_table()))


def region_levels(region: str) -> RegionLevels:
    """The table row for `region` (case, '-' and '_' ignored); ValueError names the known ones."""
    entry = _table().get(_normalise(region))
    if entry is None:
        raise ValueError(f"Unknown pain region {region!r}; known regions: {', '.join(known_regions())}.")
    return entry


def suggest_levels(regions: Iterable[str]) -> list[tuple[SpinalLevel, tuple[str, ...]]]:
    """Candidate levels with the reasons for each, best first.

    Ranked by how many regions point at a level, then by how many sources
    name it as a main level, then cranio-caudally. A reason reads
    "foot: dermatome convention (L4, L5, S1)".
    """
    entries = list({e.region: e for e in map(region_levels, regions)}.values())
    reasons: dict[SpinalLevel, list[str]] = {}
    primary_count: dict[SpinalLevel, int] = {}
    for entry in entries:
        for level in entry.levels:
            reasons.setdefault(level, []).append(f"{entry.region}: {entry.source}")
            primary_count[level] = primary_count.get(level, 0) + (level in entry.primary)
    ranked = sorted(reasons, key=lambda lv: (-len(reasons[lv]), -primary_count[lv], lv))
    return [(level, tuple(reasons[level])) for level in ranked]
