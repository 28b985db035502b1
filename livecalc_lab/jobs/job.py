"""Jobs: ``lc.submit``, ``lc.attach``, ``lc.jobs`` and the :class:`Job` handle.

A job is driven by one process at a time (the one holding its record's driver
lock): a background thread there hands chunks to the backend, records each
chunk's status in the job record, emits progress events, and finally checks and
merges the partials (:mod:`livecalc_lab.jobs.aggregate`) and stores the result.
Any other process — a new kernel after the first died, ``livecalc jobs show`` —
reads the record; ``job.result()`` there takes over the driving if the first
driver is gone, so a job whose client was killed is finished by the next one
that asks, recomputing only the chunks that have no valid partial.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Generator

from livecalc_lab.errors import JobError
from livecalc_lab.jobs.driver import Driver, rows_done
from livecalc_lab.jobs.progress import ProgressCallback, ProgressEvent, TerminalProgress
from livecalc_lab.jobs.spec import JobSpec
from livecalc_lab.jobs.store import TERMINAL, JobRecord, list_records

__all__ = ["Job", "submit", "attach", "jobs", "prune"]


def _new_state(spec: JobSpec, backend: dict[str, Any], advice: str | None) -> dict[str, Any]:
    return {"state": "submitted", "backend": backend, "created": time.time(), "started": None, "finished": None,
            "advice": advice, "errors": [], "error": None, "driver": None,
            "chunks": [{"status": "pending", "attempts": 0} for _ in spec.chunks]}


class Job:
    """A handle on a job: its record, progress, result and cancellation.

    Get one from :func:`submit` or :func:`attach`; many handles (in many
    processes) may watch the same job.

    Examples
    --------
    >>> job = lc.submit("policies.parquet", scenarios=lc.hull_white(n=1000))   # doctest: +SKIP
    >>> job.on_progress(print)                                                 # doctest: +SKIP
    >>> result = job.result()          # or: result = await job                # doctest: +SKIP
    """

    def __init__(self, record: JobRecord, advice: str | None = None):
        self.record = record
        self.id = record.id
        self.advice = advice
        self._callbacks: list[ProgressCallback] = []
        self._driver: Driver | None = None
        self._result: Any = None
        self._last: ProgressEvent | None = None

    def __repr__(self) -> str:
        return f"Job({self.id!r}, state={self.state!r})"

    # ---- state ------------------------------------------------------------------------------------

    @property
    def spec(self) -> JobSpec:
        return self.record.spec

    @property
    def state(self) -> str:
        """``submitted``, ``running``, ``finished``, ``failed`` or ``cancelled``."""
        return self.record.load_state()["state"]

    @property
    def info(self) -> dict[str, Any]:
        """The job record's state (chunks, attempts, timings, errors, backend)."""
        return self.record.load_state()

    @property
    def progress(self) -> ProgressEvent:
        """Where the job stands now."""
        st = self.record.load_state()
        t0 = st.get("started") or st.get("created") or time.time()
        end = st.get("finished") if st["state"] in TERMINAL else None
        return self._event_from(st, "status", (end or time.time()) - t0)

    def _event_from(self, st: dict[str, Any], kind: str, elapsed: float, chunk: int | None = None,
                    message: str = "", eta: float | None = None) -> ProgressEvent:
        spec = self.spec
        done = sum(1 for c in st["chunks"] if c["status"] in ("done", "reused"))
        return ProgressEvent(self.id, kind, st["state"], done, len(spec.chunks), rows_done(st, spec),
                             spec.total_rows, elapsed, eta, chunk, message)

    def on_progress(self, callback: ProgressCallback) -> ProgressCallback:
        """Call ``callback(event)`` on every progress event from now on; returns it (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def _publish(self, event: ProgressEvent) -> None:
        self._last = event
        for cb in list(self._callbacks):
            cb(event)

    # ---- driving ----------------------------------------------------------------------------------

    def _start(self, backend: Any) -> None:
        if self._driver is not None and self._driver.is_alive():
            return
        if not self.record.try_drive():
            return  # another live process drives it; this handle watches
        self._driver = Driver(self, backend)
        self._driver.start()

    def _take_over(self) -> bool:
        """Drive the job here if its record is unfinished and no live process drives it."""
        st = self.record.load_state()
        if st["state"] in TERMINAL or (self._driver is not None and self._driver.is_alive()):
            return False
        if not self.record.try_drive():
            return False
        from livecalc_lab.jobs.backends import make_backend

        desc = dict(st.get("backend") or {"name": "local"})
        name = desc.pop("name")
        try:
            backend = make_backend(name, desc)
        except Exception:
            self.record.release_drive()
            raise
        self._driver = Driver(self, backend)
        self._driver.start()
        return True

    def wait(self, timeout: float | None = None) -> str:
        """Block until the job ends (or ``timeout`` seconds pass); returns its state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = None
        while True:
            if self._driver is not None and self._driver.is_alive():
                self._driver.join(0.2 if deadline is None else max(min(0.2, deadline - time.monotonic()), 0))
            else:
                st = self.record.load_state()
                if st["state"] in TERMINAL:
                    return st["state"]
                if not self._take_over():
                    stamp = st.get("updated")
                    if stamp != seen and self._callbacks:  # watching another process's driver
                        seen = stamp
                        self._publish(self._event_from(st, "status", time.time() - (st.get("started") or time.time())))
                    time.sleep(0.2)
            if self._driver is not None and not self._driver.is_alive():
                st = self.record.load_state()
                if st["state"] in TERMINAL:
                    return st["state"]
            if deadline is not None and time.monotonic() >= deadline:
                return self.state

    def result(self, timeout: float | None = None, *, progress: bool = False) -> Any:
        """The :class:`~livecalc_lab.ValuationResult` of the whole dataset (blocks until the job ends).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most.
        progress : bool
            Show a progress bar in the terminal while waiting.

        Raises
        ------
        JobError
            The job failed (the message names the chunk and its error), was
            cancelled, or did not finish within ``timeout``.
        """
        if self._result is not None:
            return self._result
        bar = None
        if progress:
            bar = TerminalProgress()
            self.on_progress(bar)
        try:
            state = self.wait(timeout)
        finally:
            if bar is not None:
                self._callbacks.remove(bar)
                bar.close()
        st = self.record.load_state()
        if state == "finished":
            if self._result is None:  # stored by another process (or an earlier one): finished from the record
                self._result = self._load_result()
            return self._result
        if state == "failed":
            raise JobError(f"job {self.id} failed: {st.get('error')}", job_id=self.id,
                           chunk=(st["errors"][0]["chunk"] if st.get("errors") else None))
        if state == "cancelled":
            raise JobError(f"job {self.id} was cancelled", job_id=self.id)
        raise JobError(f"job {self.id} is still {state} after {timeout} s", job_id=self.id)

    def __await__(self) -> Generator[Any, None, Any]:
        return asyncio.get_running_loop().run_in_executor(None, self.result).__await__()

    def cancel(self) -> None:
        """Stop the job: no more chunks start, running ones are stopped; partials already written are kept."""
        st = self.record.load_state()
        if st["state"] in TERMINAL:
            return
        self.record.request_cancel()
        if self._driver is not None and self._driver.is_alive():
            self._driver.cancel_event.set()
            self._driver.join(30)
            return
        if not self.record.driven_elsewhere():  # nobody drives it: mark it here
            st["state"] = "cancelled"
            st["finished"] = time.time()
            self.record.save_state(st)
            backend = st.get("backend") or {}
            if backend.get("name") == "azure_batch":
                from livecalc_lab.jobs.backends import make_backend

                desc = dict(backend)
                make_backend(desc.pop("name"), desc).cancel(self.spec)

    # ---- results ------------------------------------------------------------------------------------

    def _store_result(self, merged: Any, st: dict[str, Any], seconds: float) -> None:
        from livecalc_lab.jobs.aggregate import merged_meta
        from livecalc_lab.jobs.partial_io import dumps
        from livecalc_lab.partials import finish

        spec = self.spec
        started = time.perf_counter() - seconds
        result = finish(merged, spec.load_assumptions(), spec.scenario_spec, source=spec.label,
                        data_version=spec.data_version, started=started)
        out = result.to_dict() | {
            "job_id": self.id, "chunks": len(spec.chunks), "id_checksum": str(merged.id_checksum),
            "backend": st.get("backend", {}).get("name"),
            "reused_chunks": sum(1 for c in st["chunks"] if c["status"] == "reused"),
        }
        self.record.save_result(out, dumps(merged, merged_meta(spec, merged)))
        self._result = result

    def _load_result(self) -> Any:
        from livecalc_lab.jobs.partial_io import loads
        from livecalc_lab.partials import finish

        stored = self.record.load_result()
        if stored is None:
            raise JobError(f"job {self.id} is finished but its result is missing from {self.record.dir}",
                           job_id=self.id)
        info, merged_bytes = stored
        merged, _ = loads(merged_bytes, str(self.record.dir / "merged.arrow"))
        spec = self.spec
        result = finish(merged, spec.load_assumptions(), spec.scenario_spec, source=spec.label,
                        data_version=spec.data_version)
        result.elapsed_seconds = info["elapsed_seconds"]
        result.engine_seconds = info["engine_seconds"]
        return result

    def to_dict(self) -> dict[str, Any]:
        """The result's JSON (the keys of ``livecalc run --json``) plus ``job_id``, ``chunks``, ``id_checksum``."""
        self.result()
        stored = self.record.load_result()
        assert stored is not None
        return stored[0]

    def comparison(self, preview: Any) -> Any:
        """How the preview compared with this job's full result (see :func:`livecalc_lab.preview.compare`)."""
        from livecalc_lab.preview import compare

        return compare(preview, self.result())


# ---- module functions ---------------------------------------------------------------------------------


def submit(dataset: Any, assumptions: Any = None, scenarios: Any = None, product: str = "basic_term_s", *,
           backend: Any = None, workers: int | None = None, chunk_bytes: int | None = None,
           progress: ProgressCallback | bool | None = None, wait: bool = False) -> Job:
    """Value a whole dataset in chunks on a backend; returns at once with a :class:`Job`.

    Parameters
    ----------
    dataset : str, pathlib.Path, PolicySource or Dataset
        Any dataset :func:`livecalc_lab.open_dataset` opens, or the id of a dataset
        registered in ``[datasets]`` of ``$LIVECALC_HOME/config.toml``.
    assumptions : str, pathlib.Path, AssumptionSet or None
        An assumption-set folder (workers load it from there), a stored version
        ``assumptions://NAME:VERSION`` (or ``:latest``, ``:draft``: the job records the
        version it resolved to, and workers load exactly that one from the store), or
        None for the bundled set.
    scenarios : ScenarioSpec or None
        ``lc.hull_white(...)``; None for a deterministic run.
    product : str
    backend : str or backend object, optional
        ``"local"`` (default unless ``[backends] default`` says otherwise), ``"dask"``,
        ``"azure_batch"``, ``"auto"`` (local below a size threshold, with advice
        when a cluster would do better), or a backend instance.
    workers : int, optional
        Local worker processes (default: the cores).
    chunk_bytes : int, optional
        Target bytes per chunk (default: the planner's choice, see :mod:`livecalc_lab.jobs.spec`).
    progress : callable or bool, optional
        A progress callback, or True for a terminal progress bar.
    wait : bool
        Block until the job ends (and raise if it failed).

    Returns
    -------
    Job
        The same job (by id) as any earlier submission of the same inputs: a
        finished one is returned as it is, never recomputed; a failed or
        cancelled one is resumed, recomputing only chunks without a valid partial.

    Raises
    ------
    DataError, AssumptionError
        The dataset or assumption set cannot be opened.
    JobError
        A job that cannot be planned (e.g. scenarios not given as a spec), or
        ``submit`` called while a worker process re-imports an unguarded main script.

    Notes
    -----
    A relative local path is made absolute (against the current directory) before the
    job is recorded, so any process, in any directory, can re-attach to the job and
    resume it; the same file named either way is the same job.
    """
    from livecalc_lab.config import default_backend, open_configured
    from livecalc_lab.jobs import _storage
    from livecalc_lab.jobs.backends import make_backend
    from livecalc_lab.valuation import resolve_assumptions

    _refuse_in_bootstrapping_worker()
    ds = _absolute_local(open_configured(dataset))
    aset = resolve_assumptions(assumptions)
    advice = None
    if backend is None:
        backend = default_backend()
    if backend == "auto":
        from livecalc_lab.assumptions import ProductBasis
        from livecalc_lab.jobs.choose import choose_backend

        kind = "term" if isinstance(aset.basis(product), ProductBasis) else "savings"
        choice = choose_backend(ds, kind, scenarios.n if scenarios is not None else 0)
        backend, advice = choice.name, choice.advice
    if isinstance(backend, str):
        backend = make_backend(backend, None, workers=workers)
    root = backend.partials_root()
    _storage.check_writable(root)
    spec = JobSpec.create(ds, aset, product, scenarios, partials=root, chunk_bytes=chunk_bytes)
    rec = JobRecord(spec.job_id)
    if rec.exists:
        st = rec.load_state()
        job = Job(rec, advice)
        if st["state"] == "finished" or rec.driven_elsewhere():
            return _watch(job, progress, wait)
        spec.created = rec.spec.created
        rec.create(spec, st)  # the same inputs; the backend (and so the partials' place) may differ
        rec.clear_cancel()
        for c in st["chunks"]:
            if c["status"] in ("failed", "running"):
                c["status"] = "pending"
        st.update(state="submitted", backend=backend.describe(), advice=advice)
        rec.save_state(st)
    else:
        rec.create(spec, _new_state(spec, backend.describe(), advice))
        job = Job(rec, advice)
    job._start(backend)
    return _watch(job, progress, wait)


def _refuse_in_bootstrapping_worker() -> None:
    """Raise when called while a new worker process imports the user's main script.

    Local workers start by spawning a fresh interpreter that imports ``__main__``; a
    script that calls ``lc.submit`` at top level, without ``if __name__ == "__main__":``,
    would otherwise submit again from every worker and wait forever for itself.
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise JobError("lc.submit was called while a worker process was starting: the script that submits jobs "
                       "must guard its top-level code with `if __name__ == \"__main__\":` (worker processes import "
                       "the main script; see the multiprocessing guide's 'safe importing of main module')")


def _absolute_local(ds: Any) -> Any:
    """``ds`` with a relative local path made absolute (a job must not depend on the submitter's directory)."""
    from livecalc_lab.data import Dataset, open_dataset

    src = getattr(ds, "source", None)
    if not isinstance(ds, Dataset) or src is None or src.type != "local" or "://" in src.uri:
        return ds
    if Path(src.uri).is_absolute():
        return ds
    return open_dataset(src.replace(uri=str(Path(src.uri).resolve())))


def _watch(job: Job, progress: ProgressCallback | bool | None, wait: bool) -> Job:
    if callable(progress):
        job.on_progress(progress)
    if wait:
        job.result(progress=progress is True)
    return job


def attach(job_id: str) -> Job:
    """A handle on an existing job, from any process; a finished job's result is read, not recomputed.

    ``attach(job_id).result()`` finishes a job whose driving process died.

    Raises
    ------
    JobError
        No such job.
    """
    rec = JobRecord(_resolve_id(job_id))
    rec.load_state()
    return Job(rec, rec.load_state().get("advice"))


def _resolve_id(prefix: str) -> str:
    if JobRecord(prefix).exists:
        return prefix
    found = [r.id for r in list_records() if r.id.startswith(prefix)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise JobError(f"no job {prefix!r}", job_id=prefix)
    raise JobError(f"job id {prefix!r} is ambiguous: {', '.join(found[:5])}", job_id=prefix)


def jobs() -> list[Job]:
    """Every job on record in ``$LIVECALC_HOME/jobs``, newest first."""
    return [Job(r) for r in list_records()]


def parse_age(text: str) -> float:
    """Seconds in ``30d``, ``12h``, ``45m``, ``90s`` or ``2w``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    t = text.strip().lower()
    try:
        return float(t[:-1]) * units[t[-1]] if t[-1:] in units else float(t)
    except (ValueError, KeyError):
        raise JobError(f"{text!r} is not an age like 30d, 12h or 45m") from None


def prune(older_than: str | float, *, dry_run: bool = False) -> list[str]:
    """Remove finished, failed and cancelled jobs older than ``older_than`` (e.g. ``"30d"``).

    Removes each job's record, its partials that no kept job uses, and its
    Batch staging; running jobs are kept. Returns the removed job ids.
    """
    from livecalc_lab.jobs import _storage

    age = parse_age(older_than) if isinstance(older_than, str) else float(older_than)
    cutoff = time.time() - age
    records = list(list_records())
    old, kept = [], []
    for rec in records:
        st = rec.load_state()
        when = st.get("finished") or st.get("updated") or st.get("created") or 0
        (old if st["state"] in TERMINAL and when < cutoff and not rec.driven_elsewhere() else kept).append((rec, st))
    keep_uris = {rec.spec.partial_uri(k) for rec, _ in kept for k in range(len(rec.spec.chunks))}
    removed = []
    for rec, st in old:
        if not dry_run:
            for k in range(len(rec.spec.chunks)):
                uri = rec.spec.partial_uri(k)
                if uri not in keep_uris:
                    _storage.delete(uri)
                    if not _storage.is_blob(uri):
                        Path(uri + ".lock").unlink(missing_ok=True)
            staging = (st.get("backend") or {}).get("staging")
            if staging:
                _storage.delete_prefix(_storage.join(staging, "jobs", rec.id))
            rec.remove()
        removed.append(rec.id)
    return removed
