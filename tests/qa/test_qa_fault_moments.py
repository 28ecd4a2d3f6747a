"""inject_at: each protocol moment really occurs. "before_command": the firmware never executed the
command when the host's exchange failed; "after_execute": it had executed it, and the reply was lost."""

from __future__ import annotations

import pytest

from drivers.errors import DeviceGone, DeviceTimeout, DriverError, EndpointStalled
from drivers.links import open_link
from drivers.types import EventCode, LeadConfig, Polarity, Program
from ui.testing.plugin import sim_uri
from ui.testing.qa import Fault, Moment, MsgType, inject_at

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


@pytest.fixture
def link():
    link = open_link(sim_uri(pair="1"))
    for n in range(1, 5):
        link.client.write_lead(LeadConfig(n, (P, M, O, O), patient_max_ua=1500))
    link.client.measure_impedance()
    yield link
    link.close()


def new_program() -> Program:
    return Program("New", tuple(LeadConfig(n, (P, M, O, O), 200, 300, 20, True, 1500) for n in range(1, 5)))


def commits(link) -> int:
    return sum(e.code == EventCode.PROGRAM_COMMITTED for e in link.simulator.model.events)


# fault -> (what the host sees, commits executed at that moment) for each moment
BEFORE = {Fault.UNPLUG: DeviceGone, Fault.DROP: DeviceTimeout, Fault.TIMEOUT: DeviceTimeout}
AFTER = {
    Fault.UNPLUG: DeviceGone,
    Fault.DROP: DeviceTimeout,
    Fault.TIMEOUT: DeviceTimeout,
    Fault.STALL: EndpointStalled,
}


@pytest.mark.parametrize("fault", list(BEFORE))
def test_before_command_the_firmware_never_sees_it(link, fault):
    old = link.simulator.model.stored_program
    injection = inject_at(link.simulator, MsgType.COMMIT_PROGRAM, Moment.BEFORE_COMMAND, fault)
    with pytest.raises(BEFORE[fault]):
        link.client.write_program(new_program())
    assert injection.fired.is_set()
    assert commits(link) == 0
    assert link.simulator.model.stored_program == old


@pytest.mark.parametrize("fault", list(AFTER))
def test_after_execute_the_command_ran_and_its_reply_is_lost(link, fault):
    injection = inject_at(link.simulator, MsgType.COMMIT_PROGRAM, "after_execute", fault)
    with pytest.raises(AFTER[fault]):
        link.client.write_program(new_program())
    assert injection.fired.is_set()
    assert commits(link) == 1
    assert link.simulator.model.stored_program == new_program()


def test_a_stall_before_the_command_is_cleared_and_the_command_sent_once_more(link):
    """The command was not delivered, so the driver sends it again: one commit, no error."""
    injection = inject_at(link.simulator, MsgType.COMMIT_PROGRAM, "before_command", Fault.STALL)
    assert link.client.write_program(new_program()) == new_program()
    assert injection.fired.is_set() and commits(link) == 1


def test_only_the_named_command_and_occurrence_is_hit(link):
    """STAGE_LEAD is sent once per lead: the third one fails, the two before it went through."""
    staged: list[int] = []
    link.simulator.command_watchers.append(lambda _dev, frame: staged.append(frame[3]))
    injection = inject_at(link.simulator, MsgType.STAGE_LEAD, "before_command", Fault.UNPLUG, occurrence=3)
    with pytest.raises(DriverError):
        link.client.write_program(new_program())
    assert staged.count(MsgType.STAGE_LEAD) == 3 and MsgType.COMMIT_PROGRAM not in staged
    assert injection.seen == 3 and link.simulator.faults.unplugged
    assert injection not in link.simulator.command_watchers  # one-shot: disarmed once fired
