"""The ``azure_batch`` backend: one Azure Batch task per chunk, inputs and outputs in Blob Storage.

For a job it

1. **stages** to the staging prefix (``[backends.azure_batch] staging``, an
   ``https://<account>.blob.core.windows.net/<container>/<prefix>`` or
   ``azure://container/prefix`` location): a wheel of the running package
   (``wheels/<sha>/livecalc_lab-*.whl``, content-addressed, uploaded once), the
   assumption set's files unless it is the bundled one
   (``assumptions/<version>/...``), and ``jobs/<job id>/job.json``;
2. **creates a Batch job** on the configured pool whose *job preparation task*
   installs the wheel (``pip install --no-deps --target
   $AZ_BATCH_NODE_SHARED_DIR/livecalc-<sha>``; the pool's start task provides
   Python and the dependencies), with ``maxTaskRetryCount`` set;
3. **adds one task per chunk** whose command line runs the worker entry point,
   ``python3 -m livecalc_lab.jobs.worker --job job.json --chunk K --out <partial URL>``,
   with ``job.json`` (and the assumption files) as resource files, and the
   task's ``stdout.txt``/``stderr.txt`` uploaded on completion to
   ``jobs/<job id>/logs/<task id>/`` as output files;
4. **polls** the job's task counts and completed tasks (for progress), keeps the
   logs of failed tasks with the job record, and leaves aggregation to the
   driver, which reads the partials from ``partials/`` in Blob Storage.

Every URL given to Batch carries no secret: resource and output files name the
pool's user-assigned managed identity (``node_identity``), and the worker reads
data and writes partials with azure-identity on the node. The client
authenticates to Batch with azure-identity's ``DefaultAzureCredential``
(``credential = "azure-identity"``).

``azure-batch`` (15.x) is imported only here (extra ``livecalc-lab[batch]``).
There is no Batch emulator: the tests check the job and task specifications
built here and run their exact command lines as local processes against Azurite
(``tests/jobs/fake_batch.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecalc_lab.errors import JobError
from livecalc_lab.jobs import _storage
from livecalc_lab.jobs.backends import DEFAULT_RETRIES, TaskSink
from livecalc_lab.jobs.worker import EXIT_DATA

__all__ = ["AzureBatchBackend", "Staged"]

ACTIVE = ("active", "preparing", "running")


@dataclass(frozen=True)
class Staged:
    """URLs of a job's staged inputs."""

    wheel_url: str
    wheel_sha: str
    job_url: str
    assumption_files: dict[str, str]  # path below the task's "assumptions/" folder -> URL


class AzureBatchBackend:
    """Run chunks as Azure Batch tasks (see the module docstring).

    Parameters
    ----------
    endpoint : str
        Batch account endpoint, ``https://<account>.<region>.batch.azure.com``.
    pool : str
        Id of an existing pool whose nodes have Python 3.11+ and the package's
        dependencies (see the README).
    staging : str
        Blob prefix for staged inputs, partials and task logs.
    credential : optional
        A token credential for Batch (default: ``DefaultAzureCredential``).
    client : optional
        A ``BatchClient`` (tests pass a stand-in).
    node_identity : str, optional
        Resource id of the pool's user-assigned managed identity, named by every
        resource and output file so no URL carries a SAS token.
    max_task_retries : int
        ``maxTaskRetryCount`` of every task.
    python : str
        The Python command on the nodes.
    poll_seconds : float
        Seconds between polls of the job's tasks.
    """

    name = "azure_batch"

    def __init__(self, endpoint: str, pool: str, staging: str, *, credential: Any = None, client: Any = None,
                 node_identity: str | None = None, max_task_retries: int = DEFAULT_RETRIES, python: str = "python3",
                 poll_seconds: float = 5.0):
        if not endpoint or not pool or not staging:
            raise JobError("the azure_batch backend needs an endpoint, a pool and a staging location "
                           "([backends.azure_batch] endpoint_env, pool, staging in config.toml)")
        self.endpoint = endpoint
        self.pool = pool
        self.staging = staging.rstrip("/")
        self.node_identity = node_identity
        self.max_task_retries = int(max_task_retries)
        self.python = python
        self.poll_seconds = float(poll_seconds)
        self._credential = credential
        self._client = client

    @classmethod
    def from_settings(cls, opts: dict[str, Any]) -> "AzureBatchBackend":
        """From ``[backends.azure_batch]`` (environment references already resolved)."""
        known = {"endpoint", "pool", "staging", "credential", "node_identity", "max_task_retries", "python",
                 "poll_seconds", "client"}
        unknown = sorted(set(opts) - known - {"name"})
        if unknown:
            raise JobError(f"[backends.azure_batch]: unknown setting(s) {', '.join(unknown)}")
        cred = opts.get("credential", "azure-identity")
        if isinstance(cred, str) and cred != "azure-identity":
            raise JobError(f"[backends.azure_batch] credential = {cred!r}: only \"azure-identity\" is supported")
        return cls(opts.get("endpoint", ""), opts.get("pool", ""), opts.get("staging", ""),
                   credential=None if isinstance(cred, str) else cred, client=opts.get("client"),
                   node_identity=opts.get("node_identity"),
                   max_task_retries=opts.get("max_task_retries", DEFAULT_RETRIES),
                   python=opts.get("python", "python3"), poll_seconds=opts.get("poll_seconds", 5.0))

    def __repr__(self) -> str:
        return f"AzureBatchBackend({self.endpoint!r}, pool={self.pool!r})"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "endpoint": self.endpoint, "pool": self.pool, "staging": self.staging,
                "node_identity": self.node_identity, "max_task_retries": self.max_task_retries,
                "python": self.python, "poll_seconds": self.poll_seconds}

    def partials_root(self) -> str:
        return _storage.join(self._url(self.staging), "partials")

    def client(self) -> Any:
        if self._client is None:
            try:
                from azure.batch import BatchClient
            except ImportError:  # pragma: no cover - depends on the install
                raise JobError("the azure_batch backend needs azure-batch: pip install 'livecalc-lab[batch]'") from None
            cred = self._credential
            if cred is None:
                from azure.identity import DefaultAzureCredential

                cred = DefaultAzureCredential()
            self._client = BatchClient(self.endpoint, cred)
        return self._client

    @staticmethod
    def _url(uri: str) -> str:
        """An ``azure://`` location as the account's URL (what a node can resolve without configuration)."""
        if uri.startswith("azure://"):
            return _storage.blob_url(uri)
        return uri

    # ---- staging -----------------------------------------------------------------------------------

    def stage(self, spec: Any) -> Staged:
        """Upload the wheel (once), the assumption files (once per version) and ``job.json``."""
        from livecalc_lab.jobs.backends._wheel import build_wheel, wheel_name

        root = self._url(self.staging)
        data, sha = build_wheel()
        wheel = _storage.join(root, "wheels", sha[:16], wheel_name())
        if not _storage.exists(wheel):
            _storage.write_bytes(wheel, data)
        files: dict[str, str] = {}
        location = spec.assumptions.get("location")
        if location is not None:
            folder = Path(location)
            version = spec.assumptions["version"].split(":")[-1][:16]
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    rel = p.relative_to(folder).as_posix()
                    uri = _storage.join(root, "assumptions", version, rel)
                    if not _storage.exists(uri):
                        _storage.write_bytes(uri, p.read_bytes())
                    files[rel] = uri
        job_uri = _storage.join(root, "jobs", spec.job_id, "job.json")
        _storage.write_bytes(job_uri, spec.to_json().encode())
        return Staged(wheel, sha, job_uri, files)

    # ---- specifications ------------------------------------------------------------------------------

    def _identity(self) -> Any:
        from azure.batch import models as m

        return m.BatchNodeIdentityReference(resource_id=self.node_identity) if self.node_identity else None

    def install_dir(self, staged: Staged) -> str:
        return f"$AZ_BATCH_NODE_SHARED_DIR/livecalc-{staged.wheel_sha[:16]}"

    def prep_command(self, staged: Staged) -> str:
        """The job preparation task: install the staged wheel once per node (no dependencies: see the pool)."""
        from livecalc_lab.jobs.backends._wheel import wheel_name

        target = self.install_dir(staged)
        return ("/bin/sh -c " + shlex.quote(
            f'test -d "{target}" || {self.python} -m pip install --quiet --no-deps --no-index '
            f'--target "{target}" {wheel_name()}'))

    def command_line(self, spec: Any, staged: Staged, index: int) -> str:
        """The task's command line: the worker entry point for chunk ``index``, from the staged wheel."""
        args = ["-m", "livecalc_lab.jobs.worker", "--job", "job.json", "--chunk", str(index),
                "--out", spec.partial_uri(index)]
        if staged.assumption_files:
            args += ["--assumptions", "assumptions"]
        inner = f'PYTHONPATH="{self.install_dir(staged)}" exec {self.python} ' + " ".join(shlex.quote(a) for a in args)
        return "/bin/sh -c " + shlex.quote(inner)

    def job_spec(self, spec: Any, staged: Staged) -> Any:
        """The ``BatchJobCreateOptions`` of a job."""
        from azure.batch import models as m

        from livecalc_lab.jobs.backends._wheel import wheel_name

        auto_user = m.UserIdentity(auto_user=m.AutoUserSpecification(scope="pool", elevation_level="nonadmin"))
        return m.BatchJobCreateOptions(
            id=spec.job_id,
            display_name=f"livecalc {spec.product} {spec.label}"[:1024],
            pool_info=m.BatchPoolInfo(pool_id=self.pool),
            constraints=m.BatchJobConstraints(max_task_retry_count=self.max_task_retries),
            job_preparation_task=m.BatchJobPreparationTask(
                command_line=self.prep_command(staged),
                resource_files=[m.ResourceFile(http_url=staged.wheel_url, file_path=wheel_name(),
                                               identity_reference=self._identity())],
                wait_for_success=True,
                user_identity=auto_user,
            ),
            metadata=[m.BatchMetadataItem(name="livecalc_job", value=spec.job_id),
                      m.BatchMetadataItem(name="chunks", value=str(len(spec.chunks)))],
        )

    def task_id(self, index: int, attempt: int) -> str:
        return f"chunk-{index:05d}-{attempt}"

    def task_spec(self, spec: Any, staged: Staged, index: int, attempt: int = 1) -> Any:
        """The ``BatchTaskCreateOptions`` of chunk ``index``."""
        from azure.batch import models as m

        root = self._url(self.staging)
        task_id = self.task_id(index, attempt)
        logs = _storage.join(root, "jobs", spec.job_id, "logs", task_id)
        container_url, log_path = _split_container(logs)
        files = [m.ResourceFile(http_url=staged.job_url, file_path="job.json", identity_reference=self._identity())]
        files += [m.ResourceFile(http_url=url, file_path=f"assumptions/{rel}", identity_reference=self._identity())
                  for rel, url in sorted(staged.assumption_files.items())]
        return m.BatchTaskCreateOptions(
            id=task_id,
            display_name=f"chunk {index} of {len(spec.chunks)}",
            command_line=self.command_line(spec, staged, index),
            resource_files=files,
            output_files=[m.OutputFile(
                file_pattern="../std*.txt",
                destination=m.OutputFileDestination(container=m.OutputFileBlobContainerDestination(
                    container_url=container_url, path=log_path, identity_reference=self._identity())),
                upload_options=m.OutputFileUploadConfiguration(upload_condition="taskcompletion"),
            )],
            environment_settings=[m.EnvironmentSetting(name="LIVECALC_CHUNK", value=str(index))],
            constraints=m.BatchTaskConstraints(max_task_retry_count=self.max_task_retries,
                                               max_wall_clock_time=dt.timedelta(hours=2)),
            user_identity=m.UserIdentity(auto_user=m.AutoUserSpecification(scope="pool",
                                                                           elevation_level="nonadmin")),
        )

    # ---- running -------------------------------------------------------------------------------------

    def run(self, spec: Any, indices: list[int], sink: TaskSink) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        client = self.client()
        staged = self.stage(spec)
        try:
            client.get_job(spec.job_id)
        except ResourceNotFoundError:
            client.create_job(self.job_spec(spec, staged))
        latest: dict[int, Any] = {}
        for t in client.list_tasks(spec.job_id):
            k, n = _parse_task_id(t.id)
            if k is not None and (k not in latest or n > _parse_task_id(latest[k].id)[1]):
                latest[k] = t
        watch: dict[str, int] = {}
        new = []
        for k in indices:
            t = latest.get(k)
            if t is not None and getattr(t.state, "value", t.state) in ACTIVE:
                watch[t.id] = k  # still running from before a re-attach: watch it, do not add another
                continue
            attempt = _parse_task_id(t.id)[1] + 1 if t is not None else 1
            new.append(self.task_spec(spec, staged, k, attempt))
            watch[new[-1].id] = k
        for batch in range(0, len(new), 100):
            client.create_tasks(spec.job_id, new[batch:batch + 100])
        for k in watch.values():
            sink.started(k)
        reported: set[str] = set()
        while len(reported) < len(watch):
            if sink.cancelled():
                self.cancel(spec)
                return
            client.get_job_task_counts(spec.job_id)  # cheap liveness check of the job; progress comes per task
            for t in client.list_tasks(spec.job_id, filter="state eq 'completed'"):
                if t.id not in watch or t.id in reported:
                    continue
                reported.add(t.id)
                self._completed(spec, t, watch[t.id], sink)
            if len(reported) < len(watch):
                time.sleep(self.poll_seconds)

    def _completed(self, spec: Any, task: Any, index: int, sink: TaskSink) -> None:
        info = task.execution_info
        code = getattr(info, "exit_code", None)
        stdout, stderr = self.task_logs(spec, task.id)
        summary = _last_json(stdout)
        if code == 0 and summary is not None and "error" not in summary:
            sink.done(index, summary)
            return
        failure = getattr(info, "failure_info", None)
        if summary is not None and "error" in summary:
            message = summary["error"]
        elif failure is not None:
            message = f"{failure.code}: {failure.message}"
        else:
            message = f"task {task.id} exited with code {code}"
        retries = getattr(info, "retry_count", 0)
        log = f"task {task.id}, exit code {code}, {retries} retries\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        sink.failed(index, message, log, data_error=code == EXIT_DATA)

    def task_logs(self, spec: Any, task_id: str) -> tuple[str, str]:
        """The task's uploaded ``stdout.txt`` and ``stderr.txt`` ('' when missing)."""
        root = _storage.join(self._url(self.staging), "jobs", spec.job_id, "logs", task_id)
        out = []
        for name in ("stdout.txt", "stderr.txt"):
            data = _storage.read_bytes(_storage.join(root, name))
            out.append(data.decode(errors="replace") if data else "")
        return out[0], out[1]

    def cancel(self, spec: Any) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self.client().begin_terminate_job(spec.job_id)
        except ResourceNotFoundError:
            pass


def _parse_task_id(task_id: str) -> tuple[int | None, int]:
    parts = task_id.split("-")
    if len(parts) == 3 and parts[0] == "chunk" and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return None, 0


def _split_container(url: str) -> tuple[str, str]:
    """``(container URL, path within it)`` of a blob URL (``https://host/container/path`` or Azurite's
    ``http://host:port/account/container/path``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    segs = parts.path.lstrip("/").split("/")
    n = 2 if parts.hostname in ("127.0.0.1", "localhost") else 1
    container = "/".join(segs[:n])
    return f"{parts.scheme}://{parts.netloc}/{container}", "/".join(segs[n:])


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None
