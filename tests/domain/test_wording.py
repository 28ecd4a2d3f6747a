"""Every code the device or the domain knows has the words a clinician or field engineer reads on
screen (issue 14): a new enum value without its words fails here, not on a screen."""

from __future__ import annotations

from enum import Enum

import pytest

from drivers.types import SelfTestItem, SelfTestResult
from workstation.diagnosis import Finding
from workstation.models import ImpedanceClass
from workstation.wording import FINDING_TEXT, IMPEDANCE_CLASS_TEXT, SELF_TEST_CHECK_TEXT, SELF_TEST_RESULT_TEXT

SHOWN: list[tuple[type[Enum], dict]] = [
    (
        ImpedanceClass,
        {ImpedanceClass.NORMAL: "Normal", ImpedanceClass.SHORT: "Short circuit", ImpedanceClass.OPEN: "Open circuit"},
    ),
    (
        Finding,
        {
            Finding.OK: "OK",
            Finding.OPEN: "Open circuit",
            Finding.SHORTED: "Shorted",
            Finding.INTERMITTENT: "Intermittent",
            Finding.NOT_MEASURED: "Not measured",
        },
    ),
    (
        SelfTestItem,
        {
            SelfTestItem.OUTPUT_STAGE: "Output stage",
            SelfTestItem.MEASUREMENT_PATH: "Measurement path",
            SelfTestItem.BATTERY: "Battery",
            SelfTestItem.MEMORY: "Memory",
            SelfTestItem.CLOCK: "Clock",
        },
    ),
    (
        SelfTestResult,
        {SelfTestResult.PASS: "Passed", SelfTestResult.WARN: "Needs attention", SelfTestResult.FAIL: "Failed"},
    ),
]
WORDS = {
    ImpedanceClass: IMPEDANCE_CLASS_TEXT,
    Finding: FINDING_TEXT,
    SelfTestItem: SELF_TEST_CHECK_TEXT,
    SelfTestResult: SELF_TEST_RESULT_TEXT,
}


@pytest.mark.parametrize(("enum", "expected"), SHOWN, ids=[enum.__name__ for enum, _ in SHOWN])
def test_each_value_is_shown_in_a_clinicians_words(enum, expected):
    words = WORDS[enum]
    assert {value: words.get(value) for value in enum} == expected  # every value, each with its words
