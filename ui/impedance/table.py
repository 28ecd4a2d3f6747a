"""The pass/fail table: one row per measurement of the run on display
(lead, contacts, ohms, class, Passed/Failed), the list QA reads. Selecting a row,
by mouse or arrow keys, asks for that pair's trend (readingSelected)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from ui import theme
from ui.impedance.readings import CLASS_TINTS, STALE_TEXT, STALE_TINT, MeasuredSet, Reading
from ui.lead_names import LeadNames
from ui.widgets import named

COLUMNS = ("Lead", "Contacts", "Impedance", "Class", "Result")
COLUMN_PX = (92, 66, 80, 96, 60)  # the class and result in words: "Short circuit" bold, "Passed"


class MeasurementTable(QTableWidget):
    readingSelected = Signal(object)  # Reading

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        named(
            self,
            "impedanceTable",
            "Impedance measurements",
            "Every measurement with its class and whether it passed. "
            "Select a row (arrow keys or click) to see that pair's trend.",
        )
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)  # Tab leaves the table, arrows move within it
        header = self.horizontalHeader()
        for column, width in enumerate(COLUMN_PX):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(sum(COLUMN_PX) + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth())
        self._readings: tuple[Reading, ...] = ()
        self.names = LeadNames()  # the window's, once it is placed in one
        self.currentCellChanged.connect(self._current_changed)

    @property
    def readings(self) -> tuple[Reading, ...]:
        return self._readings

    def show_run(self, run: MeasuredSet | None, stale: bool = False) -> None:
        self._readings = run.readings if run else ()
        self.blockSignals(True)
        self.setRowCount(len(self._readings))
        for row, reading in enumerate(self._readings):
            cells = (
                self.names.short(reading.lead),
                reading.contacts,
                reading.value_text,
                reading.class_text,
                reading.result_text,
            )
            for column, text in enumerate(cells):
                self.setItem(row, column, _cell(text, reading, column, stale))
        self.blockSignals(False)

    def select_pair(self, pair: tuple[int, int, int] | None) -> None:
        """Highlight the row of `pair`, if shown, without announcing it."""
        rows = [row for row, r in enumerate(self._readings) if r.pair == pair]
        self.blockSignals(True)
        if rows:
            self.setCurrentCell(rows[0], 0)
        else:
            self.clearSelection()
        self.blockSignals(False)

    def _current_changed(self, row: int, _column: int, previous_row: int, _previous_column: int) -> None:
        if row != previous_row and 0 <= row < len(self._readings):
            self.readingSelected.emit(self._readings[row])


def reading_item(text: str, reading: Reading, stale: bool, tinted: bool) -> QTableWidgetItem:
    """A cell about `reading`: grey once stale; `tinted` ones carry the class colour and, for a
    fault, bold text (the class is also written in the cell or its row)."""
    item = QTableWidgetItem(text)
    item.setForeground(QColor(STALE_TEXT if stale else theme.TEXT))
    if tinted:
        item.setBackground(QColor(STALE_TINT if stale else CLASS_TINTS[reading.impedance_class]))
        if not reading.passed:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
    return item


def _cell(text: str, reading: Reading, column: int, stale: bool) -> QTableWidgetItem:
    item = reading_item(text, reading, stale, tinted=column in (3, 4))
    if column == 2:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setData(Qt.ItemDataRole.UserRole, reading.ohms)
    return item
