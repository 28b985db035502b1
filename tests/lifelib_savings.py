"""lifelib savings test data (tests/data/lifelib-savings/): paths, published figures and a mixed portfolio.

Shared by the reference-model tests and the engine tests, so both check the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parent / "data" / "lifelib-savings"
RETURNS = DATA / "scen_monthly_returns_1000x242.csv.gz"
N_SCEN = 1000

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
