"""Typed values exchanged with a pulse generator.

Units are fixed by the wire protocol (docs/protocol.md): amplitude in µA,
pulse width in µs, frequency in Hz, voltage in mV, impedance in Ω. Every
range, step and model value comes from the device's Capabilities, never
from constants on the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

import numpy as np


class Polarity(IntEnum):
    """State of one contact: off, anode (+) or cathode (-)."""

    OFF = 0
    ANODE = 1
    CATHODE = 2

    @property
    def symbol(self) -> str:
        return {Polarity.OFF: "off", Polarity.ANODE: "+", Polarity.CATHODE: "-"}[self]


class BatteryState(IntEnum):
    """Primary-cell life: OK, elective replacement indicator, end of service."""

    OK = 0
    ERI = 1
    EOS = 2


class ImpedanceMode(IntEnum):
    LEAD_PAIR = 0  # each lead on its configured anode/cathode pair
    CONTACT_TO_CASE = 1  # each contact against the generator case
    CONTACT_PAIRS = 2  # every pair of contacts on each lead


CASE = 0  # contact number that stands for the generator case


@dataclass(frozen=True)
class Identity:
    model: str
    serial: str
    firmware: str
    hardware_rev: str


@dataclass(frozen=True)
class AmplitudeBand:
    """Amplitudes up to `upper_ua` (inclusive) move in steps of `step_ua`."""

    upper_ua: int
    step_ua: int


@dataclass(frozen=True)
class Capabilities:
    """What the device can do, as it reports it (BrainFlow-style data)."""

    lead_count: int
    contacts_per_lead: int
    amplitude_bands: tuple[AmplitudeBand, ...]
    pulse_width_min_us: int
    pulse_width_max_us: int
    pulse_width_step_us: int
    pulse_width_default_us: int
    frequency_min_hz: int
    frequency_max_hz: int
    frequency_step_hz: int
    frequency_default_hz: int
    contact_area_um2: int  # 0.0393 cm² = 3,930,000 µm²
    compliance_mv: int
    shannon_k_limit_x100: int  # the device refuses k >= this / 100
    telemetry_max_rate_hz: int
    watchdog_ms: int
    impedance_short_ohm: int
    impedance_open_ohm: int

    @property
    def amplitude_max_ua(self) -> int:
        return self.amplitude_bands[-1].upper_ua

    @property
    def contact_area_cm2(self) -> float:
        return self.contact_area_um2 / 1e8

    @property
    def compliance_v(self) -> float:
        return self.compliance_mv / 1000

    @property
    def shannon_k_limit(self) -> float:
        return self.shannon_k_limit_x100 / 100

    def amplitude_step_at(self, amplitude_ua: int) -> int:
        """Step size of the band holding `amplitude_ua` (the lower band wins at a boundary)."""
        for band in self.amplitude_bands:
            if amplitude_ua <= band.upper_ua:
                return band.step_ua
        return self.amplitude_bands[-1].step_ua

    def amplitude_on_step(self, amplitude_ua: int) -> bool:
        lower = 0
        for band in self.amplitude_bands:
            if amplitude_ua <= band.upper_ua:
                return (amplitude_ua - lower) % band.step_ua == 0
            lower = band.upper_ua
        return False


@dataclass(frozen=True)
class BatteryStatus:
    voltage_mv: int
    percent: int
    state: BatteryState


@dataclass(frozen=True)
class LeadConfig:
    """One lead's settings as stored in the device. `lead` counts from 1."""

    lead: int
    contacts: tuple[Polarity, ...]
    amplitude_ua: int = 0
    pulse_width_us: int = 40
    frequency_hz: int = 60
    enabled: bool = False
    patient_max_ua: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "contacts", tuple(Polarity(c) for c in self.contacts))

    @property
    def anodes(self) -> tuple[int, ...]:
        return tuple(i + 1 for i, c in enumerate(self.contacts) if c == Polarity.ANODE)

    @property
    def cathodes(self) -> tuple[int, ...]:
        return tuple(i + 1 for i, c in enumerate(self.contacts) if c == Polarity.CATHODE)

    def with_(self, **changes: Any) -> LeadConfig:
        return replace(self, **changes)

    @property
    def delivering(self) -> bool:
        return self.enabled and self.amplitude_ua > 0

    def delivers_more_than(self, before: LeadConfig) -> bool:
        """On from off, more charge per phase, a higher rate or other contacts while on:
        a change that must ramp or be asked for, never happen by itself."""
        if not self.delivering:
            return False
        if not before.delivering:
            return True
        return (
            self.amplitude_ua * self.pulse_width_us > before.amplitude_ua * before.pulse_width_us
            or self.frequency_hz > before.frequency_hz
            or self.contacts != before.contacts
        )


@dataclass(frozen=True)
class Program:
    """A named set of lead settings, one per lead, written atomically."""

    name: str
    leads: tuple[LeadConfig, ...]


@dataclass(frozen=True)
class ImpedanceMeasurement:
    """Impedance between two contacts of one lead; contact_b == CASE for the case."""

    lead: int
    contact_a: int
    contact_b: int
    ohms: int


@dataclass(frozen=True)
class ImpedanceResult:
    mode: ImpedanceMode
    measurements: tuple[ImpedanceMeasurement, ...]


class EventCode(IntEnum):
    """Entries of the device's own event log."""

    POWER_ON = 1
    LEAD_WRITTEN = 2
    AMPLITUDE_SET = 3
    STIM_ON = 4
    STIM_OFF = 5
    STOP_ALL = 6
    PROGRAM_COMMITTED = 7
    PROGRAM_REJECTED = 8
    IMPEDANCE_MEASURED = 9
    SHORT_DETECTED = 10
    WATCHDOG_RESTORE = 11
    COMMAND_REFUSED = 12
    BATTERY_STATE = 13
    # 14-31 left free for other additive event codes; self-test and later field tools from 32
    SELF_TEST = 32  # value: bit (check - 1) set for each check that did not pass
    # 40-49: the authenticated link (docs/protocol.md §7)
    AUTH_REFUSED = 40  # lead: message type; value: AuthRefusal reason
    PAIRING_STARTED = 41  # value: the pending key's id (first 4 bytes, big-endian)
    PAIRED = 42  # confirmed on the device; value: key id
    SESSION_OPENED = 43  # value: key id


class SelfTestItem(IntEnum):
    """What the device's self-test checks (docs/protocol.md, SELF_TEST)."""

    OUTPUT_STAGE = 1  # a test pulse into the internal load: µA delivered
    MEASUREMENT_PATH = 2  # the internal reference resistor as the impedance path reads it: Ω
    BATTERY = 3  # cell voltage: mV
    MEMORY = 4  # CRC-32 of the stored program recomputed, against the CRC stored with it
    CLOCK = 5  # main clock against the independent watchdog oscillator: |drift| in ppm


class SelfTestResult(IntEnum):
    PASS = 0
    WARN = 1  # works, but needs attention (battery at ERI)
    FAIL = 2


SELF_TEST_UNITS = {
    SelfTestItem.OUTPUT_STAGE: "µA",
    SelfTestItem.MEASUREMENT_PATH: "Ω",
    SelfTestItem.BATTERY: "mV",
    SelfTestItem.MEMORY: "CRC-32",
    SelfTestItem.CLOCK: "ppm",
}


@dataclass(frozen=True)
class SelfTestCheck:
    """One line of the self-test: what was measured against the range it must lie in."""

    check: SelfTestItem
    result: SelfTestResult
    measured: int
    expected_min: int
    expected_max: int
    detail: str

    @property
    def unit(self) -> str:
        return SELF_TEST_UNITS.get(self.check, "")

    @property
    def passed(self) -> bool:
        return self.result is not SelfTestResult.FAIL


@dataclass(frozen=True)
class SelfTestReport:
    checks: tuple[SelfTestCheck, ...]

    @property
    def passed(self) -> bool:
        """No check failed (a warning still passes)."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[SelfTestCheck, ...]:
        return tuple(c for c in self.checks if c.result is SelfTestResult.FAIL)


@dataclass(frozen=True)
class DeviceEvent:
    index: int
    time_ms: int
    code: EventCode
    lead: int
    value: int


@dataclass(frozen=True, eq=False)
class TelemetryBlock:
    """A run of samples for the streamed leads.

    current_ua and voltage_mv have shape (len(leads), n) and dtype int16.
    first_sample counts samples since the stream started, so gaps show.
    """

    first_sample: int
    rate_hz: int
    leads: tuple[int, ...]
    current_ua: np.ndarray = field(repr=False)
    voltage_mv: np.ndarray = field(repr=False)

    @property
    def n_samples(self) -> int:
        return int(self.current_ua.shape[1]) if self.current_ua.ndim == 2 else 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TelemetryBlock):
            return NotImplemented
        return (
            (self.first_sample, self.rate_hz, self.leads) == (other.first_sample, other.rate_hz, other.leads)
            and np.array_equal(self.current_ua, other.current_ua)
            and np.array_equal(self.voltage_mv, other.voltage_mv)
        )


@dataclass(frozen=True)
class CaptureCapabilities:
    """What the device's pulse capture can do (CAPTURE_CAPABILITIES), and the output stage's
    fixed interphase gap, which a captured pulse is compared against: capabilities as data."""

    rate_min_hz: int
    rate_max_hz: int
    max_samples: int  # per channel, pre-trigger included
    trigger_timeout_ms: int  # the longest the device waits for a pulse onset (one slowest period)
    interphase_us: int  # gap between the cathodic phase and the passive recharge

    @property
    def finest_us(self) -> float:
        """Sample period at the highest rate: the scope's resolution."""
        return 1e6 / self.rate_max_hz


@dataclass(frozen=True)
class CaptureRequest:
    """One triggered capture: `samples` per channel at `rate_hz`, `pre_samples` of them before
    the onset of the lead's next pulse."""

    lead: int
    rate_hz: int
    samples: int
    pre_samples: int


@dataclass(frozen=True, eq=False)
class PulseCapture:
    """One lead's output around one pulse onset, sampled at `rate_hz`.

    Sample `pre_samples` is the onset when `triggered`; untriggered (the lead delivered no
    pulse within the trigger timeout: off, at 0 µA, or stopped while the device waited) the
    window is what the output carried then. `config` holds the settings the pulse was
    delivered with. current_ua and voltage_mv are int16 of one length.
    """

    rate_hz: int
    pre_samples: int
    triggered: bool
    config: LeadConfig
    current_ua: np.ndarray = field(repr=False)
    voltage_mv: np.ndarray = field(repr=False)

    @property
    def lead(self) -> int:
        return self.config.lead

    @property
    def n_samples(self) -> int:
        return int(self.current_ua.shape[0])

    def times_us(self) -> np.ndarray:
        """Time of every sample relative to the onset, µs."""
        result: np.ndarray = (np.arange(self.n_samples, dtype=np.float64) - self.pre_samples) * (1e6 / self.rate_hz)
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PulseCapture):
            return NotImplemented
        return (
            (self.rate_hz, self.pre_samples, self.triggered, self.config)
            == (other.rate_hz, other.pre_samples, other.triggered, other.config)
            and np.array_equal(self.current_ua, other.current_ua)
            and np.array_equal(self.voltage_mv, other.voltage_mv)
        )
