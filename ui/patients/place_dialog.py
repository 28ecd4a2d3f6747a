"""Which lead channel sits at a clicked ganglion, and since when."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QWidget
from shiboken6 import isValid

from ui import dialogs
from ui.bridge import ServiceBridge
from ui.patients.forms import DATE_FORMAT, form_rows
from ui.theme import DANGER_BOX
from ui.widgets import message_label, named, show_message
from workstation.models import MAX_LEADS, LeadPlacement, Side, SpinalLevel
from workstation.service import ServiceError


class PlaceLeadDialog(dialogs.Dialog):
    """Which lead channel sits at a clicked ganglion, and since when; recorded in the session."""

    def __init__(
        self,
        bridge: ServiceBridge,
        level: SpinalLevel,
        side: Side,
        channel: int | None,
        current: dict[int, LeadPlacement],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("placeLeadDialog", parent)
        self.bridge, self.level, self.side, self.current = bridge, SpinalLevel.of(level), Side(side), current
        self.setWindowTitle(f"Lead at {self.level.name} {self.side.value.lower()}")
        caps = bridge.service.state.capabilities
        self.channel = named(
            QComboBox(), "placeChannel", "Lead channel", "The stimulator channel of the lead placed at this ganglion."
        )
        for lead in range(1, (caps.lead_count if caps else MAX_LEADS) + 1):
            there = current.get(lead)
            where = f" (now {there.level.name} {there.side.value.lower()})" if there else ""
            self.channel.addItem(f"Lead {lead}{where}", lead)
        free = next((lead for lead in range(1, self.channel.count() + 1) if lead not in current), 1)
        self.channel.setCurrentIndex(self.channel.findData(channel or free))
        self.implant_date = named(
            QDateEdit(), "placeImplantDate", "Implant date", "The day the lead was implanted (not in the future)."
        )
        self.implant_date.setDisplayFormat(DATE_FORMAT)
        self.implant_date.setCalendarPopup(True)
        self.implant_date.setMaximumDate(QDate.currentDate())
        self.channel.currentIndexChanged.connect(self._default_date)
        self._default_date()
        self.message = message_label("placeLeadMessage", "Why the placement was not recorded")
        form_rows(
            self,
            [
                (QLabel(f"Ganglion {self.level.name}, patient's {self.side.value.lower()} side."),),
                ("&Channel:", self.channel),
                ("&Implanted:", self.implant_date),
            ],
            self.message,
            ("Record placement", "Record this lead placement in the session."),
            self._record,
        )

    def _default_date(self) -> None:
        """A lead already placed keeps its implant date; a new one defaults to today."""
        there = self.current.get(self.channel.currentData())
        self.implant_date.setDate(QDate(there.implant_date) if there else QDate.currentDate())

    def _record(self) -> None:
        try:
            placement = LeadPlacement(
                self.channel.currentData(), self.level, self.side, self.implant_date.date().toPython()
            )
            future = self.bridge.service.recording.place_lead(placement)
        except (ValueError, ServiceError) as exc:
            show_message(self.message, str(exc), DANGER_BOX)
            return
        self.bridge.run(future, lambda done: isValid(self) and self._recorded(done))

    def _recorded(self, future: Future) -> None:
        if future.exception() is not None:
            show_message(self.message, str(future.exception()), DANGER_BOX)
            return
        self.accept()
