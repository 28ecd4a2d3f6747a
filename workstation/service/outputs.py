"""The outputs: every change to what a lead delivers, behind the safety gate.

A decrease is never gated; a rise is checked by workstation.safety, may need
the clinician's confirmation, and ramps; STOP ALL overtakes everything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from drivers.errors import DeviceRefused, DriverError
from drivers.types import LeadConfig
from workstation import safety, validation
from workstation.accounts import Permission
from workstation.events import EventKind, Outcome
from workstation.increments import largest_step, step_too_large
from workstation.service.core import ServiceCore
from workstation.service.errors import (
    CancelledByStopAll,
    Confirm,
    ConfirmationRequired,
    NotConnected,
    SafetyRefused,
    ServiceError,
)
from workstation.service.notices import LinkState
from workstation.service.policy import open_to_all, requires
from workstation.service.ramps import Ramps

log = logging.getLogger(__name__)
DensityKey = tuple[int, tuple[Any, ...], int, int]


def _density_key(config: LeadConfig) -> DensityKey:
    return (config.lead, config.contacts, config.amplitude_ua, config.pulse_width_us)


@dataclass(frozen=True)
class Preview:
    config: LeadConfig
    assessment: safety.Assessment
    impedance_ohm: int | None  # last measured, of the lead's active pair
    max_safe_ua: int  # the highest amplitude these settings allow without a warning
    density_confirmed: bool


class Outputs:
    def __init__(self, core: ServiceCore) -> None:
        self._core = core
        self.ramps = Ramps(core, self._write_amplitude)
        self._confirmed_density: set[DensityKey] = set()  # for the session
        self._confirmed_rises: set[tuple[int, int]] = set()  # (lead, target µA), each used once
        self.resume_amplitudes: dict[int, int] = {}  # amplitude a lead had before it was re-enabled at 0 µA

    @open_to_all
    def forget_confirmations(self) -> None:
        """A confirmation holds for one session only."""
        self._confirmed_density.clear()
        self._confirmed_rises.clear()

    # -- the gate ---------------------------------------------------------------------------
    @open_to_all
    def preview(self, lead: int, proposed: LeadConfig) -> Preview:
        """What the gate would say about `proposed` on `lead` now, with the figures the limit
        read-outs show: one place for the UI to ask, so it never re-derives a rule. A question,
        not an action: a bad value raises InvalidValue and is not recorded."""
        caps = self._core.caps()
        config = validation.lead_config(caps, proposed).with_(lead=validation.lead_number(caps, lead))
        impedance = self._core.state.lead_impedance(config)
        confirmed = _density_key(config) in self._confirmed_density
        return Preview(
            config,
            safety.evaluate(caps, config, impedance, confirmed),
            impedance,
            safety.max_safe_amplitude(caps, config, impedance),
            confirmed,
        )

    def _assess(self, config: LeadConfig, density_confirmed: bool) -> safety.Assessment:
        core = self._core
        return safety.evaluate(core.caps(), config, core.state.lead_impedance(config), density_confirmed)

    @requires(Permission.PROGRAM)
    def confirm(self, request: ConfirmationRequired) -> None:
        """Record the clinician's explicit acceptance of what `request` refused; the same
        request then goes through (a density for this session, a large rise once)."""
        core = self._core
        core.require_session()
        request = core.valid(
            EventKind.DENSITY_CONFIRMED, lambda: validation.instance(ConfirmationRequired, request, "request")
        )
        core.valid(EventKind.DENSITY_CONFIRMED, lambda: validation.lead_config(core.caps(), request.config))
        config = request.config
        if request.kind == Confirm.CHARGE_DENSITY:
            check = self._assess(config, True).check(safety.Rule.CHARGE_DENSITY)
            self._confirmed_density.add(_density_key(config))
            core.record(
                EventKind.DENSITY_CONFIRMED,
                {
                    "lead": config.lead,
                    "config": config,
                    "density": check.figure if check else None,
                    "limit": check.limit if check else None,
                },
            )
        else:
            self._confirmed_rises.add((config.lead, config.amplitude_ua))
            core.record(
                EventKind.RISE_CONFIRMED,
                {"lead": config.lead, "amplitude_ua": config.amplitude_ua, "ramp_s": request.ramp_s},
            )

    @open_to_all
    def gate(self, action: EventKind, config: LeadConfig) -> None:
        """Refuse (and record) a setting the rules do not allow."""
        confirmed = _density_key(config) in self._confirmed_density
        assessment = self._assess(config, confirmed)
        if assessment.refusals:
            error: ServiceError = SafetyRefused(assessment)
        elif not assessment.allowed(confirmed):
            error = ConfirmationRequired(
                Confirm.CHARGE_DENSITY,
                config,
                " ".join(c.message for c in assessment.warnings if c.rule == safety.Rule.CHARGE_DENSITY),
                assessment,
            )
        else:
            return
        self._core.refused(action, {"lead": config.lead, "config": config}, error)
        raise error

    @open_to_all
    def refuse(self, action: EventKind, config: LeadConfig, rule: str, sentence: str) -> None:
        error = SafetyRefused(safety.Assessment((safety.Check(rule, safety.Level.REFUSE, 0.0, 0.0, "", sentence),)))
        self._core.refused(action, {"lead": config.lead, "config": config}, error)
        raise error

    # -- lead settings ------------------------------------------------------------------------
    def _lead_call(self, action: EventKind, payload: dict[str, Any], call: Callable[[], LeadConfig]) -> LeadConfig:
        core = self._core
        try:
            config = call()
        except DeviceRefused as exc:
            core.refused(action, payload, exc)
            raise
        except DriverError as exc:
            # The command may or may not have run (a lost reply): record what the device now holds.
            log.warning("%s on lead %s: outcome unknown: %s", action.value, payload.get("lead"), exc)
            held = core.read_back_lead(payload["lead"])
            # device_holds None: unreachable too, settled once the device is back (unknowns.py)
            core.record(action, {**payload, "error": str(exc), "device_holds": held}, Outcome.UNKNOWN)
            raise
        core.record(action, {**payload, "result": config})
        core.lead_changed(config)
        return config

    @requires(Permission.PROGRAM)
    def write_lead(self, config: LeadConfig, epoch: int | None = None) -> Future[LeadConfig]:
        """Write contacts, pulse width, frequency and patient maximum of one lead.

        As on the device, a change of contacts disables the lead and sets its
        amplitude to 0; amplitude itself only changes through set_amplitude.
        A change that delivers less is never refused or confirmed; a patient
        maximum lowered below the amplitude lowers the amplitude first. On a
        lead that is on, pulse width and frequency rise at most one large
        increment per write ("apply step by step").
        """
        core = self._core
        core.require_session()
        caps = core.caps()
        config = core.valid(EventKind.WRITE_LEAD, lambda: validation.lead_config(caps, config))
        current = core.state.leads[config.lead]
        config = config.with_(amplitude_ua=min(current.amplitude_ua, config.patient_max_ua), enabled=current.enabled)
        if config.contacts != current.contacts:
            config = config.with_(amplitude_ua=0, enabled=False)
        if config.delivers_more_than(current):
            jump = step_too_large(caps, current, config)
            if jump:
                self.refuse(EventKind.WRITE_LEAD, config, "step", jump)
            self.gate(EventKind.WRITE_LEAD, config)
        self.ramps.end(config.lead)
        payload = {"lead": config.lead, "config": config}

        def run() -> LeadConfig:
            # Judged again on the device thread: a lead switched off (STOP ALL) or lowered since the
            # call is not switched back on or raised by a write that was waiting in the queue.
            live = core.state.leads[config.lead]
            sent = config.with_(
                enabled=config.enabled and live.enabled, amplitude_ua=min(config.amplitude_ua, live.amplitude_ua)
            )
            if sent.amplitude_ua < live.amplitude_ua:
                self._write_amplitude(sent.lead, sent.amplitude_ua)  # below the new patient maximum first
            call = {**payload, "config": sent}
            return self._lead_call(EventKind.WRITE_LEAD, call, lambda: core.client.write_lead(sent))

        raises = config.delivers_more_than(current)
        return core.submit(EventKind.WRITE_LEAD, run, raises_output=raises, payload=payload, epoch=epoch)

    @requires(Permission.PROGRAM)
    def set_enabled(self, lead: int, on: bool, epoch: int | None = None) -> Future[LeadConfig]:
        """Switch a lead's output. Turning it on starts at 0 µA: the amplitude it had is kept
        in `resume_amplitudes` for the clinician to ramp back to, never restored by itself."""
        core = self._core
        core.require_session()
        caps = core.caps()
        lead = core.valid(EventKind.SET_ENABLED, lambda: validation.lead_number(caps, lead))
        on = core.valid(EventKind.SET_ENABLED, lambda: validation.switch(on, "on"))
        payload = {"lead": lead, "on": on}
        if not on:
            self.ramps.end(lead)
            return core.submit(
                EventKind.SET_ENABLED,
                self._lead_call,
                EventKind.SET_ENABLED,
                payload,
                lambda: core.client.set_stimulation(lead, False),
            )
        self.gate(EventKind.SET_ENABLED, core.state.leads[lead].with_(amplitude_ua=0, enabled=True))

        def run() -> LeadConfig:
            earlier = core.state.leads[lead]
            if earlier.amplitude_ua and not earlier.enabled:
                self._write_amplitude(lead, 0)
                self.resume_amplitudes[lead] = earlier.amplitude_ua
            return self._lead_call(EventKind.SET_ENABLED, payload, lambda: core.client.set_stimulation(lead, True))

        return core.submit(EventKind.SET_ENABLED, run, raises_output=True, payload=payload, epoch=epoch)

    @requires(Permission.PROGRAM)
    def set_amplitude(self, lead: int, target_ua: int, epoch: int | None = None) -> Future[LeadConfig | None]:
        """Move a lead's amplitude to target_ua, a value on the device's grid.

        A decrease goes at once and is never refused, confirmed or delayed. A
        rise is checked, ramped at the ramp rate, and needs a confirmation
        (Confirm.LARGE_RISE, naming the target and the ramp time) when it is
        more than one large increment above the present amplitude. Returns a
        future that completes once the target is reached (or the ramp was
        superseded or stopped).
        """
        core = self._core
        core.require_session()
        caps = core.caps()
        lead = core.valid(EventKind.SET_AMPLITUDE, lambda: validation.lead_number(caps, lead))
        target = core.valid(
            EventKind.SET_AMPLITUDE,
            lambda: validation.on_grid(caps, "amplitude", target_ua, "amplitude_ua", "Amplitude"),
        )
        with core.lock:
            current = core.state.leads[lead]
            if target <= current.amplitude_ua:
                self.ramps.end(lead)  # under the lock: no ramp step can be queued after this decrease
                return core.submit(EventKind.SET_AMPLITUDE, self._write_amplitude, lead, target)
        proposed = current.with_(amplitude_ua=target)
        self.gate(EventKind.SET_AMPLITUDE, proposed)
        rise = target - current.amplitude_ua
        if rise > largest_step(caps, "amplitude", current.amplitude_ua) and (lead, target) not in self._confirmed_rises:
            ramp_s = rise / safety.RAMP_RATE_UA_PER_S
            error = ConfirmationRequired(
                Confirm.LARGE_RISE,
                proposed,
                f"Raise lead {lead} from {current.amplitude_ua} to {target} µA ({target / 1000:.3f} mA)? "
                f"It ramps up over about {ramp_s:.0f} s.",
                ramp_s=ramp_s,
            )
            core.refused(EventKind.SET_AMPLITUDE, {"lead": lead, "config": proposed}, error)
            raise error
        future = self.ramps.start(lead, target, epoch)
        self._confirmed_rises.discard((lead, target))
        return future

    @open_to_all
    def hold_amplitude(self, lead: int) -> None:
        """Stop a ramp where it is (hold-to-ramp: the control was released)."""
        self.ramps.end(lead)

    def _write_amplitude(self, lead: int, ua: int) -> LeadConfig:
        """On the device thread: one amplitude write, recorded."""
        config = self._lead_call(
            EventKind.SET_AMPLITUDE,
            {"lead": lead, "amplitude_ua": ua},
            lambda: self._core.client.set_amplitude(lead, ua),
        )
        self.ramps.stepped(lead)
        if config.enabled and config.amplitude_ua >= self.resume_amplitudes.get(lead, 0):
            self.resume_amplitudes.pop(lead, None)  # back where it was: nothing left to offer
        return config

    # -- STOP ALL ------------------------------------------------------------------------------
    @open_to_all
    def stop_all(self) -> Future[None]:
        """Every output off, ahead of anything queued; output changes queued before it are
        dropped. Allowed without a session and tried in every link state: when it cannot reach
        the device it stays pending and is sent first once the device is back."""
        core = self._core
        log.warning("STOP ALL pressed (link %s)", core.link_state.value)
        with core.lock:
            core.stop_epoch += 1
            core.stop_pending = True
            self.ramps.end_all(CancelledByStopAll("amplitude ramp"))
        if core.link is None or core.link_state != LinkState.CONNECTED:
            core.record(
                EventKind.STOP_ALL, {"reason": f"the pulse generator is {core.link_state.value}"}, Outcome.ERROR
            )

        def run() -> None:
            try:
                core.client.stop_all()
            except (DriverError, NotConnected) as exc:
                log.error("STOP ALL did not reach the device: %s", exc)
                core.record(EventKind.STOP_ALL, {"reason": str(exc)}, Outcome.ERROR)
                raise
            core.stop_pending = False
            core.outputs_stopped({})
            core.run_on(core.io, core.refresh_leads)

        return core.submit(EventKind.STOP_ALL, run, executor=core.urgent, any_link_state=True)
