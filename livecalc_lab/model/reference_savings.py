"""The readable reference model of the savings product, in plain numpy.

This module is the executable specification of the savings / unit-linked product:
lifelib ``savings`` CashValue_ME_EX4 and CashValue_ME_EX2 (stochastic fund returns, an
account value, premium load, fees, cost of insurance, surrender charges, a minimum
death benefit (GMDB), a maturity guarantee (GMAB) and a dynamic lapse), as written
down in ``SPEC.md`` of ``shared/data/lifelib-savings`` (sections 5 and 6). The WASM
engine must agree with it to 1e-9 relative (DESIGN.md section 4); it reproduces
lifelib's EX4 results bit for bit.

It is written to be read, lifelib style: one small function per actuarial quantity,
named from the glossary, each docstring giving the formula, its timing, the shapes
and the source. Each formula is evaluated exactly as written, left to right, so an
engine that follows the same order gets the same bits (up to its own ``pow``).

Lanes and time
--------------
- A **lane** is one (policy, scenario) pair. The account value and, with mortality,
  lapses or a dynamic lapse, the policies in force depend on the scenario's fund
  returns up to ``t``: the model is path dependent and every lane is projected.
- Lane arrays have shape ``(n_policies, n_scenarios)``: row ``i`` is policy ``i``,
  column ``s`` scenario ``s``. Flattened in C order this is lifelib's point-major lane
  order. Quantities that depend on the policy and ``t`` only are ``(n_policies, 1)``
  and quantities of the scenario and ``t`` only are ``(1, n_scenarios)``; numpy
  broadcasting combines them with lane arrays elementwise, which gives the same bits
  as repeating them per lane.
- ``t`` is the projection month, ``t = 0 .. T - 1`` with ``T = max over the policies of
  proj_len``. The functions below compute **one month**: the model steps over ``t``
  (the recursion is path dependent) and is vectorised over lanes. A quantity "of
  shape (lanes × months)" is the stack of these monthly values over ``t``, which the
  model never holds (:func:`cashflows` does, for one scenario).
- Every cashflow of month ``t`` is discounted from ``t`` (the start of the month),
  including the mid-month death and lapse benefits (SPEC.md section 8, item 6).
- Amounts per policy end in ``_pp``; all other amounts and counts are for all
  ``policy_count`` policies of the row.

Timings within month ``t`` (lifelib's ``pols_if_at`` / ``av_pp_at`` timings)::

    BEF_MAT   pols_if_bef_mat(t) = N(t)     av_pp_bef_prem(t) = AV(t)   state carried from t - 1
    maturities, new business         -> pols_if_bef_decr(t) = N_dec(t)
    premium into the account value   -> av_pp_bef_fee(t)
    fee and cost of insurance out    -> av_pp_bef_inv(t)
    half a month of fund return      -> av_pp_mid_mth(t)    deaths and lapses are paid here
    a full month of fund return      -> av_pp_bef_prem(t + 1), and pols_if_bef_mat(t + 1)

Numerics (for an engine that must agree)
----------------------------------------
Every step is a float64 ``+ - * /``, ``max``/``min`` or ``where`` in the order written
(IEEE, round to nearest; no fused multiply-add), except four powers:

- ``disc_factors`` and ``inflation_factor``: one scalar C-library ``pow`` per month
  (Python float ``**``), as lifelib. :func:`value` takes the discount factors as an
  input, so an engine can take them from the host; the inflation factors (``T``
  values) can be passed the same way.
- ``mort_rate_mth`` and ``lapse_rate_mth``: numpy's vectorised ``power``, as lifelib
  (on AVX-512 machines numpy uses an SVML ``pow`` that is not correctly rounded and
  can differ from the C library's in the last bit). It gives the same bits for a
  value whatever the array's shape or layout, so ``q_m`` by (age, policy year) and a
  static ``l_m`` by policy year can be tabulated by the host once. Only a dynamic
  lapse needs a ``pow`` per lane and month; there an engine's own ``pow`` differs
  from numpy's by about one ulp of ``l_m``, well inside 1e-9.

Sums are the ``pv = pv + X(t) * v(t)`` loop in increasing ``t``; nothing else is summed.

Entry points: :func:`value` (present values per lane) and :func:`cashflows` (the
monthly series of one scenario). Every formula function takes and returns numpy
arrays; inputs are not validated there (``value`` and ``cashflows`` do that).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from livecalc_lab.assumptions.savings import SavingsBasis
from livecalc_lab.errors import DataError

__all__ = [
    "value",
    "cashflows",
    "PV_NAMES",
    "CF_COLUMNS",
    "CF_TOTAL_COLUMNS",
    "Points",
    "points",
    "Month",
    "project_month",
    "proj_len",
    "duration_mth",
    "duration",
    "age",
    "disc_rate_mth",
    "disc_factors",
    "inflation_factor",
    "pols_if_init",
    "av_pp_init",
    "pols_maturity",
    "pols_new_biz",
    "pols_if_bef_decr",
    "prem_pp",
    "av_pp_bef_fee",
    "maint_fee_pp",
    "coi_pp",
    "av_pp_bef_inv",
    "inv_income_pp",
    "av_pp_mid_mth",
    "av_pp_bef_prem",
    "mort_rate",
    "mort_rate_mth",
    "surr_charge_rate",
    "cash_value_pp",
    "lapse_rate",
    "lapse_rate_mth",
    "pols_death",
    "pols_lapse",
    "pols_if_bef_mat",
    "premiums",
    "inv_income",
    "claims_death",
    "claims_lapse",
    "claims_maturity",
    "claims",
    "expenses",
    "commissions",
    "av_change",
    "net_cf",
    "gmdb_cost",
    "gmab_cost",
    "maint_fee",
    "pv_net_cf",
]

#: Keys of :func:`value`'s result, in the order of SPEC.md section 6 (plus ``pv_maint_fee``).
PV_NAMES = (
    "pv_premiums", "pv_claims_death", "pv_claims_lapse", "pv_claims_maturity", "pv_claims",
    "pv_expenses", "pv_commissions", "pv_inv_income", "pv_av_change", "pv_net_cf",
    "pv_gmdb", "pv_gmab", "pv_maint_fee",
)  # fmt: skip

# The cashflow behind each PV (pv_net_cf is formed from the PVs, see pv_net_cf()).
_PV_OF = {
    "pv_premiums": "premiums", "pv_claims_death": "claims_death", "pv_claims_lapse": "claims_lapse",
    "pv_claims_maturity": "claims_maturity", "pv_claims": "claims", "pv_expenses": "expenses",
    "pv_commissions": "commissions", "pv_inv_income": "inv_income", "pv_av_change": "av_change",
    "pv_gmdb": "gmdb_cost", "pv_gmab": "gmab_cost", "pv_maint_fee": "maint_fee",
}  # fmt: skip

#: Columns of :func:`cashflows` per policy (SPEC.md section 6a, lifelib's names; ``claims``,
#: ``gmdb_cost`` and ``gmab_cost`` added).
CF_COLUMNS = (
    "policy_id", "scenario", "t", "duration_mth", "inv_return", "pols_if_bef_mat", "pols_maturity",
    "pols_new_biz", "pols_if_bef_decr", "mort_rate_mth", "lapse_rate", "pols_death", "pols_lapse",
    "premium_pp", "av_pp_bef_prem", "av_pp_bef_fee", "av_pp_bef_inv", "av_pp_mid_mth", "surr_charge_rate",
    "premiums", "maint_fee", "inv_income", "claims_death", "claims_lapse", "claims_maturity", "claims",
    "expenses", "commissions", "av_change", "net_cf", "gmdb_cost", "gmab_cost", "disc_factor",
)  # fmt: skip

#: Columns of :func:`cashflows` with ``total=True`` (lifelib's ``ex4_bench10k_1scen_cf_total.csv`` first).
CF_TOTAL_COLUMNS = (
    "t", "pols_if_bef_mat", "pols_maturity", "pols_new_biz", "av_bef_mat", "premiums", "inv_income",
    "claims", "expenses", "commissions", "av_change", "net_cf", "disc_factor",
    "pols_if_bef_decr", "pols_death", "pols_lapse", "maint_fee", "claims_death", "claims_lapse",
    "claims_maturity", "gmdb_cost", "gmab_cost",
)  # fmt: skip

_LANES_PER_CHUNK = 1 << 15  # default chunk: about 32,000 lanes (256 KiB per lane array, cache sized)


# --------------------------------------------------------------------------------------
# Policy constants
# --------------------------------------------------------------------------------------


class Points(NamedTuple):
    """Per-policy constants of a batch, each a column ``(n_policies, 1)`` so they broadcast over scenarios.

    Built by :func:`points` from the policies frame and the basis. ``policy_term`` is
    the effective term in years (whole life resolved: ``whole_life_last_age -
    age_at_entry``).
    """

    policy_count: np.ndarray  # float64, number of policies (may be fractional)
    sum_assured: np.ndarray  # float64, SA per policy: the guaranteed death and maturity benefit
    premium_pp: np.ndarray  # float64, single premium, or monthly premium for LEVEL
    av_pp_init: np.ndarray  # float64, account value per policy at t = 0
    age_at_entry: np.ndarray  # int64, years
    duration_mth_init: np.ndarray  # int64, months in force at t = 0 (<= 0: issued at -duration)
    policy_term: np.ndarray  # int64, years
    single_premium: np.ndarray  # bool, SINGLE (True) or LEVEL (False)
    load_prem_rate: np.ndarray  # float64, share of each premium kept by the insurer
    surr_charge: np.ndarray  # float64 (n_policies, n_sc_years), the spec's rate by policy year

    def take(self, rows: slice) -> Points:
        """The constants of policies ``rows`` (a chunk)."""
        return Points(*(a[rows] for a in self))


def points(policies: pl.DataFrame, basis: SavingsBasis, source: str = "<DataFrame>") -> Points:
    """Per-policy constants of ``policies`` joined with their spec (see :class:`Points`).

    Parameters
    ----------
    policies : polars.DataFrame
        The savings policy schema (``read_savings_policies(...).frame``): ``spec_id``,
        ``age_at_entry``, ``policy_term``, ``duration_mth``, ``policy_count``,
        ``sum_assured``, ``premium_pp``, ``av_pp_init``.
    basis : SavingsBasis
    source : str
        Named in error messages.

    Raises
    ------
    DataError
        An unknown ``spec_id`` or a whole-life entry age at or above the last age.
    """
    f = basis.policy_spec_columns(policies, source)

    def col(name: str, dtype: type) -> np.ndarray:
        return f[name].to_numpy().astype(dtype).reshape(-1, 1)

    k = f["spec_index"].to_numpy().astype(np.int64)
    return Points(
        policy_count=col("policy_count", np.float64),
        sum_assured=col("sum_assured", np.float64),
        premium_pp=col("premium_pp", np.float64),
        av_pp_init=col("av_pp_init", np.float64),
        age_at_entry=col("age_at_entry", np.int64),
        duration_mth_init=col("duration_mth", np.int64),
        policy_term=col("policy_term", np.int64),
        single_premium=basis.spec_single_premium[k].reshape(-1, 1),
        load_prem_rate=basis.spec_load_prem_rate[k].reshape(-1, 1),
        surr_charge=basis.spec_surr_charge[k],
    )


# --------------------------------------------------------------------------------------
# Time and policy state
# --------------------------------------------------------------------------------------


def proj_len(duration_mth_init: np.ndarray, policy_term: np.ndarray) -> np.ndarray:
    """Number of projected months of each policy: ``max(12 * policy_term - duration_mth(0) + 1, 0)``.

    Months ``t = 0 .. proj_len - 1``, the last being the month of maturity. Shapes
    ``(n_policies, 1)`` int64 in and out.

    Source: lifelib CashValue_ME_EX4/EX2 ``proj_len``; SPEC.md section 2.
    """
    return np.maximum(12 * policy_term - duration_mth_init + 1, 0)


def duration_mth(duration_mth_init: np.ndarray, t: int) -> np.ndarray:
    """Months in force at month ``t``: ``dur_m(t) = duration_mth(0) + t``; negative before issue.

    ``(n_policies, 1)`` int64. Source: lifelib ``duration_mth``; SPEC.md section 3.
    """
    return duration_mth_init + t


def duration(duration_mth: np.ndarray) -> np.ndarray:
    """Policy year at month ``t``: ``dur_y(t) = dur_m(t) // 12`` (floor division, as Python ``//``).

    ``(n_policies, 1)`` int64. Source: lifelib ``duration``; SPEC.md section 3.
    """
    return duration_mth // 12


def age(age_at_entry: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Attained age at month ``t``: ``age(t) = age_at_entry + dur_y(t)``.

    ``(n_policies, 1)`` int64. Source: lifelib ``age``; SPEC.md section 3.
    """
    return age_at_entry + duration


def disc_rate_mth(t: int, basis: SavingsBasis) -> float:
    """Monthly discount rate: ``i_m(t) = (1 + disc_rate_ann[t // 12]) ** (1/12) - 1``.

    A Python float (C library ``pow``). Raises :class:`IndexError` if the curve does
    not reach month ``t``.

    Source: lifelib ``disc_rate_mth``; SPEC.md section 6.
    """
    return (1 + float(basis.disc_zero_ann[t // 12])) ** (1 / 12) - 1


def disc_factors(n_months: int, basis: SavingsBasis) -> np.ndarray:
    """Deterministic discount factors ``v(t) = (1 + i_m(t)) ** (-t)``, ``t = 0 .. n_months - 1``.

    Every cashflow of month ``t`` is discounted with ``v(t)``. Returns ``(n_months,)``
    float64, the ``disc_factor`` argument of :func:`value` for a deterministic curve.

    Each factor is one scalar ``pow`` of the C library (Python's float ``**`` with
    the float exponent ``-t``), as in lifelib: numpy's vectorised ``power`` can
    differ from it in the last bit, and with it lifelib's EX4 results are no longer
    reproduced bit for bit.

    Raises
    ------
    IndexError
        The curve does not reach month ``n_months - 1``.

    Source: lifelib ``disc_factors``; SPEC.md section 6.
    """
    return np.array([(1 + disc_rate_mth(t, basis)) ** float(-t) for t in range(n_months)], dtype=np.float64)


def inflation_factor(t: int, basis: SavingsBasis) -> float:
    """Expense inflation from the valuation date: ``(1 + inflation_ann) ** (t / 12)``.

    Fractional ``t / 12``: inflation grows monthly, not by policy year. A Python
    float (one C library ``pow``, as lifelib).

    Source: lifelib ``expenses``; SPEC.md section 5.5.
    """
    return (1 + basis.inflation_ann) ** (t / 12)


def pols_if_init(p: Points, n_scenarios: int) -> np.ndarray:
    """Policies in force at ``t = 0`` before maturity: ``N(0) = policy_count`` if ``duration_mth(0) > 0``, else 0.

    New business (``duration_mth(0) <= 0``) enters through :func:`pols_new_biz`.
    Returns the lane array ``(n_policies, n_scenarios)`` float64.

    Source: lifelib ``pols_if_init``; SPEC.md section 5.
    """
    n0 = np.where(p.duration_mth_init > 0, p.policy_count, 0.0)
    return np.repeat(n0, n_scenarios, axis=1)


def av_pp_init(p: Points, n_scenarios: int) -> np.ndarray:
    """Account value per policy at ``t = 0`` before premium: ``AV(0) = av_pp_init``.

    Lane array ``(n_policies, n_scenarios)`` float64. Source: lifelib ``av_pp_init``; SPEC.md section 5.
    """
    return np.repeat(p.av_pp_init, n_scenarios, axis=1)


def pols_maturity(pols_if_bef_mat: np.ndarray, duration_mth: np.ndarray, policy_term: np.ndarray) -> np.ndarray:
    """Policies maturing at the start of month ``t``: ``N_mat(t) = N(t)`` if ``dur_m(t) == 12 * policy_term``, else 0.

    Lane array float64. Source: lifelib ``pols_maturity``; SPEC.md section 5.1.
    """
    return np.where(duration_mth == 12 * policy_term, pols_if_bef_mat, 0.0)


def pols_new_biz(duration_mth: np.ndarray, policy_count: np.ndarray) -> np.ndarray:
    """Policies issued at the start of month ``t``: ``N_nb(t) = policy_count`` if ``dur_m(t) == 0``, else 0.

    ``(n_policies, 1)`` float64. Source: lifelib ``pols_new_biz``; SPEC.md section 5.1.
    """
    return np.where(duration_mth == 0, policy_count, 0.0)


def pols_if_bef_decr(pols_if_bef_mat: np.ndarray, pols_maturity: np.ndarray, pols_new_biz: np.ndarray) -> np.ndarray:
    """Policies in force before deaths and lapses: ``N_dec(t) = (N(t) - N_mat(t)) + N_nb(t)``.

    Premiums, fees, maintenance expenses and decrements of month ``t`` are on this
    count; it is 0 at the month of maturity. Lane array float64.

    Source: lifelib ``pols_if_at(t, "BEF_DECR")``; SPEC.md section 5.1.
    """
    return (pols_if_bef_mat - pols_maturity) + pols_new_biz


# --------------------------------------------------------------------------------------
# Account value per policy
# --------------------------------------------------------------------------------------


def prem_pp(duration_mth: np.ndarray, p: Points) -> np.ndarray:
    """Premium per policy paid at the start of month ``t``.

    ``prem_pp(t) = premium_pp`` if (SINGLE and ``dur_m(t) == 0``) or (LEVEL and
    ``dur_m(t) < 12 * policy_term``), else 0. A LEVEL premium is set also before issue
    (negative durations): the per-policy account value builds up, but no premium
    cashflow arises since ``N_dec`` is 0 then. ``(n_policies, 1)`` float64.

    Source: lifelib ``premium_pp``; SPEC.md section 5.2.
    """
    single = p.single_premium & (duration_mth == 0)
    level = ~p.single_premium & (duration_mth < 12 * p.policy_term)
    return np.where(single | level, p.premium_pp, 0.0)


def av_pp_bef_fee(av_pp_bef_prem: np.ndarray, prem_pp: np.ndarray, load_prem_rate: np.ndarray) -> np.ndarray:
    """Account value per policy after the premium: ``AV_fee(t) = AV(t) + (1 - load_prem_rate) * prem_pp(t)``.

    Timing "BEF_FEE". Lane array float64. Source: lifelib ``av_pp_at(t, "BEF_FEE")``; SPEC.md section 5.2.
    """
    return av_pp_bef_prem + (1 - load_prem_rate) * prem_pp


def maint_fee_pp(av_pp_bef_fee: np.ndarray, basis: SavingsBasis) -> np.ndarray:
    """Fee per policy taken from the account value: ``fee_pp(t) = maint_fee_rate_mth * AV_fee(t)``.

    Lane array float64. Source: lifelib EX2 ``maint_fee_pp`` (0.01/12 when ``has_fees``); SPEC.md section 5.2.
    """
    return basis.maint_fee_rate_mth * av_pp_bef_fee


def coi_pp(av_pp_bef_fee: np.ndarray, sum_assured: np.ndarray, basis: SavingsBasis) -> np.ndarray:
    """Cost of insurance per policy: ``coi_pp(t) = coi_rate * max(SA - AV_fee(t), 0)``.

    Lane array float64. Source: lifelib ``coi_pp`` (rate 0 in EX4 and EX2); SPEC.md section 5.2.
    """
    return basis.coi_rate * np.maximum(sum_assured - av_pp_bef_fee, 0.0)


def av_pp_bef_inv(av_pp_bef_fee: np.ndarray, maint_fee_pp: np.ndarray, coi_pp: np.ndarray) -> np.ndarray:
    """Account value per policy after charges: ``AV_inv(t) = (AV_fee(t) - fee_pp(t)) - coi_pp(t)``.

    Timing "BEF_INV". Lane array float64. Source: lifelib ``av_pp_at(t, "BEF_INV")``; SPEC.md section 5.2.
    """
    return av_pp_bef_fee - maint_fee_pp - coi_pp


def inv_income_pp(inv_return: np.ndarray, av_pp_bef_inv: np.ndarray) -> np.ndarray:
    """Investment income per policy over month ``t``: ``I_pp(t) = r[s, t] * AV_inv(t)``.

    ``inv_return`` is the scenarios' monthly fund return ``(1, n_scenarios)``; returns a
    lane array float64. Source: lifelib ``inv_income_pp``; SPEC.md section 5.2.
    """
    return inv_return * av_pp_bef_inv


def av_pp_mid_mth(av_pp_bef_inv: np.ndarray, inv_income_pp: np.ndarray) -> np.ndarray:
    """Account value per policy at mid-month: ``AV_mid(t) = AV_inv(t) + 0.5 * I_pp(t)``.

    Death and lapse benefits and the dynamic lapse use it. Lane array float64.

    Source: lifelib ``av_pp_at(t, "MID_MTH")``; SPEC.md section 5.2.
    """
    return av_pp_bef_inv + 0.5 * inv_income_pp


def av_pp_bef_prem(av_pp_bef_inv: np.ndarray, inv_income_pp: np.ndarray) -> np.ndarray:
    """Account value per policy at the start of month ``t + 1``: ``AV(t + 1) = AV_inv(t) + I_pp(t)``.

    Lane array float64. Source: lifelib ``av_pp_at(t + 1, "BEF_PREM")``; SPEC.md section 5.2.
    """
    return av_pp_bef_inv + inv_income_pp


# --------------------------------------------------------------------------------------
# Decrements
# --------------------------------------------------------------------------------------


def mort_rate(age: np.ndarray, duration: np.ndarray, basis: SavingsBasis) -> np.ndarray:
    """Annual probability of death: ``q(t) = mort_qx[age(t) - mort_min_age, min(dur_y(t), k)]``.

    ``k`` is the table's last (ultimate) column; a negative policy year (before issue)
    uses column 0. An attained age outside the table gives 0 (lifelib EX2); with
    ``mort_outside_table = "error"`` :func:`value` has checked beforehand that no
    policy is exposed at such an age. 0 everywhere without mortality (EX4).
    ``(n_policies, 1)`` float64 from ``age`` and ``duration`` of that shape.

    Source: lifelib EX2 ``mort_rate`` (``min(duration, 5)``); SPEC.md section 5.3.
    """
    n_ages, n_cols = basis.mort_qx.shape
    row = age - basis.mort_min_age
    inside = (row >= 0) & (row < n_ages)
    if n_ages == 0:
        return np.zeros(age.shape)
    col = np.clip(duration, 0, n_cols - 1)
    return np.where(inside, basis.mort_qx[np.where(inside, row, 0), col], 0.0)


def mort_rate_mth(mort_rate: np.ndarray) -> np.ndarray:
    """Monthly probability of death: ``q_m(t) = 1 - (1 - q(t)) ** (1/12)``.

    Same shape as ``mort_rate``, float64. Source: lifelib ``mort_rate_mth``; SPEC.md section 5.3.
    """
    return 1 - (1 - mort_rate) ** (1 / 12)


def surr_charge_rate(duration: np.ndarray, surr_charge: np.ndarray) -> np.ndarray:
    """Surrender-charge rate: ``sc(t) = surr_charge[min(dur_y(t), k)]`` of the policy's spec.

    ``surr_charge`` is the per-policy row of ``basis.spec_surr_charge`` ``(n_policies,
    k + 1)``, already resolved for the spec (``"intended"`` or lifelib EX4's
    ``"lifelib_numpy"`` lookup); years past ``k`` use ``k``, a negative year uses 0.
    ``(n_policies, 1)`` float64.

    Source: lifelib ``surr_charge_rate``; SPEC.md section 5.4.
    """
    k = surr_charge.shape[1] - 1
    year = np.clip(duration, 0, k)
    return np.take_along_axis(surr_charge, year, axis=1)


def cash_value_pp(av_pp_mid_mth: np.ndarray, surr_charge_rate: np.ndarray) -> np.ndarray:
    """Cash surrender value per policy: ``CSV(t) = (1 - sc(t)) * AV_mid(t)``.

    Lane array float64. Source: lifelib EX2 dynamic lapse; SPEC.md section 5.3.
    """
    return (1 - surr_charge_rate) * av_pp_mid_mth


def lapse_rate(
    duration: np.ndarray, cash_value_pp: np.ndarray, sum_assured: np.ndarray, basis: SavingsBasis
) -> np.ndarray:
    """Annual lapse rate ``w(t)``.

    Base rate ``base(t) = lapse_ann[min(dur_y(t), n - 1)]`` (a negative year uses 0).

    - Static: ``w(t) = base(t)``, shape ``(n_policies, 1)``.
    - Dynamic (``basis.lapse_dynamic``)::

          factor(t) = clamp(c0 + c1 * (CSV(t) / SA), min, max)
          w(t)      = min(max(factor(t) * base(t), 0), 1)

      a lane array (it depends on the account value path). The factor is evaluated
      as written: ``clamp(x, min, max) = min(max(x, min), max)``, unbounded sides being
      ``-inf`` / ``+inf``. lifelib EX2 is ``c0 = 0, c1 = 1, min = 0, max = inf``, where
      ``0 + 1 * x`` and the clamps are exact, so ``w = (CSV / SA) * base``.

    Source: lifelib EX2 ``lapse_rate`` (base ``max(0.1 - 0.01 * duration, 0.02)``,
    factor ``CSV / SA`` if ``is_lapse_dynamic``); SPEC.md section 5.3.
    """
    year = np.clip(duration, 0, len(basis.lapse_ann) - 1)
    base = basis.lapse_ann[year]
    if not basis.lapse_dynamic:
        return base
    x = basis.lapse_dyn_c0 + basis.lapse_dyn_c1 * (cash_value_pp / sum_assured)
    factor = np.minimum(np.maximum(x, basis.lapse_dyn_min), basis.lapse_dyn_max)
    return np.minimum(np.maximum(factor * base, 0.0), 1.0)


def lapse_rate_mth(lapse_rate: np.ndarray) -> np.ndarray:
    """Monthly lapse rate: ``l_m(t) = 1 - (1 - w(t)) ** (1/12)``.

    Same shape as ``lapse_rate``, float64. Source: lifelib ``pols_lapse``; SPEC.md section 5.3.
    """
    return 1 - (1 - lapse_rate) ** (1 / 12)


def pols_death(pols_if_bef_decr: np.ndarray, mort_rate_mth: np.ndarray) -> np.ndarray:
    """Deaths in month ``t``: ``D(t) = N_dec(t) * q_m(t)``. Lane array float64.

    Source: lifelib ``pols_death``; SPEC.md section 5.3.
    """
    return pols_if_bef_decr * mort_rate_mth


def pols_lapse(pols_if_bef_decr: np.ndarray, pols_death: np.ndarray, lapse_rate_mth: np.ndarray) -> np.ndarray:
    """Lapses in month ``t``: ``L(t) = (N_dec(t) - D(t)) * l_m(t)``; deaths first. Lane array float64.

    Source: lifelib ``pols_lapse``; SPEC.md section 5.3.
    """
    return (pols_if_bef_decr - pols_death) * lapse_rate_mth


def pols_if_bef_mat(pols_if_bef_decr: np.ndarray, pols_lapse: np.ndarray, pols_death: np.ndarray) -> np.ndarray:
    """Policies in force at the start of month ``t + 1``: ``N(t + 1) = (N_dec(t) - L(t)) - D(t)``.

    Lane array float64. Source: lifelib ``pols_if_at(t + 1, "BEF_MAT")``; SPEC.md section 5.3.
    """
    return pols_if_bef_decr - pols_lapse - pols_death


# --------------------------------------------------------------------------------------
# Cashflows of month t, all policies of a lane, each a lane array (n_policies, n_scenarios) float64
# --------------------------------------------------------------------------------------


def premiums(prem_pp: np.ndarray, pols_if_bef_decr: np.ndarray) -> np.ndarray:
    """Premium income: ``premiums(t) = prem_pp(t) * N_dec(t)``, at the start of month ``t``.

    Source: lifelib ``premiums``; SPEC.md section 5.5.
    """
    return prem_pp * pols_if_bef_decr


def inv_income(
    inv_income_pp: np.ndarray, pols_if_bef_mat_next: np.ndarray, pols_death: np.ndarray, pols_lapse: np.ndarray
) -> np.ndarray:
    """Investment income: ``inv_income(t) = I_pp(t) * N(t+1) + (0.5 * I_pp(t)) * (D(t) + L(t))``.

    A full month of return on survivors, half a month on those who leave.

    Source: lifelib ``inv_income``; SPEC.md section 5.5.
    """
    return inv_income_pp * pols_if_bef_mat_next + 0.5 * inv_income_pp * (pols_death + pols_lapse)


def claims_death(sum_assured: np.ndarray, av_pp_mid_mth: np.ndarray, pols_death: np.ndarray) -> np.ndarray:
    """Death benefits with the GMDB: ``claims_death(t) = max(SA, AV_mid(t)) * D(t)``.

    Source: lifelib ``claims(t, "DEATH")``; SPEC.md section 5.5.
    """
    return np.maximum(sum_assured, av_pp_mid_mth) * pols_death


def claims_lapse(av_pp_mid_mth: np.ndarray, surr_charge_rate: np.ndarray, pols_lapse: np.ndarray) -> np.ndarray:
    """Surrender benefits: ``claims_lapse(t) = AV_mid(t) * L(t) - (sc(t) * AV_mid(t)) * L(t)``.

    The account value less the surrender charge, written as lifelib computes it.

    Source: lifelib ``claims(t, "LAPSE")``; SPEC.md section 5.5.
    """
    return av_pp_mid_mth * pols_lapse - surr_charge_rate * av_pp_mid_mth * pols_lapse


def claims_maturity(sum_assured: np.ndarray, av_pp_bef_prem: np.ndarray, pols_maturity: np.ndarray) -> np.ndarray:
    """Maturity benefits with the GMAB: ``claims_maturity(t) = max(SA, AV(t)) * N_mat(t)``.

    ``AV(t)`` is the account value at the start of the month, before premium.

    Source: lifelib ``claims(t, "MATURITY")``; SPEC.md section 5.5 and section 8 item 1.
    """
    return np.maximum(sum_assured, av_pp_bef_prem) * pols_maturity


def claims(claims_death: np.ndarray, claims_lapse: np.ndarray, claims_maturity: np.ndarray) -> np.ndarray:
    """All benefits: ``claims(t) = (claims_death(t) + claims_lapse(t)) + claims_maturity(t)``.

    Source: lifelib ``claims``; SPEC.md section 5.5.
    """
    return claims_death + claims_lapse + claims_maturity


def expenses(
    pols_new_biz: np.ndarray, pols_if_bef_decr: np.ndarray, inflation_factor: float, basis: SavingsBasis
) -> np.ndarray:
    """Expenses: ``acquisition * N_nb(t) + ((N_dec(t) * maintenance_ann) / 12) * inflation_factor(t)``.

    Acquisition in the month of issue; maintenance on every policy in force before
    decrements, new business included.

    Source: lifelib ``expenses``; SPEC.md section 5.5.
    """
    return basis.acquisition * pols_new_biz + pols_if_bef_decr * basis.maintenance_ann / 12 * inflation_factor


def commissions(premiums: np.ndarray, basis: SavingsBasis) -> np.ndarray:
    """Commissions: ``commissions(t) = commission_rate * premiums(t)``, every year.

    Source: lifelib ``commissions``; SPEC.md section 5.5.
    """
    return basis.commission_rate * premiums


def av_change(
    av_pp_bef_prem_next: np.ndarray,
    pols_if_bef_mat_next: np.ndarray,
    av_pp_bef_prem: np.ndarray,
    pols_if_bef_mat: np.ndarray,
) -> np.ndarray:
    """Change in the total account value: ``av_change(t) = AV(t+1) * N(t+1) - AV(t) * N(t)``.

    Source: lifelib ``av_change``; SPEC.md section 5.5.
    """
    return av_pp_bef_prem_next * pols_if_bef_mat_next - av_pp_bef_prem * pols_if_bef_mat


def net_cf(
    premiums: np.ndarray,
    inv_income: np.ndarray,
    claims: np.ndarray,
    expenses: np.ndarray,
    commissions: np.ndarray,
    av_change: np.ndarray,
) -> np.ndarray:
    """Net cashflow: ``premiums + inv_income - claims - expenses - commissions - av_change``, left to right.

    Source: lifelib ``net_cf``; SPEC.md section 5.5.
    """
    return premiums + inv_income - claims - expenses - commissions - av_change


def gmdb_cost(claims_death: np.ndarray, av_pp_mid_mth: np.ndarray, pols_death: np.ndarray) -> np.ndarray:
    """Death benefit paid above the account value: ``gmdb_cost(t) = claims_death(t) - AV_mid(t) * D(t)``.

    Source: lifelib ``claims_over_av(t, "DEATH")``; SPEC.md section 5.5.
    """
    return claims_death - av_pp_mid_mth * pols_death


def gmab_cost(claims_maturity: np.ndarray, av_pp_bef_prem: np.ndarray, pols_maturity: np.ndarray) -> np.ndarray:
    """Maturity benefit paid above the account value: ``gmab_cost(t) = claims_maturity(t) - AV(t) * N_mat(t)``.

    Source: lifelib ``claims_over_av(t, "MATURITY")``; SPEC.md section 5.5.
    """
    return claims_maturity - av_pp_bef_prem * pols_maturity


def maint_fee(maint_fee_pp: np.ndarray, pols_if_bef_decr: np.ndarray) -> np.ndarray:
    """Fees earned: ``maint_fee(t) = fee_pp(t) * N_dec(t)``.

    Source: lifelib EX2 ``maint_fee``; SPEC.md section 5.5.
    """
    return maint_fee_pp * pols_if_bef_decr


def pv_net_cf(pv: dict[str, np.ndarray]) -> np.ndarray:
    """PV of net cashflows from the PV components, left to right.

    ``pv_premiums + pv_inv_income - pv_claims - pv_expenses - pv_commissions - pv_av_change``.
    Equal to the PV of :func:`net_cf` up to rounding; formed this way, as lifelib
    does, because the components can be about 10^3 times the net value.

    Source: lifelib ``pv_net_cf``; SPEC.md section 6.
    """
    return (
        pv["pv_premiums"] + pv["pv_inv_income"] - pv["pv_claims"] - pv["pv_expenses"]
        - pv["pv_commissions"] - pv["pv_av_change"]
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# One month of the recursion
# --------------------------------------------------------------------------------------


class Month(NamedTuple):
    """Every quantity of month ``t`` (SPEC.md sections 5.1-5.5).

    Policy-and-time quantities are ``(n_policies, 1)``, lane quantities
    ``(n_policies, n_scenarios)``; all float64 except ``duration_mth`` (int64).
    ``av_pp_bef_prem_next`` and ``pols_if_bef_mat_next`` are the state of month ``t + 1``.
    """

    duration_mth: np.ndarray
    pols_if_bef_mat: np.ndarray
    pols_maturity: np.ndarray
    pols_new_biz: np.ndarray
    pols_if_bef_decr: np.ndarray
    mort_rate_mth: np.ndarray
    lapse_rate: np.ndarray
    pols_death: np.ndarray
    pols_lapse: np.ndarray
    premium_pp: np.ndarray
    av_pp_bef_prem: np.ndarray
    av_pp_bef_fee: np.ndarray
    maint_fee_pp: np.ndarray
    av_pp_bef_inv: np.ndarray
    inv_income_pp: np.ndarray
    av_pp_mid_mth: np.ndarray
    surr_charge_rate: np.ndarray
    premiums: np.ndarray
    maint_fee: np.ndarray
    inv_income: np.ndarray
    claims_death: np.ndarray
    claims_lapse: np.ndarray
    claims_maturity: np.ndarray
    claims: np.ndarray
    expenses: np.ndarray
    commissions: np.ndarray
    av_change: np.ndarray
    net_cf: np.ndarray
    gmdb_cost: np.ndarray
    gmab_cost: np.ndarray
    av_pp_bef_prem_next: np.ndarray
    pols_if_bef_mat_next: np.ndarray


def project_month(
    t: int, p: Points, av: np.ndarray, n: np.ndarray, inv_return: np.ndarray, basis: SavingsBasis
) -> Month:
    """Month ``t`` of every lane, from the state ``AV(t) = av`` and ``N(t) = n``.

    This is the whole recursion of SPEC.md section 5, in its order; an engine kernel
    computes exactly these steps per lane.

    Parameters
    ----------
    t : int
        Projection month.
    p : Points
        Policy constants ``(n_policies, 1)``.
    av, n : ndarray, shape (n_policies, n_scenarios) float64
        Account value per policy before premium, and policies in force before maturity,
        at the start of month ``t``.
    inv_return : ndarray, shape (1, n_scenarios) float64
        Each scenario's fund return over month ``t``.
    basis : SavingsBasis

    Returns
    -------
    Month
    """
    # 5.1 Policies: maturities and new business at the start of the month
    dur_m = duration_mth(p.duration_mth_init, t)
    dur_y = duration(dur_m)
    n_mat = pols_maturity(n, dur_m, p.policy_term)
    n_nb = pols_new_biz(dur_m, p.policy_count)
    n_dec = pols_if_bef_decr(n, n_mat, n_nb)

    # 5.2 Account value per policy through the month
    prem = prem_pp(dur_m, p)
    av_fee = av_pp_bef_fee(av, prem, p.load_prem_rate)
    fee = maint_fee_pp(av_fee, basis)
    coi = coi_pp(av_fee, p.sum_assured, basis)
    av_inv = av_pp_bef_inv(av_fee, fee, coi)
    inc = inv_income_pp(inv_return, av_inv)
    av_mid = av_pp_mid_mth(av_inv, inc)
    av_next = av_pp_bef_prem(av_inv, inc)

    # 5.3-5.4 Decrements (deaths first, then lapses of the survivors)
    q_m = mort_rate_mth(mort_rate(age(p.age_at_entry, dur_y), dur_y, basis))
    sc = surr_charge_rate(dur_y, p.surr_charge)
    w = lapse_rate(dur_y, cash_value_pp(av_mid, sc), p.sum_assured, basis)
    d = pols_death(n_dec, q_m)
    lapse = pols_lapse(n_dec, d, lapse_rate_mth(w))
    n_next = pols_if_bef_mat(n_dec, lapse, d)

    # 5.5 Cashflows
    prems = premiums(prem, n_dec)
    inc_total = inv_income(inc, n_next, d, lapse)
    c_death = claims_death(p.sum_assured, av_mid, d)
    c_lapse = claims_lapse(av_mid, sc, lapse)
    c_mat = claims_maturity(p.sum_assured, av, n_mat)
    c_all = claims(c_death, c_lapse, c_mat)
    exps = expenses(n_nb, n_dec, inflation_factor(t, basis), basis)
    comms = commissions(prems, basis)
    dav = av_change(av_next, n_next, av, n)
    return Month(
        duration_mth=dur_m,
        pols_if_bef_mat=n,
        pols_maturity=n_mat,
        pols_new_biz=n_nb,
        pols_if_bef_decr=n_dec,
        mort_rate_mth=q_m,
        lapse_rate=w,
        pols_death=d,
        pols_lapse=lapse,
        premium_pp=prem,
        av_pp_bef_prem=av,
        av_pp_bef_fee=av_fee,
        maint_fee_pp=fee,
        av_pp_bef_inv=av_inv,
        inv_income_pp=inc,
        av_pp_mid_mth=av_mid,
        surr_charge_rate=sc,
        premiums=prems,
        maint_fee=maint_fee(fee, n_dec),
        inv_income=inc_total,
        claims_death=c_death,
        claims_lapse=c_lapse,
        claims_maturity=c_mat,
        claims=c_all,
        expenses=exps,
        commissions=comms,
        av_change=dav,
        net_cf=net_cf(prems, inc_total, c_all, exps, comms, dav),
        gmdb_cost=gmdb_cost(c_death, av_mid, d),
        gmab_cost=gmab_cost(c_mat, av, n_mat),
        av_pp_bef_prem_next=av_next,
        pols_if_bef_mat_next=n_next,
    )


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def value(
    policies: pl.DataFrame,
    basis: SavingsBasis,
    fund_return: np.ndarray,
    disc_factor: np.ndarray,
    *,
    chunk_policies: int | None = None,
) -> dict[str, np.ndarray]:
    """Present values at ``t = 0`` of every lane (policy, scenario).

    Parameters
    ----------
    policies : polars.DataFrame
        The savings policy schema (:func:`livecalc_lab.model.savings_policies.read_savings_policies`):
        ``spec_id``, ``age_at_entry``, ``policy_term``, ``duration_mth``,
        ``policy_count``, ``sum_assured``, ``premium_pp``, ``av_pp_init``.
    basis : SavingsBasis
        E.g. ``load_assumptions(folder).basis("savings_ex4")``.
    fund_return : ndarray, shape (n_scenarios, n_months) float64
        Monthly fund returns ``r[s, t]`` (the same for every policy); only
        ``t < T`` is read, ``T = max proj_len``.
    disc_factor : ndarray, shape (n_months,) or (n_scenarios, n_months) float64
        Discount factor ``v(t)`` of an amount at the start of month ``t`` to ``t = 0``:
        deterministic (e.g. :func:`disc_factors`) or one row per scenario.
    chunk_policies : int, optional
        Policies projected together. Memory is ``O(chunk_policies * n_scenarios)``
        (no array over months is held); results do not depend on it, bit for bit.
        Default: about 32,000 lanes per chunk (``32768 // n_scenarios`` policies, at least 1).

    Returns
    -------
    dict[str, ndarray]
        Keys :data:`PV_NAMES`: ``pv_premiums``, ``pv_claims_death``, ``pv_claims_lapse``,
        ``pv_claims_maturity``, ``pv_claims`` (PV of total claims), ``pv_expenses``,
        ``pv_commissions``, ``pv_inv_income``, ``pv_av_change``, ``pv_net_cf``,
        ``pv_gmdb``, ``pv_gmab``, ``pv_maint_fee``; each ``(n_policies, n_scenarios)``
        float64 for all ``policy_count`` policies of the row. Each PV is summed in
        increasing ``t``, ``pv = pv + X(t) * v(t)`` from 0; ``pv_net_cf`` is formed
        from the others (:func:`pv_net_cf`).

    Raises
    ------
    DataError
        An unknown ``spec_id``; a policy the basis cannot value (attained age outside
        the mortality table with ``outside_table = "error"``, a whole-life entry age at
        or above the last age, a dynamic lapse with ``sum_assured`` 0); scenario arrays
        of the wrong shape, too short for ``T`` months, non-finite, a fund return
        ``<= -1`` or a discount factor ``<= 0``.

    Source: lifelib CashValue_ME_EX4 / EX2 ``result_pv``; SPEC.md sections 5 and 6.
    """
    p, n_months, r, v = _prepare(policies, basis, fund_return, disc_factor)
    n_pol, n_scen = len(p.policy_count), r.shape[0]
    out = {name: np.zeros((n_pol, n_scen)) for name in PV_NAMES}
    if chunk_policies is not None and (isinstance(chunk_policies, bool) or chunk_policies < 1):
        raise ValueError(f"chunk_policies must be a positive integer, got {chunk_policies!r}")
    step = chunk_policies or max(1, _LANES_PER_CHUNK // n_scen)
    for lo in range(0, n_pol, step):
        rows = slice(lo, min(lo + step, n_pol))
        pv = _value_chunk(p.take(rows), n_months, r, v, basis)
        for name in PV_NAMES:
            out[name][rows] = pv[name]
    return out


def _value_chunk(p: Points, n_months: int, r: np.ndarray, v: np.ndarray, basis: SavingsBasis) -> dict[str, np.ndarray]:
    """PVs of one chunk of policies: step over ``t``, accumulating ``pv += X(t) * v(t)``."""
    n_scen = r.shape[0]
    av, n = av_pp_init(p, n_scen), pols_if_init(p, n_scen)
    pv = {name: np.zeros(av.shape) for name in _PV_OF}
    for t in range(n_months):
        m = project_month(t, p, av, n, r[None, :, t], basis)
        v_t = v[None, :, t]
        for name, cf in _PV_OF.items():
            pv[name] += getattr(m, cf) * v_t
        av, n = m.av_pp_bef_prem_next, m.pols_if_bef_mat_next
    pv["pv_net_cf"] = pv_net_cf(pv)
    return pv


def cashflows(
    policies: pl.DataFrame,
    basis: SavingsBasis,
    fund_return: np.ndarray,
    disc_factor: np.ndarray,
    scenario: int,
    *,
    total: bool = False,
) -> pl.DataFrame:
    """The monthly series of one scenario: every quantity of SPEC.md section 6a, for debugging.

    Parameters
    ----------
    policies, basis, fund_return, disc_factor
        As for :func:`value`.
    scenario : int
        Row of ``fund_return`` (0-based; lifelib's ``scen_id`` 1 is row 0).
    total : bool
        False: one row per (policy, t). True: one row per ``t``, summed over policies.

    Returns
    -------
    polars.DataFrame
        ``total=False``: columns :data:`CF_COLUMNS` (lifelib's debug series, with
        ``policy_id`` for ``point_id`` and ``scenario`` for ``scen_id``), rows in policy
        order then ``t = 0 .. T - 1``; ``policy_id`` as given, ``scenario`` and ``t``
        Int32, ``duration_mth`` Int64, the rest Float64. Rates (``mort_rate_mth``,
        ``lapse_rate`` annual, ``surr_charge_rate``) and ``*_pp`` amounts are per
        policy, the cashflows for all policies of the row.

        ``total=True``: columns :data:`CF_TOTAL_COLUMNS`, one row per ``t``: the counts
        and cashflows summed over policies, ``av_bef_mat`` = the sum of
        ``AV(t) * N(t)``, and ``disc_factor`` (lifelib's ``*_cf_total.csv``).

    Raises
    ------
    DataError
        As for :func:`value`, or ``scenario`` not a row of ``fund_return``.
    """
    fr = np.asarray(fund_return, dtype=np.float64)
    if fr.ndim != 2 or not 0 <= scenario < fr.shape[0]:
        raise DataError(f"scenario {scenario} is not a row of fund_return (shape {fr.shape})")
    dv = np.asarray(disc_factor, dtype=np.float64)
    dv = dv[scenario : scenario + 1] if dv.ndim == 2 else dv
    p, n_months, r, v = _prepare(policies, basis, fr[scenario : scenario + 1], dv)
    n_pol = len(p.policy_count)
    av, n = av_pp_init(p, 1), pols_if_init(p, 1)
    rows: dict[str, list[np.ndarray]] = {c: [] for c in CF_COLUMNS[2:]}
    if total:
        rows = {c: [] for c in CF_TOTAL_COLUMNS}
    for t in range(n_months):
        m = project_month(t, p, av, n, r[None, :, t], basis)
        cols = {name: np.broadcast_to(x, (n_pol, 1))[:, 0] for name, x in m._asdict().items()}
        cols["t"] = np.full(n_pol, t)
        cols["inv_return"] = np.full(n_pol, r[0, t])
        cols["disc_factor"] = np.full(n_pol, v[0, t])
        if total:
            cols["av_bef_mat"] = cols["av_pp_bef_prem"] * cols["pols_if_bef_mat"]
            for c in CF_TOTAL_COLUMNS:
                rows[c].append(np.array([t if c == "t" else v[0, t] if c == "disc_factor" else cols[c].sum()]))
        else:
            for c in rows:
                rows[c].append(cols[c])
        av, n = m.av_pp_bef_prem_next, m.pols_if_bef_mat_next
    stacked = {c: np.stack(x, axis=1).reshape(-1) if x else np.zeros(0) for c, x in rows.items()}  # policy-major
    if total:
        return pl.DataFrame(
            [pl.Series("t", stacked["t"], dtype=pl.Int32)]
            + [pl.Series(c, stacked[c], dtype=pl.Float64) for c in CF_TOTAL_COLUMNS[1:]]
        )
    ids = policies["policy_id"].gather(np.repeat(np.arange(n_pol), n_months))
    return pl.DataFrame(
        [ids, pl.Series("scenario", np.full(n_pol * n_months, scenario), dtype=pl.Int32)]
        + [pl.Series("t", stacked["t"], dtype=pl.Int32)]
        + [pl.Series("duration_mth", stacked["duration_mth"], dtype=pl.Int64)]
        + [pl.Series(c, stacked[c], dtype=pl.Float64) for c in CF_COLUMNS[4:]]
    )


# --------------------------------------------------------------------------------------
# Checks shared by the entry points
# --------------------------------------------------------------------------------------


def _prepare(
    policies: pl.DataFrame, basis: SavingsBasis, fund_return: np.ndarray, disc_factor: np.ndarray
) -> tuple[Points, int, np.ndarray, np.ndarray]:
    """Policy constants, ``T``, and the scenario arrays as ``(n_scenarios, >= T)`` float64 (checked)."""
    p = points(policies, basis)
    n_months = int(proj_len(p.duration_mth_init, p.policy_term).max(initial=0))
    _check_policies(policies, p, basis)
    r = np.asarray(fund_return, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] == 0:
        raise DataError(f"fund_return must be (n_scenarios, n_months) with at least one scenario, got shape {r.shape}")
    v = np.asarray(disc_factor, dtype=np.float64)
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[0] not in (1, r.shape[0]):
        raise DataError(
            f"disc_factor must be (n_months,) or (n_scenarios, n_months) = ({r.shape[0]}, n), got shape {v.shape}"
        )
    for name, a, lo in (("fund_return", r, -1.0), ("disc_factor", v, 0.0)):
        if a.shape[1] < n_months:
            raise DataError(
                f"{name} covers {a.shape[1]} months, but the policies need {n_months} (t = 0..{n_months - 1})"
            )
        used = a[:, :n_months]
        bad = np.argwhere(~np.isfinite(used) | (used <= lo))
        if len(bad):
            s, t = (int(x) for x in bad[0])
            rule = (
                "a monthly return must be finite and above -1 (the fund index must stay positive)"
                if name == "fund_return"
                else "a discount factor must be finite and positive"
            )
            raise DataError(f"{name}[{s}, {t}] = {float(used[s, t])!r}: {rule}")
    return p, n_months, r, v


def _check_policies(policies: pl.DataFrame, p: Points, basis: SavingsBasis) -> None:
    """Reject policies the basis cannot value (see :func:`value`'s Raises)."""
    term_m = 12 * p.policy_term[:, 0]
    dur0 = p.duration_mth_init[:, 0]
    past = np.flatnonzero(dur0 > term_m)
    if len(past):
        row = int(past[0])
        raise DataError(
            f"row {row + 1:,} column 'duration_mth': {int(dur0[row])} is past the policy's maturity "
            f"(12 x term = {int(term_m[row])} months)"
        )
    if basis.lapse_dynamic:
        zero = np.flatnonzero(p.sum_assured[:, 0] <= 0)
        if len(zero):
            row = int(zero[0])
            raise DataError(
                f"row {row + 1:,} column 'sum_assured': {float(p.sum_assured[row, 0])!r} must be positive for the "
                "dynamic lapse (it divides the cash value)"
            )
    if basis.has_mortality and basis.mort_outside_table == "error":
        # Exposed months: 0 <= duration_mth(t) < 12 * term, policy years first..term - 1.
        first_age = p.age_at_entry[:, 0] + np.maximum(dur0, 0) // 12
        last_age = p.age_at_entry[:, 0] + p.policy_term[:, 0] - 1
        bad = np.flatnonzero((dur0 < term_m) & ((first_age < basis.mort_min_age) | (last_age > basis.mort_max_age)))
        if len(bad):
            row = int(bad[0])
            raise DataError(
                f"row {row + 1:,} columns 'age_at_entry', 'policy_term': attained ages {int(first_age[row])}.."
                f"{int(last_age[row])} leave the mortality table (ages {basis.mort_min_age}..{basis.mort_max_age}) "
                f"of product {basis.product!r}"
            )
