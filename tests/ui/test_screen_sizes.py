"""Every clinic display (issue 14.3): a 1366x768 laptop fits everything without cut-offs or a
scroll inside a scroll; Full HD and a 4K screen at 200 % use the space (the waveforms beside the
programming controls, idle leads' rows thin, fields no wider than what they hold). Each size is
rendered offscreen with widget.grab() and saved as a PNG in the test's tmp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QRect, QSettings

from ui.main_window import MainWindow
from ui.testing.screens import demo_visit, problems, screenshot, settled, show_at
from ui.waveforms.plots import IDLE_ROW_PX

WAIT_MS = 10_000


@pytest.fixture
def visit_window(qtbot, drg_service, drg_store, tmp_path):
    """The main window over a visit: lead 1 stimulating at L4 left, leads 2-4 idle."""
    demo_visit(drg_service, drg_store)
    window = MainWindow(drg_service, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    yield window
    window.may_close = lambda: True
    window.close()
    window.deleteLater()


def shown_at(qtbot, window: MainWindow, width: int, height: int) -> MainWindow:
    show_at(window, QRect(0, 0, width, height))
    qtbot.waitUntil(lambda: settled(window) and window.size().width() == width, timeout=WAIT_MS)
    return window


def every_tab(qtbot, window: MainWindow, tmp_path, size: str) -> dict[str, list[str]]:
    """The problems of each tab, each tab's screenshot saved as a PNG."""
    found = {}
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda i=index: window.tabs.currentWidget().isVisible() and window.tabs.currentIndex() == i)
        name = window.tabs.tabText(index).replace("&", "")
        screenshot(window).save(str(tmp_path / f"{size} {name}.png"))
        found[name] = problems(window)
    return {tab: found[tab] for tab in found if found[tab]}


def test_a_1366x768_laptop_shows_every_control_whole_without_scrolling(qtbot, visit_window, tmp_path):
    window = shown_at(qtbot, visit_window, 1366, 768)
    assert window.minimumSizeHint().width() <= 1366 and window.minimumSizeHint().height() <= 768
    assert every_tab(qtbot, window, tmp_path, "1366x768") == {}
    assert not window.waveforms.isVisibleTo(window.programming)  # too narrow: the waveforms keep their tab


def test_full_hd_puts_the_waveforms_beside_the_controls_and_keeps_idle_leads_thin(qtbot, visit_window, tmp_path):
    window = shown_at(qtbot, visit_window, 1920, 1080)
    assert every_tab(qtbot, window, tmp_path, "1920x1080") == {}
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.waveforms.isVisible())  # on the Programming tab, beside the lead panel
    assert window.waveforms.x() > window.lead_panel.x() + window.lead_panel.width() - 1
    live, *idle = (row.current for row in window.waveforms._rows)
    assert all(plot.size().height() <= IDLE_ROW_PX for plot in idle)
    assert live.size().height() > 4 * IDLE_ROW_PX


def test_a_4k_screen_at_200_percent_uses_the_space(tmp_path):
    """QT_SCALE_FACTOR is read once per process: the 4K screen is drawn in its own."""
    png = tmp_path / "3840x2160 at 200 %.png"
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "ui.testing.screens", "1920", "1080", str(png)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["settled"] and report["ratio"] == 2.0
    assert {tab: found for tab, found in report["problems"].items() if found} == {}
    assert png.exists()


def test_the_first_start_is_maximised(qtbot, drg_service, tmp_path):
    """Later starts open at the geometry last given: test_main_window.py::test_window_state_is_remembered."""
    first = MainWindow(drg_service, QSettings(str(tmp_path / "sizes.ini"), QSettings.Format.IniFormat))
    first.may_close = lambda: True
    qtbot.addWidget(first)  # closed whatever happens: a window left open takes the pointer of later tests
    first.show()
    qtbot.waitUntil(first.isMaximized)
