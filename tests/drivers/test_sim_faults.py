"""USB faults against the simulator: typed errors, and a stored program that is
always exactly the old or exactly the new one, wherever the link breaks."""

from __future__ import annotations

import errno

import pytest
import usb.core

from drivers.errors import DeviceGone, DeviceNotFound, DeviceTimeout, DriverError, EndpointStalled, PermissionDenied
from drivers.links import open_link
from drivers.sim.backend import Fault, SimBackend
from drivers.sim.device import DeviceModel
from drivers.transport import UsbTransport
from drivers.types import LeadConfig, Polarity, Program

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
WRITE_TRANSFERS = 2 * (2 + 4)  # STAGE_BEGIN, 4 x STAGE_LEAD, COMMIT: a command and a reply each


@pytest.fixture
def link():
    link = open_link("sim://0?pair=1&impedance_ms=1&latency_ms=0")
    yield link
    link.close()


def new_program() -> Program:
    return Program("New", tuple(LeadConfig(n, (P, M, O, O), 200, 300, 20, True, 1500) for n in range(1, 5)))


def ready_for_new_program(link) -> None:
    """Live contacts as in the new program, measured: the device accepts it when nothing breaks."""
    for n in range(1, 5):
        link.client.write_lead(LeadConfig(n, (P, M, O, O), patient_max_ua=1500))
    link.client.measure_impedance()


def test_the_new_program_is_accepted_without_a_fault(link):
    ready_for_new_program(link)
    assert link.client.write_program(new_program()) == new_program() == link.simulator.model.stored_program


@pytest.mark.parametrize("fault", [Fault.UNPLUG, Fault.CORRUPT, Fault.DROP, Fault.TIMEOUT, Fault.STALL])
def test_program_write_broken_anywhere_stores_old_or_new_exactly(fault):
    """At every transfer of the write: exactly the old or exactly the new program, and both happen."""
    outcomes = {"old": 0, "new": 0}
    for at in range(WRITE_TRANSFERS + 1):
        link = open_link("sim://0?pair=1&impedance_ms=1&latency_ms=0")
        try:
            device = link.simulator
            ready_for_new_program(link)
            old = link.client.read_program()
            device.inject(fault, after=at)
            try:
                link.client.write_program(new_program())
            except DriverError:
                pass
            device.faults.planned.clear()  # a fault planned past the write's last transfer
            if device.faults.unplugged:
                device.replug()
                link.reopen()
            stored = link.client.read_program()
            assert stored in (old, new_program())
            assert device.model.stored_program == stored
            if fault is Fault.UNPLUG and at < WRITE_TRANSFERS - 2:  # unplugged before the commit was sent
                assert stored == old
            outcomes["old" if stored == old else "new"] += 1
        finally:
            link.close()
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes


def test_unplug_surfaces_as_device_gone_and_replug_recovers(link):
    link.simulator.unplug()
    with pytest.raises(DeviceGone):
        link.client.read_lead(1)
    with pytest.raises(DeviceNotFound):
        link.reopen()
    link.simulator.replug()
    link.reopen()
    assert link.client.read_lead(1).lead == 1


def test_a_lost_reply_surfaces_as_timeout_for_a_command(link):
    link.simulator.inject(Fault.TIMEOUT)
    with pytest.raises(DeviceTimeout):
        link.client.set_stimulation(1, False)
    assert link.client.read_lead(1).lead == 1  # the late reply is discarded, the link works


def test_idempotent_reads_are_retried_after_a_timeout_or_a_corrupt_reply(link):
    link.simulator.inject(Fault.TIMEOUT)
    assert link.client.identify().serial == "SIM-0001"
    link.simulator.inject(Fault.CORRUPT, after=1)  # the reply
    assert link.client.capabilities().lead_count == 4


def test_a_corrupted_command_is_discarded_by_the_device_and_resent(link):
    before = link.simulator.model.events
    link.simulator.inject(Fault.CORRUPT)  # the command: the device answers BAD_FRAME, unread
    config = link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=2000))
    assert config.patient_max_ua == 2000 == link.client.read_lead(1).patient_max_ua
    assert len(link.simulator.model.events) == len(before) + 1  # executed once, not twice


@pytest.mark.parametrize("at", [0, 1])  # the command's transfer, its reply's
def test_a_stall_is_cleared_and_an_idempotent_read_retried_by_itself(link, at):
    link.simulator.inject(Fault.STALL, after=at)
    assert link.client.read_lead(1).lead == 1


def test_a_stalled_command_is_resent_only_if_the_device_never_saw_it(link):
    link.simulator.inject(Fault.STALL)  # on the write: not delivered, sent again
    assert link.client.set_stimulation(1, False).lead == 1
    link.simulator.inject(Fault.STALL, after=1)  # on the reply: it ran; not sent twice
    before = len(link.simulator.model.events)
    with pytest.raises(EndpointStalled):
        link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=1000))
    assert len(link.simulator.model.events) == before + 1
    assert link.client.read_lead(1).patient_max_ua == 1000  # the link works again by itself


def test_stop_all_on_ep0_works_while_a_bulk_endpoint_is_halted(link):
    """Real USB: a bulk halt does not halt EP0, so the control STOP ALL gets through."""
    ready_for_new_program(link)
    link.client.set_stimulation(1, True)
    link.simulator._halted.add(0x01)  # halted, not yet cleared by the host
    link.client.stop_all()
    assert link.simulator.model.outputs_on == ()


def test_no_permission_names_the_udev_rule():
    backend = SimBackend()
    device = backend.plug(DeviceModel())
    device.faults.deny_access = True
    transport = UsbTransport(backend)
    with pytest.raises(PermissionDenied, match="udev"):
        transport.open()
    backend.shutdown()


def test_pyusb_errors_map_to_typed_errors():
    from drivers.transport import map_usb_error

    assert isinstance(map_usb_error(usb.core.USBTimeoutError("t", -7, errno.ETIMEDOUT)), DeviceTimeout)
    assert isinstance(map_usb_error(usb.core.USBError("gone", -4, errno.ENODEV)), DeviceGone)
    assert isinstance(map_usb_error(usb.core.USBError("acc", -3, errno.EACCES)), PermissionDenied)


def test_a_device_is_found_by_serial_and_a_wrong_serial_is_not():
    link = open_link("sim://0?pair=1&serial=SIM-0042")
    try:
        assert link.transport.serial_number() == "SIM-0042"
    finally:
        link.close()
    backend = SimBackend()
    backend.plug(DeviceModel())
    with pytest.raises(DeviceNotFound, match="SIM-9999"):
        UsbTransport(backend, serial="SIM-9999").open()
    backend.shutdown()


def test_unknown_scheme_and_unknown_option_are_refused_clearly():
    with pytest.raises(ValueError, match="sim://"):
        open_link("tcp://1.2.3.4")
    with pytest.raises(ValueError, match="bogus"):
        open_link("sim://0?bogus=1")


def test_stop_all_falls_back_to_the_bulk_message_when_the_control_request_fails(link):
    link.client.write_lead(LeadConfig(1, (P, M, O, O), patient_max_ua=2000))
    link.client.measure_impedance(lead=1)
    link.client.set_stimulation(1, True)

    def stalled_control_request():
        raise usb.core.USBError("Pipe error", -9, errno.EPIPE)

    link.simulator.model.stop_all_now = stalled_control_request  # only the EP0 path breaks
    link.client.stop_all()
    assert link.simulator.model.outputs_on == ()
