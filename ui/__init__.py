"""Qt user interface of the DRG workstation."""
