"""The visit report (document.py), written as a PDF or printed (output.py)."""

from ui.report.output import new_printer, print_report, write_pdf

__all__ = ["new_printer", "print_report", "write_pdf"]
