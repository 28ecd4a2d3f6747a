"""The service's mirror of the device: immutable snapshots, replaced whole.

Only the device threads (device-io, and device-stop for STOP ALL) replace the
snapshot, each replacement atomic under the mirror's lock; any thread may
read `mirror.state` and always sees one consistent device.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from drivers.types import BatteryStatus, Capabilities, Identity, LeadConfig, Program

Pair = tuple[int, int, int]  # (lead, lower contact, higher contact)


def _frozen(mapping: Mapping) -> Mapping:  # type: ignore[type-arg]
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class DeviceState:
    """What the device last told the service."""

    identity: Identity | None = None
    capabilities: Capabilities | None = None
    battery: BatteryStatus | None = None
    leads: Mapping[int, LeadConfig] = field(default_factory=lambda: _frozen({}))
    stored_program: Program | None = None
    impedance: Mapping[Pair, int] = field(default_factory=lambda: _frozen({}))  # ohms

    def lead_impedance(self, config: LeadConfig) -> int | None:
        """Last measured impedance of the lead's active pair, if any."""
        if not config.anodes or not config.cathodes:
            return None
        a, b = config.anodes[0], config.cathodes[0]
        return self.impedance.get((config.lead, min(a, b), max(a, b)))

    def with_leads(self, configs: Iterable[LeadConfig]) -> DeviceState:
        return replace(self, leads=_frozen({**self.leads, **{c.lead: c for c in configs}}))

    def with_impedance(self, values: Mapping[Pair, int]) -> DeviceState:
        return replace(self, impedance=_frozen({**self.impedance, **values}))


class Mirror:
    """Holds the current DeviceState; `update` replaces it atomically."""

    def __init__(self) -> None:
        self._state = DeviceState()
        self._lock = threading.Lock()

    @property
    def state(self) -> DeviceState:
        return self._state

    def update(self, change: Callable[[DeviceState], DeviceState]) -> DeviceState:
        with self._lock:
            self._state = change(self._state)
            return self._state

    def set_leads(self, *configs: LeadConfig) -> DeviceState:
        return self.update(lambda state: state.with_leads(configs))

    def add_impedance(self, values: Mapping[Pair, int]) -> DeviceState:
        return self.update(lambda state: state.with_impedance(values))

    def set(self, **fields: object) -> DeviceState:
        return self.update(lambda state: replace(state, **fields))  # type: ignore[arg-type]
