"""The catalogue of the session log: every event kind and outcome, and the one
Qt-free wording of an event that the log view and exports share.

The store accepts only these kinds and outcomes, so a new kind is added here
(with its name and summary) or it cannot be recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from workstation import bodymap
from workstation.diagnosis import reading_text
from workstation.models import ImpedanceClass, ImpedanceThresholds, PainScore
from workstation.wording import IMPEDANCE_CLASS_TEXT, lead_text, program_status, reverted_sentence

if TYPE_CHECKING:
    from workstation.records.rows import SessionEvent


class EventKind(str, Enum):
    """What a session event records."""

    # written by the store for its own records
    SESSION_OPENED = "session_opened"
    SESSION_RESUMED = "session_resumed"
    SESSION_CLOSED = "session_closed"
    IMPEDANCE_RECORDED = "impedance_recorded"
    PLACEMENT_RECORDED = "placement_recorded"
    RESPONSE_RECORDED = "response_recorded"
    PAIN_SCORE_RECORDED = "pain_score_recorded"
    NOTE_ADDED = "note_added"
    BODY_MAP_RECORDED = "body_map_recorded"  # the visit's pain areas and each lead's area
    PROGRAM_SAVED = "program_saved"
    CORRECTION = "correction"
    # written by the service for what it did or saw
    SESSION_ENDED = "session_ended"
    DEVICE_STATE = "device_state"
    LINK_STATE = "link_state"
    LINK_LOST = "link_lost"
    WRITE_LEAD = "write_lead"
    SET_AMPLITUDE = "set_amplitude"
    SET_ENABLED = "set_enabled"
    STOP_ALL = "stop_all"
    DENSITY_CONFIRMED = "density_confirmed"
    RISE_CONFIRMED = "rise_confirmed"
    MEASURE_IMPEDANCE = "measure_impedance"
    IMPEDANCE_CANCELLED = "impedance_cancelled"
    IMPEDANCE_FAILED = "impedance_failed"
    WRITE_PROGRAM = "write_program"
    START_TELEMETRY = "start_telemetry"
    DEVICE_REVERTED = "device_reverted"  # the device changed its live settings while the link was down
    LEAD_SWITCHED_OFF = "lead_switched_off"  # the device switched a stimulating lead off (a short read)
    # written by the field-engineer tools (workstation/service/field.py)
    SELF_TEST = "self_test"
    LEAD_DIAGNOSIS = "lead_diagnosis"
    DEVICE_LOG_READ = "device_log_read"
    USB_CAPTURE = "usb_capture"  # refusals of a bad capture size
    FIELD_FILE = "field_file"  # refusals of a bad file name (capture, export, bundle)
    VISIT_OUTPUT = "visit_output"  # refusals of a bad record of a visit printed, saved or exported
    SETTINGS = "settings"  # refusals of a bad workstation setting (the log level)


class Outcome(str, Enum):
    """How it ended."""

    OK = "ok"  # the device did it
    RECORDED = "recorded"  # a clinical record, written
    ASKED = "asked"  # the clinician is asked to confirm first; nothing sent yet
    REFUSED = "refused"  # turned down (by the workstation or the device); nothing changed
    CANCELLED = "cancelled"  # dropped because STOP ALL came after it was requested
    ERROR = "error"  # failed; nothing changed that the host knows of
    UNKNOWN = "unknown"  # the reply was lost: the device may or may not have done it


NAMES = {
    EventKind.SESSION_OPENED: "Session opened",
    EventKind.SESSION_RESUMED: "Session resumed",
    EventKind.SESSION_CLOSED: "Session closed",
    EventKind.SESSION_ENDED: "Session ended",
    EventKind.DEVICE_STATE: "Device read",
    EventKind.LINK_STATE: "Link",
    EventKind.LINK_LOST: "Link lost",
    EventKind.WRITE_LEAD: "Lead settings",
    EventKind.SET_AMPLITUDE: "Amplitude",
    EventKind.SET_ENABLED: "Output",
    EventKind.STOP_ALL: "STOP ALL",
    EventKind.DENSITY_CONFIRMED: "Density accepted",
    EventKind.RISE_CONFIRMED: "Rise confirmed",
    EventKind.MEASURE_IMPEDANCE: "Impedance request",
    EventKind.IMPEDANCE_RECORDED: "Impedance",
    EventKind.IMPEDANCE_CANCELLED: "Impedance cancelled",
    EventKind.IMPEDANCE_FAILED: "Impedance failed",
    EventKind.PLACEMENT_RECORDED: "Lead placed",
    EventKind.RESPONSE_RECORDED: "Response",
    EventKind.PAIN_SCORE_RECORDED: "Pain score",
    EventKind.NOTE_ADDED: "Note",
    EventKind.BODY_MAP_RECORDED: "Body map",
    EventKind.PROGRAM_SAVED: "Program",
    EventKind.WRITE_PROGRAM: "Program write",
    EventKind.START_TELEMETRY: "Waveforms",
    EventKind.CORRECTION: "Correction",
    EventKind.DEVICE_REVERTED: "Device changed",
    EventKind.LEAD_SWITCHED_OFF: "Lead switched off",
    EventKind.SELF_TEST: "Self-test",
    EventKind.LEAD_DIAGNOSIS: "Lead diagnosis",
    EventKind.DEVICE_LOG_READ: "Device log read",
    EventKind.USB_CAPTURE: "USB capture",
    EventKind.FIELD_FILE: "File",
    EventKind.VISIT_OUTPUT: "Visit report or export",
}


def _lead_result(p: dict[str, Any]) -> str:
    from workstation.records.codec import decode_lead_config  # the records package imports this catalogue

    config = p.get("result") or p.get("config")
    return lead_text(decode_lead_config(config)) if config else f"lead {p['lead']}"


def _device_state(p: dict[str, Any]) -> str:
    battery, program = p.get("battery"), p.get("program")
    parts = [f"battery {battery['percent']} % ({battery['state']})"] if battery else []
    return ", ".join(parts + ([f"stored program '{program['name']}'"] if program else [])) or "device read"


def _impedance(p: dict[str, Any]) -> str:
    thresholds = ImpedanceThresholds(**p["thresholds"])
    return (
        "; ".join(
            f"lead {m['lead']} {m['contact_a']}-{m['contact_b'] or 'case'}: {reading_text(m['ohms'], thresholds)} "
            f"{IMPEDANCE_CLASS_TEXT[ImpedanceClass(m['impedance_class'])].lower()}"
            for m in p["measurements"]
        )
        or "no measurement"
    )


def _response(p: dict[str, Any]) -> str:
    found = [
        f"{label} {p[key]} \u00b5A"
        for key, label in (
            ("perception_threshold_ua", "perception"),
            ("comfortable_ua", "comfortable"),
            ("max_tolerable_ua", "max tolerable"),
        )
        if p.get(key) is not None
    ]
    regions = ", ".join(p.get("body_regions") or ())  # only in responses recorded before the body map
    free = " (paresthesia-free)" if p.get("paresthesia_free") else ""
    where = f" in {regions}" if regions else ""
    return f"lead {p['lead']}: {p['sensation'].lower()}{free}{where}" + "".join(f"; {f}" for f in found)


def _pain_score(p: dict[str, Any]) -> str:
    return f"{PainScore(p['nrs'], p['when'], p.get('vas_mm')).text} ({p['when'].lower()} programming)"


def _body_map(p: dict[str, Any]) -> str:
    return bodymap.summary(bodymap.BodyMap.from_json(p))


def _amplitude(p: dict[str, Any]) -> str:
    if p.get("result"):
        return f"lead {p['lead']}: {p['result']['amplitude_ua']} \u00b5A on the device"
    return f"lead {p['lead']}: {(p.get('config') or p)['amplitude_ua']} \u00b5A requested"


def _self_test(p: dict[str, Any]) -> str:
    failed = [c for c in p.get("checks", ()) if c["result"] == "FAIL"]
    warned = [c for c in p.get("checks", ()) if c["result"] == "WARN"]
    if failed:
        text = "failed: " + "; ".join(c["detail"] for c in failed)
    else:
        text = f"passed all {len(p.get('checks', ()))} checks"
    return text + "".join(f"; warning: {c['detail']}" for c in warned)


def _diagnosis(p: dict[str, Any]) -> str:
    found = p.get("conclusions") or []
    if not found:
        return f"every measured contact conducts normally ({p.get('readings', 0)} readings)"
    return "; ".join(c["sentence"] for c in found)


def _leads_of(p: dict[str, Any]) -> str:
    return ", ".join(str(lead) for lead in p.get("leads") or ()) or "every lead"


SUMMARIES: dict[EventKind, Callable[[dict[str, Any]], str]] = {
    EventKind.SESSION_OPENED: lambda p: (
        f"clinician {p['clinician']}; device {p['device']['model']} "
        f"serial {p['device']['serial']}, firmware {p['device']['firmware']}"
    ),
    EventKind.SESSION_RESUMED: lambda p: "session taken up again",
    EventKind.SESSION_CLOSED: lambda p: "closed: later changes only as corrections",
    EventKind.SESSION_ENDED: lambda p: "ended by the clinician",
    EventKind.DEVICE_STATE: _device_state,
    EventKind.LINK_STATE: lambda p: f"{p['state']}" + (f": {p['detail']}" if p.get("detail") else ""),
    EventKind.LINK_LOST: lambda p: p["reason"],
    EventKind.WRITE_LEAD: _lead_result,
    EventKind.SET_AMPLITUDE: _amplitude,
    EventKind.SET_ENABLED: lambda p: f"lead {p['lead']} output {'on' if p.get('on', True) else 'off'}",
    EventKind.STOP_ALL: lambda p: "every output off",
    EventKind.DENSITY_CONFIRMED: lambda p: (
        f"lead {p['lead']}: {p['density']:.1f} \u00b5C/cm\u00b2 accepted "
        f"above the {p['limit']:.0f} \u00b5C/cm\u00b2 warning"
    ),
    EventKind.RISE_CONFIRMED: lambda p: f"lead {p['lead']}: rise to {p['amplitude_ua']} \u00b5A confirmed",
    EventKind.MEASURE_IMPEDANCE: lambda p: f"{p.get('mode', 'measurement')} of {_leads_of(p)}",
    EventKind.IMPEDANCE_RECORDED: _impedance,
    EventKind.IMPEDANCE_CANCELLED: lambda p: f"cancelled after {p['done']} of {p['of']} leads",
    EventKind.IMPEDANCE_FAILED: lambda p: f"{p['measured']} value(s) measured before it failed",
    EventKind.PLACEMENT_RECORDED: lambda p: (
        f"lead {p['channel']} at {p['level']} {p['side'].lower()}, implanted {p['implant_date']}"
    ),
    EventKind.RESPONSE_RECORDED: _response,
    EventKind.PAIN_SCORE_RECORDED: _pain_score,
    EventKind.BODY_MAP_RECORDED: _body_map,
    EventKind.NOTE_ADDED: lambda p: p["text"],
    EventKind.PROGRAM_SAVED: lambda p: (
        f"'{p['program']['name']}': {program_status(p['written'], p['verified'], p.get('mismatch'))}"
    ),
    EventKind.WRITE_PROGRAM: lambda p: f"lead {p['lead']}" if "lead" in p else "program",
    EventKind.START_TELEMETRY: lambda p: f"{p.get('rate_hz', '')} samples/s of {_leads_of(p)}".strip(),
    EventKind.CORRECTION: lambda p: f"{p['reason']}",
    EventKind.DEVICE_REVERTED: lambda p: reverted_sentence(p["program"], p["changes"]),
    EventKind.LEAD_SWITCHED_OFF: lambda p: p["sentence"],
    EventKind.SELF_TEST: _self_test,
    EventKind.LEAD_DIAGNOSIS: _diagnosis,
    EventKind.DEVICE_LOG_READ: lambda p: f"{p['events']} device event(s) read",
}

_OWN_REASON = (EventKind.LINK_LOST, EventKind.CORRECTION)  # their summary is the reason itself


def summarise(event: SessionEvent) -> str:
    """A readable line for a log row or an export; why it was refused or failed follows a dash."""
    p = event.payload
    # a value refused at the boundary names its field and value; anything else has its kind's wording
    text = f"{p['field']} {p['value']}" if "field" in p else SUMMARIES[EventKind(event.kind)](p)
    for key in ("reason", "error"):
        if event.kind not in _OWN_REASON and p.get(key):
            text = f"{text} \u2014 {p[key]}"
    if event.references_event_id is not None:
        text = f"corrects event {event.references_event_id}: {text}"
    return text


def name(kind: EventKind | str) -> str:
    """The kind as a clinician reads it in the log's Event column."""
    return NAMES[EventKind(kind)]
