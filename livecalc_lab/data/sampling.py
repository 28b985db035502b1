"""Reproducible samples: the n policies with the smallest keyed hashes of their ids.

The sample of a dataset is a function of ``(seed, n, the set of policy ids)``
only, so it is the same whatever the row order, the file split, the chunk
layout or the kind of storage holding the data. To reproduce it elsewhere:

1. the **key** of a policy is XXH64 (xxHash, 64-bit, with XXH64's own seed 0)
   of the message ``seed || id``, where ``seed`` is the sample seed as 8 bytes,
   unsigned little-endian (0 <= seed < 2**64), and ``id`` is the policy id's
   canonical bytes: an integer id as 8 bytes, two's-complement little-endian
   (int64); a text id as its UTF-8 bytes (surrounding white space removed);
2. sort the policies by ``(key, id)`` ascending (ids break ties: integers
   numerically, text by code point) and keep the first ``n``.

The sample is returned in that order. Keeping the n smallest of a uniform
random key draws n policies uniformly without replacement. Because the key of a
policy does not depend on anything but its id, a streaming pass needs memory
for only ``n`` candidates at a time.

Examples
--------
>>> import xxhash, struct
>>> int(sample_keys([1], seed=42)[0]) == xxhash.xxh64_intdigest(struct.pack("<Qq", 42, 1))
True
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import polars as pl

__all__ = ["sample_keys", "TopN", "KEY"]

KEY = "__sample_key"
_M64 = (1 << 64) - 1
_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5


def _rotl_int(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round_int(acc: int, lane: int) -> int:
    acc = (acc + lane * _P2) & _M64
    return (_rotl_int(acc, 31) * _P1) & _M64


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def _xxh64_seed_then_int64(seed: int, ids: np.ndarray) -> np.ndarray:
    """XXH64 of the 16-byte messages ``seed (u64 LE) || id (i64 LE)``, vectorised.

    For inputs shorter than 32 bytes XXH64 starts from ``PRIME5 + len`` and
    mixes each 8-byte lane ``k`` as ``h = rotl(h ^ round(0, k), 27) * PRIME1 + PRIME4``,
    then avalanches. The seed lane is the same for every id, so it is folded once.
    """
    h = (_P5 + 16) & _M64
    h ^= _round_int(0, seed)
    h = (_rotl_int(h, 27) * _P1 + _P4) & _M64
    k = ids.astype(np.int64, copy=False).view(np.uint64)
    k = k * np.uint64(_P2)
    k = _rotl(k, 31) * np.uint64(_P1)
    x = np.uint64(h) ^ k
    x = _rotl(x, 27) * np.uint64(_P1) + np.uint64(_P4)
    x ^= x >> np.uint64(33)
    x *= np.uint64(_P2)
    x ^= x >> np.uint64(29)
    x *= np.uint64(_P3)
    x ^= x >> np.uint64(32)
    return x


def sample_keys(ids: pl.Series | np.ndarray | Sequence[Any], seed: int) -> np.ndarray:
    """The sampling key of each id: ``(n,) uint64`` (see the module docstring).

    Parameters
    ----------
    ids : polars.Series, numpy.ndarray or sequence
        Integer ids (int64) or text ids, without nulls.
    seed : int
        0 <= seed < 2**64.
    """
    if not 0 <= int(seed) <= _M64:
        raise ValueError(f"seed must be in [0, 2**64), not {seed}")
    seed = int(seed)
    if not isinstance(ids, pl.Series):
        ids = pl.Series("id", ids)
    if ids.dtype.is_integer():
        return _xxh64_seed_then_int64(seed, ids.cast(pl.Int64).to_numpy())
    import xxhash

    prefix = seed.to_bytes(8, "little")
    h = xxhash.xxh64_intdigest
    return np.fromiter((h(prefix + s.strip().encode("utf-8")) for s in ids.cast(pl.String).to_list()), dtype=np.uint64, count=len(ids))


class TopN:
    """The ``n`` rows with the smallest ``(key, policy_id)`` seen so far, over batches of rows."""

    def __init__(self, n: int, seed: int, id_column: str = "policy_id"):
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        self.n = n
        self.seed = seed
        self.id_column = id_column
        self._held: pl.DataFrame | None = None

    @property
    def threshold(self) -> int | None:
        """The largest key held once ``n`` rows are held (a row with a larger key cannot enter)."""
        if self._held is None or self._held.height < self.n or self.n == 0:
            return None
        return int(self._held[KEY][-1])

    def keys_below(self, ids: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, mask)``: the key of each id, and which could still enter the sample."""
        keys = sample_keys(ids, self.seed)
        t = self.threshold
        return keys, (np.ones(len(keys), dtype=bool) if t is None else keys <= np.uint64(t))

    def add(self, batch: pl.DataFrame) -> None:
        """Merge rows that carry their key in ``__sample_key``."""
        if self.n == 0 or batch.height == 0:
            return
        held = batch if self._held is None else pl.concat([self._held, batch], how="vertical_relaxed")
        # shrink_to_fit: held rows must not keep the buffers of every batch they came from alive.
        self._held = held.sort([KEY, self.id_column]).head(self.n).shrink_to_fit()

    def offer(self, batch: pl.DataFrame) -> None:
        """Consider every row of ``batch`` (which has ``id_column``)."""
        if self.n == 0 or batch.height == 0:
            return
        keys, below = self.keys_below(batch[self.id_column])
        self.add(batch.filter(pl.Series(below)).with_columns(pl.Series(KEY, keys[below], dtype=pl.UInt64)))

    def result(self) -> pl.DataFrame | None:
        """The rows held, sorted by ``(key, id)``, with the key column ``__sample_key``."""
        return self._held

    @staticmethod
    def merge(parts: Iterable[pl.DataFrame], n: int, id_column: str = "policy_id") -> pl.DataFrame:
        """The first ``n`` rows by ``(key, id)`` of frames that carry ``__sample_key``."""
        frames = [p for p in parts if p is not None and p.height]
        if not frames:
            raise ValueError("nothing to merge")
        return pl.concat(frames, how="vertical_relaxed").sort([KEY, id_column]).head(n)
