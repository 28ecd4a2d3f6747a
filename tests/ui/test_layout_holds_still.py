"""A whole visit on the Programming tab with no control moving under the pointer: every visible
interactive control keeps its place and size from the moment it first shows (issue 14.1).

Offscreen with pytest-qt's events; the same steps (ui/testing/visit.py) with real X input and a window
manager: tests/ui/realinput/test_visit_holds_still.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ui.testing.visit import QtBotInput, close_app, open_app, walk


@pytest.fixture(params=[(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def visit(request, qtbot, drg_store, drg_patient, tmp_path):
    """The app as it starts, un-maximised at a laptop's 1366x768 or Full HD (the offscreen screen is smaller)."""
    window = open_app(drg_store, tmp_path)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.setGeometry(0, 0, *request.param)
    window.show()
    qtbot.waitExposed(window)
    yield window
    close_app(window)


def test_no_control_moves_during_a_visit(qtbot, visit):
    moves = walk(qtbot, visit, QtBotInput(qtbot))
    assert not moves, "controls moved:\n" + "\n".join(moves)
