"""RunPanel: a real local-backend job from the button to the comparison; cancel; re-attach to a running job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.jobs.backends.local import LocalBackend
from livecalc_lab.widgets import PreviewPanel, RunPanel
from livecalc_lab.widgets.run_panel import backend_choices

from _widget_helpers import SMALL, wait_for

ROOT = Path(__file__).resolve().parents[2]
SPEC = lc.hull_white(n=60, seed=9)


@pytest.fixture(scope="module")
def csv_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic term policies as CSV (chunked by byte ranges: several chunks)."""
    return lc.synthetic_portfolio(3_000, seed=5, out=tmp_path_factory.mktemp("csv") / "book.csv")


@pytest.fixture(scope="module")
def pool():
    backend = LocalBackend(workers=2, shared=False)
    yield backend
    backend.close()


def _chunk_bytes(path: Path) -> int:
    return max(path.stat().st_size // 3, 1)


def test_full_run_button_runs_a_local_job_to_the_comparison(csv_book, pool):
    preview = PreviewPanel(csv_book, None, SPEC, n=SMALL, delay=0.0)
    panel = RunPanel(csv_book, None, SPEC, backend=pool, preview=preview, chunk_bytes=_chunk_bytes(csv_book))
    preview.wait(60)
    events = []
    panel.observe(lambda ch: events.append(dict(ch["new"])), names="progress")
    panel._handle({"type": "run"}, [])  # what the button sends
    full = panel.wait(120)
    assert panel.state == "finished" and panel.job.state == "finished"
    expected = lc.run(csv_book, scenarios=SPEC)
    assert full.totals == expected.totals and full.statistics == expected.statistics
    p = panel.progress
    assert p["fraction"] == 1.0 and p["text"] == "3K / 3K policies, 100%" and p["chunks"].startswith(f"{len(panel.job.spec.chunks)} / ")
    assert len(panel.job.spec.chunks) >= 2 and any(0 < e.get("fraction", 0) < 1 for e in events)
    assert panel.preview_result is preview.result  # the displayed preview had the same inputs
    cmp = panel.comparison_result
    assert panel.comparison["inside"] == cmp.inside
    rel = cmp.table.filter(cmp.table["statistic"] == "pv_net_cf")["rel_diff"][0]
    assert panel.comparison["headline"] == f"Preview was within {100 * abs(rel):.1f}% of full run"
    assert ("inside" if cmp.inside else "outside") in panel.comparison["inside_text"]
    rows = {r[0]: r for r in panel.comparison["rows"]}
    assert set(rows) >= {"pv_net_cf", "p95", "cte95", "tvog"} and rows["pv_net_cf"][5] == pytest.approx(rel)
    edges = np.frombuffer(panel.cmp_edges, "<f8")
    assert np.frombuffer(panel.cmp_preview, "<f8").sum() == np.frombuffer(panel.cmp_full, "<f8").sum() == 60
    assert edges.size == 41
    preview.close()
    panel.close()


def test_a_preview_of_other_inputs_is_not_compared_the_jobs_own_is_computed(csv_book, pool):
    stale = lc.preview(csv_book, None, lc.hull_white(n=30, seed=1), n=SMALL)
    panel = RunPanel(csv_book, None, SPEC, backend=pool, preview=stale, chunk_bytes=_chunk_bytes(csv_book))
    panel.run()
    panel.wait(120)
    assert panel.preview_result is not stale and panel.preview_result.scenarios_version == SPEC.version
    assert panel.comparison["headline"].startswith("Preview was within")
    panel.close()


def test_an_edited_assumption_set_is_saved_for_the_workers(csv_book, pool, home):
    edited = lc.demo_assumptions().with_changes({"products.basic_term_s.lapse.multiplier": 0.6})
    panel = RunPanel(csv_book, edited, SPEC, backend=pool, chunk_bytes=_chunk_bytes(csv_book))
    panel.run()
    full = panel.wait(120)
    assert panel.state == "finished", panel.message
    assert full.assumptions_version == edited.version
    assert (home / "assumptions" / edited.version.split(":")[1][:16] / "assumptions.json").is_file()
    panel.close()


def test_cancel_stops_the_job(csv_book, tmp_path, monkeypatch):
    marker = tmp_path / "fault"
    monkeypatch.setenv("LIVECALC_TEST_FAULT", json.dumps({"chunk": 0, "point": "read", "action": "pause",
                                                          "seconds": 20, "marker": str(marker)}))
    backend = LocalBackend(workers=2, shared=False)
    try:
        panel = RunPanel(csv_book, None, SPEC, backend=backend, chunk_bytes=_chunk_bytes(csv_book))
        panel.run()
        wait_for(lambda: marker.exists() and panel.state == "running", 60)
        panel._handle({"type": "cancel"}, [])
        panel.wait(60)
        assert panel.state == "cancelled" and panel.job.state == "cancelled" and panel.full_result is None
        panel.close()
    finally:
        backend.close()


def test_a_reopened_notebook_reattaches_to_the_running_job_of_the_same_inputs(csv_book, tmp_path, home):
    """Another process (the first kernel) submits and drives the job; a new panel of the same inputs finds it."""
    marker = tmp_path / "fault"
    script = textwrap.dedent(f"""
        import livecalc_lab as lc
        job = lc.submit({str(csv_book)!r}, scenarios=lc.hull_white(n=60, seed=9), workers=2,
                        chunk_bytes={_chunk_bytes(csv_book)})
        print(job.id, flush=True)
        job.result()
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECALC_HOME": str(home),
           "LIVECALC_TEST_FAULT": json.dumps({"chunk": 1, "point": "read", "action": "pause", "seconds": 3,
                                              "marker": str(marker)})}
    client = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        job_id = client.stdout.readline().strip()
        wait_for(marker.exists, 60)  # the job is running, paused in chunk 1
        panel = RunPanel(csv_book, None, SPEC)
        wait_for(lambda: panel.job_id == job_id, 30)
        assert "re-attached" in panel.note and panel.state in ("submitted", "running")
        full = panel.wait(120)
        assert panel.state == "finished" and full is not None
        assert full.totals == lc.attach(job_id).result().totals
        assert panel.comparison["headline"].startswith("Preview was within")
        assert client.wait(60) == 0
        # Opened again after the job finished: the finished job is shown, nothing is recomputed.
        again = RunPanel(csv_book, None, SPEC)
        wait_for(lambda: bool(again.comparison), 60)
        assert again.job_id == job_id and again.state == "finished" and again.full_result.totals == full.totals
        # Other inputs: no job to show.
        other = RunPanel(csv_book, None, lc.hull_white(n=61, seed=9))
        other._finder.wait_idle(30)
        assert other.job is None and other.state == "idle"
        for p in (panel, again, other):
            p.close()
    finally:
        if client.poll() is None:
            client.kill()
        client.stdout.close()


def test_backend_choices_list_what_is_configured():
    assert [c[0] for c in backend_choices({})] == ["local", "auto"]
    cfg = {"backends": {"dask": {"scheduler": "tcp://h:8786"}, "azure_batch": {"pool": "p1"}}}
    names = backend_choices(cfg)
    assert [c[0] for c in names] == ["local", "dask", "azure_batch", "auto"]
    assert names[1][1] == "Dask (tcp://h:8786)" and names[2][1] == "Azure Batch (pool p1)"
    empty = RunPanel()
    assert empty.backends[0][0] == "local" and empty.ready is False
    empty._handle({"type": "run"}, [])
    assert empty.message == "choose a dataset first" and empty.job is None
    empty.close()
