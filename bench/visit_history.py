"""A returning patient's history and visit report on the clinic-sized records database.

Adds, to the 10,000-session database of bench/records.py (100 patients x 100 sessions), one
patient with 10 years of quarterly visits (40 closed sessions, each with a placement, an
impedance survey of every contact pair, NRS and VAS before and after, two stimulus responses, a
body map, a program written and verified, and a note), through RecordsStore. Timed:
- history view: service-side history.load (every kind of record, one query each) plus filling the
  History tab's tables and plots (ui.history.HistoryView, offscreen) — target <= 200 ms (issue 11);
- visit report: visit.load of the last visit plus the PDF through QPdfWriter — target <= 1 s.

Run: .venv/bin/python bench/visit_history.py [--tries 20] [--url postgresql+psycopg://...] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date
from itertools import combinations
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlalchemy as sa
from _harness import describe, machine, result
from records import TIMED_COPY, prepared, remove_sqlite, timed

from drivers.sim.device import CAPABILITIES, FIRMWARE, HARDWARE_REV, MODEL
from drivers.types import (
    Identity,
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Polarity,
    Program,
)
from workstation import history, visit
from workstation.bodymap import BodyMap
from workstation.models import (
    ImpedanceThresholds,
    LeadPlacement,
    Note,
    PainScore,
    PainTiming,
    Sensation,
    Side,
    SpinalLevel,
    StimulusResponse,
)
from workstation.records.store import RecordsStore

VISITS = 40  # 10 years, quarterly
HISTORY_TARGET_MS = 200.0
REPORT_TARGET_MS = 1000.0
P, N, OFF = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def add_returning_patient(store: RecordsStore, rng: random.Random) -> tuple[int, int]:
    """The patient of 40 visits; (patient id, last session id)."""
    patient = store.add_patient("Returning Patient", date(1958, 4, 2), f"BENCH-{rng.randrange(10**9)}")
    identity = Identity(MODEL, "SIM-HISTORY", FIRMWARE, HARDWARE_REV)
    thresholds = ImpedanceThresholds(200, 4000)
    last = 0
    for n in range(VISITS):
        s = store.open_session(patient.id, identity, CAPABILITIES, rng.choice(("Dr Deer", "Dr Elk")))
        if n == 0:
            store.record_placement(s.id, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2016, 1, 4)))
            store.record_placement(s.id, LeadPlacement(2, SpinalLevel.L3, Side.LEFT, date(2016, 1, 4)))
        survey = tuple(
            ImpedanceMeasurement(lead, a, b, rng.randint(400, 2500))
            for lead in (1, 2, 3, 4)
            for a, b in combinations(range(1, 5), 2)
        )
        store.record_impedance(s.id, ImpedanceResult(ImpedanceMode.CONTACT_PAIRS, survey), thresholds)
        store.record_pain_score(s.id, PainScore(rng.randint(5, 9), PainTiming.BEFORE, rng.randint(50, 90)))
        for lead in (1, 2):
            perception = rng.randrange(200, 600, 25)
            response = StimulusResponse(
                lead,
                (P, N, OFF, OFF),
                300,
                20,
                Sensation.TINGLING,
                False,
                (),
                perception,
                perception + 200,
                perception + 500,
            )
            store.record_response(s.id, response)
        store.record_body_map(
            s.id,
            BodyMap.of(
                {"front-knee-left": rng.randint(4, 9), "front-L4-left": 5},
                {1: ["front-L4-left", "front-L5-left"], 2: ["front-knee-left"]},
            ),
        )
        amplitude = rng.randrange(400, 1200, 25)
        program = Program(
            "Daily", (LeadConfig(1, (P, N, OFF, OFF), amplitude, 300, 20, True, 2000), LeadConfig(2, (OFF,) * 4))
        )
        store.save_program(s.id, program, True, True)
        store.record_pain_score(s.id, PainScore(rng.randint(1, 5), PainTiming.AFTER, rng.randint(10, 50)))
        store.add_note(s.id, Note(f"Quarterly review {n + 1}."))
        store.close_session(s.id)
        last = s.id
    return patient.id, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--url", help="a PostgreSQL database (empty, or built by bench/records.py)")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    url, built = prepared(args.url, args.rebuild)
    backend = sa.make_url(url).get_backend_name()

    from PySide6.QtWidgets import QApplication

    from ui.bridge import ServiceBridge
    from ui.history import HistoryView
    from ui.report import write_pdf

    app = QApplication.instance() or QApplication([])

    class Records:  # what HistoryView's bridge needs of the service: the history, read here directly
        def __init__(self, store: RecordsStore) -> None:
            self.recording = self
            self._store = store

    rng = random.Random(11)
    with RecordsStore.open(url) as store, tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        patient_id, last_session = add_returning_patient(store, rng)
        added_s = time.perf_counter() - start
        view = HistoryView(ServiceBridge.__new__(ServiceBridge))
        view.resize(1200, 800)

        def open_history() -> None:
            view._show(history.load(store, patient_id))
            app.processEvents()

        def report() -> None:
            write_pdf(visit.load(store, last_session), Path(tmp) / "report.pdf")

        open_history()  # warm: the first paint loads fonts
        assert view.visits.rowCount() == VISITS
        opened = timed(args.tries, open_history)
        reports = timed(args.tries, report)
        pages = (Path(tmp) / "report.pdf").stat().st_size
    if args.url is None:
        remove_sqlite(TIMED_COPY)
    print(f"database: {backend}, 10,000 sessions + one patient of {VISITS} visits (added in {added_s:.1f} s)")
    stats = {
        "history": describe(f"history view ({VISITS} visits: records + tables + plots)", opened, HISTORY_TARGET_MS),
        "report": describe("visit report (records + PDF)", reports, REPORT_TARGET_MS),
    }
    result(
        "visit_history",
        history_view_p99_ms=stats["history"]["p99"],
        target_history_view_p99_ms=HISTORY_TARGET_MS,
        report_p99_ms=stats["report"]["p99"],
        target_report_p99_ms=REPORT_TARGET_MS,
        history_view_p50_ms=stats["history"]["p50"],
        report_p50_ms=stats["report"]["p50"],
        report_bytes=pages,
        build_s=built if built is not None else "reused",
        backend=backend,
    )


if __name__ == "__main__":
    main()
