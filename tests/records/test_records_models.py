"""Validation of the clinical models: wrong values are refused with a sentence a clinician understands."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.types import Polarity
from workstation.models import (
    ImpedanceClass,
    ImpedanceThresholds,
    LeadPlacement,
    Note,
    PainScore,
    PainTiming,
    Patient,
    Sensation,
    Session,
    SessionState,
    Side,
    SpinalLevel,
    StimulusResponse,
)

P, N, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def response(**changes) -> StimulusResponse:
    values = dict(
        lead=1,
        contacts=(P, N, O, O),
        pulse_width_us=300,
        frequency_hz=20,
        sensation=Sensation.TINGLING,
        paresthesia_free=False,
        body_regions=("left knee",),
        perception_threshold_ua=400,
        comfortable_ua=600,
        max_tolerable_ua=1000,
    )
    return StimulusResponse(**{**values, **changes})


def test_spinal_levels_run_from_t10_to_s2_in_order():
    assert [level.name for level in sorted(SpinalLevel)] == [
        "T10",
        "T11",
        "T12",
        "L1",
        "L2",
        "L3",
        "L4",
        "L5",
        "S1",
        "S2",
    ]
    assert SpinalLevel.T12 < SpinalLevel.L1 < SpinalLevel.S1
    assert SpinalLevel.of("L4") is SpinalLevel.of(7) is SpinalLevel.L4
    with pytest.raises(ValueError, match="not a DRG spinal level"):
        SpinalLevel.of("C5")


@pytest.mark.parametrize("nrs", [-1, 11, 5.5, True])
def test_a_pain_score_is_a_whole_number_from_0_to_10(nrs):
    with pytest.raises(ValueError, match="whole number from 0 .* to 10"):
        PainScore(nrs, PainTiming.BEFORE)


def test_pain_scores_at_the_ends_of_the_scale_are_accepted():
    assert PainScore(0, "AFTER").when is PainTiming.AFTER
    assert PainScore(10, PainTiming.BEFORE).nrs == 10


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 6000)), min_size=3, max_size=3),
)
def test_amplitudes_given_must_rise_from_perception_to_max_tolerable(amplitudes):
    perception, comfortable, tolerable = amplitudes
    given_values = [a for a in amplitudes if a is not None]
    make = lambda: response(  # noqa: E731
        perception_threshold_ua=perception, comfortable_ua=comfortable, max_tolerable_ua=tolerable
    )
    if given_values == sorted(given_values):
        assert make().comfortable_ua == comfortable
    else:
        with pytest.raises(ValueError, match="cannot be above"):
            make()


def test_the_ordering_message_names_both_levels():
    with pytest.raises(
        ValueError, match=r"perception threshold \(900 µA\) cannot be above the comfortable level \(600 µA\)"
    ):
        response(perception_threshold_ua=900)


def test_a_negative_amplitude_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        response(perception_threshold_ua=-25, comfortable_ua=None, max_tolerable_ua=None)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"contacts": (P, P, O, O)}, "at least one anode"),
        ({"contacts": (O, O, O, O)}, "at least one anode"),
        ({"lead": 5}, "lead number from 1 to 4"),
        ({"pulse_width_us": 0}, "pulse width"),
        ({"frequency_hz": 0}, "frequency"),
        ({"body_regions": ("knee", " ")}, "body region is blank"),
        ({"sensation": Sensation.NONE, "paresthesia_free": False}, "paresthesia-free"),
    ],
)
def test_an_inconsistent_response_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        response(**changes)


def test_a_paresthesia_free_response_with_no_sensation_is_accepted():
    quiet = response(sensation="NONE", paresthesia_free=True, body_regions=[])
    assert (quiet.sensation, quiet.body_regions) == (Sensation.NONE, ())
    assert quiet.contacts == (P, N, O, O)


@pytest.mark.parametrize("channel", [0, 5])
def test_a_lead_placement_has_a_channel_from_1_to_4(channel):
    with pytest.raises(ValueError, match="channel must be a lead number from 1 to 4"):
        LeadPlacement(channel, SpinalLevel.L4, Side.LEFT, date(2024, 1, 1))


def test_a_lead_placement_is_not_implanted_in_the_future():
    with pytest.raises(ValueError, match="in the future"):
        LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date.today() + timedelta(days=1))
    assert LeadPlacement(1, "L4", "RIGHT", date.today()).level is SpinalLevel.L4


@pytest.mark.parametrize(
    "name, born, record, message",
    [
        (" ", date(1960, 1, 1), "MRN", "name is missing"),
        ("Ada", date(1960, 1, 1), "", "record number is missing"),
        ("Ada", date.today() + timedelta(days=1), "MRN", "not a plausible past date"),
        ("Ada", date(1850, 1, 1), "MRN", "not a plausible past date"),
    ],
)
def test_a_patient_needs_a_name_a_record_number_and_a_past_birth_date(name, born, record, message):
    with pytest.raises(ValueError, match=message):
        Patient(1, name, born, record)


def test_a_session_has_an_end_exactly_when_it_is_closed():
    with pytest.raises(ValueError, match="closed session must have one"):
        Session(1, 1, "SN", "Dr A", NOW, None, SessionState.CLOSED)
    with pytest.raises(ValueError, match="Only a closed session"):
        Session(1, 1, "SN", "Dr A", NOW, NOW, SessionState.ACTIVE)
    with pytest.raises(ValueError, match="cannot end before"):
        Session(1, 1, "SN", "Dr A", NOW, NOW - timedelta(seconds=1), SessionState.CLOSED)
    with pytest.raises(ValueError, match="clinician"):
        Session(1, 1, "SN", " ", NOW, None, SessionState.OPEN)
    assert Session(1, 1, "SN", "Dr A", NOW, NOW, "CLOSED").state is SessionState.CLOSED


def test_a_note_is_not_empty():
    with pytest.raises(ValueError, match="empty"):
        Note("  \n")


def test_impedance_classes_follow_the_thresholds():
    limits = ImpedanceThresholds(short_below_ohm=200, open_above_ohm=4000)
    assert [limits.classify(ohms) for ohms in (199, 200, 4000, 4001)] == [
        ImpedanceClass.SHORT,
        ImpedanceClass.NORMAL,
        ImpedanceClass.NORMAL,
        ImpedanceClass.OPEN,
    ]
    with pytest.raises(ValueError, match="below the open-circuit limit"):
        ImpedanceThresholds(4000, 200)


def test_impedance_thresholds_come_from_the_device(capabilities):
    assert ImpedanceThresholds.of_device(capabilities) == ImpedanceThresholds(200, 4000)


def test_models_are_immutable():
    with pytest.raises(FrozenInstanceError):
        PainScore(3, PainTiming.AFTER).nrs = 4  # type: ignore[misc]
