"""The field engineer's tools, usable without a patient and without a session: device
information, the device's own event log, the self-test, lead diagnosis, each contact's
history across visits and devices, USB capture, and the diagnostics bundle.

Threads as everywhere in the service: device commands on `device-io`, records on
`records-io`, files (captures, exports, the bundle) on `field-files`. A caller (the GUI)
gets a Future and never waits on USB, the database or the disk. What is done while a
session is active is also recorded in it (SELF_TEST, LEAD_DIAGNOSIS, DEVICE_LOG_READ and
the impedance readings); without a session it is kept here, shown and exportable.
"""

from __future__ import annotations

import json
import logging
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.capture import CaptureStats, UsbCapture
from drivers.errors import DriverError
from drivers.links import Link
from drivers.telemetry import TelemetryReceiver
from drivers.transport import LinkStatistics
from drivers.types import (
    BatteryStatus,
    Capabilities,
    DeviceEvent,
    Identity,
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    SelfTestReport,
)
from workstation import devicelog, exports, logs, validation
from workstation.accounts import Permission
from workstation.diagnosis import Diagnosis, diagnose
from workstation.events import EventKind, Outcome
from workstation.models import ImpedanceThresholds
from workstation.records.rows import ContactReading
from workstation.service.core import ServiceCore, mark_service_thread
from workstation.service.errors import InvalidValue, NotConnected, ServiceError
from workstation.service.notices import EventRecorded, ImpedanceMeasured, LinkState
from workstation.service.policy import open_to_all, requires
from workstation.versions import versions

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
DIAGNOSIS_ROUNDS = 3  # repeated readings tell an intermittent contact from an open one
DISSECTOR = Path(__file__).resolve().parents[2] / "resources" / "wireshark" / "drg.lua"


@dataclass(frozen=True)
class TelemetryCounts:
    blocks: int
    lost_samples: int
    dropped_blocks: int
    bad_frames: int


@dataclass(frozen=True)
class DeviceInfo:
    """Everything the device-information page shows, as one snapshot (no I/O to take it)."""

    uri: str | None
    link_state: LinkState
    simulated: bool
    identity: Identity | None
    capabilities: Capabilities | None
    battery: BatteryStatus | None
    statistics: LinkStatistics | None
    telemetry: TelemetryCounts | None
    capture: CaptureStats | None


@dataclass(frozen=True)
class SelfTestRun:
    time: datetime
    identity: Identity | None
    report: SelfTestReport
    event_id: int | None  # the session event that recorded it, if a session was active


@dataclass(frozen=True)
class DiagnosisRun:
    time: datetime
    identity: Identity | None
    diagnosis: Diagnosis
    measurements: tuple[ImpedanceMeasurement, ...]
    event_id: int | None


@dataclass(frozen=True)
class DeviceLog:
    time: datetime
    identity: Identity | None
    events: tuple[DeviceEvent, ...]


class FieldTools:
    def __init__(
        self,
        core: ServiceCore,
        thresholds: Callable[[Capabilities], ImpedanceThresholds],
        telemetry: Callable[[], TelemetryReceiver | None],
    ) -> None:
        self._core = core
        self._thresholds, self._telemetry = thresholds, telemetry
        self._stopped: UsbCapture | None = None  # the last capture stopped, kept for saving
        self.last_self_test: SelfTestRun | None = None
        self.last_diagnosis: DiagnosisRun | None = None
        self.last_device_log: DeviceLog | None = None
        self.last_capture_file: Path | None = None
        self.capture_on_connect: int | None = None  # ring size: capture every link from its opening
        self._files = ThreadPoolExecutor(1, "field-files", initializer=mark_service_thread)
        core.on_link_opened.append(self._link_opened)

    @open_to_all
    def shutdown(self) -> None:
        self._files.shutdown(wait=True)

    # -- device information ------------------------------------------------------------------------
    @open_to_all  # what the workstation already holds; reads nothing from the device
    def info(self) -> DeviceInfo:
        core = self._core
        state, link = core.state, core.link
        receiver = self._telemetry()
        telemetry = (
            TelemetryCounts(receiver.blocks, receiver.lost_samples, receiver.dropped_blocks, receiver.bad_frames)
            if receiver is not None
            else None
        )
        capture = link.transport.capture if link is not None else None
        return DeviceInfo(
            core.uri,
            core.link_state,
            bool(link and link.is_simulated),
            state.identity,
            state.capabilities,
            state.battery,
            replace(link.transport.stats) if link is not None else None,
            telemetry,
            capture.stats() if capture is not None else None,
        )

    @requires(Permission.INTERROGATE)
    def refresh_battery(self) -> Future[BatteryStatus]:
        core = self._core

        def run() -> BatteryStatus:
            battery = core.client.battery()
            core.mirror.set(battery=battery)
            return battery

        return core.submit(EventKind.DEVICE_STATE, run)

    # -- the device's event log --------------------------------------------------------------------
    @requires(Permission.SERVICE)
    def read_device_log(self) -> Future[DeviceLog]:
        """Every event the device has logged (READ_EVENTS, paged), oldest first."""
        core = self._core

        def run() -> DeviceLog:
            events = tuple(core.client.read_all_events())
            result = DeviceLog(datetime.now().astimezone(), core.state.identity, events)
            self.last_device_log = result
            log.info("device log read: %d events", len(events))
            core.record(EventKind.DEVICE_LOG_READ, {"events": len(events)})
            return result

        return core.submit(EventKind.DEVICE_LOG_READ, run)

    # -- self-test ---------------------------------------------------------------------------------
    @requires(Permission.SERVICE)
    def self_test(self) -> Future[SelfTestRun]:
        """Run the device's self-test; recorded in the session when one is active."""
        core = self._core

        def run() -> SelfTestRun:
            report = core.client.self_test()
            payload = exports.self_test_payload(report)
            event_id = self._record(EventKind.SELF_TEST, payload)
            result = SelfTestRun(datetime.now().astimezone(), core.state.identity, report, event_id)
            self.last_self_test = result
            failed = [c.check.name for c in report.failed]
            if failed:
                log.warning("self-test FAILED: %s", ", ".join(failed))
            else:
                log.info("self-test passed")
            return result

        return core.submit(EventKind.SELF_TEST, run)

    # -- lead diagnosis ----------------------------------------------------------------------------
    @requires(Permission.SERVICE)
    def diagnose(
        self,
        rounds: int = DIAGNOSIS_ROUNDS,
        leads: tuple[int, ...] | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Future[DiagnosisRun]:
        """Measure each contact to case and every contact pair, `rounds` times, and conclude per
        contact. The readings are recorded as impedance measurements when a session is active."""
        core = self._core
        caps = core.caps()
        chosen = core.valid(EventKind.LEAD_DIAGNOSIS, lambda: validation.leads(caps, leads))
        rounds = core.valid(EventKind.LEAD_DIAGNOSIS, lambda: validation.rounds(rounds))
        core.valid(EventKind.LEAD_DIAGNOSIS, lambda: validation.callback(progress, "progress"))
        core.valid(EventKind.LEAD_DIAGNOSIS, lambda: validation.cancel_flag(cancel))

        def run() -> DiagnosisRun:
            thresholds = self._thresholds(caps)
            modes = (ImpedanceMode.CONTACT_TO_CASE, ImpedanceMode.CONTACT_PAIRS)
            steps = [(r, mode, lead) for r in range(rounds) for mode in modes for lead in chosen]
            measured: list[ImpedanceMeasurement] = []
            by_mode: dict[ImpedanceMode, list[ImpedanceMeasurement]] = {m: [] for m in modes}
            last_round: dict[ImpedanceMode, list[ImpedanceMeasurement]] = {m: [] for m in modes}
            done_rounds = 0
            try:
                for done, (r, mode, lead) in enumerate(steps):
                    if cancel is not None and cancel.is_set():
                        break
                    if progress:
                        progress(done, len(steps))
                    part = core.client.measure_impedance(mode, lead).measurements
                    if r + 1 > done_rounds:
                        done_rounds = r + 1
                        last_round = {m: [] for m in modes}
                    measured.extend(part)
                    by_mode[mode].extend(part)
                    last_round[mode].extend(part)
            finally:
                for mode, readings in by_mode.items():
                    if readings and core.session_id is not None:
                        result = ImpedanceResult(mode, tuple(readings))
                        core.emit(EventRecorded(core.records.record_impedance(core.session_id, result, thresholds)))
                core.io.submit(core.refresh_after_measurement, measured)  # a short switches a lead off
            if progress:
                progress(len(steps), len(steps))
            found = diagnose(measured, thresholds, caps.contacts_per_lead, chosen, done_rounds)
            payload = {
                "rounds": done_rounds,
                "readings": found.readings,
                "leads": list(chosen),
                "conclusions": [
                    {"sentence": c.sentence, "finding": c.finding.value, "evidence": list(c.evidence)}
                    for c in found.conclusions
                ],
            }
            event_id = self._record(EventKind.LEAD_DIAGNOSIS, payload)
            run_result = DiagnosisRun(
                datetime.now().astimezone(), core.state.identity, found, tuple(measured), event_id
            )
            self.last_diagnosis = run_result
            log.info("lead diagnosis: %s", found.summary)
            for mode in modes:  # the impedance view and the spinal map show the last round of each mode
                if last_round[mode]:
                    core.emit(ImpedanceMeasured(ImpedanceResult(mode, tuple(last_round[mode]))))
            return run_result

        return core.submit(EventKind.LEAD_DIAGNOSIS, run)

    @requires(Permission.SERVICE)
    def contact_history(self, serial: str | None = None) -> Future[list[ContactReading]]:
        """Every recorded reading of the patients of this device (or of `serial`), on any of their
        devices, oldest first: no patient to choose and no session needed."""
        core = self._core
        identity = core.state.identity
        wanted = serial if serial is not None else (identity.serial if identity else None)
        if not wanted:
            raise NotConnected("Connect to a pulse generator, or name a serial number, to read its history.")
        wanted = validation.text(wanted, "serial")
        return core.query(core.records.contact_history, wanted)

    # -- USB capture -------------------------------------------------------------------------------
    @requires(Permission.SERVICE)
    def start_capture(self, max_bytes: int | None = None) -> CaptureStats | None:
        """Record the link's traffic from now on, in the background (a ring of `max_bytes`); when no
        link is open it starts with the next one. Returns the capture's state (None: waiting)."""
        core = self._core
        max_bytes = core.valid(EventKind.USB_CAPTURE, lambda: validation.capture_size(max_bytes))
        self.capture_on_connect = max_bytes or 0
        link = core.link
        if link is None:
            return None
        return link.transport.start_capture(max_bytes or None).stats()

    @requires(Permission.SERVICE)
    def stop_capture(self) -> CaptureStats | None:
        self.capture_on_connect = None
        link = self._core.link
        capture = link.transport.stop_capture() if link is not None else None
        if capture is not None:
            self._stopped = capture
        return capture.stats() if capture is not None else None

    @open_to_all
    def capture_stats(self) -> CaptureStats | None:
        capture = self._capture()
        return capture.stats() if capture is not None else None

    @requires(Permission.SERVICE)
    def save_capture(self, path: str | Path) -> Future[int]:
        """Write the capture (running, or the last one stopped) as a pcap file; its size in bytes."""
        target = self._target(path)

        def run() -> int:
            capture = self._capture()
            if capture is None:
                raise ServiceError("Nothing captured yet: start the USB capture first.")
            size = capture.save(target)
            self._core.audit("export", {"file": target.name, "what": "USB capture"})
            self.last_capture_file = target
            log.info("USB capture saved: %d bytes", size)
            return size

        return self._core.run_on(self._files, run)

    def _capture(self) -> UsbCapture | None:
        link = self._core.link
        running = link.transport.capture if link is not None else None
        return running or self._stopped

    def _link_opened(self, link: Link) -> None:
        if self.capture_on_connect is not None:
            link.transport.start_capture(self.capture_on_connect or None)

    # -- settings -----------------------------------------------------------------------------------
    @requires(Permission.SERVICE)
    def set_log_level(self, level: str) -> str:
        """The workstation log's level from now on (the UI keeps it for the next start); audited."""
        name = self._core.valid(EventKind.SETTINGS, lambda: _log_level(level))
        logs.set_level(name)
        self._core.audit("settings_changed", {"setting": "log level", "value": name})
        return name

    # -- exports and the diagnostics bundle ----------------------------------------------------------
    @open_to_all
    def identity(self) -> exports.ExportIdentity:
        return exports.ExportIdentity.of(self._core.state.identity)

    @requires(Permission.EXPORT)
    def export(self, write: Callable[[Path, exports.ExportIdentity], object], path: str | Path) -> Future[Path]:
        """Run an export writer on the files thread with the device's identity; the future gives the path."""
        core = self._core
        checked = core.valid(EventKind.FIELD_FILE, lambda: validation.callback(write, "write", optional=False))
        assert checked is not None  # not optional: refused above
        target, identity = self._target(path), self.identity()

        def run() -> Path:
            checked(target, identity)
            self._core.audit("export", {"file": target.name, "what": getattr(write, "__name__", "export")})
            return target

        return self._core.run_on(self._files, run)

    @requires(Permission.SERVICE)
    def save_bundle(self, path: str | Path, extra_versions: dict[str, str] | None = None) -> Future[Path]:
        """A zip for a support ticket: the workstation's logs, the device's log (read now when
        connected), the last self-test and diagnosis, the capture, device information and versions.
        Nothing in it names a patient."""
        core = self._core
        target = self._target(path)
        connected = core.link is not None and core.link_state is LinkState.CONNECTED
        fresh_log = self.read_device_log() if connected else None

        def run() -> Path:
            device_log = self.last_device_log
            if fresh_log is not None:
                try:
                    device_log = fresh_log.result(timeout=30)
                except (ServiceError, DriverError, TimeoutError) as exc:
                    log.warning("diagnostics bundle: device log not read: %s", exc)
            self._write_bundle(target, device_log, extra_versions or {})
            core.audit("export", {"file": target.name, "what": "diagnostics bundle"})
            log.info("diagnostics bundle saved")
            return target

        return core.run_on(self._files, run)

    def _write_bundle(self, target: Path, device_log: DeviceLog | None, extra: dict[str, str]) -> None:
        identity = self.identity()
        info = self.info()
        partial = target.with_name(target.name + ".partial")
        logs.flush()
        contents: list[str] = []
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:

            def put(name: str, data: str | bytes, what: str) -> None:
                bundle.writestr(name, data)
                contents.append(f"  {name:<28} {what}")

            put("versions.json", json.dumps({**versions(), **extra}, indent=2), "workstation and library versions")
            put("device.json", exports.to_json({"device": _jsonable(info)}, identity), "identity, capabilities, link")
            for file in logs.log_files():
                put(f"logs/{file.name}", file.read_bytes(), "the workstation's log (no patient data)")
            if device_log is not None:
                lines = devicelog.lines(device_log.events)
                text = [*identity.header_lines(), f"Read: {device_log.time.isoformat(timespec='seconds')}", ""]
                text += [f"#{n.index:<5} {n.uptime}  {n.severity:<7} {n.sentence}" for n in lines]
                put("device-log.txt", "\n".join(text) + "\n", f"the device's event log, {len(lines)} events")
                put("device-log.csv", _csv(exports.write_device_log_csv, device_log.events, identity), "the same, CSV")
            if self.last_self_test is not None:
                report = self.last_self_test.report
                put("self-test.txt", exports.self_test_report(report, identity), "the last self-test")
                put("self-test.csv", _csv(exports.write_self_test_csv, report, identity), "the same, CSV")
            if self.last_diagnosis is not None:
                found = self.last_diagnosis.diagnosis
                put("lead-diagnosis.txt", exports.diagnosis_report(found, identity), "the last lead diagnosis")
                put("lead-diagnosis.csv", _csv(exports.write_diagnosis_csv, found, identity), "per contact, CSV")
            capture = self._capture()
            if capture is not None:
                put("capture.pcap", capture.to_bytes(), "the USB capture (Wireshark, with drg.lua)")
            elif self.last_capture_file is not None and self.last_capture_file.exists():
                put("capture.pcap", self.last_capture_file.read_bytes(), "the last USB capture saved")
            if DISSECTOR.exists():
                put("drg.lua", DISSECTOR.read_bytes(), "Wireshark dissector: wireshark -X lua_script:drg.lua")
            readme = [
                "DRG workstation diagnostics bundle",
                *identity.header_lines(),
                "",
                "Contents:",
                *contents,
                "",
                "Open the capture: wireshark -X lua_script:drg.lua capture.pcap",
            ]
            bundle.writestr("README.txt", "\n".join(readme) + "\n")
        partial.replace(target)

    # -- internals ---------------------------------------------------------------------------------
    def _target(self, path: object) -> Path:
        """The file to write, or a recorded refusal of a bad name (nothing written)."""
        return Path(self._core.valid(EventKind.FIELD_FILE, lambda: validation.path(path)))

    def _record(self, kind: EventKind, payload: dict[str, Any]) -> int | None:
        core = self._core
        session_id = core.session_id
        if session_id is None:
            return None
        event_id = core.records.log_event(session_id, kind, payload, Outcome.OK)
        core.emit(EventRecorded(event_id))
        return event_id


def _csv(writer: Callable[..., int], data: Any, identity: exports.ExportIdentity) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        writer(path, data, identity)
        return path.read_text(encoding="utf-8")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "name"):  # an enum
        return value.name
    return value


def _log_level(level: object) -> str:
    name = validation.text(level, "level").strip().upper()
    if name not in logs.LEVELS:
        raise InvalidValue("level", level, f"A log level is one of {', '.join(logs.LEVELS)}.")
    return name
