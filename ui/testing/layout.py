"""Where the interactive controls of a window are, for the layout tests: a control that moves
under the pointer makes the next click miss, and one outside the window cannot be clicked."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)

INTERACTIVE = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractItemView)


def control_name(widget: QWidget) -> str:
    """objectName, or the nearest named ancestor's with the class (an unnamed line edit in a combo)."""
    if widget.objectName():
        return widget.objectName()
    parent = widget.parentWidget()
    while parent is not None and not parent.objectName():
        parent = parent.parentWidget()
    return f"{parent.objectName() if parent else '?'}/{type(widget).__name__}"


def interactive_controls(window: QWidget) -> list[QWidget]:
    """Every control a user can click or type into that shows now (the STOP ALL strip included; the line
    edit inside a combo or spin box is part of it)."""
    controls = (w for w in window.findChildren(QWidget) if isinstance(w, INTERACTIVE) and w.isVisible())
    return [w for w in controls if w.window().isVisible() and not w.size().isEmpty() and not _part_of_another(w)]


def _part_of_another(widget: QWidget) -> bool:
    """The line edit of a combo or spin box, a table's header or corner button: they go with it."""
    return isinstance(widget.parentWidget(), QComboBox | QAbstractSpinBox | QAbstractItemView)


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def positions(window: QWidget) -> dict[QWidget, QRect]:
    """Global position and size of every visible interactive control."""
    return {widget: global_rect(widget) for widget in interactive_controls(window)}


def moved(first: dict[QWidget, QRect], now: dict[QWidget, QRect]) -> list[str]:
    """The controls shown in both whose place or size differs, as 'name: before -> after'."""
    return [
        f"{control_name(w)}: {_box(first[w])} -> {_box(rect)}"
        for w, rect in now.items()
        if w in first and first[w] != rect
    ]


def _box(rect: QRect) -> str:
    return f"{rect.width()}x{rect.height()}+{rect.x()}+{rect.y()}"
