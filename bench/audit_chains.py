"""20 workstations (processes) writing sessions to one PostgreSQL at once, with the audit trail.

Each process opens its own store (its own chain key: one workstation), opens a session and records
EVENTS session events (each appends a signed audit entry in the same transaction), timing every append.
Each design runs twice: paced at --rate events/s per workstation (10/s: an amplitude ramp's steps,
the fastest a clinician's session writes; the p99 append target is for this) and flat out (the
events/s the server takes, with every workstation queueing on 2 cores). Designs: per-workstation
chains (the one chosen) and one serialised global chain (every workstation appends to one chain,
locking its head). Afterwards: events/s, p99 append, events lost (expected minus found), and
`audit verify` on the database. Needs DRG_TEST_POSTGRES_URL (a server
on this machine; .ci/postgres.sh starts one). docs/security.md, "One chain per workstation".

    .venv/bin/python bench/audit_chains.py [--workstations 20] [--events 200] [--rate 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench._harness import describe, machine, result
from drivers.types import AmplitudeBand, Capabilities, Identity
from workstation.events import EventKind, Outcome
from workstation.records import ChainKey, RecordsStore

CAPS = Capabilities(4, 4, (AmplitudeBand(2000, 25), AmplitudeBand(6000, 50)), 40, 720, 10, 40, 4, 100, 2, 60,
                    3_930_000, 12_000, 185, 1000, 500, 200, 4000)  # fmt: skip


def workstation(
    url: str, keys: str, number: int, events: int, rate: float, start: float, out: multiprocessing.Queue
) -> None:
    store = RecordsStore.open(url, ChainKey.load_or_create(Path(keys)))
    patient = store.add_patient(f"Bench {number}", date(1970, 1, 1), f"B-{uuid.uuid4().hex[:10]}")
    session = store.open_session(patient.id, Identity("SIM", f"S{number}", "1", "A"), CAPS, f"dr.{number}")
    while time.time() < start:
        time.sleep(0.001)
    times = []
    for i in range(events):
        if rate:  # paced: the i-th event is due i/rate after the start (staggered per workstation)
            time.sleep(max(0.0, start + (i + number / 20) / rate - time.time()))
        began = time.perf_counter()
        store.log_event(session.id, EventKind.SET_AMPLITUDE, {"lead": 1, "ua": 25 * (i % 40)}, Outcome.OK)
        times.append((time.perf_counter() - began) * 1000)
    store.close()
    out.put(times)


def run(base: str, workstations: int, events: int, shared_chain: bool, rate: float) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="drg-bench-keys-"))
    first = ChainKey.load_or_create(folder / "0")
    with RecordsStore.open(url_text, first) as store:  # migrate once
        if shared_chain:  # the global chain's first entry registers it, before 20 processes race to
            store.audit("bench", "setup", {}, "ok")
    for n in range(1, workstations):
        if shared_chain:  # the same chain id and key everywhere: one global chain
            (folder / str(n)).mkdir()
            shutil.copy(folder / "0" / "audit-key.json", folder / str(n) / "audit-key.json")
    out: multiprocessing.Queue = multiprocessing.Queue()
    start = time.time() + 3
    procs = [
        multiprocessing.Process(target=workstation, args=(url_text, str(folder / str(n)), n, events, rate, start, out))
        for n in range(workstations)
    ]
    for p in procs:
        p.start()
    times = [t for _ in procs for t in out.get(timeout=600)]
    for p in procs:
        p.join()
    elapsed = max(time.time() - start, 1e-9)
    with RecordsStore.open(url_text, first) as store:
        report = store.verify_audit()
        with store._engine.connect() as conn:
            found = conn.scalar(sa.text("SELECT count(*) FROM session_events WHERE kind = 'set_amplitude'"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()
    figures = describe("append", times)
    return {
        "events_per_s": round(len(times) / elapsed, 1),
        "p99_ms": round(figures["p99"], 3),
        "p50_ms": round(figures["p50"], 3),
        "lost": workstations * events - found,
        "verified": float(report.intact),
        "findings": len(report.findings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=20)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="events/s per workstation in the paced runs")
    args = parser.parse_args()
    base = os.environ.get("DRG_TEST_POSTGRES_URL")
    if not base:
        print("set DRG_TEST_POSTGRES_URL (see docs/records.md)")
        return 2
    print(machine())
    runs = {
        f"{design} {'paced' if rate else 'flat out'}": run(
            base, args.workstations, args.events, design == "global", rate
        )
        for design in ("per-workstation", "global")
        for rate in (args.rate, 0.0)
    }
    print(json.dumps(runs, indent=1))
    paced, flat = runs["per-workstation paced"], runs["per-workstation flat out"]
    result(
        "audit_chains",
        p99_append_ms=paced["p99_ms"],
        target_p99_append_ms=10,
        lost_events=paced["lost"] + flat["lost"],
        verified=min(paced["verified"], flat["verified"]),
        paced_events_per_s=paced["events_per_s"],
        flat_out_events_per_s=flat["events_per_s"],
        flat_out_p99_append_ms=flat["p99_ms"],
        global_paced_p99_append_ms=runs["global paced"]["p99_ms"],
        global_flat_out_events_per_s=runs["global flat out"]["events_per_s"],
    )
    return 0 if all(r["lost"] == 0 and r["verified"] == 1.0 for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
