"""Parts of the impedance view (ui.impedance_view): readings and CSV, the
log-ohm scale, bars, the contact-pair matrix and the trend plot."""
