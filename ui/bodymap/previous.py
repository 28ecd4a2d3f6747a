"""The offer, at a new visit, of the pain map of the patient's last visit as a starting point.

Chronic pain areas change slowly, so redrawing them at every visit is work a clinician would
rather confirm than repeat; but a map carried over unseen would record last time's pain as
today's. So the offer is explicit, in the Body map tab (no dialog): "Start from them" copies the
pain areas and intensities (never the leads' areas: paresthesia is tested anew) into the map,
unsaved; "Start blank", or painting first, leaves the map as it is. Nothing is recorded until the
clinician saves the map, which is then this visit's own.

objectNames: bodyMapPrevious, bodyMapPreviousText, bodyMapUsePrevious, bodyMapStartBlank.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import theme
from ui.widgets import local_time, named
from workstation import bodymap
from workstation.bodymap import BodyMap
from workstation.history import PatientHistory


class PreviousMapOffer(QFrame):
    accepted = Signal(object)  # the BodyMap of the pain areas to start from

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "bodyMapPrevious", "Last visit's pain map", "")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#bodyMapPrevious{{background:{theme.SURFACE};}}")
        self._session: int | None = None  # the visit the offer is for, until it is made
        self._offered: BodyMap | None = None
        self.text = named(QLabel(), "bodyMapPreviousText", "Last visit's pain areas", "")
        self.text.setWordWrap(True)
        self.use = named(
            QPushButton("Start from them"),
            "bodyMapUsePrevious",
            "Start from the last visit's pain",
            "Copy the last visit's pain areas and intensities into this visit's map, to check with the patient.",
        )
        self.blank = named(
            QPushButton("Start blank"), "bodyMapStartBlank", "Start blank", "Draw this visit's pain from nothing."
        )
        for button in (self.use, self.blank):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use)
        buttons.addWidget(self.blank)
        column = QVBoxLayout(self)
        column.addWidget(self.text)
        column.addLayout(buttons)
        self.use.clicked.connect(self._use)
        self.blank.clicked.connect(self.withdraw)
        self.hide()

    def arm(self, session_id: int | None) -> None:
        """A new visit (None: none): the next history of its patient may bring an offer."""
        self._session = session_id
        self.withdraw()

    def consider(self, history: PatientHistory | None) -> None:
        """Offer the newest earlier visit's pain map, once, if `history` is the armed visit's patient's."""
        session = self._session
        if history is None or session is None or all(v.session.id != session for v in history.visits):
            return
        self._session = None
        earlier = [v for v in history.visits if v.session.id != session and v.body_map and v.body_map.pain]
        if not earlier:
            return
        last = earlier[-1]  # visits are oldest first
        assert last.body_map is not None  # chosen above for its pain
        self._offered = BodyMap(pain=last.body_map.pain)
        self.text.setText(
            f"Pain areas of the visit of {local_time(last.session.started)} ({last.session.clinician}): "
            f"{bodymap.pain_text(self._offered)}. Start from them, checking each with the patient, or start blank?"
        )
        self.show()

    def withdraw(self) -> None:
        self._offered = None
        self.hide()

    def _use(self) -> None:
        offered = self._offered
        self.withdraw()
        if offered is not None:
            self.accepted.emit(offered)
