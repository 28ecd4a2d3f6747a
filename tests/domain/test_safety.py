"""Each safety rule against the figures of drg-programming-facts.md."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drivers.sim.device import CAPABILITIES
from drivers.types import AmplitudeBand, Capabilities, LeadConfig, Polarity
from workstation.increments import apply_increment, increments
from workstation.safety import (
    CHARGE_DENSITY_WARN_UC_PER_CM2,
    RAMP_MAX_STEP_MULTIPLE,
    RAMP_RATE_UA_PER_S,
    Level,
    Rule,
    charge_figures,
    evaluate,
    max_safe_amplitude,
    next_ramp_step,
    round_amplitude,
    round_frequency,
    round_pulse_width,
)

OFF, AN, CA = Polarity.OFF, Polarity.ANODE, Polarity.CATHODE


def device_caps() -> Capabilities:
    """Capabilities as the pulse generator reports them (the simulator's, from the facts file)."""
    return CAPABILITIES


CAPS = device_caps()


def lead(amplitude_ua: int = 0, pulse_width_us: int = 300, contacts=(AN, CA, OFF, OFF), **kw) -> LeadConfig:
    kw.setdefault("patient_max_ua", 6000)
    return LeadConfig(
        lead=1,
        contacts=contacts,
        amplitude_ua=amplitude_ua,
        pulse_width_us=pulse_width_us,
        frequency_hz=kw.pop("frequency_hz", 20),
        **kw,
    )


def rule(assessment, name):
    check = assessment.check(name)
    assert check is not None, name
    return check


# --- rounding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "ua, direction, expected",
    [
        (1010, "nearest", 1000),
        (1013, "nearest", 1025),
        (1012.5, "nearest", 1000),
        (1010, "down", 1000),
        (1010, "up", 1025),
        (2010, "nearest", 2000),
        (2030, "nearest", 2050),
        (2000, "up", 2000),
        (-5, "nearest", 0),
        (7000, "up", 6000),
        (5990, "up", 6000),
    ],
)
def test_round_amplitude_follows_the_device_bands(ua, direction, expected):
    assert round_amplitude(CAPS, ua, direction) == expected


def test_round_pulse_width_and_frequency_clamp_to_range_and_step():
    assert round_pulse_width(CAPS, 305, "down") == 300
    assert round_pulse_width(CAPS, 305, "up") == 310
    assert round_pulse_width(CAPS, 10) == 40
    assert round_pulse_width(CAPS, 900) == 720
    assert round_frequency(CAPS, 21) == 20
    assert round_frequency(CAPS, 1) == 4
    assert round_frequency(CAPS, 101, "up") == 100


def test_rounding_follows_reported_steps_not_constants():
    coarse = replace(CAPS, amplitude_bands=(AmplitudeBand(6000, 100),))
    assert round_amplitude(coarse, 1030) == 1000
    assert round_amplitude(CAPS, 1030) == 1025


def test_unknown_rounding_direction_is_rejected():
    with pytest.raises(ValueError):
        round_amplitude(CAPS, 100, "sideways")


# --- charge figures, density cap and Shannon -------------------------------------


def test_30_cap_allows_1_18_uc_per_phase_3_9_ma_at_300_us():
    ok = evaluate(CAPS, lead(3900, 300))
    density = rule(ok, Rule.CHARGE_DENSITY)
    assert density.level == Level.OK
    assert density.figure == pytest.approx(1.17 / 0.0393)
    assert ok.allowed()
    over = evaluate(CAPS, lead(3950, 300))
    density = rule(over, Rule.CHARGE_DENSITY)
    assert density.level == Level.WARN and density.needs_confirmation
    assert density.limit == CHARGE_DENSITY_WARN_UC_PER_CM2 == 30
    assert "confirm to continue" in density.message and "30.2 µC/cm²/phase" in density.message
    assert over.needs_confirmation and not over.allowed() and over.allowed(density_confirmed=True)


def test_density_cap_at_720_us_is_1_6_ma():
    assert rule(evaluate(CAPS, lead(1625, 720)), Rule.CHARGE_DENSITY).level == Level.OK
    assert rule(evaluate(CAPS, lead(1650, 720)), Rule.CHARGE_DENSITY).level == Level.WARN


def test_confirmed_density_stays_a_warning_but_needs_no_further_confirmation():
    confirmed = evaluate(CAPS, lead(3950, 300), density_confirmed=True)
    assert confirmed.level == Level.WARN
    assert not confirmed.needs_confirmation
    assert confirmed.allowed()
    assert "confirmed" in rule(confirmed, Rule.CHARGE_DENSITY).message


def test_6_ma_at_720_us_breaches_shannon():
    figures = charge_figures(CAPS, lead(6000, 720))
    assert figures.charge_uc == pytest.approx(4.32)
    assert figures.shannon_max_uc == pytest.approx(1.67, abs=0.005)
    assert figures.shannon_k > 1.85
    assessment = evaluate(CAPS, lead(6000, 720), density_confirmed=True)
    shannon = rule(assessment, Rule.SHANNON)
    assert shannon.level == Level.REFUSE and shannon in assessment.refusals
    assert not assessment.allowed(density_confirmed=True)


def test_shannon_boundary_follows_k_limit():
    # Q_max = 1.668 µC: 2300 µA x 720 µs = 1.656 µC passes, 2350 µA = 1.692 µC does not.
    assert rule(evaluate(CAPS, lead(2300, 720)), Rule.SHANNON).level == Level.OK
    assert rule(evaluate(CAPS, lead(2350, 720)), Rule.SHANNON).level == Level.REFUSE


def test_more_contacts_never_lower_the_judged_charge_since_one_may_be_open():
    single = charge_figures(CAPS, lead(3000, 300, contacts=(AN, CA, OFF, OFF)))
    split = charge_figures(CAPS, lead(3000, 300, contacts=(AN, CA, CA, AN)))
    assert split.charge_uc == single.charge_uc == split.worst_contact_uc
    assert split.density_uc_cm2 == pytest.approx(single.density_uc_cm2)
    assert split.shannon_k == single.shannon_k
    assert split.worst_contacts == (2, 3) and single.worst_contacts == (2,)


def test_the_shannon_message_names_the_contact_that_carries_the_current():
    message = rule(evaluate(CAPS, lead(2400, 720, contacts=(AN, CA, CA, OFF))), Rule.SHANNON).message
    assert "contact 1, which carries the whole current" in message


def test_single_anode_carries_the_whole_current_even_with_two_cathodes():
    single = charge_figures(CAPS, lead(3000, 300, contacts=(AN, CA, OFF, OFF)))
    two_cathodes = charge_figures(CAPS, lead(3000, 300, contacts=(AN, CA, CA, OFF)))
    assert two_cathodes.density_uc_cm2 == pytest.approx(single.density_uc_cm2)


def test_zero_amplitude_has_no_charge():
    figures = charge_figures(CAPS, lead(0, 300))
    assert figures.charge_uc == 0 and figures.shannon_k == float("-inf")
    assert evaluate(CAPS, lead(0, 300)).level == Level.OK


# --- compliance ---------------------------------------------------------------------


def test_12_v_over_4000_ohm_allows_3_ma():
    at_limit = rule(evaluate(CAPS, lead(3000, 100), impedance_ohm=4000), Rule.COMPLIANCE)
    assert at_limit.level == Level.OK and at_limit.figure == pytest.approx(12.0)
    over = evaluate(CAPS, lead(3050, 100), impedance_ohm=4000)
    check = rule(over, Rule.COMPLIANCE)
    assert check.level == Level.WARN and check.limit == 12.0
    assert "0.2 V above the 12.0 V compliance" in check.message
    assert not over.refusals and over.allowed()


def test_compliance_shows_headroom_and_is_skipped_without_impedance():
    check = rule(evaluate(CAPS, lead(1000, 300), impedance_ohm=1000), Rule.COMPLIANCE)
    assert "11.0 V headroom" in check.message
    assert evaluate(CAPS, lead(1000, 300)).check(Rule.COMPLIANCE) is None


# --- patient maximum, ranges, contacts ------------------------------------------


def test_amplitude_above_patient_max_refuses():
    assert rule(evaluate(CAPS, lead(1500, patient_max_ua=1500)), Rule.PATIENT_MAX).level == Level.OK
    refused = evaluate(CAPS, lead(1525, patient_max_ua=1500))
    assert rule(refused, Rule.PATIENT_MAX).level == Level.REFUSE
    assert not refused.allowed(density_confirmed=True)


def test_patient_max_above_device_range_refuses():
    check = rule(evaluate(CAPS, lead(1000, patient_max_ua=6050)), Rule.PATIENT_MAX_RANGE)
    assert check.level == Level.REFUSE and check.limit == 6000
    assert "outside the device range 0-6000 µA" in check.message


@pytest.mark.parametrize(
    "changes, rules",
    [
        ({"amplitude_ua": 1010}, [Rule.AMPLITUDE_RANGE]),
        ({"amplitude_ua": 2025}, [Rule.AMPLITUDE_RANGE]),
        ({"amplitude_ua": 6050, "pulse_width_us": 40}, [Rule.AMPLITUDE_RANGE, Rule.PATIENT_MAX]),
        ({"pulse_width_us": 30}, [Rule.PULSE_WIDTH_RANGE]),
        ({"pulse_width_us": 305}, [Rule.PULSE_WIDTH_RANGE]),
        ({"pulse_width_us": 730}, [Rule.PULSE_WIDTH_RANGE]),
        ({"frequency_hz": 3}, [Rule.FREQUENCY_RANGE]),
        ({"frequency_hz": 21}, [Rule.FREQUENCY_RANGE]),
        ({"frequency_hz": 102}, [Rule.FREQUENCY_RANGE]),
    ],
)
def test_off_range_or_off_step_values_refuse(changes, rules):
    assessment = evaluate(CAPS, lead(1000).with_(**changes))
    assert [c.rule for c in assessment.refusals] == rules


def test_off_step_message_names_the_neighbouring_values():
    check = rule(evaluate(CAPS, lead(1010)), Rule.AMPLITUDE_RANGE)
    assert "nearest are 1000 and 1025 µA" in check.message


@pytest.mark.parametrize("contacts", [(OFF, OFF, OFF, OFF), (AN, AN, OFF, OFF), (CA, OFF, OFF, OFF)])
def test_amplitude_or_enable_needs_an_anode_and_a_cathode(contacts):
    assert evaluate(CAPS, lead(0, contacts=contacts)).level == Level.OK
    assert rule(evaluate(CAPS, lead(25, contacts=contacts)), Rule.CONTACTS).level == Level.REFUSE
    assert rule(evaluate(CAPS, lead(0, contacts=contacts, enabled=True)), Rule.CONTACTS).level == Level.REFUSE


def test_contact_count_must_match_the_device():
    check = rule(evaluate(CAPS, lead(0, contacts=(AN, CA, OFF))), Rule.CONTACTS)
    assert check.level == Level.REFUSE


# --- structured result ------------------------------------------------------------


def test_assessment_reports_worst_level_and_approaching_limits():
    calm = evaluate(CAPS, lead(500, 200), impedance_ohm=1000)
    assert calm.level == Level.OK and not calm.warnings and not calm.approaching
    near = evaluate(CAPS, lead(3500, 300))  # 26.7 µC/cm²: 89 % of the 30 cap
    density = rule(near, Rule.CHARGE_DENSITY)
    assert density.level == Level.OK and density.fraction == pytest.approx(26.72 / 30, abs=1e-3)
    assert density in near.approaching
    mixed = evaluate(CAPS, lead(3950, 300, patient_max_ua=3000))
    assert mixed.level == Level.REFUSE and mixed.warnings and mixed.refusals


def test_messages_are_single_sentences():
    assessment = evaluate(CAPS, lead(6000, 720, contacts=(CA, OFF, OFF, OFF), patient_max_ua=100), 5000)
    for check in assessment.checks:
        assert check.message.endswith(".") and check.message.count(". ") == 0, check.message


# --- max safe amplitude -----------------------------------------------------------


def test_max_safe_amplitude_stops_below_density_cap_and_compliance():
    assert max_safe_amplitude(CAPS, lead(0, 300)) == 3900
    assert max_safe_amplitude(CAPS, lead(0, 720)) == 1625
    assert max_safe_amplitude(CAPS, lead(0, 100), impedance_ohm=4000) == 3000
    assert max_safe_amplitude(CAPS, lead(0, 300, patient_max_ua=1200)) == 1200
    assert max_safe_amplitude(CAPS, lead(0, 40)) == 6000


def test_max_safe_amplitude_is_zero_without_a_valid_pair():
    assert max_safe_amplitude(CAPS, lead(0, contacts=(CA, CA, OFF, OFF))) == 0


# --- ramp and increments ----------------------------------------------------------


def test_ramp_rises_by_rate_and_per_step_cap_and_falls_at_once():
    assert next_ramp_step(CAPS, 1000, 3000, 0.1) == 1050
    assert next_ramp_step(CAPS, 1000, 3000, 0.04) == 1000  # 20 µA is below one step: wait
    assert next_ramp_step(CAPS, 1000, 3000, 10) == 1000 + RAMP_MAX_STEP_MULTIPLE * 25
    assert next_ramp_step(CAPS, 2500, 6000, 10) == 2500 + RAMP_MAX_STEP_MULTIPLE * 50
    assert next_ramp_step(CAPS, 1000, 1010, 10) == 1000
    assert next_ramp_step(CAPS, 3000, 200, 0) == 200
    assert next_ramp_step(CAPS, 3000, 1010, 0) == 1025
    assert RAMP_RATE_UA_PER_S == 500


def test_ramp_rejects_negative_elapsed_time():
    with pytest.raises(ValueError):
        next_ramp_step(CAPS, 0, 100, -1)


@pytest.mark.parametrize(
    "parameter, value, move, expected",
    [
        ("amplitude", 1000, "up", (25, 50, 200)),
        ("amplitude", 2000, "down", (25, 50, 200)),
        ("amplitude", 2000, "up", (50, 100, 400)),
        ("amplitude", 4000, "up", (50, 100, 400)),
        ("pulse_width", 300, "up", (10, 40, 100)),
        ("frequency", 20, "down", (2, 4, 10)),
    ],
)
def test_increments_are_multiples_of_the_device_step(parameter, value, move, expected):
    assert increments(CAPS, parameter, value, move) == expected


def test_apply_increment_lands_on_step_without_overshooting_the_increment():
    assert apply_increment(CAPS, "amplitude", 1900, 2, "up") == 2100
    assert apply_increment(CAPS, "amplitude", 1825, 2, "up") == 2000  # 2025 is between steps
    assert apply_increment(CAPS, "amplitude", 2100, 2, "down") == 1700
    assert apply_increment(CAPS, "amplitude", 5900, 2, "up") == 6000
    assert apply_increment(CAPS, "pulse_width", 60, 2, "down") == 40
    assert apply_increment(CAPS, "frequency", 20, 1, "up") == 24


def test_increments_reject_unknown_parameter_or_move():
    with pytest.raises(ValueError):
        increments(CAPS, "phase", 0)
    with pytest.raises(ValueError):
        increments(CAPS, "amplitude", 0, "left")
