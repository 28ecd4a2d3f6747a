"""Small helpers every area of the lead panel uses: naming a control, and the message next to a field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ui.lead_panel.style import set_style_property


def show_message(label: QLabel, text: str | None, kind: str = "error") -> None:
    """A message next to a field: error (red), info (amber) or ok (green); None hides it."""
    label.setText(text or "")
    label.setVisible(bool(text))
    set_style_property(label, "kind", kind)


def message_label(name: str, parent: QWidget) -> QLabel:
    """A hidden, wrapping, selectable label for show_message (objectName `name`)."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    label.hide()
    return label


def named(widget: QWidget, name: str, accessible: str, tooltip: str) -> QWidget:
    """Give a control the stable objectName, accessible name and tooltip every control must have."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tooltip)
    return widget
