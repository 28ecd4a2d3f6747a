"""Every service operation checks the role, in one place (workstation/service/policy.py).

Each public operation of each subsystem carries @requires(permission) or @open_to_all; each guarded one is
called for every role (and logged out, and locked): a role without the permission gets NotPermitted before
anything happens, and the refusal is in the audit trail.
"""

from __future__ import annotations

import inspect

import pytest

from ui.testing.plugin import qa_user
from workstation.accounts import ROLE_PERMISSIONS, Permission, Role
from workstation.service import NotPermitted, ProgrammingService
from workstation.service.access import Access
from workstation.service.connection import Connection
from workstation.service.field import FieldTools
from workstation.service.impedance import Impedance
from workstation.service.outputs import Outputs
from workstation.service.policy import PERMISSION
from workstation.service.programs import Programs
from workstation.service.recording import Recording
from workstation.service.scope import PulseScope

SUBSYSTEMS = {
    "connection": Connection,
    "outputs": Outputs,
    "programs": Programs,
    "impedance": Impedance,
    "recording": Recording,
    "field": FieldTools,
    "access": Access,
    "scope": PulseScope,
}


def operations():
    """(subsystem, name, permission or None) of every public method of the service's subsystems."""
    for attribute, cls in SUBSYSTEMS.items():
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                yield attribute, name, member


GUARDED = [(a, n, getattr(m, PERMISSION)) for a, n, m in operations() if getattr(m, PERMISSION, None) is not None]


def test_every_operation_is_guarded_or_open_to_all_on_purpose():
    unmarked = [f"{a}.{n}" for a, n, m in operations() if not hasattr(m, PERMISSION)]
    assert unmarked == []
    assert len(GUARDED) > 40


def test_stop_all_needs_no_one_logged_in():
    assert getattr(Outputs.stop_all, PERMISSION) is None
    assert getattr(ProgrammingService.stop_all, PERMISSION, None) is None


def test_only_administrators_manage_accounts_and_only_clinicians_change_therapy():
    may = {role: {p for p in Permission if p in ROLE_PERMISSIONS[role]} for role in Role}
    assert {r for r in Role if Permission.PROGRAM in may[r]} == {Role.CLINICIAN}
    assert {r for r in Role if Permission.ACCOUNTS in may[r]} == {Role.ADMINISTRATOR}
    assert Permission.RECORD not in may[Role.FIELD_ENGINEER] and Permission.SERVICE in may[Role.FIELD_ENGINEER]
    assert may[Role.READ_ONLY] == {Permission.HISTORY, Permission.EXPORT}


@pytest.fixture
def unconnected(drg_store):
    service = ProgrammingService(drg_store)
    yield service
    service.shutdown()


def call(service, attribute, name):
    """Call the operation with placeholder arguments: the check comes before they are looked at."""
    method = getattr(getattr(service, attribute), name)
    arguments = [None] * sum(
        1
        for p in inspect.signature(method).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    return method(*arguments)


@pytest.mark.parametrize("role", [None, *Role])
def test_each_guarded_operation_refuses_a_role_without_its_permission(unconnected, drg_store, role):
    unconnected._core.user = None if role is None else qa_user(role)
    refused = 0
    for attribute, name, permission in GUARDED:
        if role is not None and permission in ROLE_PERMISSIONS[role]:
            continue
        with pytest.raises(NotPermitted):
            call(unconnected, attribute, name)
        refused += 1
    unconnected.wait_idle()
    audited = [e for e in _audit_actions(drg_store) if e == "refused"]
    assert refused > 0 and len(audited) == refused


def test_a_locked_workstation_allows_reads_only(unconnected):
    unconnected._core.user = qa_user(Role.CLINICIAN)
    unconnected._core.locked = True
    for attribute, name, permission in GUARDED:
        if permission in (Permission.HISTORY, Permission.INTERROGATE):
            continue
        with pytest.raises(NotPermitted, match="locked"):
            call(unconnected, attribute, name)
    assert unconnected.recording.find_patients("").result(5) == []


@pytest.mark.drg_role("field_engineer")
def test_a_field_engineer_measures_but_cannot_change_therapy(drg_service, drg_device):
    drg_service.impedance.measure().result(5)
    drg_service.field.self_test().result(10)
    lead = drg_service.state.leads[1]
    with pytest.raises(NotPermitted, match="field engineer"):
        drg_service.outputs.write_lead(lead.with_(contacts=(1, 2, 0, 0)))
    with pytest.raises(NotPermitted):
        drg_service.outputs.set_enabled(1, True)
    assert drg_device.live_leads[0].contacts == lead.contacts
    drg_service.stop_all().result(5)  # and STOP ALL, as everyone


def _audit_actions(store) -> list[str]:
    import sqlalchemy as sa

    from workstation.records.tables import audit_entries

    with store._engine.connect() as conn:
        return list(conn.scalars(sa.select(audit_entries.c.action).order_by(audit_entries.c.id)))
