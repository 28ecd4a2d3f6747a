"""Pairing through the service: a new device is paired on connecting, with the confirmation on the
device; cancelled, the link stays open but unpaired and STOP ALL still works; once paired, a new
service with the same key store authenticates without asking, and a replug re-authenticates."""

from __future__ import annotations

import time

import pytest

from drivers.client import PulseGenerator
from drivers.keystore import FileKeyStore
from drivers.links import Link
from drivers.sim.backend import SimBackend, UsbFaults
from drivers.sim.device import DeviceModel
from drivers.sim.scenario import Scenario
from drivers.transport import UsbTransport
from drivers.types import EventCode
from ui.testing.plugin import qa_user, sim_uri
from workstation.service import LinkChanged, LinkState, ProgrammingService
from workstation.service.errors import NotPairedError

WAIT = 10
AWAY = sim_uri(magnet="away")  # nobody holds the magnet until the test does


@pytest.fixture
def keys(tmp_path):
    return FileKeyStore(tmp_path / "device-keys.json")


@pytest.fixture
def make(drg_store, keys):
    made: list[ProgrammingService] = []

    def build() -> ProgrammingService:
        service = ProgrammingService(drg_store, keys=keys, user=qa_user())
        made.append(service)
        return service

    yield build
    for service in made:
        service.shutdown()


def states(service) -> list[LinkState]:
    seen: list[LinkState] = []
    service.subscribe(lambda n: seen.append(n.state) if isinstance(n, LinkChanged) else None)
    return seen


def wait_for(predicate) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_new_device_is_paired_on_connecting_once_confirmed_on_the_device(make, keys):
    service = make()
    seen = states(service)
    connected = service.connection.connect(AWAY)
    wait_for(lambda: service.link_state is LinkState.PAIRING)
    assert not connected.done() and keys.get("SIM-0001") is None
    wait_for(lambda: service.connection.confirm_on_simulator() or connected.done())  # the magnet, held
    state = connected.result(WAIT)
    assert state.capabilities is not None and service.link_state is LinkState.CONNECTED
    assert seen[:3] == [LinkState.CONNECTING, LinkState.PAIRING, LinkState.CONNECTED]
    assert keys.get("SIM-0001") is not None
    codes = [e.code for e in service.link.simulator.model.events]
    assert codes.count(EventCode.PAIRED) == 1 and EventCode.SESSION_OPENED in codes


def test_cancelled_pairing_leaves_the_device_unpaired_and_stop_all_working(make, keys):
    service = make()
    connected = service.connection.connect(AWAY)
    wait_for(lambda: service.link_state is LinkState.PAIRING)
    model = service.link.simulator.model
    model._live[1] = model._live[1].with_(enabled=True)  # therapy on, from an earlier visit
    service.connection.cancel_pairing()
    with pytest.raises(NotPairedError, match="cancelled"):
        connected.result(WAIT)
    assert service.link_state is LinkState.UNPAIRED and service.link is not None
    service.stop_all().result(WAIT)
    assert model.outputs_on == ()
    assert keys.get("SIM-0001") is None and model.security.keys == {}
    paired = service.connection.pair()  # the Pair… button
    wait_for(lambda: service.connection.confirm_on_simulator() or paired.done())
    paired.result(WAIT)
    assert service.link_state is LinkState.CONNECTED


def test_once_paired_a_service_authenticates_by_itself_and_again_after_a_replug(drg_store, keys):
    """One simulated device, met by two services in turn (two visits) that share the key store."""
    backend = SimBackend()
    usb = backend.plug(DeviceModel(Scenario.from_query({"magnet": "held"})), UsbFaults(latency_s=0))

    def opener(uri: str) -> Link:
        transport = UsbTransport(backend)
        transport.open()
        return Link(uri, transport, PulseGenerator(transport), simulator=usb)

    try:
        for visit in (1, 2):
            service = ProgrammingService(drg_store, opener=opener, keys=keys, user=qa_user())
            seen = states(service)
            try:
                service.connection.connect("sim://0").result(WAIT)
                assert (LinkState.PAIRING in seen) == (visit == 1)  # the second visit asks for nothing
                if visit == 2:
                    usb.unplug()
                    usb.replug()
                    wait_for(lambda s=service: s.link_state is LinkState.CONNECTED)
                    assert service.link.client.read_lead(1).lead == 1  # the replug ended the session: a new one
            finally:
                service.shutdown()
        codes = [e.code for e in usb.model.events]
        assert codes.count(EventCode.PAIRED) == 1 and codes.count(EventCode.SESSION_OPENED) == 3
    finally:
        backend.shutdown()
