"""Valuation of the savings / unit-linked product (path dependent) for ``lc.run``.

Every (policy, scenario) lane runs in the engine's ``lc_value_savings`` kernel,
which follows the readable model in :mod:`livecalc_lab.model.reference_savings`.
Without scenarios the product is valued on the certainty-equivalent scenario
(the fund earns the curve's forward rates), so ``lc.run`` without scenarios
equals the CE value of a stochastic run.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.assumptions.savings import SavingsBasis
from livecalc_lab.engine import _abi
from livecalc_lab.errors import DataError
from livecalc_lab.model import scenarios as scen
from livecalc_lab.model.policies import Policies
from livecalc_lab.model.savings_policies import read_savings_policies
from livecalc_lab.results import ValuationResult

__all__ = ["read_for_basis", "value_savings", "engine_basis", "engine_columns", "demo_savings_policies_path"]


def demo_savings_policies_path() -> Path:
    """The bundled savings model points (lifelib savings EX4's nine default points)."""
    from importlib import resources

    return Path(str(resources.files("livecalc_lab") / "demo" / "policies" / "savings_model_points.csv"))


def read_for_basis(policies: Any, basis: SavingsBasis) -> Policies:
    """Read savings policies (the bundled ones when ``policies`` is None), strictly."""
    return read_savings_policies(demo_savings_policies_path() if policies is None else policies)


def engine_basis(basis: SavingsBasis) -> SimpleNamespace:
    """The attributes :meth:`Engine.value_savings` reads, from a :class:`SavingsBasis`.

    No mortality table and all-zero static lapse rates become ``None`` so the
    engine can take its no-decrement SIMD path (bit-identical: rates of 0 give
    exact zeros). Surrender charges are passed as a (policy year × spec) table
    and each policy's column is its spec.
    """
    has_lapse = basis.lapse_dynamic or bool(np.any(basis.lapse_ann != 0.0))
    dyn = None
    if basis.lapse_dynamic:
        dyn = SimpleNamespace(c0=basis.lapse_dyn_c0, c1=basis.lapse_dyn_c1, min=basis.lapse_dyn_min,
                              max=basis.lapse_dyn_max)
    return SimpleNamespace(
        mort_qx=basis.mort_qx if basis.has_mortality else None,
        mort_min_age=basis.mort_min_age,
        mort_outside_zero=basis.mort_outside_table == "zero",
        lapse_ann=basis.lapse_ann if has_lapse else None,
        dynamic_lapse=dyn,
        surrender_charge=np.ascontiguousarray(basis.spec_surr_charge.T) if basis.spec_surr_charge.size else None,
        maint_fee_rate_mth=basis.maint_fee_rate_mth,
        coi_rate=basis.coi_rate,
        acquisition=basis.acquisition,
        maintenance_ann=basis.maintenance_ann,
        inflation_ann=basis.inflation_ann,
        commission_rate=basis.commission_rate,
    )


def engine_columns(frame: pl.DataFrame, basis: SavingsBasis) -> dict[str, np.ndarray]:
    """Per-policy engine columns from a frame with spec fields joined (``policy_spec_columns``)."""
    has_sc = basis.spec_surr_charge.size > 0
    return {
        "age_at_entry": frame["age_at_entry"].to_numpy(),
        "policy_term": frame["policy_term"].to_numpy(),
        "duration_mth": frame["duration_mth"].to_numpy(),
        "premium_type": np.where(frame["single_premium"].to_numpy(), 0, 1),
        "surr_col": frame["spec_index"].to_numpy() if has_sc else np.full(frame.height, -1),
        "policy_count": frame["policy_count"].to_numpy(),
        "sum_assured": frame["sum_assured"].to_numpy(),
        "premium_pp": frame["premium_pp"].to_numpy(),
        "av_pp_init": frame["av_pp_init"].to_numpy(),
        "load_prem_rate": frame["load_prem_rate"].to_numpy(),
    }


def _check(frame: pl.DataFrame, basis: SavingsBasis, source: str) -> int:
    """Months the projection needs; raise DataError for a policy the basis cannot value."""
    term = frame["policy_term"].to_numpy().astype(np.int64)
    dur0 = frame["duration_mth"].to_numpy().astype(np.int64)
    length = np.maximum(12 * term - dur0 + 1, 0)
    if not basis.in_force:
        nz = np.flatnonzero(dur0 != 0)
        if len(nz):
            r = int(nz[0])
            raise DataError(f"{source} row {r + 1:,} column 'duration_mth': {int(dur0[r])} is not 0, but product "
                            f"{basis.product!r} values new business issued at t = 0")
    over = np.flatnonzero(length > basis.max_months)
    if len(over):
        r = int(over[0])
        raise DataError(f"{source} row {r + 1:,} column 'policy_term': {int(term[r])} needs projection month "
                        f"{int(length[r]) - 1}, past the discount curve's last year {len(basis.disc_zero_ann) - 1}")
    if basis.has_mortality and basis.mort_outside_table == "error":
        entry = frame["age_at_entry"].to_numpy().astype(np.int64)
        first = entry + np.maximum(dur0, 0) // 12
        last = entry + term - 1  # the last policy year with policies exposed
        bad = np.flatnonzero((length > 0) & ((first < basis.mort_min_age) | (last > basis.mort_max_age)))
        if len(bad):
            r = int(bad[0])
            raise DataError(f"{source} row {r + 1:,} column 'age_at_entry': {int(entry[r])} with term {int(term[r])} "
                            f"leaves the mortality table (ages {basis.mort_min_age}..{basis.mort_max_age})")
    return int(length.max()) if length.size else 0


def value_savings(session: Any, basis: SavingsBasis, scenarios: Any, cashflows: bool, version: str,
                  reuse: bool) -> ValuationResult:
    """Value the session's savings policies on the CE scenario and, if given, over ``scenarios``."""
    pols: Policies = session.policies
    engine = session.engine
    frame = basis.policy_spec_columns(pols.frame, pols.source)
    n_months = _check(frame, basis, pols.source)
    eb, cols = engine_basis(basis), engine_columns(frame, basis)
    zcb = engine.discount_factors(basis, n_months + 1)
    v = zcb[:n_months]
    if scenarios is None:
        sset = None
        ce_set = scen.certainty_equivalent(zcb, n_months, engine=engine)
    else:
        sset = session.scenario_set(scenarios, basis, n_months, need_fund=True, reuse=reuse)
        ce_set = sset.ce if sset.ce is not None and sset.ce.fund_return is not None and sset.ce.n_months >= n_months \
            else scen.certainty_equivalent(zcb, n_months, engine=engine)
    ce_disc = v if ce_set.disc_factor is None else ce_set.disc_factor[:, :n_months]
    ce = engine.value_savings(eb, cols, ce_set.fund_return[:, :n_months], ce_disc, per_lane=True,
                              scenario_totals=True, threads=session.threads)
    names = _abi.SAV_PV_NAMES
    per_policy = pl.DataFrame({"policy_id": pols.frame["policy_id"]} | {n: ce.pv[k, :, 0] for k, n in enumerate(names)})
    result = session.new_result(basis, {n: float(ce.scenario_totals[0, k]) for k, n in enumerate(names)},
                                per_policy, version, ce.engine_seconds)
    if sset is not None:
        D = sset.disc_factor
        disc = v if D is None else D[:, :n_months]
        out = engine.value_savings(eb, cols, sset.fund_return[:, :n_months], disc, scenario_totals=True,
                                   point_totals=True, threads=session.threads)
        result.engine_seconds += out.engine_seconds
        st = out.scenario_totals
        gmxb = st[:, names.index("pv_gmdb")] + st[:, names.index("pv_gmab")]
        from livecalc_lab.valuation import _attach_distribution

        _attach_distribution(result, sset, st, ce.scenario_totals[0], names,
                             guarantee_cost=math.fsum(gmxb) / len(gmxb))
        # per policy: the mean over scenarios (exact sum / n)
        result.per_policy = pl.DataFrame({"policy_id": pols.frame["policy_id"]}
                                         | {n: out.point_totals[:, k] / sset.n for k, n in enumerate(names)})
    if cashflows:
        from livecalc_lab.model import reference_savings

        # The CE projection's monthly series, from the readable model (one lane per policy).
        cf = reference_savings.cashflows(frame, basis, ce_set.fund_return[:, :n_months], ce_disc[0] if
                                         np.ndim(ce_disc) == 2 else ce_disc, 0, total=True)
        result.cashflows = cf
    return result
