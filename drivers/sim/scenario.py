"""Scenario options of the simulated pulse generator: serial, lead faults, battery.

They arrive as URI query options (`sim://?open=2.3&battery=eri`) or from a
small JSON file holding the same keys, so a test or a demo can stage a fault
without code:

    serial=SIM-0001        serial number reported by IDENTIFY
    open=2.3,1.1           contact 3 of lead 2 (and 1 of lead 1) open circuit
    short=1.2              contact 2 of lead 1 shorted to its neighbour 1;
    short=1.1-3            any pair: contacts 1 and 3 of lead 1
    intermittent=3.4       contact 4 of lead 3 reads open at random
    high=1.1               contact 1 of lead 1 encapsulated (2-3 kΩ): strong pulses clip at compliance
    battery=ok|eri|eos     primary-cell state
    impedance_ms=30        time one impedance measurement takes
    seed=1                 seed of the tissue values and the random faults
    magnet=away|held       pairing's confirmation on the device (docs/protocol.md §7):
                           away (default) waits for DeviceModel.apply_magnet(), the
                           simulator's "confirm on device"; held confirms every
                           pairing at once, as a clinician holding the magnet there

Faults the device's self-test finds (SELF_TEST, docs/protocol.md §3.6); each makes
one check fail, and they change nothing else:

    output=ok|weak|dead    output stage: delivers 80 % / nothing into its test load
    adc=ok|drift           measurement path: reads its reference resistor 6 % high
    memory=ok|corrupt      stored program: one bit flipped, so its CRC no longer matches
    clock=ok|drift         main clock 2400 ppm off the watchdog oscillator
    (battery=eri warns, battery=eos fails the battery check)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.types import BatteryState


@dataclass(frozen=True, order=True)
class ContactRef:
    """One contact of one lead, both counted from 1."""

    lead: int
    contact: int


@dataclass(frozen=True)
class ShortedPair:
    """Two contacts of one lead joined by a low-resistance fault."""

    lead: int
    contact_a: int
    contact_b: int


@dataclass(frozen=True)
class Scenario:
    serial: str = "SIM-0001"
    open: tuple[ContactRef, ...] = ()
    short: tuple[ShortedPair, ...] = ()
    intermittent: tuple[ContactRef, ...] = ()
    battery: BatteryState = BatteryState.OK
    impedance_ms: float = 30.0
    seed: int = 1
    output: str = "ok"
    adc: str = "ok"
    memory: str = "ok"
    clock: str = "ok"
    high: tuple[ContactRef, ...] = ()
    magnet: str = "away"

    @property
    def magnet_held(self) -> bool:
        return self.magnet == "held"

    @classmethod
    def from_query(cls, params: dict[str, str]) -> Scenario:
        """Parse URI query options; an unknown key or a bad value raises ValueError."""
        parsers = {
            "serial": _serial,
            "open": lambda v: tuple(_contact(item) for item in _items(v)),
            "short": lambda v: tuple(_short(item) for item in _items(v)),
            "intermittent": lambda v: tuple(_contact(item) for item in _items(v)),
            "high": lambda v: tuple(_contact(item) for item in _items(v)),
            "battery": _battery,
            "impedance_ms": _impedance_ms,
            "seed": _seed,
            "output": _choice("ok", "weak", "dead"),
            "adc": _choice("ok", "drift"),
            "memory": _choice("ok", "corrupt"),
            "clock": _choice("ok", "drift"),
            "magnet": _choice("away", "held"),
        }
        options = {}
        for key, value in params.items():
            if key not in parsers:
                raise ValueError(f"unknown simulator option {key!r}; known: {', '.join(parsers)}")
            try:
                options[key] = parsers[key](str(value).strip())
            except ValueError as exc:
                raise ValueError(f"simulator option {key}={value!r}: {exc}") from None
        return cls(**options)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read the same keys from a JSON object; lists stand for comma-separated values."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a scenario file holds one JSON object")
        return cls.from_query(
            {key: ",".join(map(str, value)) if isinstance(value, list) else str(value) for key, value in data.items()}
        )


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _serial(value: str) -> str:
    if not value or len(value.encode()) > 32:
        raise ValueError("give 1 to 32 bytes of text")
    return value


def _seed(value: str) -> int:
    if not value.isdigit():
        raise ValueError("the seed is a whole number")
    return int(value)


def _contact(item: str) -> ContactRef:
    lead, _, contact = item.partition(".")
    if not (lead.isdigit() and contact.isdigit()):
        raise ValueError(f"{item!r}: write LEAD.CONTACT, e.g. 2.3")
    return ContactRef(int(lead), int(contact))


def _short(item: str) -> ShortedPair:
    lead, _, pair = item.partition(".")
    first, dash, second = pair.partition("-")
    if not (lead.isdigit() and first.isdigit() and (not dash or second.isdigit())):
        raise ValueError(f"{item!r}: write LEAD.CONTACT (shorted to CONTACT-1) or LEAD.A-B")
    a, b = (int(first), int(second)) if dash else (int(first) - 1, int(first))
    if a == b or min(a, b) < 1:
        raise ValueError(f"{item!r}: name two different contacts, as LEAD.A-B (1.1-2) or LEAD.C (C and C-1)")
    return ShortedPair(int(lead), min(a, b), max(a, b))


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.lower() not in allowed:
            raise ValueError(f"give {', '.join(allowed[:-1])} or {allowed[-1]}")
        return value.lower()

    return parse


def _battery(value: str) -> BatteryState:
    try:
        return BatteryState[value.upper()]
    except KeyError:
        raise ValueError("give ok, eri or eos") from None


def _impedance_ms(value: str) -> float:
    ms = float(value)
    if not 0 <= ms < 60_000:
        raise ValueError("give milliseconds from 0 to 60000")
    return ms
