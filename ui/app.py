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
    parser.add_argument("--link", default=DEFAULT_LINK,
                        help="pulse generator to connect to: sim://0[?open=2.3&...] (default) or usb://[SERIAL]")
    parser.add_argument("--records", default=None,
                        help="records database URL (default: DRG_RECORDS_URL, else SQLite in the user data folder)")
    parser.add_argument("--no-connect", action="store_true", help="start without connecting")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("OpenDRG")
    app.setApplicationName("DRG Workstation")

    from ui.main_window import MainWindow
    from workstation.programming import ProgrammingService
    from workstation.records.store import RecordsStore

    store = RecordsStore.open(args.records)
    service = ProgrammingService(store)
    window = MainWindow(service)
    window.connection.uri.setCurrentText(args.link)
    window.show()
    if not args.no_connect:
        window.connection.connect_link()
    QTimer.singleShot(0, window.patient_panel.offer_resumption)
    try:
        return app.exec()
    finally:
        service.shutdown()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
