"""Where everything on the spinal map goes for one widget size: levels, vertebrae, the
sacrum, ganglia, nerve roots, the legend, and each lead laid along its root. Posterior
view: the patient's left is on the screen's left (SCREEN_SIGN)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize
from PySide6.QtGui import QFont, QFontMetricsF

from ui.spinal_map.states import LEGEND, STYLES, LeadState, MapLead, badge_text
from workstation.models import Side, SpinalLevel

VERTEBRAE = tuple(level for level in SpinalLevel if level <= SpinalLevel.L5)
SACRAL = tuple(level for level in SpinalLevel if level > SpinalLevel.L5)
SCREEN_SIGN = {Side.LEFT: -1, Side.RIGHT: +1}  # posterior view: patient's left on screen left
REFERENCE = QSize(300, 600)  # design size; everything scales from it
LEAD_TILT = math.radians(20)  # roots leave the foramen laterally and downwards


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class Geometry:
    """Where everything goes for one widget size (all coordinates in widget pixels)."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.unit = min(width / REFERENCE.width(), height / REFERENCE.height())
        self.label_font = self._font(_clamp(height / 45, 10, 18), bold=True)
        self.small_font = self._font(_clamp(11 * self.unit, 10, 14))
        self.badge_font = self._font(self.small_font.pixelSize(), bold=True)
        self.header = max(26.0, 30 * self.unit)
        self.legend, legend_height = self._flow_legend(height)
        self.top = self.header
        self.row = (height - self.header - legend_height) / (len(SpinalLevel) + 0.6)  # + coccyx tip
        self.legend_top = height - legend_height
        self.centre = width / 2
        self.ganglion_offset = 68 * self.unit

    def _flow_legend(self, height: float) -> tuple[list[tuple[QRectF, LeadState | None, str]], float]:
        """Legend marks (badge or star) with their words, wrapped to the width, laid out bottom-up."""
        metrics = QFontMetricsF(self.small_font)
        line = metrics.height() + 6
        rows: list[list[tuple[float, float, LeadState | None, str]]] = [[]]
        x = 6.0
        for state, words in LEGEND:
            tag_w = QFontMetricsF(self.badge_font).horizontalAdvance(STYLES[state].tag) if state else 0
            mark_w = tag_w + 10 if state else metrics.height()
            width = mark_w + 4 + metrics.horizontalAdvance(words) + 10
            if x + width > self.width - 4 and rows[-1]:
                rows.append([])
                x = 6.0
            rows[-1].append((x, mark_w, state, words))
            x += width
        legend_height = len(rows) * line + 6
        top = height - legend_height + 4
        items = [
            (QRectF(x, top + i * line, mark_w, metrics.height() + 2), state, words)
            for i, row in enumerate(rows)
            for x, mark_w, state, words in row
        ]
        return items, legend_height

    @staticmethod
    def _font(pixels: float, bold: bool = False) -> QFont:
        font = QFont("DejaVu Sans")
        font.setPixelSize(round(pixels))
        font.setBold(bold)
        return font

    def row_top(self, level: SpinalLevel) -> float:
        return self.top + (level - 1) * self.row

    def level_rect(self, level: SpinalLevel) -> QRectF:
        return QRectF(0, self.row_top(level), self.width, self.row)

    def body_half_width(self, level: SpinalLevel) -> float:
        """Vertebral bodies widen caudally, T10 to L5."""
        return self.unit * (30 + 12 * (level - 1) / (len(VERTEBRAE) - 1))

    def body_rect(self, level: SpinalLevel) -> QRectF:
        half = self.body_half_width(level)
        top = self.row_top(level) + 0.08 * self.row
        return QRectF(self.centre - half, top, 2 * half, 0.76 * self.row)

    def sacrum_half_width(self, y: float) -> float:
        """The sacrum tapers from wider than L5 at its top to the coccyx tip."""
        top = self.row_top(SACRAL[0])
        bottom = top + (len(SACRAL) + 0.5) * self.row
        wide = 1.18 * self.body_half_width(VERTEBRAE[-1])
        return wide + (3 * self.unit - wide) * (y - top) / (bottom - top)

    def ganglion_centre(self, level: SpinalLevel, side: Side) -> QPointF:
        """Beside the foramen below the vertebra of the same number."""
        x = self.centre + SCREEN_SIGN[side] * self.ganglion_offset
        return QPointF(x, self.row_top(level) + 0.62 * self.row)

    def ganglion_rect(self, level: SpinalLevel, side: Side) -> QRectF:
        half_w = 9 * self.unit
        half_h = min(6.5 * self.unit, 0.2 * self.row)
        centre = self.ganglion_centre(level, side)
        return QRectF(centre.x() - half_w, centre.y() - half_h, 2 * half_w, 2 * half_h)

    def ganglion_hit_rect(self, level: SpinalLevel, side: Side) -> QRectF:
        """A target large enough to hit (at least 28 px wide), never taller than its row."""
        rect = self.ganglion_rect(level, side)
        grow_x = max(0.0, (28 - rect.width()) / 2) + 4
        grow_y = max(0.0, (min(24, 0.9 * self.row) - rect.height()) / 2)
        return rect.adjusted(-grow_x, -grow_y, grow_x, grow_y)

    def root_start(self, level: SpinalLevel, side: Side) -> QPointF:
        """Where the nerve root leaves the spine: the body's edge, or a sacral foramen."""
        y = self.ganglion_centre(level, side).y() - 0.12 * self.row
        if level in SACRAL:
            half = 0.72 * self.sacrum_half_width(y)
        else:
            half = self.body_half_width(level)
        return QPointF(self.centre + SCREEN_SIGN[side] * half, y)


@dataclass(frozen=True)
class LeadShape:
    """A lead drawn along its nerve root: body axis, badge and the rect that selects it."""

    lead: MapLead
    start: QPointF  # medial end
    end: QPointF  # lateral (distal) end
    thickness: float
    badge: QRectF
    rect: QRectF

    def contacts(self) -> list[QLineF]:
        """The four contacts as short segments along the axis, distal first."""
        axis = QLineF(self.start, self.end)
        return [QLineF(axis.pointAt(t - 0.07), axis.pointAt(t + 0.07)) for t in (0.86, 0.62, 0.38, 0.14)]


def lead_shape(geometry: Geometry, lead: MapLead, stack: int) -> LeadShape:
    """Lay a lead over its ganglion; `stack` moves a second lead on the same ganglion clear below the first."""
    sign = SCREEN_SIGN[lead.side]
    half = 22 * geometry.unit
    along = QPointF(sign * math.cos(LEAD_TILT) * half, math.sin(LEAD_TILT) * half)
    thickness = max(7.0, 9 * geometry.unit)
    pad = thickness / 2 + 2
    shift = stack * (2 * (along.y() + pad) + 2)
    centre = geometry.ganglion_centre(lead.level, lead.side) + QPointF(0, shift)
    start, end = centre - along, centre + along
    metrics = QFontMetricsF(geometry.badge_font)
    size = QRectF(0, 0, metrics.horizontalAdvance(badge_text(lead)) + 10, metrics.height() + 4)
    gap = thickness / 2 + 3  # clear of the round end cap
    badge_x = end.x() + gap if sign > 0 else end.x() - gap - size.width()
    badge = size.translated(badge_x, end.y() - size.height() / 2)
    body = QRectF(start, end).normalized().adjusted(-pad, -pad, pad, pad)
    return LeadShape(lead, start, end, thickness, badge, body.united(badge))
