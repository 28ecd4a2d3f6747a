"""The programmer's three increment sizes (small, medium, large) per parameter.

Sizes are multiples of the device's own step (Axium Clinical Programmer,
drg-programming-facts.md): amplitude 1/2/8 steps gives 25/50/200 µA below
2 mA and 50/100/400 µA above; pulse width 1/4/10 steps gives 10/40/100 µs;
frequency 1/2/5 steps gives 2/4/10 Hz. No µA, µs or Hz figure lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, cast

from drivers.types import Capabilities, LeadConfig
from workstation.safety import Parameter, round_to_device

Move = Literal["up", "down"]

STEP_MULTIPLES: Mapping[str, tuple[int, int, int]] = MappingProxyType(
    {
        "amplitude": (1, 2, 8),
        "pulse_width": (1, 4, 10),
        "frequency": (1, 2, 5),
    }
)


def _device_step(caps: Capabilities, parameter: Parameter, value: int, move: Move) -> int:
    if parameter == "amplitude":
        # At a band boundary the step above differs from the step below.
        return caps.amplitude_step_at(value + 1 if move == "up" else value)
    if parameter == "pulse_width":
        return caps.pulse_width_step_us
    if parameter == "frequency":
        return caps.frequency_step_hz
    raise ValueError(f"unknown parameter {parameter!r}")


def increments(caps: Capabilities, parameter: Parameter, value: int, move: Move = "up") -> tuple[int, int, int]:
    """Small, medium and large increment for `parameter` moving `move` from `value`."""
    if move not in ("up", "down"):
        raise ValueError(f"unknown move {move!r}")
    step = _device_step(caps, parameter, value, move)
    small, medium, large = (m * step for m in STEP_MULTIPLES[parameter])
    return small, medium, large


def apply_increment(caps: Capabilities, parameter: Parameter, value: int, size: int, move: Move) -> int:
    """`value` moved by increment `size` (0, 1, 2), on a device step and in range.

    A move that lands between steps (crossing an amplitude band) stops at the
    step short of it, so it never moves further than the chosen increment.
    """
    delta = increments(caps, parameter, value, move)[size]
    if move == "up":
        return round_to_device(caps, parameter, value + delta, "down")
    return round_to_device(caps, parameter, value - delta, "up")


def largest_step(caps: Capabilities, parameter: Parameter, value: int) -> int:
    """One large increment up from `value`: the most one command may raise a live setting by."""
    return increments(caps, parameter, value, "up")[-1]


def step_too_large(caps: Capabilities, live: LeadConfig, new: LeadConfig) -> str | None:
    """Why `new` may not replace `live` in one command, or None.

    On a lead that delivers output, pulse width and frequency may rise by at
    most one large increment per command (amplitude rises go through the
    ramp): a bigger jump goes live at once, so it is refused with "apply
    step by step". A lead that delivers nothing may take any valid setting.
    """
    if not live.delivering or not new.delivering:
        return None
    for parameter, field, label, unit in (
        ("pulse_width", "pulse_width_us", "pulse width", "µs"),
        ("frequency", "frequency_hz", "frequency", "Hz"),
    ):
        before, after = getattr(live, field), getattr(new, field)
        largest = largest_step(caps, cast(Parameter, parameter), before)
        if after - before > largest:
            return (
                f"Lead {new.lead} is on: raising its {label} from {before} to {after} {unit} at once would "
                f"go live in one jump. Apply it step by step, at most {largest} {unit} at a time."
            )
    return None
