"""Set-up shared by the pulse-scope tests of the service and of the UI: a lead delivering
pulses on the simulator, and the device's sleep held while a test acts."""

from __future__ import annotations

import threading

from drivers.types import ImpedanceMode, LeadConfig, Polarity

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def deliver(service, amplitude: int, frequency: int = 60, lead: int = 1) -> None:
    """Set the device up directly (no session needed for the scope): contacts, impedance, on, amplitude."""
    client = service.link.client
    client.write_lead(LeadConfig(lead, (M, P, O, O), 0, 300, frequency, False, 6000))
    client.measure_impedance(ImpedanceMode.LEAD_PAIR, lead)
    client.set_stimulation(lead, True)
    client.set_amplitude(lead, amplitude)


class HeldSleep:
    """The device's sleep, held while a test acts: a capture caught waiting for its pulse."""

    def __init__(self, sleep) -> None:
        self.sleep, self.armed = sleep, True
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, seconds: float) -> None:
        if self.armed:
            self.entered.set()
            self.release.wait(10)
        self.sleep(seconds)
