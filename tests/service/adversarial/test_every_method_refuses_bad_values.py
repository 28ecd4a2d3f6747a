"""Every public method of the service's device-facing subsystems, every parameter, every kind of
bad value: a ServiceError (a clear sentence), nothing sent to the device, no lead changed, no ramp
started, the link as it was, and the refusal in the session log. The methods are found by
introspection, so a new one is attacked without being listed here; a new parameter needs a valid
value in VALID before this test passes."""

import inspect
import math
from concurrent.futures import Future

from helpers import WAIT

from drivers.types import ImpedanceMode, Program
from workstation.service import LinkState, ServiceError
from workstation.service.errors import Confirm, ConfirmationRequired

SUBSYSTEMS = ("outputs", "programs", "impedance", "field", "connection")
BAD = [math.nan, math.inf, -math.inf, -1, 10**30, True, "x", None, 2.5, b"x", object()]
# (subsystem, method, parameter) where a value is not used to act, with why
HARMLESS = {
    ("outputs", "hold_amplitude", "lead"): "ends a ramp if there is one: a release never refuses",
    ("programs", "current", "name"): "no I/O: a snapshot of the live settings, named by the caller",
    ("impedance", "thresholds", "caps"): "None is the device's own; a pure read",
    ("field", "contact_history", "serial"): "None is the device's own serial; text is any serial",
    ("outputs", "write_lead", "epoch"): "an epoch that is not the current one only cancels",
    ("outputs", "set_enabled", "epoch"): "likewise",
    ("outputs", "set_amplitude", "epoch"): "likewise",
    ("field", "save_bundle", "extra_versions"): "free text for the support bundle's versions.json",
}
# the gate itself, called by the entry points above after their own validation
INTERNAL = {("outputs", "gate"), ("outputs", "refuse")}
# questions, not actions: a bad value is refused (InvalidValue) but is no event of the session
READS = {("outputs", "preview"), ("programs", "history"), ("impedance", "history")}
NONE_MEANS_DEFAULT = {"leads", "progress", "cancel", "max_bytes", "caps", "serial", "epoch", "extra_versions"}


def valid(svc, name):
    leads = svc.state.leads
    return {
        "lead": 1,
        "on": False,
        "target_ua": 0,
        "config": leads[1],
        "proposed": leads[1],
        "epoch": None,
        "request": ConfirmationRequired(Confirm.LARGE_RISE, leads[1], "?"),
        "program": Program("P", tuple(leads[n] for n in sorted(leads))),
        "ask": lambda request: Future(),
        "progress": None,
        "cancel": None,
        "mode": ImpedanceMode.LEAD_PAIR,
        "leads": (1,),
        "rounds": 1,
        "rate_hz": 100,
        "max_bytes": None,
        "path": "unused.bin",
        "level": "INFO",
        "write": lambda path, identity: None,
        "name": "P",
        "patient_id": 1,
        "serial": None,
        "caps": None,
        "extra_versions": None,
        "uri": "sim://0",
        "a": 1,
        "b": 2,
    }[name]


def attacks(svc):
    for sub in SUBSYSTEMS:
        for name, method in inspect.getmembers(getattr(svc, sub), inspect.ismethod):
            if name.startswith("_") or (sub, name) in INTERNAL:
                continue
            params = list(inspect.signature(method).parameters)
            for param in params:
                if (sub, name, param) in HARMLESS:
                    continue
                for bad in BAD:
                    if (bad is None and param in NONE_MEANS_DEFAULT) or (bad == "x" and param in ("name", "path")):
                        continue
                    yield (
                        f"{sub}.{name}({param}={bad!r:.12})",
                        (sub, name) in READS,
                        method,
                        {
                            **{p: valid(svc, p) for p in params},
                            param: bad,
                        },
                    )


def outcome(call, kwargs):
    try:
        result = call(**kwargs)
    except ServiceError as exc:
        return exc
    if isinstance(result, Future):
        try:
            result.result(WAIT)
        except ServiceError as exc:
            return exc
    return result


def test_every_parameter_of_every_method_refuses_every_bad_value(stepped, drg_store):
    svc = stepped.svc
    device = svc.link.simulator.model
    failures = []
    for label, read, method, kwargs in attacks(svc):
        sent, leads = len(device.events), dict(svc.state.leads)
        refused_before = sum(e.outcome == "refused" for e in drg_store.session_events(stepped.session_id))
        try:
            got = outcome(method, kwargs)
        except Exception as exc:  # noqa: BLE001 - the finding: not a ServiceError
            failures.append(f"{label}: crashed with {type(exc).__name__}: {exc}")
            continue
        svc.wait_idle(WAIT)
        if not isinstance(got, ServiceError):
            failures.append(f"{label}: accepted ({type(got).__name__})")
        elif not str(got).strip():
            failures.append(f"{label}: refused without a sentence")
        if len(device.events) != sent or dict(svc.state.leads) != leads:
            failures.append(f"{label}: the device received or changed something")
        if svc.link_state is not LinkState.CONNECTED or svc.outputs.ramps._targets:
            failures.append(f"{label}: link {svc.link_state.value} or a ramp started")
        refused = sum(e.outcome == "refused" for e in drg_store.session_events(stepped.session_id))
        if refused == refused_before and not read:
            failures.append(f"{label}: not recorded")
    assert not failures, "\n".join(failures)
