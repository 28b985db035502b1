"""Helpers of the widget tests."""

from __future__ import annotations

import time
from typing import Callable

SMALL = 1_000  # preview sample size in the tests


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        time.sleep(0.02)
