"""Lead settings as a clinician reads them, Qt-free: one wording for the
screen, the session log, exports and the program verification."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drivers.types import LeadConfig, Polarity, Program, SelfTestItem, SelfTestResult
from workstation.diagnosis import Finding
from workstation.models import ImpedanceClass

CONTACT_SYMBOL = {Polarity.ANODE: "+", Polarity.CATHODE: "\u2212", Polarity.OFF: "\u00b7"}
CONTACT_LEGEND = "Contacts in order from contact 1: + anode, \u2212 cathode, \u00b7 off."
SETTINGS = (  # LeadConfig field, row label, unit
    ("contacts", "Contacts", ""),
    ("amplitude_ua", "Amplitude", "\u00b5A"),
    ("pulse_width_us", "Pulse width", "\u00b5s"),
    ("frequency_hz", "Frequency", "Hz"),
    ("enabled", "Output", ""),
    ("patient_max_ua", "Patient max", "\u00b5A"),
)
UNITS = {field: unit for field, _label, unit in SETTINGS}
VERIFIED_TEXT = "Verified: device holds exactly this program"

# The words a clinician or field engineer reads for each code; every screen and the report use them, the
# CSV files keep the codes. A new enum value without its words fails tests/domain/test_wording.py.
IMPEDANCE_CLASS_TEXT = {
    ImpedanceClass.NORMAL: "Normal",
    ImpedanceClass.SHORT: "Short circuit",
    ImpedanceClass.OPEN: "Open circuit",
}
FINDING_TEXT = {
    Finding.OK: "OK",
    Finding.OPEN: "Open circuit",
    Finding.SHORTED: "Shorted",
    Finding.INTERMITTENT: "Intermittent",
    Finding.NOT_MEASURED: "Not measured",
}
SELF_TEST_CHECK_TEXT = {
    SelfTestItem.OUTPUT_STAGE: "Output stage",
    SelfTestItem.MEASUREMENT_PATH: "Measurement path",
    SelfTestItem.BATTERY: "Battery",
    SelfTestItem.MEMORY: "Memory",
    SelfTestItem.CLOCK: "Clock",
}
SELF_TEST_RESULT_TEXT = {
    SelfTestResult.PASS: "Passed",
    SelfTestResult.WARN: "Needs attention",
    SelfTestResult.FAIL: "Failed",
}


def passed_text(passed: bool) -> str:
    return "Passed" if passed else "Failed"


def counted(count: int, noun: str) -> str:
    """'1 reading', '3 readings': a count as a sentence says it, never 'reading(s)'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def setting_text(config: LeadConfig, field: str, unit: bool = True) -> str:
    """One setting as shown; tables leave the unit to the row header."""
    value = getattr(config, field)
    if field == "contacts":
        return " ".join(CONTACT_SYMBOL[c] for c in value)
    if field == "enabled":
        return "on" if value else "off"
    return f"{value} {UNITS[field]}" if unit else str(value)


def lead_text(config: LeadConfig) -> str:
    """One line for a log row: 'lead 1 [+ − · ·] 800 µA, 300 µs, 20 Hz, on, patient max 2000 µA'."""
    return (
        f"lead {config.lead} [{setting_text(config, 'contacts')}] {config.amplitude_ua} \u00b5A, "
        f"{config.pulse_width_us} \u00b5s, {config.frequency_hz} Hz, output {setting_text(config, 'enabled')}, "
        f"patient max {config.patient_max_ua} \u00b5A"
    )


def by_lead(leads: Iterable[LeadConfig]) -> dict[int, LeadConfig]:
    return {config.lead: config for config in leads}


def lead_differences(
    first: Mapping[int, LeadConfig], second: Mapping[int, LeadConfig], first_label: str, second_label: str
) -> list[str]:
    """Every setting that differs between two sets of leads, as sentences a clinician reads."""
    found = []
    for lead in sorted(first.keys() | second.keys()):
        a, b = first.get(lead), second.get(lead)
        if a is None or b is None:
            found.append(f"Lead {lead}: only in the {first_label if b is None else second_label} settings")
            continue
        found.extend(
            f"Lead {lead} {label.lower()}: {first_label} {setting_text(a, field)}, "
            f"{second_label} {setting_text(b, field)}"
            for field, label, _unit in SETTINGS
            if getattr(a, field) != getattr(b, field)
        )
    return found


def program_differences(sent: Program, got: Program, sent_label: str = "sent", got_label: str = "device") -> list[str]:
    """How two programs differ (name and every lead setting); empty when they are equal."""
    named = [f"Name: {sent_label} {sent.name!r}, {got_label} {got.name!r}"] if sent.name != got.name else []
    return named + lead_differences(by_lead(sent.leads), by_lead(got.leads), sent_label, got_label)


def describe_mismatch(sent: Program, got: Program) -> str | None:
    """The exact differences between a program and its read-back, or None."""
    if sent == got:
        return None
    return "; ".join(program_differences(sent, got)) or "programs differ"


def program_status(written: bool | None, verified: bool | None, mismatch: str | None) -> str:
    """Status words of a saved program."""
    if written is None:
        return "outcome unknown: the link was lost during the write; checked when the device is back"
    if verified:
        return "written and verified"
    if written:
        return f"MISMATCH after writing: {mismatch}"
    return mismatch or "saved, not written"  # "not written: <reason>"


def reverted_sentence(program: str | None, changes: Iterable[str]) -> str:
    """What the device did on its own while the link was down (its watchdog)."""
    went = f"went back to its stored program '{program}'" if program else "changed its settings"
    return f"While the link was down the device {went}: " + "; ".join(changes) + "."
