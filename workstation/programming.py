"""The programming service: the one place that drives the device for a session.

Every action goes through here, is checked by workstation.safety, runs on
the device I/O thread (never the caller's) and is recorded as a session
event as it happens. Results come back as concurrent.futures.Future;
state changes are announced to listeners, which the UI bridges into Qt
signals. STOP ALL has its own thread so nothing queued can delay it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum

from drivers.errors import DeviceGone, DeviceRefused, DriverError
from drivers.links import Link, open_link
from drivers.telemetry import TelemetryReceiver
from drivers.types import (
    BatteryStatus,
    Capabilities,
    Identity,
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Program,
)
from workstation import safety, validation
from workstation.errors import ServiceError
from workstation.increments import largest_step, step_too_large
from workstation.models import ImpedanceThresholds, LeadPlacement, Note, PainScore, StimulusResponse
from workstation.validation import InvalidValue

KEEPALIVE_FRACTION = 1 / 3  # of the device watchdog
RAMP_TICK_S = 0.05
RECONNECT_INTERVAL_S = 0.5
BATTERY_POLL_S = 60.0


class LinkState(str, Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class NotConnected(ServiceError):
    pass


class NoActiveSession(ServiceError):
    def __init__(self) -> None:
        super().__init__("Start or resume a session first: every change to the output is recorded.")


class CancelledByStopAll(ServiceError):
    def __init__(self, action: str) -> None:
        super().__init__(f"{action} was cancelled: STOP ALL was pressed after it was requested.")


class SafetyRefused(ServiceError):
    def __init__(self, assessment: safety.Assessment) -> None:
        self.assessment = assessment
        super().__init__(" ".join(c.message for c in assessment.refusals))


class Confirm(str, Enum):
    """What a clinician must confirm before a setting is sent."""

    CHARGE_DENSITY = "charge_density"  # above the 30 µC/cm² warning cap
    LARGE_RISE = "large_rise"  # a target more than one large increment above the present amplitude


class ConfirmationRequired(ServiceError):
    """The setting is allowed only after the clinician confirms it.

    It carries what it refused (`config`, the proposed lead settings) so the
    UI can ask and hand it back with `ProgrammingService.confirm(exc)`.
    """

    def __init__(
        self,
        kind: Confirm,
        config: LeadConfig,
        message: str,
        assessment: safety.Assessment | None = None,
        ramp_s: float | None = None,
    ) -> None:
        self.kind, self.config, self.assessment, self.ramp_s = kind, config, assessment, ramp_s
        super().__init__(message)


@dataclass
class DeviceState:
    """The service's mirror of the device, refreshed from its replies."""

    identity: Identity | None = None
    capabilities: Capabilities | None = None
    battery: BatteryStatus | None = None
    leads: dict[int, LeadConfig] = field(default_factory=dict)
    stored_program: Program | None = None
    impedance: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (lead, a, b) -> ohms

    def lead_impedance(self, config: LeadConfig) -> int | None:
        """Last measured impedance of the lead's active pair, if any."""
        if not config.anodes or not config.cathodes:
            return None
        a, b = config.anodes[0], config.cathodes[0]
        return self.impedance.get((config.lead, min(a, b), max(a, b)))


@dataclass(frozen=True)
class WriteResult:
    program: Program
    read_back: Program | None
    verified: bool
    mismatch: str | None


Listener = Callable[[str, object], None]


def describe_mismatch(sent: Program, got: Program) -> str | None:
    """The exact differences between a program and its read-back, or None."""
    if sent == got:
        return None
    diffs = [f"name {sent.name!r} != {got.name!r}"] if sent.name != got.name else []
    theirs = {c.lead: c for c in got.leads}
    for mine in sent.leads:
        other = theirs.get(mine.lead)
        if other is None:
            diffs.append(f"lead {mine.lead} missing")
            continue
        for name in ("contacts", "amplitude_ua", "pulse_width_us", "frequency_hz", "enabled", "patient_max_ua"):
            if getattr(mine, name) != getattr(other, name):
                diffs.append(
                    f"lead {mine.lead} {name}: sent {getattr(mine, name)}, device holds {getattr(other, name)}"
                )
    return "; ".join(diffs) or "programs differ"


class ProgrammingService:
    """Drives one pulse generator and records every action in the records store."""

    def __init__(self, store, opener: Callable[[str], Link] = open_link) -> None:
        self.store = store
        self._open = opener
        self.link: Link | None = None
        self.uri: str | None = None
        self.state = DeviceState()
        self.link_state = LinkState.DISCONNECTED
        self.session_id: int | None = None
        self.telemetry: TelemetryReceiver | None = None
        self._listeners: list[Listener] = []
        self._io = ThreadPoolExecutor(1, thread_name_prefix="device-io")
        self._urgent = ThreadPoolExecutor(1, thread_name_prefix="device-stop")
        self._lock = threading.RLock()
        self._last_io = 0.0
        self._stop = threading.Event()
        self._ramp_targets: dict[int, int] = {}
        self._ramp_changed: dict[int, float] = {}
        self._ramp_waiters: dict[int, list[tuple[int, Future]]] = {}
        self._telemetry_request: tuple[int, tuple[int, ...]] | None = None
        self._confirmed_density: set[tuple] = set()
        self._confirmed_rises: set[tuple[int, int]] = set()  # (lead, target µA), each used once
        self.resume_amplitudes: dict[int, int] = {}  # amplitude a lead had before it was re-enabled at 0 µA
        self._stop_epoch = 0  # bumped by STOP ALL: output changes queued before it are dropped
        self._reconnecting = False
        self._keepalive: Future | None = None
        self._threads = [
            threading.Thread(target=self._run_keepalive, name="keepalive", daemon=True),
            threading.Thread(target=self._run_ramps, name="amplitude-ramp", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- listeners ---------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, kind: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(kind, payload)

    def _set_link_state(self, state: LinkState, detail: str = "") -> None:
        self.link_state = state
        self._record("link_state", {"state": state.value, "detail": detail})
        self._emit("link", (state, detail))

    # -- recording ---------------------------------------------------------------------
    def _record(self, kind: str, payload: dict, outcome: str = "ok") -> None:
        """Commit one session event (when a session is active) before going on."""
        if self.session_id is not None:
            self._recorded(self.store.log_event(self.session_id, kind, payload, outcome))

    def _recorded(self, event_id: int) -> None:
        self._emit("event", event_id)

    def _require_session(self) -> int:
        if self.session_id is None:
            raise NoActiveSession()
        return self.session_id

    # -- running device I/O off the caller's thread -------------------------------------
    def _submit(
        self, action: str, fn: Callable, *args, executor: ThreadPoolExecutor | None = None, raises_output: bool = False
    ) -> Future:
        """Queue fn on the device I/O thread. An action that can raise output is
        dropped (and recorded) if STOP ALL was pressed after it was queued."""
        epoch = self._stop_epoch

        def run():
            if self.link is None or self.link_state not in (LinkState.CONNECTED, LinkState.CONNECTING):
                raise NotConnected(f"{action}: the pulse generator is {self.link_state.value}.")
            if raises_output and epoch != self._stop_epoch:
                self._record(action, {"args": list(args[:2]) if args and not callable(args[0]) else []}, "cancelled")
                raise CancelledByStopAll(action)
            self._last_io = time.monotonic()
            try:
                return fn(*args)
            except DeviceGone as exc:
                self._lost(exc)
                raise
            finally:
                if raises_output and epoch != self._stop_epoch:
                    self._stop_again(action)

        return (executor or self._io).submit(run)

    def _stop_again(self, action: str) -> None:
        """STOP ALL came while an output-raising command was on the wire: stop once more,
        so the command cannot have turned output on after the stop."""
        try:
            self.link.client.stop_all()
        except (DriverError, AttributeError) as exc:
            self._record("stop_all", {"reason": f"repeat after {action}: {exc}"}, "error")
            return
        self._outputs_stopped({"repeat_after": action})

    def _refused(self, action: str, payload: dict, exc: Exception) -> None:
        """Record a request turned down; a confirmation request is recorded as "asked" and not
        announced as a refusal: the question itself is shown to the clinician."""
        if isinstance(exc, ConfirmationRequired):
            self._record(action, {**payload, "reason": str(exc)}, "asked")
            return
        self._record(action, {**payload, "reason": str(exc)}, "refused")
        self._emit("refused", (action, str(exc)))

    def _valid(self, action: str, check: Callable[[], object]):
        """Run a validation; a bad value is recorded as refused (nothing sent) and raised."""
        try:
            return check()
        except InvalidValue as exc:
            self._refused(action, {"field": exc.field, "value": exc.shown_value}, exc)
            raise

    # -- connection ----------------------------------------------------------------------
    def connect(self, uri: str = "sim://0") -> Future:
        """Open the link and interrogate the device: identity, capabilities, battery, leads, program."""

        def run():
            self._set_link_state(LinkState.CONNECTING, uri)
            try:
                link = self._open(uri)
            except DriverError as exc:
                self._set_link_state(LinkState.DISCONNECTED, str(exc))
                raise
            with self._lock:
                self.link, self.uri = link, uri
            try:
                self._interrogate()
            except DriverError as exc:
                self._close_link()
                self._set_link_state(LinkState.DISCONNECTED, str(exc))
                raise
            self._set_link_state(LinkState.CONNECTED, uri)
            return self.state

        return self._io.submit(run)

    def _interrogate(self, link: Link | None = None) -> None:
        client = (link or self.link).client
        state = self.state
        state.identity = client.identify()
        state.capabilities = client.capabilities()
        state.battery = client.battery()
        state.leads = {n: client.read_lead(n) for n in range(1, state.capabilities.lead_count + 1)}
        state.stored_program = client.read_program()
        self._last_io = time.monotonic()
        self._record_device_state()
        self._emit("device", state)

    def _record_device_state(self) -> None:
        state = self.state
        self._record(
            "device_state",
            {
                "battery": state.battery,
                "leads": list(state.leads.values()),
                "program": state.stored_program,
                "uri": self.uri,
            },
        )

    def disconnect(self) -> Future:
        def run():
            self.stop_telemetry_now()
            self._close_link()
            self._set_link_state(LinkState.DISCONNECTED, "closed by the user")

        return self._io.submit(run)

    def _close_link(self) -> None:
        with self._lock:
            link, self.link = self.link, None
            receiver, self.telemetry = self.telemetry, None
        if receiver is not None:
            receiver.stop()
        if link is not None:
            link.close()

    def _lost(self, exc: DriverError) -> None:
        """The device went away: say so, mark output unknown, and keep retrying."""
        with self._lock:
            if self._reconnecting or self.link is None:
                return
            self._reconnecting = True
            self.link_state = LinkState.RECONNECTING
            for lead in list(self._ramp_targets) + list(self._ramp_waiters):
                self._end_ramp(lead, exc)
        self._record("link_lost", {"reason": str(exc)}, "error")
        self._emit("link", (LinkState.RECONNECTING, str(exc)))
        threading.Thread(target=self._reconnect, name="reconnect", daemon=True).start()

    def _reconnect(self) -> None:
        link = self.link
        try:
            while not self._stop.is_set():
                time.sleep(RECONNECT_INTERVAL_S)
                with self._lock:
                    if self.link is not link or link is None:
                        return  # the user disconnected meanwhile
                try:
                    link.reopen()
                    self._interrogate(link)
                except (DriverError, AttributeError):  # not back yet, or closed under us: try again
                    continue
                with self._lock:
                    if self.link is not link:
                        return
                    self._reconnecting = False
                break
            else:
                return
        finally:
            with self._lock:
                self._reconnecting = False
        self._set_link_state(LinkState.CONNECTED, "device back; state re-read from the device")
        if self.telemetry is not None and self._telemetry_request is not None:
            self._io.submit(self._start_telemetry, *self._telemetry_request)

    # -- sessions --------------------------------------------------------------------------
    def start_session(self, patient_id: int, clinician: str) -> int:
        identity, caps = self.state.identity, self.state.capabilities
        if identity is None or caps is None:
            raise NotConnected("Connect to the patient's pulse generator before starting a session.")
        session = self.store.open_session(patient_id, identity, caps, clinician)
        self._confirmed_density.clear()  # a confirmation holds for one session only
        self.session_id = session.id
        self._record_device_state()
        self._emit("session", session)
        return session.id

    def resume_session(self, session_id: int) -> int:
        session = self.store.resume_session(session_id)
        self._confirmed_density.clear()
        self.session_id = session.id
        self._emit("session", session)
        return session.id

    def end_session(self) -> None:
        session_id = self._require_session()
        self._record("session_ended", {})
        self.store.close_session(session_id)
        self._confirmed_density.clear()
        self.session_id = None
        self._emit("session", None)

    # -- clinical records (quick local writes, committed before returning) ---------------------
    def place_lead(self, placement: LeadPlacement) -> int:
        event_id = self.store.record_placement(self._require_session(), placement)
        self._recorded(event_id)
        self._emit("placement", placement)
        return event_id

    def record_response(self, response: StimulusResponse) -> int:
        event_id = self.store.record_response(self._require_session(), response)
        self._recorded(event_id)
        return event_id

    def record_pain_score(self, score: PainScore) -> int:
        event_id = self.store.record_pain_score(self._require_session(), score)
        self._recorded(event_id)
        return event_id

    def add_note(self, note: Note) -> int:
        event_id = self.store.add_note(self._require_session(), note)
        self._recorded(event_id)
        return event_id

    # -- safety ------------------------------------------------------------------------------
    def assess(self, config: LeadConfig, density_confirmed: bool | None = None) -> safety.Assessment:
        """The safety rules applied to a proposed lead setting (for previews and checks)."""
        caps = self._caps()
        if density_confirmed is None:
            density_confirmed = self._density_key(config) in self._confirmed_density
        return safety.evaluate(caps, config, self.state.lead_impedance(config), density_confirmed)

    @staticmethod
    def _density_key(config: LeadConfig) -> tuple:
        return (config.lead, config.contacts, config.amplitude_ua, config.pulse_width_us)

    def confirm(self, request: ConfirmationRequired) -> None:
        """Record the clinician's explicit acceptance of what `request` refused; the same
        request then goes through (a density for this session, a large rise once)."""
        self._require_session()
        config = request.config
        if request.kind == Confirm.CHARGE_DENSITY:
            assessment = safety.evaluate(self._caps(), config, self.state.lead_impedance(config), True)
            check = assessment.check(safety.Rule.CHARGE_DENSITY)
            self._confirmed_density.add(self._density_key(config))
            self._record(
                "density_confirmed",
                {
                    "lead": config.lead,
                    "config": config,
                    "density": check.figure if check else None,
                    "limit": check.limit if check else None,
                },
            )
        else:
            self._confirmed_rises.add((config.lead, config.amplitude_ua))
            self._record(
                "rise_confirmed", {"lead": config.lead, "amplitude_ua": config.amplitude_ua, "ramp_s": request.ramp_s}
            )

    def _gate(self, action: str, config: LeadConfig) -> None:
        """Refuse (and record) a setting the rules do not allow."""
        assessment = self.assess(config)
        if assessment.refusals:
            error: ServiceError = SafetyRefused(assessment)
        elif not assessment.allowed(self._density_key(config) in self._confirmed_density):
            error = ConfirmationRequired(
                Confirm.CHARGE_DENSITY,
                config,
                " ".join(c.message for c in assessment.warnings if c.rule == safety.Rule.CHARGE_DENSITY),
                assessment,
            )
        else:
            return
        self._refused(action, {"lead": config.lead, "config": config}, error)
        raise error

    def _refuse(self, action: str, config: LeadConfig, rule: str, sentence: str) -> None:
        error = SafetyRefused(safety.Assessment((safety.Check(rule, safety.Level.REFUSE, 0.0, 0.0, "", sentence),)))
        self._refused(action, {"lead": config.lead, "config": config}, error)
        raise error

    def _caps(self) -> Capabilities:
        if self.state.capabilities is None:
            raise NotConnected("Connect to a pulse generator first.")
        return self.state.capabilities

    # -- lead settings ------------------------------------------------------------------------
    def _lead_call(self, action: str, payload: dict, call: Callable[[], LeadConfig]) -> LeadConfig:
        try:
            config = call()
        except DeviceRefused as exc:
            self._refused(action, payload, exc)
            raise
        except DriverError as exc:
            # The command may or may not have run (a lost reply): record what the device now holds.
            lead = payload["lead"]
            held = self._read_back_lead(lead)
            self._record(action, {**payload, "error": str(exc), "device_holds": held}, "unknown")
            raise
        self.state.leads[config.lead] = config
        self._record(action, {**payload, "result": config})
        self._emit("lead", config)
        return config

    def _read_back_lead(self, lead: int) -> LeadConfig | None:
        try:
            config = self.link.client.read_lead(lead)
        except (DriverError, AttributeError):
            return None  # the device is gone too: the reconnect re-reads everything
        self.state.leads[lead] = config
        self._emit("lead", config)
        return config

    def write_lead(self, config: LeadConfig) -> Future:
        """Write contacts, pulse width, frequency and patient maximum of one lead.

        As on the device, a change of contacts disables the lead and sets its
        amplitude to 0; amplitude itself only changes through set_amplitude.
        A change that delivers less is never refused or confirmed; a patient
        maximum lowered below the amplitude lowers the amplitude first. On a
        lead that is on, pulse width and frequency rise at most one large
        increment per write ("apply step by step").
        """
        self._require_session()
        caps = self._caps()
        config = self._valid("write_lead", lambda: validation.lead_config(caps, config))
        current = self.state.leads[config.lead]
        config = config.with_(amplitude_ua=min(current.amplitude_ua, config.patient_max_ua), enabled=current.enabled)
        if config.contacts != current.contacts:
            config = config.with_(amplitude_ua=0, enabled=False)
        if config.delivers_more_than(current):
            jump = step_too_large(caps, current, config)
            if jump:
                self._refuse("write_lead", config, "step", jump)
            self._gate("write_lead", config)
        self._end_ramp(config.lead)
        payload = {"lead": config.lead, "config": config}

        def run() -> LeadConfig:
            if config.amplitude_ua < self.state.leads[config.lead].amplitude_ua:
                self._write_amplitude(config.lead, config.amplitude_ua)  # below the new patient maximum first
            return self._lead_call("write_lead", payload, lambda: self.link.client.write_lead(config))

        return self._submit("write_lead", run, raises_output=config.delivers_more_than(current))

    def set_enabled(self, lead: int, on: bool) -> Future:
        """Switch a lead's output. Turning it on starts at 0 µA: the amplitude it had is kept
        in `resume_amplitudes` for the clinician to ramp back to, never restored by itself."""
        self._require_session()
        caps = self._caps()
        lead = self._valid("set_enabled", lambda: validation.lead_number(caps, lead))
        on = self._valid("set_enabled", lambda: validation.switch(on, "on"))
        current = self.state.leads[lead]
        if not on:
            self._end_ramp(lead)
            return self._submit(
                "set_enabled",
                self._lead_call,
                "set_enabled",
                {"lead": lead, "on": False},
                lambda: self.link.client.set_stimulation(lead, False),
            )
        self._gate("set_enabled", current.with_(amplitude_ua=0, enabled=True))

        def run() -> LeadConfig:
            earlier = self.state.leads[lead].amplitude_ua
            if earlier and not self.state.leads[lead].enabled:
                self._write_amplitude(lead, 0)
                self.resume_amplitudes[lead] = earlier
            return self._lead_call(
                "set_enabled", {"lead": lead, "on": True}, lambda: self.link.client.set_stimulation(lead, True)
            )

        return self._submit("set_enabled", run, raises_output=True)

    def set_amplitude(self, lead: int, target_ua: int) -> Future:
        """Move a lead's amplitude to target_ua, a value on the device's grid.

        A decrease goes at once and is never refused, confirmed or delayed. A
        rise is checked, ramped at the ramp rate, and needs a confirmation
        (Confirm.LARGE_RISE, naming the target and the ramp time) when it is
        more than one large increment above the present amplitude. Returns a
        future that completes once the target is reached (or the ramp was
        superseded or stopped).
        """
        self._require_session()
        caps = self._caps()
        lead = self._valid("set_amplitude", lambda: validation.lead_number(caps, lead))
        target = self._valid(
            "set_amplitude", lambda: validation.on_grid(caps, "amplitude", target_ua, "amplitude_ua", "Amplitude")
        )
        with self._lock:
            current = self.state.leads[lead]
            if target <= current.amplitude_ua:
                self._end_ramp(lead)  # under the lock: no ramp step can be queued after this decrease
                return self._submit("set_amplitude", self._write_amplitude, lead, target)
        proposed = current.with_(amplitude_ua=target)
        self._gate("set_amplitude", proposed)
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
            self._refused("set_amplitude", {"lead": lead, "config": proposed}, error)
            raise error
        self._confirmed_rises.discard((lead, target))
        with self._lock:
            done: Future = Future()
            if lead not in self._ramp_targets:
                self._ramp_changed[lead] = time.monotonic()  # a new ramp starts slow
            self._ramp_targets[lead] = target
            self._ramp_waiters.setdefault(lead, []).append((target, done))
        return done

    def hold_amplitude(self, lead: int) -> None:
        """Stop a ramp where it is (hold-to-ramp: the control was released)."""
        self._end_ramp(lead)

    def _write_amplitude(self, lead: int, ua: int) -> LeadConfig:
        config = self._lead_call(
            "set_amplitude", {"lead": lead, "amplitude_ua": ua}, lambda: self.link.client.set_amplitude(lead, ua)
        )
        self._ramp_changed[lead] = time.monotonic()
        if config.enabled and config.amplitude_ua >= self.resume_amplitudes.get(lead, 0):
            self.resume_amplitudes.pop(lead, None)  # back where it was: nothing left to offer
        return config

    def _end_ramp(self, lead: int, error: Exception | None = None) -> None:
        """Drop a lead's ramp target and complete everyone waiting on it."""
        with self._lock:
            self._ramp_targets.pop(lead, None)
            for _target, fut in self._ramp_waiters.pop(lead, []):
                if not fut.done():
                    fut.set_exception(error) if error else fut.set_result(self.state.leads.get(lead))

    def _run_ramps(self) -> None:
        while not self._stop.wait(RAMP_TICK_S):
            for lead, target in list(self._ramp_targets.items()):
                with self._lock:  # a decrease, release or STOP ALL cannot slip between check and queue
                    if self._ramp_targets.get(lead) != target:
                        continue
                    current = self.state.leads[lead].amplitude_ua
                    elapsed = time.monotonic() - self._ramp_changed.get(lead, 0.0)
                    step = safety.next_ramp_step(self._caps(), current, target, elapsed)
                    pending = (
                        self._submit("set_amplitude", self._write_amplitude, lead, step, raises_output=True)
                        if step != current
                        else None
                    )
                try:
                    if pending is not None:
                        pending.result()
                except Exception as exc:  # noqa: BLE001 - refused, unplugged, stopped: the ramp ends with that error
                    self._end_ramp(lead, exc)
                    continue
                with self._lock:
                    if self._ramp_targets.get(lead) == target and self.state.leads[lead].amplitude_ua >= target:
                        self._end_ramp(lead)

    def stop_all(self) -> Future:
        """Every output off, ahead of anything queued; output changes queued
        before it are dropped. Allowed without a session."""
        with self._lock:
            self._stop_epoch += 1
            for lead in list(self._ramp_targets) + list(self._ramp_waiters):
                self._end_ramp(lead, CancelledByStopAll("amplitude ramp"))
        if self.link is None or self.link_state != LinkState.CONNECTED:
            self._record("stop_all", {"reason": f"the pulse generator is {self.link_state.value}"}, "error")

        def run():
            try:
                self.link.client.stop_all()
            except DriverError as exc:
                self._record("stop_all", {"reason": str(exc)}, "error")
                raise
            self._outputs_stopped({})
            self._io.submit(self._refresh_leads)

        return self._submit("stop_all", run, executor=self._urgent)

    def _outputs_stopped(self, payload: dict) -> None:
        """The device confirmed STOP ALL: record it, mirror it, announce it."""
        self._record("stop_all", payload)
        for lead, config in self.state.leads.items():
            self.state.leads[lead] = config.with_(enabled=False)
        self._emit("stopped", None)

    @property
    def stop_epoch(self) -> int:
        """Changes at every STOP ALL: a multi-step action started before it must not go on."""
        return self._stop_epoch

    def _refresh_leads(self) -> None:
        link = self.link
        if link is None:
            return
        for lead in list(self.state.leads):
            self.state.leads[lead] = config = link.client.read_lead(lead)
            self._emit("lead", config)

    # -- impedance -------------------------------------------------------------------------------
    impedance_thresholds: ImpedanceThresholds | None = None  # a clinic's override of the device's

    def thresholds(self, caps: Capabilities | None = None) -> ImpedanceThresholds:
        return self.impedance_thresholds or ImpedanceThresholds.of_device(caps or self._caps())

    def measure_impedance(
        self,
        mode: ImpedanceMode = ImpedanceMode.LEAD_PAIR,
        leads: tuple[int, ...] | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Future:
        """Measure lead by lead (so progress shows and cancel acts between leads); record every value."""
        caps = self._caps()
        leads = self._valid("measure_impedance", lambda: validation.leads(caps, leads or None))
        mode = self._valid("measure_impedance", lambda: validation.member(ImpedanceMode, mode, "mode"))

        def run():
            measurements: list[ImpedanceMeasurement] = []
            try:
                for done, lead in enumerate(leads):
                    if cancel is not None and cancel.is_set():
                        self._record("impedance_cancelled", {"mode": mode.name, "done": done, "of": len(leads)})
                        break
                    if progress:
                        progress(done, len(leads))
                    part = self.link.client.measure_impedance(mode, lead)
                    measurements.extend(part.measurements)
                    for m in part.measurements:
                        pair = (m.lead, min(m.contact_a, m.contact_b), max(m.contact_a, m.contact_b))
                        self.state.impedance[pair] = m.ohms
            except DriverError as exc:
                self._record_impedance(mode, measurements, caps)  # what was measured is kept
                self._record(
                    "impedance_failed", {"mode": mode.name, "measured": len(measurements), "reason": str(exc)}, "error"
                )
                raise
            if progress:
                progress(len(leads), len(leads))
            result = self._record_impedance(mode, measurements, caps)
            self._emit("impedance", result)
            self._io.submit(self._refresh_leads)  # a short switches the lead off on the device
            return result

        return self._submit("measure_impedance", run)

    def _record_impedance(
        self, mode: ImpedanceMode, measurements: list[ImpedanceMeasurement], caps: Capabilities
    ) -> ImpedanceResult:
        result = ImpedanceResult(mode, tuple(measurements))
        if self.session_id is not None and measurements:
            self._recorded(self.store.record_impedance(self.session_id, result, self.thresholds(caps)))
        return result

    # -- programs ----------------------------------------------------------------------------------
    def current_program(self, name: str) -> Program:
        return Program(name, tuple(self.state.leads[n] for n in sorted(self.state.leads)))

    def write_program(self, program: Program) -> Future:
        """Stage, commit, read back and compare; the session records the result or the exact mismatch.

        The device makes a committed program live at once, so a program that
        would raise any lead's output above what it delivers now is refused:
        apply it to the leads first (amplitudes ramp), then write it.
        """
        session_id = self._require_session()
        caps = self._caps()
        program = self._valid("write_program", lambda: validation.program(caps, program))
        for config in program.leads:
            self._refuse_jump(config)
            self._gate("write_program", config)

        def run():
            try:
                committed = self.link.client.write_program(program)
                read_back = self.link.client.read_program()
            except DeviceRefused as exc:
                self._recorded(
                    self.store.save_program(
                        session_id, program, written=False, verified=False, mismatch=f"not written: {exc}"
                    )
                )
                raise
            except DriverError as exc:
                self._record_unknown_write(session_id, program, exc)
                raise
            mismatch = describe_mismatch(program, read_back) or describe_mismatch(program, committed)
            self.state.stored_program = read_back
            self._recorded(
                self.store.save_program(session_id, program, written=True, verified=mismatch is None, mismatch=mismatch)
            )
            self._refresh_leads()
            result = WriteResult(program, read_back, mismatch is None, mismatch)
            self._emit("program", result)
            return result

        return self._submit("write_program", run, raises_output=True)

    def _refuse_jump(self, config: LeadConfig) -> None:
        """The device makes a committed program live at once: it may deliver no more than now."""
        live = self.state.leads[config.lead]
        if config.delivers_more_than(live):
            now = (
                f"{live.amplitude_ua} µA, {live.pulse_width_us} µs, {live.frequency_hz} Hz"
                if live.delivering
                else "off"
            )
            self._refuse(
                "write_program",
                config,
                "program_jump",
                f"Writing this program would raise lead {config.lead} at once (now {now}; the program has "
                f"{config.amplitude_ua} µA, {config.pulse_width_us} µs, {config.frequency_hz} Hz). "
                "Apply it to the leads first (rises ramp), then write it.",
            )

    def _record_unknown_write(self, session_id: int, program: Program, exc: DriverError) -> None:
        """The link failed mid-write: the device holds the old or the new program; find out which."""
        try:
            held = self.link.client.read_program()
            self.state.stored_program = held
            self._refresh_leads()
        except (DriverError, AttributeError):
            held = None
        if held == program:
            self._recorded(self.store.save_program(session_id, program, written=True, verified=True))
        else:
            reason = "device unreachable" if held is None else "the device kept its previous program"
            self._recorded(
                self.store.save_program(
                    session_id, program, written=False, verified=False, mismatch=f"not written ({reason}): {exc}"
                )
            )

    # -- telemetry ----------------------------------------------------------------------------------
    def start_telemetry(self, rate_hz: int, leads: tuple[int, ...] | None = None) -> Future:
        caps = self._caps()
        leads = self._valid("start_telemetry", lambda: validation.leads(caps, leads or None))
        rate_hz = self._valid("start_telemetry", lambda: validation.telemetry_rate(caps, rate_hz))
        return self._submit("start_telemetry", self._start_telemetry, rate_hz, leads)

    def _start_telemetry(self, rate_hz: int, leads: tuple[int, ...]):
        if self.telemetry is None or self.telemetry.transport is not self.link.transport:
            self.telemetry = TelemetryReceiver(self.link.transport, self._caps(), on_error=self._telemetry_error)
        actual = self.link.client.start_telemetry(rate_hz, leads)
        self._telemetry_request = (actual.rate_hz, actual.leads)
        if not self.telemetry.running:
            self.telemetry.start()
        return actual

    def _telemetry_error(self, exc: DriverError) -> None:
        if isinstance(exc, DeviceGone):
            self._lost(exc)

    def stop_telemetry_now(self) -> None:
        self._telemetry_request = None
        if self.telemetry is not None:
            self.telemetry.stop()
        if self.link is not None and self.link_state == LinkState.CONNECTED:
            try:
                self.link.client.stop_telemetry()
            except DriverError:
                pass  # the stream ends with the link anyway

    # -- keep-alive and shutdown ---------------------------------------------------------------------------
    def _run_keepalive(self) -> None:
        """Keep the device's watchdog fed while idle; this thread must never die."""
        last_battery = time.monotonic()
        while not self._stop.wait(0.2):
            try:
                last_battery = self._keepalive_tick(last_battery)
            except Exception as exc:  # noqa: BLE001 - a failed tick is retried; the thread goes on
                self._emit("error", f"keep-alive: {exc}")

    def _keepalive_tick(self, last_battery: float) -> float:
        caps, link, now = self.state.capabilities, self.link, time.monotonic()
        if caps is None or link is None or self.link_state != LinkState.CONNECTED:
            return last_battery
        idle = now - self._last_io > caps.watchdog_ms / 1000 * KEEPALIVE_FRACTION
        if idle and (self._keepalive is None or self._keepalive.done()):
            self._keepalive = self._submit("keepalive", link.client.keepalive)
        if now - last_battery > BATTERY_POLL_S:
            self._submit("battery", self._poll_battery)
            return now
        return last_battery

    def _poll_battery(self) -> None:
        self.state.battery = self.link.client.battery()
        self._emit("battery", self.state.battery)

    def shutdown(self) -> None:
        self._stop.set()
        try:
            self.disconnect().result(timeout=5)
        except Exception:  # noqa: BLE001 - shutting down: nothing left to tell
            pass
        self._io.shutdown(wait=True, cancel_futures=True)
        self._urgent.shutdown(wait=True)
