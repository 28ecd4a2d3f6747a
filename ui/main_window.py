"""The main window: connection bar and STOP ALL on top, the spinal map and
patient controls on the left, the lead panel, waveforms, impedance and
programs in tabs. It wires the panels together; each panel owns its part.

STOP ALL: the red button (objectName stopAll) or the Esc key, from any
widget, at any time, also while a dialog, menu or drag is open: ui/stop_all.py
enforces that in one place. Esc was chosen because it is the key every user
reaches for to abort, and an accidental press only turns stimulation off,
which is always safe.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.types import Capabilities
from ui import dialogs, theme
from ui.access import AccessPage, AccountsView, apply_role
from ui.access.page import Mode
from ui.bodymap import BodyMapPanel
from ui.bridge import ServiceBridge
from ui.connection_bar import ConnectionBar
from ui.fieldeng import FieldEngineerView
from ui.history import HistoryView
from ui.impedance import ImpedanceView
from ui.lead_names import LeadNames
from ui.lead_panel import LeadPanel
from ui.patients import PatientPanel
from ui.programming_page import WAVEFORMS_TITLE, WIDE_WINDOW_PX, ProgrammingPage
from ui.programs import ProgramsPanel
from ui.scope import PulseScopeView
from ui.session_bar import SessionBar
from ui.spinal_map import LeadState, SpinalMap
from ui.status_line import StatusLine
from ui.stop_all import STOP_ALL_KEY, StopAllGuard
from ui.waveforms import WaveformView
from ui.widgets import named
from workstation.accounts import Permission
from workstation.models import ImpedanceClass, Side, SpinalLevel
from workstation.service import LinkState, ProgrammingService

WAVEFORMS_TAB = 2  # after Programming and Body map, when the screen is too narrow to show them beside
SAMPLES_PER_SHORTEST_PHASE = 2  # the telemetry rate resolves the device's shortest phase in two samples


def telemetry_rate_hz(caps: Capabilities) -> int:
    """The stream rate: two samples in the shortest pulse phase the device delivers (50 kS/s for
    40 µs), within the device's maximum rate."""
    return min(caps.telemetry_max_rate_hz, math.ceil(SAMPLES_PER_SHORTEST_PHASE * 1e6 / caps.pulse_width_min_us))


class MainWindow(QMainWindow):
    def __init__(self, service: ProgrammingService, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("DRG Programming Workstation")
        self.service = service
        self.bridge = ServiceBridge(service, self)
        self.settings = settings or QSettings()
        self.undo_stack = QUndoStack(self)
        self.placements: dict[int, object] = {}
        self.names = LeadNames()  # every panel names a lead by where it sits
        self.faulty_leads: set[int] = set()

        self.connection = ConnectionBar(self.bridge)
        self.session_bar = SessionBar(self.bridge)
        self.stop_guard = StopAllGuard(self, self.stop_all)  # button + Esc, reachable whatever is open
        self.stop_button = self.stop_guard.button
        self._stop_failed = None
        self._session_ended_for_close = False

        self.banner = named(QLabel(), "linkBanner", "Link alert", "")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"background:{theme.WARNING};color:{theme.TEXT_ON_FILL};font-weight:bold;padding:2px 6px;"
        )
        # the link alert takes the session line's place (2 lines high, always): it never pushes a control
        self.top_line = QStackedWidget()
        self.top_line.setObjectName("topLine")
        self.top_line.addWidget(self.session_bar)
        self.top_line.addWidget(self.banner)
        self.top_line.setFixedHeight(2 * self.banner.fontMetrics().lineSpacing() + 8)

        self.spinal_map = SpinalMap()
        self.patient_panel = PatientPanel(self.bridge, names=self.names)
        self.lead_chooser = named(
            QComboBox(), "leadChooser", "Lead", "Lead to program (also chosen by clicking it on the spinal map)."
        )
        self.lead_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lead_chooser.setMinimumContentsLength(len("T12 right \u00b7 lead 4"))  # a new name moves nothing
        self.lead_panel = LeadPanel(self.bridge, self.undo_stack)
        self.lead_panel.names = self.names
        self.waveforms = WaveformView()  # its rows: the device's leads, once it is interrogated
        self.scope = PulseScopeView(self.bridge)  # captures only while shown
        self.impedance = ImpedanceView(self.bridge, names=self.names)
        self.programs = ProgramsPanel(self.bridge, names=self.names)
        self.body_map = BodyMapPanel(self.bridge, names=self.names)
        self.history = HistoryView(self.bridge)  # a returning patient's visits: no session needed
        self.field = FieldEngineerView(self.bridge, self.settings)  # a mode, not a login: no patient or session
        self.accounts = AccountsView(self.bridge)  # administrators only
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.waveforms.setObjectName("waveformView")
        self.body_map.setObjectName("bodyMapPanel")
        self.programming = ProgrammingPage(self.lead_chooser, self.lead_panel)  # objectName programmingTab
        self.tabs.addTab(self.programming, "&Programming")
        self.tabs.addTab(self.body_map, "&Body map")
        self.tabs.addTab(self.waveforms, WAVEFORMS_TITLE)
        self.tabs.addTab(self.scope, "Pulse &scope")
        self.tabs.addTab(self.impedance, "&Impedance")
        self.tabs.addTab(self.programs, "P&rograms && log")
        self.tabs.addTab(self.history, "&History")
        self.tabs.addTab(self.field, "&Field engineer")
        self.tabs.addTab(self.accounts, "&Accounts")

        left = QSplitter(Qt.Vertical)
        left.setObjectName("leftSplitter")
        left.addWidget(self.spinal_map)
        left.addWidget(self.patient_panel)  # no scrolling: it fits under the map on a 1366x768 laptop
        left.setChildrenCollapsible(False)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 0)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 1000])

        # the workstation, or the log-in / lock page in its place: the top bar (STOP ALL) stays above both
        self.access_page = AccessPage(self.bridge)
        access_holder = QWidget()
        QHBoxLayout(access_holder).addWidget(self.access_page)
        self.pages = QStackedWidget()
        self.pages.setObjectName("mainPages")
        self.pages.addWidget(self.splitter)
        self.pages.addWidget(access_holder)

        top = QHBoxLayout()
        bars = QVBoxLayout()  # the device's line over the patient's, both beside STOP ALL
        bars.setSpacing(2)
        bars.addWidget(self.connection)
        bars.addWidget(self.top_line)
        top.addLayout(bars, 1)
        top.addWidget(self.stop_guard.slot)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(False)  # there from the start: a first message moves nothing
        self.status = StatusLine(self.statusBar())
        self._build_menu()
        self._wire()
        self._restore()
        self._catch_up()

    # -- construction -------------------------------------------------------------------------
    def _build_menu(self) -> None:
        edit = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])  # both habits, every OS
        edit.addActions([undo, redo])
        device = self.menuBar().addMenu("&Device")
        stop = QAction("&Stop all stimulation", self)
        stop.setShortcut(STOP_ALL_KEY)
        stop.setShortcutContext(Qt.WidgetShortcut)  # the application-wide shortcut above does the work
        stop.triggered.connect(self.stop_all)
        device.addAction(stop)
        place = QAction("&Place a lead…", self)
        place.setObjectName("placeLeadAction")
        place.setShortcut(QKeySequence("Ctrl+L"))
        place.setToolTip("Record where a lead sits (spinal level and side), without the mouse.")
        place.triggered.connect(self.ask_lead_position)
        self.menuBar().addMenu("&Lead").addAction(place)
        self.addAction(place)  # the shortcut works wherever the focus is
        self.print_visit = QAction("&Print this visit's report…", self)
        self.print_visit.setObjectName("printVisitAction")
        self.print_visit.setShortcut(QKeySequence.Print)
        self.print_visit.setToolTip("Print the report of the visit under way, as the records hold it now.")
        self.print_visit.setEnabled(False)  # a visit is under way: see _on_session
        self.print_visit.triggered.connect(self._print_this_visit)
        self.menuBar().addMenu("&Visit").addAction(self.print_visit)
        self.addAction(self.print_visit)
        field = QAction("&Field engineer workspace", self)
        field.setObjectName("fieldEngineerAction")
        field.setShortcut(QKeySequence("Ctrl+Shift+F"))
        field.setToolTip("Device information, lead diagnosis, device log, self-test and USB capture.")
        field.triggered.connect(self.show_field_engineer)
        tools = self.menuBar().addMenu("&Tools")
        tools.addAction(field)
        bundle = QAction("Save &diagnostics bundle…", self)
        bundle.setObjectName("diagnosticsBundleAction")
        bundle.triggered.connect(lambda: (self.show_field_engineer(), self.field.ask_bundle()))
        tools.addAction(bundle)
        self.addAction(field)
        account = self.menuBar().addMenu("&Account")
        for text, name, act in (
            ("&Lock screen", "lockAction", lambda: self.service.access.lock("asked")),
            ("Log &out", "logoutAction", lambda: self.bridge.run(self.service.access.logout(), self._logged_out)),
        ):
            action = QAction(text, self)
            action.setObjectName(name)
            action.triggered.connect(act)
            account.addAction(action)

    def _logged_out(self, future) -> None:
        if future.exception() is not None:
            self.status.say(str(future.exception()), 10000)

    def _on_user(self, user, locked: bool) -> None:
        """Someone logged in or out, or the screen was locked or unlocked: the page and what the role sees."""
        apply_role(self, None if locked else user)
        if user is not None and not locked:
            self.pages.setCurrentIndex(0)
            self.accounts.refresh()
            return
        if user is None:
            future = self.service.access.needs_first_administrator()
            self.bridge.run(
                future, lambda f: self.access_page.show_mode(Mode.FIRST_ADMINISTRATOR if f.result() else Mode.LOGIN)
            )
        else:
            self.access_page.show_mode(Mode.UNLOCK)
        self.pages.setCurrentIndex(1)

    def _wire(self) -> None:
        bridge = self.bridge
        bridge.linkChanged.connect(self._on_link)
        bridge.deviceChanged.connect(self._on_device)
        bridge.leadChanged.connect(lambda _config: self._refresh_map())
        bridge.impedanceMeasured.connect(self._on_impedance)
        bridge.placementChanged.connect(self._on_placement)
        bridge.sessionChanged.connect(self._on_session)
        bridge.userChanged.connect(self._on_user)
        bridge.stopped.connect(lambda: self.status.say("STOP ALL: every output is off.", 8000, self._all_off))
        bridge.refused.connect(lambda _action, text: self.status.say(self.names.in_sentence(text), 10000))
        bridge.leadSwitchedOff.connect(
            lambda lead, sentence: self.status.say(
                self.names.in_sentence(sentence), 15000, lambda: not self._enabled(lead)
            )
        )
        for change in (bridge.linkChanged, bridge.sessionChanged, bridge.userChanged):
            change.connect(self.status.moved_on)
        for change in (bridge.deviceChanged, bridge.leadChanged):
            change.connect(self.status.recheck)
        self.spinal_map.leadSelected.connect(self.select_lead)
        self.history.said.connect(lambda text: self.status.say(text, 15000))
        self.history.loaded.connect(lambda _visits: self.body_map.offer_previous(self.history.history))
        self.lead_panel.whereFelt.connect(self._paint_where_felt)
        self.body_map.areaPointed.connect(self.spinal_map.set_lit)
        self.patient_panel.patients.currentItemChanged.connect(lambda *_: self._show_history())
        self.tabs.currentChanged.connect(
            lambda _i: self.tabs.currentWidget() is self.history and self.history.refresh()
        )
        self.tabs.currentChanged.connect(
            lambda _i: self.tabs.currentWidget() is self.accounts and self.accounts.refresh()
        )
        self.spinal_map.ganglionClicked.connect(self.patient_panel.place_lead_at)
        self.body_map.suggestedLevelsChanged.connect(self.spinal_map.set_suggested)
        self.lead_chooser.currentIndexChanged.connect(lambda index: self.select_lead(index + 1))

    def _enabled(self, lead: int) -> bool:
        config = self.service.state.leads.get(lead)
        return config is not None and config.enabled

    def _all_off(self) -> bool:
        return not any(self._enabled(lead) for lead in self.service.state.leads)

    def _restore(self) -> None:
        geometry = self.settings.value("mainWindow/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)  # the size it was last given
        else:
            self.resize(1366, 768)  # its size once un-maximised
            self.setWindowState(Qt.WindowState.WindowMaximized)  # first start: the whole screen
        splitter = self.settings.value("mainWindow/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def _catch_up(self) -> None:
        """Show a service that was connected (or in a session) before the window existed."""
        service = self.service
        if service.state.capabilities is not None:
            self._on_device(service.state)
        if service.session is not None:
            self._on_session(service.session)
        self._on_link(service.link_state, "")
        self._on_user(service.access.user, service.access.locked)

    # -- actions ------------------------------------------------------------------------------------
    def _paint_where_felt(self, lead: int) -> None:
        self.tabs.setCurrentWidget(self.body_map)
        self.body_map.paint_lead(lead)

    def _print_this_visit(self) -> None:
        session_id = self.service.session_id
        if session_id is not None:  # the action is off without a visit; one may just have ended
            self.history.print_visit(session_id)

    def stop_all(self) -> None:
        if self.service.link_state is LinkState.DISCONNECTED:
            self.status.say("STOP ALL: no pulse generator is connected.", 8000)
            return
        self.bridge.run(self.service.stop_all(), self._stopped)  # first: the status text can wait
        self.status.say("STOP ALL sent…")

    def _stopped(self, future) -> None:
        if future.exception() is not None:
            self.stop_button.setDown(False)  # its release may go to the box below: never drawn pressed
            self.status.say(f"STOP ALL could not reach the device: {future.exception()}")
            text = (
                f"The device did not confirm STOP ALL: {future.exception()}\n"
                "Use the patient controller or the magnet to stop stimulation."
            )
            if self._stop_failed is None:  # one box, however often it fails; it does not block the loop
                box = dialogs.message_box(self, "stopAllFailed", QMessageBox.Icon.Critical, "STOP ALL failed", text)
                box.setAttribute(Qt.WA_DeleteOnClose)
                box.addButton(QMessageBox.StandardButton.Ok)
                box.finished.connect(lambda _result: setattr(self, "_stop_failed", None))
                self._stop_failed = box
            self._stop_failed.setText(text)
            self._stop_failed.open()

    def show_field_engineer(self) -> None:
        self.tabs.setCurrentWidget(self.field)

    def ask_lead_position(self) -> None:
        """The keyboard way to place a lead: pick the ganglion from a list, then the channel."""
        choices = [f"{level.name} {side.value.lower()}" for level in SpinalLevel for side in Side]
        dialog = dialogs.input_dialog(self, "leadPositionDialog")
        dialog.setWindowTitle("Place a lead")
        dialog.setLabelText("Dorsal root ganglion (spinal level and side):")
        dialog.setComboBoxItems(choices)
        dialog.textValueSelected.connect(self._position_chosen)
        dialog.open()

    def _position_chosen(self, text: str) -> None:
        level, side = text.split()
        self.patient_panel.place_lead_at(SpinalLevel[level], Side(side.upper()))

    def select_lead(self, channel: int) -> None:
        if not 1 <= channel <= self.lead_chooser.count():
            return
        self.lead_chooser.blockSignals(True)
        self.lead_chooser.setCurrentIndex(channel - 1)
        self.lead_chooser.blockSignals(False)
        self.spinal_map.set_selected(channel)
        self.lead_panel.set_lead(channel)
        placement = self.placements.get(channel)
        self._light_dermatome()
        self.lead_panel.set_location(self._location(channel))
        if placement is not None:
            self.tabs.setCurrentIndex(0)

    def _light_dermatome(self) -> None:
        """The body map outlines the dermatome of the lead selected (select L4 left: its areas light)."""
        placement = self.placements.get(self.lead_panel_lead())
        self.body_map.highlight(*((placement.level, placement.side) if placement else (None, None)))

    def _location(self, channel: int) -> str:
        return self.names.name(channel)

    def _name_leads(self) -> None:
        """Every place a lead is named follows its placement: chooser, lead panel, waveforms, tables."""
        self.names.set_placements(self.placements)
        for channel in range(1, self.lead_chooser.count() + 1):
            self.lead_chooser.setItemText(channel - 1, self.names.name(channel))
            if channel <= self.waveforms.lead_count:
                self.waveforms.set_lead_label(channel, self.names.name(channel))
                self.scope.set_lead_label(channel, self.names.name(channel))
        self.lead_panel.set_location(self._location(self.lead_panel_lead()))
        self.impedance.names_changed()
        self.programs.names_changed()
        self.body_map.names_changed()

    # -- reactions to the device and the session ----------------------------------------------------------
    def _on_link(self, state: LinkState, detail: str) -> None:
        if self.waveforms.lead_count:  # rows exist once a device was read: their traces go grey without it
            self.waveforms.set_signal(state == LinkState.CONNECTED)
        if state == LinkState.RECONNECTING:
            self.banner.setText(
                "USB link to the pulse generator lost: stimulation state is UNKNOWN. Reconnecting… "
                "If the link stays down the device restores its saved program. Check the cable."
            )
            self.banner.setToolTip(detail)
            self.top_line.setCurrentWidget(self.banner)
        elif state == LinkState.CONNECTED:
            self.top_line.setCurrentWidget(self.session_bar)
            user = self.service.access.user
            may_stream = user is not None and user.may(Permission.CONNECT)
            if may_stream and (
                self.service.connection.telemetry is None or not self.service.connection.telemetry.running
            ):
                rate = telemetry_rate_hz(self.service.state.capabilities)
                self.bridge.run(self.service.connection.start_telemetry(rate), self._telemetry_started)
        elif state == LinkState.DISCONNECTED:
            self.top_line.setCurrentWidget(self.session_bar)
        elif state in (LinkState.PAIRING, LinkState.UNPAIRED):
            self.banner.setText(
                "Pairing with the pulse generator: confirm on the device, holding the magnet over the generator. "
                "Nothing can be programmed until it is paired; STOP ALL works."
                if state == LinkState.PAIRING
                else "This pulse generator is not paired with this workstation, so nothing can be programmed. "
                "Press Pair… and confirm on the device. STOP ALL works."
            )
            self.banner.setToolTip(detail)
            self.top_line.setCurrentWidget(self.banner)
        self._refresh_map()

    def _telemetry_started(self, future) -> None:
        if future.exception() is None:
            self.waveforms.attach(self.service.connection.telemetry)

    def _on_device(self, state) -> None:
        count = state.capabilities.lead_count
        self.body_map.set_lead_count(count)
        if self.waveforms.lead_count != count:
            self.waveforms.set_lead_count(count)
            self.scope.set_lead_count(count)
            for channel in range(1, count + 1):
                self.waveforms.set_lead_label(channel, self._location(channel))
                self.scope.set_lead_label(channel, self._location(channel))
        if self.lead_chooser.count() != count:
            self.lead_chooser.blockSignals(True)
            self.lead_chooser.clear()
            self.lead_chooser.addItems([self.names.name(n) for n in range(1, count + 1)])
            self.lead_chooser.blockSignals(False)
            self.select_lead(1)
        self._refresh_map()  # and the programmed overlays

    def _on_impedance(self, result) -> None:
        thresholds = self.service.impedance.thresholds()
        measured = {m.lead for m in result.measurements}
        self.faulty_leads -= measured
        self.faulty_leads |= {
            m.lead for m in result.measurements if thresholds.classify(m.ohms) != ImpedanceClass.NORMAL
        }
        self._refresh_map()

    def _on_placement(self, placement) -> None:
        self.placements[placement.channel] = placement
        self._name_leads()
        self._refresh_map()

    def lead_panel_lead(self) -> int:
        return self.lead_chooser.currentIndex() + 1

    def _on_session(self, session) -> None:
        self.placements = {}
        self.print_visit.setEnabled(session is not None)
        self.body_map.new_visit(session.id if session else None)  # blank; the last pain map may be offered
        self._show_history()
        if session is not None:
            future = self.service.recording.placements(session.patient_id)
            self.bridge.run(future, lambda done: self._placements_read(session, done))
        self.impedance.set_patient(session.patient_id if session else None)
        self._show_placements()

    def _show_history(self) -> None:
        """The session's patient, else the one chosen in the patient list."""
        session = self.service.session
        patient = self.patient_panel.selected_patient()
        self.history.show_patient(session.patient_id if session else (patient.id if patient else None))

    def _placements_read(self, session, future) -> None:
        """Only for the session still active (an answer for one ended or replaced meanwhile is dropped)."""
        if future.exception() is None and self.service.session is session:
            self.placements = {**future.result(), **self.placements}  # a placement recorded meanwhile wins
            self._show_placements()

    def _show_placements(self) -> None:
        self._name_leads()
        self._refresh_map()

    def _refresh_map(self) -> None:
        self._light_dermatome()
        known = self.service.link_state == LinkState.CONNECTED
        leads = []
        for channel, placement in self.placements.items():
            config = self.service.state.leads.get(channel)
            if not known:
                state = LeadState.UNKNOWN
            elif channel in self.faulty_leads:
                state = LeadState.FAULT
            elif config is not None and config.enabled:
                state = LeadState.ENABLED
            else:
                state = LeadState.DISABLED
            leads.append((channel, placement.level, placement.side, state))
        self.spinal_map.set_leads(leads)
        for lead, config in self.service.state.leads.items():
            if lead <= self.waveforms.lead_count:
                self.waveforms.set_programmed(lead, config)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.programming.arrange(self.tabs, self.waveforms, event.size().width() >= WIDE_WINDOW_PX, WAVEFORMS_TAB)

    # -- closing ------------------------------------------------------------------------------------------------
    def may_close(self) -> bool:
        """The close guard: during a session it asks to end it first (the end-of-visit guard,
        unwritten changes included) and closes once it has ended; otherwise unwritten changes ask."""
        if self._session_ended_for_close:
            return True
        if self.service.session is not None:
            self.patient_panel.end_session("close", self._ended_for_close)
            return False
        return not self.programs.has_unwritten_changes() or self.programs.confirm_discard_unwritten(self)

    def _ended_for_close(self) -> None:
        self._session_ended_for_close = True
        self.close()

    def closeEvent(self, event) -> None:
        if not self.may_close():
            event.ignore()
            return
        self.settings.setValue("mainWindow/geometry", self.saveGeometry())
        self.settings.setValue("mainWindow/splitter", self.splitter.saveState())
        event.accept()
