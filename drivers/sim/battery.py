"""Primary (non-rechargeable) cell of the implantable generator.

The scenario picks the state; voltage and percent are what a lithium
primary cell shows in that state, so the workstation can display all three.
"""

from __future__ import annotations

from drivers.types import BatteryState, BatteryStatus

_LEVELS = {  # state: (voltage mV, percent of life left)
    BatteryState.OK: (3050, 78),
    BatteryState.ERI: (2650, 8),  # elective replacement: plan the exchange
    BatteryState.EOS: (2400, 0),  # end of service: output refused
}


def battery_status(state: BatteryState) -> BatteryStatus:
    voltage_mv, percent = _LEVELS[BatteryState(state)]
    return BatteryStatus(voltage_mv=voltage_mv, percent=percent, state=BatteryState(state))
