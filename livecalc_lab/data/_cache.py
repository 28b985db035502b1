"""Caches of the data layer: dataset facts on disk, samples in memory, each keyed by content version.

Dataset facts (CSV scans, content hashes) are JSON files under
``$LIVECALC_CACHE_DIR`` (default ``$XDG_CACHE_HOME/livecalc-lab/data`` or
``~/.cache/livecalc-lab/data``). A key always includes a version of the bytes it
describes (size, mtime and a hash of head and tail for local files; the ETag for
blobs), so a stale entry is never read. A cache that cannot be written is
silently skipped: it only saves time.

Samples (:meth:`Dataset.sample <livecalc_lab.data.Dataset.sample>`) are kept in
process memory by :func:`sample_cache`, an :class:`LruCache` bounded by the
estimated bytes of the frames it holds: ``$LIVECALC_SAMPLE_CACHE_BYTES``
(default 256 MiB; 0 keeps none), or :meth:`LruCache.resize` at run time.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Hashable

from livecalc_lab.errors import ConfigError

__all__ = ["cache_get", "cache_put", "memo_get", "memo_put", "LruCache", "sample_cache", "SAMPLE_CACHE_ENV",
           "DEFAULT_SAMPLE_CACHE_BYTES"]

SAMPLE_CACHE_ENV = "LIVECALC_SAMPLE_CACHE_BYTES"
DEFAULT_SAMPLE_CACHE_BYTES = 256 << 20

_MEMO: dict[str, tuple[float, Any]] = {}


def cache_dir() -> Path:
    """The cache folder (not created)."""
    env = os.environ.get("LIVECALC_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "livecalc-lab" / "data"


def _path(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def cache_get(key: str) -> dict[str, Any] | None:
    """The entry stored under ``key`` (memory first, then disk), or None."""
    hit = memo_get(key)
    if hit is not None:
        return hit
    try:
        value = json.loads(_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    memo_put(key, value)
    return value


def cache_put(key: str, value: dict[str, Any]) -> None:
    """Store ``value`` under ``key`` in memory and, if possible, on disk (atomically)."""
    memo_put(key, value)
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, separators=(",", ":"))
        os.replace(tmp, _path(key))
    except OSError:
        pass


def memo_get(key: str, ttl: float | None = None) -> Any:
    """An in-process entry, or None when absent or older than ``ttl`` seconds."""
    hit = _MEMO.get(key)
    if hit is None or (ttl is not None and time.monotonic() - hit[0] > ttl):
        return None
    return hit[1]


def memo_put(key: str, value: Any) -> None:
    """Keep ``value`` in process memory under ``key``."""
    if len(_MEMO) > 256:
        _MEMO.clear()
    _MEMO[key] = (time.monotonic(), value)


class LruCache:
    """A thread-safe LRU cache bounded by the total size of its values, with an optional time to live.

    Parameters
    ----------
    max_bytes : int
        Budget for the total ``size`` of the values held; the least recently used
        entries are dropped to stay within it. A value larger than the whole
        budget is returned but not kept (so 0 keeps nothing).
    ttl_seconds : float or None
        An entry older than this is computed again; None: entries do not expire
        (their keys must then say everything the value depends on).
    size : callable
        The bytes a value holds: ``len`` for byte strings (the default),
        ``polars.DataFrame.estimated_size`` for frames.
    clock : callable, optional
        Seconds, monotonic (tests pass a fake clock).

    Raises
    ------
    ValueError
        A negative ``max_bytes`` or ``ttl_seconds``.
    """

    def __init__(self, max_bytes: int, ttl_seconds: float | None = None, *, size: Callable[[Any], int] = len,
                 clock: Callable[[], float] = time.monotonic):
        if max_bytes < 0 or (ttl_seconds is not None and ttl_seconds < 0):
            raise ValueError("max_bytes and ttl_seconds must be >= 0")
        self.max_bytes = int(max_bytes)
        self.ttl_seconds = None if ttl_seconds is None else float(ttl_seconds)
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        """The value under ``key`` if present and fresh (counted as a hit), else None."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if self.ttl_seconds is not None and self._clock() - hit[0] > self.ttl_seconds:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return hit[1]

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` (replacing an older one), evicting as needed."""
        nbytes = int(self._size(value))
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if nbytes > self.max_bytes:
                return
            self._entries[key] = (self._clock(), value, nbytes)
            self._bytes += nbytes
            self._evict()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
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

    def resize(self, max_bytes: int) -> None:
        """Change the budget, dropping the least recently used entries beyond it."""
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        with self._lock:
            self.max_bytes = int(max_bytes)
            self._evict()

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

    def _evict(self) -> None:
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key)[2]


_SAMPLES: LruCache | None = None
_SAMPLES_LOCK = threading.Lock()


def sample_cache() -> LruCache:
    """The process's cache of dataset samples, created on first use.

    Its budget is ``$LIVECALC_SAMPLE_CACHE_BYTES`` (bytes, as the frames'
    ``estimated_size``; default :data:`DEFAULT_SAMPLE_CACHE_BYTES`, 256 MiB; 0
    keeps no sample); ``sample_cache().resize(n)`` changes it at run time.
    Entries do not expire: their keys hold the dataset's content version.

    Raises
    ------
    ConfigError
        ``$LIVECALC_SAMPLE_CACHE_BYTES`` is not a whole number >= 0.
    """
    global _SAMPLES
    with _SAMPLES_LOCK:
        if _SAMPLES is None:
            text = os.environ.get(SAMPLE_CACHE_ENV, "").strip()
            if text and not (text.isascii() and text.isdigit()):
                raise ConfigError(f"{SAMPLE_CACHE_ENV} = {text!r}: not a whole number of bytes (>= 0)")
            _SAMPLES = LruCache(int(text) if text else DEFAULT_SAMPLE_CACHE_BYTES,
                                size=lambda frame: frame.estimated_size())
        return _SAMPLES
