"""Records store: history queries and event writes on a clinic-sized database.

The database holds 100 patients with 100 closed sessions each (10,000
sessions), every session a realistic log: opened, device state, an
impedance survey of every contact pair (4 leads x 6 pairs, rows in
impedance_measurements), five amplitude changes, a saved program (a row in
programs) and closed: 100,000 events, 240,000 impedance rows. It is built
once with bulk inserts through SQLAlchemy into the migrated schema (build
time reported) and cached under bench/results/ by schema revision; each run
times a fresh copy. Timed, through RecordsStore:
- sessions_of(patient): a patient's session history (100 sessions);
- impedance_history(patient, lead, a, b): one contact pair's trend (100 points);
- log_event(session, ...): one durable event write (SQLite: WAL, synchronous=FULL).
The issue gives no figures for these; the targets are this benchmark's:
history queries p99 <= 50 ms (half of the 100 ms a screen may take to feel
instant), log_event p99 <= 5 ms (half of the 10 ms amplitude-step budget,
which includes one event write).

Run: .venv/bin/python bench/records.py [--tries 1000] [--url postgresql+psycopg://...] [--rebuild]
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from datetime import date, datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import sqlalchemy as sa
from _harness import RESULTS, describe, machine, result
from alembic.script import ScriptDirectory

from drivers.sim.device import CAPABILITIES, FIRMWARE, HARDWARE_REV, MODEL
from drivers.types import Identity
from workstation.records.codec import to_json
from workstation.records.migrate import alembic_config
from workstation.records.store import RecordsStore
from workstation.records.tables import (
    devices,
    impedance_measurements,
    patients,
    programs,
    session_events,
    sessions,
)

PATIENTS = 100
SESSIONS_PER_PATIENT = 100
LEADS = 4
PAIRS = tuple(combinations(range(1, 5), 2))
AMPLITUDE_CHANGES = 5
CHUNK = 500  # sessions per build transaction
QUERY_TARGET_MS = 50.0
WRITE_TARGET_MS = 5.0
TIMED_COPY = RESULTS / "records-timed.sqlite"
EPOCH = datetime(2020, 1, 6, 9, 0, tzinfo=timezone.utc)


def schema_head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def lead_json(lead: int, amplitude: int) -> dict:
    return {
        "lead": lead,
        "contacts": ["CATHODE", "ANODE", "OFF", "OFF"],
        "amplitude_ua": amplitude,
        "pulse_width_us": 300,
        "frequency_hz": 20,
        "enabled": True,
        "patient_max_ua": 2000,
    }


def session_log(rng: random.Random, started: datetime, device: dict) -> list[tuple[str, dict, str]]:
    """(kind, payload, outcome) of one session, in order."""
    amplitudes = [rng.randrange(200, 1500, 25) for _ in range(LEADS)]
    survey = [
        {"lead": lead, "contact_a": a, "contact_b": b, "ohms": rng.randint(400, 2500), "impedance_class": "NORMAL"}
        for lead in range(1, LEADS + 1)
        for a, b in PAIRS
    ]
    log = [
        ("session_opened", {"clinician": "Dr Bench", "device": device}, "recorded"),
        (
            "device_state",
            {
                "battery": {"voltage_mv": 3000, "percent": 80, "state": "OK"},
                "uri": "usb://0",
                "leads": [lead_json(n, 0) for n in range(1, LEADS + 1)],
            },
            "ok",
        ),
        (
            "impedance_recorded",
            {"mode": "CONTACT_PAIRS", "thresholds": {"short_ohm": 200, "open_ohm": 4000}, "measurements": survey},
            "recorded",
        ),
    ]
    for _ in range(AMPLITUDE_CHANGES):
        lead = rng.randint(1, LEADS)
        log.append(
            (
                "set_amplitude",
                {"lead": lead, "amplitude_ua": amplitudes[lead - 1], "result": lead_json(lead, amplitudes[lead - 1])},
                "ok",
            )
        )
    log.append(
        (
            "program_saved",
            {
                "program": {"name": "Daily", "leads": [lead_json(n, a) for n, a in enumerate(amplitudes, 1)]},
                "written": True,
                "verified": True,
                "mismatch": None,
            },
            "recorded",
        )
    )
    log.append(("session_closed", {}, "recorded"))
    return log


def build(url: str) -> float:
    """Fill an empty migrated database at `url`; seconds taken."""
    start = time.perf_counter()
    store = RecordsStore.open(url)
    identity = Identity(MODEL, "SIM-BENCH", FIRMWARE, HARDWARE_REV)
    first = store.add_patient("Patient 000", date(1950, 1, 1), "MRN-000")
    store.close_session(store.open_session(first.id, identity, CAPABILITIES, "Dr Bench").id)  # the device row
    store.close()
    rng = random.Random(1)
    device = to_json(identity)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        device_id = conn.scalar(sa.select(devices.c.id))
        conn.execute(
            sa.insert(patients),
            [
                {
                    "name": f"Patient {n:03d}",
                    "date_of_birth": date(1940 + n % 50, 1 + n % 12, 1 + n % 28),
                    "record_number": f"MRN-{n:03d}",
                }
                for n in range(1, PATIENTS)
            ],
        )
        patient_ids = list(conn.scalars(sa.select(patients.c.id).order_by(patients.c.id)))
    plan = [(patient, k) for k in range(SESSIONS_PER_PATIENT) for patient in patient_ids]
    plan = plan[1:]  # the first patient's first session was opened through the store
    for offset in range(0, len(plan), CHUNK):
        with engine.begin() as conn:
            insert_sessions(conn, rng, plan[offset : offset + CHUNK], device_id, device)
    engine.dispose()
    return time.perf_counter() - start


def insert_sessions(
    conn: sa.Connection, rng: random.Random, plan: list[tuple[int, int]], device_id: int, device: dict
) -> None:
    starts = [EPOCH + timedelta(days=7 * k, minutes=patient) for patient, k in plan]
    session_rows = [
        {
            "patient_id": patient,
            "device_id": device_id,
            "clinician": "Dr Bench",
            "started": started,
            "ended": started + timedelta(minutes=40),
            "state": "CLOSED",
        }
        for (patient, _k), started in zip(plan, starts)
    ]
    session_ids = list(
        conn.scalars(sa.insert(sessions).returning(sessions.c.id, sort_by_parameter_order=True), session_rows)
    )
    event_rows, logs = [], []
    for session_id, started in zip(session_ids, starts):
        log = session_log(rng, started, device)
        logs.append((session_id, log))
        event_rows += [
            {
                "session_id": session_id,
                "seq": seq,
                "time": started + timedelta(minutes=seq),
                "kind": kind,
                "payload": payload,
                "outcome": outcome,
                "references_event_id": None,
            }
            for seq, (kind, payload, outcome) in enumerate(log, 1)
        ]
    event_ids = iter(
        conn.scalars(sa.insert(session_events).returning(session_events.c.id, sort_by_parameter_order=True), event_rows)
    )
    impedance_rows, program_rows = [], []
    for session_id, log in logs:
        for (kind, payload, _outcome), event_id in zip(log, event_ids):
            keys = {"session_id": session_id, "event_id": event_id}
            if kind == "impedance_recorded":
                impedance_rows += [{**m, **keys, "mode": payload["mode"]} for m in payload["measurements"]]
            elif kind == "program_saved":
                program_rows.append(
                    {
                        **keys,
                        "name": payload["program"]["name"],
                        "leads": payload["program"]["leads"],
                        "written": True,
                        "verified": True,
                        "mismatch": None,
                    }
                )
    conn.execute(sa.insert(impedance_measurements), impedance_rows)
    conn.execute(sa.insert(programs), program_rows)


def counts(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(sa.select(sa.func.count()).select_from(patients)),
                conn.scalar(sa.select(sa.func.count()).select_from(sessions)),
            )
    except sa.exc.OperationalError:
        return 0, 0
    finally:
        engine.dispose()


def remove_sqlite(path: Path) -> None:
    for leftover in path.parent.glob(path.name + "*"):  # with its -wal and -shm files
        leftover.unlink()


def sqlite_copy(rebuild: bool) -> tuple[str, float | None]:
    """URL of a fresh copy of the cached SQLite database (built first if needed), and the build seconds."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    cached = RESULTS / f"records-{PATIENTS}x{SESSIONS_PER_PATIENT}-{schema_head()}.sqlite"
    built = None
    if rebuild or not cached.exists():
        partial = cached.with_suffix(".building")
        remove_sqlite(partial)
        built = build(f"sqlite:///{partial}")
        partial.rename(cached)
    remove_sqlite(TIMED_COPY)
    shutil.copyfile(cached, TIMED_COPY)
    return f"sqlite:///{TIMED_COPY}", built


def prepared(url: str | None, rebuild: bool) -> tuple[str, float | None]:
    if url is None:
        return sqlite_copy(rebuild)
    RecordsStore.open(url).close()  # migrate
    have = counts(url)
    if have == (0, 0):
        return url, build(url)
    if have[0] < PATIENTS or have[1] < PATIENTS * SESSIONS_PER_PATIENT:
        raise SystemExit(f"{url} holds {have[0]} patients and {have[1]} sessions: give an empty database")
    return url, None


def timed(tries: int, call) -> list[float]:
    values = []
    for _ in range(tries):
        start = time.perf_counter()
        call()
        values.append((time.perf_counter() - start) * 1e3)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=1000)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a cached SQLite file)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite database")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    url, built = prepared(args.url, args.rebuild)
    backend = sa.make_url(url).get_backend_name()
    print(
        f"database: {backend}, {PATIENTS} patients x {SESSIONS_PER_PATIENT} sessions; "
        + (f"built in {built:.1f} s" if built is not None else "reused the built database")
    )
    rng = random.Random(2)
    with RecordsStore.open(url) as store:
        patient_ids = [p.id for p in store.find_patients()]
        assert len(store.sessions_of(patient_ids[-1])) == SESSIONS_PER_PATIENT
        history = timed(args.tries, lambda: store.sessions_of(rng.choice(patient_ids)))
        trend = timed(
            args.tries,
            lambda: store.impedance_history(rng.choice(patient_ids), rng.randint(1, LEADS), *rng.choice(PAIRS)),
        )
        session = store.open_session(
            patient_ids[0], Identity(MODEL, "SIM-BENCH", FIRMWARE, HARDWARE_REV), CAPABILITIES, "Dr Bench"
        )
        payload = {"lead": 1, "amplitude_ua": 500, "result": lead_json(1, 500)}
        writes = timed(args.tries, lambda: store.log_event(session.id, "set_amplitude", payload, "ok"))
        store.close_session(session.id)
    if args.url is None:
        remove_sqlite(TIMED_COPY)
    stats = {
        "sessions_of": describe("sessions_of (100 sessions)", history, QUERY_TARGET_MS),
        "impedance_history": describe("impedance_history (100 points)", trend, QUERY_TARGET_MS),
        "log_event": describe("log_event (committed)", writes, WRITE_TARGET_MS),
    }
    result(
        "records",
        sessions_of_p99_ms=stats["sessions_of"]["p99"],
        target_sessions_of_p99_ms=QUERY_TARGET_MS,
        impedance_history_p99_ms=stats["impedance_history"]["p99"],
        target_impedance_history_p99_ms=QUERY_TARGET_MS,
        log_event_p99_ms=stats["log_event"]["p99"],
        target_log_event_p99_ms=WRITE_TARGET_MS,
        sessions_of_p50_ms=stats["sessions_of"]["p50"],
        impedance_history_p50_ms=stats["impedance_history"]["p50"],
        log_event_p50_ms=stats["log_event"]["p50"],
        build_s=built if built is not None else "reused",
        backend=backend,
    )


if __name__ == "__main__":
    main()
