"""Jobs on the local process pool: exact results for any chunking and worker count, records, progress, cancel."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from _helpers import SPEC, chunk_bytes_for, completions, same_result, wait_for

import livecalc_lab as lc
from livecalc_lab.jobs.backends.local import LocalBackend

from test_portfolio import aset  # noqa: F401 - the fixture: the bundled set plus a mortality table by sex

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference(book: Path) -> lc.ValuationResult:
    return lc.run(book, scenarios=SPEC)


@pytest.mark.parametrize(("chunks", "workers"), [(1, 1), (3, 2), (17, 2)], ids=["1chunk-1worker", "3chunks-2workers",
                                                                                  "17chunks-2workers"])
def test_results_do_not_depend_on_chunks_or_workers(book, reference, local, chunks, workers):
    backend = local if workers == 2 else LocalBackend(workers=1)
    job = lc.submit(book, scenarios=SPEC, backend=backend, chunk_bytes=chunk_bytes_for(book, chunks))
    assert len(job.spec.chunks) == chunks
    res = job.result(timeout=120)
    same_result(res, reference)
    stored = job.to_dict()
    assert stored["id_checksum"] == str(lc.partials.id_checksum(lc.open_dataset(book).read().frame["policy_id"]))


def test_deterministic_job_equals_run(book, local):
    res = lc.submit(book, backend=local, chunk_bytes=chunk_bytes_for(book, 3)).result(timeout=60)
    same_result(res, lc.run(book))
    assert res.statistics is None


def test_a_relative_path_is_recorded_absolute_so_any_directory_can_resume_it(book, local, tmp_path, monkeypatch):
    monkeypatch.chdir(book.parent)
    job = lc.submit(book.name, backend=local, chunk_bytes=chunk_bytes_for(book, 3))
    assert job.spec.source["uri"] == str(book.resolve())
    assert lc.submit(book.resolve(), backend=local, chunk_bytes=chunk_bytes_for(book, 3)).id == job.id
    monkeypatch.chdir(tmp_path)
    same_result(lc.attach(job.id).result(timeout=60), lc.run(book))


def test_submit_refuses_to_run_while_a_worker_imports_an_unguarded_script(book, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(lc.JobError, match='guard its top-level code with `if __name__ == "__main__":`'):
        lc.submit(book)


def test_progress_events_count_chunks_and_rows(book, local):
    events = []
    job = lc.submit(book, scenarios=SPEC, backend=local, chunk_bytes=chunk_bytes_for(book, 5), progress=events.append)
    job.result(timeout=60)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "finished" and kinds.count("chunk_done") == 5
    done = [e.chunks_done for e in events if e.kind == "chunk_done"]
    assert done == sorted(done) and done[-1] == 5
    assert events[-1].rows_done == events[-1].rows_total == 3_000 and events[-1].fraction == 1.0
    assert all(e.eta is not None and e.eta >= 0 for e in events if e.kind == "chunk_done")
    assert job.progress.state == "finished" and "3,000 / 3,000" in str(job.progress)


def test_a_finished_job_is_never_recomputed(book, local, home):
    target = chunk_bytes_for(book, 3)
    first = lc.submit(book, scenarios=SPEC, backend=local, chunk_bytes=target)
    res = first.result(timeout=60)
    runs = completions(home)
    again = lc.submit(book, scenarios=SPEC, backend=local, chunk_bytes=target)
    assert again.id == first.id and again.state == "finished"
    same_result(again.result(), res)
    assert completions(home) == runs == {0: 1, 1: 1, 2: 1}
    # a new process re-attaches to the finished job and reads its result
    code = f"import livecalc_lab as lc; print(lc.attach({first.id[:6]!r}).result().pv_net_cf)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert float(out.stdout) == res.pv_net_cf
    assert completions(home) == runs
    assert [j.id for j in lc.jobs()] == [first.id]


def test_term_partials_are_reused_under_other_scenarios(book, local, home):
    target = chunk_bytes_for(book, 3)
    lc.submit(book, scenarios=SPEC, backend=local, chunk_bytes=target).result(timeout=60)
    other = lc.hull_white(n=10, seed=99)
    job = lc.submit(book, scenarios=other, backend=local, chunk_bytes=target)
    same_result(job.result(timeout=60), lc.run(book, scenarios=other))
    assert completions(home) == {0: 1, 1: 1, 2: 1}
    assert job.to_dict()["reused_chunks"] == 3


def test_savings_job_equals_run(tmp_path, local):
    src = ROOT / "tests" / "data" / "lifelib-savings" / "model_points_bench10k.csv"
    path = tmp_path / "savings.csv"
    path.write_text("".join(src.read_text().splitlines(keepends=True)[:301]))
    spec = lc.hull_white(n=8, seed=3)
    job = lc.submit(path, scenarios=spec, product="savings_ex4", backend=local, chunk_bytes=chunk_bytes_for(path, 3))
    res = job.result(timeout=120)
    ref = lc.run(path, product="savings_ex4", scenarios=spec)
    same_result(res, ref)
    assert res.guarantee_cost == ref.guarantee_cost


def test_a_mixed_portfolio_job_equals_run(aset, tmp_path, local):  # noqa: F811 - the imported fixture
    """Rows of several products, one of them on a mortality table by sex: each chunk values each row with its own."""
    import polars as pl

    pols = lc.demo_policies().head(3_000)
    names = pl.Series("product", ["basic_term_s", "endowment_s", "term_by_sex"])
    path = tmp_path / "mixed.csv"
    pols.with_columns(names.gather(pols["policy_id"] % 3)).write_csv(path)
    job = lc.submit(path, aset.path, SPEC, backend=local, chunk_bytes=chunk_bytes_for(path, 3))
    assert len(job.spec.chunks) == 3
    ref = lc.run(path, aset, scenarios=SPEC)
    same_result(job.result(timeout=120), ref)
    assert ref.pv_net_cf != lc.run(pols, aset, scenarios=SPEC).pv_net_cf  # as if every row were basic_term_s


def test_await_gives_the_result(book, local):
    async def main() -> float:
        job = lc.submit(book, backend=local, chunk_bytes=chunk_bytes_for(book, 2))
        return (await job).pv_net_cf

    assert asyncio.run(main()) == lc.run(book).pv_net_cf


@pytest.mark.parametrize("via", ["api", "cli"])
def test_cancel_stops_the_job_and_a_resubmit_finishes_it(book, local, tmp_path, monkeypatch, via):
    marker = tmp_path / "paused"
    monkeypatch.setenv("LIVECALC_TEST_FAULT", json.dumps({"chunk": 0, "point": "read", "action": "pause",
                                                          "seconds": 20, "marker": str(marker)}))
    target = chunk_bytes_for(book, 4)
    lc_backend = LocalBackend(workers=2, shared=False)
    try:
        job = lc.submit(book, backend=lc_backend, chunk_bytes=target)
        wait_for(marker.exists, 20)
        assert job.state == "running"
        if via == "api":
            job.cancel()
        else:  # another handle, as from another process: asks the driving process through the record
            from typer.testing import CliRunner

            from livecalc_lab.cli import app

            out = CliRunner().invoke(app, ["jobs", "cancel", job.id])
            assert out.output.strip() == f"job {job.id} cancelled"
        assert job.state == "cancelled"
        with pytest.raises(lc.JobError, match="cancelled"):
            job.result()
        monkeypatch.delenv("LIVECALC_TEST_FAULT")
        again = lc.submit(book, backend=local, chunk_bytes=target)
        assert again.id == job.id
        assert again.result(timeout=60).pv_net_cf == lc.run(book).pv_net_cf
    finally:
        lc_backend.close()


def test_a_filter_that_empties_chunks_gives_the_run_of_what_passes(book, local):
    """Chunks whose rows the filter all drops are empty partials: legal, and they change nothing."""
    ds = lc.open_dataset(book, filter="policy_id <= 500")
    job = lc.submit(ds, scenarios=SPEC, backend=local, chunk_bytes=chunk_bytes_for(book, 3))
    assert len(job.spec.chunks) == 3
    res = job.result(timeout=120)
    same_result(res, lc.run(ds, scenarios=SPEC))
    assert res.n_model_points == 500
    nothing = lc.submit(lc.open_dataset(book, filter="policy_id <= 0"), scenarios=SPEC, backend=local,
                        chunk_bytes=chunk_bytes_for(book, 2)).result(timeout=120)
    assert nothing.n_model_points == 0 and set(nothing.totals.values()) == {0.0} and nothing.tvog == 0.0
    assert nothing.per_scenario.height == SPEC.n and nothing.statistics.std == 0.0
