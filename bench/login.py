"""How long a clinician waits to log in (issue 12: login <= 0.5 s).

A log-in as the app does it: ProgrammingService.access.login on a records database holding
ACCOUNTS accounts (SQLite file, or PostgreSQL with --records), which reads the account, checks
the Argon2id hash (workstation/accounts.py: the whole cost is by design), and writes the audit
entry. Each try is a correct password followed by a log-out; a wrong password, timed apart,
costs the same hash (no timing tells a wrong name from a wrong password) and is spaced so the
throttle never starts.

Run: .venv/bin/python bench/login.py [--tries 30] [--records URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _harness import describe, machine, result

from workstation.accounts import Role
from workstation.service import LoginRefused, ProgrammingService

TARGET_MS = 500.0
ACCOUNTS = 50
PASSWORD = "clinic-pass-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    parser.add_argument("--records", help="records URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    url = args.records or f"sqlite:///{Path(tempfile.mkdtemp()) / 'records.sqlite'}"
    service = ProgrammingService.open(url)
    access = service.access
    try:
        if access.needs_first_administrator().result(30):
            access.create_first_administrator("admin", "Bench Admin", PASSWORD).result(30)
        access.login("admin", PASSWORD).result(30)
        names = {a.username for a in access.accounts().result(30)}
        for n in range(ACCOUNTS):
            if f"dr.{n}" not in names:
                access.create_account(f"dr.{n}", f"Dr Bench {n}", Role.CLINICIAN, PASSWORD).result(30)
        access.logout().result(30)
        good: list[float] = []
        wrong: list[float] = []
        for n in range(args.tries):
            user = f"dr.{n % ACCOUNTS}"
            start = time.perf_counter()
            access.login(user, PASSWORD).result(30)
            good.append((time.perf_counter() - start) * 1e3)
            access.logout().result(30)
            start = time.perf_counter()
            try:
                access.login(f"dr.{(n + 1) % ACCOUNTS}", "not-the-password").result(30)
            except LoginRefused:
                wrong.append((time.perf_counter() - start) * 1e3)
    finally:
        service.shutdown()
    stats = describe("log-in (correct password)", good, TARGET_MS)
    refused = describe("log-in refused (wrong password)", wrong)
    result(
        "login",
        login_p99_ms=stats["p99"],
        target_login_p99_ms=TARGET_MS,
        login_p50_ms=stats["p50"],
        refused_p50_ms=refused["p50"],
        records=url.split(":", 1)[0],
    )


if __name__ == "__main__":
    main()
