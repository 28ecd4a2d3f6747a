"""Lead diagnosis: from contact-to-case and every-pair impedance readings, a conclusion
for each contact ("lead 2 contact 3 open", "lead 1 contacts 1–2 shorted", "lead 3
contact 4 intermittent") with the readings that support it.

Qt-free and pure: the service measures (workstation/service/field.py), this module
concludes, the field-engineer workspace and the reports show it.

How a conclusion is reached, per lead (thresholds: the device's capabilities, or a
clinic's override):
- **Shorted pair**: every reading of a pair below the short limit. Some but not all
  below: the pair is *intermittently* shorted.
- **Open contact**: the contact never conducts: each of its readings, to the case and in
  every pair it belongs to, is above the open limit. A pair reading open between a
  contact that conducts elsewhere and one that never does is explained by the latter
  and says nothing against the former, so "contact 3 open" is concluded from the three
  failing pairs 1–3, 2–3 and 3–4 rather than listed as three faults.
- **Intermittent contact**: it conducts in some readings and reads open in others that
  no open neighbour explains (to the case, or in a pair whose other contact conducts
  too). When such a pair reading could be either contact's, it goes to the contact with
  more such evidence (more partners, or its case reading); a tie names both.
- A contact is never called OK without a reading: unmeasured contacts are reported as
  not measured.

An open reading is shown as "> limit" (`reading_text`): above the open limit the value
is stray capacitance, not a resistance, so a precise "14.2 MΩ" would be false precision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from drivers.types import CASE, ImpedanceMeasurement
from workstation.models import ImpedanceClass, ImpedanceThresholds


class Finding(str, Enum):
    OK = "OK"
    OPEN = "OPEN"
    SHORTED = "SHORTED"
    INTERMITTENT = "INTERMITTENT"
    NOT_MEASURED = "NOT MEASURED"


FAULTS = (Finding.OPEN, Finding.SHORTED, Finding.INTERMITTENT)


def format_ohms(ohms: float) -> str:
    """Impedance as a clinician reads it: "812 Ω", "4120 Ω", "12.3 kΩ", "7.4 MΩ"."""
    if ohms < 10_000:
        return f"{ohms:.0f} Ω"
    if ohms < 1_000_000:
        kilo = ohms / 1e3
        return f"{kilo:.1f} kΩ" if kilo < 100 else f"{kilo:.0f} kΩ"
    return f"{ohms / 1e6:.1f} MΩ"


def reading_text(ohms: int, thresholds: ImpedanceThresholds) -> str:
    """A reading as shown: its value, or "> limit" above the open limit (never a false precise value)."""
    if thresholds.classify(ohms) is ImpedanceClass.OPEN:
        return f"> {format_ohms(thresholds.open_above_ohm)}"
    return format_ohms(ohms)


def pair_name(a: int, b: int) -> str:
    return f"{a}–case" if b == CASE else f"{min(a, b)}–{max(a, b)}"


@dataclass(frozen=True)
class Conclusion:
    """One fault: a contact (open, intermittent) or a pair (shorted, intermittently shorted)."""

    lead: int
    contacts: tuple[int, ...]
    finding: Finding
    evidence: tuple[str, ...]
    intermittent: bool = False  # for a short: only some readings were short

    @property
    def sentence(self) -> str:
        if self.finding is Finding.SHORTED:
            a, b = self.contacts
            how = "intermittently shorted" if self.intermittent else "shorted"
            return f"lead {self.lead} contacts {a}-{b} {how}"
        if len(self.contacts) > 1:
            names = " or ".join(str(c) for c in self.contacts)
            return f"lead {self.lead} contact {names} {self.finding.value.lower()}"
        return f"lead {self.lead} contact {self.contacts[0]} {self.finding.value.lower()}"

    @property
    def why(self) -> str:
        return "; ".join(self.evidence)


@dataclass(frozen=True)
class ContactStatus:
    """What is concluded about one contact, with its latest contact-to-case reading as shown."""

    lead: int
    contact: int
    finding: Finding
    shown: str  # latest reading to case ("> 4 kΩ", "812 Ω"), or "" when none
    note: str  # "shorted to 2", "open in 2 of 5 readings", ...


@dataclass(frozen=True)
class Diagnosis:
    thresholds: ImpedanceThresholds
    conclusions: tuple[Conclusion, ...]
    contacts: tuple[ContactStatus, ...]
    readings: int
    rounds: int = 1
    lead_notes: dict[int, str] = field(default_factory=dict)

    @property
    def faults(self) -> tuple[Conclusion, ...]:
        return self.conclusions

    def of_lead(self, lead: int) -> tuple[Conclusion, ...]:
        return tuple(c for c in self.conclusions if c.lead == lead)

    def status(self, lead: int, contact: int) -> ContactStatus | None:
        return next((s for s in self.contacts if (s.lead, s.contact) == (lead, contact)), None)

    @property
    def summary(self) -> str:
        if not self.readings:
            return "Nothing measured yet."
        if not self.conclusions:
            return f"Every measured contact conducts normally ({self.readings} readings)."
        return "; ".join(c.sentence for c in self.conclusions) + "."


def diagnose(
    measurements: Iterable[ImpedanceMeasurement],
    thresholds: ImpedanceThresholds,
    contacts_per_lead: int = 4,
    leads: Iterable[int] | None = None,
    rounds: int = 1,
) -> Diagnosis:
    """Conclusions from every reading given (any mix of modes and repeated rounds)."""
    by_lead: dict[int, list[ImpedanceMeasurement]] = defaultdict(list)
    count = 0
    for m in measurements:
        by_lead[m.lead].append(m)
        count += 1
    conclusions: list[Conclusion] = []
    statuses: list[ContactStatus] = []
    notes: dict[int, str] = {}
    for lead in sorted(set(by_lead) | set(leads or ())):
        found, status, note = _diagnose_lead(lead, by_lead.get(lead, []), thresholds, contacts_per_lead)
        conclusions += found
        statuses += status
        if note:
            notes[lead] = note
    return Diagnosis(thresholds, tuple(conclusions), tuple(statuses), count, rounds, notes)


def _diagnose_lead(
    lead: int, readings: list[ImpedanceMeasurement], t: ImpedanceThresholds, contacts_per_lead: int
) -> tuple[list[Conclusion], list[ContactStatus], str]:
    contacts = range(1, contacts_per_lead + 1)
    case: dict[int, list[int]] = defaultdict(list)
    pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for m in readings:
        if m.contact_b == CASE or m.contact_a == CASE:
            case[m.contact_a or m.contact_b].append(m.ohms)
        elif m.contact_a != m.contact_b:
            pairs[(min(m.contact_a, m.contact_b), max(m.contact_a, m.contact_b))].append(m.ohms)

    def is_open(ohms: int) -> bool:
        return t.classify(ohms) is ImpedanceClass.OPEN

    def is_short(ohms: int) -> bool:
        return t.classify(ohms) is ImpedanceClass.SHORT

    # -- who conducts: a reading that is not open passed current through its contact(s)
    conducts = {c: sum(not is_open(o) for o in case[c]) for c in contacts}
    for (a, b), values in pairs.items():
        closed = sum(not is_open(o) for o in values)
        conducts[a] = conducts.get(a, 0) + closed
        conducts[b] = conducts.get(b, 0) + closed
    measured = {c for c in contacts if case[c] or any(c in p for p in pairs)}
    never = {c for c in measured if conducts.get(c, 0) == 0}

    # -- open readings no open neighbour explains: evidence of an intermittent contact
    unexplained: dict[int, int] = {c: sum(is_open(o) for o in case[c]) for c in contacts}
    flicker_pairs = {
        (a, b): sum(is_open(o) for o in values)
        for (a, b), values in pairs.items()
        if a not in never and b not in never and any(is_open(o) for o in values)
    }
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in flicker_pairs:
        partners[a].add(b)
        partners[b].add(a)
    score = {c: len(partners[c]) + (1 if unexplained[c] else 0) for c in contacts}
    blamed_pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (a, b), n in flicker_pairs.items():
        suspects = [c for c in (a, b) if score[c] == max(score[a], score[b])]
        for c in suspects:
            unexplained[c] += n
            blamed_pairs[c].append((a, b))

    conclusions: list[Conclusion] = []
    shorted_to: dict[int, list[int]] = defaultdict(list)
    for (a, b), values in sorted(pairs.items()):
        shorts = [o for o in values if is_short(o)]
        if not shorts:
            continue
        evidence = [
            f"{pair_name(a, b)} read {_values(shorts, t)}, below the {format_ohms(t.short_below_ohm)} short limit"
            + (f", in {len(shorts)} of {len(values)} readings" if len(shorts) < len(values) else "")
        ]
        to_case = [f"{c}–case {_values(case[c], t)}" for c in (a, b) if case[c] and not any(map(is_open, case[c]))]
        if to_case:
            evidence.append(f"each conducts to the case ({', '.join(to_case)}): the contacts are joined to each other")
        conclusions.append(Conclusion(lead, (a, b), Finding.SHORTED, tuple(evidence), len(shorts) < len(values)))
        shorted_to[a].append(b)
        shorted_to[b].append(a)

    statuses: list[ContactStatus] = []
    intermittent_found: list[int] = []
    all_open = bool(measured) and never == measured and len(measured) > 1
    for c in contacts:
        shown = reading_text(case[c][-1], t) if case[c] else ""
        own_pairs = {p: v for p, v in pairs.items() if c in p}
        if c not in measured:
            statuses.append(ContactStatus(lead, c, Finding.NOT_MEASURED, shown, "no reading"))
            continue
        if c in never:
            evidence = []
            if case[c]:
                evidence.append(f"{c}–case read {reading_text(case[c][-1], t)} in {_of(len(case[c]))}")
            if own_pairs:
                names = ", ".join(pair_name(*p) for p in sorted(own_pairs))
                good = sorted(p for p, v in pairs.items() if c not in p and any(not is_open(o) for o in v))
                others = f" while {', '.join(pair_name(*p) for p in good)} conduct" if good else ""
                evidence.append(f"every pair with contact {c} ({names}) read open{others}")
            conclusions.append(Conclusion(lead, (c,), Finding.OPEN, tuple(evidence)))
            statuses.append(ContactStatus(lead, c, Finding.OPEN, shown, "never conducts"))
            continue
        if unexplained[c]:
            total = len(case[c]) + sum(len(v) for v in own_pairs.values())
            opens_case = sum(is_open(o) for o in case[c])
            evidence = []
            closed_values = [o for o in case[c] if not is_open(o)]
            if opens_case:
                evidence.append(
                    f"{c}–case read {reading_text(max(case[c]), t)} in {opens_case} of {len(case[c])} readings"
                    + (f", {_values(closed_values, t)} in the others" if closed_values else "")
                )
            elif case[c]:
                evidence.append(f"{c}–case conducted in each reading ({_values(closed_values, t)})")
            if blamed_pairs[c]:
                names = ", ".join(pair_name(*p) for p in sorted(blamed_pairs[c]))
                opens = sum(flicker_pairs[p] for p in blamed_pairs[c])
                evidence.append(
                    f"{'pairs' if len(blamed_pairs[c]) > 1 else 'pair'} {names} read "
                    f"> {format_ohms(t.open_above_ohm)} {opens} time{'s' if opens > 1 else ''} "
                    "although both contacts conduct in other readings"
                )
            intermittent_found.append(c)
            statuses.append(
                ContactStatus(lead, c, Finding.INTERMITTENT, shown, f"open in {unexplained[c]} of {total} readings")
            )
            conclusions.append(Conclusion(lead, (c,), Finding.INTERMITTENT, tuple(evidence)))
            continue
        if shorted_to[c]:
            others = ", ".join(map(str, shorted_to[c]))
            statuses.append(ContactStatus(lead, c, Finding.SHORTED, shown, f"shorted to {others}"))
            continue
        statuses.append(ContactStatus(lead, c, Finding.OK, shown, "conducts"))
    note = ""
    if all_open:
        note = "No contact conducts: check that the lead is connected to the generator before replacing it."
    conclusions.sort(key=lambda c: (c.lead, c.finding is not Finding.OPEN, c.contacts))
    return conclusions, statuses, note


def _values(values: list[int], t: ImpedanceThresholds) -> str:
    shown = [reading_text(o, t) for o in values]
    if len(set(shown)) == 1:
        return shown[0] if len(shown) == 1 else f"{shown[0]} ({len(shown)}×)"
    return ", ".join(shown[:6]) + (" …" if len(shown) > 6 else "")


def _of(n: int) -> str:
    return "its only reading" if n == 1 else f"all {n} readings"
