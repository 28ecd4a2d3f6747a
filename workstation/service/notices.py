"""What the service announces to its listeners: one frozen dataclass per kind of
change, carrying a snapshot (the UI bridge turns each into a Qt signal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from drivers.types import BatteryStatus, ImpedanceResult, LeadConfig, Program
from workstation.events import EventKind
from workstation.models import LeadPlacement, Session
from workstation.service.mirror import DeviceState


class LinkState(str, Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


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
    | ServiceFault
)
Listener = Callable[[Notice], None]
