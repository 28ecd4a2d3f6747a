"""`drg-workstation`: start the clinician workstation, on the simulated pulse
generator unless told otherwise."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

DEFAULT_LINK = "sim://0"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="drg-workstation", description=__doc__)
    parser.add_argument(
        "--link",
        default=DEFAULT_LINK,
        help="pulse generator to connect to: sim://0[?open=2.3&...] (default) or usb://[SERIAL]",
    )
    parser.add_argument(
        "--records",
        default=None,
        help="records database URL (default: DRG_RECORDS_URL, else SQLite in the user data folder)",
    )
    parser.add_argument("--no-connect", action="store_true", help="start without connecting")
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="level of the workstation's log file (default: the one chosen in the Field engineer tab, else INFO)",
    )
    parser.add_argument(
        "--field-engineer",
        action="store_true",
        help="open on the Field engineer tab (device information, lead diagnosis, device log, self-test, capture)",
    )
    parser.add_argument(
        "--capture",
        metavar="FILE.pcap",
        default=None,
        help="record the USB traffic from the first connection on, and save it to FILE.pcap on quitting "
        "(open it in Wireshark with resources/wireshark/drg.lua)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="quit once the main window shows its log-in page: exit 0, or 1 after 30 s",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["audit"]:  # `drg-workstation audit verify`: no window
        from workstation import auditcli

        return auditcli.main(argv[1:])
    if argv[:1] == ["field"]:  # `drg-workstation field ...`: drg-field inside the bundled build
        from workstation import fieldtool

        return fieldtool.main(argv[1:])
    args = parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("OpenDRG")
    app.setApplicationName("DRG Workstation")
    _start_logging(args.log_level)

    from ui.access import IdleLock
    from ui.main_window import MainWindow
    from workstation.service import ProgrammingService

    service = ProgrammingService.open(args.records)
    if args.capture:
        service.field.start_capture()
    window = MainWindow(service)
    IdleLock(service, parent=window)  # the screen locks after IDLE_LOCK_S without input (STOP ALL stays above it)
    if args.field_engineer:
        window.show_field_engineer()
    window.connection.uri.setCurrentText(args.link)
    window.show()
    _after_login(window, service, connect=not args.no_connect)
    if args.smoke_test:
        _quit_once_shown(app, window)
    try:
        return app.exec()
    finally:
        if args.capture:
            _save_capture(service, args.capture)
        service.shutdown()


def _after_login(window, service, connect: bool) -> None:
    """Once someone has logged in (the first run asks for the first administrator): connect, if their role
    may, and offer to resume a session a crash left open, if they may read the records."""
    from workstation.accounts import Permission

    done = {"connected": False}

    def logged_in(user, locked: bool) -> None:
        if user is None or locked:
            return
        if connect and not done["connected"] and user.may(Permission.CONNECT):
            done["connected"] = True
            window.connection.connect_link()
        if user.may(Permission.HISTORY):
            QTimer.singleShot(0, window.patient_panel.offer_resumption)

    window.bridge.userChanged.connect(logged_in)
    logged_in(service.access.user, service.access.locked)


def _save_capture(service, path: str) -> None:
    try:
        size = service.field.save_capture(path).result(timeout=30)
    except Exception as exc:  # noqa: BLE001 - quitting: say why, do not hide the exit status
        print(f"capture not saved: {exc}", file=sys.stderr)
    else:
        print(f"USB capture saved to {path} ({size} bytes)", flush=True)


def _start_logging(level: str | None) -> None:
    """The rotating log file, at the level given here, else the one saved in the settings (else INFO)."""
    import logging

    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QSettings, qVersion

    from ui.fieldeng import LOG_LEVEL_SETTING
    from workstation import logs
    from workstation.versions import versions

    saved = QSettings().value(LOG_LEVEL_SETTING)
    path = logs.configure(level or (saved if isinstance(saved, str) else None))
    found = versions()
    logging.getLogger("ui.app").info(
        "drg-workstation %s starting (Python %s, Qt %s, PySide6 %s, %s); log %s",
        found["drg-workstation"],
        found["python"],
        qVersion(),
        pyside_version,
        found["platform"],
        path,
    )


def _quit_once_shown(app, window) -> None:
    """For the bundle's smoke test (scripts/smoke-test-bundle): the window is up and asks who is there."""

    def check() -> None:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed() and window.pages.currentWidget() is not window.splitter:
            print("smoke test: main window shown, log-in page", flush=True)
            app.exit(0)

    poll = QTimer(window, interval=100, timeout=check)
    poll.start()
    QTimer.singleShot(30_000, lambda: (print("smoke test: no main window after 30 s", flush=True), app.exit(1)))


if __name__ == "__main__":
    sys.exit(main())
