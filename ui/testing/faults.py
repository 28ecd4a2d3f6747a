"""USB faults at a named protocol moment, for QA tests on the simulator.

``inject_at(device, MsgType.COMMIT_PROGRAM, "after_execute", Fault.UNPLUG)`` arms a one-shot fault: the
next time the host writes a COMMIT_PROGRAM command, the simulated device fails the exchange at that
moment. It watches the commands written (``SimDevice.command_watchers``, drivers/sim/backend.py) and plans
the fault on the right transfer, so it does not depend on how many transfers come first.

Moments:

``before_command``
    the command's own write fails: the device's firmware never sees the command.
    UNPLUG: the device leaves the bus; STALL: the OUT endpoint halts (the driver clears it and, since the
    command was not delivered, sends it again once); DROP and TIMEOUT: the write is lost, no reply comes.
``after_execute``
    the firmware has executed the command; its reply is lost on the way back.
    UNPLUG: the device leaves the bus before the reply is read; STALL: the IN endpoint halts as the reply is
    read (a delivered command that is not idempotent is not sent again); DROP and TIMEOUT: the reply never
    comes; CORRUPT: the reply arrives damaged.

``device`` is the simulated USB device (the ``drg_usb`` fixture), a ``ProgrammingService`` or a ``Link``
on ``sim://``. The returned ``Injection`` tells whether and at which transfer the fault fired.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum

from drivers.protocol.frame import HEADER
from drivers.protocol.messages import MsgType
from drivers.sim.backend import Fault, SimDevice

__all__ = ["Fault", "Injection", "Moment", "MsgType", "inject_at", "sim_device"]


class Moment(str, Enum):
    BEFORE_COMMAND = "before_command"
    AFTER_EXECUTE = "after_execute"


# moment -> fault -> (transfer offset from the command's write, the fault planned there)
_PLAN: dict[Moment, dict[Fault, tuple[int, Fault]]] = {
    Moment.BEFORE_COMMAND: {
        Fault.UNPLUG: (0, Fault.UNPLUG),
        Fault.STALL: (0, Fault.STALL),
        Fault.DROP: (0, Fault.DROP),
        Fault.TIMEOUT: (0, Fault.DROP),  # nothing executes and no reply comes: a lost write
        Fault.CORRUPT: (0, Fault.CORRUPT),
    },
    Moment.AFTER_EXECUTE: {
        Fault.UNPLUG: (1, Fault.UNPLUG),
        Fault.STALL: (1, Fault.STALL),
        Fault.DROP: (0, Fault.TIMEOUT),  # the command executes, its reply is swallowed
        Fault.TIMEOUT: (0, Fault.TIMEOUT),
        Fault.CORRUPT: (1, Fault.CORRUPT),
    },
}


def sim_device(target) -> SimDevice:
    """The SimDevice behind a SimDevice, a ProgrammingService or a sim:// Link."""
    if isinstance(target, SimDevice):
        return target
    link = getattr(target, "link", target)  # a service holds its link
    device = getattr(link, "simulator", None)
    if not isinstance(device, SimDevice):
        raise TypeError(f"{target!r} is not on a simulated device (sim://)")
    return device


@dataclass(eq=False)
class Injection:
    """One armed fault. `fired` is set when it was planned on a transfer (`transfer`)."""

    device: SimDevice
    msg_type: MsgType
    moment: Moment
    fault: Fault
    occurrence: int = 1
    seen: int = 0
    transfer: int | None = None
    fired: threading.Event = field(default_factory=threading.Event)

    def __call__(self, device: SimDevice, frame: bytes) -> None:
        """The command watcher (called by SimDevice with its lock held)."""
        if self.fired.is_set() or len(frame) < HEADER.size or HEADER.unpack_from(frame)[2] != self.msg_type:
            return
        self.seen += 1
        if self.seen < self.occurrence:
            return
        offset, planned = _PLAN[self.moment][self.fault]
        self.transfer = device.transfers + offset
        device.faults.planned[self.transfer] = planned
        self.fired.set()
        self.cancel()

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block (a plain thread wait; in a Qt test prefer qtbot.waitUntil(injection.fired.is_set))."""
        return self.fired.wait(timeout_s)

    def cancel(self) -> None:
        """Disarm (a no-op once fired); a planned transfer not yet reached stays planned."""
        if self in self.device.command_watchers:
            self.device.command_watchers.remove(self)


def inject_at(
    device,
    msg_type: MsgType,
    moment: Moment | str = Moment.AFTER_EXECUTE,
    fault: Fault = Fault.UNPLUG,
    occurrence: int = 1,
) -> Injection:
    """Fail the `occurrence`-th next `msg_type` command at `moment` with `fault` (see the module doc)."""
    moment = Moment(moment)
    if occurrence < 1:
        raise ValueError("occurrence counts from 1")
    sim = sim_device(device)
    injection = Injection(sim, MsgType(msg_type), moment, fault, occurrence)
    sim.command_watchers.append(injection)
    return injection
