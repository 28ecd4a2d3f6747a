"""The service's time: the real monotonic clock, or a stepped one tests move.

Ramps, keep-alives, the battery poll and reconnect attempts all wait on the
service's clock, so a test drives a ramp step by step (`SteppedClock.advance`)
instead of waiting on a fixed timer.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait `seconds` or until `stop` is set; True when stopped."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)


class SteppedClock:
    """Time that moves only by `advance`; waiting threads wake when it passes their deadline.

    It starts away from zero so code that mistakes "0" for "never" shows up.
    """

    _POLL_S = 0.02  # how often a waiter looks at its stop event (stop events do not notify us)

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._moved = threading.Condition()

    def now(self) -> float:
        with self._moved:
            return self._now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        with self._moved:
            deadline = self._now + seconds
            while self._now < deadline:
                if stop.is_set():
                    return True
                self._moved.wait(self._POLL_S)
        return stop.is_set()

    def advance(self, seconds: float) -> None:
        with self._moved:
            self._now += seconds
            self._moved.notify_all()
