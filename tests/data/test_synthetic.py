"""Synthetic portfolios: deterministic, streamed to CSV/Parquet, realistic in size, valued by `livecalc run`."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app
from livecalc_lab.data.schema import ReadOptions, normalise
from livecalc_lab.data.synthetic import BLOCK_ROWS, synthetic_portfolio


def test_rows_depend_only_on_seed_and_position():
    a = synthetic_portfolio(BLOCK_ROWS + 10, seed=3)
    b = synthetic_portfolio(100, seed=3)
    assert a.head(100).equals(b)
    assert not synthetic_portfolio(100, seed=4).equals(b)
    assert a["policy_id"].is_unique().all()


def test_distributions_are_lifelib_like():
    f = synthetic_portfolio(20_000, seed=1)
    assert f["age_at_entry"].min() == 20 and f["age_at_entry"].max() == 59
    assert set(f["policy_term"].unique()) == {10, 15, 20}
    assert f["sum_assured"].min() >= 10_000 and f["sum_assured"].max() <= 1_000_000
    assert (f["sum_assured"] % 1000 == 0).all() and (f["policy_count"] == 1).all()
    g = synthetic_portfolio(5_000, seed=1, in_force=True)
    assert g["duration_mth"].min() >= -36 and (g["duration_mth"] < 12 * g["policy_term"]).all()


def test_dates_agree_with_ages_and_durations():
    f = synthetic_portfolio(3_000, seed=2, in_force=True)
    derived = normalise(f.drop("age_at_entry", "duration_mth").with_columns(pl.col("date_of_birth", "issue_date").cast(pl.String)),
                        "syn", options=ReadOptions(valuation_date="2026-01-01"))
    assert derived.frame["age_at_entry"].to_list() == f["age_at_entry"].to_list()
    assert derived.frame["duration_mth"].to_list() == f["duration_mth"].to_list()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_files_read_back_and_rows_are_realistic_in_size(tmp_path, suffix):
    path = synthetic_portfolio(30_000, seed=5, out=tmp_path / f"s{suffix}", row_group_rows=10_000)
    ds = lc.open_dataset(path)
    assert ds.metadata.rows == 30_000
    if suffix == ".csv":
        assert 200 <= path.stat().st_size / 30_000 <= 1000
    else:
        assert len(list(ds.iter_chunks(1))) == 3
    assert ds.read().frame.equals(lc.read_policies(synthetic_portfolio(30_000, seed=5)).frame)


def test_cli_synth_then_run_values_it(tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["synth", "5000", str(tmp_path / "book.csv"), "--seed", "7"])
    assert out.exit_code == 0, out.output
    res = runner.invoke(app, ["run", str(tmp_path / "book.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_model_points"] == 5000 and data["data_version"].startswith("xxh3:")
    direct = lc.run(synthetic_portfolio(5000, seed=7))
    assert data["pv_net_cf"] == direct.pv_net_cf
    res = runner.invoke(app, ["synth", "800", str(tmp_path / "inforce.parquet"), "--in-force"])
    assert res.exit_code == 0
    assert lc.run(tmp_path / "inforce.parquet", product="basic_term_se").n_model_points == 800


def test_cli_datasets_commands(tmp_path):
    runner = CliRunner()
    synthetic_portfolio(2_000, seed=1, out=tmp_path / "b.parquet")
    info = runner.invoke(app, ["datasets", "info", str(tmp_path / "b.parquet")])
    assert info.exit_code == 0 and "rows 2,000" in info.output
    out = tmp_path / "sample.parquet"
    res = runner.invoke(app, ["datasets", "sample", str(tmp_path / "b.parquet"), "-n", "100", "--seed", "42", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(out).equals(lc.open_dataset(tmp_path / "b.parquet").sample(100, 42))
    res = runner.invoke(app, ["datasets", "sample", str(tmp_path / "b.parquet"), "-n", "5", "--filter", "region = 'UK-LON'"])
    assert res.exit_code == 0 and "shape: (5, 21)" in res.output
    bad = runner.invoke(app, ["datasets", "validate", str(tmp_path / "b.parquet"), "--product", "basic_term_se"])
    assert bad.exit_code == 0 and "no problems found" in bad.output
    runner.invoke(app, ["synth", "50", str(tmp_path / "nb.csv")])
    err = runner.invoke(app, ["run", str(tmp_path / "nb.csv"), "--filter", "regio = 'x'"])
    assert err.exit_code == 1 and "unknown column 'regio'" in err.output
