"""The style sheet of the lead panel (colours from ui.theme).

State is never shown by colour alone: every coloured element also carries
a word or a symbol (OFF, LIVE, APPROACHING, +, −).
"""

from __future__ import annotations

from ui.theme import (
    ANODE,
    ANODE_EDGE,
    CATHODE,
    CATHODE_EDGE,
    CONTACT_OFF,
    DANGER,
    DANGER_TINT,
    INFO,
    OK,
    RULE,
    SURFACE_PALE,
    TEXT,
    TEXT_MUTED,
    TEXT_ON_FILL,
    WARNING,
    WARNING_FILL,
    WARNING_TINT,
)

# Qt style sheet scoped to the panel; dynamic properties ("state", "pending",
# "polarity") select the look and are re-polished when they change.
STYLE_SHEET = f"""
#leadPanel QGroupBox {{ font-weight: bold; border: 1px solid {RULE}; border-radius: 4px;
    margin-top: 8px; padding: 6px 4px 4px 4px; }}
#leadPanel QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 3px; }}
#leadTitle {{ font-size: 17px; font-weight: bold; color: {TEXT}; }}
#stimState {{ border-radius: 4px; padding: 3px 8px; font-weight: bold; }}
#stimState[state="live"] {{ background: {OK}; color: {TEXT_ON_FILL}; }}
#stimState[state="off"] {{ background: {SURFACE_PALE}; color: {TEXT_MUTED}; border: 1px solid {TEXT_MUTED}; }}
#stimState[state="unknown"] {{ background: {WARNING_FILL}; color: {TEXT}; }}
#enableLead {{ padding: 5px 12px; font-weight: bold; }}
#enableLead:checked {{ background: {OK}; color: {TEXT_ON_FILL}; border: 1px solid {OK}; border-radius: 3px; }}
#refusalMessage {{ background: {DANGER_TINT}; color: {DANGER}; border: 1px solid {DANGER}; border-radius: 3px;
    padding: 4px; }}
#refusalMessage[why="true"] {{ background: {SURFACE_PALE}; color: {TEXT}; border: 1px solid {RULE}; }}
#refusalMessage[empty="true"] {{ background: transparent; border: 1px solid transparent; }}
#ampReadout {{ font-size: 34px; font-weight: bold; color: {TEXT}; }}
#ampReadout[state="unknown"] {{ color: {WARNING}; }}
#ampUp, #ampDown {{ font-size: 24px; font-weight: bold; min-width: 54px; min-height: 44px; }}
#maxSafeLabel {{ color: {TEXT_MUTED}; }}
QLineEdit[pending="true"] {{ background: {WARNING_TINT}; font-weight: bold; }}
QLineEdit[invalid="true"] {{ border: 2px solid {DANGER}; }}
ContactButton {{ border-radius: 5px; font-weight: bold; font-size: 13px; min-width: 92px; min-height: 30px; }}
ContactButton[polarity="off"] {{ background: {CONTACT_OFF}; color: {TEXT}; border: 1px solid {TEXT_MUTED}; }}
ContactButton[polarity="+"] {{ background: {ANODE}; color: {TEXT_ON_FILL}; border: 1px solid {ANODE_EDGE}; }}
ContactButton[polarity="-"] {{ background: {CATHODE}; color: {TEXT_ON_FILL}; border: 1px solid {CATHODE_EDGE}; }}
ContactButton[pending="true"] {{ border: 3px dashed {WARNING_FILL}; }}
ContactButton:focus {{ outline: none; border: 3px solid {INFO}; }}
"""


def set_style_property(widget, name: str, value: object) -> None:
    """Set a dynamic property the style sheet reads, and re-polish so it shows at once."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
