"""Contact-pair matrix for field engineers: for one lead, the impedance between
every two contacts in a symmetric grid (diagonal blank), each cell tinted by
class and naming a fault in words. Filled from "Every contact pair" runs.

objectNames: impedanceMatrixLead (lead chooser), impedanceMatrix (the grid).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.impedance.readings import STALE_TEXT, MeasuredSet, Reading
from ui.impedance.table import reading_item
from ui.lead_names import LeadNames
from ui.widgets import named

CELL_PX = (66, 34)
HEADER_PX = 24


class ContactMatrix(QWidget):
    readingSelected = Signal(object)  # Reading

    def __init__(self, leads: int = 4, contacts: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = LeadNames()  # the window's, once it is placed in one
        self._run: MeasuredSet | None = None
        self._stale = False
        self._cells: dict[tuple[int, int], Reading] = {}
        self.lead = named(
            QComboBox(),
            "impedanceMatrixLead",
            "Lead of the contact-pair matrix",
            "Which lead's contact pairs the matrix shows",
        )
        self.grid = named(
            QTableWidget(contacts, contacts),
            "impedanceMatrix",
            "Contact-pair impedance matrix",
            "Impedance between every two contacts of the lead (from Every contact pair). "
            "Select a cell to see that pair's trend.",
        )
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setTabKeyNavigation(False)
        for header in (self.grid.horizontalHeader(), self.grid.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.grid.horizontalHeader().setDefaultSectionSize(CELL_PX[0])
        self.grid.verticalHeader().setDefaultSectionSize(CELL_PX[1])
        self.grid.verticalHeader().setFixedWidth(HEADER_PX)
        self.grid.horizontalHeader().setFixedHeight(HEADER_PX)
        for policy in (self.grid.setHorizontalScrollBarPolicy, self.grid.setVerticalScrollBarPolicy):
            policy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        chooser = QLabel("Contact pairs of &lead")
        chooser.setBuddy(self.lead)
        row = QHBoxLayout()
        row.addWidget(chooser)
        row.addWidget(self.lead)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.grid)
        layout.addWidget(self.caption)
        layout.addStretch(1)
        self.set_shape(leads, contacts)
        self.lead.currentIndexChanged.connect(self._fill)
        self.grid.currentCellChanged.connect(self._current_changed)

    def rename_leads(self) -> None:
        for index in range(self.lead.count()):
            self.lead.setItemText(index, self.names.name(index + 1))

    def set_shape(self, leads: int, contacts: int) -> None:
        """Leads offered and contacts per lead, from the device's capabilities."""
        if self.lead.count() != leads:
            current = max(self.lead.currentIndex(), 0)
            self.lead.blockSignals(True)
            self.lead.clear()
            self.lead.addItems([self.names.name(n) for n in range(1, leads + 1)])
            self.lead.setCurrentIndex(min(current, leads - 1))
            self.lead.blockSignals(False)
        self.grid.setRowCount(contacts)
        self.grid.setColumnCount(contacts)
        labels = [str(n) for n in range(1, contacts + 1)]
        self.grid.setHorizontalHeaderLabels(labels)
        self.grid.setVerticalHeaderLabels(labels)
        frame = 2 * self.grid.frameWidth()
        self.grid.setFixedSize(HEADER_PX + contacts * CELL_PX[0] + frame, HEADER_PX + contacts * CELL_PX[1] + frame)
        self._fill()

    def show_run(self, run: MeasuredSet | None, stale: bool = False) -> None:
        self._run, self._stale = run, stale
        self._fill()

    def show_lead(self, lead: int) -> None:
        self.lead.setCurrentIndex(lead - 1)

    def cell_text(self, a: int, b: int) -> str:
        item = self.grid.item(a - 1, b - 1)
        return item.text() if item else ""

    def _fill(self) -> None:
        lead = self.lead.currentIndex() + 1
        readings = self._run.readings if self._run else ()
        self._cells = {}
        for r in readings:
            if r.lead == lead:
                self._cells[(r.contact_a, r.contact_b)] = self._cells[(r.contact_b, r.contact_a)] = r
        contacts = self.grid.rowCount()
        self.grid.blockSignals(True)
        for a in range(1, contacts + 1):
            for b in range(1, contacts + 1):
                self.grid.setItem(a - 1, b - 1, self._cell(a, b))
        self.grid.blockSignals(False)
        if self._run is None:
            self.caption.setText("Measure “Every contact pair” to fill it.")
        else:
            state = "last measured" if self._stale else "measured"
            self.caption.setText(f"{self.names.name(lead)}, {state} {self._run.time_text}.")

    def _cell(self, a: int, b: int) -> QTableWidgetItem:
        reading = self._cells.get((a, b))
        if a == b:
            item = QTableWidgetItem("")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setBackground(QColor(theme.RULE))
            return item
        if reading is None:
            item = QTableWidgetItem("—")
            item.setForeground(QColor(STALE_TEXT if self._stale else theme.TEXT))
            item.setToolTip(f"Contacts {a}–{b}: not measured")
        else:
            item = reading_item(reading.label, reading, self._stale, tinted=True)
            item.setToolTip(
                f"{self.names.name(reading.lead)}, contacts {a}–{b}: {reading.value_text}, {reading.class_text.lower()}"
            )
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        return item

    def _current_changed(self, row: int, column: int, _previous_row: int, _previous_column: int) -> None:
        reading = self._cells.get((row + 1, column + 1))
        if reading is not None:
            self.readingSelected.emit(reading)
