"""The service's response cache: bounded in bytes, entries expire, one computation per key at a time.

Keys always include the dataset's content version (see
:class:`livecalc_lab.api.registry.Registry`), so a new version of a dataset
never meets an entry made from an old one; expiry bounds how long an entry
lives even when the version cannot change (an unversioned database table).

>>> cache = ResponseCache(max_bytes=1_000, ttl_seconds=300)
>>> len(cache.get_or_compute(("demo", "xxh3:ab", 10, 42, "arrow"), lambda: b"x" * 100))
100
>>> cache.stats()["entries"], cache.stats()["bytes"]
(1, 100)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Hashable

__all__ = ["ResponseCache"]


class ResponseCache:
    """A thread-safe LRU cache of byte strings with a time to live and a byte budget.

    Parameters
    ----------
    max_bytes : int
        Total size of the values held; the least recently used entries are
        dropped to stay within it. A value larger than the whole budget is
        returned but not kept.
    ttl_seconds : float
        An entry older than this is computed again.
    clock : callable, optional
        Seconds, monotonic (tests pass a fake clock).
    """

    def __init__(self, max_bytes: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        if max_bytes < 0 or ttl_seconds < 0:
            raise ValueError("max_bytes and ttl_seconds must be >= 0")
        self.max_bytes = int(max_bytes)
        self.ttl_seconds = float(ttl_seconds)
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The value under ``key`` if present and fresh (counted as a hit), else None."""
        value = self._fresh(key)
        if value is not None:
            self.hits += 1
        return value

    def _fresh(self, key: Hashable) -> bytes | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if self._clock() - hit[0] > self.ttl_seconds:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, value: bytes) -> None:
        """Keep ``value`` under ``key`` (replacing an older one), evicting as needed."""
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if len(value) > self.max_bytes:
                return
            self._entries[key] = (self._clock(), value)
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def get_or_compute(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The cached value, or ``compute()`` kept and returned.

        Concurrent callers with the same key wait for one computation instead
        of repeating it; an exception from ``compute`` reaches every caller that
        ran it and nothing is kept.
        """
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            value = self.get(key)  # another caller may have computed it while we waited
            if value is not None:
                return value
            self.misses += 1
            try:
                value = compute()
                self.put(key, value)
                return value
            finally:
                with self._lock:
                    if self._inflight.get(key) is gate:
                        del self._inflight[key]

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, Any]:
        """``{"entries", "bytes", "max_bytes", "hits", "misses"}``."""
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "max_bytes": self.max_bytes,
                    "hits": self.hits, "misses": self.misses}

    def _drop(self, key: Hashable) -> None:
        _, value = self._entries.pop(key)
        self._bytes -= len(value)
