"""Clinical records of a programming visit, as immutable values.

Lead settings and programs are the driver's own types (drivers.types.LeadConfig
and Program): what is recorded is exactly what was written to the device.
Every constructor checks its values and raises ValueError with a sentence the
clinician can act on, so nothing inconsistent reaches the records store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, IntEnum

from drivers.types import Capabilities, Identity, Polarity

MAX_LEADS = 4  # leads per patient (Axium Clinical Programmer MN20700-03)


class SpinalLevel(IntEnum):
    """Dorsal root ganglion levels a DRG lead is placed at, in cranio-caudal order."""

    T10 = 1
    T11 = 2
    T12 = 3
    L1 = 4
    L2 = 5
    L3 = 6
    L4 = 7
    L5 = 8
    S1 = 9
    S2 = 10

    @classmethod
    def of(cls, value: SpinalLevel | str | int) -> SpinalLevel:
        """The level named ("L4") or numbered; ValueError for anything else."""
        try:
            return cls[value] if isinstance(value, str) else cls(value)
        except (KeyError, ValueError):
            raise ValueError(f"{value!r} is not a DRG spinal level (T10 to S2).") from None


class Side(str, Enum):
    LEFT = "LEFT"
    RIGHT = "RIGHT"


class Sensation(str, Enum):
    """What the patient reports feeling from a lead; NONE means paresthesia-free."""

    TINGLING = "TINGLING"
    BUZZING = "BUZZING"
    PRESSURE = "PRESSURE"
    WARMTH = "WARMTH"
    PULSING = "PULSING"
    PAIN = "PAIN"
    NONE = "NONE"


class PainTiming(str, Enum):
    """Whether a pain score was taken before or after the programming."""

    BEFORE = "BEFORE"
    AFTER = "AFTER"


class SessionState(str, Enum):
    """OPEN: created, nothing recorded yet; ACTIVE: recording; CLOSED: read-only."""

    OPEN = "OPEN"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


class ImpedanceClass(str, Enum):
    SHORT = "SHORT"
    NORMAL = "NORMAL"
    OPEN = "OPEN"


def _require(condition: bool, sentence: str) -> None:
    if not condition:
        raise ValueError(sentence)


def _check_lead(lead: int, what: str) -> None:
    _require(
        isinstance(lead, int) and 1 <= lead <= MAX_LEADS,
        f"{what} must be a lead number from 1 to {MAX_LEADS}, not {lead!r}.",
    )


@dataclass(frozen=True)
class Patient:
    id: int
    name: str
    date_of_birth: date
    record_number: str

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "The patient's name is missing.")
        _require(bool(self.record_number.strip()), "The patient's record number is missing.")
        _require(
            date(1900, 1, 1) <= self.date_of_birth <= date.today(),
            f"The date of birth {self.date_of_birth.isoformat()} is not a plausible past date.",
        )


@dataclass(frozen=True)
class DeviceRecord:
    """A pulse generator as it described itself when the session opened."""

    identity: Identity
    capabilities: Capabilities


@dataclass(frozen=True)
class ImpedanceThresholds:
    """Limits that classify an impedance: below `short_below_ohm` is a short, above `open_above_ohm` an open."""

    short_below_ohm: int
    open_above_ohm: int

    def __post_init__(self) -> None:
        _require(
            0 < self.short_below_ohm < self.open_above_ohm,
            "The short-circuit limit must be a positive impedance below the open-circuit limit.",
        )

    @classmethod
    def of_device(cls, capabilities: Capabilities) -> ImpedanceThresholds:
        return cls(capabilities.impedance_short_ohm, capabilities.impedance_open_ohm)

    def classify(self, ohms: int) -> ImpedanceClass:
        if ohms < self.short_below_ohm:
            return ImpedanceClass.SHORT
        if ohms > self.open_above_ohm:
            return ImpedanceClass.OPEN
        return ImpedanceClass.NORMAL


@dataclass(frozen=True)
class LeadPlacement:
    """Where the lead on `channel` sits: the ganglion's spinal level and side."""

    channel: int
    level: SpinalLevel
    side: Side
    implant_date: date

    def __post_init__(self) -> None:
        _check_lead(self.channel, "The lead channel")
        object.__setattr__(self, "level", SpinalLevel.of(self.level))
        object.__setattr__(self, "side", Side(self.side))
        _require(
            self.implant_date <= date.today(),
            f"The implant date {self.implant_date.isoformat()} is in the future.",
        )


@dataclass(frozen=True)
class StimulusResponse:
    """What the patient felt from one lead in one configuration, with the amplitudes found.

    The three amplitudes are optional (a test may stop early) but any that are
    given must rise: perception <= comfortable <= maximum tolerable.
    """

    lead: int
    contacts: tuple[Polarity, ...]
    pulse_width_us: int
    frequency_hz: int
    sensation: Sensation
    paresthesia_free: bool
    # Areas named in responses recorded before the body map (issue 11); new ones leave it empty: where
    # a lead is felt is its area on the body map, with side (workstation.bodymap.LeadArea).
    body_regions: tuple[str, ...] = ()
    perception_threshold_ua: int | None = None
    comfortable_ua: int | None = None
    max_tolerable_ua: int | None = None

    def __post_init__(self) -> None:
        _check_lead(self.lead, "The lead")
        object.__setattr__(self, "contacts", tuple(Polarity(c) for c in self.contacts))
        object.__setattr__(self, "sensation", Sensation(self.sensation))
        object.__setattr__(self, "body_regions", tuple(r.strip() for r in self.body_regions))
        _require(
            Polarity.ANODE in self.contacts and Polarity.CATHODE in self.contacts,
            f"Lead {self.lead} needs at least one anode (+) and one cathode (-) to be tested.",
        )
        _require(self.pulse_width_us > 0, "The pulse width must be greater than 0 µs.")
        _require(self.frequency_hz > 0, "The frequency must be greater than 0 Hz.")
        _require(all(self.body_regions), "A body region is blank; name it or remove it.")
        self._check_amplitudes()
        _require(
            self.sensation is not Sensation.NONE or self.paresthesia_free,
            "No sensation was reported, so the response is paresthesia-free; mark it so "
            "or choose the sensation the patient felt.",
        )

    def _check_amplitudes(self) -> None:
        named = [
            ("perception threshold", self.perception_threshold_ua),
            ("comfortable level", self.comfortable_ua),
            ("maximum tolerable level", self.max_tolerable_ua),
        ]
        given = [(label, value) for label, value in named if value is not None]
        for label, value in given:
            _require(value >= 0, f"The {label} cannot be negative ({value} µA).")
        for (low_label, low), (high_label, high) in zip(given, given[1:]):
            _require(
                low <= high,
                f"The {low_label} ({low} µA) cannot be above the {high_label} ({high} µA).",
            )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class PainScore:
    """Pain before or after programming, on the numeric rating scale (NRS: 0 no pain to 10 worst pain
    imaginable) and/or the visual analogue scale (VAS: millimetres from the left end of a 100 mm line).
    At least one is given; the other may be left unrated."""

    nrs: int | None
    when: PainTiming
    vas_mm: int | None = None

    def __post_init__(self) -> None:
        _require(self.nrs is not None or self.vas_mm is not None, "Rate the pain on the NRS, the VAS or both.")
        _require(
            self.nrs is None or (_whole(self.nrs) and 0 <= self.nrs <= 10),
            f"A pain score is a whole number from 0 (no pain) to 10 (worst pain), not {self.nrs!r}.",
        )
        _require(
            self.vas_mm is None or (_whole(self.vas_mm) and 0 <= self.vas_mm <= 100),
            f"A VAS is measured in whole millimetres from 0 (no pain) to 100 (worst pain), not {self.vas_mm!r}.",
        )
        object.__setattr__(self, "when", PainTiming(self.when))

    @property
    def text(self) -> str:
        """ "NRS 6/10, VAS 58 mm" (the scales rated)."""
        parts = [
            f"NRS {self.nrs}/10" if self.nrs is not None else "",
            f"VAS {self.vas_mm} mm" if self.vas_mm is not None else "",
        ]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Note:
    text: str

    def __post_init__(self) -> None:
        _require(bool(self.text.strip()), "The note is empty.")


@dataclass(frozen=True)
class Session:
    """One programming visit of one patient with one device."""

    id: int
    patient_id: int
    device_serial: str
    clinician: str
    started: datetime
    ended: datetime | None
    state: SessionState

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", SessionState(self.state))
        _require(bool(self.clinician.strip()), "The clinician's name is missing.")
        _require(
            (self.state is SessionState.CLOSED) == (self.ended is not None),
            "Only a closed session has an end time, and a closed session must have one.",
        )
        _require(
            self.ended is None or self.ended >= self.started,
            "A session cannot end before it started.",
        )
