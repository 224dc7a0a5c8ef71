"""Polling for a condition in tests that drive another process (a worker, gunicorn)."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 60.0, step: float = 0.2):
    """The first truthy value of `predicate()`, polled every `step` seconds; fails the test
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")
