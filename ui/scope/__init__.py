"""The pulse scope: one lead's delivered pulse as an oscilloscope shows it (issue 14.6)."""

from ui.scope.view import PulseScopeView

__all__ = ["PulseScopeView"]
