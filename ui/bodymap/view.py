"""The Body map tab: the clinician paints the visit's pain areas (with intensity) and, per lead,
where the patient feels it; coverage and spill show as they paint; Save records the map.

It is the one place pain and where each lead is felt are recorded, each area with its side.
Click an area to paint it with the brush chosen (Pain at an intensity, or a lead); click it again
to take it off; drag to paint several. The dermatome of the lead location selected on the spinal
map is outlined; pointing at an area lights its level and side on the spinal map
(`areaPointed(level, side)`); the levels suggested by the pain areas are starred there
(`suggestedLevelsChanged`). A new visit starts blank, with the last visit's pain areas offered as
a starting point (previous.py).

objectNames: bodyCanvas, bodyBrush, painIntensity, bodyCoverage, bodySuggested, bodyMapSave,
bodyMapClear, bodyMapMessage; the offer: bodyMapPrevious (previous.py).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.bodymap import painting
from ui.bodymap.previous import PreviousMapOffer
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.theme import DANGER_TEXT, OK_TEXT
from ui.widgets import message_label, named, show_message
from workstation import bodymap
from workstation.bodymap import BodyMap
from workstation.history import PatientHistory
from workstation.models import MAX_LEADS, Side, SpinalLevel
from workstation.service import ServiceError

PAIN = 0  # the brush's data: 0 paints pain, n paints lead n's area


class BodyCanvas(QWidget):
    """The drawing with the marks; emits what the pointer does to an area."""

    areaClicked = Signal(str, bool)  # region id, True: the first of a stroke
    areaPointed = Signal(object)  # region id or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "bodyCanvas", "Body map", "Click or drag over an area to paint it with the brush chosen.")
        self.setMouseTracking(True)
        self.setMinimumSize(300, 290)
        self.pain: dict[str, int] = {}
        self.leads: dict[int, set[str]] = {}
        self.highlighted: tuple[str, ...] = ()
        self._stroke: set[str] = set()
        self._pointed: str | None = None

    def sizeHint(self) -> QSize:
        return QSize(520, 510)

    def area_rect(self, region_id: str) -> QRectF:
        """Where an area is drawn in the widget (tests click its centre)."""
        transform = painting.drawing_transform(QRectF(self.rect()))
        return transform.map(painting.polygon(bodymap.region(region_id).points)).boundingRect()

    def area_centre(self, region_id: str) -> QPointF:
        transform = painting.drawing_transform(QRectF(self.rect()))
        points = bodymap.region(region_id).points
        x, y = sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
        return transform.map(QPointF(x, y))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painting.paint(painter, QRectF(self.rect()), self.pain, self.leads, self.highlighted)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._stroke = set()
            self._touch(event.position(), first=True)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        region = painting.region_at(QRectF(self.rect()), event.position())
        if region != self._pointed:
            self._pointed = region
            self.setToolTip(bodymap.region(region).name if region else "")
            self.areaPointed.emit(region)
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._touch(event.position(), first=False)

    def _touch(self, point: QPointF, first: bool) -> None:
        region = painting.region_at(QRectF(self.rect()), point)
        if region is not None and region not in self._stroke:
            self._stroke.add(region)
            self.areaClicked.emit(region, first or len(self._stroke) == 1)


class BodyMapPanel(QWidget):
    areaPointed = Signal(object, object)  # SpinalLevel, Side of the area under the pointer (None, None: none)
    suggestedLevelsChanged = Signal(list)  # list[SpinalLevel] the pain areas suggest, best first

    def __init__(self, bridge: ServiceBridge, *, names: LeadNames | None = None) -> None:
        super().__init__()
        self._bridge = bridge
        self.names = names or LeadNames()  # a lead by where it sits: "L4 left · lead 1"
        self._stroke_adds = True
        self.canvas = BodyCanvas(self)
        self.brush = named(QComboBox(), "bodyBrush", "Brush", "What a click paints: pain, or where a lead is felt.")
        self.intensity = named(
            QSpinBox(), "painIntensity", "Pain intensity", "Intensity of the pain painted: 1 slight to 10 worst."
        )
        self.intensity.setRange(1, bodymap.MAX_INTENSITY)
        self.intensity.setValue(6)
        self.intensity.setMaximumWidth(self.intensity.fontMetrics().horizontalAdvance("10") + 60)  # two digits
        self.coverage = named(
            QTableWidget(0, 3),
            "bodyCoverage",
            "Coverage",
            "Coverage: share of the pain area the lead is felt in. Spill: share of the lead's area outside the pain.",
        )
        self.coverage.setHorizontalHeaderLabels(["", "Coverage", "Spill"])
        self.coverage.verticalHeader().hide()
        self.coverage.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.coverage.setMaximumHeight(150)
        self.suggested = named(QLabel("–"), "bodySuggested", "Suggested levels", "From the pain areas, by dermatome.")
        self.suggested.setWordWrap(True)
        self.save = named(
            QPushButton("&Save body map"),
            "bodyMapSave",
            "Save body map",
            "Record the map and its coverage in the visit.",
        )
        self.clear = named(QPushButton("Clear"), "bodyMapClear", "Clear", "Take every mark of the map off (not saved).")
        for button in (self.save, self.clear):
            button.setAutoDefault(False)
        self.message = message_label("bodyMapMessage", "Body map message")
        self.previous = PreviousMapOffer(self)
        form = QFormLayout()
        form.addRow("&Brush:", self.brush)
        form.addRow("&Intensity:", self.intensity)
        side = QVBoxLayout()
        side.addWidget(self.previous)
        side.addLayout(form)
        side.addWidget(QLabel("Coverage and spill:"))
        side.addWidget(self.coverage)
        side.addWidget(QLabel("Suggested levels:"))
        side.addWidget(self.suggested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(self.clear)
        side.addLayout(buttons)
        side.addWidget(self.message)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.canvas, 3)
        layout.addLayout(side, 2)
        self.set_lead_count(MAX_LEADS)
        self.brush.currentIndexChanged.connect(lambda _i: self.intensity.setEnabled(self.brush.currentData() == PAIN))
        self.canvas.areaClicked.connect(self._paint)
        self.canvas.areaPointed.connect(self._pointed)
        self.save.clicked.connect(self._save)
        self.clear.clicked.connect(lambda: self.set_map(BodyMap()))
        self.previous.accepted.connect(self._start_from)
        self._refresh()

    # -- what the window sets ---------------------------------------------------------------------
    def set_lead_count(self, count: int) -> None:
        """One brush per lead the device has (its capabilities)."""
        chosen = self.brush.currentData()
        self.brush.blockSignals(True)
        self.brush.clear()
        self.brush.addItem("Pain", PAIN)
        for lead in range(1, count + 1):
            self.brush.addItem(f"{self.names.name(lead)}: where it is felt", lead)
        index = self.brush.findData(chosen)
        self.brush.setCurrentIndex(max(index, 0))
        self.brush.blockSignals(False)

    def names_changed(self) -> None:
        """A lead was placed: its brush and its coverage row name it by where it sits."""
        for index in range(self.brush.count()):
            lead = self.brush.itemData(index)
            if lead != PAIN:
                self.brush.setItemText(index, f"{self.names.name(lead)}: where it is felt")
        self._refresh()

    def new_visit(self, session_id: int | None) -> None:
        """A visit begins (None: ends): a blank map; the patient's history may then offer their last pain."""
        self.set_map(BodyMap())
        self.previous.arm(session_id)

    def offer_previous(self, history: PatientHistory | None) -> None:
        """The History tab read a patient's history: at a new visit of theirs, offer their last pain map."""
        self.previous.consider(history)

    def paint_lead(self, lead: int) -> None:
        """Choose the brush of `lead` (the lead panel's "Where is it felt?")."""
        index = self.brush.findData(lead)
        if index >= 0:
            self.brush.setCurrentIndex(index)
            show_message(self.message, f"Paint where lead {lead} is felt, left or right, then Save.")

    def set_map(self, body_map: BodyMap) -> None:
        self.canvas.pain = body_map.pain_regions
        self.canvas.leads = {a.lead: set(a.regions) for a in body_map.leads}
        show_message(self.message, None)
        self._refresh()

    def highlight(self, level: SpinalLevel | None, side: Side | None) -> None:
        """Outline a lead location's dermatome (the spinal map's selection); None: nothing."""
        self.canvas.highlighted = bodymap.regions_of(level, side) if level is not None and side is not None else ()
        self.canvas.update()

    def body_map(self) -> BodyMap:
        return BodyMap.of(self.canvas.pain, {lead: sorted(r) for lead, r in self.canvas.leads.items()})

    # -- painting ------------------------------------------------------------------------------------
    def _start_from(self, body_map: BodyMap) -> None:
        self.set_map(body_map)
        show_message(self.message, "The last visit's pain areas, not saved yet: check them with the patient.")

    def _paint(self, region: str, first: bool) -> None:
        self.previous.withdraw()  # painting first is starting blank
        lead = self.brush.currentData()
        if lead == PAIN:
            intensity = self.intensity.value()
            if first:  # a stroke that starts on the same paint takes it off
                self._stroke_adds = self.canvas.pain.get(region) != intensity
            if self._stroke_adds:
                self.canvas.pain[region] = intensity
            else:
                self.canvas.pain.pop(region, None)
        else:
            areas = self.canvas.leads.setdefault(lead, set())
            if first:
                self._stroke_adds = region not in areas
            if self._stroke_adds:
                areas.add(region)
            else:
                areas.discard(region)
        show_message(self.message, None)
        self._refresh()

    def _pointed(self, region: str | None) -> None:
        if region is None:
            self.areaPointed.emit(None, None)
            return
        area = bodymap.region(region)
        self.areaPointed.emit(area.level, area.side)

    def _refresh(self) -> None:
        body_map = self.body_map()
        shares = bodymap.coverage(body_map)
        self.coverage.setRowCount(len(shares))
        for row, share in enumerate(shares):
            who = "All leads" if share.lead is None else self.names.name(share.lead)
            for column, text in enumerate((who, bodymap.percent(share.coverage), bodymap.percent(share.spill))):
                self.coverage.setItem(row, column, QTableWidgetItem(text))
        self.coverage.resizeColumnsToContents()
        suggested = bodymap.suggested_levels(body_map)
        self.suggested.setText(", ".join(s.text for s in suggested[:6]) or "–")
        self.suggested.setToolTip("\n".join(f"{s.text}: {'; '.join(s.reasons)}" for s in suggested))
        self.suggestedLevelsChanged.emit(list(dict.fromkeys(s.level for s in suggested)))
        self.canvas.update()

    def _save(self) -> None:
        try:
            future = self._bridge.service.recording.record_body_map(self.body_map())
        except ServiceError as exc:
            show_message(self.message, str(exc), DANGER_TEXT)
            return
        self._bridge.run(future, self._saved)

    def _saved(self, future) -> None:
        error = future.exception()
        if error is not None:
            show_message(self.message, f"Not saved: {error}", DANGER_TEXT)
            return
        show_message(self.message, "Body map saved in the visit.", OK_TEXT)
