"""pytest fixtures for QA automation of the DRG workstation (registered as
the `pytest11` entry point `drg_workstation`, as napari ships
make_napari_viewer). They give a workstation on a fresh simulated pulse
generator with a temporary records store, and the simulated device's state
so a test can check what the device received."""
from __future__ import annotations

from datetime import date

import pytest

SIM_URI = "sim://0?impedance_ms=1&latency_ms=0"
WAIT_S = 10


@pytest.fixture
def drg_store(tmp_path):
    """A records store in a temporary SQLite file."""
    from workstation.records.store import RecordsStore

    store = RecordsStore.open(f"sqlite:///{tmp_path / 'records.sqlite'}")
    yield store
    store.close()


@pytest.fixture
def drg_service(drg_store):
    """A programming service connected to a fresh simulated pulse generator."""
    from workstation.programming import ProgrammingService

    service = ProgrammingService(drg_store)
    service.connect(SIM_URI).result(WAIT_S)
    yield service
    service.shutdown()


@pytest.fixture
def drg_patient(drg_store):
    return drg_store.add_patient("Test Patient", date(1970, 1, 1), "QA-0001")


@pytest.fixture
def drg_session(drg_service, drg_patient):
    """An active session of drg_patient on drg_service; yields its id."""
    return drg_service.start_session(drg_patient.id, "QA Clinician")


@pytest.fixture
def drg_device(drg_service):
    """The simulated device model behind drg_service: what the device really holds."""
    return drg_service.link.simulator.model


@pytest.fixture
def drg_window(qtbot, drg_service, tmp_path):
    """The main window over drg_service (a fresh simulator, a temporary records
    store) with its own settings file; drg_device is what its device holds."""
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    window = MainWindow(drg_service, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    window.show()  # not qtbot.addWidget: qtbot would close it before the guard below is lifted
    qtbot.waitUntil(lambda: window.lead_chooser.count() > 0, timeout=WAIT_S * 1000)
    yield window
    bypassed = list(window.stop_guard.unregistered)
    window.programs.has_unwritten_changes = lambda: False  # the close guard's dialog would block teardown
    window.close()
    window.deleteLater()
    assert not bypassed, f"dialogs shown that did not come from ui.dialogs (or application-modal): {bypassed}"


@pytest.fixture
def drg_window_session(drg_window, drg_session):
    """drg_window with an active session of drg_patient; yields the window."""
    return drg_window


def lead_panel(window, lead: int):
    """Select `lead` in the window and return its lead panel (helper for QA tests)."""
    window.select_lead(lead)
    return window.lead_panel


def find(widget, object_name: str):
    """The child widget with this objectName (every interactive control has one)."""
    from PySide6.QtWidgets import QWidget

    found = widget.findChild(QWidget, object_name)
    if found is None:
        raise LookupError(f"no widget named {object_name!r} under {widget.objectName() or widget}")
    return found
