"""The ``local`` backend: a pool of worker processes on this machine.

Each pool process is started once (``spawn``: a fresh interpreter, no state
shared with the client), compiles the engine once, and then runs chunks one at
a time with :func:`livecalc_lab.jobs.worker.run_chunk` — the code behind the
worker entry point — so memory is bounded by one chunk per process (at most
~500 MB of source data). The client knows which chunk each process runs: a
process that dies (killed, out of memory) has its chunk retried on a fresh
process, up to ``max_retries`` times; a chunk whose data is bad fails at once.

Pools are shared within a client process (one per size), so a second job does
not pay the start-up again; jobs take turns on a pool.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import threading
from collections import defaultdict, deque
from multiprocessing.connection import wait
from typing import Any

from livecalc_lab._env import environ
from livecalc_lab.jobs.backends import DEFAULT_RETRIES, HomePartials, TaskSink

__all__ = ["LocalBackend", "ProcessPool", "shared_pool"]

_ENV_LOCK = threading.Lock()
# Each pool process values one chunk at a time on one core: its readers should not start a thread per core.
WORKER_ENV = {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


class _Proc:
    def __init__(self, ctx: Any):
        from livecalc_lab.jobs.backends import _poolworker

        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_poolworker.main, args=(child,), daemon=True, name="livecalc-worker")
        with _ENV_LOCK, environ(WORKER_ENV):  # spawn copies os.environ at start
            self.proc.start()
        child.close()
        self.task: int | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def stop(self, kill: bool = False) -> None:
        if kill and self.proc.is_alive():
            self.proc.terminate()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class ProcessPool:
    """``workers`` worker processes, each running one chunk at a time."""

    def __init__(self, workers: int):
        self.size = int(workers)
        self._ctx = mp.get_context("spawn")
        self._procs = [_Proc(self._ctx) for _ in range(self.size)]
        self.lock = threading.Lock()
        self.closed = False

    @property
    def pids(self) -> list[int | None]:
        return [p.pid for p in self._procs]

    def _replace(self, i: int, kill: bool = False) -> None:
        self._procs[i].stop(kill=kill)
        self._procs[i] = _Proc(self._ctx)

    def run(self, spec: Any, indices: list[int], sink: TaskSink, max_retries: int = DEFAULT_RETRIES) -> None:
        """Run chunks ``indices`` of ``spec`` (see :class:`~livecalc_lab.jobs.backends.Backend`)."""
        with self.lock:
            self._run(spec.to_json(), deque(indices), sink, max_retries)

    def _run(self, spec_json: str, pending: deque[int], sink: TaskSink, max_retries: int) -> None:
        attempts: dict[int, int] = defaultdict(int)
        for i, p in enumerate(self._procs):
            if not p.proc.is_alive():
                self._replace(i)
        while pending or any(p.task is not None for p in self._procs):
            if sink.cancelled():
                for i, p in enumerate(self._procs):
                    if p.task is not None:
                        p.task = None
                        self._replace(i, kill=True)
                return
            for i, p in enumerate(self._procs):
                if p.task is None and pending:
                    k = pending.popleft()
                    try:
                        p.conn.send((spec_json, k))
                    except (BrokenPipeError, OSError):  # died while idle: not the chunk's fault
                        pending.appendleft(k)
                        self._replace(i)
                        continue
                    attempts[k] += 1
                    p.task = k
                    sink.started(k)
            busy = [p for p in self._procs if p.task is not None]
            ready = set(wait([p.conn for p in busy] + [p.proc.sentinel for p in busy], timeout=0.25))
            for i, p in enumerate(self._procs):
                if p.task is None or (p.conn not in ready and p.proc.sentinel not in ready):
                    continue
                k, p.task = p.task, None
                result = None
                try:
                    if p.conn.poll():
                        result = p.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is None:
                    pid = p.pid
                    p.proc.join(1)
                    code = p.proc.exitcode
                    self._replace(i)
                    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    self._again(k, f"worker process {pid} died running chunk {k} ({how})", "", attempts,
                                max_retries, pending, sink)
                elif "error" in result:
                    if result.get("data_error"):
                        sink.failed(k, result["error"], result.get("traceback", ""), data_error=True)
                    else:
                        self._again(k, result["error"], result.get("traceback", ""), attempts, max_retries,
                                    pending, sink)
                else:
                    sink.done(k, result)

    @staticmethod
    def _again(k: int, message: str, log: str, attempts: dict[int, int], max_retries: int, pending: deque[int],
               sink: TaskSink) -> None:
        if attempts[k] <= max_retries:
            sink.retry(k, message, log)
            pending.appendleft(k)
        else:
            sink.failed(k, f"{message}; gave up after {attempts[k]} attempts", log)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for p in self._procs:
                p.stop()


_POOLS: dict[int, ProcessPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(workers: int) -> ProcessPool:
    """This process's pool of ``workers`` processes (started on first use)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None or pool.closed:
            pool = _POOLS[workers] = ProcessPool(workers)
        return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS.values()):
        pool.close()
    _POOLS.clear()


class LocalBackend(HomePartials):
    """Run chunks in a process pool on this machine.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: the machine's cores).
    max_retries : int
        Attempts after the first for a chunk whose worker died or failed for a
        reason other than its data.
    partials : str, optional
        Folder or blob prefix for partial results (default ``$LIVECALC_HOME/partials``).
    shared : bool
        Use this process's shared pool of that size (default) or a pool of its own
        (closed by :meth:`close`; the benchmark uses it to measure start-up and memory).
    """

    name = "local"

    def __init__(self, workers: int | None = None, max_retries: int = DEFAULT_RETRIES, partials: str | None = None,
                 shared: bool = True):
        self.workers = int(workers or os.cpu_count() or 1)
        self.max_retries = int(max_retries)
        self._partials = partials
        self._shared = shared
        self._pool: ProcessPool | None = None

    def __repr__(self) -> str:
        return f"LocalBackend(workers={self.workers})"

    @property
    def pool(self) -> ProcessPool:
        if self._pool is None or self._pool.closed:
            self._pool = shared_pool(self.workers) if self._shared else ProcessPool(self.workers)
        return self._pool

    def describe(self) -> dict[str, Any]:
        return self._describe(workers=self.workers)

    def run(self, spec: Any, indices: list[int], sink: TaskSink) -> None:
        self.pool.run(spec, indices, sink, self.max_retries)

    def cancel(self, spec: Any) -> None:
        """Nothing outside this process runs the job's chunks; the driver stops the pool's work."""

    def close(self) -> None:
        if self._pool is not None and not self._shared:
            self._pool.close()
