"""The visit report on paper or as a PDF file: one QTextDocument (document.py), laid out on A4 by
Qt's own writers, QPdfWriter for a file and QPrinter for the print dialog's choice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPdfWriter
from PySide6.QtPrintSupport import QPrinter

from ui.report.document import visit_document
from workstation.visit import VisitRecord

A4 = QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(15, 15, 15, 15))


def _title(record: VisitRecord) -> str:
    return f"DRG visit report {record.record_id}"


def _render(record: VisitRecord, device: QPagedPaintDevice, printed: datetime | None) -> None:
    visit_document(record, printed).print_(device)  # paginated on the device's page layout


def write_pdf(record: VisitRecord, path: str | Path, printed: datetime | None = None) -> Path:
    """The report as an A4 PDF at `path`; OSError if it cannot be written."""
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(A4)
    writer.setResolution(150)
    writer.setTitle(_title(record))
    writer.setCreator("drg-workstation")
    _render(record, writer, printed)
    del writer  # the file is complete once the writer is gone
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"The report could not be written to {path}.")
    return path


def new_printer(record: VisitRecord) -> QPrinter:
    """A printer for the print dialog to set up: A4, named after the visit (the default file name
    when the dialog prints to a file)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(A4)
    printer.setDocName(f"visit-{record.session.id}")
    printer.setCreator("drg-workstation")
    return printer


def print_report(record: VisitRecord, printer: QPrinter, printed: datetime | None = None) -> str:
    """Print the report on the printer the dialog chose; where it went (the printer or the file).
    OSError if the printer reports an error or the file was not written."""
    to_file = printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
    destination = printer.outputFileName() if to_file else printer.printerName()
    _render(record, printer, printed)
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise OSError(f"The printer {destination!r} reported an error; nothing was printed.")
    if to_file and (not Path(destination).is_file() or Path(destination).stat().st_size == 0):
        raise OSError(f"The report could not be written to {destination}.")
    return destination
