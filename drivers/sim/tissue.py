"""Electrode-tissue model: what each contact looks like electrically.

Each contact is a series resistance Rs (spreading resistance of the tissue,
400-900 Ω) in series with its double-layer capacitance Cdl (5-20 µF), both
drawn once from the scenario's seed. Faults from the scenario change what a
test pulse reads: an open contact reads megaohms (stray capacitance, never
infinity), a shorted pair reads 50-150 Ω, an intermittent contact reads
normal or open at random on each measurement, an encapsulated ("high")
contact has a spreading resistance of 2-3 kΩ, so a strong pulse through it
reaches the compliance voltage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drivers.sim.scenario import ContactRef, Scenario
from drivers.types import CASE, LeadConfig

RS_OHM = (400.0, 900.0)
CDL_F = (5e-6, 20e-6)
HIGH_RS_OHM = (2000.0, 3000.0)
OPEN_OHM = (5e6, 20e6)
SHORT_OHM = (50.0, 150.0)
CASE_OHM = 100.0  # the case is large: resistance only, no double layer to speak of
TEST_PULSE_S = 100e-6  # impedance test pulse; its mean double-layer voltage adds T/(2C)
NOISE = 0.01  # relative measurement noise


@dataclass(frozen=True)
class Electrode:
    rs_ohm: float
    cdl_f: float


@dataclass(frozen=True)
class DrivePath:
    """The load a lead's configured contacts present to the current source."""

    r_ohm: float
    c_f: float

    @property
    def tau_s(self) -> float:
        return self.r_ohm * self.c_f


class Tissue:
    def __init__(self, scenario: Scenario, lead_count: int, contacts_per_lead: int) -> None:
        self._rng = np.random.default_rng(scenario.seed)
        self._contacts = [
            ContactRef(lead, c) for lead in range(1, lead_count + 1) for c in range(1, contacts_per_lead + 1)
        ]
        named = [
            *scenario.open,
            *scenario.intermittent,
            *scenario.high,
            *(ContactRef(s.lead, c) for s in scenario.short for c in (s.contact_a, s.contact_b)),
        ]
        for ref in named:
            if ref not in self._contacts:
                raise ValueError(
                    f"no contact {ref.lead}.{ref.contact} on a {lead_count} x {contacts_per_lead} pulse generator"
                )
        self.electrodes = {
            ref: Electrode(float(self._rng.uniform(*RS_OHM)), float(self._rng.uniform(*CDL_F)))
            for ref in self._contacts
        }
        self._open = {ref: float(self._rng.uniform(*OPEN_OHM)) for ref in sorted(set(scenario.open))}
        self._intermittent = {ref: float(self._rng.uniform(*OPEN_OHM)) for ref in sorted(set(scenario.intermittent))}
        self._shorts = {
            (s.lead, frozenset((s.contact_a, s.contact_b))): float(self._rng.uniform(*SHORT_OHM))
            for s in scenario.short
        }
        for ref in sorted(set(scenario.high)):  # drawn after the others, so they keep their values
            self.electrodes[ref] = Electrode(float(self._rng.uniform(*HIGH_RS_OHM)), self.electrodes[ref].cdl_f)

    def develop_short(self, lead: int, contact_a: int, contact_b: int, ohms: float = 50.0) -> None:
        """Two contacts of a lead short from now on (an insulation breach mid-visit): tests of
        what the device and the workstation do when a lead that is on goes bad."""
        self._shorts[(lead, frozenset((contact_a, contact_b)))] = ohms

    def measure(self, lead: int, contact_a: int, contact_b: int) -> int:
        """Impedance in Ω a test pulse reads between two contacts (contact_b == CASE: the case)."""
        ends = [ContactRef(lead, c) for c in (contact_a, contact_b) if c != CASE]
        opens = [self._open.get(ref) or self._intermittent_reading(ref) for ref in ends]
        if any(opens):
            ohms = max(o for o in opens if o)
        elif (lead, frozenset((contact_a, contact_b))) in self._shorts:
            ohms = self._shorts[(lead, frozenset((contact_a, contact_b)))]
        else:
            ohms = sum(self._test_pulse_ohm(ref) for ref in ends) + (CASE_OHM if contact_b == CASE else 0.0)
        return int(round(ohms * (1 + self._rng.uniform(-NOISE, NOISE))))

    def drive_path(self, config: LeadConfig) -> DrivePath:
        """Series load of the lead's cathodes (in parallel) and anodes (in parallel),
        with any anode-cathode short in parallel with the tissue."""
        cathodes = [ContactRef(config.lead, c) for c in config.cathodes]
        anodes = [ContactRef(config.lead, c) for c in config.anodes]
        if not cathodes or not anodes:
            return DrivePath(r_ohm=float("inf"), c_f=0.0)
        r = _parallel([self._contact_ohm(ref) for ref in cathodes]) + _parallel(
            [self._contact_ohm(ref) for ref in anodes]
        )
        shorts = [
            ohm
            for (lead, pair), ohm in self._shorts.items()
            if lead == config.lead and pair & set(config.cathodes) and pair & set(config.anodes)
        ]
        c_cathodes = sum(self.electrodes[ref].cdl_f for ref in cathodes)
        c_anodes = sum(self.electrodes[ref].cdl_f for ref in anodes)
        return DrivePath(r_ohm=_parallel([r, *shorts]), c_f=1 / (1 / c_cathodes + 1 / c_anodes))

    def contact_currents_ua(self, config: LeadConfig, delivered_ua: float) -> dict[int, float]:
        """Current through each active contact when the source delivers `delivered_ua`.

        Contacts of one polarity share their side's current by conductance
        (an open contact takes almost none, so its neighbours take the rest);
        an anode-cathode short carries part of the current straight across,
        through the contacts it joins. The safety property tests use this to
        check the charge limit against what the tissue really sees.
        """
        cathodes, anodes = config.cathodes, config.anodes
        if not cathodes or not anodes or delivered_ua <= 0:
            return {}
        currents: dict[int, float] = {}
        for side in (cathodes, anodes):
            conductance = {c: 1 / self._contact_ohm(ContactRef(config.lead, c)) for c in side}
            total = sum(conductance.values())
            for contact, g in conductance.items():
                currents[contact] = currents.get(contact, 0.0) + delivered_ua * g / total
        for lead, pair in self._shorts:
            if lead == config.lead and pair & set(cathodes) and pair & set(anodes):
                for contact in pair:  # worst case: the whole current crosses through the short's contacts
                    currents[contact] = delivered_ua
        return currents

    def _intermittent_reading(self, ref: ContactRef) -> float | None:
        if ref in self._intermittent and self._rng.random() < 0.5:
            return self._intermittent[ref]
        return None

    def _test_pulse_ohm(self, ref: ContactRef) -> float:
        e = self.electrodes[ref]
        return e.rs_ohm + TEST_PULSE_S / (2 * e.cdl_f)

    def _contact_ohm(self, ref: ContactRef) -> float:
        return self._open.get(ref, self.electrodes[ref].rs_ohm)


def _parallel(ohms: list[float]) -> float:
    return 1 / sum(1 / r for r in ohms)
