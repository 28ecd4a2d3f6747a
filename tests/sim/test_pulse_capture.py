"""CAPTURE_PULSE in the simulated firmware: the pulse its tissue model delivers (cathodic
phase, interphase, passive recharge, compliance clipping), sampled at ≥ 1 MS/s around the
next onset; its limits as data; refusals; STOP ALL while a capture waits for its pulse."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_device_model import GatedSleep, Host, bipole  # tests/sim, on the path as the test's folder

from drivers.protocol.messages import MsgType
from drivers.protocol.status import Status
from drivers.sim.device import CAPTURE_CAPABILITIES, CAPTURE_NOISE_UA
from drivers.types import CaptureRequest, EventCode, PulseCapture

LIMITS = CAPTURE_CAPABILITIES


def capture(host: Host, lead: int = 1, rate_hz: int = 1_000_000, samples: int = 4000, pre: int = 100) -> PulseCapture:
    result: PulseCapture = host.ok(MsgType.CAPTURE_PULSE, CaptureRequest(lead, rate_hz, samples, pre))
    return result


def test_the_limits_are_reported_as_data():
    host = Host()
    assert host.ok(MsgType.CAPTURE_CAPABILITIES) == LIMITS
    assert LIMITS.rate_max_hz >= 1_000_000 and LIMITS.finest_us <= 2
    assert LIMITS.trigger_timeout_ms * 1000 >= 1e6 / host.model.capabilities.frequency_min_hz


def test_a_capture_shows_the_cathodic_phase_the_interphase_and_a_balanced_passive_recharge():
    host = Host()
    host.ready(bipole(1, amplitude_ua=1500, pulse_width_us=300, frequency_hz=100))
    # 250 kS/s x 8192 samples: 32 ms, more than three whole 10 ms periods
    shot = capture(host, rate_hz=250_000, samples=8192, pre=50)
    assert shot.triggered and shot.config.amplitude_ua == 1500 and shot.lead == 1
    t = shot.times_us()
    current = shot.current_ua.astype(float)
    cathodic = current[(t >= 0) & (t < 300)]
    assert cathodic.mean() == pytest.approx(-1500, abs=3)
    gap = current[(t > 304) & (t < 300 + LIMITS.interphase_us - 4)]
    assert abs(gap.mean()) < 3 * CAPTURE_NOISE_UA
    assert current[(t > 300 + LIMITS.interphase_us + 4) & (t < 1000)].min() > 0  # the recharge is positive
    assert np.abs(current[t < 0]).max() < 100  # the previous pulse's recharge has almost ended
    period = (t >= 0) & (t < 10_000)
    charge = current[period].sum() / shot.rate_hz  # µA·s = µC
    assert abs(charge) < 0.01 * 1500e-6 * 300  # the recharge returns the phase's charge within the period
    assert shot.voltage_mv[(t > 0) & (t < 300)].max() < 0  # the electrode goes negative in the cathodic phase


def test_an_encapsulated_contact_clips_a_strong_pulse_at_the_compliance_voltage():
    host = Host(high="1.1")
    host.ready(bipole(1, amplitude_ua=4000, pulse_width_us=300, frequency_hz=60))
    shot = capture(host)
    t = shot.times_us()
    delivered = -shot.current_ua[(t >= 10) & (t < 290)].mean()
    assert 2500 < delivered < 3950  # less than programmed: the source ran out of voltage
    compliance_mv = host.model.capabilities.compliance_mv
    assert shot.voltage_mv.min() == pytest.approx(-compliance_mv, abs=40)
    assert shot.config.amplitude_ua == 4000  # the settings say what was asked for


def test_a_lead_that_delivers_nothing_is_captured_at_once_untriggered():
    host = Host()
    before = host.clock()
    shot = capture(host, lead=2)
    assert not shot.triggered and host.clock() == before
    assert np.abs(shot.current_ua).max() < 6 * CAPTURE_NOISE_UA


@pytest.mark.parametrize(
    "request_",
    [
        CaptureRequest(9, 1_000_000, 100, 10),
        CaptureRequest(1, LIMITS.rate_min_hz - 1, 100, 10),
        CaptureRequest(1, LIMITS.rate_max_hz + 1, 100, 10),
        CaptureRequest(1, 1_000_000, LIMITS.max_samples + 1, 10),
        CaptureRequest(1, 1_000_000, 0, 0),
        CaptureRequest(1, 1_000_000, 100, 100),
    ],
)
def test_a_capture_outside_the_limits_is_refused_and_changes_nothing(request_):
    host = Host()
    reply = host.refused(MsgType.CAPTURE_PULSE, request_, Status.OUT_OF_RANGE)
    assert "ead 9" in reply.detail or "apture" in reply.detail or "pre-trigger" in reply.detail


def test_stop_all_acts_at_once_while_a_capture_waits_for_its_pulse_which_then_shows_no_pulse():
    host = Host(gated=True)
    host.ready(bipole(1, amplitude_ua=1000, pulse_width_us=300, frequency_hz=4))  # up to 250 ms to the next pulse
    assert isinstance(host.sleep, GatedSleep)
    host.sleep.armed = True
    shots: list[PulseCapture] = []
    waiting = threading.Thread(target=lambda: shots.append(capture(host)))
    waiting.start()
    try:
        assert host.sleep.entered.wait(5)  # the device waits for the onset, its state lock released
        host.model.stop_all_now()  # returns at once although the capture still waits
        assert not host.model.outputs_on and host.model.events[-1].code == EventCode.STOP_ALL
    finally:
        host.sleep.release.set()
        waiting.join(5)
    (shot,) = shots
    assert not shot.triggered and not shot.config.enabled
    assert np.abs(shot.current_ua).max() < 6 * CAPTURE_NOISE_UA
