"""Test doubles shared by several test areas."""


class FakeClock:
    """A monotonic clock that moves only when told (or when slept on)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
