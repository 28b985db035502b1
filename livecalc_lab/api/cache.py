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

import time
from typing import Callable

from livecalc_lab.data._cache import LruCache

__all__ = ["ResponseCache"]


class ResponseCache(LruCache):
    """A thread-safe LRU cache of byte strings with a time to live and a byte budget.

    :class:`~livecalc_lab.data._cache.LruCache` sized by ``len``; ``get``,
    ``put``, ``get_or_compute`` (one computation per key at a time), ``clear``
    and ``stats`` as there.

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
        super().__init__(max_bytes, ttl_seconds, size=len, clock=clock)
