"""The authenticated link's invariants, as a hypothesis state machine over raw frames (docs/protocol.md §7).

A paired host's sealed commands mixed with an adversary's frames (replayed, forged, unsealed, under
another key), USB resets, host silence past the watchdog and STOP ALL by bulk message and control
request. Whatever the order:
- a frame the device refuses for its authentication changes nothing (live settings, stored program),
  is counted and logged with its reason;
- STOP ALL always stops, unpaired, without a session, after a reset; and no output comes back on
  until an authenticated command enables one (the watchdog never turns one on);
- the host's own sealed commands are never refused for their authentication while its session lasts.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from stateful_coverage import assert_reached  # tests/stateful_coverage.py

from drivers.protocol import auth
from drivers.protocol.frame import Frame, decode_frame, encode_frame
from drivers.protocol.messages import ErrorReply, MsgType, decode_reply, spec_for
from drivers.protocol.status import Status
from drivers.sim.clock import ManualClock
from drivers.sim.device import DeviceModel
from drivers.sim.direct import command_frame, paired_client
from drivers.sim.security import AuthRefusal
from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
BASE = LeadConfig(1, (P, M, O, O), 0, 200, 20, False, 3000)
AUTH_STATUSES = {Status.AUTH_FAILED, Status.UNSUPPORTED}
COVERAGE: Counter[str] = Counter()

configs = st.builds(
    lambda lead, ua, enabled: BASE.with_(lead=lead, amplitude_ua=ua, enabled=enabled),
    st.integers(1, 4),
    st.sampled_from([0, 25, 400, 1000, 3000]),
    st.booleans(),
)


def _write(config: LeadConfig) -> bytes:
    return spec_for(MsgType.WRITE_LEAD).request.encode(config)


class AuthenticatedLink(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.model = DeviceModel(clock=self.clock, sleep=self.clock.sleep)
        self.client = paired_client(self.model)
        for lead in range(1, 5):  # each lead on BASE's contacts, measured: it may then be enabled
            self.client.write_lead(BASE.with_(lead=lead))
            self.client.measure_impedance(ImpedanceMode.LEAD_PAIR, lead)
        self.in_session = True  # the device holds the host's session (a USB reset ends it)
        self.latched = False  # STOP ALL pressed, no authenticated enable since
        self.sent: list[bytes] = []  # every sealed frame the host sent: the adversary's replays
        self.refusals = self.model.security.refusals

    # -- the paired host --------------------------------------------------------------------------
    @rule(config=configs)
    def host_writes(self, config: LeadConfig) -> None:
        data, _seq = command_frame(self.client.session, MsgType.WRITE_LEAD, _write(config))
        self.sent.append(data)
        if not self.in_session:
            self._refused(data, Status.AUTH_FAILED, AuthRefusal.NO_SESSION, "no session")
            return
        reply = self._reply(data)
        assert not (isinstance(reply, ErrorReply) and reply.status in AUTH_STATUSES), reply
        if isinstance(reply, ErrorReply):
            COVERAGE["host write refused by the device's limits"] += 1
        else:
            COVERAGE["host write accepted"] += 1
            if config.enabled:
                self.latched = False  # an authenticated, explicit enable

    @rule()
    def host_authenticates_again(self) -> None:
        """The client opens a new session by itself on its next command (after a reset)."""
        assert self.client.read_lead(1).lead == 1
        if not self.in_session:
            COVERAGE["new session after a reset"] += 1
            self.refusals += 1  # the client's first try met no session
        self.in_session = True

    # -- the adversary ----------------------------------------------------------------------------
    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def replay(self, data) -> None:
        frame = data.draw(st.sampled_from(self.sent))
        self._refused_in_session(frame, "replayed")

    @rule(config=configs, index=st.integers(0, 15))
    def forge(self, config: LeadConfig, index: int) -> None:
        """A sealed frame whose payload was changed on the way, its CRC made good again."""
        sealed = decode_frame(command_frame(self.client.session, MsgType.WRITE_LEAD, _write(config))[0])
        payload = bytearray(sealed.payload)
        payload[index % len(payload)] ^= 0x5A
        self._refused_in_session(encode_frame(Frame(sealed.type, sealed.seq, bytes(payload), sealed.mac)), "forged")

    @rule(config=configs, key=st.binary(min_size=32, max_size=32))
    def another_key(self, config: LeadConfig, key: bytes) -> None:
        frame = Frame(MsgType.WRITE_LEAD, 7, _write(config))
        self._refused_in_session(auth.seal(frame, key, auth.HOST, 2**40), "another key")

    @rule(config=configs)
    def unsealed(self, config: LeadConfig) -> None:
        """As an older host, or a process without the key, sends it: no MAC at all."""
        self._refused(
            encode_frame(Frame(MsgType.WRITE_LEAD, 3, _write(config))),
            Status.UNSUPPORTED,
            AuthRefusal.NO_MAC,
            "unsealed",
        )

    # -- the world --------------------------------------------------------------------------------
    @rule(control=st.booleans())
    def stop_all(self, control: bool) -> None:
        was_on = bool(self.model.outputs_on)
        if control:
            self.model.stop_all_now()  # the vendor control request: no frame, no MAC
        else:
            reply = self._reply(encode_frame(Frame(MsgType.STOP_ALL, 1, b"")))
            assert not isinstance(reply, ErrorReply), reply
        assert self.model.outputs_on == ()
        self.latched = True
        COVERAGE["stop with an output on" if was_on else "stop"] += 1
        COVERAGE["stop without a session" if not self.in_session else "stop in session"] += 1

    @rule()
    def usb_reset(self) -> None:
        self.model.reset_link()
        self.in_session = False

    @rule(seconds=st.sampled_from([0.5, 2.0, 4.0, 10.0]))
    def host_silent(self, seconds: float) -> None:
        """The host says nothing for a while, then identifies (no MAC): the watchdog acts on that frame."""
        self.clock.now += seconds
        reply = self._reply(encode_frame(Frame(MsgType.IDENTIFY, 2, b"")))
        assert not isinstance(reply, ErrorReply), reply
        COVERAGE[
            "silence past the watchdog" if seconds * 1000 > self.model.capabilities.watchdog_ms else "short silence"
        ] += 1

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def no_output_after_stop_all_until_an_authenticated_enable(self) -> None:
        if self.latched:
            assert self.model.outputs_on == ()

    @invariant()
    def every_refusal_is_counted_and_logged(self) -> None:
        assert self.model.security.refusals == self.refusals
        logged = sum(1 for e in self.model.events if e.code == EventCode.AUTH_REFUSED)
        assert logged == self.refusals

    # -- helpers ----------------------------------------------------------------------------------
    def _reply(self, data: bytes):
        raw = self.model.handle_command(data)
        assert raw is not None
        frame = decode_frame(raw)
        mtype = MsgType(frame.type & 0x7F)
        return decode_reply(spec_for(mtype), frame.payload)

    def _refused_in_session(self, data: bytes, what: str) -> None:
        reason = AuthRefusal.BAD_MAC if self.in_session else AuthRefusal.NO_SESSION
        self._refused(data, Status.AUTH_FAILED, reason, what)

    def _refused(self, data: bytes, status: Status, reason: AuthRefusal, what: str) -> None:
        live, stored, on = self.model.live_leads, self.model.stored_program, self.model.outputs_on
        reply = self._reply(data)
        assert isinstance(reply, ErrorReply) and reply.status == status, (what, reply)
        assert (self.model.live_leads, self.model.stored_program, self.model.outputs_on) == (live, stored, on), what
        self.refusals += 1
        assert [e.value for e in self.model.events if e.code == EventCode.AUTH_REFUSED][-1] == reason, what
        COVERAGE[f"{what} refused"] += 1
        if on:
            COVERAGE["attack while stimulating"] += 1


CAMPAIGN = os.environ.get("DRG_HYPOTHESIS_PROFILE") == "campaign"
AuthenticatedLink.TestCase.settings = settings(
    max_examples=500 if CAMPAIGN else 40,
    stateful_step_count=60 if CAMPAIGN else 25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestAuthenticatedLink = AuthenticatedLink.TestCase


def test_every_outcome_is_reached():
    """The machine must really reach what its invariants are about, or it proves nothing."""
    needed = [
        "host write accepted",
        "replayed refused",
        "forged refused",
        "another key refused",
        "unsealed refused",
        "no session refused",
        "new session after a reset",
        "stop with an output on",
        "stop without a session",
        "silence past the watchdog",
        "attack while stimulating",
    ]
    assert_reached(AuthenticatedLink, COVERAGE, needed, max_examples=60, steps=30)
