"""Painting the body map (resources/body-map.svg, read by workstation.bodymap) with the visit's marks.

One painter for the widget, the report and the screenshots: pain areas are filled red, stronger
with intensity; each lead's area is hatched in the lead's colour; highlighted areas (the dermatome
of the lead location selected on the spinal map) get a thick edge.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from ui.theme import BODY_EDGE, BODY_LEADS, BODY_PAIN, BODY_SKIN, SELECTION, TEXT
from workstation import bodymap

HATCHES = (Qt.BrushStyle.BDiagPattern, Qt.BrushStyle.FDiagPattern, Qt.BrushStyle.HorPattern, Qt.BrushStyle.VerPattern)


def lead_colour(lead: int) -> QColor:
    return QColor(BODY_LEADS[(lead - 1) % len(BODY_LEADS)])


def pain_colour(intensity: int) -> QColor:
    colour = QColor(BODY_PAIN)
    colour.setAlpha(60 + round(195 * intensity / bodymap.MAX_INTENSITY))
    return colour


def drawing_transform(rect: QRectF) -> QTransform:
    """Drawing units to `rect`, keeping the aspect ratio, centred."""
    drawn = bodymap.drawing()
    scale = min(rect.width() / drawn.width, rect.height() / drawn.height)
    dx = rect.x() + (rect.width() - drawn.width * scale) / 2
    dy = rect.y() + (rect.height() - drawn.height * scale) / 2
    return QTransform(scale, 0, 0, scale, dx, dy)


def polygon(points: tuple[tuple[float, float], ...]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def region_at(rect: QRectF, point: QPointF) -> str | None:
    """The area under `point` (widget coordinates), if any."""
    inverted, ok = drawing_transform(rect).inverted()
    if not ok:
        return None
    at = inverted.map(point)
    for region in bodymap.body_regions().values():
        if polygon(region.points).containsPoint(at, Qt.FillRule.OddEvenFill):
            return region.id
    return None


def paint(
    painter: QPainter,
    rect: QRectF,
    pain: Mapping[str, int],
    leads: Mapping[int, Collection[str]],
    highlighted: Collection[str] = (),
) -> None:
    drawn = bodymap.drawing()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setTransform(drawing_transform(rect), combine=True)
    edge = QPen(QColor(BODY_EDGE), 0.6)
    for region in drawn.regions.values():
        shape = polygon(region.points)
        painter.setPen(edge)
        painter.setBrush(QColor(BODY_SKIN))
        painter.drawPolygon(shape)
        if region.id in pain:
            painter.setBrush(pain_colour(pain[region.id]))
            painter.drawPolygon(shape)
        for lead, regions in sorted(leads.items()):
            if region.id in regions:
                painter.setPen(Qt.PenStyle.NoPen)
                brush = QBrush(lead_colour(lead), HATCHES[(lead - 1) % len(HATCHES)])
                brush.setTransform(QTransform.fromScale(0.25, 0.25))  # fine hatching at any scale
                painter.setBrush(brush)
                painter.drawPolygon(shape)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(SELECTION), 2.2))
    for region_id in highlighted:
        painter.drawPolygon(polygon(drawn.regions[region_id].points))
    outline = QPainterPath()
    for line in drawn.outline:
        outline.addPolygon(polygon(line))
    painter.setPen(QPen(QColor(BODY_EDGE), 1.2))
    painter.drawPath(outline)
    painter.setPen(QColor(TEXT))
    font = painter.font()
    font.setPointSizeF(9)
    painter.setFont(font)
    half = drawn.width / 2
    for x, text in ((half / 2, "Front"), (half * 1.5, "Back")):
        painter.drawText(QRectF(x - 40, drawn.height - 14, 80, 14), Qt.AlignmentFlag.AlignCenter, text)
    for x, text in ((22, "R"), (half - 22, "L"), (half + 22, "L"), (drawn.width - 22, "R")):
        painter.drawText(QRectF(x - 10, 150, 20, 14), Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def image(pain: Mapping[str, int], leads: Mapping[int, Collection[str]], width: int = 880, height: int = 860) -> QImage:
    """The map on white, for the report."""
    picture = QImage(width, height, QImage.Format.Format_ARGB32)
    picture.fill(QColor("white"))
    painter = QPainter(picture)
    paint(painter, QRectF(0, 0, width, height), pain, leads)
    painter.end()
    return picture
