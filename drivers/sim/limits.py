"""Hard limits the firmware enforces on every lead setting, whatever the host sends.

Each check raises Refusal with the status and an English sentence for the
clinician; the device replies with both and changes nothing.
"""

from __future__ import annotations

import math

from drivers.protocol.status import Status
from drivers.types import Capabilities, LeadConfig


class Refusal(Exception):
    """A command the device will not carry out, and why."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def check_lead_number(caps: Capabilities, lead: int) -> None:
    if not 1 <= lead <= caps.lead_count:
        raise Refusal(Status.OUT_OF_RANGE, f"There is no lead {lead}: this device has leads 1 to {caps.lead_count}.")


def check_amplitude(caps: Capabilities, lead: int, amplitude_ua: int, what: str = "amplitude") -> None:
    if not 0 <= amplitude_ua <= caps.amplitude_max_ua:
        raise Refusal(
            Status.OUT_OF_RANGE, f"Lead {lead}: {what} {amplitude_ua} µA is outside 0-{caps.amplitude_max_ua} µA."
        )
    if not caps.amplitude_on_step(amplitude_ua):
        raise Refusal(
            Status.OFF_STEP,
            f"Lead {lead}: {what} {amplitude_ua} µA is not on the "
            f"{caps.amplitude_step_at(amplitude_ua)} µA step of its range.",
        )


def check_values(caps: Capabilities, config: LeadConfig) -> None:
    """Every field in range and on its step."""
    check_lead_number(caps, config.lead)
    check_amplitude(caps, config.lead, config.amplitude_ua)
    check_amplitude(caps, config.lead, config.patient_max_ua, "patient maximum")
    _check_stepped(
        config.lead,
        "pulse width",
        config.pulse_width_us,
        "µs",
        caps.pulse_width_min_us,
        caps.pulse_width_max_us,
        caps.pulse_width_step_us,
    )
    _check_stepped(
        config.lead,
        "frequency",
        config.frequency_hz,
        "Hz",
        caps.frequency_min_hz,
        caps.frequency_max_hz,
        caps.frequency_step_hz,
    )


def check_rules(caps: Capabilities, config: LeadConfig) -> None:
    """Contacts, patient maximum and charge density of a lead that may deliver current."""
    if (config.amplitude_ua > 0 or config.enabled) and not (config.anodes and config.cathodes):
        raise Refusal(
            Status.BAD_CONTACTS,
            f"Lead {config.lead} needs at least one anode (+) and one cathode (-) "
            "before its amplitude is raised or it is enabled.",
        )
    if config.amplitude_ua > config.patient_max_ua:
        raise Refusal(
            Status.ABOVE_PATIENT_MAX,
            f"Lead {config.lead}: amplitude {config.amplitude_ua} µA is above the patient "
            f"maximum of {config.patient_max_ua} µA.",
        )
    k = shannon_k(caps, config)
    if k >= caps.shannon_k_limit:
        q = worst_contact_charge_uc(config)
        raise Refusal(
            Status.CHARGE_DENSITY,
            f"Lead {config.lead}: {config.amplitude_ua} µA for {config.pulse_width_us} µs puts "
            f"{q:.2f} µC/phase ({q / caps.contact_area_cm2:.1f} µC/cm²), which can all flow through one "
            "contact; "
            f"Shannon k = {k:.2f} reaches the limit {caps.shannon_k_limit:.2f}.",
        )


def check_lead(caps: Capabilities, config: LeadConfig) -> None:
    check_values(caps, config)
    check_rules(caps, config)


def worst_contact_charge_uc(config: LeadConfig) -> float:
    """Charge per phase on the most loaded contact, for any impedance the tissue may show.

    The whole current can flow through one contact: contacts of one polarity
    share it by their impedances, and one of them may be open or
    intermittent. So the bound is the lead's full charge per phase, whatever
    the number of contacts (no even split is assumed).
    """
    return config.amplitude_ua * config.pulse_width_us * 1e-6


def shannon_k(caps: Capabilities, config: LeadConfig) -> float:
    """k = log10(D) + log10(Q) on the worst contact (Shannon 1992); -inf at zero charge."""
    q = worst_contact_charge_uc(config)
    if q <= 0:
        return -math.inf
    return math.log10(q / caps.contact_area_cm2) + math.log10(q)


def _check_stepped(lead: int, name: str, value: int, unit: str, low: int, high: int, step: int) -> None:
    if not low <= value <= high:
        raise Refusal(Status.OUT_OF_RANGE, f"Lead {lead}: {name} {value} {unit} is outside {low}-{high} {unit}.")
    if (value - low) % step:
        raise Refusal(
            Status.OFF_STEP, f"Lead {lead}: {name} {value} {unit} is not on the {step} {unit} step from {low} {unit}."
        )
