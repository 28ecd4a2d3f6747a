"""The visit report (document.py) and its PDF output (output.py)."""

from ui.report.output import write_pdf

__all__ = ["write_pdf"]
