"""The worker entry point: the only code that runs a chunk, on every backend.

``python -m livecalc_lab.jobs.worker --job JOB.json --chunk K --out URI``

reads chunk ``K`` of the job's dataset straight from its source (a worker never
receives policy data from the client), values it with the WASM engine, and
writes the partial result (:mod:`livecalc_lab.jobs.partial_io`) to ``URI`` — a
local path or a blob — under a temporary name, then renames or commits it, so
re-running a chunk replaces its partial and never duplicates it. The local and
Dask backends call :func:`run_chunk` in long-lived worker processes; Azure
Batch runs the command line.

Before valuing, a worker looks for a valid partial already at ``URI`` (same
chunk key, intact) and, if there is one, reports it as reused. On a local path
the worker holds an exclusive lock (``URI.lock``) while it runs the chunk, so a
second worker given the same chunk (for example by a client that re-attached
after the first client died) waits for the first and then reuses its partial:
no chunk runs twice to completion.

Exit status: 0 done (or reused), 2 a data or assumption error (deterministic:
retrying cannot help), 1 anything else. The last line on stdout is a JSON
summary (or the error).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from livecalc_lab.errors import AssumptionError, DataError
from livecalc_lab.jobs import _faults, _storage
from livecalc_lab.jobs.spec import JobSpec

__all__ = ["run_chunk", "main", "EXIT_DATA", "EXIT_ERROR", "is_data_error"]

EXIT_DATA = 2
EXIT_ERROR = 1
_DATASETS: dict[str, Any] = {}


def is_data_error(exc: BaseException) -> bool:
    """Errors in the inputs, which a retry cannot fix."""
    return isinstance(exc, (DataError, AssumptionError))


def _dataset(spec: JobSpec) -> Any:
    from livecalc_lab.data import Dataset

    key = json.dumps(spec.source, sort_keys=True)
    if key not in _DATASETS:
        _DATASETS.clear()  # one dataset at a time per worker process: bounded memory
        _DATASETS[key] = Dataset(spec.policy_source)
    return _DATASETS[key]


def _read(spec: JobSpec, chunk_id: str) -> Any:
    """The chunk's policies in the product's schema (savings products keep their own columns)."""
    ds = _dataset(spec)
    if spec.kind != "savings":
        return ds.read_chunk(chunk_id)
    import dataclasses

    from livecalc_lab.model.savings_policies import read_savings_policies

    pols = ds.read_chunk(chunk_id, extra_columns=True)
    return dataclasses.replace(read_savings_policies(pols.frame), source=pols.source, rows=pols.rows)


def max_rss() -> int:
    """Peak resident set size of this process, bytes."""
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kb) * (1 if sys.platform == "darwin" else 1024)


@contextmanager
def _chunk_lock(out: str) -> Iterator[None]:
    """An exclusive lock beside a local partial (released by the OS if the process dies)."""
    if _storage.is_blob(out):
        yield
        return
    import fcntl

    path = Path(out + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def valid_partial(spec: JobSpec, index: int, uri: str) -> tuple[Any, dict[str, Any]] | None:
    """The partial at ``uri`` if it is chunk ``index`` of ``spec`` and intact; None if absent.

    Raises
    ------
    PartialError
        A partial is there but truncated, corrupted or of another job version.
    """
    from livecalc_lab.jobs.partial_io import check_meta, loads

    data = _storage.read_bytes(uri)
    if data is None:
        return None
    part, meta = loads(data, uri)
    check_meta(meta, spec, index, uri)
    return part, meta


def run_chunk(spec: JobSpec, index: int, out: str | None = None, *, assumptions_folder: str | None = None) -> dict[str, Any]:
    """Value chunk ``index`` of ``spec`` and write its partial to ``out`` (default: the plan's place).

    Returns
    -------
    dict
        ``chunk``, ``status`` (``done`` or ``reused``), ``rows``, ``id_checksum``,
        ``read_seconds``, ``value_seconds``, ``write_seconds``, ``seconds``,
        ``pid``, ``host``, ``max_rss`` (bytes).

    Raises
    ------
    DataError, AssumptionError
        Bad data in the chunk (deterministic), or assumptions that changed.
    """
    from livecalc_lab.jobs.partial_io import PartialError, dumps
    from livecalc_lab.jobs.spec import load_job_assumptions
    from livecalc_lab.partials import value_chunk
    from livecalc_lab.valuation import TERM_PV_LINES

    t0 = time.perf_counter()
    chunk = spec.chunks[index]
    out = out or spec.partial_uri(index)
    info: dict[str, Any] = {"chunk": index, "key": chunk.key, "pid": os.getpid(), "host": socket.gethostname()}
    with _chunk_lock(out):
        try:
            found = valid_partial(spec, index, out)
        except PartialError:
            found = None  # replaced below
        if found is not None:
            part, _ = found
            return info | {"status": "reused", "rows": part.n_model_points, "id_checksum": str(part.id_checksum),
                           "read_seconds": 0.0, "value_seconds": 0.0, "write_seconds": 0.0,
                           "seconds": time.perf_counter() - t0, "max_rss": max_rss()}
        aset = load_job_assumptions(spec.assumptions, assumptions_folder)
        policies = _read(spec, chunk.id)
        t1 = time.perf_counter()
        _faults.hit("read", index)
        if spec.kind == "savings":
            part = value_chunk(policies, aset, spec.product, spec.scenario_spec)
        else:  # the lines the result is finished from (as lc.run computes them)
            part = value_chunk(policies, aset, spec.product, lines=TERM_PV_LINES)
        del policies
        t2 = time.perf_counter()
        _faults.hit("valued", index)
        meta = {"chunk_key": chunk.key, "chunk_index": index, "chunk_id": chunk.id, "job_id": spec.job_id,
                "engine_version": spec.engine_version, "assumptions_version": spec.assumptions["version"],
                "part_version": chunk.part_version, "data_version": spec.data_version,
                "lines": list(TERM_PV_LINES) if spec.kind == "term" else None,
                "scenarios_version": spec.scenarios_version if spec.kind == "savings" else None,
                "read_seconds": t1 - t0, "value_seconds": t2 - t1, "pid": os.getpid(), "host": info["host"],
                "written_at": time.time()}
        _storage.write_bytes(out, dumps(part, meta))
        t3 = time.perf_counter()
        if not _storage.is_blob(out):  # one line per completed run: what the fault tests count
            with open(Path(out).parent / "_completed.log", "a") as log:
                log.write(f"{chunk.key} {index} {os.getpid()} {time.time():.6f}\n")
    return info | {"status": "done", "rows": part.n_model_points, "id_checksum": str(part.id_checksum),
                   "read_seconds": t1 - t0, "value_seconds": t2 - t1, "write_seconds": t3 - t2,
                   "seconds": t3 - t0, "max_rss": max_rss()}


def run_captured(spec_json: str, index: int, out: str | None = None) -> dict[str, Any]:
    """:func:`run_chunk` for in-process backends: errors come back as values, not exceptions.

    Returns the summary, or ``{"chunk", "error", "data_error", "traceback", "pid"}``.
    """
    try:
        spec = _spec_cache(spec_json)
        return run_chunk(spec, index, out)
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the client
        return {"chunk": index, "error": f"{type(exc).__name__}: {exc}", "data_error": is_data_error(exc),
                "traceback": traceback.format_exc(), "pid": os.getpid()}


_SPECS: dict[str, JobSpec] = {}


def _spec_cache(spec_json: str) -> JobSpec:
    spec = _SPECS.get(spec_json)
    if spec is None:
        _SPECS.clear()
        spec = _SPECS[spec_json] = JobSpec.from_json(spec_json)
    return spec


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m livecalc_lab.jobs.worker", description="Run one chunk of a job.")
    ap.add_argument("--job", required=True, help="JOB.json: a path or a blob URI")
    ap.add_argument("--chunk", required=True, type=int, help="chunk index in the job's plan")
    ap.add_argument("--out", help="where to write the partial (default: the job's partials folder)")
    ap.add_argument("--assumptions", help="folder holding the job's assumption set (a staged copy)")
    args = ap.parse_args(argv)
    import livecalc_lab

    print(f"livecalc worker {livecalc_lab.__version__} from {Path(livecalc_lab.__file__).parent} "
          f"pid {os.getpid()} on {socket.gethostname()}: chunk {args.chunk}", file=sys.stderr, flush=True)
    try:
        text = _storage.read_bytes(args.job)
        if text is None:
            raise FileNotFoundError(f"job specification {args.job} not found")
        spec = JobSpec.from_json(text.decode())
        if not 0 <= args.chunk < len(spec.chunks):
            raise IndexError(f"chunk {args.chunk} is not in the plan of {len(spec.chunks)} chunks")
        info = run_chunk(spec, args.chunk, args.out, assumptions_folder=args.assumptions)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        data = is_data_error(exc)
        print(json.dumps({"chunk": args.chunk, "error": f"{type(exc).__name__}: {exc}", "data_error": data}),
              flush=True)
        return EXIT_DATA if data else EXIT_ERROR
    print(json.dumps(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
