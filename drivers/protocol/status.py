"""Status codes: the first byte of every reply payload."""

from enum import IntEnum


class Status(IntEnum):
    OK = 0
    BAD_FRAME = 1  # CRC, length or magic wrong: the device ignored the frame
    UNKNOWN_MESSAGE = 2
    BAD_PAYLOAD = 3  # payload does not decode for this message type
    OUT_OF_RANGE = 4
    OFF_STEP = 5
    BAD_CONTACTS = 6  # a lead needs exactly the contacts its rule asks for
    CHARGE_DENSITY = 7  # Shannon limit on the worst contact
    ABOVE_PATIENT_MAX = 8
    LEAD_DISABLED = 9  # amplitude/stimulation needs an enabled, valid lead
    BUSY = 10  # an impedance measurement or another exclusive action runs
    NOTHING_STAGED = 11
    PROGRAM_CRC = 12  # commit CRC does not match what was staged
    BATTERY_EOS = 13  # end of service: output refused
    IMPEDANCE_REQUIRED = 14  # measure impedance before enabling output
    UNSUPPORTED = 15  # a version or feature the device does not have; also a command that needs
    # an authenticated link sent without a MAC (what an older host gets: a status it knows)
    AUTH_FAILED = 16  # a sealed frame whose MAC does not verify (forged, replayed, out of order, no session)
    PAIR_PENDING = 17  # pairing waits for its confirmation on the device (the magnet)
