"""The states a lead can be in on the spinal map, and how each is drawn: a fill, a text
tag and a shape cue (solid, hollow, crossed, hatched), so colour is never the only cue."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from PySide6.QtGui import QColor

from ui import theme
from workstation.models import Side, SpinalLevel


class LeadState(Enum):
    ENABLED = "enabled"  # stimulating
    DISABLED = "disabled"
    FAULT = "fault"  # open or short impedance
    UNKNOWN = "unknown"  # link lost: what the lead does is not known


class MapLead(NamedTuple):
    """One lead as the map shows it; a plain (channel, level, side, state) tuple also works."""

    channel: int
    level: SpinalLevel
    side: Side
    state: LeadState


@dataclass(frozen=True)
class StateStyle:
    fill: QColor
    ink: QColor  # text on the fill
    tag: str  # shown next to the channel number
    meaning: str  # tooltip and legend wording
    hollow: bool = False
    crossed: bool = False
    hatched: bool = False


STYLES = {
    LeadState.ENABLED: StateStyle(QColor(theme.OK), QColor(theme.TEXT_ON_FILL), "ON", "enabled"),
    LeadState.DISABLED: StateStyle(QColor(theme.TEXT_MUTED), QColor(theme.TEXT), "OFF", "disabled", hollow=True),
    LeadState.FAULT: StateStyle(
        QColor(theme.DANGER), QColor(theme.TEXT_ON_FILL), "!", "fault: open or short impedance", crossed=True
    ),
    LeadState.UNKNOWN: StateStyle(
        QColor(theme.WARNING_FILL), QColor(theme.TEXT), "?", "state unknown: link lost", hatched=True
    ),
}
LEGEND: tuple[tuple[LeadState | None, str], ...] = (  # None: the suggested-level star
    (LeadState.ENABLED, "stimulating"),
    (LeadState.DISABLED, "off"),
    (LeadState.FAULT, "impedance fault"),
    (LeadState.UNKNOWN, "link lost"),
    (None, "suggested level"),
)


def badge_text(lead: MapLead) -> str:
    return f"{lead.channel} {STYLES[lead.state].tag}"
