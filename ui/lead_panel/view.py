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
amplitude (ui/lead_panel/amplitude.py): ampArea, ampReadout, ampMicro, ampDown, ampUp, ampIncrement,
ampEntry, ampSet, ampError, maxSafeLabel, ampResume (dialogs densityConfirm, riseConfirm);
timing: pwEntry, pwDown, pwUp, pwError, freqEntry, freqDown, freqUp, freqError, patientMaxEntry,
patientMaxError, timingIncrement, applyParams;
limits (ui/lead_panel/limits.py): chargeReadout, densityReadout, complianceReadout, shannonReadout;
response (ui/lead_panel/response.py): recordPerception, recordComfortable, recordMaxTolerable,
bodyRegions, sensation, paresthesiaFree, saveResponse, responseMessage.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

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

from drivers.types import Capabilities, LeadConfig, Polarity
from ui.bridge import ServiceBridge
from ui.lead_panel.amplitude import AmplitudeArea
from ui.lead_panel.confirm import ask_confirmation, ask_contacts
from ui.lead_panel.contacts import ContactsView
from ui.lead_panel.entry import InputError, parse_amplitude, parse_setting
from ui.lead_panel.limits import LimitReadouts, limit_readings
from ui.lead_panel.params import ParamRow, RowSpec
from ui.lead_panel.pending import (
    CONTACT_FIELDS,
    PARAM_FIELDS,
    PendingEditCommand,
    PendingEdits,
)
from ui.lead_panel.response import ResponseForm
from ui.lead_panel.style import STYLE_SHEET, set_style_property
from ui.theme import DANGER_TEXT, OK_TEXT, WARNING_TEXT
from ui.widgets import message_label, named, show_message
from workstation import levels, safety
from workstation.increments import apply_increment, increments
from workstation.models import MAX_LEADS
from workstation.service import ConfirmationRequired, DeviceDeclined, LinkState, ServiceError

ROWS = (
    RowSpec("pulse_width_us", "pulse_width", "Pulse width", "µs", "pwEntry", "pwError", "pwUp", "pwDown"),
    RowSpec("frequency_hz", "frequency", "Frequency", "Hz", "freqEntry", "freqError", "freqUp", "freqDown"),
    RowSpec("patient_max_ua", "amplitude", "Patient maximum", "µA", "patientMaxEntry", "patientMaxError"),
)
SPECS = {spec.field: spec for spec in ROWS}


def sentence(exc: BaseException) -> str:
    """What to tell the clinician about a failed action: the device's own sentence when it refused."""
    return exc.detail if isinstance(exc, DeviceDeclined) and exc.detail else str(exc)


class LeadPanel(QWidget):
    """Programs one lead (set_lead) of the connected pulse generator through the service."""

    def __init__(self, bridge: ServiceBridge, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadPanel")
        self.setStyleSheet(STYLE_SHEET)
        self._bridge, self._service, self._undo = bridge, bridge.service, undo_stack
        self._pending = PendingEdits()
        self._lead = 1
        self._locations: dict[int, str] = {}
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

    def set_location(self, text: str) -> None:
        """Where the lead shown sits, e.g. "Lead 1 · L4 left" (the panel's title for this lead)."""
        self._locations[self._lead] = text
        self._refresh_header(self._device())

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self._title = named(QLabel(self), "leadTitle", "Lead", "The lead shown and where it sits.")
        self._stim = named(QLabel(self), "stimState", "Stimulation state", "Whether this lead is stimulating now.")
        self._enable = named(
            QPushButton("Stimulation OFF", self),
            "enableLead",
            "Enable lead",
            "Switch this lead's output on or off. The device refuses to enable a lead "
            "without an impedance measured on its current contacts.",
        )
        self._enable.setCheckable(True)
        self._enable.setAutoDefault(False)
        self._link_label = named(QLabel(self), "linkState", "Link", "State of the link to the pulse generator.")
        self._refusal = message_label("refusalMessage", "Refusal", self)
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
        self._response = ResponseForm(levels.known_regions(), self)

        header = QHBoxLayout()
        for widget in (self._title, self._stim, self._enable):
            header.addWidget(widget)
        header.addStretch()
        header.addWidget(self._link_label)

        contacts_box = QGroupBox("Contacts", self)
        column = QVBoxLayout(contacts_box)
        column.addWidget(self._contacts, 1)
        column.addWidget(self._apply_contacts)
        self._contacts_note = QLabel(contacts_box)
        self._contacts_note.setObjectName("contactsNote")
        self._contacts_note.setWordWrap(True)
        column.addWidget(self._contacts_note)

        amplitude_box = QGroupBox("Amplitude", self)
        QVBoxLayout(amplitude_box).addWidget(self._amplitude)
        timing_box = QGroupBox("Timing · pending until Apply", self)
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
        bridge.refused.connect(lambda action, text: self._show_refusal(f"{text} ({action.replace('_', ' ')})"))
        bridge.impedanceMeasured.connect(lambda _result: self._refresh())
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
            row.committed.connect(self._on_param_typed)
            row.stepped.connect(self._on_param_stepped)
        self._apply_params.clicked.connect(lambda: self._apply(PARAM_FIELDS))
        self._response.responseReady.connect(self._on_response)

    # -- state --------------------------------------------------------------------------
    def _caps(self) -> Capabilities | None:
        return self._service.state.capabilities

    def _device(self) -> LeadConfig | None:
        """The lead as the device holds it, or None while the link is not up."""
        if self._link != LinkState.CONNECTED:
            return None
        return self._service.state.leads.get(self._lead)

    def _refresh(self) -> None:
        device, caps = self._device(), self._caps()
        self._refresh_header(device)
        live = device is not None and caps is not None
        for widget in (
            self._contacts,
            self._apply_contacts,
            self._enable,
            self._amplitude,
            self._timing_step,
            self._apply_params,
        ):
            widget.setEnabled(live)
        for row in self._rows.values():
            row.set_enabled(live)
        self._response.set_config(device)
        if not live:
            self._amplitude.stop_ramp()
            self._amplitude.show_amplitude(None)
            self._amplitude.show_max_safe(None)
            self._amplitude.offer_resume(None)
            self._limits.show_readings("Lead setting unknown: the link is not connected.", None)
            return
        proposed = self._pending.proposed(device)
        self._contacts.show_contacts(proposed.contacts, device.contacts)
        contacts = sum(a != b for a, b in zip(proposed.contacts, device.contacts))
        self._apply_contacts.setEnabled(bool(contacts))
        self._contacts_note.setText(
            (f"{contacts} contact(s) pending. " if contacts else "") + "Apply switches the lead off at 0 mA."
        )
        params = len(self._pending.changed(device, PARAM_FIELDS))
        self._apply_params.setEnabled(bool(params))
        self._apply_params.setText(f"Apply ({params} pending)" if params else "Apply")
        for field, row in self._rows.items():
            row.show_value(getattr(proposed, field), getattr(device, field))
        if self._timing_step.count() == 0:
            self._timing_step.addItems(self._timing_step_names(caps))
        self._refresh_amplitude(device, proposed, caps)

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
        self._enable.setText("Stimulation ON" if on else "Stimulation OFF")
        self._link_label.setText(f"Link: {self._link.value}")

    def _refresh_amplitude(self, device: LeadConfig, proposed: LeadConfig, caps: Capabilities) -> None:
        amplitude = self._amplitude
        amplitude.show_amplitude(device.amplitude_ua)
        amplitude.show_increments(increments(caps, "amplitude", device.amplitude_ua))
        self._refresh_up(device, caps)
        amplitude.offer_resume(self._resume_amplitude(device))
        nxt = apply_increment(caps, "amplitude", proposed.amplitude_ua, amplitude.size(), "up")
        judged = proposed.with_(amplitude_ua=nxt)
        impedance = self._service.state.lead_impedance(judged)
        confirmed = not self._service.outputs.assess(judged).needs_confirmation
        changed = self._pending.changed(device, PARAM_FIELDS + CONTACT_FIELDS)
        parts = [f"{nxt / 1000:.3f} mA", f"{proposed.pulse_width_us} µs" + (" pending" * ("pulse_width_us" in changed))]
        if "patient_max_ua" in changed:
            parts.append(f"patient maximum {proposed.patient_max_ua} µA pending")
        if "contacts" in changed:
            parts.append("new contacts pending")
        caption = f"At the next + step: {', '.join(parts)}."
        self._limits.show_readings(caption, limit_readings(caps, judged, impedance, confirmed))
        amplitude.show_max_safe(
            safety.max_safe_amplitude(caps, proposed, self._service.state.lead_impedance(proposed)), bool(changed)
        )

    def _refresh_up(self, device: LeadConfig, caps: Capabilities) -> None:
        """Enable "+" with what it does, or disable it with the true reason: only once the present
        amplitude is at a limit (a step toward a limit is clipped to it, see _next_up)."""
        amplitude, present, lead = self._amplitude, device.amplitude_ua, self._lead
        if present >= device.patient_max_ua:
            amplitude.allow_up(
                False,
                f"Lead {lead} is at its patient maximum of {device.patient_max_ua} µA; "
                "raise the patient maximum (Timing, Apply) to go higher.",
            )
            return
        if present >= caps.amplitude_max_ua:
            amplitude.allow_up(False, f"Lead {lead} is at the device maximum of {present} µA.")
            return
        base = max(present, self._amp_target or 0)
        up = self._next_up(device, caps, base, amplitude.size())
        if up <= base:  # already rising to the limit: "+" stays on, the ramp goes on while held
            amplitude.allow_up(True, f"Rising to {base / 1000:.3f} mA, the limit of this lead's settings.")
            return
        assessment = self._service.outputs.assess(device.with_(amplitude_ua=up))
        if assessment.refusals:
            at = (
                f"Lead {lead} is at the highest amplitude these settings allow ({present} µA). "
                if base == present
                else ""
            )
            amplitude.allow_up(
                False, at + "The next step is refused: " + " ".join(c.message for c in assessment.refusals)
            )
        else:
            confirm = " It needs your confirmation (charge density cap)." if assessment.needs_confirmation else ""
            amplitude.allow_up(True, f"Click: raise to {up / 1000:.3f} mA. Hold: ramp up while held.{confirm}")

    def _next_up(self, device: LeadConfig, caps: Capabilities, base: int, size: int) -> int:
        """One increment of `size` above `base`, clipped to the first limit it would pass (the
        patient maximum, or the highest amplitude with no warning), so "+" reaches it exactly.
        Returns `base` when nothing is above it within the patient maximum."""
        if base >= device.patient_max_ua:
            return base
        up = apply_increment(caps, "amplitude", base, size, "up")
        max_safe = safety.max_safe_amplitude(caps, device, self._service.state.lead_impedance(device))
        for limit in sorted({device.patient_max_ua, max_safe}):
            if base < limit < up:
                return limit
        return up

    def _resume_amplitude(self, device: LeadConfig) -> int | None:
        """The earlier amplitude to offer "Ramp back to" for, while the lead is on below it."""
        earlier = self._service.outputs.resume_amplitudes.get(device.lead)
        if not device.enabled:
            self._resumed.discard(device.lead)  # a later re-enable offers it again
            return None
        if earlier is None or device.lead in self._resumed:
            return None
        if device.amplitude_ua >= earlier:
            self._resumed.add(device.lead)  # reached: no longer offered until the lead is off again
            return None
        return earlier

    def _on_resume(self) -> None:
        device = self._device()
        earlier = None if device is None else self._resume_amplitude(device)
        if earlier is None:
            self._refresh()
            return
        self._amp_target = None
        self._request_amplitude(earlier)

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

    def _show_refusal(self, text: str | None) -> None:
        show_message(self._refusal, text)  # a red box: #refusalMessage in style.py

    # -- sending, with the density confirmation -------------------------------------------
    def _attempt(
        self, call: Callable[[], Future], confirm: LeadConfig | None, on_done: Callable[[Future], None] | None = None
    ) -> bool:
        """Run one service call; on ConfirmationRequired ask, record the confirmation and retry.

        Returns whether the call was accepted by the service (its future runs).
        """
        self._show_refusal(None)
        try:
            future = call()
        except ConfirmationRequired as exc:
            self._amplitude.stop_ramp()
            if confirm is not None:
                request = exc  # `exc` is unbound when the except block ends; the answer comes later
                ask_confirmation(self, request, lambda: self._confirmed(call, request, on_done))
            return False
        except ServiceError as exc:
            self._amplitude.stop_ramp()
            self._show_refusal(str(exc))
            return False
        self._bridge.run(future, lambda f: self._finished(f, on_done))
        return True

    def _confirmed(self, call: Callable[[], Future], exc: ConfirmationRequired, on_done) -> None:
        try:
            self._service.outputs.confirm(exc)
        except ServiceError as error:
            self._show_refusal(str(error))
            return
        self._attempt(call, exc.config, on_done)

    def _finished(self, future: Future, on_done: Callable[[Future], None] | None) -> None:
        if not isValid(self):
            return  # the panel was closed while the device worked
        if future.exception() is not None:
            self._amplitude.stop_ramp()
            self._show_refusal(sentence(future.exception()))
        if on_done is not None:
            on_done(future)
        self._refresh()

    # -- contacts ----------------------------------------------------------------------------
    def _on_polarity(self, contact: int, polarity: Polarity) -> None:
        device = self._device()
        if device is None:
            return
        old = self._pending.value(device, "contacts")
        new = tuple(polarity if i == contact - 1 else p for i, p in enumerate(old))
        if new != old:
            self._push(
                device.lead,
                "contacts",
                old,
                new,
                f"Lead {device.lead}: contact {contact} {old[contact - 1].symbol} → {polarity.symbol}",
            )

    def _on_apply_contacts(self) -> None:
        device = self._device()
        if device is None:
            return
        if device.enabled or device.amplitude_ua > 0:
            ask_contacts(self, device.lead, lambda: self._apply(CONTACT_FIELDS))
        else:
            self._apply(CONTACT_FIELDS)

    def _apply(self, fields: tuple[str, ...]) -> None:
        """Write the pending `fields` (the rest as the device has them); once written they are no longer pending."""
        device = self._device()
        if device is None:
            return
        config = self._pending.proposed(device, fields)
        self._attempt(
            lambda: self._service.outputs.write_lead(config),
            config,
            lambda f: f.exception() is None and self._pending.discard(config.lead, fields),
        )

    # -- pending timing edits ---------------------------------------------------------------------
    def _push(self, lead: int, field: str, old: object, new: object, text: str) -> None:
        self._undo.push(PendingEditCommand(self._pending, lead, field, old, new, text, self._pending_changed))

    def _pending_changed(self, lead: int) -> None:
        if isValid(self) and lead == self._lead:
            self._refresh()

    def _propose(self, field: str, value: int) -> None:
        device = self._device()
        if device is None:
            return
        old = self._pending.value(device, field)
        if value != old:
            spec = SPECS[field]
            self._push(
                device.lead, field, old, value, f"Lead {device.lead}: {spec.label.lower()} {old} → {value} {spec.unit}"
            )
        self._refresh()

    def _on_param_typed(self, field: str, text: str) -> None:
        row, caps = self._rows[field], self._caps()
        if caps is None:
            return
        try:
            value = parse_setting(caps, row.spec.parameter, text, row.spec.label)
        except InputError as exc:
            row.show_error(str(exc))
            return
        row.clear_typing()
        self._propose(field, value)

    def _on_param_stepped(self, field: str, move: str) -> None:
        device, caps = self._device(), self._caps()
        if device is None or caps is None:
            return
        row = self._rows[field]
        current = self._pending.value(device, field)
        row.clear_typing()
        self._propose(field, apply_increment(caps, row.spec.parameter, current, self._timing_step.currentIndex(), move))

    # -- enable -----------------------------------------------------------------------------------
    def _on_enable(self, on: bool) -> None:
        device = self._device()
        self._refresh_header(device)  # the switch shows the device's state until the device answers
        if device is not None:
            self._attempt(lambda: self._service.outputs.set_enabled(device.lead, on), device.with_(enabled=True))

    # -- amplitude ----------------------------------------------------------------------------------
    def _on_step(self, move: str, size: int) -> None:
        device, caps = self._device(), self._caps()
        if device is None or caps is None:
            return
        if move == "down":
            self._amp_target = None
            self._request_amplitude(apply_increment(caps, "amplitude", device.amplitude_ua, size, "down"))
            return
        base = max(device.amplitude_ua, self._amp_target or 0)
        target = self._next_up(device, caps, base, size)
        if target > base:
            self._request_amplitude(target)

    def _on_ramp_tick(self, size: int) -> None:
        """While "+" is held: keep the target one increment above what the device delivers."""
        device, caps = self._device(), self._caps()
        if device is None or caps is None:
            self._amplitude.stop_ramp()
            return
        target = self._next_up(device, caps, device.amplitude_ua, size)
        if target > max(device.amplitude_ua, self._amp_target or 0):
            self._request_amplitude(target)

    def _on_ramp_ended(self) -> None:
        self._service.outputs.hold_amplitude(self._lead)
        self._amp_target = None
        self._refresh()

    def _request_amplitude(self, target: int) -> bool:
        """Ask the service for `target`; returns whether it went (not refused, not waiting for a dialog)."""
        device, caps = self._device(), self._caps()
        lead = device.lead
        confirm = device.with_(amplitude_ua=safety.round_amplitude(caps, target, "down"))

        def done(_future: Future) -> None:
            if self._amp_target == target:
                self._amp_target = None

        accepted = self._attempt(lambda: self._service.outputs.set_amplitude(lead, target), confirm, done)
        if accepted and target > device.amplitude_ua:
            self._amp_target = target
        self._refresh()
        return accepted

    def _on_amplitude_typed(self, _text: str) -> None:
        self._armed_text = None
        show_message(self._amplitude.error, None)

    def _on_set_amplitude(self, text: str) -> None:
        device, caps = self._device(), self._caps()
        if device is None or caps is None:
            return
        error = self._amplitude.error
        try:
            entry = parse_amplitude(caps, text)
        except InputError as exc:
            self._armed_text = None
            show_message(error, str(exc), DANGER_TEXT)
            return
        if entry.rounded and self._armed_text != text:
            self._armed_text = text
            show_message(error, entry.announcement(), WARNING_TEXT)
            return
        self._armed_text = None
        how = "ramping up to" if entry.value_ua > device.amplitude_ua else "setting"
        show_message(error, None)
        self._amp_target = None
        if self._request_amplitude(entry.value_ua):  # not when refused or waiting for a confirmation
            show_message(error, f"Sent: {how} {entry.value_ua / 1000:.3f} mA ({entry.value_ua} µA).", OK_TEXT)

    # -- stimulus response ----------------------------------------------------------------------------
    def _on_response(self, response) -> None:
        try:
            future = self._service.recording.record_response(response)
        except (ServiceError, ValueError) as exc:
            self._response.show_outcome(str(exc))
            return
        self._bridge.run(future, self._response_recorded)

    def _response_recorded(self, future: Future) -> None:
        if isValid(self):
            self._response.show_outcome(None if future.exception() is None else str(future.exception()))
