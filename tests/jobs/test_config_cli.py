"""The configuration file, backend="auto", and the preview / submit / jobs commands."""

from __future__ import annotations

import json
import os
import time

import pytest
from _helpers import chunk_bytes_for
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app
from livecalc_lab.config import ConfigError, backend_config, default_backend, load_settings
from livecalc_lab.jobs.choose import choose_backend

runner = CliRunner()


def _config(home, text):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_config_names_backends_by_reference_never_by_secret(home, monkeypatch):
    assert load_settings() == {} and default_backend() == "local"
    _config(home, '[backends]\ndefault = "dask"\n[backends.dask]\nscheduler_env = "SCHED"\n'
                  '[datasets.book]\nuri = "azure://book/p.parquet"\n')
    monkeypatch.setenv("SCHED", "tcp://127.0.0.1:8786")
    assert default_backend() == "dask"
    assert backend_config("dask") == {"scheduler": "tcp://127.0.0.1:8786"}
    assert load_settings()["datasets"]["book"]["uri"] == "azure://book/p.parquet"  # for the Data API's parser
    monkeypatch.delenv("SCHED")
    with pytest.raises(ConfigError, match="SCHED is not set"):
        backend_config("dask")
    time.sleep(0.01)
    _config(home, '[backends.azure_batch]\naccount_key = "c2VjcmV0"\n')
    os.utime(home / "config.toml", (time.time() + 5, time.time() + 5))
    with pytest.raises(ConfigError, match="secrets are never written"):
        load_settings()


def test_auto_runs_locally_and_advises_a_cluster_for_large_data(book, home):
    ds = lc.open_dataset(book)
    assert choose_backend(ds, "term", config={}).name == "local"
    assert choose_backend(ds, "term", config={}).advice is None

    class Big:
        label = "big.parquet"
        metadata = type("M", (), {"rows": 400_000_000, "bytes": 90 * 10**9})()

    advice = choose_backend(Big(), "term", config={})
    assert advice.name == "local" and "better sent to a cluster" in advice.advice and "400,000,000 rows" in advice.advice
    assert choose_backend(Big(), "term", config={"backends": {"dask": {}}}).name == "dask"
    job = lc.submit(book, backend="auto", chunk_bytes=chunk_bytes_for(book, 2))
    assert job.result(timeout=60).pv_net_cf == lc.run(book).pv_net_cf and job.advice is None


def test_submit_wait_json_gives_the_same_pv_as_run_json(book):
    ran = json.loads(runner.invoke(app, ["run", str(book), "--json"]).output)
    out = runner.invoke(app, ["submit", str(book), "--backend", "local", "--workers", "2", "--wait", "--json",
                              "--chunk-bytes", str(chunk_bytes_for(book, 3))])
    assert out.exit_code == 0, out.output
    sub = json.loads(out.output)
    assert sub["pv_net_cf"] == ran["pv_net_cf"]
    assert set(ran) - {"elapsed_seconds", "engine_seconds"} <= set(sub)
    assert sub["chunks"] == 3 and sub["job_id"].startswith("j")


def test_preview_json_adds_the_sample_and_interval(book):
    out = runner.invoke(app, ["preview", str(book), "-n", "500", "--scenarios", "20", "--json"])
    assert out.exit_code == 0, out.output
    p = json.loads(out.output)
    ran = json.loads(runner.invoke(app, ["run", str(book), "--scenarios", "20", "--json"]).output)
    assert set(ran) <= set(p)
    assert (p["sample_size"], p["total_rows"]) == (500, 3_000)
    lo, hi = p["ci95"]
    assert lo < p["pv_net_cf"] < hi and lo < ran["pv_net_cf"] < hi


def test_jobs_list_show_cancel_and_prune(book):
    job = lc.submit(book, backend="local", chunk_bytes=chunk_bytes_for(book, 2))
    job.result(timeout=60)
    listed = json.loads(runner.invoke(app, ["jobs", "--json"]).output)
    assert [r["job_id"] for r in listed] == [job.id] and listed[0]["state"] == "finished"
    shown = runner.invoke(app, ["jobs", "show", job.id[:7]])
    assert shown.exit_code == 0 and "finished" in shown.output and "PV net cashflow" in shown.output
    assert json.loads(runner.invoke(app, ["jobs", "show", job.id, "--json"]).output)["result"]["pv_net_cf"] == \
        lc.run(book).pv_net_cf
    assert runner.invoke(app, ["jobs", "cancel", job.id]).output.strip() == f"job {job.id} finished"
    assert "would remove 0 job(s)" in runner.invoke(app, ["jobs", "prune", "--older-than", "30d", "--dry-run"]).output
    partials = [job.spec.partial_uri(k) for k in range(2)]
    assert all(os.path.exists(p) for p in partials)
    out = runner.invoke(app, ["jobs", "prune", "--older-than", "0s"])
    assert f"removed 1 job(s): {job.id}" in out.output
    assert lc.jobs() == [] and not any(os.path.exists(p) for p in partials)
    bad = runner.invoke(app, ["jobs", "show", "nope"])
    assert bad.exit_code == 1 and "no job 'nope'" in bad.output


def test_a_dataset_id_from_the_config_file_is_submitted_and_previewed(home, tmp_path):
    """`lc.submit("book")` / `lc.preview("book")` open the dataset registered as [datasets.book]."""
    book = tmp_path / "book.parquet"
    lc.demo_policies().head(300).drop("sex").write_parquet(book)
    _config(home, f'[datasets.book]\nuri = "{book}"\ntitle = "three hundred policies"\n')
    job = lc.submit("book", backend="local", workers=1)
    assert job.result().pv_net_cf == lc.run(book).pv_net_cf
    assert lc.preview("book", n=100).total_rows == 300
