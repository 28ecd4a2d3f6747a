"""Run a state machine a fixed, derandomised number of times and check that every
outcome it claims to cover was reached: a stateful test that no longer reaches a
case must fail, not pass silently."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test


def assert_reached(machine, coverage: Counter[str], needed: list[str], max_examples: int, steps: int) -> None:
    coverage.clear()
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        ),
    )  # the same runs everywhere: no luck, no stored examples
    missing = [name for name in needed if coverage[name] == 0]
    assert not missing, f"never reached: {missing}; reached: {dict(coverage)}"
