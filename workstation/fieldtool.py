"""`drg-field`: the field engineer's tools from the command line, without the GUI.

    drg-field diagnose  --link 'sim://0?open=2.3&short=1.2'          # which contacts are open or shorted, and why
    drg-field self-test --link usb://SERIAL --csv self-test.csv
    drg-field events    --link usb://SERIAL --csv device-log.csv
    drg-field capture   --link usb://SERIAL --seconds 10 --out capture.pcap [--telemetry]
    drg-field bundle    --link usb://SERIAL --out diagnostics.zip   # logs, device log, self-test, diagnosis, capture

Each command goes through the application layer (service.field), as the workspace does,
with the USB capture on from the link's opening. Exit status: 0 when the device is healthy
(no lead fault, self-test passed), 1 when a fault was found, 2 when the tool could not run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workstation import devicelog, exports, logs
from workstation.accounts import Role, User

if TYPE_CHECKING:
    from workstation.service import ProgrammingService

HEALTHY, FAULT, FAILED = 0, 1, 2


MAX_CAPTURE_S = 24 * 3600.0  # a day: longer is a typo, not a plan
MAX_CAPTURE_MB = 4096


def _bounded(kind: type[float | int], high: float, unit: str) -> Callable[[str], float]:
    """An argparse type: a finite number above 0 and at most `high` (nan, inf, 0 and negatives refused)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number of {unit}") from None
        if not (0 < value <= high):  # also false for nan
            raise argparse.ArgumentTypeError(f"'{text}' must be above 0 and at most {high:g} {unit}")
        return value

    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="drg-field", description=__doc__.splitlines()[0])
    parser.add_argument("--link", default="sim://0", help="sim://0[?open=2.3&...] or usb://SERIAL (default sim://0)")
    parser.add_argument(
        "--records", default=None, help="records URL, for the contact history (default: none, a temporary store)"
    )
    parser.add_argument("--log-level", default=None, help="also write the workstation log at this level")
    commands = parser.add_subparsers(dest="command", required=True)
    diagnose = commands.add_parser("diagnose", help="lead diagnosis: contact to case and every pair, per contact")
    diagnose.add_argument("--rounds", type=int, default=3)
    diagnose.add_argument("--csv", type=Path, help="save one row per contact (and a .txt report beside it)")
    self_test = commands.add_parser("self-test", help="run the device's self-test")
    self_test.add_argument("--csv", type=Path)
    events = commands.add_parser("events", help="read the device's event log, as sentences")
    events.add_argument("--csv", type=Path)
    capture = commands.add_parser("capture", help="record the USB traffic to a pcap file for Wireshark")
    capture.add_argument("--seconds", type=_bounded(float, MAX_CAPTURE_S, "seconds"), default=5.0)
    capture.add_argument("--out", type=Path, required=True)
    capture.add_argument("--telemetry", action="store_true", help="stream telemetry at the maximum rate meanwhile")
    capture.add_argument(
        "--max-mb",
        type=_bounded(int, MAX_CAPTURE_MB, "MB"),
        default=32,
        help="size cap of the capture (the newest is kept)",
    )
    bundle = commands.add_parser("bundle", help="diagnose, self-test, read the log and save a diagnostics bundle")
    bundle.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def _operator() -> User:
    """drg-field acts for the person logged in to this computer, with the field engineer's role: it can
    interrogate, measure and run the service tools, and change no therapy (workstation/accounts.py)."""
    import getpass

    return User(getpass.getuser(), f"{getpass.getuser()} (drg-field)", Role.FIELD_ENGINEER)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from workstation.service import ProgrammingService, ServiceError

    if args.log_level:
        logs.configure(args.log_level)
    with tempfile.TemporaryDirectory() as folder:
        records = args.records or f"sqlite:///{Path(folder) / 'records.sqlite3'}"
        service = ProgrammingService.open(records, user=_operator())
        try:
            service.field.start_capture(args.max_mb * 1024 * 1024 if args.command == "capture" else None)
            service.subscribe(_say_when_pairing)
            service.connection.connect(args.link).result(timeout=90)  # pairing waits up to 60 s for the device
            return COMMANDS[args.command](service, args)
        except (ServiceError, OSError, ValueError) as exc:
            print(f"drg-field: {exc}", file=sys.stderr)
            return FAILED
        finally:
            service.shutdown()
            logs.shutdown()


def _say_when_pairing(notice: object) -> None:
    from workstation.service import LinkChanged, LinkState

    if isinstance(notice, LinkChanged) and notice.state is LinkState.PAIRING:
        print(f"drg-field: {notice.detail}", file=sys.stderr, flush=True)


def _identity_lines(service: ProgrammingService) -> list[str]:
    return service.field.identity().header_lines()


def _diagnose(service: ProgrammingService, args: argparse.Namespace) -> int:
    run = service.field.diagnose(rounds=args.rounds).result(timeout=120)
    found = run.diagnosis
    print(exports.diagnosis_report(found, service.field.identity()), end="")
    if args.csv:
        service.field.export(lambda p, ident: exports.write_diagnosis_csv(p, found, ident), args.csv).result(30)
        args.csv.with_suffix(".txt").write_text(exports.diagnosis_report(found, service.field.identity()), "utf-8")
        print(f"saved {args.csv} and {args.csv.with_suffix('.txt')}")
    return FAULT if found.conclusions else HEALTHY


def _self_test(service: ProgrammingService, args: argparse.Namespace) -> int:
    run = service.field.self_test().result(timeout=30)
    print(exports.self_test_report(run.report, service.field.identity()), end="")
    if args.csv:
        service.field.export(lambda p, ident: exports.write_self_test_csv(p, run.report, ident), args.csv).result(30)
        print(f"saved {args.csv}")
    return HEALTHY if run.report.passed else FAULT


def _events(service: ProgrammingService, args: argparse.Namespace) -> int:
    read = service.field.read_device_log().result(timeout=30)
    print("\n".join([*_identity_lines(service), ""]))
    for event in devicelog.lines(read.events):
        print(f"#{event.index:<5} {event.uptime}  {event.severity:<7} {event.sentence}")
    if args.csv:
        service.field.export(lambda p, ident: exports.write_device_log_csv(p, read.events, ident), args.csv).result(30)
        print(f"saved {args.csv}")
    return HEALTHY


def _capture(service: ProgrammingService, args: argparse.Namespace) -> int:
    caps = service.state.capabilities
    if args.telemetry and caps is not None:
        service.connection.start_telemetry(caps.telemetry_max_rate_hz).result(timeout=10)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
    if args.telemetry:
        service.connection.stop_telemetry_now()
    stats = service.field.capture_stats()
    size = service.field.save_capture(args.out).result(timeout=60)
    transfers = stats.transfers if stats else 0
    dropped = stats.dropped_packets if stats else 0
    print(
        f"saved {args.out}: {size:,} bytes, {transfers} transfers"
        + (f", {dropped} oldest packets dropped at the cap" if dropped else "")
    )
    print(f"open it with: wireshark -X lua_script:{_dissector()} {args.out}")
    return HEALTHY


def _bundle(service: ProgrammingService, args: argparse.Namespace) -> int:
    diagnosis = service.field.diagnose().result(timeout=120)
    self_test = service.field.self_test().result(timeout=30)
    path = service.field.save_bundle(args.out, {"interface": "drg-field"}).result(timeout=120)
    print(f"saved {path}")
    print(diagnosis.diagnosis.summary)
    print(f"self-test: {'passed' if self_test.report.passed else 'FAILED'}")
    return FAULT if diagnosis.diagnosis.conclusions or not self_test.report.passed else HEALTHY


def _dissector() -> str:
    from workstation.service.field import DISSECTOR

    return str(DISSECTOR)


COMMANDS: dict[str, Callable[[ProgrammingService, argparse.Namespace], int]] = {
    "diagnose": _diagnose,
    "self-test": _self_test,
    "events": _events,
    "capture": _capture,
    "bundle": _bundle,
}


if __name__ == "__main__":
    sys.exit(main())
