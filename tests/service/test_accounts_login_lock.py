"""Log-in, throttle, lock and accounts through the service; each outcome in the audit trail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from workstation.accounts import Role
from workstation.records.tables import audit_entries
from workstation.service import LoginRefused, NotPermitted, ProgrammingService
from workstation.service.errors import InvalidValue

PASSWORD = "correct horse"


@pytest.fixture
def service(drg_store):
    made = ProgrammingService(drg_store)
    yield made
    made.shutdown()


def trail(store) -> list[tuple[str, str, str]]:
    with store._engine.connect() as conn:
        rows = conn.execute(sa.select(audit_entries).order_by(audit_entries.c.id))
        return [(r.actor, r.action, r.outcome) for r in rows]


def first_admin(service) -> None:
    assert service.access.needs_first_administrator().result(5)
    service.access.create_first_administrator("admin", "Ada Admin", PASSWORD).result(5)


def test_the_first_administrator_is_made_once_then_logs_in(service, drg_store):
    first_admin(service)
    assert not service.access.needs_first_administrator().result(5)
    with pytest.raises(NotPermitted, match="exists already"):
        service.access.create_first_administrator("eve", "Eve", "another-password").result(5)
    user = service.access.login("admin", PASSWORD).result(5)
    assert (user.role, service.access.user) == (Role.ADMINISTRATOR, user)
    assert trail(drg_store) == [("first-run set-up", "account_created", "ok"), ("admin", "login", "ok")]


def test_a_weak_password_is_refused_and_nothing_is_made(service, drg_store):
    with pytest.raises(InvalidValue, match="at least 8"):
        service.access.create_first_administrator("admin", "Ada Admin", "short")
    assert drg_store.accounts.count() == 0


def test_failed_log_ins_are_throttled_even_with_the_right_password_then(service, drg_store):
    first_admin(service)
    for _ in range(3):
        with pytest.raises(LoginRefused, match="wrong"):
            service.access.login("admin", "guess").result(5)
    with pytest.raises(LoginRefused, match="Too many failed attempts: try again in"):
        service.access.login("admin", PASSWORD).result(5)
    assert service.access.user is None
    assert drg_store.accounts.get("admin").failed_attempts == 3
    actions = [a for _, a, _ in trail(drg_store)]
    assert actions[1:] == ["login_failed"] * 3 + ["login_throttled"]


def test_an_unknown_user_gets_the_same_sentence(service, drg_store):
    first_admin(service)
    with pytest.raises(LoginRefused, match="The user name or the password is wrong."):
        service.access.login("nobody", PASSWORD).result(5)
    assert trail(drg_store)[-1] == ("nobody", "login_failed", "refused")


def test_an_administrator_manages_accounts_and_each_change_is_audited(service, drg_store):
    first_admin(service)
    service.access.login("admin", PASSWORD).result(5)
    service.access.create_account("dr.lind", "Dr A. Lindqvist", Role.CLINICIAN, PASSWORD).result(5)
    service.access.set_role("dr.lind", Role.READ_ONLY).result(5)
    service.access.set_active("dr.lind", False).result(5)
    with pytest.raises(NotPermitted, match="own role"):
        service.access.set_role("admin", Role.CLINICIAN)
    service.access.logout().result(5)
    with pytest.raises(LoginRefused):  # deactivated
        service.access.login("dr.lind", PASSWORD).result(5)
    actions = [(actor, action) for actor, action, _ in trail(drg_store)]
    assert ("admin", "account_created") in actions and ("admin", "role_changed") in actions
    assert ("admin", "account_changed") in actions and ("admin", "logout") in actions


def test_locked_then_unlocked_with_the_users_password(service, drg_store):
    first_admin(service)
    service.access.login("admin", PASSWORD).result(5)
    service.access.lock("inactivity")
    with pytest.raises(NotPermitted, match="locked"):
        service.access.accounts()
    with pytest.raises(LoginRefused):
        service.access.unlock("wrong").result(5)
    service.access.unlock(PASSWORD).result(5)
    assert service.access.accounts().result(5)[0].username == "admin"
    actions = [a for _, a, _ in trail(drg_store)]
    assert actions[-4:] == ["lock", "refused", "unlock_failed", "unlock"]  # the refusal while locked too


def test_no_logout_during_a_session(drg_service, drg_session):
    with pytest.raises(NotPermitted, match="End the session"):
        drg_service.access.logout().result(5)
    assert drg_service.session.clinician == "QA Clinician"  # the logged-in user


def test_without_a_session_device_commands_are_audited(drg_service, drg_store):
    drg_service.impedance.measure().result(5)
    drg_service.stop_all().result(5)
    drg_service.wait_idle()
    actions = {(actor, action) for actor, action, _ in trail(drg_store)}
    assert ("qa", "stop_all") in actions and ("qa", "link_state") in actions
