"""The device self-test (SELF_TEST, 0x60): every check passes on a healthy simulator, and each
simulator scenario makes its own check fail (and only that one)."""

from __future__ import annotations

import pytest

from drivers.links import open_link
from drivers.protocol.frame import Frame, decode_frame
from drivers.protocol.messages import ERROR_REPLY, MESSAGES, MsgType
from drivers.protocol.status import Status
from drivers.types import EventCode, LeadConfig, Polarity, SelfTestItem, SelfTestResult

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
FAILING = {
    "output=weak": (SelfTestItem.OUTPUT_STAGE, SelfTestResult.FAIL),
    "output=dead": (SelfTestItem.OUTPUT_STAGE, SelfTestResult.FAIL),
    "adc=drift": (SelfTestItem.MEASUREMENT_PATH, SelfTestResult.FAIL),
    "battery=eri": (SelfTestItem.BATTERY, SelfTestResult.WARN),
    "battery=eos": (SelfTestItem.BATTERY, SelfTestResult.FAIL),
    "memory=corrupt": (SelfTestItem.MEMORY, SelfTestResult.FAIL),
    "clock=drift": (SelfTestItem.CLOCK, SelfTestResult.FAIL),
}


def _run(options: str = ""):
    link = open_link(f"sim://0?pair=1&latency_ms=0&{options}")
    try:
        return link.client.self_test(), link.client.read_all_events()
    finally:
        link.close()


def test_a_healthy_device_passes_every_check():
    report, events = _run()
    assert report.passed and [c.result for c in report.checks] == [SelfTestResult.PASS] * 5
    assert [c.check for c in report.checks] == list(SelfTestItem)
    assert events[-1].code == EventCode.SELF_TEST and events[-1].value == 0
    for c in report.checks:
        assert c.expected_min <= c.measured <= c.expected_max, c


@pytest.mark.parametrize(("options", "expected"), FAILING.items(), ids=FAILING.keys())
def test_each_scenario_makes_its_check_fail_and_no_other(options, expected):
    report, events = _run(options)
    check, result = expected
    by_check = {c.check: c for c in report.checks}
    assert by_check[check].result is result
    assert all(c.result is SelfTestResult.PASS for c in report.checks if c.check is not check)
    assert report.passed is (result is SelfTestResult.WARN)
    assert events[-1].value == (0 if result is SelfTestResult.WARN else 1 << (check - 1))
    assert by_check[check].detail


def test_every_check_can_fail_at_once():
    report, events = _run("output=dead&adc=drift&memory=corrupt&clock=drift&battery=eos")
    assert {c.check for c in report.failed} == set(SelfTestItem)
    assert events[-1].value == 0b11111


def test_a_corrupt_memory_reports_the_crc_it_found_against_the_one_stored():
    report, _ = _run("memory=corrupt")
    memory = next(c for c in report.checks if c.check is SelfTestItem.MEMORY)
    assert memory.measured != memory.expected_min == memory.expected_max
    assert f"0x{memory.measured:08x}" in memory.detail and "corrupt" in memory.detail


def test_the_self_test_leaves_therapy_running():
    link = open_link("sim://0?pair=1&latency_ms=0&impedance_ms=0")
    try:
        pg = link.client
        pg.write_lead(LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000))
        pg.measure_impedance(lead=1)
        pg.set_stimulation(1, True)
        on = pg.set_amplitude(1, 500)
        pg.self_test()
        assert pg.read_lead(1) == on
    finally:
        link.client.stop_all()
        link.close()


def test_the_wire_format_round_trips_and_a_payload_is_refused():
    spec = MESSAGES[MsgType.SELF_TEST]
    report, _ = _run("clock=drift")
    assert spec.reply.decode(spec.reply.encode(report)) == report
    link = open_link("sim://0?pair=1&latency_ms=0")
    try:  # SELF_TEST takes no payload
        replies: list[bytes] = []
        session = link.client.session
        counter = session.next_counter()
        frame = session.seal(Frame(MsgType.SELF_TEST, counter & 0xFFFF, b"\x01"), counter)
        link.transport.exchange(frame, 500, lambda raw: replies.append(raw) or True)
        error = ERROR_REPLY.decode(decode_frame(replies[0]).payload)
        assert error.status is Status.BAD_PAYLOAD
    finally:
        link.close()
