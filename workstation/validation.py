"""Every value that enters the service, checked before anything is sent or recorded.

The service API accepts only what the device grid accepts: an int that is
not a bool, in range and on its step; a real bool for a switch; a lead that
exists. Anything else (NaN, ±inf, a huge number, a float, a string, None, a
missing lead) raises InvalidValue, one error class that names the field, the
value and a sentence for the clinician. Nothing is coerced or rounded here:
rounding a typed value is the UI's job, announced before it sends.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TypeVar

from drivers.types import Capabilities, LeadConfig, Polarity, Program
from workstation.errors import ServiceError
from workstation.safety import Parameter, grid, round_to_device

PROGRAM_NAME_BYTES = 32  # the protocol's str(32)
DIAGNOSIS_MAX_ROUNDS = 10  # more repeats tell nothing new and hold the device for minutes
RECORD_ID_MAX = 2**63 - 1  # the records' BIGINT: a larger id names no record (and SQLite cannot bind it)
CAPTURE_MIN_BYTES = 4096  # drivers.capture.UsbCapture's smallest ring
CAPTURE_MAX_BYTES = 4096 * 1024 * 1024  # a bigger ring is a typo, not a plan (drg-field --max-mb)

_UNITS = {"amplitude": "µA", "pulse_width": "µs", "frequency": "Hz"}


E = TypeVar("E", bound=Enum)
T = TypeVar("T")


class InvalidValue(ServiceError, ValueError):
    """A value the service refuses before it reaches the device; nothing was sent."""

    def __init__(self, field: str, value: object, sentence: str) -> None:
        super().__init__(sentence)
        self.field, self.value, self.sentence = field, value, sentence

    @property
    def shown_value(self) -> str:
        """The value as text, safe for the records (NaN, objects and huge numbers alike)."""
        return repr(self.value)[:80]


def _integer(field: str, value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, value, f"{what} must be a whole number, not {_describe(value)}.")
    return value


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the switch value {value}"
    if isinstance(value, float):
        return f"{value!r}" if math.isfinite(value) else f"the non-number {value!r}"
    if value is None:
        return "nothing (None)"
    if isinstance(value, str):
        return f"the text {value[:20]!r}"
    return f"a {type(value).__name__}"


def lead_number(caps: Capabilities, lead: object, field: str = "lead") -> int:
    number = _integer(field, lead, "A lead number")
    if not 1 <= number <= caps.lead_count:
        raise InvalidValue(field, lead, f"There is no lead {number}: this device has leads 1 to {caps.lead_count}.")
    return number


def on_grid(caps: Capabilities, parameter: Parameter, value: object, field: str, label: str) -> int:
    """A value exactly on the device's grid for `parameter`."""
    number = _integer(field, value, label)
    values, unit = grid(caps, parameter), _UNITS[parameter]
    if not values[0] <= number <= values[-1]:
        raise InvalidValue(
            field, value, f"{label} {number} {unit} is outside the device range {values[0]}-{values[-1]} {unit}."
        )
    below = round_to_device(caps, parameter, number, "down")
    if below != number:
        above = round_to_device(caps, parameter, number, "up")
        raise InvalidValue(
            field,
            value,
            f"{label} {number} {unit} is between the device's steps; the nearest are {below} and {above} {unit}.",
        )
    return number


def switch(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(
            field, value, f"The {field} switch must be on (True) or off (False), not {_describe(value)}."
        )
    return value


def lead_config(caps: Capabilities, config: object) -> LeadConfig:
    """Every field of a lead's settings, as the device would accept it."""
    if not isinstance(config, LeadConfig):
        raise InvalidValue("config", config, f"Lead settings were expected, not {_describe(config)}.")
    lead_number(caps, config.lead)
    contacts = config.contacts
    if len(contacts) != caps.contacts_per_lead or not all(isinstance(c, Polarity) for c in contacts):
        raise InvalidValue(
            "contacts",
            contacts,
            f"Lead {config.lead} needs {caps.contacts_per_lead} contacts, each off, anode (+) or cathode (-).",
        )
    on_grid(caps, "amplitude", config.amplitude_ua, "amplitude_ua", "Amplitude")
    on_grid(caps, "pulse_width", config.pulse_width_us, "pulse_width_us", "Pulse width")
    on_grid(caps, "frequency", config.frequency_hz, "frequency_hz", "Frequency")
    on_grid(caps, "amplitude", config.patient_max_ua, "patient_max_ua", "Patient maximum")
    switch(config.enabled, "enabled")
    return config


def program(caps: Capabilities, value: object) -> Program:
    """A whole program: a name that fits the protocol and every lead exactly once."""
    if not isinstance(value, Program):
        raise InvalidValue("program", value, f"A program was expected, not {_describe(value)}.")
    program_name(value.name)
    configs = [lead_config(caps, config) for config in value.leads]
    numbers = sorted(config.lead for config in configs)
    if numbers != list(range(1, caps.lead_count + 1)):
        raise InvalidValue(
            "leads", numbers, f"A program holds each of leads 1 to {caps.lead_count} once, not {numbers}."
        )
    return value


def program_name(value: object) -> str:
    """A name the protocol can store: printable text of 1 to PROGRAM_NAME_BYTES bytes."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or not value.isprintable()
        or len(value.encode()) > PROGRAM_NAME_BYTES
    ):
        raise InvalidValue(
            "name",
            value,
            f"A program needs a printable name of 1 to {PROGRAM_NAME_BYTES} bytes, not {_describe(value)}.",
        )
    return value.strip()


def record_id(value: object, field: str) -> int:
    """The number of a record (a patient, a session): a whole number from 1."""
    number = _integer(field, value, f"The {field.replace('_', ' ')}")
    if not 1 <= number <= RECORD_ID_MAX:
        raise InvalidValue(
            field, value, f"The {field.replace('_', ' ')} counts from 1 to {RECORD_ID_MAX}, not {number}."
        )
    return number


def count(value: object, field: str) -> int:
    """A position in a sequence (an event's seq): a whole number from 0."""
    number = _integer(field, value, f"The {field}")
    if not 0 <= number <= RECORD_ID_MAX:
        raise InvalidValue(field, value, f"The {field} counts from 0 to {RECORD_ID_MAX}, not {number}.")
    return number


def text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field, value, f"The {field} must be text, not {_describe(value)}.")
    return value


def filled(value: object, field: str) -> str:
    """Text that names something (a printer, a file): not blank."""
    if not text(value, field).strip():
        raise InvalidValue(field, value, f"The {field} is blank; name it.")
    assert isinstance(value, str)  # text() checked it
    return value


def instance(kind: type[T], value: object, field: str) -> T:
    """A record of the expected kind (a Note, a LeadPlacement, ...)."""
    if not isinstance(value, kind):
        raise InvalidValue(field, value, f"A {kind.__name__} was expected, not {_describe(value)}.")
    return value


def member(kind: type[E], value: object, field: str) -> E:
    """One of an enumeration's members (an ImpedanceMode, say), not a bare number or text."""
    if not isinstance(value, kind):
        raise InvalidValue(
            field, value, f"The {field} must be one of {', '.join(m.name for m in kind)}, not {_describe(value)}."
        )
    return value


def telemetry_rate(caps: Capabilities, value: object) -> int:
    rate = _integer("rate_hz", value, "A telemetry rate")
    if not 1 <= rate <= caps.telemetry_max_rate_hz:
        raise InvalidValue(
            "rate_hz",
            value,
            f"A telemetry rate of {rate} Hz is outside the device's 1-{caps.telemetry_max_rate_hz} Hz.",
        )
    return rate


def leads(caps: Capabilities, values: Iterable[object] | None) -> tuple[int, ...]:
    """Lead numbers that exist, in the order given; None means every lead."""
    if values is None:
        return tuple(range(1, caps.lead_count + 1))
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidValue("leads", values, f"A list of lead numbers was expected, not {_describe(values)}.")
    return tuple(lead_number(caps, lead) for lead in values)


def capture_size(value: object) -> int | None:
    """A USB capture ring in bytes, or None for the default size."""
    if value is None:
        return None
    size = _integer("max_bytes", value, "A capture size")
    if not CAPTURE_MIN_BYTES <= size <= CAPTURE_MAX_BYTES:
        raise InvalidValue(
            "max_bytes",
            value,
            f"A capture of {size} bytes is outside {CAPTURE_MIN_BYTES} bytes to {CAPTURE_MAX_BYTES // 2**20} MB.",
        )
    return size


def path(value: object, field: str = "path") -> str:
    """A file name to write: text or a path, not empty."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise InvalidValue(field, value, f"A file name was expected, not {_describe(value)}.")
    return value


def callback(value: object, field: str, optional: bool = True) -> Callable[..., object] | None:
    """A function the service calls back (progress, the clinician's answer); None when optional."""
    if not callable(value) and not (optional and value is None):
        raise InvalidValue(field, value, f"The {field} must be a function or nothing, not {_describe(value)}.")
    return value


def cancel_flag(value: object) -> threading.Event | None:
    """An optional threading.Event that cancels between steps."""
    if value is not None and not isinstance(value, threading.Event):
        raise InvalidValue("cancel", value, f"The cancel flag must be a threading.Event, not {_describe(value)}.")
    return value


def rounds(value: object) -> int:
    """How many rounds of readings a lead diagnosis takes."""
    number = _integer("rounds", value, "The number of rounds")
    if not 1 <= number <= DIAGNOSIS_MAX_ROUNDS:
        raise InvalidValue(
            "rounds", value, f"Diagnose with 1 to {DIAGNOSIS_MAX_ROUNDS} rounds of readings, not {number}."
        )
    return number
