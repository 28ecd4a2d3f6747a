"""Impedance view (view.py) and its parts: readings and CSV, the log-ohm
scale, bars, the contact-pair matrix and the trend plot."""

from ui.impedance.view import ImpedanceView

__all__ = ["ImpedanceView"]
