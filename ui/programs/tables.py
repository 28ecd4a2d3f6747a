"""Lead settings as tables and program records as status lines (wording from workstation.wording)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from drivers.types import LeadConfig
from ui.lead_names import LeadNames
from ui.theme import DANGER_BOX, OK_BOX, SURFACE_PALE, WARNING_TINT, Tone
from ui.widgets import named
from workstation.wording import CONTACT_LEGEND, SETTINGS, program_status, setting_text


def status_line(written: bool | None, verified: bool | None, mismatch: str | None) -> tuple[str, Tone | None]:
    """A saved program's status words and their tone (an unknown outcome is a danger until settled)."""
    tone = OK_BOX if verified else DANGER_BOX if (written is None or written or mismatch) else None
    return program_status(written, verified, mismatch), tone


def fill_lead_table(
    table: QTableWidget,
    columns: list[tuple[str, dict[int, LeadConfig]]],
    highlight_against: dict[int, LeadConfig] | None = None,
    names: LeadNames | None = None,
) -> None:
    """Settings as rows, one column per lead and source (e.g. Lead 1 saved, Lead 1 device).

    Cells of the last source that differ from `highlight_against` are marked amber and bold.
    """
    names = names or LeadNames()
    leads = sorted({lead for _label, configs in columns for lead in configs})
    table.clear()
    table.setRowCount(len(SETTINGS))
    table.setColumnCount(len(leads) * len(columns))
    table.setVerticalHeaderLabels([f"{label} ({unit})" if unit else label for _f, label, unit in SETTINGS])
    table.setHorizontalHeaderLabels(
        [f"{names.short(lead)}\n{label}".strip() for lead in leads for label, _c in columns]
    )
    cells = [(lead, source) for lead in leads for source in range(len(columns))]
    for col, (lead, source) in enumerate(cells):
        label, configs = columns[source]
        config = configs.get(lead)
        reference = (highlight_against or {}).get(lead) if source == len(columns) - 1 else None
        for row, (field, name, _unit) in enumerate(SETTINGS):
            item = QTableWidgetItem(setting_text(config, field, unit=False) if config else "\u2014")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setToolTip(f"{names.name(lead)}: {name.lower()} ({label or 'program'})")
            if reference is not None and config is not None and getattr(config, field) != getattr(reference, field):
                item.setBackground(QColor(WARNING_TINT))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(
                    f"{names.name(lead)}: {name.lower()} differs ({setting_text(reference, field)} "
                    f"in {columns[0][0] or 'the program'})"
                )
            if lead % 2 == 0 and item.background().style() == Qt.BrushStyle.NoBrush:
                item.setBackground(QColor(SURFACE_PALE))  # shade every other lead so its columns read as a pair
            table.setItem(row, col, item)


def lead_table(object_name: str, accessible: str) -> QTableWidget:
    table = named(QTableWidget(), object_name, accessible, CONTACT_LEGEND)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setMinimumSectionSize(44)
    return table
