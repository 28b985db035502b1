"""What the panels show of a result: the statistics rows, the headline, histograms binned in the kernel.

Charts never receive the per-scenario totals themselves: the kernel bins them
(:func:`histogram`) and sends the bin edges and counts as float64 buffers, a
few hundred bytes whatever the scenario count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from livecalc_lab.widgets import _format

__all__ = ["STATISTICS", "statistic_values", "statistics_rows", "headline", "histogram", "marks", "f64"]

# (key, label): keys are those of livecalc_lab.preview.compare's table, so a comparison row finds its label.
STATISTICS = (
    ("pv_net_cf", "mean PV"),
    ("std", "std"),
    ("p5", "P5"),
    ("p50", "P50"),
    ("p95", "P95"),
    ("p99_5", "P99.5"),
    ("cte70", "CTE70"),
    ("cte95", "CTE95"),
    ("cte99", "CTE99"),
    ("pv_net_cf_ce", "PV, CE scenario"),
    ("tvog", "TVOG"),
)
DETERMINISTIC = (
    ("pv_premiums", "PV premiums"),
    ("pv_claims", "PV claims"),
    ("pv_expenses", "PV expenses"),
    ("pv_commissions", "PV commissions"),
    ("pv_net_cf", "PV net cashflows"),
)
LABELS = dict(DETERMINISTIC) | dict(STATISTICS)  # a stochastic pv_net_cf is the "mean PV"
BINS = 40


def statistic_values(result: Any) -> dict[str, float]:
    """The shown statistics of a :class:`~livecalc_lab.ValuationResult`, by key (stochastic or deterministic)."""
    s = result.statistics
    if s is None:
        return {k: float(result.totals[k]) for k, _ in DETERMINISTIC if k in result.totals}
    values = {"pv_net_cf": s.mean, "std": s.std, **dict(s.percentiles), **dict(s.cte),
              "pv_net_cf_ce": result.pv_net_cf_ce, "tvog": result.tvog}
    return {k: float(values[k]) for k, _ in STATISTICS if values.get(k) is not None}


def statistics_rows(result: Any) -> list[list[Any]]:
    """``[[key, label, text, value], ...]`` for the statistics table."""
    labels = dict(STATISTICS) if result.statistics is not None else dict(DETERMINISTIC)
    return [[k, labels[k], _format.amount(v), v] for k, v in statistic_values(result).items()]


def headline(result: Any) -> str:
    """``"Preview: mean PV 1.21M ± 2.0% (95%), 10K sample"`` for a PreviewResult."""
    what = "mean PV" if result.statistics is not None else "PV"
    pv = _format.amount(result.pv_net_cf)
    if result.sample_size >= result.total_rows:
        return f"Preview: {what} {pv} (exact: all {result.total_rows:,} model points)"
    return (f"Preview: {what} {pv} ± {_format.percent(result.relative_halfwidth)} (95%), "
            f"{_format.count(result.sample_size)} sample")


def histogram(values: np.ndarray, edges: np.ndarray | None = None, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """``(edges (k + 1,) float64, counts (k,) float64)`` of ``values``; ``edges`` given or ``bins`` equal bins.

    A sample whose values are all equal gets one bin of width 1% of the value (or 1).
    """
    v = np.asarray(values, dtype=np.float64)
    if edges is None:
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
        if hi <= lo:
            pad = abs(lo) * 0.01 or 1.0
            lo, hi = lo - pad / 2, hi + pad / 2
        edges = np.linspace(lo, hi, max(int(bins), 1) + 1)
    counts, _ = np.histogram(v, bins=edges)
    return np.asarray(edges, dtype=np.float64), counts.astype(np.float64)


def marks(result: Any) -> list[list[Any]]:
    """``[[label, value, text], ...]``: the mean, P95 and CTE95 marked on a distribution chart."""
    s = result.statistics
    if s is None:
        return []
    out = [["mean", s.mean], ["P95", s.percentiles.get("p95")], ["CTE95", s.cte.get("cte95")]]
    return [[label, float(v), _format.amount(v)] for label, v in out if v is not None and math.isfinite(v)]


def f64(a: np.ndarray) -> bytes:
    """Little-endian float64 bytes of ``a`` (what the front ends read as a Float64Array)."""
    return np.ascontiguousarray(a, dtype="<f8").tobytes()
