"""The preview: a reproducible sample scaled to the portfolio, with an honest 95% interval."""

from __future__ import annotations

from pathlib import Path

import pytest

import livecalc_lab as lc
from livecalc_lab.preview import Z95, interval, preview

from test_portfolio import aset  # noqa: F401 - the fixture: the bundled set plus a mortality table by sex

ROOT = Path(__file__).resolve().parents[1]
SPEC = lc.hull_white(n=30, seed=2)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> Path:
    """20,000 synthetic term policies: the population whose full value the previews estimate."""
    return lc.synthetic_portfolio(20_000, seed=3, out=tmp_path_factory.mktemp("cov") / "book.parquet",
                                  row_group_rows=4096)


@pytest.mark.slow
def test_the_95_percent_interval_covers_the_full_value_90_to_99_percent_of_the_time(portfolio):
    full = lc.run(portfolio, scenarios=SPEC).pv_net_cf  # known exactly
    ds = lc.open_dataset(portfolio)
    covered = 0
    for seed in range(200):
        p = preview(ds, scenarios=SPEC, n=400, sample_seed=seed)
        covered += p.ci95[0] <= full <= p.ci95[1]
        assert p.sample_size == 400 and p.total_rows == 20_000
    print(f"covered {covered} of 200")
    assert 180 <= covered <= 198, f"covered {covered} of 200"


def test_the_estimate_scales_the_sample_and_the_interval_uses_the_fpc(portfolio):
    p = preview(portfolio, scenarios=SPEC, n=1_000, sample_seed=9)
    sample = lc.open_dataset(portfolio).sample(1_000, 9)
    ran = lc.run(sample, scenarios=SPEC)
    assert p.pv_net_cf == pytest.approx(20 * ran.pv_net_cf, rel=1e-12)
    assert p.per_scenario["pv_net_cf"].to_list() == pytest.approx([20 * x for x in ran.per_scenario["pv_net_cf"]],
                                                                    rel=1e-12)
    assert p.statistics.percentiles["p50"] == pytest.approx(20 * ran.statistics.percentiles["p50"], rel=1e-12)
    assert p.n_model_points == 20_000 and p.n_policies == pytest.approx(20 * ran.n_policies)
    lo, hi = p.ci95
    assert (hi - lo) / 2 == pytest.approx(Z95 * p.std_error) and p.std_error > 0
    d = p.to_dict()
    assert (d["sample_size"], d["total_rows"], d["ci95"]) == (1_000, 20_000, [lo, hi])


def test_interval_formula():
    import numpy as np

    y = np.array([1.0, 2.0, 3.0, 4.0])
    (lo, hi), se = interval(y, 8, 20.0)
    assert se == pytest.approx(8 * np.sqrt((1 - 4 / 8) * np.var(y, ddof=1) / 4))
    assert (lo, hi) == (pytest.approx(20 - Z95 * se), pytest.approx(20 + Z95 * se))
    assert interval(y, 4, 10.0) == ((10.0, 10.0), 0.0)


@pytest.mark.parametrize("scenarios", [None, SPEC], ids=["deterministic", "stochastic"])
def test_a_sample_of_everything_is_the_full_value_with_no_interval(scenarios):
    path = ROOT / "livecalc_lab" / "demo" / "policies" / "model_point_table.csv"
    p = preview(path, scenarios=scenarios, n=20_000)
    full = lc.run(path, scenarios=scenarios)
    assert p.sample_size == p.total_rows == 10_000
    assert p.pv_net_cf == full.pv_net_cf and p.ci95 == (full.pv_net_cf, full.pv_net_cf)
    assert p.totals == pytest.approx(full.totals, rel=1e-15)


def test_a_filtered_dataset_counts_the_rows_that_pass(portfolio):
    ds = lc.open_dataset(portfolio, filter="age_at_entry >= 40")
    p = preview(ds, n=100_000)
    full = lc.run(ds)
    assert p.total_rows == p.sample_size == full.n_model_points < 20_000
    assert p.pv_net_cf == full.pv_net_cf


@pytest.mark.parametrize("product, path", [
    ("basic_term_s", ROOT / "livecalc_lab" / "demo" / "policies" / "model_point_table.csv"),
    ("savings_ex4", ROOT / "livecalc_lab" / "demo" / "policies" / "savings_model_points.csv")])
def test_a_filter_that_matches_nothing_previews_to_exactly_zero(product, path):
    ds = lc.open_dataset(path, filter="age_at_entry > 200")
    for scenarios in (None, SPEC):
        p = preview(ds, scenarios=scenarios, product=product)
        assert p.total_rows == p.sample_size == p.n_model_points == 0
        assert set(p.totals.values()) == {0.0} and p.ci95 == (0.0, 0.0) and p.std_error == 0.0
    assert p.per_scenario.height == SPEC.n and not p.per_scenario.drop("scenario").to_numpy().any()
    assert (p.statistics.n, p.statistics.mean, p.statistics.std) == (SPEC.n, 0.0, 0.0)
    assert set(p.statistics.cte.values()) == {0.0} and p.tvog == 0.0


def test_savings_preview(tmp_path):
    src = ROOT / "tests" / "data" / "lifelib-savings" / "model_points_bench10k.csv"
    path = tmp_path / "savings.csv"
    path.write_text("".join(src.read_text().splitlines(keepends=True)[:401]))
    spec = lc.hull_white(n=8, seed=3)
    full = lc.run(path, product="savings_ex4", scenarios=spec)
    whole = preview(path, scenarios=spec, product="savings_ex4", n=400)
    assert whole.pv_net_cf == pytest.approx(full.pv_net_cf, rel=1e-12) and whole.std_error == 0
    part = preview(path, scenarios=spec, product="savings_ex4", n=200)
    assert part.total_rows == 400 and part.sample_size == 200 and part.ci95[0] < part.ci95[1]


def test_comparison_with_the_full_run(portfolio):
    from livecalc_lab.preview import compare

    p = preview(portfolio, scenarios=SPEC, n=2_000)
    full = lc.run(portfolio, scenarios=SPEC)
    c = compare(p, full)
    assert c.inside == (p.ci95[0] <= full.pv_net_cf <= p.ci95[1]) and c.full_value == full.pv_net_cf
    row = c.table.filter(c.table["statistic"] == "pv_net_cf").row(0, named=True)
    assert row["rel_diff"] == pytest.approx((p.pv_net_cf - full.pv_net_cf) / abs(full.pv_net_cf))
    assert {"p50", "cte95", "std", "tvog"} <= set(c.table["statistic"])


# ---- mixed portfolios: a product column, and mortality by sex -----------------------------------------------------

def _mixed(tmp_path, case):
    """(path, product): the bundled portfolio with a product column, or valued on the by-sex table."""
    import polars as pl

    pols = lc.demo_policies()
    if case == "by sex":
        return ROOT / "livecalc_lab" / "demo" / "policies" / "model_point_table.csv", "term_by_sex"
    names = pl.Series("product", ["basic_term_s", "endowment_s", "term_by_sex"])
    path = tmp_path / "mixed.parquet"
    pols.with_columns(names.gather(pols["policy_id"] % 3)).write_parquet(path)
    return path, "basic_term_s"


@pytest.mark.parametrize("scenarios", [None, SPEC], ids=["deterministic", "hull-white"])
@pytest.mark.parametrize("case", ["product column", "by sex"])
def test_a_sample_of_a_whole_mixed_portfolio_is_its_full_run_bit_for_bit(aset, tmp_path, case, scenarios):  # noqa: F811
    path, product = _mixed(tmp_path, case)
    p = preview(path, aset, scenarios, product, n=20_000)
    full = lc.run(path, aset, product, scenarios=scenarios)
    assert p.sample_size == p.total_rows == 10_000 and p.n_policies == full.n_policies
    assert p.totals == full.totals and p.ci95 == (full.pv_net_cf, full.pv_net_cf) and p.std_error == 0
    if scenarios is not None:
        assert p.per_scenario.equals(full.per_scenario)  # every per-scenario total, bit for bit
        assert (p.statistics, p.pv_net_cf_ce, p.tvog) == (full.statistics, full.pv_net_cf_ce, full.tvog)
    alone = lc.run(lc.demo_policies(), aset, "basic_term_s", scenarios=scenarios)  # one product, one table
    assert p.pv_net_cf != alone.pv_net_cf


@pytest.mark.parametrize("case", ["product column", "by sex"])
def test_a_subsample_of_a_mixed_portfolio_values_each_policy_with_its_product(aset, tmp_path, case):  # noqa: F811
    path, product = _mixed(tmp_path, case)
    ds = lc.open_dataset(path)
    sample = ds.sample(2_000, 7)
    ran = lc.run(sample, aset, product)  # the sample valued as lc.run values it, row by row
    p = preview(ds, aset, None, product, n=2_000, sample_seed=7)
    assert p.pv_net_cf == pytest.approx(5 * ran.pv_net_cf, rel=1e-12)
    y = ran.per_policy["pv_net_cf"].to_numpy()  # each sampled policy's PV, whatever its product or cell
    (lo, hi), se = interval(y, 10_000, p.pv_net_cf)
    assert p.std_error == pytest.approx(se, rel=1e-12) and p.ci95 == (pytest.approx(lo), pytest.approx(hi))
    full = lc.run(path, aset, product).pv_net_cf
    assert 0 < p.relative_halfwidth < 0.1 and abs(p.pv_net_cf - full) < 4 * p.std_error
    stochastic = preview(ds, aset, SPEC, product, n=2_000, sample_seed=7)
    ran = lc.run(sample, aset, product, scenarios=SPEC)
    assert stochastic.per_scenario["pv_net_cf"].to_list() == pytest.approx(
        [5 * x for x in ran.per_scenario["pv_net_cf"]], rel=1e-12)
    assert 0 < stochastic.relative_halfwidth < 0.1
    assert stochastic.ci95[0] < stochastic.pv_net_cf < stochastic.ci95[1]
