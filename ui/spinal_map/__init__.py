"""Spinal map: where each DRG lead sits and which levels the pain regions suggest (view.py)."""

from ui.spinal_map.view import LeadState, MapLead, SpinalMap

__all__ = ["LeadState", "MapLead", "SpinalMap"]
