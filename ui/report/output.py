"""The visit report as a PDF file, through Qt's own writer (QPdfWriter)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

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
