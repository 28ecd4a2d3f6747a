"""The scope's read-out table: one row per measured quantity, its value, and the comparison
with the program; a flagged row is marked with a sign and a tint, not by colour alone.

objectNames: scopeReadouts (the table), scopeVerdict (one sentence over it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ui import theme
from ui.widgets import named
from workstation.pulse import PulseAnalysis, Quantity

ROWS = tuple(Quantity)
ROW_PX = 22  # every row shows at 1366x768, no scrolling
FLAG = "⚠ "


def readout_table() -> QTableWidget:
    """A fixed table, one row per quantity, so nothing moves as values come and go."""
    table = named(
        QTableWidget(len(ROWS), 3),
        "scopeReadouts",
        "Pulse read-outs",
        "The captured pulse measured, and compared with the program (⚠: outside its tolerance).",
    )
    table.setHorizontalHeaderLabels(["", "Measured", "Against the program"])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(table.focusPolicy().NoFocus)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    for row, quantity in enumerate(ROWS):
        for col, text in enumerate((quantity.value, "—", "")):
            table.setItem(row, col, QTableWidgetItem(text))
    rows = table.verticalHeader()
    rows.setDefaultSectionSize(ROW_PX)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setFixedHeight(ROW_PX * len(ROWS) + header.sizeHint().height() + 2 * table.frameWidth())
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def show_analysis(table: QTableWidget, analysis: PulseAnalysis | None) -> None:
    """Fill the rows from `analysis` (None: blank); a quantity it did not measure shows a dash."""
    readings = {r.quantity: r for r in analysis.readings} if analysis is not None else {}
    for row, quantity in enumerate(ROWS):
        reading = readings.get(quantity)
        flagged = reading is not None and reading.flagged
        cells = (
            (FLAG if flagged else "") + quantity.value,
            reading.text if reading else "—",
            reading.note if reading else "",
        )
        background = QColor(theme.DANGER_TINT if flagged else theme.SURFACE)
        ink = QColor(theme.DANGER if flagged else theme.TEXT)
        for col, text in enumerate(cells):
            item = table.item(row, col)
            if item.text() != text:
                item.setText(text)
            item.setBackground(background)
            item.setForeground(ink)


def verdict(analysis: PulseAnalysis | None) -> tuple[str, theme.Tone | None]:
    """One sentence over the table: the pulse as programmed, or what differs."""
    if analysis is None:
        return "", None
    flagged = analysis.flagged
    if not analysis.triggered:
        if flagged:
            return "No pulse: the lead is programmed on but delivered nothing.", theme.DANGER_BOX
        return "No pulse: the lead is off or at 0 µA.", None
    if not flagged:
        return "The delivered pulse matches the program.", theme.OK_BOX
    quantities = {r.quantity for r in flagged}
    if Quantity.COMPLIANCE in quantities:
        amplitude = analysis.reading(Quantity.AMPLITUDE)
        return (
            f"Clipped at the compliance voltage: {amplitude.text} delivered of {amplitude.programmed:.0f} µA "
            "programmed. The load is too high for this amplitude: check the lead's impedance.",
            theme.DANGER_BOX,
        )
    names = ", ".join(r.quantity.value.lower() for r in flagged)
    return f"The delivered pulse differs from the program: {names}.", theme.DANGER_BOX
