"""The body map of a visit: where it hurts, where each lead is felt, and how well they match.

DRG therapy is chosen because it is focal, so its value is how much of the
painful area the paresthesia (or relief) covers and how little it spills
outside it (ACCURATE trial). The drawing is resources/body-map.svg: front and
back, each side divided into areas that do not overlap, following the
dermatomes T10-S2 plus the finer DRG targets (groin, knee, foot, pelvis).
Each area names its dermatome level and its row in the dermatome table, so
suggested levels come from the same table as the checklist did. Qt-free: the
UI, the report, the exports and the history share one computation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from workstation.levels import suggest_levels
from workstation.models import MAX_LEADS, Side, SpinalLevel

BODY_MAP_SVG = Path(__file__).resolve().parents[1] / "resources" / "body-map.svg"
MAX_INTENSITY = 10  # pain intensity of an area, as the NRS: 1 (slight) to 10 (worst)
Point = tuple[float, float]


class View(str, Enum):
    FRONT = "front"
    BACK = "back"


@dataclass(frozen=True)
class BodyRegion:
    """One paintable area of the drawing."""

    id: str  # "front-L4-left"
    view: View
    side: Side
    level: SpinalLevel  # the dermatome the area lies in
    target: str  # the finer DRG target it is ("groin", "knee", "foot", "pelvis"), or ""
    table_region: str  # its row in workstation/data/dermatomes.json
    label: str
    points: tuple[Point, ...]

    @property
    def area(self) -> float:
        """Shoelace area in drawing units (the drawing is to one scale, so shares are comparable)."""
        pts = self.points
        twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]))
        return abs(twice) / 2

    @property
    def name(self) -> str:
        """As a clinician reads it: "L4, inner lower leg, left (front)"."""
        return f"{self.label}, {self.side.value.lower()} ({self.view.value})"


_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


def _polylines(d: str) -> list[tuple[Point, ...]]:
    """The polylines of a path written with absolute M, L and Z only (as the drawing is)."""
    if set(re.sub(r"[\d.\s-]", "", d)) - set("MLZ"):
        raise ValueError(f"body map path uses more than M, L and Z: {d[:40]!r}")
    lines = []
    for part in filter(None, (p.strip() for p in d.split("M"))):
        values = [float(v) for v in _NUMBERS.findall(part)]
        lines.append(tuple(zip(values[::2], values[1::2])))
    return lines


@dataclass(frozen=True)
class Drawing:
    """The drawing as data: its areas (by id, in drawing order) and its outline strokes."""

    width: float
    height: float
    regions: Mapping[str, BodyRegion]
    outline: tuple[tuple[Point, ...], ...]  # open polylines, except the heads (closed in the file)


@cache
def drawing(path: Path = BODY_MAP_SVG) -> Drawing:
    root = ET.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    _x, _y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    regions: dict[str, BodyRegion] = {}
    outline: list[tuple[Point, ...]] = []
    for element in root.iterfind("svg:path", ns):
        a = element.attrib
        if a.get("class") == "outline":
            outline += _polylines(a["d"])
            continue
        (points,) = _polylines(a["d"])
        regions[a["id"]] = BodyRegion(
            a["id"],
            View(a["data-view"]),
            Side(a["data-side"]),
            SpinalLevel[a["data-level"]],
            a["data-target"],
            a["data-table"],
            a["data-label"],
            points,
        )
    return Drawing(width, height, regions, tuple(outline))


def body_regions() -> Mapping[str, BodyRegion]:
    return drawing().regions


def region(region_id: str) -> BodyRegion:
    found = body_regions().get(region_id)
    if found is None:
        raise ValueError(f"{region_id!r} is not an area of the body map.")
    return found


def regions_of(level: SpinalLevel, side: Side) -> tuple[str, ...]:
    """The areas of a level's dermatome on one side: what lights when that lead location is selected."""
    return tuple(r.id for r in body_regions().values() if r.level is level and r.side is side)


@dataclass(frozen=True)
class PainArea:
    region: str
    intensity: int  # 1..MAX_INTENSITY

    def __post_init__(self) -> None:
        region(self.region)
        if isinstance(self.intensity, bool) or not isinstance(self.intensity, int):
            raise ValueError(f"A pain intensity is a whole number, not {self.intensity!r}.")
        if not 1 <= self.intensity <= MAX_INTENSITY:
            raise ValueError(f"A pain intensity is 1 (slight) to {MAX_INTENSITY} (worst), not {self.intensity}.")


@dataclass(frozen=True)
class LeadArea:
    """Where the patient feels one lead's stimulation (paresthesia or the stimulus response)."""

    lead: int
    regions: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.lead, bool) or not isinstance(self.lead, int) or not 1 <= self.lead <= MAX_LEADS:
            raise ValueError(f"A lead is numbered 1 to {MAX_LEADS}, not {self.lead!r}.")
        for region_id in self.regions:
            region(region_id)
        object.__setattr__(self, "regions", tuple(sorted(set(self.regions))))


@dataclass(frozen=True)
class BodyMap:
    """The visit's map: painted pain areas with intensity and each lead's area (canonical order)."""

    pain: tuple[PainArea, ...] = ()
    leads: tuple[LeadArea, ...] = field(default=())

    def __post_init__(self) -> None:
        pain = tuple(sorted(self.pain, key=lambda p: p.region))
        if len({p.region for p in pain}) != len(pain):
            raise ValueError("An area has two pain intensities; paint it once.")
        leads = tuple(sorted((a for a in self.leads if a.regions), key=lambda a: a.lead))
        if len({a.lead for a in leads}) != len(leads):
            raise ValueError("A lead has two areas; give each lead one.")
        object.__setattr__(self, "pain", pain)
        object.__setattr__(self, "leads", leads)

    @classmethod
    def of(cls, pain: Mapping[str, int], leads: Mapping[int, Iterable[str]]) -> BodyMap:
        return cls(
            tuple(PainArea(r, i) for r, i in pain.items()),
            tuple(LeadArea(lead, tuple(regions)) for lead, regions in leads.items()),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BodyMap:
        """The inverse of the records' JSON form (workstation.records.codec.to_json)."""
        return cls(
            tuple(PainArea(p["region"], p["intensity"]) for p in data.get("pain", ())),
            tuple(LeadArea(a["lead"], tuple(a["regions"])) for a in data.get("leads", ())),
        )

    @property
    def pain_regions(self) -> dict[str, int]:
        return {p.region: p.intensity for p in self.pain}

    def lead_regions(self, lead: int) -> tuple[str, ...]:
        return next((a.regions for a in self.leads if a.lead == lead), ())

    @property
    def empty(self) -> bool:
        return not self.pain and not self.leads


@dataclass(frozen=True)
class Coverage:
    """How one lead's area (lead None: every lead's together) matches the pain area."""

    lead: int | None
    pain_area: float
    felt_area: float
    overlap_area: float

    @property
    def coverage(self) -> float | None:
        """Share of the pain area the lead covers; None without pain painted."""
        return self.overlap_area / self.pain_area if self.pain_area else None

    @property
    def spill(self) -> float | None:
        """Share of the lead's area outside the pain area; None if the lead's area is empty."""
        return (self.felt_area - self.overlap_area) / self.felt_area if self.felt_area else None

    @property
    def text(self) -> str:
        who = "All leads" if self.lead is None else f"Lead {self.lead}"
        return f"{who}: coverage {percent(self.coverage)}, spill {percent(self.spill)}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def shares(pain: Iterable[str], leads: Mapping[int, Iterable[str]], areas: Mapping[str, float]) -> tuple[Coverage, ...]:
    """Per lead (in lead order), then every lead together (lead None, last). `areas` gives each
    area's size; the areas must not overlap (the drawing's do not), so sizes add."""
    pain_ids = set(pain)
    pain_area = sum(areas[i] for i in pain_ids)

    def of(lead: int | None, felt: set[str]) -> Coverage:
        return Coverage(lead, pain_area, sum(areas[i] for i in felt), sum(areas[i] for i in felt & pain_ids))

    felt = {lead: set(regions) for lead, regions in sorted(leads.items())}
    return (*(of(lead, f) for lead, f in felt.items()), of(None, set().union(*felt.values())))


def coverage(body_map: BodyMap) -> tuple[Coverage, ...]:
    """`shares` of the visit's map on the drawing."""
    areas = {r.id: r.area for r in body_regions().values()}
    return shares(body_map.pain_regions, {a.lead: a.regions for a in body_map.leads}, areas)


def combined_coverage(body_map: BodyMap) -> Coverage:
    return coverage(body_map)[-1]


@dataclass(frozen=True)
class LevelSuggestion:
    level: SpinalLevel
    side: Side
    reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.level.name} {self.side.value.lower()}"


def suggested_levels(body_map: BodyMap) -> list[LevelSuggestion]:
    """Levels to place or program, per side (the side with more pain first), through the dermatome
    table (workstation.levels): each painted area stands for its table row."""
    regions = body_regions()
    by_side: dict[Side, list[BodyRegion]] = {}
    for pain in body_map.pain:
        painted = regions[pain.region]
        by_side.setdefault(painted.side, []).append(painted)
    sides = sorted(by_side, key=lambda s: (-sum(r.area for r in by_side[s]), s.value))
    return [
        LevelSuggestion(level, side, reasons)
        for side in sides
        for level, reasons in suggest_levels(r.table_region for r in by_side[side])
    ]


def pain_text(body_map: BodyMap) -> str:
    """The pain areas as a clinician reads them: "L4, inner lower leg, left (front) 7/10; ..."."""
    regions = body_regions()
    return "; ".join(f"{regions[p.region].name} {p.intensity}/10" for p in body_map.pain)


def summary(body_map: BodyMap) -> str:
    """One line for the session log: the pain areas, then coverage and spill."""
    pain = pain_text(body_map) or "no pain area"
    shares = list(coverage(body_map))
    shown = shares[:-1] if len(shares) == 2 else shares  # one lead: its figures are the combined ones
    return "; ".join([f"pain: {pain}", *(c.text for c in shown if body_map.leads)])
