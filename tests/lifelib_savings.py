"""lifelib savings test data (tests/data/lifelib-savings/): paths, published figures and a mixed portfolio.

Shared by the reference-model tests and the engine tests, so both check the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

DATA = Path(__file__).resolve().parent / "data" / "lifelib-savings"
RETURNS = DATA / "scen_monthly_returns_1000x242.csv.gz"
N_SCEN = 1000
REL = 1e-9  # relative tolerance of every comparison with lifelib (absolute floor: scale)

# lifelib's published figures (README of the lifelib-savings data)
CASE_A_MEAN_PV_NET_CF = 44386401.3008268  # mean over all 9,000 lanes
CASE_B_SUM_PV_NET_CF = 3507113709040.1406
CASE_C_SUM_MEAN_PV_NET_CF = 3496737675906.5244
CASE_C_SUM_MEAN_PV_GMAB = 16364103862.84859

LIFELIB_PV = [
    "pv_premiums", "pv_claims_death", "pv_claims_lapse", "pv_claims_maturity", "pv_claims", "pv_expenses",
    "pv_commissions", "pv_inv_income", "pv_av_change", "pv_net_cf", "pv_gmdb", "pv_gmab",
]  # fmt: skip

# In-force, new, future and whole-life points of every spec.
MIXED = pl.DataFrame(
    {
        "policy_id": [11, 12, 13, 14, 15, 16, 17],
        "spec_id": ["A", "B", "C", "D", "B", "A", "D"],
        "age_at_entry": [70, 45, 95, 100, 30, 60, 110],
        "policy_term": [10, 20, 5, 5, 3, 15, 5],
        "policy_count": [100.0, 12.5, 3.0, 40.0, 7.0, 1.0, 2.0],
        "sum_assured": [500000.0, 200000.0, 300000.0, 150000.0, 90000.0, 1000.0, 50000.0],
        "duration_mth": [0, 30, 0, 13, -4, 100, 0],
        "premium_pp": [450000.0, 150000.0, 2000.0, 1500.0, 95000.0, 2000.0, 800.0],
        "av_pp_init": [0.0, 160000.0, 0.0, 18000.0, 0.0, 2500.0, 0.0],
    }
).with_columns(pl.col("age_at_entry", "policy_term", "duration_mth").cast(pl.Int32))


def read_lifelib(name: str) -> pl.DataFrame:
    """A lifelib file: ids as Int64, everything else Float64 (shortest reprs parse exactly)."""
    raw = pl.read_csv(DATA / name, infer_schema=False)
    ints = [c for c in ("sim_id", "point_id", "scen_id", "t") if c in raw.columns]
    return raw.select(pl.col(ints).cast(pl.Int64), pl.exclude(ints).cast(pl.Float64))


def assert_close(actual, expected, scale, what: str) -> float:
    """``|actual - expected| <= REL * max(|expected|, scale)`` elementwise; returns the largest ratio to REL."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    tol = REL * np.maximum(np.abs(expected), scale)
    err = np.abs(actual - expected)
    bad = np.flatnonzero(~(err <= tol))
    if len(bad):
        i = int(bad[0])
        pytest.fail(f"{what}: element {i}: {actual.flat[i]!r} vs lifelib {expected.flat[i]!r} "
                    f"(|diff| {err.flat[i]:.3g}, tolerance {tol.flat[i]:.3g})")
    return float(np.max(err / np.where(tol > 0, tol, 1.0), initial=0.0))
