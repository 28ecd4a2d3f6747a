"""Pairing from the connection bar, with real widgets: a device this workstation has not paired
with asks for the confirmation on the device; cancelled, the bar says Not paired and offers Pair…,
and STOP ALL still reaches the device; the simulator's magnet button completes the pairing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ui.testing.plugin import find, sim_uri

WAIT_MS = 8000


def click(qtbot, widget) -> None:
    qtbot.waitUntil(widget.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(widget.isEnabled, timeout=WAIT_MS)
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_pairing_is_asked_cancelled_and_then_confirmed_on_the_simulated_device(qtbot, drg_window):
    window = drg_window
    click(qtbot, find(window, "linkDisconnect"))
    qtbot.waitUntil(lambda: "Disconnected" in find(window, "linkState").text(), timeout=WAIT_MS)
    uri = find(window, "linkUri")
    uri.lineEdit().selectAll()
    qtbot.keyClicks(uri.lineEdit(), sim_uri(magnet="away", serial="SIM-0888"))
    click(qtbot, find(window, "linkConnect"))
    qtbot.waitUntil(lambda: "confirm on the device" in find(window, "linkState").text(), timeout=WAIT_MS)
    assert "hold the magnet" in find(window, "linkState").text()
    assert find(window, "linkSimulateMagnet").isVisible() and find(window, "linkPairCancel").isVisible()
    assert "Pairing with the pulse generator" in find(window, "linkBanner").text()

    click(qtbot, find(window, "linkPairCancel"))
    qtbot.waitUntil(lambda: "Not paired" in find(window, "linkState").text(), timeout=WAIT_MS)
    assert find(window, "linkPair").isVisible() and not find(window, "linkSimulateMagnet").isVisible()
    assert "not paired with this workstation" in find(window, "linkBanner").text()
    model = window.service.link.simulator.model
    model._live[2] = model._live[2].with_(enabled=True)  # on from an earlier visit
    click(qtbot, find(window, "stopAll"))
    qtbot.waitUntil(lambda: model.outputs_on == (), timeout=WAIT_MS)  # STOP ALL works unpaired

    click(qtbot, find(window, "linkPair"))
    qtbot.waitUntil(lambda: find(window, "linkSimulateMagnet").isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.security._pairing is not None, timeout=WAIT_MS)  # the request reached the device
    click(qtbot, find(window, "linkSimulateMagnet"))
    qtbot.waitUntil(lambda: "Connected" in find(window, "linkState").text(), timeout=WAIT_MS)
    assert "SIM-0888" in find(window, "deviceIdentity").text() and not find(window, "linkBanner").isVisible()
