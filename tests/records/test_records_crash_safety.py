"""SIGKILL at a random moment loses no event whose call had returned.

A child process logs events in a loop and prints each event id only after
log_event returned; the parent kills it (SIGKILL, no clean-up of any kind)
and checks that a reopened store has every printed event and offers the
session for resumption.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from workstation.models import SessionState
from workstation.records import RecordsStore
from workstation.records.codec import to_json

REPO = Path(__file__).resolve().parents[2]
TRIALS = 20
SEED = 20261124

CHILD = """
import json, sys
from datetime import date
from drivers.types import Identity
from workstation.records import RecordsStore
from workstation.records.codec import decode_capabilities

url, trial, identity, capabilities = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:])
store = RecordsStore.open(url)
patient = store.add_patient("Crash Test", date(1970, 1, 1), "CRASH-" + trial)
session = store.open_session(
    patient.id, Identity(**identity), decode_capabilities(capabilities), "Dr Kill"
)
print("session", session.id, flush=True)
step = 0
while True:
    event_id = store.log_event(session.id, "set_amplitude", {"lead": 1, "step": step}, "ok")
    print(event_id, flush=True)
    step += 1
"""


def run_and_kill(args: list[str], rng: random.Random) -> list[str]:
    """Start the child, SIGKILL it at a random moment, return the complete lines it printed."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, env=env, cwd=REPO)
    assert child.stdout is not None
    printed = b""
    if rng.random() < 0.2:  # sometimes during start-up: migration, patient, session
        time.sleep(rng.uniform(0.0, 0.5))
    else:  # mostly while events are being logged
        printed = child.stdout.readline()
        assert printed.startswith(b"session"), "the child died before opening its session"
        time.sleep(rng.uniform(0.0, 0.2))
    child.send_signal(signal.SIGKILL)
    printed += child.stdout.read()
    child.wait()
    assert child.returncode == -signal.SIGKILL
    return printed.decode().split("\n")[:-1]  # a line cut by the kill has no newline: dropped


def test_sigkill_loses_no_committed_event(records_url, identity, capabilities):
    RecordsStore.open(records_url).close()  # schema first: children never race to create it
    rng = random.Random(SEED)
    sessions_seen = 0
    for trial in range(TRIALS):
        device = [json.dumps(to_json(identity)), json.dumps(to_json(capabilities))]
        lines = run_and_kill([records_url, str(trial), *device], rng)
        if not lines:
            continue
        session_id = int(lines[0].split()[1])
        printed = [int(line) for line in lines[1:]]
        sessions_seen += 1
        print(f"trial {trial}: {len(printed)} events printed before SIGKILL")

        with RecordsStore.open(records_url) as store:
            events = store.session_events(session_id)
            stored = {e.id for e in events}
            assert set(printed) <= stored, f"trial {trial}: events lost after SIGKILL"
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert session_id in {s.id for s in store.unclosed_sessions()}
            assert store.resume_session(session_id).state is SessionState.ACTIVE

    assert sessions_seen >= TRIALS // 2, "too few trials reached the logging loop"
