"""Colours and the style sheet of the lead panel (the spinal map's palette).

State is never shown by colour alone: every coloured element also carries
a word or a symbol (OFF, LIVE, APPROACHING, +, −).
"""

from __future__ import annotations

GREEN = "#137333"
AMBER = "#B06000"
AMBER_FILL = "#F29900"
RED = "#C5221F"
GREY = "#5F6368"
PALE = "#F1F3F4"
INK = "#202124"
ANODE = RED
CATHODE = "#1A3E8C"
CONTACT_OFF = "#C8CCD0"
PENDING = "#FEF7E0"

# Qt style sheet scoped to the panel; dynamic properties ("state", "pending",
# "polarity", "kind") select the look and are re-polished when they change.
STYLE_SHEET = f"""
#leadPanel QGroupBox {{ font-weight: bold; border: 1px solid #DADCE0; border-radius: 4px;
    margin-top: 8px; padding: 6px 4px 4px 4px; }}
#leadPanel QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 3px; }}
#leadTitle {{ font-size: 17px; font-weight: bold; color: {INK}; }}
#stimState {{ border-radius: 4px; padding: 3px 8px; font-weight: bold; }}
#stimState[state="live"] {{ background: {GREEN}; color: white; }}
#stimState[state="off"] {{ background: {PALE}; color: {GREY}; border: 1px solid {GREY}; }}
#stimState[state="unknown"] {{ background: {AMBER_FILL}; color: {INK}; }}
#enableLead {{ padding: 5px 12px; font-weight: bold; }}
#enableLead:checked {{ background: {GREEN}; color: white; border: 1px solid {GREEN}; border-radius: 3px; }}
#refusalMessage {{ background: #FCE8E6; color: {RED}; border: 1px solid {RED}; border-radius: 3px;
    padding: 4px; }}
#ampReadout {{ font-size: 34px; font-weight: bold; color: {INK}; }}
#ampReadout[state="unknown"] {{ color: {AMBER}; }}
#ampUp, #ampDown {{ font-size: 24px; font-weight: bold; min-width: 54px; min-height: 44px; }}
#maxSafeLabel {{ color: {GREY}; }}
QLabel[kind="error"] {{ color: {RED}; }}
QLabel[kind="info"] {{ color: {AMBER}; }}
QLabel[kind="ok"] {{ color: {GREEN}; }}
QLineEdit[pending="true"] {{ background: {PENDING}; font-weight: bold; }}
QLineEdit[invalid="true"] {{ border: 2px solid {RED}; }}
ContactButton {{ border-radius: 5px; font-weight: bold; font-size: 13px; min-width: 92px; min-height: 30px; }}
ContactButton[polarity="off"] {{ background: {CONTACT_OFF}; color: {INK}; border: 1px solid {GREY}; }}
ContactButton[polarity="+"] {{ background: {ANODE}; color: white; border: 1px solid #7F1512; }}
ContactButton[polarity="-"] {{ background: {CATHODE}; color: white; border: 1px solid #0B1F5C; }}
ContactButton[pending="true"] {{ border: 3px dashed {AMBER_FILL}; }}
ContactButton:focus {{ outline: none; border: 3px solid #1A56C4; }}
"""


def set_style_property(widget, name: str, value: object) -> None:
    """Set a dynamic property the style sheet reads, and re-polish so it shows at once."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
