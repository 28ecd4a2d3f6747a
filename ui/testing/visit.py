"""A whole visit on the Programming tab as steps that any input drives, for the layout tests (issue 14.1):
pytest-qt's events (tests/ui/test_layout_holds_still.py) and real X input on Xvfb
(tests/ui/realinput/test_visit_holds_still.py) walk the same steps, so the two cannot drift apart.

Each step acts through an `Input` and returns what shows that its input landed (the device or the
service received it, or the screen changed as the user sees it); `walk` waits on that, then checks
that no control moved (ui/testing/layout.py)::

    assert not walk(qtbot, window, QtBotInput(qtbot))   # the controls that moved, step by step
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QWidget

from drivers.types import Polarity
from ui.main_window import MainWindow
from ui.testing import realinput
from ui.testing.layout import moved, positions
from ui.testing.plugin import QA_PASSWORD, find, qa_account, qa_user, sim_uri
from ui.testing.qa import shown_dialog
from workstation.service import LinkState, ProgrammingService

WAIT_MS = 10_000
NOTE = "Paraesthesia covers the left foot."
TOO_HIGH_MA = "99"  # above every limit: the entry explains below itself


class Input(Protocol):
    """A mouse and a keyboard: each call returns once the input is sent (not necessarily handled)."""

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        """Click `widget` at `at` (its coordinates; its middle when None) where it is now."""

    def type(self, widget: QWidget, text: str) -> None:
        """Click into `widget`, select what it holds and type `text` over it."""

    def key(self, widget: QWidget, name: str) -> None:
        """Press a key (X keysym name: Return) to `widget`, which has the keyboard focus."""

    def answer(self, answers: dict[str, str]) -> None:
        """Click button answers[dialog] of the first of these dialogs that shows, also inside its own
        exec() loop (where the test's waits cannot run): call before the click that opens it."""


Done = Callable[[], bool]


@dataclass(frozen=True)
class Step:
    name: str
    act: Callable[[MainWindow, Input], Done]  # sends the input; returns what shows that it landed


def open_app(store, settings_dir) -> MainWindow:
    """The app as it starts for a clinician with an account: nobody logged in, no device connected, the
    window not shown yet (with fresh settings it maximises itself on show, as on a first start)."""
    qa_account(store)
    settings = QSettings(str(settings_dir / "settings.ini"), QSettings.Format.IniFormat)
    return MainWindow(ProgrammingService(store), settings)


def close_app(window: MainWindow) -> None:
    window.programs.has_unwritten_changes = lambda: False  # type: ignore[method-assign]
    window.may_close = lambda: True  # type: ignore[method-assign]
    window.close()
    window.deleteLater()
    window.service.shutdown()


class Places:
    """The place of every control the first time it showed; each state change is checked against it."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.first: dict[QWidget, QRect] = {}
        self.moves: list[str] = []

    def check(self, state: str) -> None:
        now = positions(self.window)
        self.moves += [f"after {state}: {move}" for move in moved(self.first, now)]
        self.first = {**now, **self.first}


def walk(qtbot, window: MainWindow, do: Input, after_step: Callable[[str], object] | None = None) -> list[str]:
    """Every step of VISIT through `do`, each waited for until it landed; the controls that moved.
    `after_step(name)` runs after each (a screenshot)."""
    places = Places(window)
    places.check("opening")
    for step in VISIT:
        try:
            qtbot.waitUntil(step.act(window, do), timeout=WAIT_MS)
        except Exception as exc:  # the step whose input did not land, named
            raise AssertionError(f"step '{step.name}' did not land: {exc}") from exc
        places.check(step.name)
        if after_step is not None:
            after_step(step.name)
    return places.moves


def _lead(window: MainWindow):
    return window.service.state.leads[1]


def _tab(name: str) -> Callable[[MainWindow, Input], Done]:
    """A click on the tab of the page named `name` (the waveforms leave the tab bar on a wide screen)."""

    def act(window: MainWindow, do: Input) -> Done:
        page = find(window, name)
        bar = window.tabs.tabBar()
        do.click(bar, bar.tabRect(window.tabs.indexOf(page)).center())
        return page.isVisible

    return act


def _log_in(window: MainWindow, do: Input) -> Done:
    do.type(find(window, "accessUser"), qa_user().username)
    do.type(find(window, "accessPassword"), QA_PASSWORD)
    do.key(find(window, "accessPassword"), "Return")
    return lambda: window.pages.currentIndex() == 0 and window.service.access.user is not None


def _connect(window: MainWindow, do: Input) -> Done:
    do.type(find(window, "linkUri"), sim_uri())
    do.click(find(window, "linkConnect"))
    panel = window.lead_panel
    return lambda: (
        window.service.link_state is LinkState.CONNECTED
        and window.lead_chooser.count() > 0
        and panel.lead == 1
        and not find(panel, "contact1").isEnabled()  # no session yet
    )


def _choose_patient(window: MainWindow, do: Input) -> Done:
    patients = find(window, "patientList")
    do.click(patients.viewport(), patients.visualItemRect(patients.item(0)).center())
    return lambda: patients.currentRow() == 0 and find(window, "sessionStart").isEnabled()


def _start_session(window: MainWindow, do: Input) -> Done:
    patient = find(window, "patientList").item(0).data(Qt.ItemDataRole.UserRole)
    do.click(find(window, "sessionStart"))
    bar = find(window, "sessionBar")
    return lambda: find(window.lead_panel, "contact1").isEnabled() and patient.name in bar.text()


def _toggle(contact: int, becomes: Polarity) -> Callable[[MainWindow, Input], Done]:
    def act(window: MainWindow, do: Input) -> Done:
        button = find(window.lead_panel, f"contact{contact}")
        do.click(button)
        return lambda: button.polarity is becomes

    return act


def _refused_switch_on(window: MainWindow, do: Input) -> Done:
    """Refused: no impedance measured on these contacts yet."""
    do.click(find(window.lead_panel, "enableLead"))
    return lambda: bool(find(window.lead_panel, "refusalMessage").text())


def _apply_contacts(window: MainWindow, do: Input) -> Done:
    do.click(find(window.lead_panel, "applyContacts"))  # the lead is off: no confirmation is asked
    return lambda: _lead(window).contacts[:2] == (Polarity.ANODE, Polarity.CATHODE)


def _measure(window: MainWindow, do: Input) -> Done:
    do.click(find(window.impedance, "impedanceMeasure"))
    return lambda: find(window.impedance, "impedanceTable").rowCount() >= 1


def _switch_on(window: MainWindow, do: Input) -> Done:
    do.click(find(window.lead_panel, "enableLead"))
    return lambda: _lead(window).enabled


def _raise(window: MainWindow, do: Input) -> Done:
    was = _lead(window).amplitude_ua
    do.click(find(window.lead_panel, "ampUp"))
    return lambda: _lead(window).amplitude_ua > was


def _refused_amplitude(window: MainWindow, do: Input) -> Done:
    entry = find(window.lead_panel, "ampEntry")
    do.type(entry, TOO_HIGH_MA)
    do.key(entry, "Return")
    return lambda: bool(find(window.lead_panel, "ampError").text())


def _pulse_width_up(window: MainWindow, do: Input) -> Done:
    do.click(find(window.lead_panel, "pwUp"))
    return find(window.lead_panel, "applyParams").isEnabled


def _apply_timing(window: MainWindow, do: Input) -> Done:
    was = _lead(window).pulse_width_us
    apply = find(window.lead_panel, "applyParams")
    do.click(apply)
    return lambda: _lead(window).pulse_width_us > was and not apply.isEnabled()


def _note(window: MainWindow, do: Input) -> Done:
    do.type(find(window.programs, "noteText"), NOTE)
    do.click(find(window.programs, "noteAdd"))
    return lambda: bool(find(window.programs, "noteMessage").text())


def _save_program(window: MainWindow, do: Input) -> Done:
    do.type(find(window.programs, "programName"), "Visit")
    do.click(find(window.programs, "programSave"))
    return find(window.programs, "programWrite").isEnabled


def _stop_all(window: MainWindow, do: Input) -> Done:
    do.click(find(window, "stopAll"))
    return lambda: not _lead(window).enabled and "OFF" in find(window.lead_panel, "stimState").text()


def _end_session(window: MainWindow, do: Input) -> Done:
    """The unwritten guard asks (its own exec()) when the live settings differ from the program written,
    as after STOP ALL; the plain confirmation otherwise. Either way the session ends."""
    do.answer({"unwrittenDialog": "unwrittenDiscard", "sessionEndConfirm": "sessionEndConfirmOk"})
    do.click(find(window, "sessionEnd"))
    return lambda: window.service.session is None and find(window, "sessionStart").isEnabled()


def _click_to_open(name: str, dialog: str) -> Callable[[MainWindow, Input], Done]:
    def act(window: MainWindow, do: Input) -> Done:
        do.click(find(window, name))
        return lambda: shown_dialog(dialog) is not None

    return act


def _confirm_write(window: MainWindow, do: Input) -> Done:
    do.click(find(shown_dialog("programWriteConfirm"), "programWriteOk"))
    return lambda: "Verified" in find(window.programs, "programVerifyResult").text()


VISIT: tuple[Step, ...] = (
    Step("log in", _log_in),
    Step("connect", _connect),
    Step("choosing the patient", _choose_patient),
    Step("start session", _start_session),
    Step("toggling contact1", _toggle(1, Polarity.ANODE)),
    Step("toggling contact2", _toggle(2, Polarity.ANODE)),
    Step("toggling contact2 again", _toggle(2, Polarity.CATHODE)),
    Step("a refusal", _refused_switch_on),
    Step("apply contacts", _apply_contacts),
    Step("the Impedance tab", _tab("impedanceView")),
    Step("measuring impedance", _measure),
    Step("the Programming tab", _tab("programmingTab")),
    Step("switching the lead on", _switch_on),
    Step("raising the amplitude", _raise),
    Step("raising the amplitude again", _raise),
    Step("a refused amplitude", _refused_amplitude),
    Step("pulse width up", _pulse_width_up),
    Step("apply timing", _apply_timing),
    Step("the Programs tab", _tab("programsPanel")),
    Step("a note", _note),
    Step("saving a program", _save_program),
    Step("writing it", _click_to_open("programWrite", "programWriteConfirm")),
    Step("confirming the write", _confirm_write),
    Step("back to the Programming tab", _tab("programmingTab")),
    Step("STOP ALL", _stop_all),
    Step("ending the session", _end_session),
)


def editable(widget: QWidget) -> QWidget:
    """Where typing goes: a combo box's line edit, else the widget."""
    return widget.lineEdit() if isinstance(widget, QComboBox) and widget.lineEdit() is not None else widget


def answer_first(answers: dict[str, str], click: Callable[[QWidget], object]) -> QTimer:
    """A timer that clicks answers[dialog] of the first of these dialogs to show, then stops."""
    timer = QTimer()
    timer.setInterval(20)

    def poll() -> None:
        for name, button in answers.items():
            dialog = shown_dialog(name)
            if dialog is not None:
                timer.stop()
                click(find(dialog, button))
                return

    timer.timeout.connect(poll)
    timer.start()
    return timer


class QtBotInput:
    """pytest-qt's events, handed straight to the widget: no X server, no window manager, no modality."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center() if at is None else at)

    def type(self, widget: QWidget, text: str) -> None:
        target = editable(widget)
        self.click(target)
        self.qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClicks(target, text)

    def key(self, widget: QWidget, name: str) -> None:
        self.qtbot.keyClick(editable(widget), getattr(Qt.Key, f"Key_{name}"))

    def answer(self, answers: dict[str, str]) -> None:
        self.answering = answer_first(answers, self.click)


class XInput:
    """Real X input (XTEST, through xdotool): the X server and the window manager deliver it to whatever
    window is under the pointer or has the focus, as a clinician's mouse and keyboard. A click goes where
    the widget is when it is sent, before the change it makes; `wait(predicate)` spins Qt meanwhile."""

    def __init__(self, wait: Callable[[Done], None]) -> None:
        self.wait = wait

    def _sent(self, proc) -> None:
        self.wait(lambda: proc.poll() is not None)
        assert proc.returncode == 0, f"{proc.args}: {proc.stderr.read()}"

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        point = widget.mapToGlobal(widget.rect().center() if at is None else at)
        self._sent(realinput.click_at(point.x(), point.y()))

    def type(self, widget: QWidget, text: str) -> None:
        self.click(editable(widget))
        self._sent(realinput.key("ctrl+a"))
        self._sent(realinput.type_text(text))

    def key(self, widget: QWidget, name: str) -> None:
        self._sent(realinput.key(name))

    def answer(self, answers: dict[str, str]) -> None:
        self.answering = answer_first(answers, realinput.click)  # not waited for: it may run inside exec()
