"""The preview: a reproducible sample scaled to the portfolio, with an honest 95% interval."""

from __future__ import annotations

from pathlib import Path

import pytest

import livecalc_lab as lc
from livecalc_lab.preview import Z95, interval, preview

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
