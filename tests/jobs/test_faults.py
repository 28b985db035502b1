"""Faults: a worker killed mid-chunk, a chunk with bad data, a client killed mid-job, damaged partials."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _helpers import SPEC, chunk_bytes_for, completions, same_result, wait_for

import livecalc_lab as lc
from livecalc_lab.jobs.backends.local import LocalBackend
from livecalc_lab.jobs.store import JobRecord

ROOT = Path(__file__).resolve().parents[2]


def _fault(marker: Path, chunk: int, point: str = "valued", seconds: float = 30) -> str:
    return json.dumps({"chunk": chunk, "point": point, "action": "pause", "seconds": seconds, "marker": str(marker)})


def test_a_worker_killed_mid_chunk_is_retried_and_the_result_is_unchanged(book, tmp_path, monkeypatch):
    marker = tmp_path / "fault"
    monkeypatch.setenv("LIVECALC_TEST_FAULT", _fault(marker, chunk=1))
    backend = LocalBackend(workers=2, shared=False)  # started with the fault armed
    try:
        job = lc.submit(book, scenarios=SPEC, backend=backend, chunk_bytes=chunk_bytes_for(book, 4))
        wait_for(lambda: marker.exists() and marker.read_text(), 30)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # mid-chunk: read and valued, partial not written
        res = job.result(timeout=60)
    finally:
        backend.close()
    same_result(res, lc.run(book, scenarios=SPEC))
    chunk = job.info["chunks"][1]
    assert chunk["attempts"] == 2 and chunk["status"] == "done"
    assert "killed by signal 9" in job.record.logs()[1]


def _parts(folder: Path) -> Path:
    folder.mkdir()
    frame = lc.synthetic_portfolio(1_500, seed=11)
    for i in range(3):
        frame.slice(500 * i, 500).write_csv(folder / f"part-{i}.csv")
    return folder


def test_a_bad_chunk_fails_the_job_and_only_it_is_recomputed_after_the_fix(tmp_path, local, home):
    folder = _parts(tmp_path / "book")
    good = (folder / "part-1.csv").read_text()
    lines = good.splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[7].rstrip("\n").split(",")
    row[header.index("sum_assured")] = "12x"
    (folder / "part-1.csv").write_text("".join(lines[:7]) + ",".join(row) + "\n" + "".join(lines[8:]))
    target = 1 << 20  # one chunk per part
    job = lc.submit(folder, backend=local, chunk_bytes=target)
    with pytest.raises(lc.JobError) as err:
        job.result(timeout=60)
    msg = str(err.value)
    assert "chunk 1 (csv/int/part-1.csv/" in msg and "row 7" in msg and "'sum_assured'" in msg and "'12x'" in msg
    assert err.value.chunk == 1
    st = job.info
    assert [c["status"] for c in st["chunks"]] == ["done", "failed", "done"]
    assert st["chunks"][1]["attempts"] == 1 and st["errors"][0]["data_error"]  # no retry of a data error
    assert completions(home) == {0: 1, 2: 1}
    (folder / "part-1.csv").write_text(good)
    fixed = lc.submit(folder, backend=local, chunk_bytes=target)
    assert fixed.id != job.id  # the data changed, so the job did
    same_result(fixed.result(timeout=60), lc.run(folder))
    assert completions(home) == {0: 1, 1: 1, 2: 1}  # only the failed chunk was valued again
    assert fixed.to_dict()["reused_chunks"] == 2


def test_a_killed_client_is_replaced_by_a_new_process_with_no_chunk_run_twice(book, tmp_path, home):
    marker = tmp_path / "fault"
    target = chunk_bytes_for(book, 4)
    script = textwrap.dedent(f"""
        import livecalc_lab as lc
        from livecalc_lab.jobs.backends.local import LocalBackend
        job = lc.submit({str(book)!r}, scenarios=lc.hull_white(n=40, seed=7), backend=LocalBackend(workers=2),
                        chunk_bytes={target})
        print(job.id, flush=True)
        job.result()
        print("finished", flush=True)
    """)
    env = {**os.environ, "LIVECALC_TEST_FAULT": _fault(marker, chunk=2, seconds=4), "PYTHONPATH": str(ROOT)}
    client = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        job_id = client.stdout.readline().strip()
        wait_for(marker.exists, 30)  # chunk 2 is being valued by the client's worker
        client.kill()
        client.wait(10)
    finally:
        if client.poll() is None:
            client.kill()
        client.stdout.close()
    job = lc.attach(job_id)
    assert job.state == "running" and not job.record.driven_elsewhere()  # its driver died with the client
    res = job.result(timeout=60)  # this process takes over
    same_result(res, lc.run(book, scenarios=SPEC))
    assert completions(home) == {0: 1, 1: 1, 2: 1, 3: 1}


def test_truncated_and_foreign_partials_are_recomputed_not_merged(book, local, home):
    target = chunk_bytes_for(book, 3)
    first = lc.submit(book, scenarios=SPEC, backend=local, chunk_bytes=target)
    first.result(timeout=60)
    spec = first.spec
    p1, p2 = Path(spec.partial_uri(1)), Path(spec.partial_uri(2))
    p1.write_bytes(p1.read_bytes()[: p1.stat().st_size // 2])  # truncated
    other = lc.submit(book, product="basic_term_se", backend=local, chunk_bytes=target)  # another job version
    other.result(timeout=60)
    p2.write_bytes(Path(other.spec.partial_uri(2)).read_bytes())
    runs = completions(home)
    job = lc.submit(book, scenarios=lc.hull_white(n=12, seed=1), backend=local, chunk_bytes=target)
    same_result(job.result(timeout=60), lc.run(book, scenarios=lc.hull_white(n=12, seed=1)))
    after = completions(home)
    assert {k: after[k] - runs.get(k, 0) for k in after} == {0: 0, 1: 1, 2: 1}
    logs = JobRecord(job.id).logs()
    assert sorted(logs) == [1, 2]
    assert "unreadable partial result" in logs[1] and "from another job version" in logs[2]


def test_a_partial_damaged_after_it_was_written_is_caught_before_merging(book, local):
    from livecalc_lab.jobs.aggregate import collect

    job = lc.submit(book, backend=local, chunk_bytes=chunk_bytes_for(book, 2))
    job.result(timeout=60)
    path = Path(job.spec.partial_uri(0))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    parts, bad = collect(job.spec)
    assert list(parts) == [1] and list(bad) == [0]
    assert "corrupted" in bad[0]
