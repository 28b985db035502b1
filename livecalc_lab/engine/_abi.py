"""Mirror of ``engine/include/livecalc.h``: ABI version, error codes and wasm32 buffer layouts.

The layouts are numpy structured dtypes with the header's byte offsets (wasm32,
little-endian, pointers as u32 offsets into linear memory). Keep this file and
the header in step; the engine's static assertions pin the C side.
"""

from __future__ import annotations

import numpy as np

ABI_VERSION = 4

ERRORS = {
    0: "LC_OK",
    1: "LC_E_ARG: bad call block",
    2: "LC_E_AGE: attained age outside the mortality table",
    3: "LC_E_CURVE: projection month beyond the discount curve",
    4: "LC_E_TERM: policy_term or duration_mth out of range",
    5: "LC_E_VALUE: policy_count, sum_assured or premium_rate negative or not finite",
    6: "LC_E_NOMEM: the engine ran out of memory",
}

MAX_TERM = 150
MAX_BATCH = 1 << 26

EXACT_LIMBS = 68
EXACT_DTYPE = np.dtype([("limb", "<i8", (EXACT_LIMBS,)), ("special", "<i8")])
assert EXACT_DTYPE.itemsize == 552

STATUS_DTYPE = np.dtype({"names": ["code", "policy_index", "detail"], "formats": ["<i4"] * 3,
                         "offsets": [0, 4, 8], "itemsize": 16})

TERM_BASIS_DTYPE = np.dtype({
    "names": ["mort_qx", "mort_min_age", "mort_n_ages", "mort_n_select", "lapse_ann", "n_lapse",
              "disc_zero_ann", "n_disc", "comm_rates", "n_comm", "premium_basis", "round_decimals",
              "premium_loading", "acquisition", "maintenance_ann", "inflation_ann", "maturity_benefit"],
    "formats": ["<u4", "<i4", "<i4", "<i4", "<u4", "<i4", "<u4", "<i4", "<u4", "<i4", "<i4", "<i4",
                "<f8", "<f8", "<f8", "<f8", "<f8"],
    "offsets": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64, 72, 80],
    "itemsize": 88,
})

POLICIES_DTYPE = np.dtype({
    "names": ["n", "age_at_entry", "policy_term", "duration_mth", "policy_count", "sum_assured", "premium_rate"],
    "formats": ["<i4", "<u4", "<u4", "<u4", "<u4", "<u4", "<u4"],
    "offsets": [0, 4, 8, 12, 16, 20, 24],
    "itemsize": 28,
})

RESULTS_DTYPE = np.dtype({
    "names": ["pv", "premium_pp", "totals", "cashflows", "n_months", "cf_lines", "scen_disc", "n_scen",
              "scen_stride", "scen_totals", "alt_disc", "pv_alt"],
    "formats": ["<u4", "<u4", "<u4", "<u4", "<i4", "<i4", "<u4", "<i4", "<i4", "<u4", "<u4", "<u4"],
    "offsets": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44],
    "itemsize": 48,
})

HW_SPEC_DTYPE = np.dtype({
    "names": ["a", "sigma", "fund_sigma", "fund_excess", "seed_lo", "seed_hi", "zcb", "n_months"],
    "formats": ["<f8", "<f8", "<f8", "<f8", "<u4", "<u4", "<u4", "<i4"],
    "offsets": [0, 8, 16, 24, 32, 36, 40, 44],
    "itemsize": 48,
})

N_PV = 5
N_CF = 10
PV_NAMES = ("pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf")
CF_NAMES = ("pols_if", "pols_death", "pols_lapse", "pols_maturity", "pols_new_biz",
            "premiums", "claims", "expenses", "commissions", "net_cf")

PREMIUM_BASIS = {"equivalence": 0, "table": 1}

SAVINGS_BASIS_DTYPE = np.dtype({
    "names": ["mort_qx", "mort_min_age", "mort_n_ages", "mort_n_select", "mort_outside", "dyn_lapse", "lapse_ann",
              "n_lapse", "surr_charge", "n_sc_years", "n_sc_cols", "dyn_c0", "dyn_c1", "dyn_min", "dyn_max",
              "maint_fee_rate_mth", "coi_rate", "acquisition", "maintenance_ann", "inflation_ann", "commission_rate"],
    "formats": ["<u4", "<i4", "<i4", "<i4", "<i4", "<i4", "<u4", "<i4", "<u4", "<i4", "<i4"] + ["<f8"] * 10,
    "offsets": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120],
    "itemsize": 128,
})

SAVINGS_POLICIES_DTYPE = np.dtype({
    "names": ["n", "age_at_entry", "policy_term", "duration_mth", "premium_type", "surr_col", "policy_count",
              "sum_assured", "premium_pp", "av_pp_init", "load_prem_rate"],
    "formats": ["<i4"] + ["<u4"] * 10,
    "offsets": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40],
    "itemsize": 44,
})

SAVINGS_SCENARIOS_DTYPE = np.dtype({
    "names": ["n_scen", "n_months", "fund_return", "disc", "disc_per_scenario"],
    "formats": ["<i4", "<i4", "<u4", "<u4", "<i4"],
    "offsets": [0, 4, 8, 12, 16],
    "itemsize": 20,
})

SAVINGS_RESULTS_DTYPE = np.dtype({
    "names": ["pv", "scen_totals", "point_totals", "total_mask"],
    "formats": ["<u4", "<u4", "<u4", "<u4"],
    "offsets": [0, 4, 8, 12],
    "itemsize": 16,
})

N_SAV_PV = 13
SAV_PV_NAMES = ("pv_premiums", "pv_claims_death", "pv_claims_lapse", "pv_claims_maturity", "pv_claims",
                "pv_expenses", "pv_commissions", "pv_inv_income", "pv_av_change", "pv_net_cf", "pv_gmdb",
                "pv_gmab", "pv_maint_fee")

REQUIRED_EXPORTS = ("memory", "_initialize", "lc_abi_version", "lc_status_ptr", "lc_alloc", "lc_free",
                    "lc_value_term", "lc_discount_factors", "lc_exact_add", "lc_exact_merge", "lc_exact_round",
                    "lc_hull_white", "lc_discount_totals", "lc_philox4x32", "lc_value_savings")
