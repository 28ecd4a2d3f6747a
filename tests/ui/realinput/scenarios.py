"""What the real-input tests open before pressing STOP ALL: every dialog in
ui.dialogs.DIALOGS (a test fails if one has no opener here), a menubar menu,
a combo-box popup, a splitter drag and a window where Esc is a shortcut.

An opener gets the running app (`App`, see driver.py) and starts the thing
the way the app does (its own method or a real click); `is_open` tells when
it is on screen. Openers run from a timer, so an opener may block in a
dialog's exec() while the script goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from drivers.types import Polarity
from workstation.models import Side, SpinalLevel

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def dialog_open(name: str) -> Callable[[object], bool]:
    def check(_app) -> bool:
        return any(
            isinstance(w, QDialog) and w.objectName() == name and w.isVisible() for w in QApplication.topLevelWidgets()
        )

    return check


@dataclass(frozen=True)
class Scenario:
    name: str
    open: Callable[[object], object]  # app -> anything (or a generator of steps for the driver)
    is_open: Callable[[object], bool]
    session: bool = True  # False: no active session (an unclosed one exists for resuming)
    unwritten: bool = False  # live settings differ from the stored program
    stored: bool = False  # the live settings are written to the device first (nothing unwritten)
    pulse_width_us: int = 200  # of lead 1 as it is switched on


def _stop_all_failed(app) -> None:
    from concurrent.futures import Future

    failed = Future()
    failed.set_exception(RuntimeError("simulated: no reply to STOP ALL"))
    app.window._stopped(failed)


def _density(app) -> None:
    """The lead panel's path: a raise the service refuses until the clinician confirms it."""
    from ui.lead_panel.confirm import ask_density
    from workstation.service import ConfirmationRequired

    service = app.service
    try:
        exc = service.outputs.set_amplitude(1, 2000).exception(5)  # 1.44 µC: above 30 µC/cm², below k 1.85
    except ConfirmationRequired as raised:
        exc = raised
    assert isinstance(exc, ConfirmationRequired), f"expected ConfirmationRequired, got {exc!r}"
    ask_density(app.window.lead_panel, app.window.names, 1, exc, lambda: None)


def _rise(app) -> None:
    """A typed target far above the present amplitude: the service asks before it ramps."""
    from ui.lead_panel.confirm import ask_confirmation
    from workstation.service import ConfirmationRequired

    try:
        app.service.outputs.set_amplitude(1, 1000)
    except ConfirmationRequired as exc:
        ask_confirmation(app.window.lead_panel, app.window.names, exc, lambda: None)
        return
    raise AssertionError("expected ConfirmationRequired for a rise of 900 µA")


def _contacts(app) -> None:
    from ui.lead_panel.confirm import ask_contacts

    ask_contacts(app.window.lead_panel, app.window.names, 1, lambda: None)


def _program_write(app) -> None:
    programs = app.window.programs
    app.window.tabs.setCurrentWidget(programs)
    programs.program_list.setCurrentRow(0)
    programs._confirm_write()


def _impedance_export(app) -> None:
    view = app.window.impedance
    app.window.tabs.setCurrentWidget(view)
    view._export_clicked()


def _waveform_export(app) -> None:
    app.window.tabs.setCurrentWidget(app.window.waveforms)
    app.window.waveforms._export_via_dialog("CSV table (*.csv)", lambda path: None)


def _waveform_export_failed(app) -> None:
    from ui import dialogs

    app.window.tabs.setCurrentWidget(app.window.waveforms)
    dialogs.save_file_name = lambda *args, **kwargs: os.path.join(app.tmp, "missing", "a.csv")
    app.window.waveforms._export_via_dialog("CSV table (*.csv)", app.window.waveforms.export_csv)


def _field_export(app) -> None:
    view = app.window.field
    app.window.tabs.setCurrentWidget(view)
    view._save_bundle()


def _visit_chosen(app):
    """The History tab with the session's visit chosen (read from the records)."""
    from PySide6.QtCore import QCoreApplication

    view = app.window.history
    app.window.tabs.setCurrentWidget(view)
    view.show_patient(app.service.session.patient_id)
    while view.visits.rowCount() == 0:  # the records answer on their own thread
        QCoreApplication.processEvents()
    view.visits.selectRow(0)
    return view


def _visit_report(app) -> None:
    _visit_chosen(app).save_report()


def _visit_export(app) -> None:
    _visit_chosen(app).export_visit()


def _visit_print(app):
    """A real click on the History tab's Print… button: Qt's print dialog for the chosen visit."""
    from ui.testing import realinput

    return realinput.click(_visit_chosen(app).print)


def _this_visit_print(app):
    """A real Ctrl+P on the main window: the print dialog for the visit under way."""
    from ui.testing import realinput

    app.window.activateWindow()
    return realinput.key("ctrl+p")


def _resuming_after_stop(app) -> None:
    """STOP ALL, then End: the guard offers to resume the stored program; Resume is clicked, so
    therapy is coming back (a ramp under way) when STOP ALL is pressed again with real input."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton

    app.service.stop_all().result(5)

    def resume() -> None:
        dialog = QApplication.activeModalWidget()
        button = dialog.findChild(QPushButton, "unwrittenResume") if dialog is not None else None
        if button is None:
            QTimer.singleShot(20, resume)
            return
        button.click()

    QTimer.singleShot(0, resume)
    app.window.patient_panel.end_session()  # the guard's own exec(): the driver goes on meanwhile


def _esc_shortcut(app) -> None:
    """The main window with its own Esc shortcut: Qt delivers the press as a shortcut, no KeyPress."""
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), app.window)
    shortcut.setObjectName("escShortcut")
    app.window.activateWindow()


def _esc_shortcut_ready(app) -> bool:
    return app.window.findChild(QShortcut, "escShortcut") is not None and app.window.isActiveWindow()


def _menu(app):
    """A real click on the menubar's Device menu: its popup is then open."""
    from ui.testing import realinput

    bar = app.window.menuBar()
    action = next(a for a in bar.actions() if a.text() == "&Device")
    centre = bar.mapToGlobal(bar.actionGeometry(action).center())
    return realinput.click_at(centre.x(), centre.y())


def _combo_popup(app) -> None:
    app.window.lead_chooser.showPopup()


def _splitter_drag(app):
    """Press on the main splitter's handle and move: a drag in progress (button held)."""
    from ui.testing import realinput

    handle = app.window.splitter.handle(1)
    x, y = realinput.global_center(handle)
    app.drag_start = app.window.splitter.sizes()[0]
    return [realinput.mouse_down(x, y), realinput.mouse_move(x + 40, y + 5), realinput.mouse_move(x + 80, y + 10)]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("leadPositionDialog", lambda app: app.window.ask_lead_position(), dialog_open("leadPositionDialog")),
        Scenario("stopAllFailed", _stop_all_failed, dialog_open("stopAllFailed")),
        Scenario(
            "patientDialog",
            lambda app: app.window.patient_panel._add_patient(),
            dialog_open("patientDialog"),
            session=False,
        ),
        Scenario(
            "resumeDialog",
            lambda app: app.window.patient_panel.offer_resumption(),
            dialog_open("resumeDialog"),
            session=False,
        ),
        Scenario(
            "placeLeadDialog",
            lambda app: app.window.patient_panel.place_lead_at(SpinalLevel.L4, Side.LEFT),
            dialog_open("placeLeadDialog"),
        ),
        Scenario(
            "sessionEndConfirm",
            lambda app: app.window.patient_panel.end_session(),
            dialog_open("sessionEndConfirm"),
            stored=True,
        ),
        Scenario(
            "unwrittenDialog",
            lambda app: app.window.patient_panel.end_session(),
            dialog_open("unwrittenDialog"),
            unwritten=True,
        ),
        Scenario(
            "unwrittenDialogResuming",
            _resuming_after_stop,
            lambda app: dialog_open("unwrittenDialog")(app) and app.device.outputs_on == (1,),
            stored=True,
        ),
        Scenario("programWriteConfirm", _program_write, dialog_open("programWriteConfirm")),
        Scenario("densityConfirm", _density, dialog_open("densityConfirm"), pulse_width_us=720),
        Scenario("riseConfirm", _rise, dialog_open("riseConfirm")),
        Scenario("contactsConfirm", _contacts, dialog_open("contactsConfirm")),
        Scenario("impedanceExportFile", _impedance_export, dialog_open("impedanceExportFile")),
        Scenario("waveformExportFile", _waveform_export, dialog_open("waveformExportFile")),
        Scenario("waveformExportFailed", _waveform_export_failed, dialog_open("waveformExportFailed")),
        Scenario("fieldExportFile", _field_export, dialog_open("fieldExportFile"), session=False),
        Scenario("visitReportFile", _visit_report, dialog_open("visitReportFile")),
        Scenario("visitExportFile", _visit_export, dialog_open("visitExportFile")),
        Scenario("visitPrintDialog", _visit_print, dialog_open("visitPrintDialog")),
        Scenario("visitPrintDialogThisVisit", _this_visit_print, dialog_open("visitPrintDialog")),
        Scenario("menu", _menu, lambda app: isinstance(QApplication.activePopupWidget(), QMenu)),
        Scenario("comboPopup", _combo_popup, lambda app: QApplication.activePopupWidget() is not None),
        Scenario("escShortcut", _esc_shortcut, _esc_shortcut_ready),
        Scenario("splitterDrag", _splitter_drag, lambda app: app.window.splitter.sizes()[0] > app.drag_start + 20),
    )
}
