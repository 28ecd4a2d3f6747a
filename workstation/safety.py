"""Clinical safety rules applied to every change that can reach a lead's output.

Every path that changes stimulation (programming screen, live amplitude,
program write, patient maximum) evaluates the same rules here, so a limit
cannot be skipped by taking another route. Ranges, steps, contact area,
compliance and the Shannon k limit come from the device's Capabilities;
only clinical policy (the 30 µC/cm² warning cap, amber thresholds, ramp
rate) is set on the workstation, each with its source.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from types import MappingProxyType
from typing import Literal

from drivers.types import Capabilities, LeadConfig

Direction = Literal["nearest", "down", "up"]
Parameter = Literal["amplitude", "pulse_width", "frequency"]

# Boston Scientific Vercise DBS programmer: warns at 30 µC/cm²/phase and lets
# the clinician continue deliberately (drg-programming-facts.md, Safety limits).
CHARGE_DENSITY_WARN_UC_PER_CM2 = 30.0

# Live amplitude ramp (facts: start at 0, raise slowly, hold-to-ramp).
# One step rises at most 8 device steps (the programmer's largest increment:
# 200 µA below 2 mA, 400 µA above) and at most RAMP_RATE_UA_PER_S on average;
# decreases are applied at once.
RAMP_MAX_STEP_MULTIPLE = 8
RAMP_RATE_UA_PER_S = 500.0


class Rule:
    """Names of the rules, as found in Check.rule."""

    AMPLITUDE_RANGE = "amplitude_range"
    PULSE_WIDTH_RANGE = "pulse_width_range"
    FREQUENCY_RANGE = "frequency_range"
    PATIENT_MAX_RANGE = "patient_max_range"
    PATIENT_MAX = "patient_max"
    CONTACTS = "contacts"
    SHANNON = "shannon"
    CHARGE_DENSITY = "charge_density"
    COMPLIANCE = "compliance"


# Fraction of a limit (Check.fraction) from which the UI shows amber while the
# rule still passes, so the clinician sees a limit coming before it binds.
APPROACH_FRACTION: Mapping[str, float] = MappingProxyType(
    {
        Rule.SHANNON: 0.8,
        Rule.CHARGE_DENSITY: 0.8,
        Rule.COMPLIANCE: 0.8,
        Rule.PATIENT_MAX: 0.8,
    }
)


class Level(IntEnum):
    """Outcome of a rule, ordered so that max() gives the worst."""

    OK = 0
    WARN = 1
    REFUSE = 2


@dataclass(frozen=True)
class Check:
    """One rule's verdict: the figure it judged, the limit and a clinician's sentence.

    needs_confirmation is set on a warning the clinician must confirm
    explicitly (the charge density cap) and has not confirmed yet.
    """

    rule: str
    level: Level
    figure: float
    limit: float
    unit: str
    message: str
    needs_confirmation: bool = False

    @property
    def fraction(self) -> float:
        """Share of the limit used (figure / limit); 1.0 or more means at or past it."""
        if self.limit:
            return self.figure / self.limit
        return math.inf if self.figure > 0 else 0.0

    @property
    def approaching(self) -> bool:
        """True when the rule passes but the figure is within its amber band."""
        threshold = APPROACH_FRACTION.get(self.rule)
        return self.level == Level.OK and threshold is not None and self.fraction >= threshold


@dataclass(frozen=True)
class Assessment:
    """All rules' verdicts for one lead setting."""

    checks: tuple[Check, ...]

    @property
    def level(self) -> Level:
        return max((c.level for c in self.checks), default=Level.OK)

    @property
    def refusals(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level == Level.REFUSE)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level == Level.WARN)

    @property
    def approaching(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.approaching)

    @property
    def needs_confirmation(self) -> bool:
        return any(c.needs_confirmation for c in self.checks)

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)

    def allowed(self, density_confirmed: bool = False) -> bool:
        """May this setting be sent? Never with a refusal; a pending confirmation needs one."""
        if self.refusals:
            return False
        return density_confirmed or not self.needs_confirmation


# --- steps and rounding -------------------------------------------------------


@cache
def grid(caps: Capabilities, parameter: Parameter) -> tuple[int, ...]:
    """Every value the device accepts for `parameter`, ascending."""
    if parameter == "amplitude":
        values, lower = [0], 0
        for band in caps.amplitude_bands:
            values.extend(range(lower + band.step_ua, band.upper_ua + 1, band.step_ua))
            lower = band.upper_ua
        return tuple(values)
    if parameter == "pulse_width":
        return tuple(range(caps.pulse_width_min_us, caps.pulse_width_max_us + 1, caps.pulse_width_step_us))
    if parameter == "frequency":
        return tuple(range(caps.frequency_min_hz, caps.frequency_max_hz + 1, caps.frequency_step_hz))
    raise ValueError(f"unknown parameter {parameter!r}")


def round_to_device(caps: Capabilities, parameter: Parameter, value: float, direction: Direction = "nearest") -> int:
    """The accepted value next to `value`, clamped to the range; ties go to the lower value."""
    values = grid(caps, parameter)
    above = values[min(bisect_left(values, value), len(values) - 1)]
    below = values[max(bisect_right(values, value) - 1, 0)]
    if direction == "down":
        return below
    if direction == "up":
        return above
    if direction == "nearest":
        return above if above - value < value - below else below
    raise ValueError(f"unknown rounding direction {direction!r}")


def round_amplitude(caps: Capabilities, ua: float, direction: Direction = "nearest") -> int:
    return round_to_device(caps, "amplitude", ua, direction)


def round_pulse_width(caps: Capabilities, us: float, direction: Direction = "nearest") -> int:
    return round_to_device(caps, "pulse_width", us, direction)


def round_frequency(caps: Capabilities, hz: float, direction: Direction = "nearest") -> int:
    return round_to_device(caps, "frequency", hz, direction)


# --- figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeFigures:
    """Charge figures of one lead setting, judged on the most loaded contact.

    The whole current may flow through one contact: contacts of one
    polarity share it by their impedances, and any of them may be open or
    intermittent (the tissue the device models does both). So the worst
    contact carries the lead's full charge per phase; more contacts never
    lower the figure. The device judges the same way (drivers/sim/limits.py).
    """

    charge_uc: float  # Q = I x PW, whole lead, per phase
    worst_contact_uc: float  # the charge one contact may carry: all of it
    worst_contacts: tuple[int, ...]  # the contacts that may carry it: the side with fewer contacts
    density_uc_cm2: float  # worst-contact charge over one contact's area
    shannon_k: float  # log10(D) + log10(Q); -inf at zero charge
    shannon_max_uc: float  # Q at which k reaches the device's limit: sqrt(A * 10^k)


def charge_figures(caps: Capabilities, config: LeadConfig) -> ChargeFigures:
    charge = config.amplitude_ua * config.pulse_width_us / 1e6
    sides = [side for side in (config.cathodes, config.anodes) if side]
    worst_contacts = min(sides, key=len) if sides else ()
    density = charge / caps.contact_area_cm2
    k = math.log10(density) + math.log10(charge) if charge > 0 else -math.inf
    q_max = math.sqrt(caps.contact_area_cm2 * 10**caps.shannon_k_limit)
    return ChargeFigures(charge, charge, worst_contacts, density, k, q_max)


def _contacts_phrase(figures: ChargeFigures) -> str:
    contacts = figures.worst_contacts
    if len(contacts) == 1:
        return f"contact {contacts[0]}, which carries the whole current"
    if contacts:
        return f"any one of contacts {', '.join(map(str, contacts))}, if the others read open"
    return "one contact"


# --- rules --------------------------------------------------------------------------

_UNITS = {"amplitude": "µA", "pulse_width": "µs", "frequency": "Hz"}


def _on_grid_check(caps: Capabilities, rule: str, parameter: Parameter, value: int, label: str) -> Check:
    values = grid(caps, parameter)
    unit = _UNITS[parameter]
    lo, hi = values[0], values[-1]
    if not lo <= value <= hi:
        level, text = Level.REFUSE, f"{label} {value} {unit} is outside the device range {lo}-{hi} {unit}."
    elif value not in values:
        below, above = (round_to_device(caps, parameter, value, d) for d in ("down", "up"))
        level, text = (
            Level.REFUSE,
            (f"{label} {value} {unit} is not a value the device accepts; the nearest are {below} and {above} {unit}."),
        )
    else:
        level, text = Level.OK, f"{label} {value} {unit} is within the device range {lo}-{hi} {unit}."
    return Check(rule, level, float(value), float(hi), unit, text)


def _contacts_check(caps: Capabilities, config: LeadConfig) -> Check:
    n_an, n_ca = len(config.anodes), len(config.cathodes)
    pairs = float(min(n_an, n_ca))
    if len(config.contacts) != caps.contacts_per_lead:
        return Check(
            Rule.CONTACTS,
            Level.REFUSE,
            float(len(config.contacts)),
            float(caps.contacts_per_lead),
            "contacts",
            f"Lead {config.lead} lists {len(config.contacts)} contacts but the device "
            f"has {caps.contacts_per_lead} per lead.",
        )
    if (config.amplitude_ua > 0 or config.enabled) and pairs < 1:
        return Check(
            Rule.CONTACTS,
            Level.REFUSE,
            pairs,
            1.0,
            "anode/cathode pairs",
            f"Lead {config.lead} needs at least one anode (+) and one cathode (-) "
            "before its amplitude is raised or it is enabled.",
        )
    return Check(
        Rule.CONTACTS,
        Level.OK,
        pairs,
        1.0,
        "anode/cathode pairs",
        f"Lead {config.lead} has {n_an} anode(s) and {n_ca} cathode(s).",
    )


def _patient_max_check(config: LeadConfig) -> Check:
    amp, cap = config.amplitude_ua, config.patient_max_ua
    if amp > cap:
        level, text = (
            Level.REFUSE,
            (f"Amplitude {amp} µA is above this lead's patient maximum of {cap} µA; raise the patient maximum first."),
        )
    else:
        level, text = Level.OK, f"Amplitude {amp} µA is within this lead's patient maximum of {cap} µA."
    return Check(Rule.PATIENT_MAX, level, float(amp), float(cap), "µA", text)


def _shannon_check(caps: Capabilities, figures: ChargeFigures) -> Check:
    k_limit, q, q_max = caps.shannon_k_limit, figures.worst_contact_uc, figures.shannon_max_uc
    if figures.shannon_k >= k_limit:
        level, text = (
            Level.REFUSE,
            (
                f"Charge {q:.2f} µC/phase on {_contacts_phrase(figures)} gives Shannon k {figures.shannon_k:.2f}, "
                f"at or above the tissue-damage limit k {k_limit:.2f} ({q_max:.2f} µC/phase); "
                "lower the amplitude or pulse width."
            ),
        )
    else:
        level, text = (
            Level.OK,
            (
                f"Charge {q:.2f} µC/phase on {_contacts_phrase(figures)} is below the Shannon limit "
                f"of {q_max:.2f} µC/phase (k {k_limit:.2f})."
            ),
        )
    return Check(Rule.SHANNON, level, q, q_max, "µC/phase", text)


def _density_check(figures: ChargeFigures, density_confirmed: bool) -> Check:
    d, cap = figures.density_uc_cm2, CHARGE_DENSITY_WARN_UC_PER_CM2
    over = d > cap
    if not over:
        level, text = Level.OK, f"Charge density {d:.1f} µC/cm²/phase is within the {cap:g} µC/cm² warning cap."
    elif density_confirmed:
        level, text = (
            Level.WARN,
            (
                f"Charge density {d:.1f} µC/cm²/phase is above the {cap:g} µC/cm² warning cap; "
                "the clinician confirmed it."
            ),
        )
    else:
        level, text = (
            Level.WARN,
            (f"Charge density {d:.1f} µC/cm²/phase is above the {cap:g} µC/cm² warning cap; confirm to continue."),
        )
    return Check(
        Rule.CHARGE_DENSITY, level, d, cap, "µC/cm²/phase", text, needs_confirmation=over and not density_confirmed
    )


def _compliance_check(caps: Capabilities, config: LeadConfig, impedance_ohm: int) -> Check:
    volts, limit = config.amplitude_ua * impedance_ohm / 1e6, caps.compliance_v
    headroom = limit - volts
    if volts > limit:
        level, text = (
            Level.WARN,
            (
                f"Output needs {volts:.1f} V at {impedance_ohm} Ω, {-headroom:.1f} V above the "
                f"{limit:.1f} V compliance; the lead cannot deliver the full current."
            ),
        )
    else:
        level, text = (
            Level.OK,
            (
                f"Output needs {volts:.1f} V at {impedance_ohm} Ω, within the {limit:.1f} V compliance "
                f"({headroom:.1f} V headroom)."
            ),
        )
    return Check(Rule.COMPLIANCE, level, volts, limit, "V", text)


def evaluate(
    caps: Capabilities,
    config: LeadConfig,
    impedance_ohm: int | None = None,
    density_confirmed: bool = False,
) -> Assessment:
    """Judge one lead setting against every rule.

    impedance_ohm is the lead's last measured impedance; without it the
    compliance rule is left out (the device requires a measurement anyway).
    density_confirmed records that the clinician already accepted a charge
    density above the warning cap; the caller keeps that record.
    """
    figures = charge_figures(caps, config)
    checks = [
        _on_grid_check(caps, Rule.AMPLITUDE_RANGE, "amplitude", config.amplitude_ua, "Amplitude"),
        _on_grid_check(caps, Rule.PULSE_WIDTH_RANGE, "pulse_width", config.pulse_width_us, "Pulse width"),
        _on_grid_check(caps, Rule.FREQUENCY_RANGE, "frequency", config.frequency_hz, "Frequency"),
        _on_grid_check(caps, Rule.PATIENT_MAX_RANGE, "amplitude", config.patient_max_ua, "Patient maximum"),
        _patient_max_check(config),
        _contacts_check(caps, config),
        _shannon_check(caps, figures),
        _density_check(figures, density_confirmed),
    ]
    if impedance_ohm is not None:
        checks.append(_compliance_check(caps, config, impedance_ohm))
    return Assessment(tuple(checks))


def max_safe_amplitude(caps: Capabilities, config: LeadConfig, impedance_ohm: int | None = None) -> int:
    """Largest accepted amplitude for this lead with no refusal and no warning.

    Below the density cap and inside compliance; 0 when no positive amplitude
    qualifies. Every rule only tightens as amplitude rises, so a bisection
    over the device's amplitude values finds the boundary.
    """
    values = grid(caps, "amplitude")

    def clean(ua: int) -> bool:
        return evaluate(caps, config.with_(amplitude_ua=ua), impedance_ohm).level == Level.OK

    first_unclean = bisect_left(values, True, key=lambda ua: not clean(ua))
    return values[first_unclean - 1] if first_unclean > 0 else 0


# --- live ramp ----------------------------------------------------------------------


def next_ramp_step(caps: Capabilities, current_ua: int, target_ua: int, elapsed_s: float) -> int:
    """Next amplitude to send while ramping from `current_ua` towards `target_ua`.

    elapsed_s is the time since the amplitude last changed (not since the
    last tick): a rise is held back until enough time has passed for at
    least one device step. Rises stop at the target rounded down; falls go
    at once to the target rounded up (never below it).
    """
    if elapsed_s < 0:
        raise ValueError("elapsed_s must not be negative")
    if target_ua <= current_ua:
        return min(round_amplitude(caps, target_ua, "up"), round_amplitude(caps, current_ua, "down"))
    rise = min(RAMP_MAX_STEP_MULTIPLE * caps.amplitude_step_at(current_ua), RAMP_RATE_UA_PER_S * elapsed_s)
    return round_amplitude(caps, min(target_ua, current_ua + rise), "down")
