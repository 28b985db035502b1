"""``lc.run`` and ``livecalc run`` on the savings product: CE vs stochastic, result fields, determinism, bad input.

The bundled assumption set has two savings products on the bundled model points
(lifelib EX4's nine default points): ``savings_ex4`` (no decrements, maturity
guarantee) and ``savings_dynamic`` (fees, mortality with a death guarantee, static and
dynamic lapse: lifelib EX2 sim 5). The engine itself is checked against lifelib and
the reference model in ``tests/engine/test_savings_*.py``; here, the surface.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app
from livecalc_lab.errors import DataError
from livecalc_lab.model import reference_savings as rs
from livecalc_lab.model.savings_policies import read_savings_policies
from livecalc_lab.model.scenarios import ScenarioSet, certainty_equivalent
from livecalc_lab.savings_valuation import demo_savings_policies_path

PRODUCTS = ("savings_ex4", "savings_dynamic")
N_SCEN = 200
SPEC = lc.hull_white(n=N_SCEN, seed=11)
REL = 1e-9  # engine vs readable model, floor: the policy's largest PV (tests/engine/test_savings_vs_reference.py)
EXACT_MEAN = 1e-15  # a mean recomputed with another (correctly rounded) summation
N_MONTHS = 121  # the bundled points: term 10 years, new business, t = 0 .. 120
SAV_PV = (
    "pv_premiums", "pv_claims_death", "pv_claims_lapse", "pv_claims_maturity", "pv_claims", "pv_expenses",
    "pv_commissions", "pv_inv_income", "pv_av_change", "pv_net_cf", "pv_gmdb", "pv_gmab", "pv_maint_fee",
)  # fmt: skip
JSON_STAT_KEYS = {"scenarios", "seed", "mean", "std", "percentiles", "cte", "tvog", "pv_net_cf_ce", "guarantee_cost"}
PERCENTILE_KEYS = {"p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99_5"}
CTE_KEYS = {"cte70", "cte90", "cte95", "cte98", "cte99"}


@pytest.fixture(scope="module")
def deterministic() -> dict[str, lc.ValuationResult]:
    return {p: lc.run(product=p) for p in PRODUCTS}


@pytest.fixture(scope="module")
def stochastic() -> dict[str, lc.ValuationResult]:
    return {p: lc.run(product=p, scenarios=SPEC) for p in PRODUCTS}


# --------------------------------------------------------------------------------------
# Deterministic run == the certainty-equivalent scenario
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("product", PRODUCTS)
def test_deterministic_is_the_ce_value_of_a_stochastic_run(deterministic, stochastic, product):
    det, sto = deterministic[product], stochastic[product]
    assert det.statistics is None and det.per_scenario is None and det.pv_net_cf_ce is None
    assert sto.pv_net_cf_ce == det.pv_net_cf  # the same CE scenario, bit for bit
    assert det.per_policy.height == 9 and set(SAV_PV) <= set(det.per_policy.columns)
    for name in SAV_PV:
        assert det.totals[name] == math.fsum(det.per_policy[name]), name


@pytest.mark.parametrize("product", PRODUCTS)
def test_deterministic_agrees_with_the_reference_model(deterministic, product):
    """The CE projection (fund earning the curve's forward rates) of the readable model, per policy."""
    basis = lc.demo_assumptions().basis(product)
    pols = read_savings_policies(demo_savings_policies_path()).frame
    v = rs.disc_factors(N_MONTHS + 1, basis)
    ce = certainty_equivalent(v, N_MONTHS)
    assert np.array_equal(ce.disc_factor[0], v)
    ref = rs.value(pols, basis, ce.fund_return, v[:N_MONTHS])
    got = deterministic[product].per_policy
    scale = np.max([np.abs(ref[n][:, 0]) for n in SAV_PV], axis=0)  # the policy's largest PV component
    for name in SAV_PV:
        want = ref[name][:, 0]
        err = np.abs(got[name].to_numpy() - want)
        assert (err <= REL * np.maximum(np.abs(want), scale)).all(), (name, got[name].to_list(), want.tolist())
    if product == "savings_dynamic":
        assert (got["pv_gmdb"] > 0).all() and (got["pv_claims_lapse"] > 0).all()


# --------------------------------------------------------------------------------------
# Stochastic result fields
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("product", PRODUCTS)
def test_stochastic_fields(stochastic, product):
    res = stochastic[product]
    ps = res.per_scenario
    assert ps["scenario"].dtype == pl.Int64 and ps["scenario"].to_list() == list(range(1, N_SCEN + 1))
    assert set(SAV_PV) <= set(ps.columns)
    net = ps["pv_net_cf"].to_numpy()
    st = res.statistics
    assert st.n == N_SCEN
    assert st.mean == pytest.approx(math.fsum(net) / N_SCEN, rel=EXACT_MEAN, abs=0)
    assert st.std == pytest.approx(np.std(net, ddof=1), rel=1e-12)
    assert (st.min, st.max) == (net.min(), net.max())
    assert set(st.percentiles) == PERCENTILE_KEYS and set(st.cte) == CTE_KEYS
    ranked = np.sort(net)
    assert st.percentiles["p50"] == ranked[N_SCEN // 2 - 1]  # nearest rank: ceil(0.5 * 200) = 100th value
    assert st.percentiles["p95"] == ranked[190 - 1]
    assert st.cte["cte95"] == pytest.approx(ranked[:10].mean(), rel=1e-12)  # worst 5% = lowest 10 PVs
    # TVOG = CE - mean; the guarantee cost is the mean PV paid above the account value
    assert res.pv_net_cf == st.mean
    assert res.tvog == pytest.approx(res.pv_net_cf_ce - st.mean, rel=1e-12, abs=1e-9 * abs(st.mean))
    gmxb = ps["pv_gmdb"].to_numpy() + ps["pv_gmab"].to_numpy()
    assert res.guarantee_cost == pytest.approx(math.fsum(gmxb) / N_SCEN, rel=EXACT_MEAN, abs=0)
    assert res.guarantee_cost > 0
    # totals: means over the stochastic scenarios; per policy: means of each policy's lanes
    for name in SAV_PV:
        assert res.totals[name] == pytest.approx(math.fsum(ps[name]) / N_SCEN, rel=EXACT_MEAN, abs=0), name
        assert math.fsum(res.per_policy[name]) == pytest.approx(res.totals[name], rel=1e-12,
                                                                abs=1e-12 * res.totals["pv_premiums"]), name
    summary = dict(res.summary().iter_rows())
    assert summary["guarantee_cost"] == res.guarantee_cost and summary["tvog"] == res.tvog
    assert summary["pv_net_cf_ce"] == res.pv_net_cf_ce
    assert res.scenario_spec["seed"] == 11 and res.scenario_spec["n"] == N_SCEN
    if product == "savings_ex4":
        assert (ps["pv_gmdb"] == 0).all() and (ps["pv_gmab"] > 0).any()
    else:
        assert (ps["pv_gmdb"] > 0).all() and (ps["pv_maint_fee"] > 0).all()


@pytest.mark.parametrize("product", PRODUCTS)
def test_same_spec_twice_is_identical(stochastic, product):
    again = lc.run(product=product, scenarios=lc.hull_white(n=N_SCEN, seed=11))
    first = stochastic[product]
    assert again.per_scenario.equals(first.per_scenario)
    assert again.per_policy.equals(first.per_policy)
    assert again.statistics == first.statistics
    assert (again.tvog, again.guarantee_cost, again.pv_net_cf_ce) == (first.tvog, first.guarantee_cost,
                                                                      first.pv_net_cf_ce)
    assert again.scenarios_version == first.scenarios_version


@pytest.mark.parametrize("product", PRODUCTS)
def test_threads_give_identical_per_scenario_totals(stochastic, product):
    two = lc.run(product=product, scenarios=SPEC, threads=2)
    assert two.per_scenario.equals(stochastic[product].per_scenario)
    assert two.per_policy.equals(stochastic[product].per_policy)
    assert two.totals == stochastic[product].totals


def test_scenario_k_does_not_depend_on_the_count(stochastic):
    """Scenario k is a function of (seed, k): the first 50 of 200 scenarios are the 50 of a 50-scenario run."""
    fifty = lc.run(product="savings_dynamic", scenarios=lc.hull_white(n=50, seed=11))
    assert fifty.per_scenario.equals(stochastic["savings_dynamic"].per_scenario.head(50))


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------


def invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_json_with_scenarios(tmp_path):
    out = tmp_path / "scen.parquet"
    r = invoke("run", "--product", "savings_ex4", "--scenarios", "50", "--json", "--per-scenario", out)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert JSON_STAT_KEYS <= set(d)
    assert d["scenarios"] == 50 and d["seed"] == 1
    assert set(d["percentiles"]) == PERCENTILE_KEYS and set(d["cte"]) == CTE_KEYS
    api = lc.run(product="savings_ex4", scenarios=lc.hull_white(n=50, seed=1))
    assert d["mean"] == api.statistics.mean == d["pv_net_cf"]
    assert (d["tvog"], d["pv_net_cf_ce"], d["guarantee_cost"]) == (api.tvog, api.pv_net_cf_ce, api.guarantee_cost)
    assert d["pv_net_cf_ce"] == lc.run(product="savings_ex4").pv_net_cf
    # --per-scenario: one row per stochastic scenario (the CE scenario excluded)
    f = pl.read_parquet(out)
    assert f.schema["scenario"].is_integer() and f.schema["pv_net_cf"] == pl.Float64
    assert f["scenario"].to_list() == list(range(1, 51))
    assert f["pv_net_cf"].to_list() == api.per_scenario["pv_net_cf"].to_list()
    assert math.fsum(f["pv_net_cf"]) / 50 == pytest.approx(d["mean"], rel=EXACT_MEAN, abs=0)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def _bundled_points() -> pl.DataFrame:
    return pl.read_csv(demo_savings_policies_path(), infer_schema=False)


def test_negative_account_value_names_file_row_column_value(tmp_path):
    path = tmp_path / "points.csv"
    f = _bundled_points()
    f.with_columns(av_pp_init=pl.Series(["0", "0", "-5.5"] + ["0"] * 6)).write_csv(path)
    with pytest.raises(DataError) as e:
        lc.run(path, product="savings_ex4")
    msg = str(e.value)
    assert str(path) in msg and "row 3 " in msg and "'av_pp_init'" in msg and "-5.5" in msg, msg
    r = invoke("run", path, "--product", "savings_ex4")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "av_pp_init" in r.output and "-5.5" in r.output


def _wide_returns(path: Path, n_scen: int, n_months: int, bad: tuple[int, int, float] | None = None) -> Path:
    r = np.full((n_scen, n_months), 0.001)
    if bad is not None:
        r[bad[0], bad[1]] = bad[2]
    pl.DataFrame({"scen_id": np.arange(1, n_scen + 1)} | {f"t{t}": r[:, t] for t in range(n_months)}).write_csv(path)
    return path


def test_scenario_file_too_short_for_the_longest_policy(tmp_path):
    path = _wide_returns(tmp_path / "short.csv", 4, 60)
    sset = lc.read_scenarios(fund_return=path, layout="wide")
    with pytest.raises(DataError, match=r"scenario file .*short\.csv covers t = 0\.\.59 but .* needs t = 0\.\.120"):
        lc.run(product="savings_ex4", scenarios=sset)
    ok = lc.run(product="savings_ex4", scenarios=lc.read_scenarios(fund_return=_wide_returns(
        tmp_path / "long.csv", 4, N_MONTHS), layout="wide"))
    assert ok.statistics.n == 4  # exactly long enough


@pytest.mark.parametrize("value", [-1.0, -1.5])
def test_fund_return_at_or_below_minus_one_in_a_file(tmp_path, value):
    path = _wide_returns(tmp_path / "returns.csv", 4, N_MONTHS, bad=(2, 17, value))
    with pytest.raises(DataError) as e:
        lc.read_scenarios(fund_return=path, layout="wide")
    msg = str(e.value)
    assert str(path) in msg and "row 3 " in msg and "'t17'" in msg and repr(value) in msg, msg
    assert "fund index non-positive" in msg


def test_fund_return_at_or_below_minus_one_on_the_command_line(tmp_path):
    path = tmp_path / "long.csv"
    pl.DataFrame({"scenario": [1] * N_MONTHS, "t": list(range(N_MONTHS)),
                  "fund_return": [0.001] * 5 + [-1.0] + [0.001] * (N_MONTHS - 6)}).write_csv(path)
    r = invoke("run", "--product", "savings_ex4", "--scenario-file", path)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "DataError" in r.output and "fund_return" in r.output and "-1.0" in r.output


@pytest.mark.parametrize("value", [-1.0, -1.5, np.nan, np.inf])
def test_fund_return_at_or_below_minus_one_in_a_scenario_set(value):
    """A ScenarioSet built in code is checked when built, as files are when read."""
    r = np.full((3, N_MONTHS), 0.001)
    r[1, 17] = value
    with pytest.raises(DataError, match=r"my-generator.*scenario 2.*t = 17"):
        sset = ScenarioSet(ids=np.arange(1, 4), n_months=N_MONTHS, fund_return=r, source="my-generator")
        lc.run(product="savings_ex4", scenarios=sset)
