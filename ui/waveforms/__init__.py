"""Live waveform view of delivered current and electrode voltage per lead."""

from ui.waveforms.view import WaveformView

__all__ = ["WaveformView"]
