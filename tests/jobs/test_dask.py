"""The dask backend on a LocalCluster of 2 worker processes: exact results, and a worker killed mid-chunk."""

from __future__ import annotations

import json
import os
import signal

import pytest
from _helpers import SPEC, chunk_bytes_for, completions, same_result, wait_for

import livecalc_lab as lc

pytestmark = pytest.mark.slow


def test_dask_job_equals_run(book, dask_client):
    from livecalc_lab.jobs.backends.dask import DaskBackend

    backend = DaskBackend(client=dask_client)
    job = lc.submit(book, scenarios=SPEC, backend=backend, chunk_bytes=chunk_bytes_for(book, 3))
    same_result(job.result(timeout=120), lc.run(book, scenarios=SPEC))
    assert job.info["backend"] == {"name": "dask", "scheduler": dask_client.scheduler.address, "max_retries": 3}
    assert {c["pid"] for c in job.info["chunks"]} <= set(dask_client.run(os.getpid).values())


def test_a_dask_worker_killed_mid_chunk_is_rerun_and_the_result_is_unchanged(book, dask_client, tmp_path, home):
    from livecalc_lab.jobs.backends.dask import DaskBackend

    marker = tmp_path / "fault"
    fault = json.dumps({"chunk": 2, "point": "valued", "action": "pause", "seconds": 30, "marker": str(marker)})
    # lambdas travel by value, so they change the workers' own environments
    dask_client.run(lambda: os.environ.update(LIVECALC_TEST_FAULT=fault))
    try:
        job = lc.submit(book, scenarios=SPEC, backend=DaskBackend(client=dask_client),
                        chunk_bytes=chunk_bytes_for(book, 4))
        wait_for(lambda: marker.exists() and marker.read_text(), 60)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the nanny restarts it; the scheduler reruns the task
        res = job.result(timeout=120)
    finally:
        dask_client.run(lambda: os.environ.pop("LIVECALC_TEST_FAULT", None))
    same_result(res, lc.run(book, scenarios=SPEC))
    assert completions(home) == {0: 1, 1: 1, 2: 1, 3: 1}
    dask_client.wait_for_workers(2, timeout=30)
