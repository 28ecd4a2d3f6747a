"""The pulse scope's acquisition: triggered captures of one lead, taken on a worker thread
(`pulse-capture`), averaged and analysed there; a display reads the newest frame on its own
timer (ScopeFoundry: acquire on a thread, display on a timer) and never waits on USB.

Each capture is an ordinary device command on `device-io` (one at a time, so other commands
wait at most one capture: the lead's period and the window). STOP ALL does not wait for it:
it goes on `device-stop` as the vendor control request, which the device serves while a
capture waits for its pulse. Captures are paced to at most MAX_RATE_HZ, leaving the command
channel free between them; the telemetry stream is a separate endpoint and goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from drivers.errors import DeviceRefused
from drivers.protocol.status import Status
from drivers.types import CaptureCapabilities, CaptureRequest, PulseCapture
from workstation import pulse
from workstation.accounts import Permission
from workstation.events import EventKind
from workstation.pulse import PulseAnalysis
from workstation.service.core import ServiceCore, mark_service_thread
from workstation.service.errors import ServiceError
from workstation.service.policy import open_to_all, requires

log = logging.getLogger(__name__)
MAX_RATE_HZ = 25  # captures a second: above the 20 Hz the scope must refresh at, and the command channel stays free


@dataclass(frozen=True)
class ScopeSettings:
    """What to capture: the lead, the rate and window, and how many captures to average."""

    lead: int
    rate_hz: int
    samples: int
    pre_samples: int
    average: int = 8  # 1: the newest capture alone; persistence shows the same number of traces

    @classmethod
    def for_(cls, lead: int, limits: CaptureCapabilities, pulse_width_max_us: int, average: int = 8) -> ScopeSettings:
        """The finest rate whose window holds a short pre-trigger, the longest pulse, the
        interphase and a good part of the recharge (about 4 widest pulses), from the limits."""
        span_us = 4 * pulse_width_max_us + limits.interphase_us + 100
        rate = min(limits.rate_max_hz, max(limits.rate_min_hz, int(limits.max_samples * 1e6 / span_us)))
        samples = min(limits.max_samples, int(span_us * rate / 1e6))
        return cls(lead, rate, samples, max(1, int(50e-6 * rate)), average)

    @property
    def request(self) -> CaptureRequest:
        return CaptureRequest(self.lead, self.rate_hz, self.samples, self.pre_samples)


@dataclass(frozen=True, eq=False)
class ScopeFrame:
    """What the scope shows now: the newest capture, the recent traces (persistence), their
    mean (average) and its analysis. `seq` counts captures, so a display draws only new frames."""

    seq: int
    capture: PulseCapture
    times_us: np.ndarray
    traces: tuple[np.ndarray, ...]  # current µA of the recent captures, oldest first
    current_ua: np.ndarray  # their mean
    voltage_mv: np.ndarray
    analysis: PulseAnalysis


class PulseScope:
    def __init__(self, core: ServiceCore, min_interval_s: float = 1 / MAX_RATE_HZ) -> None:
        self._core = core
        self.min_interval_s = min_interval_s
        self._limits: CaptureCapabilities | None = None
        self._limits_of: object = None  # the link the limits were read from
        self._lock = threading.Lock()
        self._frame: ScopeFrame | None = None
        self._problem = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.captures = 0

    # -- what a display reads (no I/O) -------------------------------------------------------------
    @property
    def frame(self) -> ScopeFrame | None:
        with self._lock:
            return self._frame

    @property
    def problem(self) -> str:
        """Why the newest capture failed ('' when it did not)."""
        with self._lock:
            return self._problem

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # -- control ------------------------------------------------------------------------------------
    @requires(Permission.INTERROGATE)
    def limits(self) -> Future[CaptureCapabilities | None]:
        """The device's capture limits (read once per link); None when the device has no capture."""
        return self._core.submit(EventKind.START_TELEMETRY, self._read_limits)

    @requires(Permission.INTERROGATE)
    def start(self, settings: ScopeSettings) -> None:
        """Capture `settings.lead` again and again until stop(); a running scope is restarted."""
        self.stop()
        with self._lock:
            self._frame, self._problem = None, ""
        self._stop = stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(settings, stop), name="pulse-capture", daemon=True)
        self._thread.start()
        log.info("pulse scope on lead %d: %d samples at %d Hz", settings.lead, settings.samples, settings.rate_hz)

    @open_to_all  # stopping a capture changes nothing on the device (and shutdown must stop it)
    def stop(self) -> None:
        """Stop acquiring; returns at once (a capture on the wire finishes on device-io)."""
        self._stop.set()
        self._thread = None

    # -- the worker ---------------------------------------------------------------------------------
    def _read_limits(self) -> CaptureCapabilities | None:
        link = self._core.link
        if self._limits_of is not link:
            try:
                self._limits = self._core.client.capture_capabilities()
            except DeviceRefused as exc:
                if exc.status != Status.UNKNOWN_MESSAGE:
                    raise
                self._limits = None  # an older device: the feature is absent
            self._limits_of = link
        return self._limits

    def _run(self, settings: ScopeSettings, stop: threading.Event) -> None:
        mark_service_thread()
        recent: deque[PulseCapture] = deque(maxlen=max(1, settings.average))
        while not stop.is_set():
            started = time.monotonic()
            try:
                limits = self._read_limits_on_io()
                if limits is None:
                    self._fail("This pulse generator has no pulse capture.")
                    return
                capture = self._core.submit(EventKind.START_TELEMETRY, self._capture, settings, limits).result()
            except ServiceError as exc:  # shown on the scope; acquisition goes on when the device is back
                self._fail(str(exc))
                stop.wait(0.5)
                continue
            if stop.is_set():
                return
            if recent and (recent[-1].config != capture.config or recent[-1].triggered != capture.triggered):
                recent.clear()  # another pulse: the average starts again
            recent.append(capture)
            try:
                self._publish(recent, limits)
            except ServiceError as exc:  # the link went between the capture and its analysis
                self._fail(str(exc))
            stop.wait(max(0.0, self.min_interval_s - (time.monotonic() - started)))

    def _capture(self, settings: ScopeSettings, limits: CaptureCapabilities) -> PulseCapture:
        """On device-io: one capture (the client is the link's at that moment)."""
        return self._core.client.capture_pulse(settings.request, limits.trigger_timeout_ms)

    def _read_limits_on_io(self) -> CaptureCapabilities | None:
        if self._limits_of is self._core.link:
            return self._limits
        return self.limits().result()

    def _publish(self, recent: deque[PulseCapture], limits: CaptureCapabilities) -> None:
        newest = recent[-1]
        current, voltage = pulse.average(list(recent))
        analysis = pulse.analyse(newest, self._core.caps(), limits, current, voltage)
        self.captures += 1
        frame = ScopeFrame(
            self.captures,
            newest,
            newest.times_us(),
            tuple(c.current_ua for c in recent),
            current,
            voltage,
            analysis,
        )
        with self._lock:
            self._frame, self._problem = frame, ""

    def _fail(self, sentence: str) -> None:
        log.warning("pulse capture: %s", sentence)
        with self._lock:
            self._problem = sentence
