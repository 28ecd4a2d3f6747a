"""The lead programming panel (view.py) and its parts, one module per area."""

from ui.lead_panel.view import LeadPanel

__all__ = ["LeadPanel"]
