"""Mergeable count, mean and variance (the parallel update of Chan, Golub & LeVeque).

A :class:`Moments` summarises a chunk of values by ``count``, ``mean``, ``M2``
(the sum of squared deviations from the mean), ``min`` and ``max``. Two of them
combine into the moments of the union without seeing the values again, which is
what a job needs when scenario-split chunks or per-policy distributions cannot
be added exactly (DESIGN.md §5).

Merge formula (Chan, Golub & LeVeque 1979, "Updating formulae and a pairwise
algorithm for computing sample variances", Stanford report STAN-CS-79-773), for
parts ``a`` and ``b`` with ``n = n_a + n_b`` and ``delta = mean_b - mean_a``::

    mean = mean_a + delta * n_b / n
    M2   = M2_a + M2_b + delta**2 * n_a * n_b / n

It works with deviations, never with ``sum(x**2)``. On its own that is not
enough for values such as ``1e9 + 0.1``: a float mean near 1e9 is only good to
about 6e-8, which moves ``delta`` by that much and the variance of
``1e9 + {0.1, 0.2, 0.3, 0.4}`` by ~1e-6 relative. So the mean is carried as an
unevaluated sum of two floats, ``mean + mean_lo`` (about 106 bits), ``delta`` is
formed from both parts with Knuth's TwoSum, and the variance keeps ~15 digits.

>>> parts = [Moments.from_values([1e9 + d]) for d in (0.3, 0.1, 0.4, 0.2)]
>>> merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
>>> merged.count, round(merged.variance(), 6)
(4, 0.016667)

Rounding. The merge is exact in real arithmetic but not in floating point: the
result depends slightly on how the parts were grouped: per level of merging,
the mean moves by about ``eps * (max - min)`` beyond its last-place rounding and
``M2`` by about ``eps * (M2 + n * (max - min)**2)``, with ``eps = 2**-52``
(the tolerances tested in ``tests/stats/test_moments.py``). Merging is
commutative bit for bit (the operands are put in a canonical order first); for
a result that is also independent of grouping and arrival order, fold the parts
in a fixed order with :func:`merge_in_order`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from livecalc_lab.errors import StatsError, plain
from livecalc_lab.stats._exact import clean, mean_m2, sorted_chunk_ids, two_sum

__all__ = ["Moments", "merge_in_order"]


@dataclass(frozen=True)
class Moments:
    """Count, mean, M2, min and max of a sample; mergeable.

    Attributes
    ----------
    count : int
        Number of values, >= 0.
    mean : float
        Mean (0.0 when empty); ``from_values`` gives ``math.fsum(x) / n``.
    mean_lo : float
        Low-order part of the mean: ``mean + mean_lo`` is the mean to about
        106 bits (0.0 when empty). Carried so merges keep small variances of
        values with a large common offset.
    m2 : float
        Sum of squared deviations from the mean (0.0 when empty or one value).
    min, max : float
        Smallest and largest value (``+inf`` and ``-inf`` when empty, the
        identities of ``min`` and ``max``).

    Examples
    --------
    >>> a = Moments.from_values([1.0, 2.0])
    >>> b = Moments.from_values([3.0, 4.0, 5.0])
    >>> m = a.merge(b)
    >>> m.count, m.mean, m.m2, m.variance(), m.min, m.max
    (5, 3.0, 10.0, 2.5, 1.0, 5.0)
    >>> Moments().merge(m) == m
    True
    """

    count: int = 0
    mean: float = 0.0
    mean_lo: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise StatsError(f"count {self.count!r} is not a non-negative integer")
        if self.count == 0:
            if (self.mean, self.mean_lo, self.m2, self.min, self.max) != (
                0.0, 0.0, 0.0, math.inf, -math.inf,
            ):  # fmt: skip
                raise StatsError("empty Moments must have mean 0, m2 0, min +inf, max -inf")
            return
        values = (self.mean, self.mean_lo, self.m2, self.min, self.max)
        if not all(math.isfinite(v) for v in values):
            raise StatsError(f"Moments of {self.count} values has a non-finite field: {tuple(map(plain, values))}")
        if self.m2 < 0:
            raise StatsError(f"m2 {plain(self.m2)!r} is negative")

    @classmethod
    def from_values(cls, values: Any) -> Moments:
        """Moments of a sample, by two passes with exact summation.

        Parameters
        ----------
        values : array_like, shape (n,), float64
            Finite values; may be empty.

        Returns
        -------
        Moments
            ``mean = math.fsum(x) / n``; ``mean_lo`` the exact mean minus
            ``mean``, rounded once; ``m2`` the ``math.fsum`` of squared
            deviations from ``mean + mean_lo``. These are the numbers
            :func:`~livecalc_lab.stats.summary.summarise` uses, so ``mean``
            and ``std()`` equal the summary's bit for bit.

        Raises
        ------
        StatsError
            If ``values`` is not 1-D or holds a NaN or an infinity.
        """
        x = clean(values, allow_empty=True)
        if x.size == 0:
            return cls()
        mean, mean_lo, m2 = mean_m2(x)
        return cls(
            count=int(x.size),
            mean=mean,
            mean_lo=mean_lo,
            m2=m2,
            min=float(x.min()),
            max=float(x.max()),
        )

    def merge(self, other: Moments) -> Moments:
        """Moments of the union of the two samples (Chan, Golub & LeVeque 1979).

        ``delta = mean_b - mean_a``, ``mean = mean_a + delta * n_b / n``,
        ``M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``, with the means carried
        as two floats (``mean + mean_lo``) and added with TwoSum. An empty
        operand returns the other unchanged. The operands are ordered canonically first, so
        ``a.merge(b) == b.merge(a)`` bit for bit.

        Parameters
        ----------
        other : Moments

        Returns
        -------
        Moments
        """
        if not isinstance(other, Moments):
            raise StatsError(f"cannot merge Moments with {type(other).__name__}")
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        a, b = sorted((self, other), key=_canonical)
        n = a.count + b.count
        d_hi, d_err = two_sum(b.mean, -a.mean)
        delta = d_hi + (d_err + (b.mean_lo - a.mean_lo))
        hi, err = two_sum(a.mean, delta * (b.count / n))
        lo = err + a.mean_lo
        mean = hi + lo  # renormalise: |mean_lo| <= ulp(mean) / 2
        mean_lo = lo - (mean - hi)
        m2 = a.m2 + b.m2 + delta * delta * (a.count * b.count / n)
        return Moments(
            count=n,
            mean=mean,
            mean_lo=mean_lo,
            m2=m2,
            min=min(a.min, b.min),
            max=max(a.max, b.max),
        )

    def variance(self, ddof: int = 1) -> float:
        """``m2 / (count - ddof)``: the sample variance by default; NaN if ``count <= ddof``.

        Parameters
        ----------
        ddof : int, default 1
            Delta degrees of freedom: 1 for the sample variance, 0 for the
            population variance.
        """
        dof = self.count - ddof
        return self.m2 / dof if dof > 0 else math.nan

    def std(self, ddof: int = 1) -> float:
        """``sqrt(variance(ddof))``: the sample standard deviation by default; NaN if undefined."""
        return math.sqrt(self.variance(ddof)) if self.count > ddof else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict ``{"count", "mean", "mean_lo", "m2", "min", "max"}``.

        ``min`` and ``max`` are null when the sample is empty.

        Floats survive ``json.dumps``/``json.loads`` bit for bit.

        Examples
        --------
        >>> Moments.from_values([2.0, 4.0]).to_dict()
        {'count': 2, 'mean': 3.0, 'mean_lo': 0.0, 'm2': 2.0, 'min': 2.0, 'max': 4.0}
        >>> Moments().to_dict()
        {'count': 0, 'mean': 0.0, 'mean_lo': 0.0, 'm2': 0.0, 'min': None, 'max': None}
        """
        empty = self.count == 0
        return {
            "count": self.count,
            "mean": self.mean,
            "mean_lo": self.mean_lo,
            "m2": self.m2,
            "min": None if empty else self.min,
            "max": None if empty else self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Moments:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        StatsError
            If a key is missing or a field is invalid.
        """
        try:
            count, mean, mean_lo = data["count"], data["mean"], data["mean_lo"]
            m2, lo, hi = data["m2"], data["min"], data["max"]
        except KeyError as exc:
            raise StatsError(f"Moments dict lacks key {exc.args[0]!r}") from None
        if count == 0:
            return cls()
        if lo is None or hi is None:
            raise StatsError(f"Moments dict of {count} values lacks min or max")
        return cls(
            count=count,
            mean=float(mean),
            mean_lo=float(mean_lo),
            m2=float(m2),
            min=float(lo),
            max=float(hi),
        )


def _canonical(m: Moments) -> tuple[int, float, float, float, float, float]:
    return (m.count, m.mean, m.mean_lo, m.m2, m.min, m.max)


def merge_in_order(parts: Mapping[Hashable, Moments]) -> Moments:
    """Fold the parts in sorted key (chunk-id) order, from an empty :class:`Moments`.

    The result depends only on the set of (chunk id, part) pairs, not on the
    order the parts arrived in.

    Parameters
    ----------
    parts : Mapping[chunk_id, Moments]
        Chunk ids must be mutually sortable (all ints or all strings).

    Returns
    -------
    Moments

    Raises
    ------
    StatsError
        If the chunk ids cannot be sorted.

    Examples
    --------
    >>> parts = {2: Moments.from_values([3.0]), 0: Moments(), 1: Moments.from_values([1.0, 2.0])}
    >>> merge_in_order(parts).to_dict()
    {'count': 3, 'mean': 2.0, 'mean_lo': 0.0, 'm2': 2.0, 'min': 1.0, 'max': 3.0}
    """
    result = Moments()
    for key in sorted_chunk_ids(parts):
        result = result.merge(parts[key])
    return result

