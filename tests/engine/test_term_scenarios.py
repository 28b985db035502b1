"""Scenario-independent products over scenarios: the separable path against the full per-scenario path."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.engine import _abi
from livecalc_lab.model.policies import attach_premium_rates, check_policies, demo_policies_path, read_policies
from livecalc_lab.model.scenarios import generate_for_basis
from livecalc_lab.valuation import TERM_PV_LINES

REL_PATHS = 1e-9  # separable vs full per-scenario path (DESIGN.md §4)


def _portfolio(product):
    basis = lc.demo_assumptions().basis(product)
    pols = read_policies(demo_policies_path(product))
    check_policies(pols, basis)
    return basis, attach_premium_rates(pols, basis)


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_separable_path_agrees_with_full_per_scenario_path(engine, product):
    basis, frame = _portfolio(product)
    sset = generate_for_basis(lc.hull_white(n=40, seed=11), basis, 12 * 20 + 37)
    full = engine.value_term(basis, frame, scenario_disc=sset.disc_factor, cashflows=TERM_PV_LINES)
    n_months = full.cashflows.shape[1]
    cf = np.stack([full.cashflows[_abi.CF_NAMES.index(k)] for k in TERM_PV_LINES])
    separable = engine.exact_round(engine.discount_totals(cf, sset.disc_factor[:, :n_months]))
    np.testing.assert_allclose(full.scenario_totals, separable, rtol=REL_PATHS, atol=0)
    # and lc.run's per-scenario totals are the separable ones
    res = lc.run(product=product, scenarios=sset)
    got = res.per_scenario.select(list(_abi.PV_NAMES)).to_numpy()
    np.testing.assert_array_equal(got, separable)


def test_full_path_is_bit_identical_across_batches(engine):
    basis, frame = _portfolio("basic_term_se")
    sset = generate_for_basis(lc.hull_white(n=8, seed=2), basis, 300)
    one = engine.value_term(basis, frame, scenario_disc=sset.disc_factor)
    many = engine.value_term(basis, frame, scenario_disc=sset.disc_factor, batch_size=1234, threads=2)
    np.testing.assert_array_equal(one.scenario_totals, many.scenario_totals)


def test_certainty_equivalent_value_equals_the_deterministic_run():
    det = lc.run()
    sto = lc.run(scenarios=lc.hull_white(n=20, seed=5))
    assert sto.pv_net_cf_ce == pytest.approx(det.pv_net_cf, rel=1e-12)
    assert sto.tvog == pytest.approx(sto.pv_net_cf_ce - sto.statistics.mean, rel=1e-12, abs=1e-6)
    assert sto.totals["pv_net_cf"] == sto.statistics.mean


def test_per_scenario_totals_do_not_depend_on_threads_or_row_order():
    spec = lc.hull_white(n=30, seed=9)
    base = lc.run(scenarios=spec).per_scenario
    threaded = lc.run(scenarios=spec, threads=2).per_scenario
    shuffled = lc.run(lc.demo_policies().sample(fraction=1.0, shuffle=True, seed=4), scenarios=spec).per_scenario
    assert base.equals(threaded) and base.equals(shuffled)


# ---------------------------------------------------------------------------------------
# Endowment and whole life against commutation functions (no lapse, deterministic rates)
# ---------------------------------------------------------------------------------------


def _commutation_pvs(basis, age, term):
    """PV per unit sum assured of death and maturity benefits and of the in-force annuity.

    Monthly commutation functions on the projection grid: l(t) survivors at the start of
    month t from l(0) = 1 under the monthly rates q_m = 1 - (1 - qx)^(1/12) of the policy
    year; D(t) = v(t) l(t); C(t) = v(t) d(t) with d(t) = l(t) q_m(t) (deaths paid at t, as
    the model times them); M = sum C; N = sum D. A(death) = M(0) - M(n), E(maturity) = D(n),
    a(annuity-due of the in-force count) = N(0) - N(n), with n = 12 x term months.
    """
    n = 12 * term
    v = (1 + ((1 + basis.disc_zero_ann[np.arange(n + 1) // 12]) ** (1 / 12) - 1)) ** (-np.arange(n + 1.0))
    years = np.arange(n) // 12
    qx = basis.mort_qx[age - basis.mort_min_age + years, np.minimum(years, basis.mort_qx.shape[1] - 1)]
    qm = 1 - (1 - qx) ** (1 / 12)
    lx = np.concatenate([[1.0], np.cumprod(1 - qm)])
    D = v * lx
    C = v[:n] * lx[:n] * qm
    return C.sum(), D[n], D[:n].sum()


@pytest.mark.parametrize("model", ["endowment", "whole_life"])
def test_endowment_and_whole_life_match_commutation_functions(engine, model):
    aset = lc.demo_assumptions()
    base = aset.basis("basic_term_s")
    basis = dataclasses.replace(base, model=model, maturity_benefit=1.0, lapse_ann=np.zeros(1),
                                commission_rates=np.zeros(0), acquisition=0.0, maintenance_ann=0.0,
                                premium_round_decimals=-1, premium_loading=0.0)
    frame = pl.DataFrame({"policy_id": [1, 2, 3], "age_at_entry": [30, 45, 60], "policy_term": [20, 10, 15],
                          "duration_mth": [0, 0, 0], "policy_count": [1.0, 1.0, 1.0],
                          "sum_assured": [1e5, 2e5, 5e4]},
                         schema_overrides={"age_at_entry": pl.Int32, "policy_term": pl.Int32, "duration_mth": pl.Int32})
    pols = read_policies(frame)
    check_policies(pols, basis)
    eng_frame = attach_premium_rates(pols, basis)
    res = engine.value_term(basis, eng_frame)
    for i in range(3):
        age = int(eng_frame["age_at_entry"][i])
        term = int(eng_frame["policy_term"][i])
        sa = float(eng_frame["sum_assured"][i])
        A, E, a = _commutation_pvs(basis, age, term)
        # net level premium by equivalence: P a = SA (A + E); the net value is then 0
        assert res.premium_pp[i] == pytest.approx(sa * (A + E) / a, rel=1e-12)
        assert res.pv[_abi.PV_NAMES.index("pv_claims"), i] == pytest.approx(sa * (A + E), rel=1e-12)
        assert abs(res.pv[_abi.PV_NAMES.index("pv_net_cf"), i]) < 1e-6 * sa
    if model == "whole_life":
        assert eng_frame["policy_term"].to_list() == [basis.mort_max_age - a for a in (30, 45, 60)]
