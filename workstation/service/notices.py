"""What the service announces to its listeners: one frozen dataclass per kind of
change, carrying a snapshot (the UI bridge turns each into a Qt signal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from drivers.types import BatteryStatus, ImpedanceResult, LeadConfig, Program
from workstation.accounts import User
from workstation.events import EventKind
from workstation.models import LeadPlacement, Session
from workstation.service.mirror import DeviceState
from workstation.wording import reverted_sentence


class LinkState(str, Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    PAIRING = "pairing"  # open, waiting for the pairing's confirmation on the device
    UNPAIRED = "unpaired"  # open but not paired: only STOP ALL and identify reach the device


@dataclass(frozen=True)
class WriteResult:
    program: Program
    read_back: Program | None
    verified: bool
    mismatch: str | None


@dataclass(frozen=True)
class LinkChanged:
    state: LinkState
    detail: str


@dataclass(frozen=True)
class DeviceRead:
    """The device was interrogated (on connect and after every reconnect)."""

    state: DeviceState


@dataclass(frozen=True)
class LeadChanged:
    config: LeadConfig  # as the device now holds it


@dataclass(frozen=True)
class EventRecorded:
    event_id: int  # a session event just committed


@dataclass(frozen=True)
class ImpedanceMeasured:
    result: ImpedanceResult


@dataclass(frozen=True)
class ProgramWritten:
    result: WriteResult


@dataclass(frozen=True)
class ProgramSaved:
    program: Program  # saved in the records, not written to the device


@dataclass(frozen=True)
class OutputsStopped:
    """The device confirmed STOP ALL."""


@dataclass(frozen=True)
class Refused:
    action: EventKind
    sentence: str


@dataclass(frozen=True)
class SessionChanged:
    session: Session | None


@dataclass(frozen=True)
class BatteryRead:
    battery: BatteryStatus


@dataclass(frozen=True)
class PlacementChanged:
    placement: LeadPlacement


@dataclass(frozen=True)
class OutcomeSettled:
    """A record of unknown outcome (reply lost) was settled by a correction once the device was back."""

    event_id: int  # the record corrected
    correction_id: int
    kind: EventKind
    sentence: str
    corrected: Mapping[str, object]  # the values the correction records (e.g. written, verified)


@dataclass(frozen=True)
class DeviceReverted:
    """The device's live settings changed while the link was down (its watchdog)."""

    program: str | None  # the stored program it went back to, when it did
    changes: tuple[str, ...]  # "Lead 1 amplitude: before 800 µA, now 0 µA", ...

    @property
    def sentence(self) -> str:
        return reverted_sentence(self.program, self.changes)


@dataclass(frozen=True)
class UserChanged:
    """Someone logged in or out (user None), or the screen was locked or unlocked."""

    user: User | None
    locked: bool


@dataclass(frozen=True)
class LeadSwitchedOff:
    """The device switched a stimulating lead off during a measurement: it read a short there."""

    lead: int
    sentence: str


@dataclass(frozen=True)
class ServiceFault:
    """A background task failed (a keep-alive tick, a record write the caller did not wait for)."""

    sentence: str


Notice = (
    LinkChanged
    | DeviceRead
    | LeadChanged
    | EventRecorded
    | ImpedanceMeasured
    | ProgramWritten
    | ProgramSaved
    | OutputsStopped
    | Refused
    | SessionChanged
    | BatteryRead
    | PlacementChanged
    | OutcomeSettled
    | DeviceReverted
    | UserChanged
    | LeadSwitchedOff
    | ServiceFault
)
Listener = Callable[[Notice], None]
