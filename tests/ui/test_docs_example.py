"""The complete GUI test shown in docs/testing.md, kept here so it cannot go stale."""

from PySide6.QtCore import Qt

from ui.testing.plugin import find, lead_panel


def test_minus_lowers_amplitude_on_the_device(qtbot, drg_window_session, drg_service, drg_device):
    drg_service.outputs.write_lead(drg_service.state.leads[1].with_(contacts=(1, 2, 0, 0))).result(5)
    drg_service.impedance.measure().result(5)
    drg_service.outputs.set_enabled(1, True).result(5)
    drg_service.outputs.set_amplitude(1, 200).result(5)
    qtbot.mouseClick(find(lead_panel(drg_window_session, 1), "ampDown"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: drg_device.live_leads[0].amplitude_ua == 175)
