"""Painting the spinal map: the spine from T10 to S2 with its ganglia and roots, the
suggested levels, the placed leads with their state badges, the side markers and the
legend. Colours come from ui.theme."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from ui import theme
from ui.spinal_map.geometry import SACRAL, SCREEN_SIGN, VERTEBRAE, Geometry, LeadShape
from ui.spinal_map.states import STYLES, StateStyle, badge_text
from workstation.models import Side, SpinalLevel

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


def _pen(paint: QColor | QBrush, width: float, cap: Qt.PenCapStyle = Qt.PenCapStyle.RoundCap) -> QPen:
    return QPen(QBrush(paint), width, Qt.PenStyle.SolidLine, cap)


def star(centre: QPointF, radius: float) -> QPolygonF:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(centre.x() + r * math.cos(angle), centre.y() + r * math.sin(angle)))
    return QPolygonF(points)


class MapPainter:
    """Paints one frame of the map at one size: the suggested levels, the hovered target
    (a lead, or an empty ganglion as (level, side)) and the selected channel."""

    def __init__(
        self, geometry: Geometry, suggested: frozenset[SpinalLevel], hover: object, selected: int | None
    ) -> None:
        self.geometry, self.suggested, self.hover, self.selected = geometry, suggested, hover, selected

    def paint(self, painter: QPainter, area: QRectF, shapes: dict[int, LeadShape], focused: bool) -> None:
        """Paint the whole map into `area` (the widget's rect); `focused`: draw the focus frame
        when no lead is selected."""
        geometry = self.geometry
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(area, BACKGROUND)
        for level in self.suggested:  # inset so neighbouring bands stay distinct
            painter.fillRect(geometry.level_rect(level).adjusted(0, 1, 0, -1), SUGGESTED_BAND)
        self._paint_roots(painter, geometry)
        self._paint_vertebrae(painter, geometry)
        self._paint_sacrum(painter, geometry)
        self._paint_ganglia(painter, geometry)
        for shape in shapes.values():
            self._paint_lead(painter, shape, geometry)
        self._paint_header(painter, geometry)
        self._paint_legend(painter, geometry)
        if focused and self.selected not in shapes:
            painter.setPen(QPen(SELECTION, 1, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(area.adjusted(1, 1, -1, -1))

    def _paint_label(self, painter: QPainter, geometry: Geometry, level: SpinalLevel, centre: QPointF) -> None:
        """The level's name, with a star after it when the level is suggested."""
        painter.setFont(geometry.label_font)
        painter.setPen(INK)
        metrics = QFontMetricsF(geometry.label_font)
        text_w = metrics.horizontalAdvance(level.name)
        star_r = metrics.capHeight() * 0.65
        suggested = level in self.suggested
        width = text_w + (2.6 * star_r if suggested else 0)
        left = centre.x() - width / 2
        painter.drawText(QPointF(left, centre.y() + metrics.capHeight() / 2), level.name)
        if suggested:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(SUGGESTED_MARK)
            painter.drawPolygon(star(QPointF(left + text_w + 1.5 * star_r, centre.y()), star_r))

    def _paint_roots(self, painter: QPainter, geometry: Geometry) -> None:
        painter.setPen(_pen(NERVE, max(2.0, 2.5 * geometry.unit)))
        for level in SpinalLevel:
            for side in Side:
                start = geometry.root_start(level, side)
                ganglion = geometry.ganglion_centre(level, side)
                beyond = ganglion + QPointF(SCREEN_SIGN[side] * 22 * geometry.unit, 0.28 * geometry.row)
                painter.drawPolyline([start, ganglion, beyond])

    def _paint_vertebrae(self, painter: QPainter, geometry: Geometry) -> None:
        radius = 5 * geometry.unit
        for level in VERTEBRAE:
            body = geometry.body_rect(level)
            painter.setPen(QPen(BONE_EDGE, 1.5))
            painter.setBrush(BONE)
            painter.drawRoundedRect(body, radius, radius)
            self._paint_label(painter, geometry, level, body.center())

    def _paint_sacrum(self, painter: QPainter, geometry: Geometry) -> None:
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

    def _paint_ganglia(self, painter: QPainter, geometry: Geometry) -> None:
        for level in SpinalLevel:
            for side in Side:
                rect = geometry.ganglion_rect(level, side)
                hovered = self.hover == (level, side)
                painter.setPen(QPen(HOVER if hovered else GANGLION_EDGE, 2.5 if hovered else 1.2))
                painter.setBrush(GANGLION)
                painter.drawEllipse(rect)
                if hovered:  # "+": a lead can be placed here
                    c, arm = rect.center(), rect.height() * 0.35
                    painter.setPen(QPen(HOVER, 2))
                    painter.drawLine(QPointF(c.x() - arm, c.y()), QPointF(c.x() + arm, c.y()))
                    painter.drawLine(QPointF(c.x(), c.y() - arm), QPointF(c.x(), c.y() + arm))

    def _paint_lead(self, painter: QPainter, shape: LeadShape, geometry: Geometry) -> None:
        style = STYLES[shape.lead.state]
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
        self._paint_badge(painter, shape.badge, badge_text(shape.lead), style, geometry.badge_font)
        if shape.lead.channel == self.selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(SELECTION, 2.5))
            painter.drawRoundedRect(shape.rect.adjusted(-2, -2, 2, 2), 4, 4)

    @staticmethod
    def _paint_contact(painter: QPainter, contact: QLineF, thickness: float, style: StateStyle) -> None:
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
    def _paint_badge(painter: QPainter, rect: QRectF, text: str, style: StateStyle, font: QFont) -> None:
        painter.setPen(QPen(style.fill if style.hollow else INK, 1.5))
        painter.setBrush(BACKGROUND if style.hollow else style.fill)
        painter.drawRoundedRect(rect, 4, 4)
        if style.hatched:
            painter.setBrush(QBrush(HATCH, Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(font)
        painter.setPen(style.ink)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_header(self, painter: QPainter, geometry: Geometry) -> None:
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

    def _paint_legend(self, painter: QPainter, geometry: Geometry) -> None:
        """Key to the badges and the star, flowed into as many lines as the width needs."""
        font = geometry.small_font
        ascent = QFontMetricsF(font).ascent()
        painter.setPen(QPen(RULE, 1))
        painter.drawLine(QPointF(4, geometry.legend_top), QPointF(geometry.width - 4, geometry.legend_top))
        for mark, state, words in geometry.legend:
            if state:
                self._paint_badge(painter, mark, STYLES[state].tag, STYLES[state], geometry.badge_font)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(SUGGESTED_MARK)
                painter.drawPolygon(star(mark.center(), mark.height() * 0.45))
            painter.setFont(font)
            painter.setPen(INK)
            painter.drawText(QPointF(mark.right() + 4, mark.top() + ascent + 1), words)
