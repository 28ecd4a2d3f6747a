"""The contract suite against real hardware: DRG_TEST_LINK=usb://SERIAL pytest tests/drivers."""

import os

import pytest
from contract import PulseGeneratorContract

from drivers.links import open_link

LINK = os.environ.get("DRG_TEST_LINK")


@pytest.mark.skipif(not LINK, reason="set DRG_TEST_LINK=usb://SERIAL to run the contract on a real device")
class TestRealPulseGenerator(PulseGeneratorContract):
    @pytest.fixture
    def link(self):
        link = open_link(LINK)
        yield link
        link.close()
