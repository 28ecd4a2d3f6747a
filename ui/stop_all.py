"""STOP ALL is reachable at every moment: the one place that enforces it.

Invariant (issue 8): with any dialog, menu, popup or drag in progress, STOP
ALL works by its key (Esc) and by a click on the red button. Why this design
is in docs/stop-all-reachability.md; in short:

* The red button (objectName ``stopAll``) is not drawn by the main window
  but by its own small top-level window (objectName ``stopAllStrip``, a
  frameless ``Qt.ToolTip`` window: no frame, no focus, not managed by the
  window manager) that sits exactly over a placeholder in the main window's
  top bar and follows it. That window has no transient parent, so a
  window-modal dialog (which blocks its parent window chain) never blocks
  it; and no dialog is application-modal (ui.dialogs makes every dialog
  window-modal, exec() included; the guard reports any that is not). While
  a menu or popup holds the pointer, the press that closes it lands on the
  popup; when it lies on the red button, the guard stops (X11 does not
  replay that press to the window below). So a click on the red button
  always arrives; it acts on mouse-down (before the repaint).
* One application-wide event filter turns every Esc key press, in any window
  (main window, dialog, file dialog, menu, combo-box popup, during a drag),
  into STOP ALL, once per press, whichever way Qt delivers it: as a
  ShortcutOverride (sent before any shortcut is looked up), a KeyPress, or a
  Shortcut event when an Esc shortcut (QShortcut, QAction) consumes the key.
  Esc then does its ordinary job untouched (close the menu, cancel the
  dialog: the safe answer). Qt drops a key sent to a window that a modal
  dialog blocks (the dialog is shown, the keyboard focus has not reached it
  yet) but still looks it up as a shortcut: an Esc shortcut on the strip,
  which no dialog blocks, catches that press, and only that one.
* Every dialog comes from :mod:`ui.dialogs` (registered name, Qt's own
  widgets instead of native OS dialogs, which would swallow the key); the
  guard raises the strip above each window as it is shown and records any
  dialog that did not come from there, which the test fixtures turn into a
  failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QWidget,
)

from ui import dialogs, theme
from ui.widgets import named

STOP_ALL_KEY = QKeySequence(Qt.Key.Key_Escape)
log = logging.getLogger(__name__)


class StopButton(QPushButton):
    """The STOP ALL button acts the moment it is pressed (mouse down, or Space/Enter
    on it), before Qt repaints it: no time is lost to the release or the redraw."""

    stopRequested = Signal()
    pressed_at = -1  # timestamp of the last mouse press that stopped (see StopAllGuard._popup_press)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.pressed_at = event.timestamp()
            self.stopRequested.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() in keys and not event.isAutoRepeat():
            self.stopRequested.emit()
        super().keyPressEvent(event)


class StopAllGuard(QObject):
    """Owns the STOP ALL button and makes it, and the Esc key, reachable whatever is open.

    ``slot`` is the top-bar placeholder the button is drawn over; ``stop`` is
    called once per Esc press or button press."""

    def __init__(self, window: QMainWindow, stop: Callable[[], None]) -> None:
        super().__init__(window)
        self.setObjectName("stopAllGuard")
        self.window = window
        self._stop = stop
        self.unregistered: list[str] = []  # dialogs shown that did not come from ui.dialogs, or app-modal windows

        # A child of the window for ownership and findChild, but its own top-level: frameless, no focus,
        # no task-bar entry, no transient parent (see _detach), so window-modal dialogs cannot block it.
        self.strip = QWidget(window, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.strip.setObjectName("stopAllStrip")
        self.strip.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.button = named(
            StopButton("STOP ALL  (Esc)", self.strip),
            "stopAll",
            "Stop all stimulation",
            "Turn every output off at once. Shortcut: Esc, from anywhere in the app, "
            "also while a dialog or menu is open.",
        )
        self.button.setMinimumHeight(44)
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the strip is never active; Esc is the key
        self.button.setStyleSheet(
            f"QPushButton{{background:{theme.DANGER};color:{theme.TEXT_ON_FILL};font-size:16px;font-weight:bold;"
            f"padding:4px 18px;border-radius:6px;}} QPushButton:pressed{{background:{theme.DANGER_DARK};}}"
        )
        self.button.stopRequested.connect(self._button_pressed)
        self._popup_pressed_at = -2
        row = QHBoxLayout(self.strip)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)

        # Enabled: the Esc press under way has not reached the filter yet (see _escape).
        self.esc_fallback = QShortcut(STOP_ALL_KEY, self.strip, context=Qt.ShortcutContext.ApplicationShortcut)
        self.esc_fallback.setObjectName("stopAllEscFallback")
        self.esc_fallback.setAutoRepeat(False)

        self.slot = QWidget()  # takes the button's place in the main window's layout
        self.slot.setObjectName("stopAllSlot")
        self.slot.setFixedSize(self.strip.sizeHint())

        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)  # native ones eat Esc
        QApplication.instance().installEventFilter(self)  # removed by Qt when the guard is deleted

    # -- the action ----------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop()

    def _button_pressed(self) -> None:
        if self.button.pressed_at != self._popup_pressed_at:  # not the same press replayed after a popup
            self.stop()

    # -- the one filter --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            if event.key() == Qt.Key.Key_Escape:
                self._escape(obj, event)
        elif kind == QEvent.Type.Shortcut:
            if event.key() == STOP_ALL_KEY:
                self._escape(obj, event)
        elif kind == QEvent.Type.KeyRelease:
            if event.key() == Qt.Key.Key_Escape:
                self.esc_fallback.setEnabled(True)  # the next Esc event is a new press
        elif kind == QEvent.Type.MouseButtonPress:
            if obj.isWindowType() and QApplication.activePopupWidget() is not None:
                self._popup_press(event)
        elif kind in (QEvent.Type.Move, QEvent.Type.Resize):
            if obj is self.slot or obj is self.window:
                self._follow()
        elif kind == QEvent.Type.Show:
            if obj is self.window or obj is self.slot:
                self._follow()
            elif obj.isWidgetType() and obj.isWindow() and obj is not self.strip:
                self._window_shown(obj)
        elif kind == QEvent.Type.WindowActivate:
            if obj.isWidgetType() and obj is not self.strip:
                QTimer.singleShot(0, self.strip, self._raise)
        elif kind == QEvent.Type.Hide and obj is self.window:
            self.strip.hide()
        elif kind == QEvent.Type.WindowStateChange and obj is self.window:
            self._follow()
        return False

    def _escape(self, obj: QObject, event: QEvent) -> None:
        """Esc anywhere: STOP ALL, once per press, then Esc's ordinary meaning, untouched.

        A press that reaches a window arrives here several times: a ShortcutOverride (through the
        focus widget's parents), then a KeyPress likewise or, when an Esc shortcut takes the key,
        a Shortcut event instead. The first of them stops and disables the fallback shortcut for
        the rest of the press, so it never takes Esc from a window that gets it. A press sent to a
        window blocked by a modal dialog reaches no widget: Qt finds the fallback, whose Shortcut
        event lands here. The press ends at its release or, when the release goes elsewhere, as the
        event loop turns (Qt delivers a press within one turn). Auto-repeat stops nothing, as before."""
        if not self.esc_fallback.isEnabled():
            return
        self.esc_fallback.setEnabled(False)
        QTimer.singleShot(0, self, self._esc_done)
        repeated = isinstance(event, QKeyEvent) and event.isAutoRepeat()
        where = obj.objectName() or type(obj).__name__
        log.debug("Esc as %s to %s%s", event.type().name, where, " (auto-repeat)" if repeated else "")
        if not repeated:
            self.stop()

    def _esc_done(self) -> None:
        self.esc_fallback.setEnabled(True)

    def _popup_press(self, event) -> None:
        """A menu or popup grabs the pointer: a press on the red button goes to the popup."""
        popup = QApplication.activePopupWidget()
        where = event.globalPosition().toPoint()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self.strip.isVisible()
            and self.strip.geometry().contains(where)
            and not popup.geometry().contains(where)
        ):
            self._popup_pressed_at = event.timestamp()
            self.stop()

    def _window_shown(self, widget: QWidget) -> None:
        name = widget.objectName() or type(widget).__name__
        if isinstance(widget, QDialog) and not dialogs.is_registered(widget):
            self.unregistered.append(name)
            log.error("dialog %s was not made by ui.dialogs; STOP ALL reachability is not proven for it", name)
        if widget.windowModality() == Qt.WindowModality.ApplicationModal:
            self.unregistered.append(f"{name} (application-modal)")
            log.error("window %s is application-modal: it blocks the STOP ALL button", name)
        QTimer.singleShot(0, self.strip, self._raise)

    # -- the strip follows its slot ------------------------------------------------------------------
    def _follow(self) -> None:
        window = self.window
        if not window.isVisible() or window.isMinimized() or not self.slot.isVisible():
            self.strip.hide()
            return
        corner = self.slot.mapToGlobal(self.slot.rect().topLeft())
        self.strip.setGeometry(corner.x(), corner.y(), self.slot.width(), self.slot.height())
        if not self.strip.isVisible():
            self.strip.show()
            self._detach()
        self._raise()

    def _detach(self) -> None:
        """No transient parent: a window-modal dialog blocks its parent's window chain, and Qt
        counts a transient child in that chain. Without one the strip is outside every chain."""
        handle = self.strip.windowHandle()
        if handle is not None and handle.transientParent() is not None:
            handle.setTransientParent(None)

    def _raise(self) -> None:
        if self.strip.isVisible():
            self.strip.raise_()
