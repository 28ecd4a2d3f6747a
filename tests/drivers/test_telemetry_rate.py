"""The telemetry stream delivers the requested rate, through pyusb, paced by
the device's clock: checked over 10 s of simulated time."""

from __future__ import annotations

import pytest

from drivers.client import PulseGenerator
from drivers.sim.backend import SimBackend, UsbFaults
from drivers.sim.clock import ManualClock as FakeClock
from drivers.sim.device import DeviceModel
from drivers.telemetry import decode_telemetry
from drivers.transport import UsbTransport


@pytest.fixture
def rig():
    clock = FakeClock()
    backend = SimBackend()
    model = DeviceModel(clock=clock, sleep=clock.sleep)
    backend.plug(model, UsbFaults(latency_s=0))
    transport = UsbTransport(backend)
    transport.open()
    client = PulseGenerator(transport)
    client.pair("rate test", wait=lambda _s: model.apply_magnet())
    yield clock, transport, client
    transport.close()
    backend.shutdown()


@pytest.mark.parametrize("rate", [1_000, 20_000, 100_000])
def test_rate_within_one_percent_over_ten_simulated_seconds(rig, rate):
    clock, transport, pg = rig
    pg.start_telemetry(rate, (1, 2, 3, 4))
    start = clock.now
    samples, expected_first = 0, 0
    while clock.now - start < 10.0:
        clock.now += 0.01  # the host reads every 10 ms of device time
        pg.keepalive()
        while True:
            try:
                block = decode_telemetry(transport.read_telemetry(timeout_ms=1), session=pg.session)
            except Exception:  # noqa: BLE001 - any read failure means the queue is drained
                break
            assert block.first_sample == expected_first  # no gap, no overlap
            expected_first += block.n_samples
            samples += block.n_samples
    measured = samples / (clock.now - start)
    assert abs(measured - rate) / rate < 0.01
