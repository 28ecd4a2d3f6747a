"""The programmer's three increment sizes (small, medium, large) per parameter.

Sizes are multiples of the device's own step (Axium Clinical Programmer,
drg-programming-facts.md): amplitude 1/2/8 steps gives 25/50/200 µA below
2 mA and 50/100/400 µA above; pulse width 1/4/10 steps gives 10/40/100 µs;
frequency 1/2/5 steps gives 2/4/10 Hz. No µA, µs or Hz figure lives here.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Literal, Mapping

from drivers.types import Capabilities
from workstation.safety import Parameter, round_to_device

Move = Literal["up", "down"]

STEP_MULTIPLES: Mapping[str, tuple[int, int, int]] = MappingProxyType({
    "amplitude": (1, 2, 8),
    "pulse_width": (1, 4, 10),
    "frequency": (1, 2, 5),
})


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
