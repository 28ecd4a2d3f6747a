"""Reading what the clinician typed into a numeric field, with a sentence for every refusal.

Typed values are never moved silently: an off-step pulse width, frequency or
patient maximum is refused with the nearest accepted values. Only an
amplitude is rounded, always down (never above what was asked), and the
panel announces the rounded value before it sends anything. A number
without a unit is read in the unit the field displays: the amplitude field
displays mA, so a bare "1.5" is 1.5 mA (1500 µA); the patient maximum,
pulse width and frequency fields display µA, µs and Hz. Qt-free, so the
rules are tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from drivers.types import Capabilities
from workstation.safety import Parameter, grid, round_to_device


@dataclass(frozen=True)
class _Units:
    """The device unit of a parameter and the unit words a clinician may type after the number."""

    unit: str  # the unit named in messages: the field's own
    factors: Mapping[str, int]  # typed word (lower case, "" for none) -> factor to the device unit
    accepted: str
    example: str
    shown: str = ""  # unit the field displays (a key of factors): a bare number is read in it


_UNITS: Mapping[str, _Units] = {
    "amplitude": _Units("µA", {"": 1, "µa": 1, "ua": 1, "ma": 1000}, "µA or mA", "1250 or 1.25 mA"),
    # the amplitude entry: its readout displays mA, so a bare number is in mA
    "amplitude_ma": _Units("mA", {"µa": 1, "ua": 1, "ma": 1000}, "mA or µA", "1.25 or 1250 µA", "ma"),
    "pulse_width": _Units("µs", {"": 1, "µs": 1, "us": 1}, "µs", "300"),
    "frequency": _Units("Hz", {"": 1, "hz": 1}, "Hz", "20"),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\d\s.]*)$")


class InputError(ValueError):
    """Typed text that cannot be sent; the message is the sentence to show next to the field."""


def fmt(value: float) -> str:
    """A number as the clinician would write it: 1010, 1010.5."""
    return f"{value:g}" if value != int(value) else str(int(value))


def unit_of(parameter: Parameter) -> str:
    return _UNITS[parameter].unit


def parse_quantity(text: str, parameter: Parameter, label: str, field: str | None = None) -> float:
    """The typed number in the device unit (µA, µs, Hz); InputError says what is wrong.

    `field` names the unit table of the field typed into (default: the parameter's, whose
    bare numbers are in the device unit); "amplitude_ma" reads a bare number in mA."""
    units = _UNITS[field or parameter]
    unit, example = units.unit, units.example
    typed = text.strip().replace("μ", "µ")  # Greek mu typed for the micro sign
    if not typed:
        raise InputError(f"Type the {label.lower()} in {unit}, e.g. {example}.")
    match = _QUANTITY.match(typed)
    if match is None:
        raise InputError(f"“{text.strip()}” is not a number: type the {label.lower()} in {unit}, e.g. {example}.")
    word = match[2].lower() or units.shown
    factor = units.factors.get(word)
    if factor is None:
        raise InputError(
            f"“{text.strip()}” is not a {label.lower()} in {units.accepted}: type a number, e.g. {example}."
        )
    return float(Decimal(match[1]) * factor)  # decimal: 1.025 mA is exactly 1025 µA


def _check_range(caps: Capabilities, parameter: Parameter, value: float, label: str, per_ma: bool = False) -> None:
    """InputError unless the device accepts `value` (device unit); `per_ma` says it in mA, as a field
    that displays mA must, not in the µA beside its "Limit: … mA"."""
    values = grid(caps, parameter)
    if not values[0] <= value <= values[-1]:
        scale, unit = (1000, "mA") if per_ma else (1, unit_of(parameter))
        low, high, typed = (fmt(v / scale) for v in (values[0], values[-1], value))
        raise InputError(f"{label} {typed} {unit} is outside {low}-{high} {unit}.")


def parse_setting(caps: Capabilities, parameter: Parameter, text: str, label: str) -> int:
    """A value the device accepts exactly as typed, or InputError naming the nearest accepted values."""
    value = parse_quantity(text, parameter, label)
    _check_range(caps, parameter, value, label)
    below = round_to_device(caps, parameter, value, "down")
    if below != value:
        above, unit = round_to_device(caps, parameter, value, "up"), unit_of(parameter)
        raise InputError(f"{fmt(value)} {unit} is between steps; nearest {below} or {above} {unit}.")
    return below


@dataclass(frozen=True)
class AmplitudeEntry:
    """A typed amplitude, the device value it becomes (rounded down) and the step above it."""

    typed_ua: float
    value_ua: int
    above_ua: int

    @property
    def rounded(self) -> bool:
        return self.value_ua != self.typed_ua

    def announcement(self) -> str:
        return (
            f"{fmt(self.typed_ua / 1000)} mA is between steps; nearest {self.value_ua / 1000:.3f} or "
            f"{self.above_ua / 1000:.3f} mA. Press Set again to send {self.value_ua / 1000:.3f} mA, rounded down."
        )


def parse_amplitude(caps: Capabilities, text: str) -> AmplitudeEntry:
    """A typed amplitude as the amplitude entry reads it: a bare number in mA (the unit the
    field displays), or with its unit, mA or µA."""
    typed = parse_quantity(text, "amplitude", "Amplitude", "amplitude_ma")
    _check_range(caps, "amplitude", typed, "Amplitude", per_ma=True)
    return AmplitudeEntry(typed, *(round_to_device(caps, "amplitude", typed, d) for d in ("down", "up")))
