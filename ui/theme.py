"""The workstation's one palette, named by what a colour means.

Every widget takes its colours from here. Text colours keep a contrast of at
least 4.5:1 (WCAG AA) on white, on the window grey (#EFEFEF) and on their own
tint; fills (`*_FILL`, lead-state fills, impedance classes) carry a word or a
symbol as well, so colour is never the only cue.

Colours are "#RRGGBB" strings (one with alpha is Qt's "#AARRGGBB"), which Qt
style sheets, QColor and pyqtgraph all read; `rgb` gives the tuple where a
pixel is compared or an alpha added. Qt-free, so Qt-free modules (impedance
readings) use it too.
"""

from __future__ import annotations

from typing import NamedTuple

# -- neutral --------------------------------------------------------------------------------
TEXT = "#202124"  # ink on light surfaces (15.9:1 on white)
TEXT_MUTED = "#5F6368"  # secondary text, outlines, axes, OFF (6.0:1 on white, 5.4:1 on SURFACE_PALE)
TEXT_ON_FILL = "#FFFFFF"  # text on a strong fill: OK, WARNING, DANGER, CATHODE, SIMULATOR
SURFACE = "#FFFFFF"
SURFACE_PALE = "#F1F3F4"  # quiet fills: a lead body, a blank or stale cell, a shaded column
RULE = "#DADCE0"  # dividers and group frames
CONTACT_OFF = "#C8CCD0"  # a contact that is neither anode nor cathode

# -- meaning ------------------------------------------------------------------------------
OK = "#137333"  # stimulating, connected, verified, pass (5.9:1 on white, white on it too)
OK_TINT = "#E6F4EA"
WARNING = "#9A5200"  # text: near a limit, link lost, rounded, refused (5.9:1 on white, 5.5:1 on its tint)
WARNING_TINT = "#FEF7E0"  # also a pending (not yet applied) value
WARNING_FILL = "#F29900"  # bars, badges and dashes only: TEXT on it, never as text on white
DANGER = "#C5221F"  # errors, faults, at a limit, STOP ALL (5.8:1 on white, 4.9:1 on its tint)
DANGER_TINT = "#FCE8E6"
DANGER_DARK = "#7F1512"  # STOP ALL pressed, an anode's edge
INFO = "#1A56C4"  # in progress, focus, hover, a suggested level (6.6:1 on white)
INFO_TINT = "#DCE8FC"
SELECTION = "#0B1F5C"  # the chosen lead, bar or contact edge
SIMULATOR = "#6A1B9A"  # the simulated-device badge (white on it: 9.4:1)

# -- contacts -------------------------------------------------------------------------------
ANODE = DANGER  # + : red, as on the clinician programmers
ANODE_EDGE = DANGER_DARK
CATHODE = "#1A3E8C"  # − : blue
CATHODE_EDGE = SELECTION

# -- impedance and stale results ----------------------------------------------------------------
STALE_FILL = "#9AA0A6"  # results kept after the link was lost (their text: TEXT_MUTED on SURFACE_PALE)

# -- spinal map anatomy --------------------------------------------------------------------------
MAP_BONE = "#EFE6D2"
MAP_BONE_EDGE = "#6B5B3E"
MAP_GANGLION = "#F4C542"
MAP_GANGLION_EDGE = "#7A5C00"
MAP_NERVE = "#C9A227"
MAP_HATCH = "#6E000000"  # black at 110/255: the hatching of a lead whose state is unknown

# -- live waveforms (a dark oscilloscope; every pen opaque, see ui/waveforms/plots.py) -------------------
SCOPE_BACKGROUND = "#121216"
SCOPE_GRID = "#3A3A42"
SCOPE_TEXT = "#C8C8CD"
SCOPE_CURRENT = "#FFBE00"
SCOPE_PERSISTENCE = "#806000"  # earlier pulses of the pulse scope: SCOPE_CURRENT at half brightness, opaque
SCOPE_VOLTAGE = "#00C8FF"
SCOPE_PROGRAMMED = "#EBEBEB"
SCOPE_CURSOR = "#FF5050"
SCOPE_NO_SIGNAL = "#5A5A62"  # the last traces, greyed, while the link is down (they are not live)


class Tone(NamedTuple):
    """A message's colours: its background (None: the text alone is coloured) and its ink."""

    background: str | None
    ink: str


# A verdict in a tinted box (program written, session refused) ...
OK_BOX = Tone(OK_TINT, OK)
WARNING_BOX = Tone(WARNING_TINT, WARNING)
DANGER_BOX = Tone(DANGER_TINT, DANGER)
# ... or a note in coloured text beside the field it is about.
OK_TEXT = Tone(None, OK)
WARNING_TEXT = Tone(None, WARNING)
DANGER_TEXT = Tone(None, DANGER)


def tone_style(tone: Tone | None) -> str:
    """The style sheet of a label shown in `tone` ("" for plain text)."""
    if tone is None:
        return ""
    if tone.background is None:
        return f"color:{tone.ink};"
    return f"background:{tone.background}; color:{tone.ink}; border-radius:4px; padding:4px;"


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#RRGGBB" (or Qt's "#AARRGGBB") as (red, green, blue)."""
    digits = colour.lstrip("#")[-6:]
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


# body map (ui/bodymap): skin, pain by intensity (its alpha grows with it), each lead's area hatched
BODY_SKIN = "#F6F1EA"
BODY_EDGE = "#6B6259"
BODY_PAIN = "#C5221F"  # DANGER's hue: where it hurts
BODY_LEADS = ("#1A56C4", "#137333", "#6A1B9A", "#9A5200")  # lead 1..4: INFO, OK, SIMULATOR, WARNING hues
