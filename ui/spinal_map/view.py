"""Spinal map: where each DRG lead sits from T10 to S2, and which levels the pain regions suggest.

Orientation: a posterior view. The patient is seen from behind, as the
implanting physician sees the prone patient, so the patient's LEFT is on the
screen's LEFT. Boxed "L" and "R" side markers (as on a radiograph) and the
caption "patient seen from behind" say so on screen; do not mirror it elsewhere.

Every lead state has a colour, a text tag and a shape cue (solid, hollow,
crossed, hatched), so colour is never the only cue. The widget is painted
from its size alone, so it scales with the side panel it sits in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ui import theme
from ui.widgets import named
from workstation.models import MAX_LEADS, Side, SpinalLevel

VERTEBRAE = tuple(level for level in SpinalLevel if level <= SpinalLevel.L5)
SACRAL = tuple(level for level in SpinalLevel if level > SpinalLevel.L5)
SCREEN_SIGN = {Side.LEFT: -1, Side.RIGHT: +1}  # posterior view: patient's left on screen left


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
class _StateStyle:
    fill: QColor
    ink: QColor  # text on the fill
    tag: str  # shown next to the channel number
    meaning: str  # tooltip and legend wording
    hollow: bool = False
    crossed: bool = False
    hatched: bool = False


_STYLES = {
    LeadState.ENABLED: _StateStyle(QColor(theme.OK), QColor(theme.TEXT_ON_FILL), "ON", "enabled"),
    LeadState.DISABLED: _StateStyle(QColor(theme.TEXT_MUTED), QColor(theme.TEXT), "OFF", "disabled", hollow=True),
    LeadState.FAULT: _StateStyle(
        QColor(theme.DANGER), QColor(theme.TEXT_ON_FILL), "!", "fault: open or short impedance", crossed=True
    ),
    LeadState.UNKNOWN: _StateStyle(
        QColor(theme.WARNING_FILL), QColor(theme.TEXT), "?", "state unknown: link lost", hatched=True
    ),
}
_LEGEND: tuple[tuple[LeadState | None, str], ...] = (  # None: the suggested-level star
    (LeadState.ENABLED, "stimulating"),
    (LeadState.DISABLED, "off"),
    (LeadState.FAULT, "impedance fault"),
    (LeadState.UNKNOWN, "link lost"),
    (None, "suggested level"),
)

BACKGROUND = QColor(theme.SURFACE)
INK = QColor(theme.TEXT)
BONE = QColor(theme.MAP_BONE)
BONE_EDGE = QColor(theme.MAP_BONE_EDGE)
GANGLION = QColor(theme.MAP_GANGLION)
GANGLION_EDGE = QColor(theme.MAP_GANGLION_EDGE)
NERVE = QColor(theme.MAP_NERVE)
SUGGESTED_BAND = QColor(theme.INFO_TINT)
SUGGESTED_MARK = QColor(theme.INFO)
SELECTION = QColor(theme.SELECTION)
HOVER = QColor(theme.INFO)
PALE = QColor(theme.SURFACE_PALE)
TAIL = QColor(theme.TEXT_MUTED)
HATCH = QColor(theme.MAP_HATCH)
RULE = QColor(theme.RULE)

REFERENCE = QSize(300, 600)  # design size; everything scales from it
LEAD_TILT = math.radians(20)  # roots leave the foramen laterally and downwards


def _pen(paint: QColor | QBrush, width: float, cap: Qt.PenCapStyle = Qt.PenCapStyle.RoundCap) -> QPen:
    return QPen(QBrush(paint), width, Qt.PenStyle.SolidLine, cap)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class _Geometry:
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
        for state, words in _LEGEND:
            tag_w = QFontMetricsF(self.badge_font).horizontalAdvance(_STYLES[state].tag) if state else 0
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
class _LeadShape:
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


def _lead_shape(geometry: _Geometry, lead: MapLead, stack: int) -> _LeadShape:
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
    size = QRectF(0, 0, metrics.horizontalAdvance(_badge_text(lead)) + 10, metrics.height() + 4)
    gap = thickness / 2 + 3  # clear of the round end cap
    badge_x = end.x() + gap if sign > 0 else end.x() - gap - size.width()
    badge = size.translated(badge_x, end.y() - size.height() / 2)
    body = QRectF(start, end).normalized().adjusted(-pad, -pad, pad, pad)
    return _LeadShape(lead, start, end, thickness, badge, body.united(badge))


def _badge_text(lead: MapLead) -> str:
    return f"{lead.channel} {_STYLES[lead.state].tag}"


def _star(centre: QPointF, radius: float) -> QPolygonF:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(centre.x() + r * math.cos(angle), centre.y() + r * math.sin(angle)))
    return QPolygonF(points)


_Target = MapLead | tuple[SpinalLevel, Side] | None  # what a point hits: a lead, an empty ganglion, nothing


class SpinalMap(QWidget):
    """Clickable schematic of T10-S2 with the dorsal root ganglia, the placed leads and suggested levels.

    Clicking a lead emits `leadSelected(channel)`; clicking a ganglion without
    a lead emits `ganglionClicked(level, side)` so the application can place
    one there. Arrow keys move the selection between placed leads and
    Enter/Space emit `leadSelected` for it.
    """

    leadSelected = Signal(int)
    ganglionClicked = Signal(object, object)  # SpinalLevel, Side

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "spinalMap", "Spinal map", "")  # tooltips: tooltip_at, per point
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(220, 420)
        self._leads: tuple[MapLead, ...] = ()
        self._suggested: frozenset[SpinalLevel] = frozenset()
        self._selected: int | None = None
        self._hover: _Target = None
        self._pressed: _Target = None
        self._describe()

    # -- what the application sets -------------------------------------------------
    def set_leads(self, placements: Iterable[tuple[int, SpinalLevel, Side, LeadState]]) -> None:
        """Show these leads; ValueError on a channel outside 1-4 or given twice."""
        leads = tuple(
            MapLead(channel, SpinalLevel(level), Side(side), LeadState(state))
            for channel, level, side, state in placements
        )
        channels = [lead.channel for lead in leads]
        for channel in channels:
            if not 1 <= channel <= MAX_LEADS:
                raise ValueError(f"Lead channel {channel} is outside 1-{MAX_LEADS}.")
        if len(set(channels)) != len(channels):
            raise ValueError(f"A lead channel is placed twice: {sorted(channels)}.")
        self._leads = leads
        self._describe()
        self.update()

    def set_suggested(self, levels: Iterable[SpinalLevel]) -> None:
        self._suggested = frozenset(SpinalLevel(level) for level in levels)
        self._describe()
        self.update()

    def set_selected(self, channel: int | None) -> None:
        """Highlight the lead on `channel` (None: no selection); a channel not on the map highlights nothing."""
        self._selected = channel
        self.update()

    # -- what the application and tests read ----------------------------------------
    def leads(self) -> tuple[MapLead, ...]:
        return self._leads

    def suggested(self) -> frozenset[SpinalLevel]:
        return self._suggested

    def selected(self) -> int | None:
        return self._selected

    def lead_rect(self, channel: int) -> QRectF:
        """The area that selects the lead (body, contacts and badge); KeyError if not placed."""
        return self._shapes()[channel].rect

    def ganglion_rect(self, level: SpinalLevel, side: Side) -> QRectF:
        return self._geometry().ganglion_rect(SpinalLevel(level), Side(side))

    def level_rect(self, level: SpinalLevel) -> QRectF:
        """The horizontal band of one level, where its suggestion highlight is painted."""
        return self._geometry().level_rect(SpinalLevel(level))

    def tooltip_at(self, point: QPointF) -> str:
        target = self._target_at(point)
        if isinstance(target, MapLead):
            return (
                f"Lead {target.channel} · {target.level.name} {target.side.value.lower()} · "
                f"{_STYLES[target.state].meaning}"
            )
        if target is not None:
            level, side = target
            return f"{level.name} {side.value.lower()} ganglion: click to place a lead"
        for level in self._suggested:
            if self.level_rect(level).contains(point):
                return f"{level.name}: suggested by the pain regions"
        return ""

    def sizeHint(self) -> QSize:
        return REFERENCE

    # -- geometry and hit testing -----------------------------------------------------
    def _geometry(self) -> _Geometry:
        return _Geometry(self.width(), self.height())

    def _shapes(self) -> dict[int, _LeadShape]:
        geometry = self._geometry()
        shapes, seen = {}, {}
        for lead in self._leads:
            site = (lead.level, lead.side)
            shapes[lead.channel] = _lead_shape(geometry, lead, seen.get(site, 0))
            seen[site] = seen.get(site, 0) + 1
        return shapes

    def _target_at(self, point: QPointF) -> _Target:
        """The lead under `point`, else the empty ganglion, else None."""
        for shape in reversed(self._shapes().values()):
            if shape.rect.contains(point):
                return shape.lead
        geometry = self._geometry()
        occupied = {(lead.level, lead.side) for lead in self._leads}
        for level in SpinalLevel:
            for side in Side:
                if (level, side) not in occupied and geometry.ganglion_hit_rect(level, side).contains(point):
                    return level, side
        return None

    def _describe(self) -> None:
        placed = "; ".join(
            f"lead {lead.channel} at {lead.level.name} {lead.side.value.lower()}, {_STYLES[lead.state].meaning}"
            for lead in sorted(self._leads, key=lambda lead: lead.channel)
        )
        suggested = ", ".join(level.name for level in sorted(self._suggested))
        self.setAccessibleDescription(
            f"Leads placed: {placed or 'none'}. Suggested levels: {suggested or 'none'}. "
            "Posterior view: the patient's left is on the left."
        )

    # -- input ---------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._pressed = self._target_at(event.position())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        target = self._target_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and target is not None and target == self._pressed:
            if isinstance(target, MapLead):
                self.set_selected(target.channel)
                self.leadSelected.emit(target.channel)
            else:
                self.ganglionClicked.emit(*target)
        self._pressed = None
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        target = self._target_at(event.position())
        if target != self._hover:
            self._hover = target
            cursor = Qt.CursorShape.ArrowCursor if target is None else Qt.CursorShape.PointingHandCursor
            self.setCursor(cursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self._selected in self._shapes():
                self.leadSelected.emit(self._selected)
            return
        moves = {
            Qt.Key.Key_Up: self._step,
            Qt.Key.Key_Down: self._step,
            Qt.Key.Key_Left: self._across,
            Qt.Key.Key_Right: self._across,
        }
        if key not in moves or not self._leads:
            super().keyPressEvent(event)
            return
        forward = key in (Qt.Key.Key_Down, Qt.Key.Key_Right)
        self.set_selected(moves[key](self._shapes(), forward))

    def _step(self, shapes: dict[int, _LeadShape], forward: bool) -> int:
        """Next (or previous) lead down the spine, in reading order; stops at the ends."""
        order = sorted(shapes, key=lambda ch: (shapes[ch].rect.center().y(), shapes[ch].rect.center().x()))
        if self._selected not in shapes:
            return order[0] if forward else order[-1]
        index = order.index(self._selected) + (1 if forward else -1)
        return order[max(0, min(index, len(order) - 1))]

    def _across(self, shapes: dict[int, _LeadShape], rightwards: bool) -> int:
        """The nearest lead to the right (or left) on screen; stays put when there is none."""
        if self._selected not in shapes:
            return self._step(shapes, True)
        here = shapes[self._selected].rect.center()
        candidates = [
            ch
            for ch, shape in shapes.items()
            if (shape.rect.center().x() > here.x()) == rightwards and shape.rect.center().x() != here.x()
        ]
        if not candidates:
            return self._selected
        return min(candidates, key=lambda ch: abs(shapes[ch].rect.center().y() - here.y()))

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        geometry = self._geometry()
        painter = QPainter(self)
        try:  # an active painter left behind by an exception crashes Qt
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), BACKGROUND)
            for level in self._suggested:  # inset so neighbouring bands stay distinct
                painter.fillRect(geometry.level_rect(level).adjusted(0, 1, 0, -1), SUGGESTED_BAND)
            self._paint_roots(painter, geometry)
            self._paint_vertebrae(painter, geometry)
            self._paint_sacrum(painter, geometry)
            self._paint_ganglia(painter, geometry)
            for shape in self._shapes().values():
                self._paint_lead(painter, shape, geometry)
            self._paint_header(painter, geometry)
            self._paint_legend(painter, geometry)
            if self.hasFocus() and self._selected not in self._shapes():
                painter.setPen(QPen(SELECTION, 1, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        finally:
            painter.end()

    def _paint_label(self, painter: QPainter, geometry: _Geometry, level: SpinalLevel, centre: QPointF) -> None:
        """The level's name, with a star after it when the level is suggested."""
        painter.setFont(geometry.label_font)
        painter.setPen(INK)
        metrics = QFontMetricsF(geometry.label_font)
        text_w = metrics.horizontalAdvance(level.name)
        star_r = metrics.capHeight() * 0.65
        suggested = level in self._suggested
        width = text_w + (2.6 * star_r if suggested else 0)
        left = centre.x() - width / 2
        painter.drawText(QPointF(left, centre.y() + metrics.capHeight() / 2), level.name)
        if suggested:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(SUGGESTED_MARK)
            painter.drawPolygon(_star(QPointF(left + text_w + 1.5 * star_r, centre.y()), star_r))

    def _paint_roots(self, painter: QPainter, geometry: _Geometry) -> None:
        painter.setPen(_pen(NERVE, max(2.0, 2.5 * geometry.unit)))
        for level in SpinalLevel:
            for side in Side:
                start = geometry.root_start(level, side)
                ganglion = geometry.ganglion_centre(level, side)
                beyond = ganglion + QPointF(SCREEN_SIGN[side] * 22 * geometry.unit, 0.28 * geometry.row)
                painter.drawPolyline([start, ganglion, beyond])

    def _paint_vertebrae(self, painter: QPainter, geometry: _Geometry) -> None:
        radius = 5 * geometry.unit
        for level in VERTEBRAE:
            body = geometry.body_rect(level)
            painter.setPen(QPen(BONE_EDGE, 1.5))
            painter.setBrush(BONE)
            painter.drawRoundedRect(body, radius, radius)
            self._paint_label(painter, geometry, level, body.center())

    def _paint_sacrum(self, painter: QPainter, geometry: _Geometry) -> None:
        top = geometry.row_top(SACRAL[0]) + 0.08 * geometry.row
        bottom = geometry.row_top(SACRAL[-1]) + 1.5 * geometry.row
        outline = QPainterPath()
        outline.moveTo(geometry.centre - geometry.sacrum_half_width(top), top)
        outline.lineTo(geometry.centre + geometry.sacrum_half_width(top), top)
        outline.lineTo(geometry.centre + geometry.sacrum_half_width(bottom), bottom)
        outline.lineTo(geometry.centre - geometry.sacrum_half_width(bottom), bottom)
        outline.closeSubpath()
        painter.setPen(QPen(BONE_EDGE, 1.5))
        painter.setBrush(BONE)
        painter.drawPath(outline)
        for level in SACRAL:
            for side in Side:  # the sacral foramina the roots leave by
                foramen = geometry.root_start(level, side)
                painter.setBrush(BONE_EDGE)
                painter.drawEllipse(foramen, 3 * geometry.unit, 2.5 * geometry.unit)
            centre_y = geometry.row_top(level) + 0.45 * geometry.row
            self._paint_label(painter, geometry, level, QPointF(geometry.centre, centre_y))

    def _paint_ganglia(self, painter: QPainter, geometry: _Geometry) -> None:
        for level in SpinalLevel:
            for side in Side:
                rect = geometry.ganglion_rect(level, side)
                hovered = self._hover == (level, side)
                painter.setPen(QPen(HOVER if hovered else GANGLION_EDGE, 2.5 if hovered else 1.2))
                painter.setBrush(GANGLION)
                painter.drawEllipse(rect)
                if hovered:  # "+": a lead can be placed here
                    c, arm = rect.center(), rect.height() * 0.35
                    painter.setPen(QPen(HOVER, 2))
                    painter.drawLine(QPointF(c.x() - arm, c.y()), QPointF(c.x() + arm, c.y()))
                    painter.drawLine(QPointF(c.x(), c.y() - arm), QPointF(c.x(), c.y() + arm))

    def _paint_lead(self, painter: QPainter, shape: _LeadShape, geometry: _Geometry) -> None:
        style = _STYLES[shape.lead.state]
        # the lead body trails back medially into the epidural space it was threaded through
        inwards = -SCREEN_SIGN[shape.lead.side] * shape.thickness
        tail = QPainterPath(shape.start)
        tail.quadTo(shape.start + QPointF(inwards, 0), shape.start + QPointF(inwards, 0.35 * geometry.row))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_pen(TAIL, max(2.0, shape.thickness * 0.4)))
        painter.drawPath(tail)
        painter.setPen(_pen(INK, shape.thickness + 2))
        painter.drawLine(shape.start, shape.end)
        painter.setPen(_pen(PALE, shape.thickness))
        painter.drawLine(shape.start, shape.end)
        for contact in shape.contacts():
            self._paint_contact(painter, contact, shape.thickness, style)
        if style.crossed:  # a bold X over the lead's middle
            middle, arm = QLineF(shape.start, shape.end).center(), shape.thickness * 0.9
            for dx, dy in ((arm, arm), (arm, -arm)):
                line = QLineF(middle - QPointF(dx, dy), middle + QPointF(dx, dy))
                painter.setPen(_pen(BACKGROUND, 5))
                painter.drawLine(line)
                painter.setPen(_pen(INK, 2.5))
                painter.drawLine(line)
        self._paint_badge(painter, shape.badge, _badge_text(shape.lead), style, geometry.badge_font)
        if shape.lead.channel == self._selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(SELECTION, 2.5))
            painter.drawRoundedRect(shape.rect.adjusted(-2, -2, 2, 2), 4, 4)

    @staticmethod
    def _paint_contact(painter: QPainter, contact: QLineF, thickness: float, style: _StateStyle) -> None:
        if style.hollow:
            painter.setPen(_pen(style.fill, thickness, Qt.PenCapStyle.FlatCap))
            painter.drawLine(contact)
            painter.setPen(_pen(PALE, thickness - 3, Qt.PenCapStyle.FlatCap))
            painter.drawLine(contact)
            return
        painter.setPen(_pen(style.fill, thickness, Qt.PenCapStyle.FlatCap))
        painter.drawLine(contact)
        if style.hatched:
            painter.setPen(_pen(QBrush(HATCH, Qt.BrushStyle.BDiagPattern), thickness, Qt.PenCapStyle.FlatCap))
            painter.drawLine(contact)

    @staticmethod
    def _paint_badge(painter: QPainter, rect: QRectF, text: str, style: _StateStyle, font: QFont) -> None:
        painter.setPen(QPen(style.fill if style.hollow else INK, 1.5))
        painter.setBrush(BACKGROUND if style.hollow else style.fill)
        painter.drawRoundedRect(rect, 4, 4)
        if style.hatched:
            painter.setBrush(QBrush(HATCH, Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(font)
        painter.setPen(style.ink)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_header(self, painter: QPainter, geometry: _Geometry) -> None:
        size = geometry.header - 8
        painter.setFont(geometry.label_font)
        for side, text in ((Side.LEFT, "L"), (Side.RIGHT, "R")):
            x = 4 if SCREEN_SIGN[side] < 0 else geometry.width - 4 - size
            box = QRectF(x, 4, size, size)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(INK)
            painter.drawRect(box)
            painter.setPen(BACKGROUND)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(geometry.small_font)
        painter.setPen(INK)
        painter.drawText(QRectF(0, 4, geometry.width, size), Qt.AlignmentFlag.AlignCenter, "patient seen from behind")

    def _paint_legend(self, painter: QPainter, geometry: _Geometry) -> None:
        """Key to the badges and the star, flowed into as many lines as the width needs."""
        font = geometry.small_font
        ascent = QFontMetricsF(font).ascent()
        painter.setPen(QPen(RULE, 1))
        painter.drawLine(QPointF(4, geometry.legend_top), QPointF(geometry.width - 4, geometry.legend_top))
        for mark, state, words in geometry.legend:
            if state:
                self._paint_badge(painter, mark, _STYLES[state].tag, _STYLES[state], geometry.badge_font)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(SUGGESTED_MARK)
                painter.drawPolygon(_star(mark.center(), mark.height() * 0.45))
            painter.setFont(font)
            painter.setPen(INK)
            painter.drawText(QPointF(mark.right() + 4, mark.top() + ascent + 1), words)
