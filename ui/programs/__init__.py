"""The Programming tab: programs, unwritten changes, the session log, notes and pain scores."""

from ui.programs.unwritten import confirm_discard_unwritten
from ui.programs.view import ProgramsPanel

__all__ = ["ProgramsPanel", "confirm_discard_unwritten"]
