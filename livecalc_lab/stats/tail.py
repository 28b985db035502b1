"""Exact, mergeable lower tails for CTE and low percentiles.

CTE(alpha) of ``n`` values reads only their ``ceil(n (100 - alpha) / 100)``
lowest (see :mod:`livecalc_lab.stats.summary` for the definition). A
:class:`TailBuffer` keeps, for its chunk, the ``capacity`` lowest values and the
count of all values seen. Merging keeps the ``capacity`` lowest of the union,
which is the same set of values whichever way the chunks are grouped or
ordered: the merge is associative and commutative **exactly**, and the CTE read
from a merged buffer equals :func:`~livecalc_lab.stats.summary.cte` of the full
data bit for bit.

Values are plain floats, stored sorted ascending; equal floats are
indistinguishable (``-0.0`` is stored as ``+0.0``), so "the lowest ``capacity``
of the union" is unique and needs no further tie-break.

>>> cap = tail_capacity(10, cte_levels=["75"])          # ceil(2.5) = 3
>>> left = TailBuffer.from_values([7.0, 1.0, 9.0, 3.0, 5.0], cap)
>>> right = TailBuffer.from_values([2.0, 10.0, 4.0, 8.0, 6.0], cap)
>>> merged = left.merge(right)
>>> merged.values.tolist(), merged.count
([1.0, 2.0, 3.0], 10)
>>> merged.cte("75")                                    # (1 + 2 + 0.5 * 3) / 2.5
1.8
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from livecalc_lab.errors import StatsError
from livecalc_lab.stats._exact import (
    Level,
    clean,
    cte_fraction,
    cte_from_sorted,
    cte_need,
    nearest_rank,
    percentile_fraction,
)
from livecalc_lab.stats.summary import CTE_LEVELS

__all__ = ["TailBuffer", "tail_capacity"]


def tail_capacity(
    n_total: int,
    cte_levels: Iterable[Level] = CTE_LEVELS,
    percentiles: Iterable[Level] = (),
) -> int:
    """How many lowest values a :class:`TailBuffer` must keep for these statistics.

    ``max(ceil(n (100 - alpha) / 100))`` over the CTE levels and
    ``max(ceil(p n / 100))`` over the percentile levels, in integer arithmetic.

    Parameters
    ----------
    n_total : int
        Number of values over all chunks (known from the job plan).
    cte_levels : iterable of str, Decimal, int or float, optional
        CTE levels in percent, default :data:`~livecalc_lab.stats.summary.CTE_LEVELS`.
    percentiles : iterable of str, Decimal, int or float, optional
        Low percentiles to be read from the buffer as well, default none.

    Returns
    -------
    int

    Examples
    --------
    >>> tail_capacity(1000)                  # CTE70 needs the lowest 300
    300
    >>> tail_capacity(1000, cte_levels=["99"], percentiles=["5"])
    50
    """
    if isinstance(n_total, bool) or not isinstance(n_total, int) or n_total < 0:
        raise StatsError(f"n_total {n_total!r} is not a non-negative integer")
    needs = [cte_need(cte_fraction(a), n_total) for a in cte_levels]
    needs += [nearest_rank(percentile_fraction(p), n_total) for p in percentiles]
    return max(needs, default=0)


class TailBuffer:
    """The ``capacity`` lowest values of a sample and the sample's size; mergeable exactly.

    Parameters
    ----------
    capacity : int
        How many of the lowest values to keep, >= 0; use :func:`tail_capacity`.
        Buffers merge only with buffers of the same capacity.

    Attributes
    ----------
    capacity : int
    count : int
        Number of values seen, over all merged chunks.
    values : numpy.ndarray, shape (min(capacity, count),), float64
        The lowest values, sorted ascending (read-only).

    Examples
    --------
    >>> buf = TailBuffer.from_values(range(100, 0, -1), capacity=5)
    >>> buf.values.tolist(), buf.count
    ([1.0, 2.0, 3.0, 4.0, 5.0], 100)
    >>> buf.cte("95"), buf.percentile("5")
    (3.0, 5.0)
    """

    __slots__ = ("_capacity", "_count", "_values")

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise StatsError(f"capacity {capacity!r} is not a non-negative integer")
        self._capacity = capacity
        self._count = 0
        self._values = _frozen(np.empty(0, dtype=np.float64))

    @classmethod
    def _make(cls, capacity: int, count: int, lowest_sorted: np.ndarray) -> TailBuffer:
        buf = cls(capacity)
        buf._count = count
        buf._values = _frozen(lowest_sorted[:capacity])
        return buf

    @classmethod
    def from_values(cls, values: Any, capacity: int) -> TailBuffer:
        """A buffer holding the ``capacity`` lowest of ``values``.

        Parameters
        ----------
        values : array_like, shape (n,), float64
            Finite values; may be empty.
        capacity : int

        Raises
        ------
        StatsError
            If ``values`` is not 1-D or not finite, or ``capacity`` is negative.
        """
        x = clean(values, allow_empty=True)
        cls(capacity)  # validates capacity before any work
        x.sort()
        return cls._make(capacity, int(x.size), x)

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def count(self) -> int:
        return self._count

    @property
    def values(self) -> np.ndarray:
        return self._values

    def merge(self, other: TailBuffer) -> TailBuffer:
        """The buffer of the union: the ``capacity`` lowest of both, counts added.

        Exact, associative and commutative.

        Raises
        ------
        StatsError
            If ``other`` is not a TailBuffer or has another capacity.
        """
        return TailBuffer.merge_all([self, other])

    @classmethod
    def merge_all(cls, buffers: Iterable[TailBuffer], capacity: int | None = None) -> TailBuffer:
        """Merge any number of buffers at once (one sort); the result does not depend on order.

        Parameters
        ----------
        buffers : iterable of TailBuffer
            All of the same capacity.
        capacity : int, optional
            Expected capacity; required when ``buffers`` may be empty.

        Raises
        ------
        StatsError
            If the capacities differ, or ``buffers`` is empty and no capacity is given.
        """
        parts = list(buffers)
        for b in parts:
            if not isinstance(b, TailBuffer):
                raise StatsError(f"cannot merge a TailBuffer with {type(b).__name__}")
        caps = {b.capacity for b in parts} | ({capacity} if capacity is not None else set())
        if len(caps) > 1:
            raise StatsError(f"cannot merge tail buffers of different capacities {sorted(caps)}")
        if not caps:
            raise StatsError("merging no tail buffers needs an explicit capacity")
        (cap,) = caps
        if not parts:
            return cls(cap)
        union = np.concatenate([b.values for b in parts])
        union.sort()
        return cls._make(cap, sum(b.count for b in parts), union)

    def _checked_total(self, n_total: int | None) -> int:
        if n_total is not None and n_total != self._count:
            raise StatsError(
                f"the tail buffer has seen {self._count:,} values, not n_total = {n_total:,}: "
                "a chunk is missing or was merged twice"
            )
        if self._count == 0:
            raise StatsError("the tail buffer is empty: a statistic needs at least one value")
        return self._count

    def cte(self, alpha: Level, n_total: int | None = None) -> float:
        """CTE(alpha) of all values seen, equal bit for bit to ``summary.cte`` on them.

        Parameters
        ----------
        alpha : str, Decimal, int or float
            Level in percent, ``0 <= alpha < 100``.
        n_total : int, optional
            The number of values the caller expects the buffer to have seen;
            checked against :attr:`count` (which is used either way).

        Raises
        ------
        StatsError
            If the buffer is empty, ``n_total`` differs from :attr:`count`, or
            the capacity is smaller than ``ceil(n (100 - alpha) / 100)``.
        """
        level = cte_fraction(alpha)
        n = self._checked_total(n_total)
        need = cte_need(level, n)
        if need > self._values.size:
            raise StatsError(
                f"CTE{alpha} of {n:,} values needs the lowest {need:,}, "
                f"but the tail buffer keeps {self._capacity:,}"
            )
        return cte_from_sorted(self._values, n, level)

    def percentile(self, p: Level, n_total: int | None = None) -> float:
        """Nearest-rank percentile of all values seen, when its rank is within the buffer.

        Raises
        ------
        StatsError
            As :meth:`cte`, when ``ceil(p n / 100)`` exceeds the capacity.
        """
        level = percentile_fraction(p)
        n = self._checked_total(n_total)
        r = nearest_rank(level, n)
        if r > self._values.size:
            raise StatsError(
                f"percentile {p} of {n:,} values is rank {r:,}, "
                f"but the tail buffer keeps {self._capacity:,}"
            )
        return float(self._values[r - 1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict ``{"capacity", "count", "values"}`` (floats round-trip exactly)."""
        return {"capacity": self._capacity, "count": self._count, "values": self._values.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TailBuffer:
        """Inverse of :meth:`to_dict`; checks the values are sorted and as many as expected.

        Raises
        ------
        StatsError
            If a key is missing or the content is inconsistent.
        """
        try:
            capacity, count, values = data["capacity"], data["count"], data["values"]
        except KeyError as exc:
            raise StatsError(f"TailBuffer dict lacks key {exc.args[0]!r}") from None
        buf = cls(capacity)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise StatsError(f"count {count!r} is not a non-negative integer")
        x = clean(values, allow_empty=True, what="values")
        if x.size != min(capacity, count):
            raise StatsError(
                f"a tail buffer of capacity {capacity} that has seen {count} values "
                f"holds {min(capacity, count)}, not {x.size}"
            )
        if x.size > 1 and not bool(np.all(x[:-1] <= x[1:])):
            raise StatsError("tail buffer values are not sorted ascending")
        return cls._make(capacity, count, x)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TailBuffer):
            return NotImplemented
        return (
            self._capacity == other._capacity
            and self._count == other._count
            and self._values.tobytes() == other._values.tobytes()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kept = self._values.size
        return f"TailBuffer(capacity={self._capacity}, count={self._count}, kept={kept})"


def _frozen(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float64, copy=True)  # own memory, not a view of a larger union
    x.flags.writeable = False
    return x
