"""The visit report on paper or in a PDF file, both through Qt's own writers (QPdfWriter, QPrinter)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from ui import dialogs
from ui.report.document import visit_document
from workstation.visit import VisitRecord

A4_MARGINS_MM = QMarginsF(15, 15, 15, 15)


def write_pdf(record: VisitRecord, path: str | Path, printed: datetime | None = None) -> Path:
    """The report as an A4 PDF at `path`; OSError if it cannot be written."""
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, A4_MARGINS_MM)
    )
    writer.setResolution(150)
    writer.setTitle(f"DRG visit report {record.record_id}")
    writer.setCreator("drg-workstation")
    visit_document(record, printed).print_(writer)
    del writer  # the file is complete once the writer is gone
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"The report could not be written to {path}.")
    return path


def print_dialog(parent: QWidget | None, record: VisitRecord, printed: Callable[[bool], None]) -> QPrintDialog:
    """Qt's print dialog (window-modal, STOP ALL stays reachable); `printed(True)` once it printed."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(f"DRG visit report {record.record_id}")
    dialog = dialogs.register(QPrintDialog(printer, parent), "visitPrintDialog")

    def done(result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            visit_document(record).print_(printer)
        printed(result == QDialog.DialogCode.Accepted)

    dialog.finished.connect(done)
    dialog.open()
    return dialog
