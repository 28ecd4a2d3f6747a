"""USB identity and endpoint layout of the pulse generator (docs/protocol.md).

VID 0x1209 is the pid.codes open-source test vendor; a production device
gets its own VID/PID, so links accept both as options.
"""

VENDOR_ID = 0x1209
PRODUCT_ID = 0xD260
INTERFACE = 0
EP_COMMAND_OUT = 0x01
EP_REPLY_IN = 0x81
EP_TELEMETRY_IN = 0x82
BULK_PACKET = 512  # USB 2.0 high-speed bulk max packet size
VENDOR_REQUEST_STOP_ALL = 0x14  # bmRequestType 0x41 (vendor, interface, OUT)
