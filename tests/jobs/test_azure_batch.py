"""The azure_batch backend: the job and task specifications it builds, and their exact command lines run
against Azurite by a stand-in for the Batch service (``fake_batch.py``): staging, chunk reads from Blob
Storage, partial writes and aggregation run for real; only Batch's scheduling is simulated."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from _helpers import SPEC, chunk_bytes_for, same_result
from fake_batch import FakeBatchClient
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.jobs.backends.azure_batch import AzureBatchBackend, Staged

pytest.importorskip("azure.batch")
ENDPOINT = "https://acct.westeurope.batch.azure.com"
IDENTITY = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/lc"


def _staged() -> Staged:
    return Staged("https://acct.blob.core.windows.net/stage/jobs/wheels/abc/livecalc_lab-0.1.0-py3-none-any.whl",
                  "abcdef0123456789" * 4, "https://acct.blob.core.windows.net/stage/jobs/jobs/j1/job.json",
                  {"assumptions.json": "https://acct.blob.core.windows.net/stage/jobs/assumptions/v/assumptions.json"})


def test_task_and_job_specifications(book):
    from livecalc_lab.jobs.spec import JobSpec

    backend = AzureBatchBackend(ENDPOINT, "lc-pool", "https://acct.blob.core.windows.net/stage/jobs",
                                node_identity=IDENTITY, max_task_retries=4, client=object())
    spec = JobSpec.create(lc.open_dataset(book), lc.demo_assumptions(), "basic_term_s", SPEC,
                          partials=backend.partials_root(), chunk_bytes=chunk_bytes_for(book, 3))
    staged = _staged()
    task = backend.task_spec(spec, staged, 2).as_dict()
    partial = f"https://acct.blob.core.windows.net/stage/jobs/partials/{spec.chunks[2].key}.arrow"
    assert task["id"] == "chunk-00002-1"
    assert shlex.split(task["commandLine"]) == [
        "/bin/sh", "-c", 'PYTHONPATH="$AZ_BATCH_NODE_SHARED_DIR/livecalc-abcdef0123456789" exec python3 -m '
        f"livecalc_lab.jobs.worker --job job.json --chunk 2 --out {partial} --assumptions assumptions"]
    assert task["constraints"]["maxTaskRetryCount"] == 4
    identity = {"resourceId": IDENTITY}
    assert task["resourceFiles"] == [
        {"httpUrl": staged.job_url, "filePath": "job.json", "identityReference": identity},
        {"httpUrl": staged.assumption_files["assumptions.json"], "filePath": "assumptions/assumptions.json",
         "identityReference": identity}]
    assert task["outputFiles"] == [{
        "filePattern": "../std*.txt",
        "destination": {"container": {"containerUrl": "https://acct.blob.core.windows.net/stage",
                                      "path": f"jobs/jobs/{spec.job_id}/logs/chunk-00002-1",
                                      "identityReference": identity}},
        "uploadOptions": {"uploadCondition": "taskcompletion"}}]
    assert task["userIdentity"] == {"autoUser": {"scope": "pool", "elevationLevel": "nonadmin"}}
    job = backend.job_spec(spec, staged).as_dict()
    assert job["id"] == spec.job_id and job["poolInfo"] == {"poolId": "lc-pool"}
    assert job["constraints"] == {"maxTaskRetryCount": 4}
    prep = job["jobPreparationTask"]
    assert prep["waitForSuccess"] is True
    assert prep["resourceFiles"] == [{"httpUrl": staged.wheel_url, "filePath": "livecalc_lab-0.1.0-py3-none-any.whl",
                                      "identityReference": identity}]
    assert shlex.split(prep["commandLine"])[2] == (
        'test -d "$AZ_BATCH_NODE_SHARED_DIR/livecalc-abcdef0123456789" || python3 -m pip install --quiet --no-deps '
        '--no-index --target "$AZ_BATCH_NODE_SHARED_DIR/livecalc-abcdef0123456789" '
        "livecalc_lab-0.1.0-py3-none-any.whl")
    assert "sig=" not in json.dumps([task, job])  # no SAS token anywhere


def test_backend_from_configuration(tmp_path, monkeypatch):
    from livecalc_lab.config import backend_config

    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "home" / "config.toml").write_text(
        '[backends.azure_batch]\nendpoint_env = "AZURE_BATCH_ENDPOINT"\npool = "lc-pool"\n'
        'staging = "https://acct.blob.core.windows.net/stage/jobs"\ncredential = "azure-identity"\n'
        f'node_identity = "{IDENTITY}"\nmax_task_retries = 2\n')
    monkeypatch.setenv("AZURE_BATCH_ENDPOINT", ENDPOINT)
    b = AzureBatchBackend.from_settings(backend_config("azure_batch"))
    assert (b.endpoint, b.pool, b.node_identity, b.max_task_retries) == (ENDPOINT, "lc-pool", IDENTITY, 2)
    assert b.partials_root() == "https://acct.blob.core.windows.net/stage/jobs/partials"


@pytest.fixture
def batch(container, tmp_path, blob_env):
    """(backend, fake Batch client) staging into a fresh Azurite container."""
    fake = FakeBatchClient(blob_env, tmp_path / "nodes")
    backend = AzureBatchBackend(ENDPOINT, "lc-pool", f"azure://{container.container_name}/livecalc",
                                client=fake, python=sys.executable, poll_seconds=0.2, max_task_retries=1)
    yield backend, fake
    fake.close()


def _upload(container, path: Path, name: str) -> str:
    container.upload_blob(name, path.read_bytes(), overwrite=True)
    return f"{container.url}/{name}"


@pytest.mark.azurite
@pytest.mark.slow
def test_a_batch_job_runs_its_command_lines_against_blob_storage(book, batch, container, tmp_path):
    backend, fake = batch
    folder = tmp_path / "basis"
    shutil.copytree(Path(lc.demo_assumptions().path), folder)
    manifest = json.loads((folder / "assumptions.json").read_text())
    manifest["name"] = "a copy"  # another version than the bundled set: staged as resource files
    (folder / "assumptions.json").write_text(json.dumps(manifest))
    version = lc.load_assumptions(folder).version
    url = _upload(container, book, "data/book.csv")
    job = lc.submit(url, folder, SPEC, backend=backend, chunk_bytes=chunk_bytes_for(book, 3))
    res = job.result(timeout=240)
    same_result(res, lc.run(book, folder, scenarios=SPEC))
    names = {b.name for b in container.list_blobs()}
    root = "livecalc"
    assert {f"{root}/partials/{c.key}.arrow" for c in job.spec.chunks} <= names
    assert f"{root}/jobs/{job.id}/job.json" in names
    assert sum(n.startswith(f"{root}/wheels/") for n in names) == 1
    assert {f"{root}/assumptions/{version[7:23]}/{p.name}" for p in folder.iterdir()} <= names
    assert len(fake.created) == 3 and all(t.command_line.startswith("/bin/sh -c") for t in fake.created)
    stderr = container.download_blob(f"{root}/jobs/{job.id}/logs/chunk-00000-1/stderr.txt").readall().decode()
    assert "/shared/livecalc-" in stderr  # the worker ran from the wheel the job preparation task installed
    wheel = next(n for n in names if n.startswith(f"{root}/wheels/"))
    etag = container.get_blob_client(wheel).get_blob_properties().etag
    again = lc.submit(url, folder, lc.hull_white(n=5, seed=2), backend=backend, chunk_bytes=chunk_bytes_for(book, 3))
    same_result(again.result(timeout=60), lc.run(book, folder, scenarios=lc.hull_white(n=5, seed=2)))
    assert len(fake.created) == 3  # term partials reused: no new task
    assert container.get_blob_client(wheel).get_blob_properties().etag == etag  # the wheel was staged once


@pytest.mark.azurite
@pytest.mark.slow
def test_a_failed_batch_task_keeps_its_logs_with_the_job(book, batch, container):
    from livecalc_lab.cli import app

    backend, fake = batch
    lines = book.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[2].rstrip("\n").split(",")
    row[header.index("age_at_entry")] = "forty"
    bad = "".join(lines[:2]) + ",".join(row) + "\n" + "".join(lines[3:])
    container.upload_blob("data/bad.csv", bad.encode(), overwrite=True)
    job = lc.submit(f"{container.url}/data/bad.csv", backend=backend, chunk_bytes=chunk_bytes_for(book, 2))
    with pytest.raises(lc.JobError, match=r"chunk 0 .*'age_at_entry'.*'forty'"):
        job.result(timeout=240)
    st = job.info
    assert [c["status"] for c in st["chunks"]] == ["failed", "done"] and st["errors"][0]["data_error"]
    log = job.record.logs()[0]
    assert "exit code 2" in log and "DataError" in log and "Traceback" in log
    shown = CliRunner().invoke(app, ["jobs", "show", job.id])
    assert shown.exit_code == 0 and "log of chunk 0" in shown.output and "DataError" in shown.output
