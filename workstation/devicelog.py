"""The device's own event log (READ_EVENTS) as sentences a field engineer reads, Qt-free:
one wording for the workspace, its CSV and the diagnostics bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drivers.protocol.messages import MsgType
from drivers.protocol.status import Status
from drivers.types import BatteryState, DeviceEvent, EventCode, SelfTestItem
from workstation.wording import SELF_TEST_CHECK_TEXT, counted

SEVERITY_ERROR, SEVERITY_WARNING, SEVERITY_INFO = "error", "warning", "info"

_STATUS_WORDS = {
    Status.OUT_OF_RANGE: "a value out of range",
    Status.OFF_STEP: "a value off its step",
    Status.BAD_CONTACTS: "contacts without an anode and a cathode",
    Status.CHARGE_DENSITY: "the charge-density (Shannon) limit",
    Status.ABOVE_PATIENT_MAX: "an amplitude above the patient maximum",
    Status.BUSY: "another command still running",
    Status.NOTHING_STAGED: "nothing staged",
    Status.PROGRAM_CRC: "a program CRC mismatch",
    Status.BATTERY_EOS: "the battery at end of service",
    Status.IMPEDANCE_REQUIRED: "impedance not measured (or a short) on the lead's contacts",
}


def status_words(value: int) -> str:
    try:
        status = Status(value)
    except ValueError:
        return f"status {value}"
    return f"{_STATUS_WORDS.get(status, status.name.lower().replace('_', ' '))} ({status.name})"


AUTH_REFUSALS = {  # AUTH_REFUSED's value (docs/protocol.md §7.1, Refusals)
    1: "it came without a MAC (an older host, or an intruder)",
    2: "no session was open (after a reset or a replug: the host authenticates again)",
    3: "its MAC did not verify (forged, replayed or out of order)",
    4: "it named a key this device does not hold",
    5: "a pairing or session proof did not verify",
    6: "no pairing was waiting for its confirmation",
}
NO_SESSION = 2


def _auth_refused(e: DeviceEvent) -> str:
    try:
        message = MsgType(e.lead).name
    except ValueError:
        message = f"message type {e.lead}"
    return f"Command {message} refused: {AUTH_REFUSALS.get(e.value, f'reason {e.value}')}."


def _lead(e: DeviceEvent) -> str:
    return f"Lead {e.lead}" if e.lead else "The device"


def _self_test(e: DeviceEvent) -> str:
    failed = [SELF_TEST_CHECK_TEXT[item].lower() for item in SelfTestItem if e.value & (1 << (item - 1))]
    return "Self-test run: every check passed." if not failed else f"Self-test run: {', '.join(failed)} failed."


def _battery(e: DeviceEvent) -> str:
    try:
        state = BatteryState(e.value)
    except ValueError:
        return f"Battery state {e.value} reported."
    return {
        BatteryState.OK: "Battery OK.",
        BatteryState.ERI: "Battery at elective replacement (ERI): plan the generator's replacement.",
        BatteryState.EOS: "Battery at end of service (EOS): output can no longer be turned on.",
    }[state]


SENTENCES: dict[EventCode, Callable[[DeviceEvent], str]] = {
    EventCode.POWER_ON: lambda e: "Powered on.",
    EventCode.LEAD_WRITTEN: lambda e: f"Lead {e.lead} settings written ({e.value} µA).",
    EventCode.AMPLITUDE_SET: lambda e: f"Lead {e.lead} amplitude set to {e.value} µA.",
    EventCode.STIM_ON: lambda e: f"Lead {e.lead} output turned on at {e.value} µA.",
    EventCode.STIM_OFF: lambda e: f"Lead {e.lead} output turned off ({e.value} µA kept).",
    EventCode.STOP_ALL: lambda e: f"STOP ALL: every output off ({e.value} lead{'s' if e.value != 1 else ''} were on).",
    EventCode.PROGRAM_COMMITTED: lambda e: f"Program stored (CRC-32 0x{e.value:08x}).",
    EventCode.PROGRAM_REJECTED: lambda e: f"Program commit refused: {status_words(e.value)}.",
    EventCode.IMPEDANCE_MEASURED: lambda e: (
        f"Impedance measured on {'lead ' + str(e.lead) if e.lead else 'every lead'}: {counted(e.value, 'reading')}."
    ),
    EventCode.SHORT_DETECTED: lambda e: (
        f"Lead {e.lead}: short circuit detected ({e.value} Ω); the lead was switched off."
    ),
    EventCode.WATCHDOG_RESTORE: lambda e: (
        f"Watchdog: no host for the watchdog time, stored program restored ({counted(e.value, 'lead')} left on)."
    ),
    EventCode.COMMAND_REFUSED: lambda e: f"{_lead(e)}: a command was refused for {status_words(e.value)}.",
    EventCode.BATTERY_STATE: _battery,
    EventCode.SELF_TEST: _self_test,
    EventCode.AUTH_REFUSED: _auth_refused,
    EventCode.PAIRING_STARTED: lambda e: f"Pairing with a workstation started (key {e.value:08x}).",
    EventCode.PAIRED: lambda e: f"Paired with a workstation, confirmed on the device (key {e.value:08x}).",
    EventCode.SESSION_OPENED: lambda e: f"Authenticated session opened (key {e.value:08x}).",
}
SEVERITY = {
    EventCode.SHORT_DETECTED: SEVERITY_ERROR,
    EventCode.PROGRAM_REJECTED: SEVERITY_WARNING,
    EventCode.COMMAND_REFUSED: SEVERITY_WARNING,
    EventCode.WATCHDOG_RESTORE: SEVERITY_WARNING,
    EventCode.STOP_ALL: SEVERITY_WARNING,
    EventCode.AUTH_REFUSED: SEVERITY_WARNING,
}


def describe(event: DeviceEvent) -> str:
    """One sentence for one device event (an unknown code is named, never dropped)."""
    sentence = SENTENCES.get(event.code)
    if sentence is None:
        return f"Event code {int(event.code)} (lead {event.lead}, value {event.value})."
    return sentence(event)


def severity(event: DeviceEvent) -> str:
    if event.code == EventCode.BATTERY_STATE and event.value != BatteryState.OK:
        return SEVERITY_ERROR if event.value == BatteryState.EOS else SEVERITY_WARNING
    if event.code == EventCode.SELF_TEST and event.value:
        return SEVERITY_ERROR
    if event.code == EventCode.AUTH_REFUSED and event.value == NO_SESSION:
        return SEVERITY_INFO  # expected after a replug
    return SEVERITY.get(event.code, SEVERITY_INFO)


def uptime_text(time_ms: int) -> str:
    """Time since power-on as 'd hh:mm:ss.mmm' (days only when there are some)."""
    seconds, ms = divmod(int(time_ms), 1000)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    return (f"{days} d " if days else "") + f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


@dataclass(frozen=True)
class LogLine:
    index: int
    uptime: str
    code: str
    lead: int
    value: int
    severity: str
    sentence: str


def lines(events: Iterable[DeviceEvent]) -> list[LogLine]:
    return [
        LogLine(
            e.index,
            uptime_text(e.time_ms),
            e.code.name if isinstance(e.code, EventCode) else str(e.code),
            e.lead,
            e.value,
            severity(e),
            describe(e),
        )
        for e in events
    ]


def matches(line: LogLine, text: str = "", severities: Iterable[str] | None = None, lead: int | None = None) -> bool:
    """The workspace's filter: free text (sentence or code), severity, lead."""
    wanted = set(severities) if severities is not None else None
    if wanted is not None and line.severity not in wanted:
        return False
    if lead is not None and line.lead != lead:
        return False
    needle = text.strip().lower()
    return not needle or needle in line.sentence.lower() or needle in line.code.lower()
