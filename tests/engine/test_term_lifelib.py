"""The engine against lifelib BasicTerm_S / BasicTerm_SE on the bundled 10,000 model points.

The golden files in ``tests/data`` are lifelib's own results (MIT licence,
``tests/data/LICENSE-lifelib.txt``): per-point present values and the monthly
cashflows of points 1-3.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from livecalc_lab.engine import _abi
from livecalc_lab.errors import EngineError

DATA = Path(__file__).resolve().parent.parent / "data"
REFERENCE = {"basic_term_s": "BasicTerm_S", "basic_term_se": "BasicTerm_SE"}

ABS_PER_POINT = 1e-6  # currency units: per-point PVs against lifelib
TOTAL_RTOL = 1e-9  # relative: portfolio pv_net_cf against lifelib's total
CF_RTOL = CF_ATOL = 1e-9  # monthly cashflows against lifelib
DISC_RTOL = 1e-14  # discount factors: the same formula, a few ulps apart at most

LIFELIB_TOTAL_PV_NET_CF = {"basic_term_s": 14489630.534601543, "basic_term_se": 215146132.0684811}
SE_POINTS_WITH_ZERO_PV = 76  # SE points matured by t = 0 or with policy_count 0: every PV is exactly 0
CF_COLUMNS = ("pols_if", "pols_death", "pols_lapse", "pols_maturity", "premiums", "claims", "expenses",
              "commissions", "net_cf")
CF_POINTS = (1, 2, 3)


def reference_pv(product: str) -> pl.DataFrame:
    return pl.read_csv(DATA / f"reference_{REFERENCE[product]}.csv", infer_schema_length=None)


def reference_cf(product: str) -> pl.DataFrame:
    return pl.read_csv(DATA / f"reference_cf_{REFERENCE[product]}_points1-3.csv", infer_schema_length=None)


@pytest.fixture(scope="module")
def valued(engine, portfolios):
    """Engine valuation of each bundled portfolio (one call each, shared by the tests below)."""
    return {name: engine.value_term(p.basis, p.frame) for name, p in portfolios.items()}


def test_reference_rows_align_with_the_policies(portfolio):
    ref = reference_pv(portfolio.product)
    assert ref.height == portfolio.frame.height == 10_000
    assert ref["point_id"].to_list() == portfolio.frame["policy_id"].to_list()


@pytest.mark.parametrize("component", _abi.PV_NAMES)
def test_pv_per_point_matches_lifelib(portfolio, valued, component):
    ref = reference_pv(portfolio.product)
    assert ref["point_id"].to_list() == portfolio.frame["policy_id"].to_list()
    got = valued[portfolio.product].pv[_abi.PV_NAMES.index(component)]
    np.testing.assert_allclose(got, ref[component].to_numpy(), rtol=0, atol=ABS_PER_POINT, err_msg=component)


def test_total_pv_net_cf_matches_lifelib(portfolio, valued):
    total = valued[portfolio.product].totals[_abi.PV_NAMES.index("pv_net_cf")]
    want = LIFELIB_TOTAL_PV_NET_CF[portfolio.product]
    assert total == pytest.approx(want, rel=TOTAL_RTOL, abs=0)


def test_se_points_matured_before_valuation_are_exactly_zero(portfolios, valued):
    pv = valued["basic_term_se"].pv
    net = pv[_abi.PV_NAMES.index("pv_net_cf")]
    zero = net == 0.0
    assert int(zero.sum()) == SE_POINTS_WITH_ZERO_PV
    assert np.all(pv[:, zero] == 0.0)
    ref = reference_pv("basic_term_se")
    assert int((ref["pv_net_cf"] == 0.0).sum()) == SE_POINTS_WITH_ZERO_PV
    assert np.array_equal(zero, (ref["pv_net_cf"] == 0.0).to_numpy())
    # They are the points with no policies, or whose term ended before t = 0 or ends at t = 0.
    f = portfolios["basic_term_se"].frame
    matured = f["duration_mth"].to_numpy() >= 12 * f["policy_term"].to_numpy()
    assert np.array_equal(zero, matured | (f["policy_count"].to_numpy() == 0.0))


def test_totals_are_fsum_of_the_per_policy_values(portfolio, valued):
    out = valued[portfolio.product]
    for k, name in enumerate(_abi.PV_NAMES):
        want = math.fsum(out.pv[k].tolist())
        assert out.totals[k].tobytes() == np.float64(want).tobytes(), name


def test_reversed_rows_give_the_same_totals_and_permuted_values(engine, portfolio, valued):
    out = valued[portfolio.product]
    rev = engine.value_term(portfolio.basis, portfolio.frame.reverse())
    assert rev.totals.tobytes() == out.totals.tobytes()
    assert rev.totals_exact.tobytes() == out.totals_exact.tobytes()
    assert rev.pv.tobytes() == np.ascontiguousarray(out.pv[:, ::-1]).tobytes()
    assert rev.premium_pp.tobytes() == out.premium_pp[::-1].tobytes()


def test_shuffled_rows_give_the_same_totals(engine, portfolio, valued):
    out = valued[portfolio.product]
    perm = np.random.default_rng(11).permutation(portfolio.frame.height)
    shuffled = engine.value_term(portfolio.basis, portfolio.frame[perm])
    assert shuffled.totals_exact.tobytes() == out.totals_exact.tobytes()
    assert shuffled.pv.tobytes() == np.ascontiguousarray(out.pv[:, perm]).tobytes()


# ---- monthly cashflows of points 1-3 ----------------------------------------------------

@pytest.mark.parametrize("point", CF_POINTS)
def test_monthly_cashflows_match_lifelib(engine, portfolio, point):
    ref = reference_cf(portfolio.product).filter(pl.col("point_id") == point).sort("t")
    row = portfolio.frame.filter(pl.col("policy_id") == point)
    assert row.height == 1
    out = engine.value_term(portfolio.basis, row, cashflows=True)
    assert out.cashflows.shape == (_abi.N_CF, ref.height)
    assert ref["t"].to_list() == list(range(ref.height))
    columns = {name: name for name in CF_COLUMNS}
    if "pols_if_bef_decr" in ref.columns:
        # lifelib BasicTerm_SE's ``pols_if`` is pols_if_at(t, "BEF_MAT"); ours (and BasicTerm_S's) is
        # after maturities and new business, which SE calls ``pols_if_bef_decr``.
        columns["pols_if"] = "pols_if_bef_decr"
    if "pols_new_biz" in ref.columns:
        columns["pols_new_biz"] = "pols_new_biz"
    assert portfolio.product == "basic_term_s" or {"pols_new_biz", "pols_if_bef_decr"} <= set(columns.values())
    cf = {name: out.cashflows[_abi.CF_NAMES.index(name)] for name in _abi.CF_NAMES}
    for name, ref_name in columns.items():
        np.testing.assert_allclose(cf[name], ref[ref_name].to_numpy(), rtol=CF_RTOL, atol=CF_ATOL, err_msg=name)
    if "pols_if_bef_decr" in ref.columns:
        bef_mat = cf["pols_if"] + cf["pols_maturity"] - cf["pols_new_biz"]
        np.testing.assert_allclose(bef_mat, ref["pols_if"].to_numpy(), rtol=CF_RTOL, atol=CF_ATOL)


def test_new_business_enters_at_t0_for_basic_term_s(engine, portfolios):
    p = portfolios["basic_term_s"]
    row = p.frame.filter(pl.col("policy_id") == 1)
    nb = engine.value_term(p.basis, row, cashflows=True).cashflows[_abi.CF_NAMES.index("pols_new_biz")]
    assert nb[0] == row["policy_count"][0]
    assert np.all(nb[1:] == 0.0)


@pytest.mark.parametrize("point", CF_POINTS)
def test_cashflows_discount_to_the_pvs(engine, portfolio, point):
    """sum_t cf(t) v(t) reproduces the per-policy PVs (the two engine paths agree)."""
    row = portfolio.frame.filter(pl.col("policy_id") == point)
    out = engine.value_term(portfolio.basis, row, cashflows=True)
    v = engine.discount_factors(portfolio.basis, out.cashflows.shape[1])
    for pv_name, cf_name in zip(_abi.PV_NAMES, ("premiums", "claims", "expenses", "commissions", "net_cf")):
        got = math.fsum((out.cashflows[_abi.CF_NAMES.index(cf_name)] * v).tolist())
        assert got == pytest.approx(out.pv[_abi.PV_NAMES.index(pv_name), 0], rel=1e-12, abs=ABS_PER_POINT), pv_name


@pytest.mark.parametrize("point", CF_POINTS)
def test_discount_factors_match_lifelib(engine, portfolio, point):
    ref = reference_cf(portfolio.product).filter(pl.col("point_id") == point).sort("t")
    v = engine.discount_factors(portfolio.basis, ref.height)
    assert v.shape == (ref.height,) and v.dtype == np.float64
    np.testing.assert_allclose(v, ref["disc_factor"].to_numpy(), rtol=DISC_RTOL, atol=0)


def test_discount_factors_cover_the_curve(engine, portfolios):
    basis = portfolios["basic_term_s"].basis
    v = engine.discount_factors(basis, basis.max_months)
    assert v.shape == (basis.max_months,)
    assert v[0] == 1.0 and np.all(np.isfinite(v)) and np.all(v > 0)
    with pytest.raises(EngineError, match="LC_E_ARG"):
        engine.discount_factors(basis, basis.max_months + 1)


def test_all_cashflows_sum_over_the_portfolio(engine, portfolio, valued):
    """Portfolio cashflows discount to the portfolio totals."""
    out = engine.value_term(portfolio.basis, portfolio.frame, cashflows=True)
    v = engine.discount_factors(portfolio.basis, out.cashflows.shape[1])
    net = math.fsum((out.cashflows[_abi.CF_NAMES.index("net_cf")] * v).tolist())
    total = valued[portfolio.product].totals[_abi.PV_NAMES.index("pv_net_cf")]
    assert net == pytest.approx(total, rel=1e-10)
