"""The lead drawn upright, contact 1 at the tip, with a polarity toggle on each contact.

A toggle cycles off -> + -> - -> off on click, Space or Enter; the keys +,
- and 0 set a polarity directly. The view only proposes: it emits
`polarityChosen` and shows what the panel tells it (pending values marked
with a dashed amber border and the device's value in the tooltip).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from drivers.types import Polarity
from ui.lead_panel.style import CONTACT_PX, set_style_property, text_width
from ui.theme import SURFACE_PALE, TEXT_MUTED

CYCLE = {Polarity.OFF: Polarity.ANODE, Polarity.ANODE: Polarity.CATHODE, Polarity.CATHODE: Polarity.OFF}
KEYS = {"+": Polarity.ANODE, "-": Polarity.CATHODE, "0": Polarity.OFF}
LABEL = {Polarity.OFF: "off", Polarity.ANODE: "+  anode", Polarity.CATHODE: "−  cathode"}
BUTTON_HEIGHT = 34
SPOKEN = {Polarity.OFF: "off", Polarity.ANODE: "anode (+)", Polarity.CATHODE: "cathode (−)"}


class ContactButton(QPushButton):
    """One contact's polarity toggle (objectName contact1, contact2, …: contact1..contact4 on a 4-contact lead)."""

    chosen = Signal(int, object)  # contact number, Polarity

    def __init__(self, contact: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contact = contact
        self.setObjectName(f"contact{contact}")
        # fixed: sized for its longest label and thickest (pending) border, so a toggle moves nothing
        self.setFixedSize(text_width(list(LABEL.values()), CONTACT_PX, bold=True) + 34, BUTTON_HEIGHT)
        self.show_polarity(Polarity.OFF, None)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.clicked.connect(lambda: self.chosen.emit(self.contact, CYCLE[self.polarity]))

    def show_polarity(self, polarity: Polarity, device: Polarity | None) -> None:
        self.polarity = polarity
        self.setText(LABEL[polarity])
        set_style_property(self, "polarity", polarity.symbol)
        pending = device is not None and device != polarity
        set_style_property(self, "pending", pending)
        where = "tip" if self.contact == 1 else f"{self.contact - 1} from the tip"
        state = f"{SPOKEN[polarity]} (pending; the device has {SPOKEN[device]})" if pending else SPOKEN[polarity]
        self.setAccessibleName(f"Contact {self.contact} ({where}): {state}")
        self.setToolTip(
            f"Contact {self.contact}: {state}.\nClick, Space or Enter: off → + → − → off; "
            "keys +, − and 0 set it directly. Sent only by Apply contacts."
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not event.isAutoRepeat():
                self.chosen.emit(self.contact, CYCLE[self.polarity])
        elif event.text() in KEYS:
            self.chosen.emit(self.contact, KEYS[event.text()])
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() != Qt.Key.Key_Space:  # Space acted on press; no click on release
            super().keyReleaseEvent(event)


class ContactsView(QWidget):
    """A toggle per contact (the device's contacts per lead) on a drawn lead body, tip at the top."""

    polarityChosen = Signal(int, object)  # contact number, Polarity

    def __init__(self, contacts: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(4, 22, 4, 26)  # room for the tip above and the body below
        self._layout.setVerticalSpacing(14)
        self.buttons: list[ContactButton] = []
        self._captions: list[QLabel] = []
        self.set_count(contacts)

    def set_count(self, contacts: int) -> None:
        """One toggle per contact: `contacts` from the device's capabilities (4 until one is connected)."""
        if contacts == len(self.buttons):
            return
        for widget in self.buttons + self._captions:
            self._layout.removeWidget(widget)
            widget.setParent(None)  # gone at once for findChild; deleted by Qt later
            widget.deleteLater()
        self._layout.setRowStretch(len(self.buttons), 0)
        self.buttons, self._captions = [], []
        for n in range(1, contacts + 1):
            button = ContactButton(n, self)
            button.chosen.connect(self.polarityChosen)
            caption = QLabel(f"{n}" + (" tip" if n == 1 else ""), self)
            caption.setBuddy(button)
            self._layout.addWidget(caption, n - 1, 0, Qt.AlignmentFlag.AlignRight)
            self._layout.addWidget(button, n - 1, 1, Qt.AlignmentFlag.AlignHCenter)
            self.buttons.append(button)
            self._captions.append(caption)
        self._layout.setRowStretch(contacts, 1)  # contacts stay together near the tip
        self.update()

    def show_contacts(self, proposed: tuple[Polarity, ...], device: tuple[Polarity, ...] | None) -> None:
        for i, button in enumerate(self.buttons):
            button.show_polarity(proposed[i], device[i] if device else None)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.buttons:
            return
        first = self.buttons[0].geometry()
        width = first.width() * 0.62
        x = first.center().x() - width / 2
        body = QRectF(x, first.top() - 16, width, self.height() - first.top() + 16)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(TEXT_MUTED), 1.2))
        painter.setBrush(QColor(SURFACE_PALE))
        painter.drawRoundedRect(body.adjusted(0, 0, 0, width), width / 2, width / 2)  # rounded tip on top
        painter.setPen(QColor(TEXT_MUTED))
        painter.drawText(
            QRectF(0, self.height() - 20, self.width(), 20), Qt.AlignmentFlag.AlignHCenter, "↓ to generator"
        )
