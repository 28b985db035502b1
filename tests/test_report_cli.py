"""``livecalc report``: a saved result file or a finished job, as HTML or Markdown; clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app


def invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LIVECALC_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_run_save_then_report_the_file(tmp_path):
    saved = tmp_path / "result.parquet"
    out = invoke("run", "--scenarios", "30", "--seed", "4", "--save", saved)
    assert out.exit_code == 0, out.output
    result = lc.load_result(saved)
    assert result.statistics.n == 30 and result.scenario_spec["seed"] == 4
    html = invoke("report", saved, "-o", tmp_path / "r.html")
    assert html.exit_code == 0, html.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == result.to_html()
    md = invoke("report", saved, "--format", "md")  # to standard output
    assert md.exit_code == 0 and md.stdout == result.to_markdown()
    by_suffix = invoke("report", saved, "-o", tmp_path / "r.md", "--title", "Q1 close")
    assert by_suffix.exit_code == 0
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Q1 close\n")


def test_report_a_finished_job(home, tmp_path):
    book = lc.synthetic_portfolio(1_500, seed=8, out=tmp_path / "book.parquet", row_group_rows=500)
    job = lc.submit(book, scenarios=lc.hull_white(n=20, seed=5), backend="local", workers=1,
                    chunk_bytes=1, wait=True)
    out = invoke("report", job.id[:8], "--format", "md")
    assert out.exit_code == 0, out.output
    assert out.stdout == job.result().to_markdown(extra={"job_id": job.id, "backend": "local",
                                                         "chunks": len(job.spec.chunks), "reused_chunks": 0})
    assert f"| Job id | {job.id} |" in out.stdout and "| Chunks | 3 |" in out.stdout


def test_report_errors_name_what_is_wrong(home, tmp_path):
    out = invoke("report", "jdoesnotexist")
    assert out.exit_code == 1 and "JobError: no job 'jdoesnotexist'" in out.output
    out = invoke("report", tmp_path / "missing.parquet")
    assert out.exit_code == 1 and "missing.parquet: no such result file" in out.output
    (tmp_path / "notes.txt").write_text("not a result")
    out = invoke("report", tmp_path / "notes.txt")
    assert out.exit_code == 1 and "notes.txt: not a Parquet file" in out.output
    saved = lc.run().save(tmp_path / "r.parquet")
    out = invoke("report", saved, "--format", "pdf")
    assert out.exit_code == 2 and "--format must be html or md" in out.output
    out = invoke("run", "--shock", "mortality=1.1", "--save", tmp_path / "s.parquet")
    assert out.exit_code == 2 and not (tmp_path / "s.parquet").exists()
