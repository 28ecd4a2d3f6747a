"""Qt-free domain of the DRG programming workstation: models, records, safety and levels."""
