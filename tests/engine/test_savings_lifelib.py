"""The engine's savings kernel against lifelib CashValue_ME_EX4 and EX2 (cases A-D).

Golden values: ``tests/data/lifelib-savings/``, lifelib 0.17.2 outputs (MIT licence,
``LICENSE-lifelib.txt`` there; the cases are described in its README.md and the
formulas in ``shared/data/lifelib-savings/SPEC.md``). Each case is valued twice:
through :meth:`Engine.value_savings` with ``engine_basis``/``engine_columns`` (per
lane), and through ``lc.run`` with the lifelib scenario file read by
``lc.read_scenarios`` (per-policy means and per-scenario totals).

Tolerances:

- EX4 per lane (case A) and per point (case B): **bit for bit**. The engine follows
  SPEC.md operation by operation and EX4 needs no ``pow`` per lane, so lifelib's
  doubles are reproduced exactly (``np.array_equal``).
- Aggregates lifelib formed with numpy's pairwise sums (means per point, sums per
  scenario, case C): ``REL = 1e-9`` relative with an absolute floor of ``REL`` times
  the premium income behind the value (its ``pv_premiums``), as in
  ``tests/model/test_reference_savings.py``: ``pv_net_cf`` of a LEVEL spec is about
  10^-3 of its components and ``pv_gmab`` is 0 or tiny out of the money, so rounding
  is relative to the business, not to the result.
- EX2 (case D): the same; lifelib sums EX2's PVs with a BLAS dot product (about
  1e-11 relative), and the engine's own ``pow`` for monthly mortality and lapse
  rates may differ from numpy's in the last bit.
- Portfolio totals of case C: ``TOTAL_REL = 1e-12`` relative (both sides are sums of
  10^7 lanes; the engine's are exact, lifelib's pairwise).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.assumptions import SavingsBasis, load_assumptions
from livecalc_lab.engine import _abi
from livecalc_lab.engine.host import SavingsValuation
from livecalc_lab.model import reference_savings as rs
from livecalc_lab.model.savings_policies import read_savings_policies
from livecalc_lab.savings_valuation import engine_basis, engine_columns

from lifelib_savings import (
    CASE_A_MEAN_PV_NET_CF,
    CASE_B_SUM_PV_NET_CF,
    CASE_C_SUM_MEAN_PV_GMAB,
    CASE_C_SUM_MEAN_PV_NET_CF,
    DATA,
    LIFELIB_PV,
    N_SCEN,
    REL,
    RETURNS,
    assert_close,
    read_lifelib,
)

TOTAL_REL = 1e-12


EX2_PV = [*LIFELIB_PV, "pv_maint_fee"]
K = {name: k for k, name in enumerate(_abi.SAV_PV_NAMES)}


# --------------------------------------------------------------------------------------
# Inputs and helpers
# --------------------------------------------------------------------------------------


def assert_bits(actual, expected, what: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.array_equal(actual, expected):
        diff = np.flatnonzero(actual.reshape(-1) != expected.reshape(-1))
        i = int(diff[0])
        pytest.fail(f"{what}: {len(diff)} values differ; first at {i}: {actual.flat[i]!r} vs lifelib "
                    f"{expected.flat[i]!r}")


@pytest.fixture(scope="module")
def scenarios() -> lc.ScenarioSet:
    """lifelib's 1000 scenarios, read as a user would: r[s, t] for t = 0 .. 241, no discount factors."""
    s = lc.read_scenarios(fund_return=RETURNS, layout="wide")
    assert s.n == N_SCEN and s.n_months == 242 and s.disc_factor is None
    assert s.ids.tolist() == list(range(1, N_SCEN + 1))
    return s


@pytest.fixture(scope="module")
def ex4() -> SavingsBasis:
    return load_assumptions(DATA / "ex4").basis("savings_ex4")


@pytest.fixture(scope="module")
def ex2_set():
    return load_assumptions(DATA / "ex2")


def engine_value(engine, policies: str, basis: SavingsBasis, fund_return: np.ndarray, **kw) -> SavingsValuation:
    """``Engine.value_savings`` on a lifelib model-point file, discounting with the basis's curve."""
    pols = read_savings_policies(DATA / policies)
    frame = basis.policy_spec_columns(pols.frame, pols.source)
    n_months = int(rs.proj_len(frame["duration_mth"].to_numpy(), frame["policy_term"].to_numpy()).max())
    v = engine.discount_factors(basis, n_months)
    assert np.array_equal(v, rs.disc_factors(n_months, basis))  # lifelib's v(t), bit for bit
    return engine.value_savings(engine_basis(basis), engine_columns(frame, basis), fund_return[:, :n_months], v,
                                **kw)


def fsum_rows(a: np.ndarray, axis: int) -> np.ndarray:
    """Correctly rounded sums along ``axis`` of a 2-D array."""
    return np.array([math.fsum(x) for x in np.moveaxis(a, axis, -1)])


# --------------------------------------------------------------------------------------
# Case A: EX4 as shipped, 9 points x 1000 scenarios, every lane bit for bit
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_a_ref() -> pl.DataFrame:
    ref = read_lifelib("ex4_default_pv_by_point_scen.csv.gz").sort("point_id", "scen_id")
    assert ref["point_id"].to_list() == list(np.repeat(np.arange(1, 10), N_SCEN))  # point-major lanes
    assert ref["scen_id"].to_list() == list(range(1, N_SCEN + 1)) * 9
    return ref


@pytest.fixture(scope="module")
def case_a(engine, ex4, scenarios) -> SavingsValuation:
    return engine_value(engine, "ex4_model_points_default.csv", ex4, scenarios.fund_return, per_lane=True,
                        scenario_totals=True, point_totals=True)


@pytest.mark.parametrize("column", LIFELIB_PV)
def test_case_a_every_lane_bit_for_bit(case_a, case_a_ref, column):
    got = case_a.pv[K[column]]
    assert got.shape == (9, N_SCEN)
    assert_bits(got, case_a_ref[column].to_numpy().reshape(9, N_SCEN), f"case A {column}")


def test_case_a_no_fees_and_mean(case_a):
    assert not case_a.pv[K["pv_maint_fee"]].any()  # no fees in EX4
    mean = math.fsum(case_a.pv[K["pv_net_cf"]].reshape(-1)) / (9 * N_SCEN)
    assert mean == pytest.approx(CASE_A_MEAN_PV_NET_CF, rel=TOTAL_REL, abs=0)


def test_case_a_totals_are_exact_sums_of_lifelib_lanes(case_a, case_a_ref):
    """With every lane bit-exact, the engine's exact totals are the correctly rounded sums of lifelib's lanes."""
    for column in LIFELIB_PV:
        lanes = case_a_ref[column].to_numpy().reshape(9, N_SCEN)
        assert_bits(case_a.point_totals[:, K[column]], fsum_rows(lanes, 1), f"case A point totals {column}")
        assert_bits(case_a.scenario_totals[:, K[column]], fsum_rows(lanes, 0), f"case A scenario totals {column}")


def test_case_a_means_per_point(case_a):
    ref = read_lifelib("ex4_default_pv_by_point_mean.csv").sort("point_id")
    scale = ref["pv_premiums"].to_numpy()
    for column in LIFELIB_PV:
        assert_close(case_a.point_totals[:, K[column]] / N_SCEN, ref[column].to_numpy(), scale, f"case A mean {column}")


def test_case_a_through_lc_run(case_a_ref, scenarios):
    """``lc.run`` on the lifelib files: per-policy means and per-scenario totals from lifelib's lanes."""
    result = lc.run(DATA / "ex4_model_points_default.csv", DATA / "ex4", "savings_ex4", scenarios=scenarios)
    assert result.per_policy["policy_id"].to_list() == list(range(1, 10))
    assert result.per_scenario["scenario"].to_list() == list(range(1, N_SCEN + 1))
    for column in LIFELIB_PV:
        lanes = case_a_ref[column].to_numpy().reshape(9, N_SCEN)
        assert_bits(result.per_policy[column].to_numpy(), fsum_rows(lanes, 1) / N_SCEN, f"lc.run per_policy {column}")
        assert_bits(result.per_scenario[column].to_numpy(), fsum_rows(lanes, 0), f"lc.run per_scenario {column}")
    ref = read_lifelib("ex4_default_pv_by_point_mean.csv").sort("point_id")
    scale = ref["pv_premiums"].to_numpy()
    for column in LIFELIB_PV:
        assert_close(result.per_policy[column].to_numpy(), ref[column].to_numpy(), scale, f"lc.run mean {column}")
    assert result.pv_net_cf == pytest.approx(9 * CASE_A_MEAN_PV_NET_CF, rel=TOTAL_REL, abs=0)
    assert result.statistics.n == N_SCEN
    # lifelib's "TVOG" of EX4: the mean cost of the maturity guarantee
    assert result.guarantee_cost == pytest.approx(ref["pv_gmab"].sum(), rel=TOTAL_REL, abs=0)


# --------------------------------------------------------------------------------------
# Case B: EX4, the 10,000 benchmark points under scenario 1, every point bit for bit
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_b(engine, ex4, scenarios) -> SavingsValuation:
    return engine_value(engine, "model_points_bench10k.csv", ex4, scenarios.fund_return[:1], per_lane=True,
                        scenario_totals=True)


@pytest.mark.parametrize("column", LIFELIB_PV)
def test_case_b_every_point_bit_for_bit(case_b, column):
    ref = read_lifelib("ex4_bench10k_1scen_pv_by_point.csv.gz").sort("point_id")
    assert ref["point_id"].to_list() == list(range(1, 10_001))
    assert_bits(case_b.pv[K[column], :, 0], ref[column].to_numpy(), f"case B {column}")


def test_case_b_total(case_b):
    """The engine's total is the exact sum (rounded once); lifelib's figure is numpy's pairwise sum, 1 ulp away."""
    lanes = case_b.pv[K["pv_net_cf"], :, 0]
    total = case_b.scenario_totals[0, K["pv_net_cf"]]
    assert total == math.fsum(lanes)
    assert np.sum(lanes) == CASE_B_SUM_PV_NET_CF  # the same lanes summed as lifelib did
    assert abs(total - CASE_B_SUM_PV_NET_CF) <= math.ulp(CASE_B_SUM_PV_NET_CF)


# --------------------------------------------------------------------------------------
# Case C: EX4, 10,000 points x 1000 scenarios x 241 months (2.4e9 lane-months)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_c(engine, ex4, scenarios) -> SavingsValuation:
    return engine_value(engine, "model_points_bench10k.csv", ex4, scenarios.fund_return, scenario_totals=True,
                        point_totals=True, threads=2)


@pytest.mark.slow
def test_case_c_per_point_means(case_c):
    ref = read_lifelib("ex4_bench10k_1000scen_pv_by_point_mean.csv.gz").sort("point_id")
    assert ref["point_id"].to_list() == list(range(1, 10_001))
    scale = ref["pv_premiums"].to_numpy()
    for column in LIFELIB_PV:
        assert_close(case_c.point_totals[:, K[column]] / N_SCEN, ref[column].to_numpy(), scale,
                     f"case C mean {column}")


@pytest.mark.slow
def test_case_c_per_scenario_sums(case_c):
    ref = read_lifelib("ex4_bench10k_1000scen_pv_by_scen_sum.csv").sort("scen_id")
    assert ref["scen_id"].to_list() == list(range(1, N_SCEN + 1))
    scale = ref["pv_premiums"].to_numpy()
    for column in LIFELIB_PV:
        assert_close(case_c.scenario_totals[:, K[column]], ref[column].to_numpy(), scale, f"case C sum {column}")


@pytest.mark.slow
def test_case_c_totals(case_c):
    net = math.fsum(case_c.point_totals[:, K["pv_net_cf"]]) / N_SCEN
    gmab = math.fsum(case_c.point_totals[:, K["pv_gmab"]]) / N_SCEN
    assert net == pytest.approx(CASE_C_SUM_MEAN_PV_NET_CF, rel=TOTAL_REL, abs=0)
    assert gmab == pytest.approx(CASE_C_SUM_MEAN_PV_GMAB, rel=TOTAL_REL, abs=0)
    # The two ways of summing the same 10^7 lanes agree
    by_scen = math.fsum(case_c.scenario_totals[:, K["pv_net_cf"]]) / N_SCEN
    assert by_scen == pytest.approx(net, rel=1e-15, abs=0)


@pytest.mark.slow
def test_case_c_scenario_1_is_case_b(case_b, case_c):
    """Scenario 1 of case C (the SIMD path, four scenarios a register) = case B (one scenario, the scalar path)."""
    assert_bits(case_c.scenario_totals[0], case_b.scenario_totals[0], "case C scenario 1 vs case B")


# --------------------------------------------------------------------------------------
# Case D: EX2, one point x 1000 scenarios, sims 1-5 (fees, mortality + GMDB, lapse, dynamic lapse)
# --------------------------------------------------------------------------------------


SIMS = range(1, 6)


@pytest.fixture(scope="module")
def case_d(engine, ex2_set, scenarios) -> dict[int, SavingsValuation]:
    return {sim: engine_value(engine, "ex2_model_points.csv", ex2_set.basis(f"ex2_sim{sim}"), scenarios.fund_return,
                              per_lane=True, scenario_totals=True, point_totals=True) for sim in SIMS}


@pytest.fixture(scope="module")
def case_d_ref() -> pl.DataFrame:
    return read_lifelib("ex2_pv_by_sim_scen.csv.gz")


@pytest.mark.parametrize("sim", SIMS, ids=lambda s: f"sim{s}")
def test_case_d_per_scenario(case_d, case_d_ref, sim):
    ref = case_d_ref.filter(pl.col("sim_id") == sim).sort("scen_id")
    assert ref["scen_id"].to_list() == list(range(1, N_SCEN + 1))
    scale = ref["pv_premiums"].to_numpy()
    for column in EX2_PV:
        assert_close(case_d[sim].pv[K[column], 0], ref[column].to_numpy(), scale, f"case D sim {sim} {column}")


def _check_summary(sim: int, gmdb: float, gmab: float, fee: float, premiums: float) -> None:
    """One row of lifelib's ``monte_carlo()`` table (means over the 1000 scenarios)."""
    row = read_lifelib("ex2_summary_1000scen.csv").filter(pl.col("sim_id") == sim).row(0, named=True)
    what = f"case D sim {sim}"
    assert_close(gmdb, row["gmdb_mean"], premiums, f"{what} gmdb_mean")
    assert_close(gmab, row["gmab_mean"], premiums, f"{what} gmab_mean")
    assert_close(gmdb + gmab, row["gmxb_total_mean"], premiums, f"{what} gmxb_total_mean")
    assert_close(fee, row["pv_maint_fee_mean"], premiums, f"{what} pv_maint_fee_mean")
    if gmdb + gmab:
        assert_close(fee / (gmdb + gmab), row["coverage_ratio"], 0.0, f"{what} coverage_ratio")


@pytest.mark.parametrize("sim", SIMS, ids=lambda s: f"sim{s}")
def test_case_d_summary_table(case_d, sim):
    mean = case_d[sim].point_totals[0] / N_SCEN
    _check_summary(sim, mean[K["pv_gmdb"]], mean[K["pv_gmab"]], mean[K["pv_maint_fee"]], mean[K["pv_premiums"]])


def test_case_d_switches_take_the_expected_paths(case_d):
    """Sims 1-2 (no decrements) run the SIMD path, 3-5 the general one; all match lifelib above."""
    assert not case_d[1].pv[K["pv_maint_fee"]].any() and case_d[2].pv[K["pv_maint_fee"]].all()
    assert not case_d[2].pv[K["pv_gmdb"]].any() and case_d[3].pv[K["pv_gmdb"]].any()
    assert not case_d[3].pv[K["pv_claims_lapse"]].any() and case_d[4].pv[K["pv_claims_lapse"]].all()
    assert not np.array_equal(case_d[4].pv, case_d[5].pv)  # the dynamic lapse changes every lane


@pytest.mark.parametrize("sim", SIMS, ids=lambda s: f"sim{s}")
def test_case_d_through_lc_run(case_d, case_d_ref, scenarios, sim):
    result = lc.run(DATA / "ex2_model_points.csv", DATA / "ex2", f"ex2_sim{sim}", scenarios=scenarios)
    lanes = case_d[sim].pv[:, 0, :]  # (13, 1000): one point, so a scenario's total is its lane
    for column in EX2_PV:
        assert_bits(result.per_scenario[column].to_numpy(), lanes[K[column]], f"lc.run sim {sim} {column}")
        assert_bits(result.per_policy[column].to_numpy(), case_d[sim].point_totals[:, K[column]] / N_SCEN,
                    f"lc.run sim {sim} per_policy {column}")
    ref = case_d_ref.filter(pl.col("sim_id") == sim).sort("scen_id")
    scale = ref["pv_premiums"].to_numpy()
    for column in EX2_PV:
        assert_close(result.per_scenario[column].to_numpy(), ref[column].to_numpy(), scale,
                     f"lc.run sim {sim} {column}")
    p = result.per_policy.row(0, named=True)
    _check_summary(sim, p["pv_gmdb"], p["pv_gmab"], p["pv_maint_fee"], p["pv_premiums"])
    assert_close(result.guarantee_cost, p["pv_gmdb"] + p["pv_gmab"], p["pv_premiums"], f"sim {sim} guarantee_cost")
