"""Shared helpers of the adversarial service tests: contact shorthand, condition waits, a lead switched on."""

import time
from collections.abc import Callable

from drivers.types import ImpedanceMode, LeadConfig, Polarity
from workstation.service import ProgrammingService, SteppedClock

P = Polarity.ANODE
M = Polarity.CATHODE
O = Polarity.OFF
WAIT = 10  # seconds any single service call may take before a test gives up


def until(cond: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll `cond` until it holds (True) or `timeout` seconds pass (False)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def lead_on(svc: ProgrammingService, lead: int = 1, pw: int = 200) -> None:
    """Configure `lead` at 0 uA, measure its impedance and switch its output on."""
    svc.outputs.write_lead(LeadConfig(lead, (P, M, O, O), 0, pw, 20, False, 3000)).result(WAIT)
    svc.impedance.measure(ImpedanceMode.LEAD_PAIR, (lead,)).result(WAIT)
    svc.outputs.set_enabled(lead, True).result(WAIT)


def advance_until(clock: SteppedClock, cond: Callable[[], bool], n: int = 2000) -> bool:
    """Step `clock` 50 ms at a time (at most `n` steps), letting the service run, until `cond` holds."""
    for _ in range(n):
        if cond():
            return True
        clock.advance(0.05)
        until(cond, 0.02)
    return cond()
