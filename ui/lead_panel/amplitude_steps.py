"""What the lead panel's amplitude controls do: "+" one increment, clipped to the first limit
it would pass; held, a ramp that keeps its target one increment ahead of the device; "−"
at once; a typed amplitude, its rounding announced before it is sent; "Ramp back" to the
amplitude a lead had before it was switched off. Also the limit read-outs of the next step.

A mixin of LeadPanel (ui/lead_panel/view.py): it uses the panel's _device, _caps, _lead,
_service, _pending, _amplitude, _limits, _attempt (ui/lead_panel/sending.py) and _refresh,
and keeps _amp_target, _armed_text and _resumed.
"""

from __future__ import annotations

from concurrent.futures import Future

from drivers.types import Capabilities, LeadConfig
from ui.lead_panel.entry import InputError, parse_amplitude
from ui.lead_panel.limits import limit_readings
from ui.lead_panel.pending import CONTACT_FIELDS, PARAM_FIELDS
from ui.theme import DANGER_TEXT, OK_TEXT, WARNING_TEXT
from ui.widgets import show_message
from workstation import safety
from workstation.increments import apply_increment, increments


class AmplitudeSteps:
    """The amplitude behaviour of the panel, from the AmplitudeArea's requests to the service."""

    _amp_target: int | None  # highest rise asked for and not reached yet
    _armed_text: str | None  # typed amplitude whose rounding was announced
    _resumed: set[int]  # leads whose earlier amplitude was reached since they were re-enabled

    # -- what the controls show ----------------------------------------------------------------
    def _refresh_amplitude(self, device: LeadConfig, proposed: LeadConfig, caps: Capabilities) -> None:
        amplitude = self._amplitude
        amplitude.show_amplitude(device.amplitude_ua)
        amplitude.show_increments(increments(caps, "amplitude", device.amplitude_ua))
        self._refresh_up(device, caps)
        amplitude.offer_resume(self._resume_amplitude(device))
        nxt = apply_increment(caps, "amplitude", proposed.amplitude_ua, amplitude.size(), "up")
        judged = self._service.outputs.preview(self._lead, proposed.with_(amplitude_ua=nxt))
        changed = self._pending.changed(device, PARAM_FIELDS + CONTACT_FIELDS)
        parts = [f"{nxt / 1000:.3f} mA", f"{proposed.pulse_width_us} µs" + (" pending" * ("pulse_width_us" in changed))]
        if "patient_max_ua" in changed:
            parts.append(f"patient maximum {proposed.patient_max_ua} µA pending")
        if "contacts" in changed:
            parts.append("new contacts pending")
        caption = f"At the next + step: {', '.join(parts)}."
        readings = limit_readings(caps, judged.config, judged.impedance_ohm, judged.density_confirmed)
        self._limits.show_readings(caption, readings)
        amplitude.show_max_safe(self._service.outputs.preview(self._lead, proposed).max_safe_ua, bool(changed))

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
        assessment = self._service.outputs.preview(lead, device.with_(amplitude_ua=up)).assessment
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
        max_safe = self._service.outputs.preview(self._lead, device).max_safe_ua
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

    # -- what the controls ask for ---------------------------------------------------------------
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
