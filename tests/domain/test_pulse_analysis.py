"""The pulse analysis (workstation/pulse.py) on synthetic pulses with known faults, and on
captures of the simulated device's tissue model: what it measures, and what it flags."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import (
    MESSAGES,
    AmplitudeRequest,
    ImpedanceRequest,
    MsgType,
    StimulationRequest,
    decode_reply,
)
from drivers.sim.clock import ManualClock
from drivers.sim.device import CAPABILITIES, CAPTURE_CAPABILITIES, DeviceModel
from drivers.sim.direct import command_frame, paired_session
from drivers.sim.scenario import Scenario
from drivers.types import CaptureRequest, ImpedanceMode, LeadConfig, Polarity, PulseCapture
from workstation.pulse import PulseAnalysis, Quantity, analyse, average

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
RATE = 1_000_000


def config(amplitude: int = 1500, width: int = 300, frequency: int = 60, on: bool = True) -> LeadConfig:
    return LeadConfig(1, (M, P, O, O), amplitude, width, frequency, on, 6000)


def synthetic(
    programmed: LeadConfig,
    delivered_ua: float | None = None,
    interphase_us: float = CAPTURE_CAPABILITIES.interphase_us,
    returned: float = 1.0,
    peak_mv: float = 3000,
    noise_ua: float = 2.0,
    seed: int = 1,
) -> PulseCapture:
    """A biphasic pulse sampled at 1 MS/s: -I for the width, a gap, then a passive recharge
    (τ 2 ms) returning `returned` of the cathodic charge before the next onset."""
    amplitude = programmed.amplitude_ua if delivered_ua is None else delivered_ua
    pre, n = 200, 8000
    t = (np.arange(n) - pre) / RATE * 1e6
    width, tau, period = programmed.pulse_width_us, 2000.0, 1e6 / programmed.frequency_hz
    rest = period - width - interphase_us
    level = returned * amplitude * width / (tau * -np.expm1(-rest / tau))
    since = t - width - interphase_us
    current = np.where((t >= 0) & (t < width), -amplitude, np.where(since >= 0, level * np.exp(-since / tau), 0.0))
    voltage = np.where((t >= 0) & (t < width), -peak_mv * (0.8 + 0.2 * t / width), 0.0)
    rng = np.random.default_rng(seed)
    return PulseCapture(
        RATE,
        pre,
        True,
        programmed,
        np.rint(current + noise_ua * rng.standard_normal(n)).astype(np.int16),
        np.rint(voltage + 10 * rng.standard_normal(n)).astype(np.int16),
    )


def run(capture: PulseCapture) -> PulseAnalysis:
    return analyse(capture, CAPABILITIES, CAPTURE_CAPABILITIES)


def flagged(result: PulseAnalysis) -> set[Quantity]:
    return {r.quantity for r in result.flagged}


def test_a_sound_pulse_measures_as_programmed_and_raises_no_flag():
    result = run(synthetic(config()))
    assert result.triggered and flagged(result) == set()
    assert result.reading(Quantity.AMPLITUDE).measured == pytest.approx(1500, abs=3)
    assert result.reading(Quantity.CATHODIC_WIDTH).measured == pytest.approx(300, abs=1)
    assert result.reading(Quantity.INTERPHASE).measured == pytest.approx(20, abs=1)
    assert result.reading(Quantity.CATHODIC_CHARGE).measured == pytest.approx(0.45, rel=0.01)
    assert result.reading(Quantity.BALANCE).measured == pytest.approx(0, abs=1)
    assert result.reading(Quantity.RECHARGE).text.endswith("τ 2.0 ms")
    assert "as programmed" in result.reading(Quantity.AMPLITUDE).note


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (dict(delivered_ua=1300), {Quantity.AMPLITUDE, Quantity.CATHODIC_CHARGE}),
        (dict(interphase_us=0), {Quantity.INTERPHASE}),
        (dict(interphase_us=60), {Quantity.INTERPHASE}),
        (dict(returned=0.8), {Quantity.BALANCE}),
        (dict(delivered_ua=1300, peak_mv=12_000), {Quantity.AMPLITUDE, Quantity.CATHODIC_CHARGE, Quantity.COMPLIANCE}),
    ],
)
def test_each_fault_is_flagged_and_nothing_else(fault, expected):
    result = run(synthetic(config(), **fault))
    assert flagged(result) == expected


def test_a_width_other_than_programmed_is_flagged():
    delivered = synthetic(config(width=330))
    assert flagged(run(PulseCapture(RATE, 200, True, config(), delivered.current_ua, delivered.voltage_mv))) == {
        Quantity.CATHODIC_WIDTH,
        Quantity.CATHODIC_CHARGE,
    }


def test_at_the_compliance_with_the_full_current_is_said_but_not_flagged():
    result = run(synthetic(config(), peak_mv=11_900))
    assert flagged(result) == set()
    assert "at the 12 V compliance" in result.reading(Quantity.COMPLIANCE).note


def test_no_pulse_is_flagged_only_when_one_was_programmed():
    quiet = np.zeros(1000, dtype=np.int16)
    on = run(PulseCapture(RATE, 100, False, config(), quiet, quiet))
    assert flagged(on) == {Quantity.AMPLITUDE} and on.reading(Quantity.AMPLITUDE).text == "no pulse"
    off = run(PulseCapture(RATE, 100, False, config(on=False), quiet, quiet))
    assert flagged(off) == set() and "no pulse expected" in off.reading(Quantity.AMPLITUDE).note


def test_averaging_lowers_the_noise_and_keeps_the_pulse():
    shots = [synthetic(config(amplitude=100), noise_ua=20, seed=seed) for seed in range(16)]
    current, voltage = average(shots)
    assert np.std(current[:150]) < np.std(shots[0].current_ua[:150].astype(float)) / 3
    result = analyse(shots[0], CAPABILITIES, CAPTURE_CAPABILITIES, current, voltage)
    assert result.reading(Quantity.AMPLITUDE).measured == pytest.approx(100, abs=3)


# ---- captures of the simulated device ----------------------------------------------------------


def device_capture(amplitude: int, **scenario: str) -> PulseCapture:
    clock = ManualClock()
    model = DeviceModel(Scenario.from_query(scenario), clock=clock, sleep=clock.sleep)
    session = paired_session(model)  # sealed frames, as a paired host sends them

    def send(mtype: MsgType, request=None):
        spec = MESSAGES[mtype]
        frame = decode_frame(model.handle_command(command_frame(session, mtype, spec.request.encode(request))[0]))
        return decode_reply(spec, frame.payload)

    send(MsgType.WRITE_LEAD, config(0, on=False))
    send(MsgType.MEASURE_IMPEDANCE, ImpedanceRequest(ImpedanceMode.LEAD_PAIR, 1))
    send(MsgType.SET_STIMULATION, StimulationRequest(1, True))
    send(MsgType.SET_AMPLITUDE, AmplitudeRequest(1, amplitude))
    result: PulseCapture = send(MsgType.CAPTURE_PULSE, CaptureRequest(1, RATE, 8000, 200))
    return result


def test_the_simulated_device_delivers_its_program_on_a_normal_lead():
    assert flagged(run(device_capture(3000))) == set()


def test_a_high_impedance_lead_clips_a_strong_pulse_and_every_consequence_is_flagged():
    result = run(device_capture(4000, high="1.1"))
    assert flagged(result) == {Quantity.AMPLITUDE, Quantity.CATHODIC_CHARGE, Quantity.COMPLIANCE}
    assert result.reading(Quantity.COMPLIANCE).note.startswith("CLIPPED")
    assert result.reading(Quantity.BALANCE).flagged is False  # the recharge returns what was delivered


def test_a_reading_that_rounds_to_zero_is_shown_without_a_minus_sign():
    from workstation.pulse import _compare

    reading = _compare(Quantity.BALANCE, -0.004, 0.0, "%", "balance", 0.0, decimals=1)
    assert reading.text == "0.0 %" and not reading.flagged
