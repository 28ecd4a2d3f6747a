"""The small helpers every panel uses: naming a control, the message label beside
a field or under a form, and a stored time as the clinician reads it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ui.theme import Tone, tone_style

W = TypeVar("W", bound=QWidget)


def named(widget: W, object_name: str, accessible: str, tooltip: str) -> W:
    """Give a control the stable objectName (tests and QA scripts find it by that), the
    accessible name and the tooltip every control must have; returns the control."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tooltip)
    return widget


def message_label(object_name: str, accessible: str, parent: QWidget | None = None, lines: int = 0) -> QLabel:
    """A wrapping, selectable label for show_message: hidden while empty, or with `lines` a
    reserved place of that height, shown empty too, so a message never moves a control."""
    label = named(QLabel(parent), object_name, accessible, "")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if lines:
        label.setProperty("reserved", True)
        label.setProperty("empty", "true")
        label.setFixedHeight(lines * label.fontMetrics().lineSpacing() + 12)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    else:
        label.hide()
    return label


def show_message(label: QLabel, text: str | None, tone: Tone | None = None) -> None:
    """Put a sentence in a message label, in `tone` (ui.theme: a *_BOX verdict or a *_TEXT note;
    None: plain text). No text hides the label."""
    label.setText(text or "")
    label.setToolTip(text or "")  # the whole sentence, should a reserved place be too small
    if label.property("reserved"):
        label.setProperty("empty", "false" if text else "true")
        label.style().unpolish(label)
        label.style().polish(label)
    else:
        label.setVisible(bool(text))
    set_style_sheet(label, tone_style(tone) if text else "")


def set_style_sheet(widget: QWidget, style: str) -> None:
    """Set a widget's own style sheet, only when it changes (a new one re-polishes the widget)."""
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)


def local_time(moment: datetime) -> str:
    """A stored UTC time as the clinician's wall-clock time (date omitted for today's)."""
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone()
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")
