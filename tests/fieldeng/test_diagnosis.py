"""Lead diagnosis against every simulator fault scenario: open, short, intermittent and several at
once, from contact-to-case and every-pair readings measured by the simulated device, and from
either kind of reading alone."""

from __future__ import annotations

import pytest

from drivers.links import open_link
from drivers.types import CASE, ImpedanceMeasurement, ImpedanceMode
from workstation.diagnosis import Finding, diagnose, format_ohms, reading_text
from workstation.models import ImpedanceThresholds

T = ImpedanceThresholds(200, 4000)
BOTH = (ImpedanceMode.CONTACT_TO_CASE, ImpedanceMode.CONTACT_PAIRS)


def _readings(options: str, rounds: int = 3, modes=BOTH, seed: int = 1) -> list[ImpedanceMeasurement]:
    link = open_link(f"sim://0?pair=1&impedance_ms=0&latency_ms=0&seed={seed}&{options}")
    try:
        return [m for _ in range(rounds) for mode in modes for m in link.client.measure_impedance(mode, 0).measurements]
    finally:
        link.close()


def _found(options: str, **kwargs) -> set[str]:
    return {c.sentence for c in diagnose(_readings(options, **kwargs), T, rounds=kwargs.get("rounds", 3)).conclusions}


SCENARIOS = {
    "healthy": ("", set()),
    "open": ("open=2.3", {"lead 2 contact 3 open"}),
    "short to the neighbour": ("short=1.2", {"lead 1 contacts 1-2 shorted"}),
    "short of any pair": ("short=4.1-3", {"lead 4 contacts 1-3 shorted"}),
    "intermittent": ("intermittent=3.4", {"lead 3 contact 4 intermittent"}),
    "the issue's example": ("open=2.3&short=1.2", {"lead 2 contact 3 open", "lead 1 contacts 1-2 shorted"}),
    "two opens on one lead": ("open=2.1,2.3", {"lead 2 contact 1 open", "lead 2 contact 3 open"}),
    "several at once": (
        "open=2.3,4.4&short=1.1-3,3.2&intermittent=3.4,1.4",
        {
            "lead 2 contact 3 open",
            "lead 4 contact 4 open",
            "lead 1 contacts 1-3 shorted",
            "lead 3 contacts 1-2 shorted",
            "lead 3 contact 4 intermittent",
            "lead 1 contact 4 intermittent",
        },
    ),
    "a whole lead open": ("open=2.1,2.2,2.3,2.4", {f"lead 2 contact {c} open" for c in range(1, 5)}),
}


@pytest.mark.parametrize(("options", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_fault_scenario_is_concluded_per_contact(options, expected):
    assert _found(options) == expected


@pytest.mark.parametrize("seed", range(1, 9))
def test_intermittent_is_found_whatever_the_draw(seed):
    assert _found("intermittent=2.2&open=4.1", seed=seed) == {"lead 2 contact 2 intermittent", "lead 4 contact 1 open"}


def test_every_pair_alone_concludes_contact_3_open_not_three_failing_pairs():
    readings = _readings("open=2.3&short=1.2", rounds=1, modes=(ImpedanceMode.CONTACT_PAIRS,))
    assert len([m for m in readings if m.lead == 2 and T.classify(m.ohms).value == "OPEN"]) == 3
    diagnosis = diagnose(readings, T)
    assert {c.sentence for c in diagnosis.conclusions} == {"lead 2 contact 3 open", "lead 1 contacts 1-2 shorted"}
    (open_3,) = diagnosis.of_lead(2)
    assert "every pair with contact 3 (1–3, 2–3, 3–4) read open while 1–2, 1–4, 2–4 conduct" in open_3.why
    assert diagnosis.status(2, 2).finding is Finding.OK  # its failing pair 2–3 is explained by contact 3


def test_contact_to_case_alone_finds_the_open_but_cannot_see_a_short_between_contacts():
    diagnosis = diagnose(_readings("open=2.3&short=1.2", rounds=1, modes=(ImpedanceMode.CONTACT_TO_CASE,)), T)
    assert {c.sentence for c in diagnosis.conclusions} == {"lead 2 contact 3 open"}


def test_an_open_reads_above_the_limit_never_a_precise_value():
    diagnosis = diagnose(_readings("open=2.3", rounds=1), T)
    status = diagnosis.status(2, 3)
    assert status.shown == "> 4000 Ω"
    assert "MΩ" not in diagnosis.conclusions[0].why and "> 4000 Ω" in diagnosis.conclusions[0].why
    assert reading_text(14_200_000, T) == "> 4000 Ω"
    assert reading_text(812, T) == "812 Ω" == format_ohms(812)
    assert reading_text(87, T) == "87 Ω"  # a short is a real, low resistance: shown as measured


def test_the_limit_comes_from_the_thresholds_given():
    m = [ImpedanceMeasurement(1, 1, CASE, 30_000)]
    assert diagnose(m, ImpedanceThresholds(100, 50_000)).status(1, 1).finding is Finding.OK
    assert diagnose(m, ImpedanceThresholds(100, 20_000)).status(1, 1).shown == "> 20.0 kΩ"


def test_a_short_cites_the_pair_and_the_contacts_to_case():
    diagnosis = diagnose(_readings("short=1.2", rounds=2), T)
    (short,) = diagnosis.conclusions
    assert short.why.startswith("1–2 read ") and "below the 200 Ω short limit" in short.why
    assert "each conducts to the case (1–case" in short.why
    assert diagnosis.status(1, 1).note == "shorted to 2"


def test_a_pair_short_in_some_readings_only_is_intermittently_shorted():
    readings = [ImpedanceMeasurement(1, 1, 2, ohms) for ohms in (90, 1200, 95)]
    (short,) = diagnose(readings, T).conclusions
    assert short.sentence == "lead 1 contacts 1-2 intermittently shorted"
    assert "in 2 of 3 readings" in short.why


def test_an_unmeasured_contact_is_never_called_ok():
    diagnosis = diagnose([ImpedanceMeasurement(1, 1, CASE, 700)], T, leads=(1, 2))
    assert diagnosis.status(1, 1).finding is Finding.OK
    assert diagnosis.status(1, 2).finding is Finding.NOT_MEASURED
    assert diagnosis.status(2, 1).finding is Finding.NOT_MEASURED
    assert diagnose([], T).summary == "Nothing measured yet."


def test_a_lead_with_no_conducting_contact_says_to_check_the_connection():
    diagnosis = diagnose(_readings("open=3.1,3.2,3.3,3.4", rounds=1), T)
    assert "check that the lead is connected" in diagnosis.lead_notes[3]
