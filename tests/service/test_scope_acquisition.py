"""The pulse scope's acquisition in the service: captures on its worker thread, averaged and
analysed there; the newest frame for a display; STOP ALL during a capture acts at once."""

from __future__ import annotations

import time

import pytest
from scope_setup import HeldSleep, deliver  # tests/drivers, on the path through tests/conftest.py

from workstation.pulse import Quantity
from workstation.service import ScopeSettings

WAIT_MS = 10_000


def settings(service, lead: int = 1, average: int = 4) -> ScopeSettings:
    limits = service.scope.limits().result(5)
    return ScopeSettings.for_(lead, limits, service.state.capabilities.pulse_width_max_us, average)


def test_the_scope_publishes_averaged_analysed_frames_of_the_programmed_pulse(qtbot, drg_service):
    deliver(drg_service, 1500)
    scope = drg_service.scope
    scope.min_interval_s = 0.0
    wanted = settings(drg_service)
    assert 1e6 / wanted.rate_hz <= 2  # ≤ 2 µs resolution
    scope.start(wanted)
    try:
        qtbot.waitUntil(lambda: scope.frame is not None and scope.frame.seq >= 5, timeout=WAIT_MS)
    finally:
        scope.stop()
    frame = scope.frame
    assert len(frame.traces) == 4 and frame.current_ua.shape == frame.times_us.shape
    assert frame.analysis.flagged == ()
    assert frame.analysis.reading(Quantity.AMPLITUDE).measured == pytest.approx(1500, abs=5)
    assert scope.problem == ""


@pytest.mark.drg_sim(high="1.1")
def test_a_high_impedance_lead_shows_clipping_on_the_scope(qtbot, drg_service):
    deliver(drg_service, 4000)
    scope = drg_service.scope
    scope.min_interval_s = 0.0
    scope.start(settings(drg_service, average=1))
    try:
        qtbot.waitUntil(lambda: scope.frame is not None, timeout=WAIT_MS)
    finally:
        scope.stop()
    assert Quantity.COMPLIANCE in {r.quantity for r in scope.frame.analysis.flagged}


def test_stop_all_during_a_capture_acts_at_once_and_the_scope_then_shows_no_pulse(qtbot, drg_service, drg_device):
    deliver(drg_service, 1000, frequency=4)  # a capture waits up to 250 ms for the next pulse
    gate = HeldSleep(drg_device._sleep)
    drg_device._sleep = gate
    scope = drg_service.scope
    scope.min_interval_s = 0.0
    scope.start(settings(drg_service, average=1))
    try:
        assert gate.entered.wait(10)  # a capture is on the wire, waiting for its pulse
        started = time.monotonic()
        drg_service.stop_all().result(2)
        assert time.monotonic() - started < 0.5 and not gate.release.is_set()  # done while the capture waits
        assert drg_device.outputs_on == ()
        gate.armed = False
        gate.release.set()
        qtbot.waitUntil(lambda: scope.frame is not None and not scope.frame.capture.triggered, timeout=WAIT_MS)
    finally:
        gate.release.set()
        scope.stop()
    analysis = scope.frame.analysis
    assert not analysis.triggered and analysis.flagged == ()  # stopped: no pulse is expected
    assert drg_device.outputs_on == ()  # nothing the scope did turned output back on
