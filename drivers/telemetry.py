"""Telemetry ingest: a receive thread feeding a bounded queue that a display
drains (cflib's receive-thread pattern); the display keeps its own ring of
the newest samples."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.errors import DeviceTimeout, DriverError, EndpointStalled, ProtocolError
from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import MsgType, spec_for
from drivers.types import Capabilities, TelemetryBlock

if TYPE_CHECKING:
    from drivers.session import LinkSession
    from drivers.transport import UsbTransport

_TELEMETRY = spec_for(MsgType.TELEMETRY_BLOCK).request
READ_TIMEOUT_MS = 100


def decode_telemetry(
    raw: bytes, caps: Capabilities | None = None, session: LinkSession | None = None
) -> TelemetryBlock:
    """One telemetry frame as a block, checked against protocol §3.5 and, when
    given, the device's capabilities and the link's session (its MAC and
    counter, §7); anything else is a ProtocolError, raised before a display
    could size a buffer from it."""
    frame = decode_frame(raw)
    if frame.type != MsgType.TELEMETRY_BLOCK:
        raise ProtocolError(f"message 0x{frame.type:02x} on the telemetry endpoint")
    if session is not None:
        session.check_telemetry(frame)
    block: TelemetryBlock = _TELEMETRY.decode(frame.payload)
    if caps is not None:
        if block.leads[-1] > caps.lead_count:
            raise ProtocolError(f"telemetry for lead {block.leads[-1]} of a {caps.lead_count}-lead device")
        if block.rate_hz > caps.telemetry_max_rate_hz:
            raise ProtocolError(f"telemetry at {block.rate_hz} Hz, above the device's {caps.telemetry_max_rate_hz} Hz")
    return block


class TelemetryReceiver:
    """Reads the telemetry endpoint on its own thread into a bounded queue.

    When the consumer falls behind, it keeps the newest `max_queue_s` seconds
    of samples, dropping and counting the oldest blocks (a display wants the
    newest data). The bound is in time, not blocks: a device that sends shorter
    blocks must not leave a stalled display less to catch up with. Corrupt frames, and blocks
    that break protocol §3.5 or the device's capabilities, are counted in
    bad_frames and skipped; gaps in first_sample are counted as lost samples.
    `session()` gives the link's session when it is authenticated: then a frame
    without a valid MAC, or older than the last one, is a bad frame.
    """

    def __init__(
        self,
        transport: UsbTransport,
        caps: Capabilities | None = None,
        max_queue_s: float = 10.0,
        on_error: Callable[[DriverError], None] | None = None,
        session: Callable[[], LinkSession | None] = lambda: None,
    ) -> None:
        self.transport = transport
        self.session = session
        self.caps = caps
        self.on_error = on_error
        self.max_queue_s = max_queue_s
        self._queue: deque[TelemetryBlock] = deque()
        self._queued_s = 0.0  # seconds of samples in the queue
        self._lock = threading.Lock()  # the queue and its length in seconds change together
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sample: int | None = None
        self.blocks = self.dropped_blocks = self.bad_frames = self.lost_samples = 0
        self.error: DriverError | None = None

    def start(self) -> None:
        self._stop.clear()
        self._next_sample = None
        self._thread = threading.Thread(target=self._run, name="telemetry-rx", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                raw = self.transport.read_telemetry(READ_TIMEOUT_MS)
                block = decode_telemetry(raw, self.caps, self.session())
            except (DeviceTimeout, EndpointStalled):  # the transport cleared the stall: read on
                continue
            except ProtocolError:
                self.bad_frames += 1
                continue
            except DriverError as exc:
                self.error = exc
                if self.on_error:
                    self.on_error(exc)
                return
            self._accept(block)

    def _accept(self, block: TelemetryBlock) -> None:
        if self._next_sample is not None and block.first_sample > self._next_sample:
            self.lost_samples += block.first_sample - self._next_sample
        self._next_sample = block.first_sample + block.n_samples
        with self._lock:
            self._queue.append(block)
            self._queued_s += block.n_samples / block.rate_hz
            while self._queued_s > self.max_queue_s and len(self._queue) > 1:
                oldest = self._queue.popleft()
                self._queued_s -= oldest.n_samples / oldest.rate_hz
                self.dropped_blocks += 1
        self.blocks += 1

    def drain(self) -> list[TelemetryBlock]:
        """Every block received since the last drain, oldest first."""
        with self._lock:
            out = list(self._queue)
            self._queue.clear()
            self._queued_s = 0.0
        return out
