"""Job records on disk: ``$LIVECALC_HOME/jobs/<job id>/`` (default ``~/.livecalc/jobs/``).

===================  ==========================================================
``job.json``         the :class:`~livecalc_lab.jobs.spec.JobSpec` (what workers read)
``state.json``       state, backend, per-chunk status, attempts, timings, errors
``result.json``      the result's JSON (the keys of ``livecalc run --json``) and provenance
``merged.arrow``     the merged partial the result is finished from
``logs/``            the logs of failed tasks, kept with the job
``driver.lock``      held (flock) by the one process driving the job
``cancel``           written to ask the driving process to cancel
===================  ==========================================================

Partials of the local and Dask backends live in ``$LIVECALC_HOME/partials/``,
named by chunk key and shared by every job that needs the same chunk.
Files are replaced atomically, so a reader in another process (``lc.attach``,
``livecalc jobs show``) never sees half a record.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from livecalc_lab.config import livecalc_home
from livecalc_lab.errors import JobError
from livecalc_lab.jobs import _storage
from livecalc_lab.jobs.spec import JobSpec

__all__ = ["JobRecord", "jobs_root", "partials_root", "list_records", "TERMINAL", "STATES"]

STATES = ("submitted", "running", "finished", "failed", "cancelled")
TERMINAL = ("finished", "failed", "cancelled")


def jobs_root() -> Path:
    return livecalc_home() / "jobs"


def partials_root() -> Path:
    return livecalc_home() / "partials"


class JobRecord:
    """The on-disk record of one job (see the module docstring)."""

    def __init__(self, job_id: str, root: Path | None = None):
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise JobError(f"{job_id!r} is not a job id")
        self.id = job_id
        self.dir = (root or jobs_root()) / job_id
        self._spec: JobSpec | None = None
        self._lock = threading.Lock()
        self._driver_file: Any = None

    def __repr__(self) -> str:
        return f"JobRecord({self.id!r})"

    @property
    def exists(self) -> bool:
        return (self.dir / "job.json").is_file()

    # ---- spec and state ----------------------------------------------------------------------

    @property
    def spec_path(self) -> Path:
        return self.dir / "job.json"

    @property
    def spec(self) -> JobSpec:
        if self._spec is None:
            try:
                self._spec = JobSpec.from_json(self.spec_path.read_text())
            except FileNotFoundError:
                raise JobError(f"no job {self.id} in {self.dir.parent}", job_id=self.id) from None
        return self._spec

    def create(self, spec: JobSpec, state: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _storage.write_bytes(str(self.spec_path), spec.to_json().encode())
        self._spec = spec
        self.save_state(state)

    def load_state(self) -> dict[str, Any]:
        for _ in range(3):
            try:
                return json.loads((self.dir / "state.json").read_text())
            except FileNotFoundError:
                raise JobError(f"no job {self.id} in {self.dir.parent}", job_id=self.id) from None
            except json.JSONDecodeError:  # pragma: no cover - atomic replace makes this unlikely
                time.sleep(0.01)
        raise JobError(f"job {self.id}: state.json is unreadable", job_id=self.id)

    def save_state(self, state: dict[str, Any]) -> None:
        state["updated"] = time.time()
        with self._lock:
            _storage.write_bytes(str(self.dir / "state.json"), json.dumps(state, indent=1).encode())

    def save_result(self, result: dict[str, Any], merged: bytes) -> None:
        _storage.write_bytes(str(self.dir / "merged.arrow"), merged)
        _storage.write_bytes(str(self.dir / "result.json"), json.dumps(result, indent=1).encode())

    def load_result(self) -> tuple[dict[str, Any], bytes] | None:
        try:
            return json.loads((self.dir / "result.json").read_text()), (self.dir / "merged.arrow").read_bytes()
        except FileNotFoundError:
            return None

    # ---- logs ---------------------------------------------------------------------------------

    def log_path(self, index: int) -> Path:
        return self.dir / "logs" / f"chunk-{index:05d}.log"

    def write_log(self, index: int, text: str) -> Path:
        path = self.log_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        return path

    def logs(self) -> dict[int, str]:
        folder = self.dir / "logs"
        if not folder.is_dir():
            return {}
        return {int(p.stem.split("-")[1]): p.read_text(encoding="utf-8", errors="replace")
                for p in sorted(folder.glob("chunk-*.log"))}

    # ---- driving and cancelling -----------------------------------------------------------------

    def try_drive(self) -> bool:
        """Take the driver lock if no live process holds it (released when this process exits)."""
        import fcntl

        if self._driver_file is not None:
            return True
        self.dir.mkdir(parents=True, exist_ok=True)
        f = open(self.dir / "driver.lock", "a+b")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()} {socket.gethostname()}\n".encode())
        f.flush()
        self._driver_file = f
        return True

    def release_drive(self) -> None:
        if self._driver_file is not None:
            import fcntl

            fcntl.flock(self._driver_file.fileno(), fcntl.LOCK_UN)
            self._driver_file.close()
            self._driver_file = None

    def driven_elsewhere(self) -> bool:
        """Whether another live process holds the driver lock."""
        if self._driver_file is not None:
            return False
        if self.try_drive():
            self.release_drive()
            return False
        return True

    def request_cancel(self) -> None:
        _storage.write_bytes(str(self.dir / "cancel"), f"{time.time()}\n".encode())

    @property
    def cancel_requested(self) -> bool:
        return (self.dir / "cancel").exists()

    def clear_cancel(self) -> None:
        (self.dir / "cancel").unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def list_records(root: Path | None = None) -> Iterator[JobRecord]:
    """Every job record, newest first."""
    base = root or jobs_root()
    if not base.is_dir():
        return
    recs = []
    for d in base.iterdir():
        if (d / "job.json").is_file() and (d / "state.json").is_file():
            recs.append(((d / "state.json").stat().st_mtime, JobRecord(d.name, base)))
    for _, rec in sorted(recs, key=lambda x: -x[0]):
        yield rec
