"""Live limit readouts: how close the proposed setting comes to each safety limit.

The proposed setting is the next "+" step with any pending timing edits, so
a bar turns amber (workstation.safety.APPROACH_FRACTION of its limit) and
red (at or over the limit: a refusal, or the charge density cap that needs
confirmation) one step BEFORE the limit binds on the device. Each bar also
says its state in words, and its tooltip is the rule's own sentence.

objectNames: chargeReadout, densityReadout, complianceReadout, shannonReadout
(each with a dynamic property "state": ok, amber, red or none), limitsCaption.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QWidget

from drivers.types import Capabilities, LeadConfig
from ui.lead_panel.style import set_style_property
from ui.theme import DANGER, DANGER_TEXT, OK, SURFACE_PALE, TEXT_MUTED, WARNING_FILL, WARNING_TEXT, tone_style
from ui.widgets import named, set_style_sheet
from workstation.safety import (
    APPROACH_FRACTION,
    CHARGE_DENSITY_WARN_UC_PER_CM2,
    Check,
    Level,
    Rule,
    charge_figures,
    evaluate,
)

STATE_WORD = {"ok": "", "amber": "near · ", "red": "LIMIT · ", "none": ""}
STATE_COLOUR = {"ok": OK, "amber": WARNING_FILL, "red": DANGER, "none": TEXT_MUTED}
STATE_TONE = {"ok": None, "amber": WARNING_TEXT, "red": DANGER_TEXT, "none": None}  # the figure's colour


@dataclass(frozen=True)
class Reading:
    fraction: float  # share of the limit used; 1 or more at or over it
    state: str  # ok, amber, red, none
    text: str  # figure and limit
    sentence: str  # the rule's own sentence


def state_of(*checks: Check) -> str:
    """Red when any rule is at or over its limit, amber when any is approaching it."""
    if any(c.level > Level.OK for c in checks):
        return "red"
    return "amber" if any(c.approaching for c in checks) else "ok"


def limit_readings(
    caps: Capabilities, config: LeadConfig, impedance_ohm: int | None, density_confirmed: bool = False
) -> dict[str, Reading]:
    """The four readouts for one proposed lead setting, keyed by objectName."""
    assessment = evaluate(caps, config, impedance_ohm, density_confirmed)
    figures = charge_figures(caps, config)
    shannon, density = assessment.check(Rule.SHANNON), assessment.check(Rule.CHARGE_DENSITY)
    cap_uc = CHARGE_DENSITY_WARN_UC_PER_CM2 * caps.contact_area_cm2
    limit_uc, limit_name = min(
        (cap_uc, f"{CHARGE_DENSITY_WARN_UC_PER_CM2:g} µC/cm² cap"), (figures.shannon_max_uc, "Shannon")
    )
    q = figures.worst_contact_uc
    readings = {
        "chargeReadout": Reading(
            q / limit_uc,
            state_of(shannon, density),
            f"{q:.3f} of {limit_uc:.2f} µC",
            f"Charge per phase on the worst contact; the binding limit is the {limit_name}. "
            f"{density.message} {shannon.message}",
        ),
        "densityReadout": Reading(
            density.fraction, state_of(density), f"{density.figure:.1f} of {density.limit:g} µC/cm²", density.message
        ),
        "shannonReadout": Reading(
            shannon.fraction,
            state_of(shannon),
            f"{q:.3f} of {shannon.limit:.2f} µC (k < {caps.shannon_k_limit:.2f})",
            shannon.message,
        ),
    }
    compliance = assessment.check(Rule.COMPLIANCE)
    if compliance is None:
        readings["complianceReadout"] = Reading(
            0.0, "none", "no impedance measured", "Measure the lead's impedance to see the compliance headroom."
        )
    else:
        headroom = compliance.limit - compliance.figure
        readings["complianceReadout"] = Reading(
            compliance.fraction,
            state_of(compliance),
            f"{headroom:.1f} V spare of {compliance.limit:g} V · {impedance_ohm} Ω",
            compliance.message,
        )
    return readings


class LimitBar(QWidget):
    """A small bar: share of the limit used, with a tick where amber starts."""

    def __init__(self, amber_from: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(70, 12)
        self.amber_from = amber_from
        self.fraction, self.state = 0.0, "none"

    def show_reading(self, fraction: float, state: str) -> None:
        self.fraction, self.state = fraction, state
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        box = QRectF(self.rect()).adjusted(0.5, 2.5, -0.5, -2.5)
        painter.setPen(QColor(TEXT_MUTED))
        painter.setBrush(QColor(SURFACE_PALE))
        painter.drawRect(box)
        filled = QRectF(box.left(), box.top(), box.width() * min(max(self.fraction, 0.0), 1.0), box.height())
        painter.fillRect(filled, QColor(STATE_COLOUR[self.state]))
        x = box.left() + box.width() * self.amber_from
        painter.setPen(QColor(TEXT_MUTED))
        painter.drawLine(int(x), int(box.top()) - 2, int(x), int(box.bottom()) + 2)


class LimitReadout(QWidget):
    """One named limit: its bar and its figure, with the state as a property and in words."""

    def __init__(
        self, name: str, title: str, rules: tuple[str, ...], grid: QGridLayout, row: int, parent: QWidget
    ) -> None:
        super().__init__(parent)
        named(self, name, title, "")  # the tooltip is each reading's sentence
        self.bar = LimitBar(min(APPROACH_FRACTION[rule] for rule in rules), self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        self.value = QLabel(parent)
        grid.addWidget(QLabel(title, parent), row, 0)
        grid.addWidget(self, row, 1)
        grid.addWidget(self.value, row, 2)

    def show_reading(self, reading: Reading) -> None:
        set_style_property(self, "state", reading.state)
        self.bar.show_reading(reading.fraction, reading.state)
        self.value.setText(STATE_WORD[reading.state] + reading.text)
        set_style_sheet(self.value, tone_style(STATE_TONE[reading.state]))
        for widget in (self, self.value):
            widget.setToolTip(reading.sentence)
        self.setAccessibleDescription(self.value.text())

    def text(self) -> str:
        return self.value.text()


class LimitReadouts(QGroupBox):
    """The four readouts and a caption naming the setting they judge."""

    TITLES = (
        ("chargeReadout", "Charge", (Rule.CHARGE_DENSITY, Rule.SHANNON)),
        ("densityReadout", "Density", (Rule.CHARGE_DENSITY,)),
        ("complianceReadout", "Compliance", (Rule.COMPLIANCE,)),
        ("shannonReadout", "Shannon", (Rule.SHANNON,)),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Limits at the next step", parent)
        grid = QGridLayout(self)
        grid.setVerticalSpacing(3)
        self.caption = QLabel(self)
        self.caption.setObjectName("limitsCaption")
        self.caption.setWordWrap(True)
        grid.addWidget(self.caption, 0, 0, 1, 3)
        self.readouts = {
            name: LimitReadout(name, title, rules, grid, row, self)
            for row, (name, title, rules) in enumerate(self.TITLES, start=1)
        }
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(1, 70)

    def show_readings(self, caption: str, readings: dict[str, Reading] | None) -> None:
        self.caption.setText(caption)
        for name, readout in self.readouts.items():
            readout.show_reading(readings[name] if readings else Reading(0.0, "none", "–", caption))
