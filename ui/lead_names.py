"""A lead as the clinician names it: where it sits first, its channel after
("L4 left · lead 1"), so no screen shows a lead by number alone. One copy per
window, shared by every panel (lead chooser, tables, log, dialogs); Qt-free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from workstation.models import LeadPlacement

_LEAD_IN_TEXT = re.compile(r"\b[Ll]ead (\d+)\b")


class LeadNames:
    """The placements of the session's patient, and every lead's name from them."""

    def __init__(self) -> None:
        self._placements: dict[int, LeadPlacement] = {}

    def set_placements(self, placements: Mapping[int, LeadPlacement]) -> None:
        self._placements = dict(placements)

    def place(self, placement: LeadPlacement) -> None:
        self._placements[placement.channel] = placement

    def placement(self, channel: int) -> LeadPlacement | None:
        return self._placements.get(channel)

    def name(self, channel: int) -> str:
        """'L4 left · lead 1'; 'Lead 1 · not placed' before its placement is recorded."""
        placement = self._placements.get(channel)
        if placement is None:
            return f"Lead {channel} \u00b7 not placed"
        return f"{placement.level.name} {placement.side.value.lower()} \u00b7 lead {channel}"

    def short(self, channel: int) -> str:
        """For narrow places (a table header): 'L4 left (1)'; 'Lead 1' before it is placed."""
        placement = self._placements.get(channel)
        if placement is None:
            return f"Lead {channel}"
        return f"{placement.level.name} {placement.side.value.lower()} ({channel})"

    def in_sentence(self, text: str) -> str:
        """A device's or the records' sentence with each placed 'lead N' named by where it sits."""

        def named(match: re.Match[str]) -> str:
            channel = int(match.group(1))
            return self.name(channel) if channel in self._placements else match.group(0)

        return _LEAD_IN_TEXT.sub(named, text)
