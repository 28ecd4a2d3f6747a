"""USB driver layer for DRG pulse generators: wire protocol, pyusb transport,
typed client and links chosen by URI. No Qt here (enforced by a test)."""
