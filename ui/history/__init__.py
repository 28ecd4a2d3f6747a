"""The History tab (view.py): a returning patient's visits, plots, report, print and export."""

from ui.history.view import HistoryView

__all__ = ["HistoryView"]
