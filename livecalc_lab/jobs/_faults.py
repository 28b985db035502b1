"""Fault injection for the fault tests: a named point in the worker may pause or kill it, once.

Off unless ``LIVECALC_TEST_FAULT`` holds JSON such as::

    {"chunk": 2, "point": "valued", "action": "pause", "seconds": 30, "marker": "/tmp/x/fault"}

When the worker running chunk ``chunk`` reaches ``point`` (``read``: the chunk was
read; ``valued``: it was valued, its partial not yet written), the first process
to create ``marker`` (exclusively) writes its pid there and then pauses (so a
test can SIGKILL it from outside, mid-chunk) or kills itself with SIGKILL. Any
later attempt finds the marker and runs normally.
"""

from __future__ import annotations

import json
import os
import signal
import time

ENV = "LIVECALC_TEST_FAULT"


def hit(point: str, chunk: int) -> None:
    """Apply the configured fault if it is for this point and chunk (see the module docstring)."""
    text = os.environ.get(ENV)
    if not text:
        return
    fault = json.loads(text)
    if int(fault["chunk"]) != chunk or fault.get("point", "valued") != point:
        return
    try:
        fd = os.open(fault["marker"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    if fault["action"] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault["action"] == "pause":
        time.sleep(float(fault.get("seconds", 30)))
