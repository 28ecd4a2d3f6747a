"""The visit report (document.py) and its PDF and printer output (output.py)."""

from ui.report.output import print_dialog, write_pdf

__all__ = ["print_dialog", "write_pdf"]
