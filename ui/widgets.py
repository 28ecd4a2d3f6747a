"""The small helpers every panel uses: naming a control, the message label beside
a field or under a form (a reserved place: it never moves a control), and a
stored time as the clinician reads it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TypeVar

from PySide6.QtCore import QEvent, QRect, Qt
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


class MessageSlot(QLabel):
    """A message place of fixed height: a sentence longer than it fits is cut at a word with an
    ellipsis, the whole of it in the tooltip (show_message) and in text(), never lost silently."""

    def __init__(self, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._lines = lines
        self._reserve()

    def _reserve(self) -> None:
        self.setFixedHeight(self._lines * self.fontMetrics().lineSpacing() + 8)

    def text(self) -> str:  # the whole sentence; the label may show it shortened
        return self._text

    def setText(self, text: str) -> None:
        self._text = text
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        """A larger font (a bolder verdict) reserves more height, and the text is fitted again."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._reserve()
            self._fit()

    def _fit(self) -> None:
        """Show as much of the sentence as the reserved lines hold, cut at a word boundary."""
        width = max(self.contentsRect().width() - 10, 40)  # inside the style sheet's padding and border
        metrics, text = self.fontMetrics(), self._text

        def shown(candidate: str) -> QRect:
            return metrics.boundingRect(QRect(0, 0, width, 10**6), Qt.TextFlag.TextWordWrap, candidate)

        # The lines' height measured as the text is: a line can be taller than lineSpacing (17 px
        # against 16 in the bold verdict), which cut every sentence there to a lone ellipsis.
        room = shown("\n".join("X" * self._lines)).height()

        def fits(candidate: str) -> bool:
            rect = shown(candidate)
            return rect.height() <= room and rect.width() <= width

        if not fits(text):
            words = text.split(" ")
            low, high = 0, len(words)  # the most words that fit with the ellipsis: binary search
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if fits(" ".join(words[:middle]) + "\u2026") else (low, middle - 1)
            text = " ".join(words[:low]) + "\u2026"
        QLabel.setText(self, text)


def message_label(object_name: str, accessible: str, parent: QWidget | None = None, lines: int = 0) -> QLabel:
    """A wrapping, selectable label for show_message: hidden while empty, or with `lines` a
    reserved place of that height (MessageSlot), shown empty too, so a message never moves a control."""
    label = named(MessageSlot(lines, parent) if lines else QLabel(parent), object_name, accessible, "")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(
        QSizePolicy.Policy.Ignored if lines else QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum
    )
    if lines:
        label.setProperty("reserved", True)
        label.setProperty("empty", "true")
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
