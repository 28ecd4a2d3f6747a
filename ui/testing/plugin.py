"""pytest fixtures for QA automation of the DRG workstation (registered as
the `pytest11` entry point `drg_workstation`, as napari ships
make_napari_viewer). They give a workstation on a fresh simulated pulse
generator with a temporary records store, and the simulated device's state
so a test can check what the device received.

Without a display (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM) the
plugin makes Qt headless (QT_QPA_PLATFORM=offscreen) before any test runs.

Simulator scenarios (drivers/sim/scenario.py): mark a test
``@pytest.mark.drg_sim("open=2.3&battery=eri")`` (or with keywords,
``drg_sim(open="2.3", battery="eri")``) and drg_service connects to that
simulator; or call ``drg_service_factory("short=1.2")`` for more services.
Helpers for dialogs, waits, records and faults: ui/testing/qa.py.
"""

from __future__ import annotations

import os
from datetime import date
from urllib.parse import parse_qsl, urlencode

import pytest

# Quick measurements, no bus latency, and the simulated clinician holds the magnet over the generator,
# so connecting pairs this workstation at once (docs/protocol.md §7; each service keeps its keys in tmp_path).
SIM_OPTIONS = {"impedance_ms": "1", "latency_ms": "0", "magnet": "held"}
ROLE_MARKER = "drg_role"
QA_PASSWORD = "qa-password-1"  # of the accounts drg_login makes
SIM_URI = "sim://0?" + urlencode(SIM_OPTIONS)
WAIT_S = 10
MARKER = "drg_sim"


def pytest_configure(config) -> None:
    if not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display: headless, instead of aborting the interpreter
    config.addinivalue_line(
        "markers",
        f"{MARKER}(options='', **options): simulator scenario of drg_service, as sim:// URI query options "
        "(open=2.3&battery=eri; see drivers/sim/scenario.py)",
    )
    config.addinivalue_line(
        "markers",
        f"{ROLE_MARKER}(role): drg_service acts for a user of this role: clinician (default), field_engineer, "
        "read_only or administrator",
    )


def sim_uri(options: str | dict[str, str] = "", **more: str) -> str:
    """The sim:// URI of the fixtures with scenario `options` ("open=2.3&battery=eri", or keywords) added."""
    merged = dict(SIM_OPTIONS)
    merged.update(parse_qsl(options) if isinstance(options, str) else options)
    merged.update({key: str(value) for key, value in more.items()})
    return "sim://0?" + urlencode(merged, safe=",.-")


@pytest.fixture
def drg_store(tmp_path):
    """A records store in a temporary SQLite file."""
    from workstation.records import ChainKey, RecordsStore

    store = RecordsStore.open(f"sqlite:///{tmp_path / 'records.sqlite'}", ChainKey.load_or_create(tmp_path / "keys"))
    yield store
    store.close()


def qa_user(role="clinician"):
    """The user the fixtures act for: "QA Clinician" (user name "qa"), or "QA <Role>" of another role."""
    from workstation.accounts import Role, User

    role = Role(role)
    if role is Role.CLINICIAN:
        return User("qa", "QA Clinician", role)
    return User(f"qa-{role.value}", f"QA {role.label}", role)


@pytest.fixture
def drg_service_factory(request, drg_store, tmp_path):
    """make(options="", role=..., **options) -> a ProgrammingService on drg_store acting for a user of that
    role (default: the drg_role marker's, else a clinician), connected to (and so paired with) a fresh
    simulator with that scenario (connect=False: not connected yet). Link keys go to a 0600 file in tmp_path,
    the store a workstation without an OS keyring uses. Every one is shut down after the test."""
    from drivers.keystore import FileKeyStore
    from ui.testing.qa import events_of
    from workstation.service import ProgrammingService

    made: list = []
    marker = request.node.get_closest_marker(ROLE_MARKER)
    default_role = marker.args[0] if marker is not None else "clinician"

    def make(options: str | dict[str, str] = "", *, connect: bool = True, role: str | None = None, **more: str):
        keys = FileKeyStore(tmp_path / f"device-keys-{len(made)}.json")
        service = ProgrammingService(drg_store, keys=keys, user=qa_user(role or default_role))
        made.append(service)
        events_of(service)  # record its events from the start (ui.testing.qa.ServiceEvents)
        if connect:
            service.connection.connect(sim_uri(options, **more)).result(WAIT_S)
        return service

    yield make
    for service in reversed(made):
        service.shutdown()


@pytest.fixture
def drg_service(request, drg_service_factory):
    """A programming service connected to a fresh simulated pulse generator (scenario: the drg_sim marker)."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return drg_service_factory()
    return drg_service_factory(*marker.args, **marker.kwargs)


@pytest.fixture
def drg_login(drg_service, drg_store):
    """login(role) -> the User: logs drg_service out and in again, through a real account of that role
    (made in drg_store with QA_PASSWORD on first use), as a person at the log-in screen would."""

    def login(role="clinician"):
        user = qa_account(drg_store, role)
        drg_service.access.logout().result(WAIT_S)
        return drg_service.access.login(user.username, QA_PASSWORD).result(WAIT_S)

    return login


def qa_account(store, role="clinician"):
    """The account of qa_user(role) in `store`, password QA_PASSWORD (made if missing); its User."""
    from workstation.accounts import hash_password

    user = qa_user(role)
    if store.accounts.get(user.username) is None:
        store.accounts.add("qa-setup", user.username, user.full_name, user.role, hash_password(QA_PASSWORD), _now())
    return user


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


@pytest.fixture
def drg_events(drg_service):
    """What drg_service emitted (link, impedance, program, ...), with waits: ui.testing.qa.ServiceEvents."""
    from ui.testing.qa import events_of

    return events_of(drg_service)


@pytest.fixture
def drg_usb(drg_service):
    """The simulated USB device behind drg_service (drivers.sim.backend.SimDevice): unplug(), replug(),
    inject(), and the target of ui.testing.qa.inject_at."""
    return drg_service.link.simulator


@pytest.fixture
def drg_patient(drg_store):
    return drg_store.add_patient("Test Patient", date(1970, 1, 1), "QA-0001")


@pytest.fixture
def drg_session(drg_service, drg_patient):
    """An active session of drg_patient on drg_service; yields its id."""
    return drg_service.recording.start_session(drg_patient.id).result().id


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
    window.may_close = lambda: True
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
