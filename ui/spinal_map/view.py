"""Spinal map: where each DRG lead sits from T10 to S2, and which levels the pain regions suggest.

Orientation: a posterior view. The patient is seen from behind, as the
implanting physician sees the prone patient, so the patient's LEFT is on the
screen's LEFT. Boxed "L" and "R" side markers (as on a radiograph) and the
caption "patient seen from behind" say so on screen; do not mirror it elsewhere.

Every lead state has a colour, a text tag and a shape cue (solid, hollow,
crossed, hatched), so colour is never the only cue. The widget is painted
from its size alone, so it scales with the side panel it sits in.

Beside this widget: states.py (lead states and their look), geometry.py (where
everything goes) and painting.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from ui.spinal_map.geometry import REFERENCE, Geometry, LeadShape, lead_shape
from ui.spinal_map.painting import MapPainter
from ui.spinal_map.states import STYLES, LeadState, MapLead
from ui.theme import SELECTION
from ui.widgets import named
from workstation.models import MAX_LEADS, Side, SpinalLevel

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
        self._lit: tuple[SpinalLevel, Side] | None = None  # the body map's area under the pointer
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

    def set_lit(self, level: SpinalLevel | None, side: Side | None) -> None:
        """Ring the ganglion of a level and side (the body map's area under the pointer); None: none."""
        self._lit = (SpinalLevel(level), Side(side)) if level is not None and side is not None else None
        self.update()

    def lit(self) -> tuple[SpinalLevel, Side] | None:
        return self._lit

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
                f"{STYLES[target.state].meaning}"
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
    def _geometry(self) -> Geometry:
        return Geometry(self.width(), self.height())

    def _shapes(self) -> dict[int, LeadShape]:
        geometry = self._geometry()
        shapes, seen = {}, {}
        for lead in self._leads:
            site = (lead.level, lead.side)
            shapes[lead.channel] = lead_shape(geometry, lead, seen.get(site, 0))
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
            f"lead {lead.channel} at {lead.level.name} {lead.side.value.lower()}, {STYLES[lead.state].meaning}"
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

    def _step(self, shapes: dict[int, LeadShape], forward: bool) -> int:
        """Next (or previous) lead down the spine, in reading order; stops at the ends."""
        order = sorted(shapes, key=lambda ch: (shapes[ch].rect.center().y(), shapes[ch].rect.center().x()))
        if self._selected not in shapes:
            return order[0] if forward else order[-1]
        index = order.index(self._selected) + (1 if forward else -1)
        return order[max(0, min(index, len(order) - 1))]

    def _across(self, shapes: dict[int, LeadShape], rightwards: bool) -> int:
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
        painter = QPainter(self)
        try:  # an active painter left behind by an exception crashes Qt
            frame = MapPainter(self._geometry(), self._suggested, self._hover, self._selected)
            frame.paint(painter, QRectF(self.rect()), self._shapes(), self.hasFocus())
            if self._lit is not None:
                ring = self.ganglion_rect(*self._lit).adjusted(-4, -4, 4, 4)
                painter.setPen(QPen(QColor(SELECTION), 3))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(ring)
        finally:
            painter.end()
