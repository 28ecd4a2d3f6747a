"""The connection bar: which pulse generator, whether the link is up, and
what the device says it is (identity, battery), simulator clearly marked.

A device this workstation has not paired with is paired on connecting: the
bar says to confirm on the device (the magnet over the generator) and offers
Cancel; on a simulator also "Simulate magnet", the simulator's confirmation on
the device. Unpaired (cancelled, or the window closed), it offers Pair.
STOP ALL works in every one of these states.

objectNames: linkUri, linkScan, linkConnect, linkDisconnect, linkState,
linkPair, linkPairCancel, linkSimulateMagnet, deviceIdentity, deviceBattery, simulatorBadge.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from drivers.types import BatteryState
from ui import theme
from ui.bridge import ServiceBridge
from ui.widgets import named
from workstation.service import LinkState, ServiceError

STATE_STYLE = {
    LinkState.CONNECTED: ("Connected", theme.OK),
    LinkState.CONNECTING: ("Connecting…", theme.INFO),
    LinkState.RECONNECTING: ("Reconnecting…", theme.WARNING),
    LinkState.DISCONNECTED: ("Disconnected", theme.TEXT_MUTED),
    LinkState.PAIRING: ("Pairing: confirm on the device…", theme.INFO),
    LinkState.UNPAIRED: ("Not paired", theme.WARNING),
}
BATTERY_TEXT = {BatteryState.OK: "OK", BatteryState.ERI: "ERI: replace soon", BatteryState.EOS: "END OF SERVICE"}
BATTERY_COLOUR = {BatteryState.OK: theme.OK, BatteryState.ERI: theme.WARNING, BatteryState.EOS: theme.DANGER}


READOUT_MIN_PX = 60  # the device's identity and battery, when the bar is short of room


class ConnectionBar(QWidget):
    def __init__(self, bridge: ServiceBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setObjectName("connectionBar")
        self.uri = named(
            QComboBox(editable=True),
            "linkUri",
            "Link",
            "Pulse generator to connect to: sim://0 is the simulator, usb://SERIAL a real device.",
        )
        self.uri.setMinimumContentsLength(18)
        # as wide as 18 characters whatever it holds: a long URI scrolls inside, the bar keeps its place
        self.uri.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scan = named(QPushButton("Scan"), "linkScan", "Scan for devices", "List pulse generators on USB.")
        self.connect_button = named(
            QPushButton("Connect"), "linkConnect", "Connect", "Open the link and interrogate the device."
        )
        self.disconnect_button = named(
            QPushButton("Disconnect"),
            "linkDisconnect",
            "Disconnect",
            "Close the link. The device keeps its stored program.",
        )
        self.pair_button = named(
            QPushButton("Pair…"),
            "linkPair",
            "Pair with the device",
            "Pair this workstation with the pulse generator: you confirm on the device, holding the magnet over it.",
        )
        self.cancel_pair_button = named(
            QPushButton("Cancel pairing"),
            "linkPairCancel",
            "Cancel pairing",
            "Stop waiting for the confirmation on the device; the device stays unpaired.",
        )
        self.magnet_button = named(
            QPushButton("Simulate magnet"),
            "linkSimulateMagnet",
            "Simulate the magnet",
            "Simulator only: the clinician's magnet over the generator, which confirms the pairing on the device.",
        )
        self.state_label = named(QLabel(), "linkState", "Link state", "State of the USB link.")
        self.identity = named(
            QLabel("No device"),
            "deviceIdentity",
            "Device identity",
            "Model, serial number, firmware and hardware revision.",
        )
        self.battery = named(QLabel(""), "deviceBattery", "Battery", "Primary-cell battery of the pulse generator.")
        self.sim_badge = named(
            QLabel(" SIMULATOR "),
            "simulatorBadge",
            "Simulated device",
            "This is a simulated pulse generator, not a patient's device.",
        )
        self.sim_badge.setStyleSheet(
            f"background:{theme.SIMULATOR};color:{theme.TEXT_ON_FILL};font-weight:bold;border-radius:3px;"
        )
        self.sim_badge.hide()
        for label in (self.identity, self.battery):
            # short of room (1366 px, connected) these read-outs give way: left at their text's width, they
            # made Qt squeeze the link field instead and move the buttons after it (issue 14.1)
            label.setMinimumWidth(READOUT_MIN_PX)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (
            self.uri,
            self.scan,
            self.connect_button,
            self.disconnect_button,
            self.pair_button,
            self.cancel_pair_button,
            self.magnet_button,
            self.state_label,
            self.sim_badge,
            self.identity,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.battery)
        self.scan.clicked.connect(self.rescan)
        self.connect_button.clicked.connect(self.connect_link)
        self.disconnect_button.clicked.connect(lambda: bridge.service.connection.disconnect())
        self.pair_button.clicked.connect(self.pair)
        self.cancel_pair_button.clicked.connect(lambda: bridge.service.connection.cancel_pairing())
        self.magnet_button.clicked.connect(lambda: bridge.service.connection.confirm_on_simulator())
        bridge.linkChanged.connect(self._on_link)
        bridge.deviceChanged.connect(self._on_device)
        bridge.batteryChanged.connect(self._on_battery)
        self.rescan()
        self._on_link(bridge.service.link_state, "")

    def rescan(self) -> None:
        """List devices on a worker thread: USB enumeration must never hold up the GUI (or STOP ALL)."""
        self.scan.setEnabled(False)
        self.bridge.run(self.bridge.service.connection.discover(), self._scanned)

    def _scanned(self, future) -> None:
        self.scan.setEnabled(True)
        if future.exception() is not None:
            self.state_label.setToolTip(f"Scan failed: {future.exception()}")
            return
        current = self.uri.currentText()
        self.uri.clear()
        self.uri.addItems(future.result())
        if current:
            self.uri.setCurrentText(current)

    def connect_link(self) -> None:
        uri = self.uri.currentText().strip() or "sim://0"
        try:
            future = self.bridge.service.connection.connect(uri)
        except ServiceError as exc:  # not logged in, or a role that may not connect
            self.state_label.setText(f"Not connected: {exc}")
            return
        self.bridge.run(future, self._connected)

    def pair(self) -> None:
        self.bridge.run(self.bridge.service.connection.pair(), self._connected)

    def _connected(self, future) -> None:
        if future.exception() is not None and self.bridge.service.link_state is not LinkState.UNPAIRED:
            self.state_label.setText(f"Not connected: {future.exception()}")

    def _on_link(self, state: LinkState, detail: str) -> None:
        text, colour = STATE_STYLE[state]
        self.state_label.setText(f"● {text}")  # the detail in the tooltip and the banner: the bar keeps its width
        self.state_label.setStyleSheet(f"color:{colour};font-weight:bold;")
        self.state_label.setToolTip(detail or text)
        connected = state == LinkState.CONNECTED
        self.connect_button.setEnabled(state == LinkState.DISCONNECTED)
        self.disconnect_button.setEnabled(state != LinkState.DISCONNECTED)
        self.uri.setEnabled(state == LinkState.DISCONNECTED)
        self.sim_badge.setVisible(self.bridge.service.connection.simulated)
        self.pair_button.setVisible(state == LinkState.UNPAIRED)
        self.cancel_pair_button.setVisible(state == LinkState.PAIRING)
        self.magnet_button.setVisible(state == LinkState.PAIRING and self.bridge.service.connection.simulated)
        if state == LinkState.DISCONNECTED:
            self.identity.setText("No device")
            self.battery.setText("")
        elif connected and self.bridge.service.state.identity:
            self._on_device(self.bridge.service.state)

    def _on_device(self, state) -> None:
        ident = state.identity
        if ident is None:
            return
        self.identity.setText(f"{ident.model} · SN {ident.serial} · FW {ident.firmware} · HW {ident.hardware_rev}")
        self._on_battery(state.battery)

    def _on_battery(self, battery) -> None:
        if battery is None:
            return
        volts = f"{battery.voltage_mv / 1000:.2f} V"
        self.battery.setToolTip(f"Primary-cell battery: {battery.percent}% ({volts}), {BATTERY_TEXT[battery.state]}.")
        if battery.state is BatteryState.OK:
            self.battery.setText(f"Battery {battery.percent}% ({volts}) · {BATTERY_TEXT[battery.state]}")
            self.battery.setStyleSheet(f"color:{BATTERY_COLOUR[battery.state]};")
        else:  # ERI and EOS are not a footnote: a filled, bold badge (the volts go to the tooltip)
            self.battery.setText(f"Battery {battery.percent}% · {BATTERY_TEXT[battery.state]}")
            ink = theme.TEXT if battery.state is BatteryState.ERI else theme.TEXT_ON_FILL
            fill = theme.WARNING_FILL if battery.state is BatteryState.ERI else theme.DANGER
            self.battery.setStyleSheet(
                f"background:{fill};color:{ink};font-weight:bold;padding:2px 6px;border-radius:3px;"
            )
        self.battery.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
