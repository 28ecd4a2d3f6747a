"""JSON forms of the values the store keeps in JSON columns and event payloads.

Enums are written by name (readable in a raw database dump) and dates in ISO
8601; `decode_*` are the exact inverses of `encode_*`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from enum import Enum
from typing import Any

from drivers.types import AmplitudeBand, Capabilities, LeadConfig, Polarity, Program


def to_json(value: Any) -> Any:
    """Plain JSON data for a dataclass, enum, date, tuple or mapping of those."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def checked_payload(payload: Any) -> dict[str, Any]:
    """`payload` (a mapping or a record) as a JSON object; ValueError if it cannot be stored."""
    data: dict[str, Any] = to_json(payload)
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The event payload cannot be stored as JSON: {exc}") from exc
    return data


def decode_contacts(names: list[str]) -> tuple[Polarity, ...]:
    return tuple(Polarity[n] for n in names)


def decode_lead_config(data: dict[str, Any]) -> LeadConfig:
    return LeadConfig(**{**data, "contacts": decode_contacts(data["contacts"])})


def decode_program(name: str, leads: list[dict[str, Any]]) -> Program:
    return Program(name=name, leads=tuple(decode_lead_config(lead) for lead in leads))


def decode_capabilities(data: dict[str, Any]) -> Capabilities:
    bands = tuple(AmplitudeBand(**band) for band in data["amplitude_bands"])
    return Capabilities(**{**data, "amplitude_bands": bands})
