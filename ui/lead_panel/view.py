"""Lead programming panel: one DRG lead's contacts, amplitude, timing, limits and stimulus response.

A patient is on the table feeling every change, so the panel shows the
device's truth (bridge.leadChanged, after the device's rounding), never what
was merely asked for; raises stimulation only by a click, a key, a hold
("+" ramps only while held) or an announced typed value; keeps contact and
timing edits pending, with undo, until Apply; and shows every limit before
it binds. Every device action goes through the ProgrammingService's futures
(never on the GUI thread); refusals show as the service's sentence.

objectNames: leadPanel, leadTitle, stimState, enableLead, linkState, refusalMessage;
contacts: contact1..contact4, applyContacts (dialog contactsConfirm);
amplitude (ui/lead_panel/amplitude.py; what it does: amplitude_steps.py): ampArea, ampReadout, ampMicro,
ampDown, ampUp, ampIncrement, ampEntry, ampSet, ampError, maxSafeLabel, ampResume (dialogs densityConfirm,
riseConfirm);
timing: pwEntry, pwDown, pwUp, pwError, freqEntry, freqDown, freqUp, freqError, patientMaxEntry,
patientMaxError, timingIncrement, applyParams;
limits (ui/lead_panel/limits.py): chargeReadout, densityReadout, complianceReadout, shannonReadout;
response (ui/lead_panel/response.py): recordPerception, recordComfortable, recordMaxTolerable,
responseWhere (-> whereFelt(lead): the window opens the body map with this lead's brush), sensation,
paresthesiaFree, saveResponse, responseMessage.
"""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from drivers.types import Capabilities, LeadConfig
from ui.bridge import ServiceBridge
from ui.lead_names import LeadNames
from ui.lead_panel.amplitude import AmplitudeArea
from ui.lead_panel.amplitude_steps import AmplitudeSteps
from ui.lead_panel.contacts import ContactsView
from ui.lead_panel.editing import PendingEditing
from ui.lead_panel.limits import LimitReadouts
from ui.lead_panel.params import ROWS, ParamRow
from ui.lead_panel.pending import PARAM_FIELDS, PendingEdits
from ui.lead_panel.response import ResponseForm
from ui.lead_panel.sending import ServiceCalls
from ui.lead_panel.style import STYLE_SHEET, TITLE_PX, set_style_property, text_width
from ui.widgets import message_label, named, show_message
from workstation.increments import increments
from workstation.models import MAX_LEADS, SpinalLevel
from workstation.service import LinkState, ServiceError

SWITCH_ON, SWITCH_OFF = "Switch on", "Switch off"


class LeadPanel(AmplitudeSteps, PendingEditing, ServiceCalls, QWidget):
    """Programs one lead (set_lead) of the connected pulse generator through the service.

    Its behaviour is in three mixins beside it: amplitude_steps.py (the amplitude controls),
    editing.py (pending contact and timing edits) and sending.py (service calls, confirmations)."""

    whereFelt = Signal(int)  # the lead whose area the clinician wants to paint on the body map

    def __init__(self, bridge: ServiceBridge, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadPanel")
        self.setStyleSheet(STYLE_SHEET)
        self._bridge, self._service, self._undo = bridge, bridge.service, undo_stack
        self._pending = PendingEdits()
        self._lead = 1
        self._locations: dict[int, str] = {}
        self.names = LeadNames()  # the window's, once it is placed in one
        self._link = self._service.link_state
        self._amp_target: int | None = None  # highest rise asked for and not reached yet
        self._armed_text: str | None = None  # typed amplitude whose rounding was announced
        self._resumed: set[int] = set()  # leads whose earlier amplitude was reached since they were re-enabled
        self._build()
        self._connect()
        self._refresh()

    # -- public API ------------------------------------------------------------------
    @property
    def lead(self) -> int:
        return self._lead

    def set_lead(self, n: int) -> None:
        """Show lead n (1 to the device's lead count); a ramp on the previous lead is stopped."""
        caps = self._caps()
        count = caps.lead_count if caps else MAX_LEADS
        if not 1 <= n <= count:
            raise ValueError(f"There is no lead {n}: this device has leads 1 to {count}.")
        if n == self._lead:
            return
        self._amplitude.stop_ramp()
        self._lead, self._amp_target, self._armed_text = n, None, None
        self._amplitude.entry.clear()
        show_message(self._amplitude.error, None)
        for row in self._rows.values():
            row.clear_typing()
        self._response.reset()
        self._refresh()

    def add_to_header(self, *widgets: QWidget) -> None:
        """Put the window's lead chooser on the panel's title line (a line less on a 768-px screen)."""
        for widget in widgets:
            self._header.addWidget(widget)

    def set_location(self, text: str) -> None:
        """Where the lead shown sits, e.g. "Lead 1 · L4 left" (the panel's title for this lead)."""
        self._locations[self._lead] = text
        self._refresh_header(self._device())

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self._title = named(QLabel(self), "leadTitle", "Lead", "The lead shown and where it sits.")
        self._stim = named(QLabel(self), "stimState", "Stimulation state", "Whether this lead is stimulating now.")
        self._enable = named(
            QPushButton(SWITCH_ON, self),
            "enableLead",
            "Switch lead on",
            "Switch this lead's output on or off. The device refuses to enable a lead "
            "without an impedance measured on its current contacts.",
        )
        self._enable.setFixedWidth(self._enable.fontMetrics().horizontalAdvance(SWITCH_OFF) + 40)
        # the title and the state before the switch are as wide as their longest text: the switch stays put
        longest = [f"Lead {MAX_LEADS} \u00b7 not placed", f"{SpinalLevel.T12.name} right \u00b7 lead {MAX_LEADS}"]
        self._title.setFixedWidth(text_width(longest, TITLE_PX, bold=True) + 8)
        self._stim.setFixedWidth(text_width(["LIVE \u00b7 88.888 mA", "UNKNOWN"], bold=True) + 24)
        self._enable.setCheckable(True)
        self._enable.setAutoDefault(False)
        self._link_label = named(QLabel(self), "linkState", "Link", "State of the link to the pulse generator.")
        self._refusal = message_label("refusalMessage", "Refusal", self, lines=2)
        self._contacts = ContactsView(parent=self)
        self._apply_contacts = named(
            QPushButton("Apply contacts", self),
            "applyContacts",
            "Apply contacts",
            "Send the pending contacts. The device switches the lead OFF and sets its amplitude to 0 "
            "on any contact change.",
        )
        self._apply_contacts.setAutoDefault(False)
        self._amplitude = AmplitudeArea(self)
        self._timing_step = named(
            QComboBox(self), "timingIncrement", "Timing step", "Step of the pulse width and frequency − / + buttons."
        )
        self._apply_params = named(
            QPushButton("Apply", self),
            "applyParams",
            "Apply timing",
            "Send the pending pulse width, frequency and patient maximum; the contacts stay and the lead stays on.",
        )
        self._apply_params.setAutoDefault(False)
        self._limits = LimitReadouts(self)
        self._response = ResponseForm(self)

        self._header = header = QHBoxLayout()
        for widget in (self._title, self._stim, self._enable):
            header.addWidget(widget)
        header.addStretch()
        header.addWidget(self._link_label)

        contacts_box = QGroupBox("Contacts", self)
        column = QVBoxLayout(contacts_box)
        column.addWidget(self._contacts, 1)
        column.addWidget(self._apply_contacts)
        self._contacts_note = message_label("contactsNote", "Contacts note", contacts_box, lines=3)
        column.addWidget(self._contacts_note)
        contacts_box.setFixedWidth(self._contacts.buttons[0].width() + 70)  # caption, lead body, margins

        amplitude_box = QGroupBox("Amplitude", self)
        QVBoxLayout(amplitude_box).addWidget(self._amplitude)
        self._timing_box = timing_box = QGroupBox("Timing", self)
        grid = QGridLayout(timing_box)
        grid.setVerticalSpacing(2)
        self._rows = {spec.field: ParamRow(spec, grid, 2 * i, timing_box) for i, spec in enumerate(ROWS)}
        steps = QHBoxLayout()
        steps.addWidget(QLabel("Step", timing_box))
        steps.addWidget(self._timing_step, 1)
        steps.addWidget(self._apply_params)
        grid.addLayout(steps, 2 * len(ROWS), 0, 1, 5)
        middle = QVBoxLayout()
        middle.addWidget(amplitude_box)
        middle.addWidget(timing_box)
        middle.addStretch()

        right = QVBoxLayout()
        right.addWidget(self._limits)
        right.addWidget(self._response, 1)

        body = QHBoxLayout()
        body.addWidget(contacts_box)
        body.addLayout(middle, 4)
        body.addLayout(right, 5)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addLayout(header)
        outer.addWidget(self._refusal)
        outer.addLayout(body, 1)

    def _connect(self) -> None:
        bridge = self._bridge
        bridge.leadChanged.connect(self._on_lead_changed)
        bridge.deviceChanged.connect(lambda _state: self._refresh())
        bridge.stopped.connect(self._refresh)
        bridge.linkChanged.connect(self._on_link)
        bridge.refused.connect(lambda _action, text: self._show_refusal(text))
        bridge.sessionChanged.connect(self._session_changed)
        bridge.impedanceMeasured.connect(lambda _result: self._refresh())
        bridge.leadSwitchedOff.connect(lambda _lead, sentence: self._show_refusal(sentence))
        self._contacts.polarityChosen.connect(self._on_polarity)
        self._apply_contacts.clicked.connect(self._on_apply_contacts)
        self._enable.clicked.connect(self._on_enable)
        self._amplitude.step.connect(self._on_step)
        self._amplitude.rampTick.connect(self._on_ramp_tick)
        self._amplitude.rampEnded.connect(self._on_ramp_ended)
        self._amplitude.setRequested.connect(self._on_set_amplitude)
        self._amplitude.resumeRequested.connect(self._on_resume)
        self._amplitude.entry.textEdited.connect(self._on_amplitude_typed)
        self._amplitude.increment.currentIndexChanged.connect(lambda _i: self._refresh())
        for row in self._rows.values():
            row.entry.textEdited.connect(lambda _text: self._refresh())  # Apply takes a typed value too
            row.committed.connect(self._on_param_typed)
            row.stepped.connect(self._on_param_stepped)
        self._apply_params.clicked.connect(self._apply_typed_params)
        self._response.responseReady.connect(self._on_response)
        self._response.whereFelt.connect(lambda: self.whereFelt.emit(self._lead))

    # -- state --------------------------------------------------------------------------
    def _caps(self) -> Capabilities | None:
        return self._service.state.capabilities

    def _device(self) -> LeadConfig | None:
        """The lead as the device holds it, or None while the link is not up."""
        if self._link != LinkState.CONNECTED:
            return None
        return self._service.state.leads.get(self._lead)

    def _why_not(self, device: LeadConfig | None) -> str | None:
        """Why the lead cannot be changed now, said once above the controls (None: it can)."""
        if device is None or self._caps() is None:
            return "The lead's setting is unknown: the pulse generator is not connected."
        if self._service.session is None:
            return "Start a session to change stimulation: every change is recorded in the patient's session."
        return None

    def _refresh(self) -> None:
        device, caps = self._device(), self._caps()
        self._refresh_header(device)
        why = self._why_not(device)
        if why is not None or self._refusal.property("why") == "true":
            self._show_refusal(why, why=True)
        self._response.set_config(device if why is None else None)
        if device is None or caps is None:
            self._set_controls_enabled(False)
            self._amplitude.stop_ramp()
            self._amplitude.show_amplitude(None)
            self._amplitude.show_max_safe(None)
            self._amplitude.offer_resume(None)
            self._limits.show_readings("Lead setting unknown: the link is not connected.", None)
            return
        self._set_controls_enabled(True)
        proposed = self._pending.proposed(device)
        self._contacts.set_count(caps.contacts_per_lead)
        self._contacts.show_contacts(proposed.contacts, device.contacts)
        contacts = sum(a != b for a, b in zip(proposed.contacts, device.contacts))
        self._apply_contacts.setEnabled(bool(contacts))
        pending = f"{contacts} contact{'s' if contacts != 1 else ''} pending. " if contacts else ""
        self._contacts_note.setText(pending + "Apply switches the lead off at 0 mA.")
        params = len(self._pending.changed(device, PARAM_FIELDS))
        typed = any(row.entry.isModified() for row in self._rows.values())
        self._apply_params.setEnabled(bool(params) or typed)
        self._apply_params.setText(f"Apply ({params})" if params else "Apply")
        self._timing_box.setTitle(
            f"Timing \u00b7 {params} change{'s' if params != 1 else ''} pending until Apply" if params else "Timing"
        )
        for field, row in self._rows.items():
            row.show_value(getattr(proposed, field), getattr(device, field))
        if self._timing_step.count() == 0:
            self._timing_step.addItems(self._timing_step_names(caps))
        self._refresh_amplitude(device, proposed, caps)
        if why is not None:  # the device's values show; nothing can change them without a session
            self._amplitude.stop_ramp()
            self._set_controls_enabled(False)

    def _set_controls_enabled(self, on: bool) -> None:
        for widget in (
            self._contacts,
            self._apply_contacts,
            self._enable,
            self._amplitude,
            self._timing_step,
            self._apply_params,
        ):
            widget.setEnabled(on)
        for row in self._rows.values():
            row.set_enabled(on)

    @staticmethod
    def _timing_step_names(caps: Capabilities) -> list[str]:
        pws, fs = (increments(caps, p, 0) for p in ("pulse_width", "frequency"))
        return [f"{name}: {pw} µs / {f} Hz" for name, pw, f in zip(("Small", "Medium", "Large"), pws, fs)]

    def _refresh_header(self, device: LeadConfig | None) -> None:
        self._title.setText(self._locations.get(self._lead) or f"Lead {self._lead}")
        if device is None:
            text, state = "UNKNOWN", "unknown"
        elif device.enabled:
            text, state = f"LIVE · {device.amplitude_ua / 1000:.3f} mA", "live"
        else:
            text, state = "OFF", "off"
        self._stim.setText(text)
        set_style_property(self._stim, "state", state)
        on = device is not None and device.enabled
        self._enable.setChecked(on)
        self._enable.setText(SWITCH_OFF if on else SWITCH_ON)  # labelled by what a click does
        self._enable.setAccessibleName("Switch lead off" if on else "Switch lead on")
        self._link_label.setText(f"Link: {self._link.value}")

    # -- device notifications ------------------------------------------------------
    def _on_lead_changed(self, config: LeadConfig) -> None:
        if config.lead != self._lead:
            return
        if self._amp_target is not None and config.amplitude_ua >= self._amp_target:
            self._amp_target = None
        self._refresh()

    def _on_link(self, state: LinkState, _detail: str) -> None:
        self._link = state
        if state != LinkState.CONNECTED:
            self._amp_target = None
        self._refresh()

    def _show_refusal(self, text: str | None, why: bool = False) -> None:
        """The panel's one message place (reserved: it never moves a control): a refusal, or why
        nothing can be changed now (`why`, in the quieter look)."""
        show_message(self._refusal, self.names.in_sentence(text) if text else None)  # #refusalMessage in style.py
        set_style_property(self._refusal, "why", "true" if why and text else "false")

    def _apply_typed_params(self) -> None:
        """Apply: a value still being typed is taken first (a click on Apply needs no Enter)."""
        for row in self._rows.values():
            row.commit_typing()
        if not any(row.error.text() for row in self._rows.values()):
            self._apply(PARAM_FIELDS)

    def _session_changed(self, session: object) -> None:
        """A new session starts clean; after End nothing of the last patient stays on screen."""
        self._amplitude.entry.clear()
        show_message(self._amplitude.error, None)
        for row in self._rows.values():
            row.clear_typing()
        self._response.reset()
        self._show_refusal(None)
        self._refresh()

    # -- enable -----------------------------------------------------------------------------------
    def _on_enable(self, on: bool) -> None:
        device = self._device()
        self._refresh_header(device)  # the switch shows the device's state until the device answers
        if device is not None:
            self._attempt(lambda: self._service.outputs.set_enabled(device.lead, on), device.with_(enabled=True))

    # -- stimulus response ----------------------------------------------------------------------------
    def _on_response(self, response) -> None:
        try:
            future = self._service.recording.record_response(response)
        except (ServiceError, ValueError) as exc:
            self._response.show_outcome(str(exc))
            return
        self._bridge.run(future, lambda done: self._response_recorded(done, response))

    def _response_recorded(self, future: Future, response) -> None:
        """Saved: a maximum tolerable is offered as the patient maximum (pending until Apply)."""
        if not isValid(self):
            return
        if future.exception() is not None:
            self._response.show_outcome(str(future.exception()))
            return
        tolerable = response.max_tolerable_ua
        note = ""
        if tolerable and response.lead == self._lead and self._device() is not None:
            self._propose("patient_max_ua", tolerable)
            note = f"; patient maximum {tolerable / 1000:.3f} mA (the maximum tolerable) waits for Apply"
        self._response.show_outcome(None, note)
