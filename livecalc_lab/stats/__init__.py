"""Exact summaries and mergeable accumulators of per-scenario results (DESIGN.md §5).

- :mod:`~livecalc_lab.stats.summary`: the definitions (nearest-rank percentile,
  CTE with a fractional boundary weight) and :func:`summarise`, exact and
  permutation-invariant bit for bit;
- :mod:`~livecalc_lab.stats.moments`: count, mean and variance merged by the
  parallel update of Chan, Golub & LeVeque (1979);
- :mod:`~livecalc_lab.stats.digest`: t-digests (fastdigest), merged once in
  chunk-id order;
- :mod:`~livecalc_lab.stats.tail`: exact lower-tail buffers for CTE, merged
  exactly;
- :mod:`~livecalc_lab.stats.tvog`: TVOG and the mean guarantee cost.

``fastdigest`` is imported only when a :class:`Digest` is made.
"""

from livecalc_lab.errors import StatsError
from livecalc_lab.stats.digest import DEFAULT_MAX_CENTROIDS, Digest
from livecalc_lab.stats.digest import merge_in_order as merge_digests
from livecalc_lab.stats.moments import Moments
from livecalc_lab.stats.moments import merge_in_order as merge_moments
from livecalc_lab.stats.summary import (
    CTE_LEVELS,
    PERCENTILES,
    Summary,
    cte,
    cte_key,
    percentile,
    percentile_key,
    summarise,
)
from livecalc_lab.stats.tail import TailBuffer, tail_capacity
from livecalc_lab.stats.tvog import guarantee_cost, tvog

__all__ = [
    "CTE_LEVELS",
    "DEFAULT_MAX_CENTROIDS",
    "PERCENTILES",
    "Digest",
    "Moments",
    "StatsError",
    "Summary",
    "TailBuffer",
    "cte",
    "cte_key",
    "guarantee_cost",
    "merge_digests",
    "merge_moments",
    "percentile",
    "percentile_key",
    "summarise",
    "tail_capacity",
    "tvog",
]
