"""Debounced, latest-wins calls on one worker thread: the widgets' preview scheduler.

The workbench asks for a preview on every edit. :class:`LatestRunner` turns a
burst of requests into one call:

* **debounce** — a request is taken only once no newer request has arrived for
  ``delay`` seconds (0.3 s by default), so typing ``1.25`` into a field runs one
  preview, not four;
* **off the main thread** — the call runs on the runner's own daemon thread, so
  the kernel keeps answering the browser while the engine works (the wasmtime
  call releases the GIL);
* **latest wins** — every request gets an increasing number; a call that
  finishes after a newer request was made is *stale* and its result is
  discarded, never shown: a slow preview of an old value cannot overwrite a
  newer one. The newest request is always run eventually, so the last value
  edited is the one whose result ends up displayed.

Nothing here knows about widgets or the engine; tests drive it with plain
functions.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

__all__ = ["LatestRunner", "Outcome", "DEFAULT_DELAY"]

DEFAULT_DELAY = 0.3  # seconds of quiet after the last request before it is taken

V = TypeVar("V")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[V, R]):
    """What one call produced.

    Attributes
    ----------
    request : int
        The request's number (1, 2, ... in the order requests were made).
    value : object
        The value the request carried (the call's argument).
    result : object or None
        What the call returned (None when it raised).
    error : BaseException or None
        What it raised.
    taken : float
        Unix time (``time.time()``, seconds) when the request was taken: the
        debounce had elapsed and the call started.
    finished : float
        Unix time when the call returned.
    """

    request: int
    value: V
    result: R | None
    error: BaseException | None
    taken: float
    finished: float

    @property
    def seconds(self) -> float:
        """Wall seconds the call took."""
        return self.finished - self.taken


class LatestRunner(Generic[V, R]):
    """Run ``fn(value)`` for the latest of a burst of requests, debounced, on a worker thread.

    Parameters
    ----------
    fn : callable
        ``fn(value) -> result``; runs on the runner's thread, one call at a time.
    on_result : callable
        ``on_result(outcome)`` with an :class:`Outcome`, called on the runner's
        thread for every call that is still the latest request when it finishes
        (whether it returned or raised). Stale outcomes are dropped.
    delay : float
        Seconds without a newer request before a request is taken.
    name : str
        Name of the worker thread.

    Attributes
    ----------
    runs : int
        Calls of ``fn`` made so far.
    discarded : int
        Calls whose outcome was stale and dropped.
    latest : int
        Number of the newest request (0 before any).
    callback_errors : int
        Calls of ``on_result`` that raised (their traceback goes to stderr; the runner goes on).

    Examples
    --------
    >>> shown = []
    >>> r = LatestRunner(lambda x: x * 2, lambda o: shown.append(o.result), delay=0.01)
    >>> for x in range(5):
    ...     _ = r.request(x)
    >>> r.wait_idle(5)
    True
    >>> shown, r.runs
    ([8], 1)
    >>> r.close()
    """

    def __init__(self, fn: Callable[[V], R], on_result: Callable[[Outcome[V, R]], Any], *,
                 delay: float = DEFAULT_DELAY, name: str = "livecalc-latest"):
        self.fn = fn
        self.on_result = on_result
        self.delay = float(delay)
        self.name = name
        self.runs = 0
        self.discarded = 0
        self.callback_errors = 0
        self.latest = 0
        # One re-entrant lock: on_result runs under it (so no newer request can slip in between the
        # staleness check and the display), and may itself call request().
        self._cond = threading.Condition(threading.RLock())
        self._pending: tuple[int, V] | None = None
        self._last_request = 0.0
        self._running: int | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    # ---- the public surface --------------------------------------------------------------------------

    def request(self, value: V) -> int:
        """Ask for ``fn(value)``; returns the request's number. Any older pending request is dropped."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name}: the runner is closed")
            self.latest += 1
            self._pending = (self.latest, value)
            self._last_request = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return self.latest

    def supersede(self) -> int:
        """Make every earlier request stale without asking for a call: one waiting is dropped, one running
        has its outcome discarded. For a request answered elsewhere (the workbench's browser preview).
        Returns the number this counts as (a request number no call carries)."""
        with self._cond:
            self.latest += 1
            self._pending = None
            self._cond.notify_all()
            return self.latest

    @property
    def busy(self) -> bool:
        """Whether a request is waiting or a call is running."""
        with self._cond:
            return self._pending is not None or self._running is not None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no request waits and no call runs; False if ``timeout`` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending is not None or self._running is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self) -> None:
        """Stop the worker thread after the call in progress (pending requests are dropped)."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()

    # ---- the worker ----------------------------------------------------------------------------------

    def _take(self) -> tuple[int, V] | None:
        """Wait for a request and its quiet period; None when closed."""
        with self._cond:
            while True:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return None
                quiet = self._last_request + self.delay - time.monotonic()
                if quiet <= 0:
                    assert self._pending is not None
                    taken, self._pending = self._pending, None
                    self._running = taken[0]
                    self.runs += 1
                    return taken
                self._cond.wait(quiet)

    def _loop(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            number, value = job
            taken = time.time()
            result: R | None = None
            error: BaseException | None = None
            try:
                result = self.fn(value)
            except Exception as exc:  # reported through on_result, never lost on the thread
                error = exc
            outcome = Outcome(number, value, result, error, taken, time.time())
            with self._cond:
                try:
                    if number != self.latest or self._closed:
                        self.discarded += 1
                    else:
                        self.on_result(outcome)
                except Exception:  # a failing display must not stop later previews
                    self.callback_errors += 1
                    traceback.print_exc()
                finally:
                    self._running = None
                    self._cond.notify_all()
