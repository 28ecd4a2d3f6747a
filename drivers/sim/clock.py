"""A manual clock for the device model's injected clock and sleep: simulated
time that moves only when told, for tests and benchmarks."""


class ManualClock:
    """Monotonic time that advances only by `sleep` or by setting `now`.

    It starts away from zero so code that mistakes "0" for "never" shows up.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
