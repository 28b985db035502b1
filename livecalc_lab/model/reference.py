"""The readable reference model of the level-term product, in plain numpy.

This module is the executable specification of the level-term product: lifelib
``basiclife`` BasicTerm_S (new business) and BasicTerm_SE (in-force plus future
new business), as written down in ``SPEC.md`` of the lifelib BasicTerm data.
The WASM engine must agree with it to 1e-9 relative (DESIGN.md section 4).

It is written to be read, lifelib style: one small function per actuarial
quantity, named from the glossary (DESIGN.md section 3), each docstring giving
the formula, when the amount falls and where it comes from. Speed is secondary
(a few tenths of a second for 10,000 policies); clarity is not.

Conventions
-----------
- ``t`` is projection time in months from the valuation date, ``t = 0, 1, ...``.
  Every cashflow of month ``t`` falls at the *beginning* of the month and is
  discounted with ``v(t)``.
- Per-policy quantities are 2-D arrays of shape ``(n_policies, n_months)``
  float64 (row = policy, column = month ``t``); quantities of time only are
  ``(n_months,)`` float64; per-policy constants are ``(n_policies,)``.
- Every policy is projected with the in-force recurrence of BasicTerm_SE
  (SPEC.md section 4). A new-business policy is ``duration_mth = 0`` at
  ``t = 0``, and then the recurrence reproduces BasicTerm_S (SPEC.md section 3)
  exactly, so one model serves both.
- ``pols_if`` is the number in force *before decrements* of month ``t``: after
  that month's maturities and new business (lifelib's ``pols_if_at(t, "BEF_DECR")``).
- Cashflows are for all ``policy_count`` policies of a row.
- All policies of a batch share the horizon ``n_months = max(proj_len)``; each
  policy's quantities are zero after its own projection ends.

Only :func:`value` and :func:`cashflows` take a polars frame; everything else
takes numpy arrays. Inputs are not validated here (the caller does that); an
attained age outside the mortality table raises :class:`IndexError`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from livecalc_lab.assumptions.assumption_set import ProductBasis

__all__ = [
    "value",
    "cashflows",
    "proj_len",
    "duration_mth",
    "duration",
    "age",
    "is_active",
    "mort_rate",
    "mort_rate_mth",
    "lapse_rate",
    "lapse_rate_mth",
    "commission_rate",
    "disc_rate_mth",
    "disc_factors",
    "inflation_factor",
    "pols_if_init",
    "pols_maturity",
    "pols_new_biz",
    "pols_if",
    "pols_death",
    "pols_lapse",
    "pols_bef_mat",
    "Decrements",
    "project_decrements",
    "net_premium_pp",
    "premium_pp",
    "premiums",
    "claims",
    "expenses",
    "commissions",
    "net_cf",
    "present_value",
    "pv_premiums",
    "pv_claims",
    "pv_expenses",
    "pv_commissions",
    "pv_net_cf",
]

# --------------------------------------------------------------------------------------
# Time and policy state
# --------------------------------------------------------------------------------------


def proj_len(duration_mth_init: np.ndarray, policy_term: np.ndarray) -> np.ndarray:
    """Number of projected months of each policy.

    ``proj_len = max(12 * policy_term - duration_mth(0) + 1, 0)``: months
    ``t = 0 .. proj_len - 1``, the last being the month of maturity. A new-business
    policy has ``12 * policy_term + 1`` months; a policy past maturity has none.

    Parameters
    ----------
    duration_mth_init : ndarray, shape (n_policies,) int64
        Months in force at ``t = 0`` (<= 0: issued at ``t = -duration_mth_init``).
    policy_term : ndarray, shape (n_policies,) int64
        Term in years.

    Returns
    -------
    ndarray, shape (n_policies,) int64

    Source: lifelib BasicTerm_SE ``proj_len``; SPEC.md sections 3 and 4.
    """
    return np.maximum(12 * policy_term - duration_mth_init + 1, 0)


def duration_mth(duration_mth_init: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Months in force at month ``t``: ``duration_mth(t) = duration_mth(0) + t``.

    Negative before issue. Returns ``(n_policies, n_months)`` int64.

    Source: lifelib BasicTerm_SE ``duration_mth``; SPEC.md section 4.
    """
    # Stored month-major (Fortran order): month t of all policies is contiguous,
    # which is how the recurrence of project_decrements walks. Elementwise
    # operations on it keep that layout.
    return np.add.outer(t, duration_mth_init).T


def duration(duration_mth: np.ndarray) -> np.ndarray:
    """Policy year at month ``t``: ``duration(t) = duration_mth(t) // 12`` (floor).

    0 in the first policy year, negative before issue. Same shape as the input, int64.

    Source: lifelib BasicTerm_S / SE ``duration``; SPEC.md sections 3 and 4.
    """
    return duration_mth // 12


def age(age_at_entry: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Attained age at month ``t``: ``age(t) = age_at_entry + duration(t)``.

    Returns ``(n_policies, n_months)`` int64 from ``age_at_entry`` (n_policies,)
    and ``duration`` (n_policies, n_months).

    Source: lifelib BasicTerm_S / SE ``age``; SPEC.md sections 3 and 4.
    """
    return age_at_entry[:, None] + duration


def is_active(duration_mth: np.ndarray, policy_term: np.ndarray) -> np.ndarray:
    """Whether the policy is on the books at month ``t``: ``0 <= duration_mth(t) <= 12 * policy_term``.

    Outside these months every rate, decrement and count is 0. Returns
    ``(n_policies, n_months)`` bool.

    Source: SPEC.md section 4.
    """
    return (duration_mth >= 0) & (duration_mth <= 12 * policy_term[:, None])


# --------------------------------------------------------------------------------------
# Decrement rates
# --------------------------------------------------------------------------------------


def mort_rate(age: np.ndarray, duration: np.ndarray, active: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Annual probability of death ``qx`` at month ``t``, select and ultimate.

    ``qx(t) = basis.mort_qx[age(t) - basis.mort_min_age, min(duration(t), k)]`` with
    ``k`` the last (ultimate) column, so policy year ``d`` uses column ``d`` while
    ``d < k`` and the ultimate column from year ``k`` on. 0 where the policy is not
    active (no one is exposed).

    Parameters
    ----------
    age, duration : ndarray, shape (n_policies, n_months) int64
    active : ndarray, shape (n_policies, n_months) bool
    basis : ProductBasis

    Returns
    -------
    ndarray, shape (n_policies, n_months) float64

    Raises
    ------
    IndexError
        An active month's attained age lies outside the table.

    Source: lifelib BasicTerm_S / SE ``mort_rate`` (select period 5, ultimate
    column "5"); SPEC.md sections 3 and 4.
    """
    n_ages, n_cols = basis.mort_qx.shape
    row = np.where(active, age - basis.mort_min_age, 0)
    if row.size and (row.min() < 0 or row.max() >= n_ages):
        bad = int(age[active & ((row < 0) | (row >= n_ages))][0])
        raise IndexError(
            f"attained age {bad} is outside the mortality table (ages {basis.mort_min_age}..{basis.mort_max_age})"
        )
    col = np.clip(duration, 0, n_cols - 1)
    return np.where(active, basis.mort_qx[row, col], 0.0)


def mort_rate_mth(mort_rate: np.ndarray) -> np.ndarray:
    """Monthly probability of death: ``q_m(t) = 1 - (1 - qx(t)) ** (1/12)``.

    Same shape as ``mort_rate``, float64. Source: lifelib ``mort_rate_mth``; SPEC.md section 3.
    """
    return 1 - (1 - mort_rate) ** (1 / 12)


def lapse_rate(duration: np.ndarray, active: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Annual lapse rate by policy year: ``lapse(t) = basis.lapse_ann[min(duration(t), n - 1)]``.

    Years past the end of ``basis.lapse_ann`` (length ``n``) use its last value;
    0 where the policy is not active. The demo basis holds lifelib's
    ``max(0.1 - 0.02 * duration, 0.02)``.

    Returns ``(n_policies, n_months)`` float64 from ``duration`` and ``active`` of that shape.

    Source: lifelib BasicTerm_S / SE ``lapse_rate``; SPEC.md section 3.
    """
    year = np.clip(duration, 0, len(basis.lapse_ann) - 1)
    return np.where(active, basis.lapse_ann[year], 0.0)


def lapse_rate_mth(lapse_rate: np.ndarray) -> np.ndarray:
    """Monthly lapse rate: ``l_m(t) = 1 - (1 - lapse(t)) ** (1/12)``.

    Same shape as ``lapse_rate``, float64. Source: SPEC.md section 3.
    """
    return 1 - (1 - lapse_rate) ** (1 / 12)


def commission_rate(duration: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Commission as a share of premium: ``basis.commission_rates[duration(t)]``, 0 from year ``n`` on.

    ``n = len(basis.commission_rates)``; lifelib pays 100% in policy year 0 only
    (also for policies already in force in their first year at t = 0).

    Returns ``(n_policies, n_months)`` float64 from ``duration`` of that shape.

    Source: lifelib BasicTerm_S / SE ``commissions``; SPEC.md sections 3 and 4.
    """
    rates = np.append(basis.commission_rates, 0.0)  # the extra last entry is "year n and later"
    year = np.clip(duration, 0, len(rates) - 1)
    return np.where(duration >= 0, rates[year], 0.0)


# --------------------------------------------------------------------------------------
# Economic assumptions (functions of t only)
# --------------------------------------------------------------------------------------


def disc_rate_mth(t: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Monthly discount rate: ``j(t) = (1 + r[t // 12]) ** (1/12) - 1``.

    ``r`` is ``basis.disc_zero_ann``, the annual effective zero-spot rate of the
    projection year that contains month ``t``. ``t`` is ``(n_months,)`` int64;
    returns ``(n_months,)`` float64.

    Raises
    ------
    IndexError
        The curve does not reach month ``t``.

    Source: lifelib ``disc_rate_mth``; SPEC.md section 3.
    """
    return (1 + basis.disc_zero_ann[t // 12]) ** (1 / 12) - 1


def disc_factors(t: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Discount factor to ``t = 0`` of an amount at the beginning of month ``t``: ``v(t) = (1 + j(t)) ** (-t)``.

    Equal to ``(1 + r[t // 12]) ** (-t / 12)``. ``t`` is ``(n_months,)`` int64;
    returns ``(n_months,)`` float64.

    Source: lifelib ``disc_factors``; SPEC.md section 3.
    """
    return (1 + disc_rate_mth(t, basis)) ** (-t.astype(np.float64))


def inflation_factor(t: np.ndarray, basis: ProductBasis) -> np.ndarray:
    """Expense inflation from the valuation date: ``(1 + basis.inflation_ann) ** (t / 12)``.

    ``t`` is ``(n_months,)`` int64; returns ``(n_months,)`` float64.

    Source: lifelib ``inflation_factor``; SPEC.md sections 3 and 4.
    """
    return (1 + basis.inflation_ann) ** (t / 12)


# --------------------------------------------------------------------------------------
# Policies in force and decrements (SPEC.md section 4: BEF_MAT, BEF_NB, BEF_DECR)
# --------------------------------------------------------------------------------------


def pols_if_init(duration_mth_init: np.ndarray, policy_term: np.ndarray, policy_count: np.ndarray) -> np.ndarray:
    """Policies in force at ``t = 0`` before maturities (BEF_MAT(0)).

    ``policy_count`` if ``0 < duration_mth(0) <= 12 * policy_term`` (already
    issued, not yet gone), else 0: new business enters through :func:`pols_new_biz`.
    All arrays ``(n_policies,)``; returns float64.

    Source: lifelib BasicTerm_SE ``pols_if_init``; SPEC.md section 4.
    """
    issued = (duration_mth_init > 0) & (duration_mth_init <= 12 * policy_term)
    return np.where(issued, policy_count, 0.0)


def pols_maturity(pols_bef_mat: np.ndarray, duration_mth: np.ndarray, policy_term: np.ndarray) -> np.ndarray:
    """Policies maturing at the beginning of month ``t``.

    ``pols_maturity(t) = BEF_MAT(t)`` if ``duration_mth(t) == 12 * policy_term``,
    else 0. Elementwise on arrays of one shape ((n_policies,) for one month);
    returns float64.

    Source: lifelib BasicTerm_S / SE ``pols_maturity``; SPEC.md sections 3 and 4.
    """
    return np.where(duration_mth == 12 * policy_term, pols_bef_mat, 0.0)


def pols_new_biz(duration_mth: np.ndarray, policy_count: np.ndarray) -> np.ndarray:
    """Policies issued at the beginning of month ``t``: ``policy_count`` where ``duration_mth(t) == 0``, else 0.

    ``duration_mth`` is ``(n_policies, n_months)`` int64, ``policy_count``
    ``(n_policies,)``; returns ``(n_policies, n_months)`` float64.

    Source: lifelib BasicTerm_SE ``pols_new_biz``; SPEC.md section 4.
    """
    return np.where(duration_mth == 0, policy_count[:, None], 0.0)


def pols_if(pols_bef_mat: np.ndarray, pols_maturity: np.ndarray, pols_new_biz: np.ndarray) -> np.ndarray:
    """Policies in force at month ``t`` before decrements (BEF_DECR).

    ``pols_if(t) = BEF_MAT(t) - pols_maturity(t) + pols_new_biz(t)``: maturities
    leave and new business joins at the beginning of the month, before deaths and
    lapses. Premiums, maintenance expenses and decrements of month ``t`` are on
    this count. Elementwise; returns float64.

    Source: lifelib BasicTerm_SE ``pols_if_at(t, "BEF_DECR")``; BasicTerm_S
    ``pols_if``; SPEC.md sections 3 and 4.
    """
    return pols_bef_mat - pols_maturity + pols_new_biz


def pols_death(pols_if: np.ndarray, mort_rate_mth: np.ndarray) -> np.ndarray:
    """Deaths in month ``t``: ``pols_death(t) = pols_if(t) * q_m(t)``.

    The death benefit is paid at the beginning of month ``t`` (see :func:`claims`).
    Elementwise; returns float64.

    Source: lifelib ``pols_death``; SPEC.md section 3.
    """
    return pols_if * mort_rate_mth


def pols_lapse(pols_if: np.ndarray, pols_death: np.ndarray, lapse_rate_mth: np.ndarray) -> np.ndarray:
    """Lapses in month ``t``: ``pols_lapse(t) = (pols_if(t) - pols_death(t)) * l_m(t)``.

    Deaths come first; lapses apply to the survivors. Elementwise; returns float64.

    Source: lifelib ``pols_lapse``; SPEC.md section 3.
    """
    return (pols_if - pols_death) * lapse_rate_mth


def pols_bef_mat(pols_if: np.ndarray, pols_lapse: np.ndarray, pols_death: np.ndarray) -> np.ndarray:
    """Policies in force at month ``t + 1`` before maturities (BEF_MAT(t + 1)), from month ``t``.

    ``BEF_MAT(t + 1) = pols_if(t) - pols_lapse(t) - pols_death(t)``. Elementwise;
    returns float64.

    Source: lifelib BasicTerm_SE ``pols_if_at(t, "BEF_MAT")``; SPEC.md section 4.
    """
    return pols_if - pols_lapse - pols_death


class Decrements(NamedTuple):
    """Policy counts of a projection, each ``(n_policies, n_months)`` float64."""

    pols_if: np.ndarray
    pols_death: np.ndarray
    pols_lapse: np.ndarray
    pols_maturity: np.ndarray
    pols_new_biz: np.ndarray


def project_decrements(
    duration_mth: np.ndarray,
    policy_term: np.ndarray,
    policy_count: np.ndarray,
    mort_rate_mth: np.ndarray,
    lapse_rate_mth: np.ndarray,
) -> Decrements:
    """Run the in-force recurrence month by month, all policies at once.

    For ``t = 0, 1, ..., n_months - 1``::

        BEF_MAT(0)       = pols_if_init
        BEF_MAT(t)       = pols_if(t-1) - pols_lapse(t-1) - pols_death(t-1)      (t > 0)
        pols_maturity(t) = BEF_MAT(t) where duration_mth(t) == 12 * policy_term
        pols_if(t)       = BEF_MAT(t) - pols_maturity(t) + pols_new_biz(t)      (BEF_DECR)
        pols_death(t)    = pols_if(t) * q_m(t)
        pols_lapse(t)    = (pols_if(t) - pols_death(t)) * l_m(t)

    Before issue and after maturity every count is 0.

    Parameters
    ----------
    duration_mth : ndarray, shape (n_policies, n_months) int64
    policy_term : ndarray, shape (n_policies,) int64
        Years.
    policy_count : ndarray, shape (n_policies,) float64
    mort_rate_mth, lapse_rate_mth : ndarray, shape (n_policies, n_months) float64

    Returns
    -------
    Decrements

    Source: lifelib BasicTerm_SE; SPEC.md section 4 (reduces to section 3 when
    ``duration_mth(0) = 0``).
    """
    n, n_months = duration_mth.shape
    # Month-major (Fortran) storage: month t of every policy is one contiguous column.
    # (No copy when the inputs already are, as those built from duration_mth() are.)
    q_m = np.asfortranarray(mort_rate_mth)
    l_m = np.asfortranarray(lapse_rate_mth)
    dur = np.asfortranarray(duration_mth)
    new_biz = np.asfortranarray(pols_new_biz(duration_mth, policy_count))
    if_, death, lapse, maturity = (np.zeros((n, n_months), order="F") for _ in range(4))
    bef_mat = pols_if_init(duration_mth[:, 0], policy_term, policy_count) if n_months else None
    for t in range(n_months):
        if t > 0:
            bef_mat = pols_bef_mat(if_[:, t - 1], lapse[:, t - 1], death[:, t - 1])
        maturity[:, t] = pols_maturity(bef_mat, dur[:, t], policy_term)
        if_[:, t] = pols_if(bef_mat, maturity[:, t], new_biz[:, t])
        death[:, t] = pols_death(if_[:, t], q_m[:, t])
        lapse[:, t] = pols_lapse(if_[:, t], death[:, t], l_m[:, t])
    return Decrements(if_, death, lapse, maturity, new_biz)


# --------------------------------------------------------------------------------------
# Premium
# --------------------------------------------------------------------------------------


def net_premium_pp(
    age_at_entry: np.ndarray, policy_term: np.ndarray, sum_assured: np.ndarray, basis: ProductBasis
) -> np.ndarray:
    """Level monthly net premium per policy by the equivalence principle at issue.

    ``net_premium_pp = sum_assured * PV(pols_death) / PV(pols_if)`` where both PVs
    are those of one new-business policy of the same ``age_at_entry`` and
    ``policy_term``, projected from issue (``duration_mth(0) = 0``) over
    ``12 * policy_term + 1`` months and discounted with ``v(t)`` of the curve as
    at ``t = 0``. Premiums fall at the beginning of each month in force, so
    ``PV(pols_if)`` is the annuity-due factor.

    All arrays ``(n_policies,)``; returns float64. Policies already in force, or
    issued later, get the premium of the same policy issued at ``t = 0``.

    Source: lifelib BasicTerm_S ``net_premium_pp``; SPEC.md section 3.
    """
    # The ratio depends only on (age_at_entry, policy_term): project each pair once.
    pairs, which = np.unique(np.stack([age_at_entry, policy_term], axis=1), axis=0, return_inverse=True)
    ages, terms = pairs[:, 0], pairs[:, 1]
    ones = np.ones(len(pairs))
    proj = _project_counts(ages, terms, np.zeros_like(terms), ones, basis)
    ratio = present_value(proj.dec.pols_death, proj.disc_factors) / present_value(proj.dec.pols_if, proj.disc_factors)
    return sum_assured * ratio[which.reshape(-1)]


def premium_pp(
    age_at_entry: np.ndarray,
    policy_term: np.ndarray,
    sum_assured: np.ndarray,
    premium_rate: np.ndarray | None,
    basis: ProductBasis,
) -> np.ndarray:
    """Level monthly premium per policy, paid at the beginning of each month in force.

    - ``basis.premium_basis == "equivalence"``:
      ``round((1 + basis.premium_loading) * net_premium_pp, d)``.
    - ``basis.premium_basis == "table"``: ``round(sum_assured * premium_rate, d)``,
      ``premium_rate`` being the monthly rate per unit sum assured of the policy.

    ``d = basis.premium_round_decimals`` and ``round`` is Python's built-in
    ``round(x, d)`` on each policy's float (round half to even on the exact binary
    value); ``d = -1`` means no rounding.

    All arrays ``(n_policies,)``; returns float64.

    Source: lifelib BasicTerm_S ``premium_pp`` (loading 50%, 2 decimals) and
    BasicTerm_SE ``premium_pp`` (premium table); SPEC.md sections 3 and 4.
    """
    if basis.premium_basis == "equivalence":
        raw = (1 + basis.premium_loading) * net_premium_pp(age_at_entry, policy_term, sum_assured, basis)
    elif basis.premium_basis == "table":
        raw = sum_assured * premium_rate
    else:
        raise ValueError(f"unknown premium basis {basis.premium_basis!r}")
    d = basis.premium_round_decimals
    if d < 0:
        return raw
    return np.array([round(x, d) for x in raw.tolist()], dtype=np.float64)


# --------------------------------------------------------------------------------------
# Cashflows, each at the beginning of month t, (n_policies, n_months) float64
# --------------------------------------------------------------------------------------


def premiums(premium_pp: np.ndarray, pols_if: np.ndarray) -> np.ndarray:
    """Premium income: ``premiums(t) = premium_pp * pols_if(t)``.

    Source: lifelib ``premiums``; SPEC.md sections 3 and 4.
    """
    return premium_pp[:, None] * pols_if


def claims(sum_assured: np.ndarray, pols_death: np.ndarray) -> np.ndarray:
    """Death benefits: ``claims(t) = sum_assured * pols_death(t)``, paid at the beginning of month ``t``.

    Source: lifelib ``claims``; SPEC.md sections 3 and 4.
    """
    return sum_assured[:, None] * pols_death


def expenses(
    pols_new_biz: np.ndarray, pols_if: np.ndarray, inflation_factor: np.ndarray, basis: ProductBasis
) -> np.ndarray:
    """Expenses: acquisition on issue plus inflated monthly maintenance.

    ``expenses(t) = acquisition * pols_new_biz(t)
    + pols_if(t) * maintenance_ann / 12 * inflation_factor(t)``.

    Acquisition is charged only for policies issued at ``t >= 0``; inflation runs
    from the valuation date, not from issue. ``inflation_factor`` is ``(n_months,)``.

    Source: lifelib BasicTerm_S / SE ``expenses``; SPEC.md sections 3 and 4.
    """
    return basis.acquisition * pols_new_biz + pols_if * basis.maintenance_ann / 12 * inflation_factor[None, :]


def commissions(commission_rate: np.ndarray, premiums: np.ndarray) -> np.ndarray:
    """Commissions: ``commissions(t) = commission_rate(t) * premiums(t)``.

    Source: lifelib ``commissions``; SPEC.md sections 3 and 4.
    """
    return commission_rate * premiums


def net_cf(premiums: np.ndarray, claims: np.ndarray, expenses: np.ndarray, commissions: np.ndarray) -> np.ndarray:
    """Net cashflow: ``net_cf(t) = premiums(t) - claims(t) - expenses(t) - commissions(t)``.

    Source: lifelib ``net_cf``; SPEC.md section 3.
    """
    return premiums - claims - expenses - commissions


# --------------------------------------------------------------------------------------
# Present values at t = 0, (n_policies,) float64
# --------------------------------------------------------------------------------------


def present_value(cf: np.ndarray, disc_factors: np.ndarray) -> np.ndarray:
    """``PV = sum over t of cf(t) * v(t)``, per policy.

    ``cf`` is ``(n_policies, n_months)``, ``disc_factors`` ``(n_months,)``; returns
    ``(n_policies,)`` float64. Each row is summed on its own, so a policy's PV does
    not depend on the other rows or on row order.

    Source: lifelib ``pv_*``; SPEC.md section 3.
    """
    return np.sum(cf * disc_factors[None, :], axis=1)


def pv_premiums(premiums: np.ndarray, disc_factors: np.ndarray) -> np.ndarray:
    """Present value of premiums: ``sum_t premiums(t) * v(t)``. Source: lifelib ``pv_premiums``."""
    return present_value(premiums, disc_factors)


def pv_claims(claims: np.ndarray, disc_factors: np.ndarray) -> np.ndarray:
    """Present value of claims: ``sum_t claims(t) * v(t)``. Source: lifelib ``pv_claims``."""
    return present_value(claims, disc_factors)


def pv_expenses(expenses: np.ndarray, disc_factors: np.ndarray) -> np.ndarray:
    """Present value of expenses: ``sum_t expenses(t) * v(t)``. Source: lifelib ``pv_expenses``."""
    return present_value(expenses, disc_factors)


def pv_commissions(commissions: np.ndarray, disc_factors: np.ndarray) -> np.ndarray:
    """Present value of commissions: ``sum_t commissions(t) * v(t)``. Source: lifelib ``pv_commissions``."""
    return present_value(commissions, disc_factors)


def pv_net_cf(
    pv_premiums: np.ndarray, pv_claims: np.ndarray, pv_expenses: np.ndarray, pv_commissions: np.ndarray
) -> np.ndarray:
    """Present value of net cashflows: ``pv_premiums - pv_claims - pv_expenses - pv_commissions``.

    Equal to ``sum_t net_cf(t) * v(t)`` up to rounding. Higher is more profitable.

    Source: lifelib ``pv_net_cf``; SPEC.md section 3.
    """
    return pv_premiums - pv_claims - pv_expenses - pv_commissions


# --------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------


class _Counts(NamedTuple):
    t: np.ndarray
    duration: np.ndarray
    disc_factors: np.ndarray
    dec: Decrements


def _project_counts(
    age_at_entry: np.ndarray,
    policy_term: np.ndarray,
    duration_mth_init: np.ndarray,
    policy_count: np.ndarray,
    basis: ProductBasis,
) -> _Counts:
    """Policy counts of a batch over the common horizon ``max(proj_len)``."""
    n_months = int(proj_len(duration_mth_init, policy_term).max(initial=0))
    t = np.arange(n_months, dtype=np.int64)
    dur_mth = duration_mth(duration_mth_init, t)
    dur = duration(dur_mth)
    active = is_active(dur_mth, policy_term)
    q_m = mort_rate_mth(mort_rate(age(age_at_entry, dur), dur, active, basis))
    l_m = lapse_rate_mth(lapse_rate(dur, active, basis))
    dec = project_decrements(dur_mth, policy_term, policy_count, q_m, l_m)
    return _Counts(t, dur, disc_factors(t, basis), dec)


class _Projection(NamedTuple):
    t: np.ndarray
    disc_factors: np.ndarray
    dec: Decrements
    premium_pp: np.ndarray
    premiums: np.ndarray
    claims: np.ndarray
    expenses: np.ndarray
    commissions: np.ndarray
    net_cf: np.ndarray


def _project(policies: pl.DataFrame, basis: ProductBasis) -> _Projection:
    """Every per-policy quantity of ``policies``, month by month."""

    def col(name: str, dtype: type) -> np.ndarray:
        return policies[name].to_numpy().astype(dtype)

    age_at_entry = col("age_at_entry", np.int64)
    policy_term = col("policy_term", np.int64)
    sum_assured = col("sum_assured", np.float64)
    rate = col("premium_rate", np.float64) if basis.premium_basis == "table" else None

    duration_mth_init = col("duration_mth", np.int64)
    counts = _project_counts(age_at_entry, policy_term, duration_mth_init, col("policy_count", np.float64), basis)
    dec = counts.dec
    pp = premium_pp(age_at_entry, policy_term, sum_assured, rate, basis)
    prem = premiums(pp, dec.pols_if)
    clm = claims(sum_assured, dec.pols_death)
    exp = expenses(dec.pols_new_biz, dec.pols_if, inflation_factor(counts.t, basis), basis)
    comm = commissions(commission_rate(counts.duration, basis), prem)
    return _Projection(counts.t, counts.disc_factors, dec, pp, prem, clm, exp, comm, net_cf(prem, clm, exp, comm))


def value(policies: pl.DataFrame, basis: ProductBasis) -> pl.DataFrame:
    """Present values at ``t = 0`` of each policy's cashflows.

    Parameters
    ----------
    policies : polars.DataFrame
        Columns ``policy_id``, ``age_at_entry`` (Int32), ``policy_term`` (Int32,
        years), ``duration_mth`` (Int32, months in force at ``t = 0``; 0 for new
        business), ``policy_count`` (Float64), ``sum_assured`` (Float64), and
        ``premium_rate`` (Float64, monthly per unit sum assured) when
        ``basis.premium_basis == "table"``. Not validated here.
    basis : ProductBasis
        The product's assumptions, e.g. ``demo_assumptions().basis("basic_term_s")``.

    Returns
    -------
    polars.DataFrame
        One row per policy, in input order: ``policy_id``, ``premium_pp``,
        ``pv_premiums``, ``pv_claims``, ``pv_expenses``, ``pv_commissions``,
        ``pv_net_cf`` (Float64), for all ``policy_count`` policies of the row
        (``premium_pp`` is per policy).

    Raises
    ------
    IndexError
        An attained age outside the mortality table, or months past the discount curve.

    Source: lifelib BasicTerm_S / BasicTerm_SE; SPEC.md sections 3 and 4.
    """
    p = _project(policies, basis)
    v = p.disc_factors
    pvs = {
        "pv_premiums": pv_premiums(p.premiums, v),
        "pv_claims": pv_claims(p.claims, v),
        "pv_expenses": pv_expenses(p.expenses, v),
        "pv_commissions": pv_commissions(p.commissions, v),
    }
    pvs["pv_net_cf"] = pv_net_cf(**pvs)
    return pl.DataFrame(
        [policies["policy_id"], pl.Series("premium_pp", p.premium_pp, dtype=pl.Float64)]
        + [pl.Series(name, x, dtype=pl.Float64) for name, x in pvs.items()]
    )


def cashflows(policies: pl.DataFrame, basis: ProductBasis) -> pl.DataFrame:
    """Monthly expected cashflows and policy counts, summed over the given policies.

    Parameters
    ----------
    policies : polars.DataFrame
        As for :func:`value`.
    basis : ProductBasis

    Returns
    -------
    polars.DataFrame
        One row per month ``t = 0 .. max(proj_len) - 1``: ``t`` (Int32),
        ``pols_if`` (before decrements), ``pols_death``, ``pols_lapse``,
        ``pols_maturity``, ``pols_new_biz``, ``premiums``, ``claims``,
        ``expenses``, ``commissions``, ``net_cf`` and ``disc_factor`` (``v(t)``),
        all Float64. ``sum_t net_cf(t) * disc_factor(t)`` is the total
        ``pv_net_cf`` of :func:`value`, up to rounding.

    Source: lifelib BasicTerm_S / BasicTerm_SE; SPEC.md sections 3 and 4.
    """
    p = _project(policies, basis)
    columns = {
        "pols_if": p.dec.pols_if,
        "pols_death": p.dec.pols_death,
        "pols_lapse": p.dec.pols_lapse,
        "pols_maturity": p.dec.pols_maturity,
        "pols_new_biz": p.dec.pols_new_biz,
        "premiums": p.premiums,
        "claims": p.claims,
        "expenses": p.expenses,
        "commissions": p.commissions,
        "net_cf": p.net_cf,
    }
    return pl.DataFrame(
        [pl.Series("t", p.t, dtype=pl.Int32)]
        + [pl.Series(name, x.sum(axis=0), dtype=pl.Float64) for name, x in columns.items()]
        + [pl.Series("disc_factor", p.disc_factors, dtype=pl.Float64)]
    )
