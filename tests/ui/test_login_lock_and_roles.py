"""Log-in, first administrator, lock screen and roles in the main window, driven through real widgets.

STOP ALL on the lock screen with real X input: test_lock_screen_stop_all_on_x (a pytest subprocess on a
private Xvfb, as tests/qa/test_qa_guide_stop_all.py)."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QSettings, Qt

from ui.access.roles import TAB_NEEDS
from ui.main_window import MainWindow
from ui.testing.plugin import QA_PASSWORD, qa_account, qa_user
from ui.testing.qa import find, raise_amplitude
from ui.testing.realinput import Xvfb, click, require_tools, run_node
from workstation.accounts import Role
from workstation.service import ProgrammingService

LEFT = Qt.MouseButton.LeftButton
WAIT_MS = 10_000
on_x = pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="run on Xvfb by the outer test")


@pytest.fixture
def nobody_window(qtbot, drg_store, tmp_path):
    """The app as it starts on a new database: a service nobody is logged in to, and its window."""
    yield from _started_app(drg_store, tmp_path)


@pytest.fixture
def login_window(qtbot, drg_store, tmp_path):
    """The app as it starts where the fixtures' clinician has an account."""
    qa_account(drg_store, Role.CLINICIAN)
    yield from _started_app(drg_store, tmp_path)


def _started_app(drg_store, tmp_path):
    service = ProgrammingService(drg_store)
    window = MainWindow(service, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    window.show()
    yield window, service
    window.close()
    window.deleteLater()
    service.shutdown()


def type_in(qtbot, window, **fields: str) -> None:
    for name, text in fields.items():
        field = find(window, name)
        field.clear()
        qtbot.keyClicks(field, text)


def test_first_run_asks_for_the_first_administrator_then_logs_them_in(qtbot, nobody_window, drg_store):
    window, service = nobody_window
    qtbot.waitUntil(lambda: find(window, "accessTitle").text() == "Create the first administrator", timeout=WAIT_MS)
    assert window.pages.currentIndex() == 1 and not window.connection.isEnabled()
    type_in(qtbot, window, accessUser="admin", accessFullName="Ada Admin", accessPassword="s3cret-pass")
    type_in(qtbot, window, accessPasswordAgain="s3cret-pass")
    qtbot.mouseClick(find(window, "accessSubmit"), LEFT)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)
    assert service.access.user.role is Role.ADMINISTRATOR
    tabs = window.tabs
    assert {tabs.widget(i).objectName() for i in range(tabs.count()) if tabs.isTabEnabled(i)} == {"accountsView"}
    assert tabs.currentWidget() is window.accounts
    assert [a.username for a in drg_store.accounts.all()] == ["admin"]
    actions = [e.action for e in _entries(drg_store)]
    assert actions[-2:] == ["account_created", "login"]


def test_a_wrong_password_is_refused_on_the_page_and_audited(qtbot, login_window, drg_store):
    window, service = login_window
    qtbot.waitUntil(lambda: find(window, "accessTitle").text() == "Log in", timeout=WAIT_MS)
    assert "Nobody is logged in" in find(window, "sessionBar").text()  # not "choose the patient"
    type_in(qtbot, window, accessUser="qa", accessPassword="not-the-password")
    qtbot.mouseClick(find(window, "accessSubmit"), LEFT)
    qtbot.waitUntil(lambda: find(window, "accessMessage").text() == "The user name or the password is wrong.")
    assert service.access.user is None and window.pages.currentIndex() == 1
    type_in(qtbot, window, accessPassword=QA_PASSWORD)
    qtbot.mouseClick(find(window, "accessSubmit"), LEFT)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)
    assert find(window, "clinicianName").text() == "QA Clinician"
    assert "choose the patient, then Start" in find(window, "sessionBar").text()
    assert [e.action for e in _entries(drg_store)][-2:] == ["login_failed", "login"]


def test_each_log_in_shows_the_tab_kept_or_the_first_the_role_may_use(qtbot, login_window, drg_store):
    """Disabling the tab shown made Qt show another: a clinician logging in on a fresh start saw the field
    engineer's tab, and after an administrator's log-out too."""
    window, service = login_window
    administrator = qa_account(drg_store, Role.ADMINISTRATOR).username

    def log_in(username: str) -> None:
        qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=WAIT_MS)
        type_in(qtbot, window, accessUser=username, accessPassword=QA_PASSWORD)
        qtbot.mouseClick(find(window, "accessSubmit"), LEFT)
        qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)

    log_in("qa")
    assert window.tabs.currentWidget() is window.programming
    window.tabs.setCurrentWidget(window.impedance)
    service.access.lock("asked")
    log_in("qa")  # unlocked: where the clinician was
    assert window.tabs.currentWidget() is window.impedance
    for username, tab in ((administrator, window.accounts), ("qa", window.programming)):
        service.access.logout().result(WAIT_MS / 1000)
        log_in(username)
        assert window.tabs.currentWidget() is tab


@pytest.mark.drg_role("administrator")
def test_an_administrator_creates_changes_and_deactivates_accounts_in_the_accounts_tab(
    qtbot, drg_service_factory, drg_store, tmp_path
):
    qa_account(drg_store, Role.ADMINISTRATOR)  # the fixtures' administrator, so the table lists them
    window = _window(qtbot, drg_service_factory(connect=False), tmp_path)
    view = window.accounts
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is view and view.table.rowCount() == 1, timeout=WAIT_MS)
    type_in(qtbot, window, newAccountUser="dr.lind", newAccountName="Dr A. Lindqvist")
    type_in(qtbot, window, newAccountPassword="lind-pass-1", newAccountPasswordAgain="lind-pass-2")
    qtbot.mouseClick(view.create, LEFT)
    assert find(window, "accountsMessage").text() == "The two passwords differ."
    type_in(qtbot, window, newAccountPasswordAgain="lind-pass-1")
    qtbot.mouseClick(view.create, LEFT)
    qtbot.waitUntil(lambda: find(window, "accountsMessage").text() != "The two passwords differ.", timeout=WAIT_MS)
    assert find(window, "accountsMessage").text() == "Account dr.lind (clinician) created."
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=WAIT_MS)
    row = next(r for r in range(2) if view.table.item(r, 0).text() == "dr.lind")
    view.table.selectRow(row)
    view.chosen_role.setCurrentIndex(view.chosen_role.findData(Role.READ_ONLY.value))
    qtbot.mouseClick(view.change_role, LEFT)
    qtbot.waitUntil(lambda: drg_store.accounts.get("dr.lind").role is Role.READ_ONLY, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.chosen() is not None and view.chosen().role is Role.READ_ONLY, timeout=WAIT_MS)
    qtbot.mouseClick(view.toggle_active, LEFT)
    qtbot.waitUntil(lambda: not drg_store.accounts.get("dr.lind").active, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.toggle_active.text() == "Activate", timeout=WAIT_MS)
    own = next(r for r in range(2) if view.table.item(r, 0).text() == qa_user(Role.ADMINISTRATOR).username)
    view.table.selectRow(own)
    qtbot.mouseClick(view.toggle_active, LEFT)  # refused: an administrator cannot deactivate themself
    assert "ask another administrator" in find(window, "accountsMessage").text()
    assert drg_store.accounts.get(qa_user(Role.ADMINISTRATOR).username).active
    actions = [e.action for e in _entries(drg_store)]
    assert {"account_created", "role_changed", "account_changed"} <= set(actions)


@pytest.mark.parametrize(
    ("role", "enabled_tabs"),
    [
        ("clinician", set(TAB_NEEDS) - {"accountsView"}),
        ("field_engineer", {"waveformView", "pulseScopeView", "impedanceView", "fieldEngineerView"}),
        ("read_only", {"programsPanel", "historyView"}),
    ],
)
def test_each_role_sees_only_what_it_may_use(qtbot, drg_service_factory, drg_store, tmp_path, role, enabled_tabs):
    window = _window(qtbot, drg_service_factory(role=role, connect=role != "read_only"), tmp_path)  # read-only: no link
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)
    tabs = window.tabs
    shown = {tabs.widget(i).objectName() for i in range(tabs.count()) if tabs.isTabEnabled(i)}
    assert shown == enabled_tabs
    assert window.patient_panel.isEnabled() == (role != "field_engineer")


def test_locking_shows_the_unlock_page_and_stop_all_still_stops(
    qtbot, drg_window_session, drg_service, drg_device, drg_store
):
    window = drg_window_session
    qa_account(drg_store, Role.CLINICIAN)  # the account of the fixtures' user, to unlock with its password
    _stimulate(drg_service)
    drg_service.access.lock("inactivity")
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=WAIT_MS)
    assert find(window, "accessTitle").text().startswith("Locked")
    assert not window.connection.isEnabled()
    qtbot.mouseClick(window.stop_button, LEFT)
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)
    type_in(qtbot, window, accessPassword=QA_PASSWORD)
    qtbot.mouseClick(find(window, "accessSubmit"), LEFT)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)


def test_the_idle_lock_locks_after_its_countdown(qtbot, drg_window, drg_service):
    from ui.access import IdleLock

    idle = IdleLock(drg_service, seconds=3600, parent=drg_window)
    idle.expire()  # the countdown's end, without waiting for it
    qtbot.waitUntil(lambda: drg_window.pages.currentIndex() == 1, timeout=WAIT_MS)
    assert drg_service.access.locked


@on_x
def test_stop_all_by_a_real_click_on_the_lock_screen(qtbot, drg_window_session, drg_service, drg_device):
    _stimulate(drg_service)
    drg_service.access.lock("inactivity")
    qtbot.waitUntil(lambda: drg_window_session.pages.currentIndex() == 1, timeout=WAIT_MS)
    click(drg_window_session.stop_button)  # through the X server
    qtbot.waitUntil(lambda: drg_device.outputs_on == (), timeout=WAIT_MS)


def test_lock_screen_stop_all_on_x():
    require_tools()
    with Xvfb() as display:
        run_node(display, f"{__file__}::{_INNER}")


_INNER = "test_stop_all_by_a_real_click_on_the_lock_screen"


def _window(qtbot, service, tmp_path) -> MainWindow:
    """The main window over `service`, closed after the test (pass or fail)."""
    window = MainWindow(service, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def _stimulate(service) -> None:
    service.outputs.write_lead(service.state.leads[1].with_(contacts=(1, 2, 0, 0))).result(5)
    service.impedance.measure().result(5)
    service.outputs.set_enabled(1, True).result(5)
    raise_amplitude(service, 1, 400)


def _entries(store):
    import sqlalchemy as sa

    from workstation.records.tables import audit_entries

    with store._engine.connect() as conn:
        return list(conn.execute(sa.select(audit_entries).order_by(audit_entries.c.id)))
