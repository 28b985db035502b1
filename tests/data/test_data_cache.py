"""The data layer's caches: the LRU cache by size, and the process's sample cache budget.

The LRU cache's expiry, eviction order, shared computations and failures are tested through the
service's ResponseCache (``tests/api/test_cache.py``), which is this cache sized by ``len``.
"""

from __future__ import annotations

import polars as pl
import pytest

from livecalc_lab.data import _cache
from livecalc_lab.data._cache import DEFAULT_SAMPLE_CACHE_BYTES, SAMPLE_CACHE_ENV, LruCache, sample_cache
from livecalc_lab.errors import ConfigError


def frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({"policy_id": range(rows), "sum_assured": [1.0] * rows})


def test_values_are_sized_by_the_size_function_and_never_expire_without_a_ttl():
    clock = [0.0]
    cache = LruCache(3 * frame(100).estimated_size(), size=lambda f: f.estimated_size(), clock=lambda: clock[0])
    for k in range(4):
        cache.put(k, frame(100))
    assert cache.get(0) is None and cache.stats()["entries"] == 3
    assert cache.stats()["bytes"] == 3 * frame(100).estimated_size()
    clock[0] = 1e9
    assert cache.get(3).equals(frame(100))


def test_resize_drops_the_least_recently_used_and_zero_keeps_nothing():
    cache = LruCache(1_000)
    for k in "abc":
        cache.put(k, k.encode() * 100)
    cache.get("a")
    cache.resize(200)
    assert cache.get("b") is None and cache.get("a") and cache.get("c") and cache.stats()["bytes"] == 200
    cache.resize(0)
    assert cache.stats()["entries"] == 0
    assert cache.get_or_compute("d", lambda: b"d") == b"d" and cache.stats()["entries"] == 0
    with pytest.raises(ValueError, match=">= 0"):
        cache.resize(-1)
    with pytest.raises(ValueError, match=">= 0"):
        LruCache(10, ttl_seconds=-1)


def test_the_sample_cache_budget_comes_from_the_environment(monkeypatch):
    assert sample_cache().max_bytes == DEFAULT_SAMPLE_CACHE_BYTES == 256 << 20
    assert sample_cache() is sample_cache()
    monkeypatch.setattr(_cache, "_SAMPLES", None)
    monkeypatch.setenv(SAMPLE_CACHE_ENV, " 1048576 ")
    assert sample_cache().max_bytes == 1 << 20
    for bad in ("1e6", "-5", "lots", "12 MB"):
        monkeypatch.setattr(_cache, "_SAMPLES", None)
        monkeypatch.setenv(SAMPLE_CACHE_ENV, bad)
        with pytest.raises(ConfigError, match=f"{SAMPLE_CACHE_ENV} = {bad!r}: not a whole number of bytes"):
            sample_cache()
