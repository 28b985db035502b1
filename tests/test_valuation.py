"""``lc.run``: golden totals, result fields, and invariants (threads, input form, row order).

Golden totals are lifelib BasicTerm_S / BasicTerm_SE on the bundled 10,000 model points.
"""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import livecalc_lab as lc
from livecalc_lab.model.policies import demo_policies_path

REL_TOTAL = 1e-9  # golden totals and totals recomputed another way
PV_S = 14489630.534601543  # lifelib BasicTerm_S, pv_net_cf
PV_SE = 215146132.0684811  # lifelib BasicTerm_SE, pv_net_cf
N_POLICIES_SE = 503_346.0
PV_NAMES = ["pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"]
HASH_RE = re.compile(r"sha256:[0-9a-f]{64}")


@pytest.fixture(scope="module")
def result_s() -> lc.ValuationResult:
    return lc.run()


@pytest.fixture(scope="module")
def result_se() -> lc.ValuationResult:
    return lc.run(product="basic_term_se")


# --------------------------------------------------------------------------------------
# Golden totals
# --------------------------------------------------------------------------------------


def test_default_run_is_basic_term_s(result_s):
    assert result_s.product == "basic_term_s"
    assert result_s.pv_net_cf == pytest.approx(PV_S, rel=REL_TOTAL)
    assert result_s.totals["pv_net_cf"] == result_s.pv_net_cf


def test_basic_term_se_total(result_se):
    assert result_se.product == "basic_term_se"
    assert result_se.pv_net_cf == pytest.approx(PV_SE, rel=REL_TOTAL)


@pytest.mark.parametrize("which", ["s", "se"])
def test_net_cf_is_premiums_less_outgo(result_s, result_se, which):
    t = (result_s if which == "s" else result_se).totals
    outgo = t["pv_claims"] + t["pv_expenses"] + t["pv_commissions"]
    assert t["pv_net_cf"] == pytest.approx(t["pv_premiums"] - outgo, rel=REL_TOTAL)


# --------------------------------------------------------------------------------------
# Result fields
# --------------------------------------------------------------------------------------


def test_result_fields(result_s, result_se):
    for r in (result_s, result_se):
        assert r.n_model_points == 10_000
        assert HASH_RE.fullmatch(r.assumptions_version)
        assert HASH_RE.fullmatch(r.engine_version)
        assert r.assumptions_version == lc.demo_assumptions().version
        assert r.elapsed_seconds >= r.engine_seconds >= 0
        assert sorted(r.totals) == sorted(PV_NAMES)
        assert r.cashflows is None
    assert result_s.n_policies == 10_000.0
    assert result_se.n_policies == N_POLICIES_SE
    assert result_s.source == str(demo_policies_path("basic_term_s"))
    assert result_s.engine_version == result_se.engine_version


def test_to_dict_is_json_ready(result_s):
    d = result_s.to_dict()
    for key in ["product", "n_model_points", "n_policies", *PV_NAMES, "assumptions_version", "engine_version"]:
        assert key in d
    assert d["pv_net_cf"] == result_s.pv_net_cf
    assert all(isinstance(v, (str, int, float)) for v in d.values())


def test_per_policy_frame(result_s, tmp_path):
    pp = result_s.per_policy
    assert pp.height == 10_000
    assert pp.columns == ["policy_id", "premium_pp", *PV_NAMES]
    assert pp["policy_id"].to_list() == lc.demo_policies()["policy_id"].to_list()  # input order
    for name in PV_NAMES:
        assert pp[name].dtype == pl.Float64
        assert math.fsum(pp[name].to_list()) == pytest.approx(result_s.totals[name], rel=REL_TOTAL)
    path = tmp_path / "per_policy.parquet"
    pp.write_parquet(path)
    assert_frame_equal(pl.read_parquet(path), pp)


# --------------------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_threads_are_bit_identical(product, result_s, result_se):
    one = result_s if product == "basic_term_s" else result_se
    two = lc.run(product=product, threads=2)
    assert two.totals == one.totals
    assert_frame_equal(two.per_policy, one.per_policy, check_exact=True)


def test_path_and_frames_agree(result_s):
    frame = pl.read_csv(demo_policies_path("basic_term_s"))
    from_polars = lc.run(frame)
    assert from_polars.totals == result_s.totals
    assert from_polars.source == "<DataFrame>"
    assert_frame_equal(from_polars.per_policy, result_s.per_policy, check_exact=True)


def test_pandas_frame_agrees(result_s):
    pytest.importorskip("pandas")
    frame = pl.read_csv(demo_policies_path("basic_term_s")).to_pandas()
    assert lc.run(frame).totals == result_s.totals


def test_parquet_path_agrees(result_se, tmp_path):
    path = tmp_path / "points.parquet"
    pl.read_csv(demo_policies_path("basic_term_se")).write_parquet(path)
    assert lc.run(path, product="basic_term_se").totals == result_se.totals


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_row_order_does_not_change_totals(product, seed, result_s, result_se):
    base = result_s if product == "basic_term_s" else result_se
    shuffled = lc.read_policies(demo_policies_path(product)).frame.sample(fraction=1.0, shuffle=True, seed=seed)
    assert shuffled["policy_id"].to_list() != base.per_policy["policy_id"].to_list()
    r = lc.run(shuffled, product=product)
    assert r.totals == base.totals  # bit for bit: totals are exact sums
    assert_frame_equal(r.per_policy.sort("policy_id"), base.per_policy.sort("policy_id"), check_exact=True)


def test_halves_add_up_to_the_whole(result_se):
    frame = lc.read_policies(demo_policies_path("basic_term_se")).frame
    a, b = lc.run(frame[:3_000], product="basic_term_se"), lc.run(frame[3_000:], product="basic_term_se")
    assert a.n_model_points + b.n_model_points == 10_000
    for name in PV_NAMES:
        assert a.totals[name] + b.totals[name] == pytest.approx(result_se.totals[name], rel=REL_TOTAL)


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_cashflows_discount_to_the_pv(product, result_s, result_se):
    base = result_s if product == "basic_term_s" else result_se
    r = lc.run(product=product, cashflows=True)
    cf = r.cashflows
    assert cf is not None
    assert cf["t"].to_list() == list(range(cf.height))
    assert cf["disc_factor"][0] == 1.0
    assert (cf["disc_factor"].diff().drop_nulls() <= 0).all()
    assert r.totals == base.totals  # asking for cashflows does not change the values
    pv = math.fsum((cf["net_cf"] * cf["disc_factor"]).to_list())
    assert pv == pytest.approx(r.pv_net_cf, rel=REL_TOTAL)
    for col, name in [("premiums", "pv_premiums"), ("claims", "pv_claims")]:
        assert math.fsum((cf[col] * cf["disc_factor"]).to_list()) == pytest.approx(r.totals[name], rel=REL_TOTAL)
    net = cf["premiums"] - cf["claims"] - cf["expenses"] - cf["commissions"]
    np.testing.assert_allclose(cf["net_cf"].to_numpy(), net.to_numpy(), rtol=REL_TOTAL, atol=1e-6)


def test_new_business_starts_in_force():
    cf = lc.run(cashflows=True).cashflows
    assert cf["pols_if"][0] == 10_000.0
    assert cf["pols_if"][-1] >= 0.0


def test_bad_assumptions_argument_is_a_type_error():
    with pytest.raises(TypeError, match="assumptions must be"):
        lc.run(assumptions=42)


# --------------------------------------------------------------------------------------
# An empty portfolio (a header-only file) values to zero, with or without scenarios
# --------------------------------------------------------------------------------------

EMPTY_SOURCES = {"basic_term_s": demo_policies_path("basic_term_s"),
                 "savings_ex4": "tests/data/lifelib-savings/model_points_bench10k.csv"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("product", sorted(EMPTY_SOURCES))
def test_an_empty_portfolio_values_to_zero_under_scenarios(product, fmt, tmp_path):
    path = tmp_path / f"empty.{fmt}"
    header = pl.read_csv(EMPTY_SOURCES[product], n_rows=1).head(0)
    header.write_csv(path) if fmt == "csv" else header.write_parquet(path)
    det = lc.run(path, product=product, cashflows=True)
    sto = lc.run(path, product=product, scenarios=lc.hull_white(n=50), cashflows=True)
    for res in (det, sto):
        assert res.n_model_points == 0 and res.n_policies == 0 and res.per_policy.height == 0
        assert set(res.totals.values()) == {0.0}
        assert res.cashflows.height == 0 or not res.cashflows.drop(res.cashflows.columns[0]).to_numpy().any()
    assert sto.totals == det.totals
    assert sto.per_scenario.height == 50
    assert not sto.per_scenario.drop("scenario").to_numpy().any()
    stats = sto.statistics
    assert (stats.n, stats.mean, stats.std, stats.min, stats.max) == (50, 0.0, 0.0, 0.0, 0.0)
    assert set(stats.percentiles.values()) == set(stats.cte.values()) == {0.0}
    assert sto.tvog == 0.0 and sto.pv_net_cf_ce == 0.0
