"""The contract suite through pyusb against the simulated pulse generator."""

import pytest
from contract import PulseGeneratorContract

from drivers.links import open_link


class TestSimulatedPulseGenerator(PulseGeneratorContract):
    @pytest.fixture
    def link(self):
        link = open_link("sim://0?pair=1&impedance_ms=1")
        yield link
        link.close()
