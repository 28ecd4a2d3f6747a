"""The live waveform view with real widgets, painted offscreen.

The paint test guards the PySide6/pyqtgraph pin: PySide6 6.12 with
pyqtgraph 0.14 aborts the interpreter while painting an axis.
"""

import re

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from drivers.sim.tissue import DrivePath
from drivers.sim.waveform import LeadDrive, render
from drivers.types import LeadConfig, Polarity, TelemetryBlock
from ui import dialogs, theme
from ui.waveforms import WaveformView
from ui.waveforms.programmed import programmed_trace
from ui.waveforms.ranges import nice_ceil

RATE_HZ = 50_000
SETTINGS = ((1000, 300, 60), (600, 200, 40), (1500, 400, 100), (300, 720, 20))  # µA, µs, Hz
CONTACTS = (Polarity.CATHODE, Polarity.ANODE, Polarity.OFF, Polarity.OFF)


class FakeReceiver:
    """Delivers a 20 ms block of simulated biphasic pulses on every drain, like TelemetryReceiver."""

    def __init__(self, rate_hz: int = RATE_HZ, block_s: float = 0.02, leads: tuple[int, ...] = (1, 2, 3, 4)) -> None:
        self.rate_hz, self.block, self.leads = rate_hz, int(rate_hz * block_s), leads
        self.drives = [LeadDrive(a, pw, f, DrivePath(r_ohm=650.0, c_f=10e-6)) for a, pw, f in SETTINGS[: len(leads)]]
        self.next_sample = 0
        self.dropped_blocks, self.lost_samples = 3, 17

    def drain(self) -> list[TelemetryBlock]:
        current, voltage = render(self.drives, self.next_sample, self.block, self.rate_hz)
        block = TelemetryBlock(self.next_sample, self.rate_hz, self.leads, current, voltage)
        self.next_sample += self.block
        return [block]


@pytest.fixture
def view(qtbot):
    widget = WaveformView(4)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def source(view, qtbot):
    receiver = FakeReceiver()
    view.attach(receiver)
    qtbot.waitUntil(lambda: receiver.next_sample >= RATE_HZ // 4, timeout=5000)
    return receiver


def plot_rect(view: WaveformView, item) -> QRect:
    """Where a graphics item (a ViewBox, an axis) is in the view's own pixels."""
    polygon = view.plots.mapFromScene(item.sceneBoundingRect())
    rect = polygon.boundingRect()
    return QRect(view.plots.mapTo(view, rect.topLeft()), rect.size())


def count_colour(image: QImage, rect: QRect, rgb: tuple[int, int, int]) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = pixels[:, : image.width() * 3].reshape(image.height(), image.width(), 3)
    area = pixels[rect.top() : rect.bottom(), rect.left() : rect.right()]
    return int(np.all(area == rgb, axis=-1).sum())


def shown_current(view: WaveformView, lead: int) -> np.ndarray:
    return view._rows[lead - 1].current_curve.getData()[1].copy()


def test_the_waveforms_and_axes_are_really_painted(view, qtbot):
    lead1 = view._rows[0]
    before = view.grab().toImage()
    assert count_colour(before, plot_rect(view, lead1.current.getViewBox()), theme.rgb(theme.SCOPE_CURRENT)) == 0

    view.attach(receiver := FakeReceiver())
    qtbot.waitUntil(lambda: receiver.next_sample >= RATE_HZ // 5, timeout=5000)

    def drawn():
        image = view.grab().toImage()
        rows = view._rows
        colour = theme.rgb(theme.SCOPE_CURRENT)
        return (
            image
            if all(count_colour(image, plot_rect(view, r.current.getViewBox()), colour) > 50 for r in rows)
            else None
        )

    qtbot.waitUntil(lambda: drawn() is not None, timeout=5000)  # the display timer has painted the samples
    image = drawn()
    for row in view._rows:
        assert count_colour(image, plot_rect(view, row.current.getViewBox()), theme.rgb(theme.SCOPE_CURRENT)) > 50
        assert count_colour(image, plot_rect(view, row.voltage.getViewBox()), theme.rgb(theme.SCOPE_VOLTAGE)) > 50
    for axis in ("left", "bottom"):
        rect = plot_rect(view, view._rows[-1].current.getAxis(axis))
        assert count_colour(image, rect, theme.rgb(theme.SCOPE_GRID)) > 10  # axis line and ticks
        labels = image.copy(rect).convertToFormat(QImage.Format.Format_RGB888)
        colours = {labels.pixelColor(x, y).rgb() for x in range(labels.width()) for y in range(labels.height())}
        assert len(colours) > 5  # antialiased tick label text, not a flat fill


def test_pause_freezes_the_display_while_data_keeps_arriving(view, source, qtbot):
    view.pause_button.click()
    assert view.paused and view.pause_button.text() == "Resume"
    frozen, frozen_samples = shown_current(view, 1), view.visible_samples()
    delivered = source.next_sample
    qtbot.waitUntil(lambda: source.next_sample > delivered + RATE_HZ // 10, timeout=5000)
    np.testing.assert_array_equal(shown_current(view, 1), frozen)
    assert view.visible_samples()[0] == frozen_samples[0]
    assert "paused" in view.status_label.text()

    view.pause_button.click()
    first, _, current, _ = view.visible_samples()
    assert first + current.shape[1] == source.next_sample  # caught up with everything received
    assert not np.array_equal(shown_current(view, 1), frozen)


def test_space_toggles_pause_when_the_view_has_focus(view, qtbot):
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.paused
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert not view.paused


def test_window_combo_sets_the_visible_time_span(view, source, qtbot):
    assert view.window_s == 0.2
    assert view._rows[0].current.viewRange()[0] == pytest.approx([-0.2, 0.0])
    combo = view.window_combo
    combo.setCurrentIndex(combo.findText("50 ms"))
    for row in view._rows:
        for plot in row.plots():
            assert plot.viewRange()[0] == pytest.approx([-0.05, 0.0])
    x = view._rows[0].current_curve.getData()[0]
    assert -0.05 <= x.min() < -0.049 and x.max() <= 0
    assert view.visible_samples()[2].shape[1] == 0.05 * RATE_HZ
    combo.setCurrentIndex(combo.findText("10 s"))
    assert view._rows[3].voltage.viewRange()[0] == pytest.approx([-10.0, 0.0])
    with pytest.raises(ValueError):
        view.set_window(3.0)


def test_curves_are_decimated_to_about_two_points_per_pixel_column(view, source):
    view.set_window(1.0)
    samples = view.visible_samples()[2].shape[1]
    points = view._rows[0].current_curve.getData()[1].size
    columns = view._rows[0].current.getViewBox().width()
    assert samples > 4 * columns  # enough data that decimation matters
    assert points <= 2 * columns + 2


def test_csv_export_holds_every_visible_sample(view, source, tmp_path):
    view.set_paused(True)
    first, rate, current, voltage = view.visible_samples()
    path = tmp_path / "waves.csv"
    assert view.export_csv(path) == current.shape[1] == 0.2 * RATE_HZ
    lines = path.read_text().splitlines()
    assert lines[0] == (
        "time_s,lead1_current_ua,lead1_voltage_mv,lead2_current_ua,lead2_voltage_mv,"
        "lead3_current_ua,lead3_voltage_mv,lead4_current_ua,lead4_voltage_mv"
    )
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    assert table.shape == (current.shape[1], 9)
    np.testing.assert_allclose(table[:, 0], (first + np.arange(current.shape[1])) / rate, atol=1e-6)
    np.testing.assert_array_equal(table[:, 1::2].T, current)
    np.testing.assert_array_equal(table[:, 2::2].T, voltage)
    assert table[:, 1].min() == -SETTINGS[0][0]  # the cathodic phase is in the file


def test_png_export_writes_an_image_of_the_plots(view, source, tmp_path):
    path = tmp_path / "waves.png"
    view.export_png(path)
    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() > 800 and image.height() > 400
    assert path.stat().st_size > 10_000


def test_export_buttons_ask_for_a_file_and_write_it(view, source, tmp_path, monkeypatch):
    targets = iter([tmp_path / "a.png", tmp_path / "a.csv", ""])
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args, **kwargs: str(next(targets)))
    view.findChild(object, "waveformExportPng").click()
    view.findChild(object, "waveformExportCsv").click()
    view.findChild(object, "waveformExportCsv").click()  # cancelled: nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.png"]


def test_a_failed_export_is_reported(view, source, tmp_path, monkeypatch):
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args, **kwargs: str(tmp_path / "missing" / "a.csv"))
    view.csv_button.click()
    (box,) = [b for b in view.findChildren(QMessageBox, "waveformExportFailed") if b.isVisible()]
    assert "missing" in box.text()
    box.close()


def test_cursor_readout_shows_time_current_and_voltage_under_the_mouse(view, source, qtbot):
    view.set_paused(True)
    box = view._rows[1].current.getViewBox()
    centre = view.plots.mapFromScene(box.sceneBoundingRect().center())
    qtbot.mouseMove(view.plots.viewport(), centre)
    qtbot.waitUntil(lambda: "µA" in view.cursor_label.text())
    text = view.cursor_label.text()
    match = re.search(r"Lead 2 · t = (-?[\d.]+) ms · (-?\d+) µA · (-?[\d.]+) V", text)
    assert match, text
    t_ms, current_ua = float(match[1]), int(match[2])
    assert -200 < t_ms < 0
    _, rate, current, _ = view.visible_samples()
    back = round(-t_ms / 1000 * rate)
    nearby = current[1, -1 - back - 2 : -back + 2 if back > 1 else None]
    assert nearby.min() <= current_ua <= nearby.max()
    assert all(
        line.isVisible() and line.value() == pytest.approx(t_ms / 1000, abs=1e-5)
        for row in view._rows
        for line in row.cursors
    )

    qtbot.mouseMove(view.plots.viewport(), QPoint(2, 2))  # outside every plot
    assert "µA" not in view.cursor_label.text()
    assert not view._rows[0].cursors[0].isVisible()
    qtbot.mouseMove(view.plots.viewport(), centre)
    assert view._rows[0].cursors[0].isVisible()
    QApplication.sendEvent(view.plots.viewport(), QEvent(QEvent.Type.Leave))  # the mouse left the plots
    assert "µA" not in view.cursor_label.text()
    assert not view._rows[0].cursors[0].isVisible()


def test_programmed_overlay_is_dashed_and_in_phase_with_delivered_pulses(view, source):
    amplitude, width, frequency = SETTINGS[0]
    view.set_programmed(1, LeadConfig(1, CONTACTS, amplitude, width, frequency, enabled=True))
    curve = view._rows[0].programmed_curve
    assert curve.pen().style() == Qt.PenStyle.DashLine
    t, programmed = curve.getData()
    assert programmed.min() == -amplitude and programmed.max() > 0
    starts = t[1:][np.diff(programmed) < 0]  # cathodic edges of the overlay
    _, rate, current, _ = view.visible_samples()
    below = current[0] < -amplitude / 2
    delivered = (np.flatnonzero(below[1:] & ~below[:-1]) + 1 - (current.shape[1] - 1)) / rate
    column_s = view.window_s / view._rows[0].current.getViewBox().width()
    assert delivered.size >= 2
    for onset in delivered:
        assert np.abs(starts - onset).min() <= 2 * column_s

    view.set_programmed(1, None)
    assert curve.getData()[0] is None or curve.getData()[0].size == 0


def test_programmed_trace_is_charge_balanced_with_a_small_opposite_tail():
    config = LeadConfig(1, CONTACTS, 1200, 300, 20, enabled=True)
    t, current = programmed_trace(config, 0.0, 0.2, onset_s=0.01)
    assert t.min() <= 0.0 and t.max() >= 0.2  # covers the window
    one_period = (t >= 0.01) & (t < 0.06 - 1e-9)  # 20 Hz: a pulse every 50 ms from the onset
    assert np.trapezoid(current[one_period], t[one_period]) == pytest.approx(0, abs=1e-9)
    assert current.min() == -1200 and 0 < current.max() <= 1200 / 5
    disabled = programmed_trace(config.with_(enabled=False), -1, 0, 0)[1]
    assert not disabled.any()


@pytest.mark.parametrize("value, expected", [(1, 1), (1.1, 2), (2, 2), (3, 5), (7, 10), (0.013, 0.02), (1650, 2000)])
def test_axis_ranges_snap_up_to_1_2_5_steps(value, expected):
    assert nice_ceil(value) == pytest.approx(expected)


def test_the_current_range_grows_with_the_programmed_amplitude(view, source):
    view.set_programmed(4, LeadConfig(4, CONTACTS, 4000, 300, 20, enabled=True))
    low, high = view._rows[3].current.viewRange()[1]
    assert low <= -4000 and high >= 4000


def test_status_shows_rate_samples_and_the_sources_loss_counters(view, source, qtbot):
    view.tick()
    text = view.status_label.text()
    assert "50 kS/s" in text and "3 dropped blocks" in text and "17 lost samples" in text
    received = int(re.search(r"([\d,]+) samples", text)[1].replace(",", ""))
    assert received == source.next_sample


def test_on_link_loss_the_traces_grey_out_with_no_signal_since_and_the_footer_says_so(view, source):
    from datetime import datetime

    view.tick()
    view.set_lead_label(1, "L4 left \u00b7 lead 1")
    lost = datetime(2026, 12, 5, 10, 20, 1).astimezone()
    view.set_signal(False, lost)
    row = view._rows[0]
    assert row.title.text == "L4 left \u00b7 lead 1 \u00b7 no signal since 10:20:01"
    assert view.status_label.text().startswith("Link lost: no signal since 10:20:01")
    assert "kS/s" not in view.status_label.text()
    assert row.current_curve.pen().color().name() == theme.SCOPE_NO_SIGNAL.lower()
    view.set_signal(True)
    assert row.title.text == "L4 left \u00b7 lead 1" and view.no_signal_since is None
    assert row.current_curve.pen().color().name() == theme.SCOPE_CURRENT.lower()
    assert "50 kS/s" in view.status_label.text()


def test_zoom_shows_the_pulse_at_full_resolution_and_reset_brings_the_window_back(view, source, qtbot):
    view.tick()
    rate = view.visible_samples()[1]
    plot = view._rows[0].current
    plot.setXRange(-0.002, -0.001, padding=0)  # zoomed to 1 ms: 50 samples at 50 kS/s
    x = view._rows[0].current_curve.getData()[0]
    assert x.min() >= -0.002 - 2 / rate and x.max() <= -0.001 + 2 / rate
    assert len(x) >= 2 * 45  # every sample of the span reaches the screen, not a window's column
    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    assert view.shown_span_s() == (-view.window_s, 0.0)
    x = view._rows[0].current_curve.getData()[0]
    assert x.min() < -0.9 * view.window_s


def test_a_new_stream_rate_recreates_the_ring(view, qtbot):
    view.attach(slow := FakeReceiver(rate_hz=10_000))
    qtbot.waitUntil(lambda: view.visible_samples()[1] == 10_000)
    view.attach(FakeReceiver(rate_hz=20_000))
    qtbot.waitUntil(lambda: view.visible_samples()[1] == 20_000)
    qtbot.waitUntil(lambda: "20 kS/s" in view.status_label.text())  # the footer is rewritten 10 times a second
    assert slow.next_sample > 0
    assert view._ring.capacity == 10 * 20_000


def test_clear_forgets_the_samples_but_keeps_labels(view, source):
    view.attach(None)
    view.set_lead_label(1, "Lead 1 · L4 left")
    view.clear()
    assert view.visible_samples()[2].shape[1] == 0
    assert view._rows[0].current_curve.getData()[1] is None or view._rows[0].current_curve.getData()[1].size == 0
    assert "0 samples" in view.status_label.text()
    assert view._rows[0].title.text == "Lead 1 · L4 left"


def test_every_control_has_a_stable_name_an_accessible_name_and_a_tooltip(view):
    for name in (
        "waveformWindow",
        "waveformPause",
        "waveformCursor",
        "waveformExportPng",
        "waveformExportCsv",
        "waveformStatus",
    ):
        widget = view.findChild(object, name)
        assert widget is not None, name
        assert widget.accessibleName() and widget.toolTip(), name
    assert [view.window_combo.itemText(i) for i in range(view.window_combo.count())] == [
        "50 ms",
        "200 ms",
        "1 s",
        "2 s",
        "5 s",
        "10 s",
    ]
    with pytest.raises(ValueError):
        view.set_lead_label(5, "no such lead")


def test_before_a_device_is_connected_the_view_has_no_rows_and_says_so(qtbot):
    empty = WaveformView()
    qtbot.addWidget(empty)
    assert empty.lead_count == 0 and empty._rows == []
    assert "no pulse generator" in empty.plots.accessibleName()
    empty.attach(receiver := FakeReceiver())
    empty.tick()  # a stream before the device's lead count is known has no row to show in
    assert receiver.next_sample > 0
    assert empty.visible_samples()[2].shape == (0, 0)
    with pytest.raises(ValueError):
        empty.set_lead_label(1, "no lead yet")


def test_the_rows_follow_the_lead_count_keeping_labels_and_overlays(qtbot):
    view = WaveformView()
    qtbot.addWidget(view)
    view.set_lead_count(4)
    assert [row.lead for row in view._rows] == [1, 2, 3, 4]
    assert view.plots.accessibleName() == "Current and voltage waveforms of 4 leads"
    view.set_lead_label(2, "Lead 2 · L5 right")
    view.set_programmed(1, LeadConfig(1, CONTACTS, 1000, 300, 60, enabled=True))
    view.set_lead_count(2)
    assert [row.lead for row in view._rows] == [1, 2]
    assert view._rows[1].title.text == "Lead 2 · L5 right" and view._rows[0].programmed.amplitude_ua == 1000
    with pytest.raises(ValueError):
        view.set_lead_label(3, "not on a two-lead device")
    view.attach(receiver := FakeReceiver(leads=(1, 2)))
    qtbot.waitUntil(lambda: view.visible_samples()[2].shape[1] > 0, timeout=5000)
    assert view.visible_samples()[2].shape[0] == 2 and receiver.next_sample > 0
