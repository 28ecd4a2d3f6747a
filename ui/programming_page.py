"""The Programming tab: the lead panel, its lead chooser on the title line, and, on a screen wide enough
(Full HD, or 4K at 125-200 %), the live waveforms beside them, so the clinician sees the
delivered pulses while changing them instead of switching tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QTabWidget, QWidget

from ui.lead_panel import LeadPanel

WIDE_WINDOW_PX = 1700  # the lead panel, the left column and the waveforms all at a useful width
WAVEFORMS_TITLE = "&Waveforms"
SHARE_PX = 10_000  # setSizes takes weights: the splitter scales them to its width


class ProgrammingPage(QSplitter):
    """The lead panel; `arrange` moves the waveforms beside them, or back into their tab."""

    def __init__(self, chooser: QComboBox, panel: LeadPanel) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.setObjectName("programmingTab")
        self.setChildrenCollapsible(False)
        label = QLabel("Lead:")
        label.setBuddy(chooser)
        panel.add_to_header(label, chooser)
        self.addWidget(panel)

    def arrange(self, tabs: QTabWidget, waveforms: QWidget, wide: bool, tab_index: int) -> None:
        """Waveforms beside the panel when `wide`, else in their own tab at `tab_index`."""
        if wide == (waveforms.parentWidget() is self):
            return
        if wide:
            tabs.removeTab(tabs.indexOf(waveforms))
            self.addWidget(waveforms)
            waveforms.show()
            # weights of the splitter, not stretch over size hints: those change as the panel and the plots
            # fill (a session started), and every control of the page moved sideways (issue 14.1). 4:3 keeps
            # both above their widest minimum at 1920 px (about 840 and 640 px), which otherwise pushes too
            self.setSizes([4 * SHARE_PX, 3 * SHARE_PX])
        else:  # back in their tab, usable as the role made them (ui/access/roles.py)
            tabs.insertTab(tab_index, waveforms, WAVEFORMS_TITLE)
            tabs.setTabEnabled(tab_index, not waveforms.testAttribute(Qt.WidgetAttribute.WA_ForceDisabled))
