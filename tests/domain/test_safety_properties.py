"""Properties of the safety rules over arbitrary settings, checked against independent arithmetic."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from test_safety import device_caps

from drivers.types import LeadConfig, Polarity
from workstation.safety import (
    CHARGE_DENSITY_WARN_UC_PER_CM2,
    RAMP_MAX_STEP_MULTIPLE,
    RAMP_RATE_UA_PER_S,
    Level,
    Rule,
    evaluate,
    grid,
    max_safe_amplitude,
    next_ramp_step,
    round_amplitude,
    round_to_device,
)

CAPS = device_caps()
AMPLITUDES = grid(CAPS, "amplitude")


def lead_configs(device_values_only: bool) -> st.SearchStrategy[LeadConfig]:
    """Lead settings; with device_values_only=False also off step, out of range and odd contacts."""

    def values(parameter: str, low: int, high: int) -> st.SearchStrategy[int]:
        on_step = st.sampled_from(grid(CAPS, parameter))
        return on_step if device_values_only else on_step | st.integers(low, high)

    simple_bipole = st.permutations(
        [Polarity.ANODE, Polarity.CATHODE] + [Polarity.OFF] * (CAPS.contacts_per_lead - 2)
    ).map(tuple)
    any_four = st.tuples(*[st.sampled_from(Polarity)] * CAPS.contacts_per_lead)
    any_count = st.lists(st.sampled_from(Polarity), max_size=CAPS.contacts_per_lead + 2).map(tuple)
    return st.builds(
        LeadConfig,
        lead=st.just(1),
        contacts=simple_bipole | any_four if device_values_only else simple_bipole | any_four | any_count,
        amplitude_ua=values("amplitude", -100, 7000),
        pulse_width_us=values("pulse_width", 0, 800),
        frequency_hz=values("frequency", 0, 120),
        enabled=st.booleans(),
        patient_max_ua=st.just(CAPS.amplitude_max_ua) | values("amplitude", -100, 7000),
    )


configs = lead_configs(device_values_only=True) | lead_configs(device_values_only=False)
impedances = st.none() | st.integers(0, 20_000)


def accepted_by_device(value: int, low: int, high: int, step: int) -> bool:
    return low <= value <= high and (value - low) % step == 0


def worst_contact_charge_uc(config: LeadConfig) -> float:
    """The whole current through one contact: any other contact of its polarity may be open."""
    return config.amplitude_ua * config.pulse_width_us / 1e6


@given(configs, impedances, st.booleans())
def test_accepted_settings_respect_every_hard_limit(config, impedance, confirmed):
    assessment = evaluate(CAPS, config, impedance, density_confirmed=confirmed)
    if assessment.level == Level.REFUSE or not assessment.allowed(confirmed):
        return
    amp = config.amplitude_ua
    assert 0 <= amp <= CAPS.amplitude_max_ua and CAPS.amplitude_on_step(amp)
    assert accepted_by_device(
        config.pulse_width_us, CAPS.pulse_width_min_us, CAPS.pulse_width_max_us, CAPS.pulse_width_step_us
    )
    assert accepted_by_device(config.frequency_hz, CAPS.frequency_min_hz, CAPS.frequency_max_hz, CAPS.frequency_step_hz)
    assert amp <= config.patient_max_ua <= CAPS.amplitude_max_ua
    assert CAPS.amplitude_on_step(config.patient_max_ua)
    if amp > 0 or config.enabled:
        assert config.anodes and config.cathodes
    q = worst_contact_charge_uc(config)
    if q > 0:
        density = q / (CAPS.contact_area_um2 / 1e8)
        assert math.log10(density) + math.log10(q) < CAPS.shannon_k_limit_x100 / 100
        if not confirmed:
            assert density <= CHARGE_DENSITY_WARN_UC_PER_CM2


@given(configs, st.booleans())
def test_shannon_refuses_exactly_from_the_k_limit(config, confirmed):
    q = worst_contact_charge_uc(config)
    k = math.log10(q / (CAPS.contact_area_um2 / 1e8)) + math.log10(q) if q > 0 else -math.inf
    shannon = evaluate(CAPS, config, density_confirmed=confirmed).check(Rule.SHANNON)
    assert (shannon.level == Level.REFUSE) == (k >= CAPS.shannon_k_limit_x100 / 100)


@given(configs, impedances)
def test_density_above_cap_is_never_allowed_without_confirmation(config, impedance):
    density = worst_contact_charge_uc(config) / (CAPS.contact_area_um2 / 1e8)
    assessment = evaluate(CAPS, config, impedance)
    if density > CHARGE_DENSITY_WARN_UC_PER_CM2:
        assert assessment.needs_confirmation
        assert not assessment.allowed(density_confirmed=False)
        assert not evaluate(CAPS, config, impedance, density_confirmed=True).needs_confirmation


@given(
    st.sampled_from(["amplitude", "pulse_width", "frequency"]),
    st.floats(-1000, 8000, allow_nan=False),
    st.sampled_from(["nearest", "down", "up"]),
    st.sampled_from(["nearest", "down", "up"]),
)
def test_rounding_is_idempotent_on_step_and_in_range(parameter, value, direction, again):
    values = grid(CAPS, parameter)
    rounded = round_to_device(CAPS, parameter, value, direction)
    assert round_to_device(CAPS, parameter, rounded, again) == rounded
    assert values[0] <= rounded <= values[-1]
    if parameter == "amplitude":
        assert CAPS.amplitude_on_step(rounded)
    clamped = min(max(value, values[0]), values[-1])
    down = round_to_device(CAPS, parameter, value, "down")
    up = round_to_device(CAPS, parameter, value, "up")
    assert down <= clamped <= up
    assert all(not down < v < up for v in values)
    if direction == "nearest":
        assert abs(rounded - clamped) == min(clamped - down, up - clamped)


@given(st.sampled_from(AMPLITUDES), st.integers(-100, 7000), st.floats(0, 5, allow_nan=False))
def test_ramp_never_rises_faster_than_policy_nor_overshoots(current, target, elapsed):
    step = next_ramp_step(CAPS, current, target, elapsed)
    assert step in AMPLITUDES
    if target >= current:
        assert current <= step <= target
        limit = min(RAMP_MAX_STEP_MULTIPLE * CAPS.amplitude_step_at(current), RAMP_RATE_UA_PER_S * elapsed)
        assert step - current <= limit
    else:
        assert target <= step <= current


@given(st.sampled_from(AMPLITUDES), st.integers(0, 7000))
def test_ramp_reaches_the_target_given_time(current, target):
    goal = round_amplitude(CAPS, target, "down" if target >= current else "up")
    for _ in range(len(AMPLITUDES)):
        current = next_ramp_step(CAPS, current, target, 1.0)
    assert current == goal


@given(configs, impedances)
def test_max_safe_amplitude_is_the_boundary_of_clean_settings(config, impedance):
    safest = max_safe_amplitude(CAPS, config, impedance)
    assert safest in AMPLITUDES
    if safest > 0:
        assert evaluate(CAPS, config.with_(amplitude_ua=safest), impedance).level == Level.OK
    if safest < AMPLITUDES[-1]:
        above = AMPLITUDES[AMPLITUDES.index(safest) + 1]
        assert evaluate(CAPS, config.with_(amplitude_ua=above), impedance).level != Level.OK
