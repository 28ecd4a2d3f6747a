"""The Body map tab (view.py) and its painter (painting.py), shared with the visit report."""

from ui.bodymap.view import BodyMapPanel

__all__ = ["BodyMapPanel"]
