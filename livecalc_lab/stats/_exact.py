"""Exact arithmetic shared by the statistics modules (private).

Every statistic that must agree bit for bit between modules (the summary, the
tail buffer, TVOG) goes through these helpers, so the definitions live in one
place:

- levels (percentile ``p``, CTE ``alpha``) are percentages held as exact
  rationals, parsed from their decimal text;
- ranks and tail sizes are computed in integer arithmetic;
- sums are :func:`math.fsum` (the correctly rounded value of the exact sum, so
  independent of the order of the terms) or, where a statistic is rounded once
  from a rational, exact (:func:`exact_sum`);
- partial results keyed by chunk id are combined in sorted chunk-id order;
- a sample is a 1-D float64 array of finite values with ``-0.0`` replaced by
  ``+0.0``, so that sorting it gives one bit pattern whatever the input order.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np

from livecalc_lab.errors import StatsError, plain

Level = str | Decimal | int | float | Fraction
"""A level in percent: ``"99.5"``, ``Decimal("95")``, ``95``, ``Fraction(199, 2)``."""


def level_decimal(level: Any, what: str = "level") -> Decimal:
    """``level`` as an exact, finite :class:`~decimal.Decimal`.

    Strings and decimals are taken as written; an ``int`` exactly; a ``float``
    by its shortest round-trip text (``99.5`` -> ``Decimal("99.5")``), so a
    float that is the result of arithmetic, such as ``0.07 * 100``
    (``7.000000000000001``), keeps its error: pass text for such levels.
    A :class:`~fractions.Fraction` is accepted when it is a terminating decimal.
    """
    if isinstance(level, bool):
        raise StatsError(f"{what} {level!r} is not a number")
    if isinstance(level, Decimal):
        value = level
    elif isinstance(level, str):
        try:
            value = Decimal(level.strip())
        except InvalidOperation:
            raise StatsError(f"{what} {level!r} is not a decimal number") from None
    elif isinstance(level, Fraction):
        value = _fraction_to_decimal(level, what)
    elif isinstance(level, numbers.Integral):
        value = Decimal(int(level))
    elif isinstance(level, numbers.Real):
        value = Decimal(repr(float(level)))
    else:
        raise StatsError(f"{what} {level!r} is not a number")
    if not value.is_finite():
        raise StatsError(f"{what} {plain(level)!r} is not finite")
    return value


def _fraction_to_decimal(value: Fraction, what: str) -> Decimal:
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise StatsError(f"{what} {value} is not a terminating decimal")
    digits = max(twos, fives)
    scaled = value * 10**digits  # an integer
    return Decimal(scaled.numerator).scaleb(-digits)


def level_fraction(level: Any, what: str = "level") -> Fraction:
    """``level`` as an exact :class:`~fractions.Fraction` (see :func:`level_decimal`)."""
    if isinstance(level, Fraction):
        return level
    return Fraction(level_decimal(level, what))


def level_text(level: Any) -> str:
    """Plain decimal text of a level with no exponent or trailing zeros: ``"99.5"``, ``"100"``."""
    text = format(level_decimal(level).normalize(), "f")
    return "0" if text in ("-0", "") else text


def percentile_fraction(p: Any) -> Fraction:
    """A percentile level in (0, 100] as an exact fraction; anything else raises."""
    value = level_fraction(p, "percentile")
    if not 0 < value <= 100:
        raise StatsError(f"percentile {plain(p)!r} is outside (0, 100]")
    return value


def cte_fraction(alpha: Any) -> Fraction:
    """A CTE level in [0, 100) as an exact fraction; anything else raises."""
    value = level_fraction(alpha, "CTE level")
    if not 0 <= value < 100:
        raise StatsError(f"CTE level {plain(alpha)!r} is outside [0, 100)")
    return value


def clean(values: Any, *, allow_empty: bool = False, what: str = "values") -> np.ndarray:
    """``values`` as a new 1-D float64 array of finite numbers, ``-0.0`` made ``+0.0``."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{what} cannot be read as float64: {exc}") from None
    if x.ndim != 1:
        raise StatsError(f"{what} must be one-dimensional, got shape {x.shape}")
    if x.size == 0 and not allow_empty:
        raise StatsError(f"{what} is empty: a statistic needs at least one value")
    finite = np.isfinite(x)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise StatsError(f"{what}[{i}] = {float(x[i])!r} is not finite")
    return x + 0.0  # a copy; -0.0 + 0.0 == +0.0 in round-to-nearest


def fsum(values: Any) -> float:
    """:func:`math.fsum` of a float64 array or list: the exact sum, rounded once."""
    items = values.tolist() if isinstance(values, np.ndarray) else values
    try:
        return math.fsum(items)
    except OverflowError:
        raise StatsError("the sum of the values overflows float64") from None


def exact_sum(values: Any) -> tuple[float, Fraction]:
    """``(fsum(values), exact sum)``: the sum rounded once, and exactly as a fraction.

    Repeated :func:`math.fsum`: each pass returns the correctly rounded
    remainder of the exact sum after the previous passes, about 53 bits further
    down, and the loop ends when the remainder is exactly zero (every float is
    a multiple of 2**-1074, so a non-zero remainder never rounds to zero).
    Typical data need two or three passes.
    """
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    first = rest = fsum(items)
    total = Fraction(0)
    while rest != 0.0:
        total += Fraction(rest)
        items.append(-rest)
        rest = fsum(items)
    return first, total


def mean_m2(x: np.ndarray) -> tuple[float, float, float]:
    """Mean, its low-order part and the sum of squared deviations of a clean, non-empty sample.

    - ``mean = fsum(x) / n``: the exact sum rounded once, then one division;
    - ``mean_lo = exact_mean - mean`` rounded once (from the exact sum), so
      ``mean + mean_lo`` is the exact mean to about 106 bits;
    - ``M2 = fsum(((x - mean) - mean_lo) ** 2)``: deviations from the 106-bit
      mean, each rounded at most twice, squared, and summed exactly.

    A deviation from the float ``mean`` alone would add ``n * (mean error)**2``
    to ``M2``, which matters when the values share a large offset. Every step is
    independent of the order of ``x``.
    """
    n = x.size
    s1, total = exact_sum(x)
    mean = s1 / n
    mean_lo = float(total / n - Fraction(mean))
    dev = (x - mean) - mean_lo
    with np.errstate(over="raise"):
        try:
            sq = dev * dev
        except FloatingPointError:
            raise StatsError("squared deviations overflow float64") from None
    return mean, mean_lo, fsum(sq)


def two_sum(a: float, b: float) -> tuple[float, float]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def nearest_rank(p: Fraction, n: int) -> int:
    """The 1-based nearest rank ``ceil(p * n / 100)`` in integer arithmetic."""
    num, den = p.numerator * n, p.denominator * 100
    return -(-num // den)


def cte_share(alpha: Fraction, n: int) -> tuple[Fraction, int, Fraction]:
    """``k = n (100 - alpha) / 100`` outcomes, split into ``floor(k)`` and ``frac(k)``."""
    k = Fraction(n) * (100 - alpha) / 100
    whole = k.numerator // k.denominator
    return k, whole, k - whole


def cte_need(alpha: Fraction, n: int) -> int:
    """How many of the lowest values CTE(alpha) of ``n`` values reads: ``ceil(k)``."""
    k, whole, frac = cte_share(alpha, n)
    return whole + (1 if frac else 0)


def cte_from_sorted(lowest: np.ndarray, n: int, alpha: Fraction) -> float:
    """CTE(alpha) of ``n`` values from (at least) their ``ceil(k)`` lowest, sorted ascending.

    The sum of the ``floor(k)`` lowest (:func:`exact_sum`), the boundary term
    ``frac(k) * x`` and the division by ``k`` are exact rationals, and the
    result is rounded to float64 once: it is correctly rounded.
    """
    k, whole, frac = cte_share(alpha, n)
    _, total = exact_sum(lowest[:whole])
    if frac:
        total += frac * Fraction(float(lowest[whole]))
    return float(total / k) + 0.0  # a result that underflows to -0.0 is reported as 0.0


def sorted_chunk_ids(parts: Mapping[Hashable, Any]) -> list[Any]:
    """The keys of ``parts`` in canonical (sorted) order; unsortable keys raise."""
    try:
        return sorted(parts)  # type: ignore[type-var]
    except TypeError:
        kinds = sorted({type(k).__name__ for k in parts})
        raise StatsError(f"chunk ids must be mutually sortable, got types {kinds}") from None
