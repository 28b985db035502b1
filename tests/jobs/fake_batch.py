"""A stand-in for the Azure Batch service that runs the tasks it is given, for real, on this machine.

There is no Batch emulator. :class:`FakeBatchClient` implements the few
``BatchClient`` calls the backend makes (``get_job``, ``create_job``,
``create_tasks``, ``list_tasks``, ``get_job_task_counts``, ``begin_terminate_job``)
and does what a Batch compute node would do with the job and task
specifications it receives — nothing more:

* downloads each resource file from Blob Storage (Azurite) by the URL in the spec
  into the task's working directory (``file_path``);
* runs the job preparation task's command line once per node, then each task's
  **exact command line** (``/bin/sh -c '...'``) with the environment variables
  Batch sets (``AZ_BATCH_NODE_SHARED_DIR``, ``AZ_BATCH_TASK_WORKING_DIR``,
  ``AZ_BATCH_JOB_ID``, ``AZ_BATCH_TASK_ID``) plus the task's environment settings;
* reruns a task that exits non-zero up to its ``max_task_retry_count``;
* uploads the files matching each output file's pattern (``../std*.txt``) to
  the destination container and path when the task completes.

The node's storage credential (a managed identity on Azure) is Azurite's
connection string in the environment.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlsplit


class FakeBatchClient:
    """See the module docstring. ``nodes`` tasks run at a time, each node with its own shared folder."""

    def __init__(self, connection_string: str, workdir: Path, nodes: int = 2):
        self.conn = connection_string
        self.workdir = Path(workdir)
        self.jobs: dict[str, Any] = {}
        self.tasks: dict[str, dict[str, SimpleNamespace]] = {}
        self.created: list[Any] = []  # every BatchTaskCreateOptions received
        self.terminated: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=nodes)
        self._nodes = [self.workdir / f"node-{i}" for i in range(nodes)]
        self._free = list(range(nodes))
        self._lock = threading.Lock()
        self._prepared: set[tuple[int, str]] = set()

    # ---- the BatchClient calls the backend makes -------------------------------------------

    def get_job(self, job_id: str) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        if job_id not in self.jobs:
            raise ResourceNotFoundError(f"job {job_id} not found")
        return self.jobs[job_id]

    def create_job(self, job: Any) -> None:
        self.jobs[job.id] = job
        self.tasks[job.id] = {}

    def create_tasks(self, job_id: str, tasks: list[Any]) -> None:
        assert len(tasks) <= 100, "a task collection holds at most 100 tasks"
        for t in tasks:
            self.created.append(t)
            self.tasks[job_id][t.id] = SimpleNamespace(id=t.id, state="active", execution_info=None, spec=t)
            self._pool.submit(self._run_task, job_id, t)

    def list_tasks(self, job_id: str, filter: str | None = None) -> list[Any]:  # noqa: A002 - the SDK's name
        tasks = list(self.tasks.get(job_id, {}).values())
        if filter == "state eq 'completed'":
            tasks = [t for t in tasks if t.state == "completed"]
        return tasks

    def get_job_task_counts(self, job_id: str) -> Any:
        states = [t.state for t in self.tasks[job_id].values()]
        return SimpleNamespace(task_counts=SimpleNamespace(active=states.count("active"),
                                                           running=states.count("running"),
                                                           completed=states.count("completed")))

    def begin_terminate_job(self, job_id: str) -> None:
        self.terminated.add(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # ---- what a node does ------------------------------------------------------------------------

    def _download(self, url: str, dest: Path) -> None:
        from azure.storage.blob import BlobServiceClient

        path = unquote(urlsplit(url).path).lstrip("/").split("/", 2)  # account / container / blob (Azurite)
        with BlobServiceClient.from_connection_string(self.conn) as svc:
            data = svc.get_blob_client(path[1], path[2]).download_blob().readall()
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)

    def _upload(self, container_url: str, blob_path: str, file: Path) -> None:
        from azure.storage.blob import BlobServiceClient

        container = unquote(urlsplit(container_url).path).lstrip("/").split("/")[1]
        with BlobServiceClient.from_connection_string(self.conn) as svc:
            svc.get_blob_client(container, f"{blob_path}/{file.name}").upload_blob(file.read_bytes(), overwrite=True)

    def _env(self, node: Path, job_id: str, task_id: str, wd: Path, settings: Any) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "LIVECALC_CACHE_DIR")}
        env |= {"AZ_BATCH_NODE_SHARED_DIR": str(node / "shared"), "AZ_BATCH_TASK_WORKING_DIR": str(wd),
                "AZ_BATCH_JOB_ID": job_id, "AZ_BATCH_TASK_ID": task_id,
                "AZURE_STORAGE_CONNECTION_STRING": self.conn}
        for s in settings or []:
            env[s.name] = s.value
        return env

    def _exec(self, command_line: str, task_dir: Path, env: dict[str, str]) -> int:
        wd = task_dir / "wd"
        with open(task_dir / "stdout.txt", "ab") as out, open(task_dir / "stderr.txt", "ab") as err:
            return subprocess.run(shlex.split(command_line), cwd=wd, env=env, stdout=out, stderr=err,
                                  timeout=300).returncode

    def _prepare(self, node_index: int, node: Path, job_id: str) -> int:
        prep = self.jobs[job_id].job_preparation_task
        if (node_index, job_id) in self._prepared or prep is None:
            return 0
        task_dir = node / "jobs" / job_id / "jobpreparation"
        (task_dir / "wd").mkdir(parents=True, exist_ok=True)
        (node / "shared").mkdir(parents=True, exist_ok=True)
        for rf in prep.resource_files or []:
            self._download(rf.http_url, task_dir / "wd" / rf.file_path)
        code = self._exec(prep.command_line, task_dir, self._env(node, job_id, "jobpreparation", task_dir / "wd",
                                                                  prep.environment_settings))
        if code == 0:
            self._prepared.add((node_index, job_id))
        return code

    def _run_task(self, job_id: str, spec: Any) -> None:
        with self._lock:
            n = self._free.pop()
        node = self._nodes[n]
        record = self.tasks[job_id][spec.id]
        try:
            record.state = "running"
            retries = spec.constraints.max_task_retry_count or 0
            code, attempt = None, 0
            task_dir = node / "jobs" / job_id / spec.id
            while True:
                if job_id in self.terminated:
                    break
                code = self._prepare(n, node, job_id)
                if code == 0:
                    wd = task_dir / "wd"
                    wd.mkdir(parents=True, exist_ok=True)
                    for rf in spec.resource_files or []:
                        self._download(rf.http_url, wd / rf.file_path)
                    code = self._exec(spec.command_line, task_dir,
                                      self._env(node, job_id, spec.id, wd, spec.environment_settings))
                if code == 0 or attempt >= retries:
                    break
                attempt += 1
            for of in spec.output_files or []:
                dest = of.destination.container
                for f in sorted(glob.glob(str(task_dir / "wd" / of.file_pattern))):
                    self._upload(dest.container_url, dest.path, Path(f))
            record.execution_info = SimpleNamespace(exit_code=code, retry_count=attempt, failure_info=None)
            record.state = "completed"
        finally:
            with self._lock:
                self._free.append(n)
