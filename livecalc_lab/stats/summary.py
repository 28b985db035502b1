"""Exact summary statistics of per-scenario totals: mean, std, percentiles, CTE.

The definitions here are the only ones LiveCalc Lab uses (DESIGN.md §5):

Percentile (nearest rank)
    The ``p``-th percentile of ``n`` values sorted ascending,
    ``x(1) <= ... <= x(n)``, is ``x(r)`` with ``r = ceil(p * n / 100)``
    for ``0 < p <= 100``. This is Hyndman & Fan (1996) definition 1, the
    inverse of the empirical distribution function, numpy's
    ``method="inverted_cdf"``. ``p`` is held as an exact decimal and ``r`` is
    computed in integer arithmetic, so ``p = "7"`` with ``n = 100`` gives rank
    7 exactly, where the floating-point level ``0.07 * 100``
    (``7.000000000000001``) would give rank 8.

CTE (conditional tail expectation)
    ``CTE(alpha)`` for ``0 <= alpha < 100`` (percent) is the mean of the worst
    ``(100 - alpha)%`` of outcomes, worst meaning lowest value (a PV of
    profit: lower is worse). With ``k = n (100 - alpha) / 100`` (an exact
    rational) and ``m = floor(k)``,

    ``CTE(alpha) = (x(1) + ... + x(m) + (k - m) * x(m+1)) / k``,

    i.e. the lowest ``m`` outcomes in full and the next one with the
    fractional weight ``k - m`` (so CTE is continuous in ``alpha`` and equals
    the mean of the lowest outcomes when ``k`` is whole). This is the
    discrete form of the tail expectation of Acerbi & Tasche (2002),
    "On the coherence of expected shortfall", with the lower tail taken.

Worked example on the values 1, 2, ..., 10:

- ``p95``: r = ceil(95 * 10 / 100) = ceil(9.5) = 10, so P95 = 10;
- ``p50``: r = ceil(5) = 5, so P50 = 5;
- ``cte90``: k = 1, the single lowest value: 1.0;
- ``cte95``: k = 0.5: (0.5 * 1) / 0.5 = 1.0;
- ``cte75``: k = 2.5: (1 + 2 + 0.5 * 3) / 2.5 = 1.8.

>>> values = list(range(1, 11))
>>> percentile(values, "95"), percentile(values, "50")
(10.0, 5.0)
>>> cte(values, "90"), cte(values, "95"), cte(values, "75")
(1.0, 1.0, 1.8)

Rounding. The mean is ``math.fsum(values) / n``: the exact sum rounded once,
then one division. The sample standard deviation uses ``n - 1``
(``ddof = 1``) and two passes: ``sqrt(fsum((x - mean) ** 2) / (n - 1))``
with each deviation taken from the mean carried to ~106 bits (``mean`` plus
the rounded difference to the exact mean), so a large common offset costs no
accuracy.
A CTE is the rational formula above evaluated exactly (the sum of the ``m``
lowest by repeated ``fsum`` until the remainder is zero) and rounded once: it
is correctly rounded. Percentiles, minimum
and maximum are values of the sample. Everything is a function of the multiset
of values only: permuting the input gives the same bits. ``-0.0`` is read as
``+0.0``; NaN and infinities are errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.stats._exact import (
    Level,
    clean,
    cte_fraction,
    cte_from_sorted,
    level_text,
    mean_m2,
    nearest_rank,
    percentile_fraction,
)

__all__ = [
    "CTE_LEVELS",
    "PERCENTILES",
    "Summary",
    "cte",
    "cte_key",
    "percentile",
    "percentile_key",
    "summarise",
]

PERCENTILES: tuple[Decimal, ...] = tuple(
    Decimal(p) for p in ("1", "5", "10", "25", "50", "75", "90", "95", "99", "99.5")
)
"""Percentile levels reported by default, in percent (JSON keys ``p1`` … ``p99_5``)."""

CTE_LEVELS: tuple[Decimal, ...] = tuple(Decimal(a) for a in ("70", "90", "95", "98", "99"))
"""CTE levels reported by default, in percent (JSON keys ``cte70`` … ``cte99``)."""


def percentile_key(p: Level) -> str:
    """JSON key of a percentile level: ``"p"`` and the level with ``.`` as ``_``.

    Parameters
    ----------
    p : str, Decimal, int or float
        Level in percent.

    Returns
    -------
    str

    Examples
    --------
    >>> percentile_key("99.5"), percentile_key(95), percentile_key("1.0")
    ('p99_5', 'p95', 'p1')
    """
    return "p" + level_text(p).replace(".", "_")


def cte_key(alpha: Level) -> str:
    """JSON key of a CTE level: ``"cte"`` and the level with ``.`` as ``_``.

    Examples
    --------
    >>> cte_key("95"), cte_key("99.5")
    ('cte95', 'cte99_5')
    """
    return "cte" + level_text(alpha).replace(".", "_")


def percentile(values: Any, p: Level) -> float:
    """Nearest-rank percentile (Hyndman & Fan 1996 type 1).

    ``x(r)`` of the values sorted ascending, ``r = ceil(p * n / 100)``, with
    ``p`` an exact decimal and ``r`` computed in integer arithmetic.

    Parameters
    ----------
    values : array_like, shape (n,), float64
        The sample, e.g. per-scenario totals of ``pv_net_cf``; finite, n >= 1.
    p : str, Decimal, int or float
        Level in percent, ``0 < p <= 100``. Text or ``Decimal`` is exact; a
        float is read by its shortest text (``99.5`` -> ``"99.5"``).

    Returns
    -------
    float
        One of the values (``-0.0`` is returned as ``0.0``).

    Raises
    ------
    StatsError
        If ``values`` is empty, not 1-D or not finite, or ``p`` is outside
        (0, 100] (``p = 0`` has no nearest rank).

    See Also
    --------
    summarise : every default percentile and CTE at once.

    Notes
    -----
    Equal to ``numpy.percentile(values, p, method="inverted_cdf")`` whenever
    numpy's floating-point ``p / 100 * n`` lands on the same integer.

    Examples
    --------
    >>> percentile(range(1, 11), "95")   # r = ceil(9.5) = 10
    10.0
    >>> percentile(range(1, 101), "7")   # r = 7 exactly
    7.0
    >>> percentile(range(1, 201), "99.5")
    199.0
    """
    level = percentile_fraction(p)
    x = clean(values)
    r = nearest_rank(level, x.size)
    return float(np.partition(x, r - 1)[r - 1])


def cte(values: Any, alpha: Level) -> float:
    """Conditional tail expectation: mean of the worst ``(100 - alpha)%`` (lowest values).

    With ``k = n (100 - alpha) / 100`` exact and ``m = floor(k)``::

        CTE(alpha) = (x(1) + ... + x(m) + (k - m) x(m+1)) / k

    over the values sorted ascending: the boundary outcome carries the
    fractional weight ``k - m`` when ``k`` is not whole.

    Parameters
    ----------
    values : array_like, shape (n,), float64
        The sample, e.g. per-scenario totals of ``pv_net_cf``; finite, n >= 1.
    alpha : str, Decimal, int or float
        Level in percent, ``0 <= alpha < 100``: ``"95"`` averages the lowest 5%.
        ``alpha = 0`` is the mean of all values.

    Returns
    -------
    float
        The rational above, evaluated exactly and rounded once to float64
        (correctly rounded): the sum of the ``m`` lowest is exact (repeated
        ``math.fsum`` until the remainder is zero), and so are the boundary
        product and the division.

    Raises
    ------
    StatsError
        If ``values`` is empty, not 1-D or not finite, or ``alpha`` is outside
        [0, 100).

    Notes
    -----
    Acerbi & Tasche (2002) give this discrete tail mean; here the tail is the
    lower one because the values are profits (PV of net cashflows).

    Examples
    --------
    >>> cte(range(1, 11), "90")   # k = 1: the lowest value
    1.0
    >>> cte(range(1, 11), "95")   # k = 0.5: (0.5 * 1) / 0.5
    1.0
    >>> cte(range(1, 11), "75")   # k = 2.5: (1 + 2 + 0.5 * 3) / 2.5
    1.8
    """
    level = cte_fraction(alpha)
    x = clean(values)
    x.sort()
    return cte_from_sorted(x, x.size, level)


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class Summary:
    """Exact summary of a sample (see the module docstring for the definitions).

    Attributes
    ----------
    n : int
        Number of values.
    mean : float
        ``math.fsum(values) / n``.
    std : float
        Sample standard deviation, divisor ``n - 1`` (``ddof = 1``); NaN when
        ``n = 1``.
    min, max : float
        Smallest and largest value.
    percentiles : Mapping[str, float]
        Nearest-rank percentiles keyed ``"p1"`` … ``"p99_5"`` (read-only).
    cte : Mapping[str, float]
        CTEs keyed ``"cte70"`` … ``"cte99"`` (read-only).

    Examples
    --------
    >>> s = summarise(range(1, 11))
    >>> s.n, s.mean, round(s.std, 6), s.percentiles["p95"], s.cte["cte90"]
    (10, 5.5, 3.02765, 10.0, 1.0)
    """

    n: int
    mean: float
    std: float
    min: float
    max: float
    percentiles: Mapping[str, float] = field(default_factory=dict)
    cte: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "percentiles", MappingProxyType(dict(self.percentiles)))
        object.__setattr__(self, "cte", MappingProxyType(dict(self.cte)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``n, mean, std, min, max, percentiles, cte``.

        ``std`` is ``None`` (JSON ``null``) when it is undefined (``n = 1``).

        Examples
        --------
        >>> d = summarise([3.0, 1.0, 2.0]).to_dict()
        >>> d["n"], d["mean"], d["std"], d["percentiles"]["p50"], d["cte"]["cte70"]
        (3, 2.0, 1.0, 2.0, 1.0)
        >>> summarise([5.0]).to_dict()["std"] is None
        True
        """
        return {
            "n": self.n,
            "mean": self.mean,
            "std": _json_float(self.std),
            "min": self.min,
            "max": self.max,
            "percentiles": dict(self.percentiles),
            "cte": dict(self.cte),
        }

    def to_frame(self) -> pl.DataFrame:
        """Two columns, ``statistic`` (str) and ``value`` (float64), one row per statistic.

        Rows: ``n``, ``mean``, ``std``, ``min``, ``max``, the percentiles, the
        CTEs, in that order; an undefined ``std`` is null.

        Examples
        --------
        >>> summarise(range(1, 11)).to_frame().row(5)
        ('p1', 1.0)
        """
        rows: list[tuple[str, float | None]] = [
            ("n", float(self.n)),
            ("mean", self.mean),
            ("std", _json_float(self.std)),
            ("min", self.min),
            ("max", self.max),
            *self.percentiles.items(),
            *self.cte.items(),
        ]
        return pl.DataFrame(
            {"statistic": [r[0] for r in rows], "value": [r[1] for r in rows]},
            schema={"statistic": pl.String, "value": pl.Float64},
        )


def summarise(
    values: Any,
    percentiles: Iterable[Level] = PERCENTILES,
    cte_levels: Iterable[Level] = CTE_LEVELS,
) -> Summary:
    """Mean, sample std, min, max, nearest-rank percentiles and CTEs of a sample.

    Parameters
    ----------
    values : array_like, shape (n,), float64
        Per-scenario totals (or any sample); finite, n >= 1.
    percentiles : iterable of str, Decimal, int or float, optional
        Percentile levels in percent, default :data:`PERCENTILES`.
    cte_levels : iterable of str, Decimal, int or float, optional
        CTE levels in percent, default :data:`CTE_LEVELS`.

    Returns
    -------
    Summary
        The same bits for any permutation of ``values``.

    Raises
    ------
    StatsError
        If ``values`` is empty, not 1-D or not finite, or a level is out of range.

    Examples
    --------
    >>> s = summarise([4.0, 1.0, 3.0, 2.0])
    >>> s.mean, round(s.std, 12), s.min, s.max
    (2.5, 1.290994448736, 1.0, 4.0)
    >>> s.percentiles["p25"], s.percentiles["p99_5"], s.cte["cte70"]
    (1.0, 4.0, 1.1666666666666667)
    """
    p_levels = [(percentile_key(p), percentile_fraction(p)) for p in percentiles]
    c_levels = [(cte_key(a), cte_fraction(a)) for a in cte_levels]
    x = clean(values)
    n = int(x.size)
    mean, _, m2 = mean_m2(x)
    std = math.sqrt(m2 / (n - 1)) if n > 1 else math.nan
    x.sort()
    return Summary(
        n=n,
        mean=mean,
        std=std,
        min=float(x[0]),
        max=float(x[-1]),
        percentiles={key: float(x[nearest_rank(p, n) - 1]) for key, p in p_levels},
        cte={key: cte_from_sorted(x, n, a) for key, a in c_levels},
    )
