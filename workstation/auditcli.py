"""`drg-workstation audit verify`: check the records' audit trail, naming the first broken or missing entry.

    drg-workstation audit verify                       # the default records (DRG_RECORDS_URL, else the SQLite file)
    drg-workstation audit verify --records postgresql+psycopg://clinic-db/drg

Exit status: 0 when every chain, every session event it covers and this
workstation's anchor check out; 1 when something was found (the first
problem is printed first); 2 when the records could not be opened.
"""

from __future__ import annotations

import argparse
import sys

INTACT, TAMPERED, FAILED = 0, 1, 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="drg-workstation audit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check every chain of the audit trail")
    verify.add_argument("--records", default=None, help="records database URL (default: DRG_RECORDS_URL, else SQLite)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError

    from workstation.records import RecordsError, RecordsStore

    try:
        store = RecordsStore.open(args.records)
    except (RecordsError, SQLAlchemyError, OSError, ValueError) as exc:
        print(f"audit verify: cannot open the records: {exc}", file=sys.stderr)
        return FAILED
    with store:
        report = store.verify_audit()
    counted = f"{report.chains} chain(s), {report.entries} entries, {report.events} session events"
    if report.intact:
        print(f"audit trail intact: {counted}")
        return INTACT
    print(f"audit trail BROKEN: first problem: {report.first}")
    for finding in report.findings[1:]:
        print(f"  also: {finding}")
    print(f"({counted} checked)")
    return TAMPERED
