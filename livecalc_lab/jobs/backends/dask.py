"""The ``dask`` backend: chunks as tasks on any ``distributed`` cluster.

Give it a scheduler address (``tcp://host:8786``, or ``[backends.dask] scheduler``
in the config file) or a ``distributed.Client``. Each task runs
:func:`livecalc_lab.jobs.worker.run_captured` — the worker entry point's code —
in a Dask worker process, so the workers need ``livecalc-lab`` installed and
must reach the dataset and the partials folder (for a remote cluster, put both
in Blob Storage: ``[backends.dask] partials = "azure://container/prefix"``).

A worker process that dies mid-chunk (SIGKILL, out of memory) is restarted by
its nanny and the scheduler reruns the task elsewhere (up to the scheduler's
``allowed-failures``); a task that raised for any reason other than its data
is resubmitted up to ``max_retries`` times; a chunk with bad data fails at once.
``dask``/``distributed`` are imported only here (extra ``livecalc-lab[dask]``).
"""

from __future__ import annotations

import uuid
from typing import Any

from livecalc_lab.errors import JobError
from livecalc_lab.jobs.backends import DEFAULT_RETRIES, HomePartials, TaskSink

__all__ = ["DaskBackend"]


def _task(spec_json: str, index: int) -> dict[str, Any]:
    from livecalc_lab.jobs.worker import run_captured

    return run_captured(spec_json, index)


class DaskBackend(HomePartials):
    """Run chunks on a Dask ``distributed`` cluster.

    Parameters
    ----------
    scheduler : str, optional
        Scheduler address; ignored when ``client`` is given.
    client : distributed.Client, optional
        A connected client (e.g. on a ``LocalCluster``).
    max_retries : int
    partials : str, optional
        Folder or blob prefix for partial results (default ``$LIVECALC_HOME/partials``,
        which suits a cluster on this machine).

    Raises
    ------
    JobError
        Neither a scheduler nor a client, or dask is not installed.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, client: Any = None, max_retries: int = DEFAULT_RETRIES,
                 partials: str | None = None):
        if scheduler is None and client is None:
            raise JobError("the dask backend needs a scheduler address or a distributed.Client "
                           "([backends.dask] scheduler in config.toml)")
        self.scheduler = scheduler if client is None else client.scheduler.address
        self._client = client
        self._own_client = False
        self.max_retries = int(max_retries)
        self._partials = partials
        self._futures: list[Any] = []

    def __repr__(self) -> str:
        return f"DaskBackend({self.scheduler!r})"

    def client(self) -> Any:
        if self._client is None:
            try:
                from distributed import Client
            except ImportError:  # pragma: no cover - depends on the install
                raise JobError("the dask backend needs distributed: pip install 'livecalc-lab[dask]'") from None
            self._client = Client(self.scheduler, set_as_default=False)
            self._own_client = True
        return self._client

    def describe(self) -> dict[str, Any]:
        return self._describe(scheduler=self.scheduler)

    def run(self, spec: Any, indices: list[int], sink: TaskSink) -> None:
        from distributed import wait

        client = self.client()
        spec_json = spec.to_json()
        run_id = uuid.uuid4().hex[:8]
        attempts = {k: 0 for k in indices}

        def submit(k: int) -> Any:
            attempts[k] += 1
            sink.started(k)
            return client.submit(_task, spec_json, k, key=f"livecalc-{spec.job_id}-{k}-{run_id}-{attempts[k]}",
                                 pure=False)

        futures = {submit(k): k for k in indices}
        self._futures = list(futures)
        while futures:
            if sink.cancelled():
                client.cancel(list(futures))
                return
            try:
                with client.as_current():  # wait() uses the current client; this one need not be the default
                    done, _ = wait(list(futures), timeout=0.25, return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished in this interval
                continue
            for fut in done:
                k = futures.pop(fut)
                if fut.status == "finished":
                    res = fut.result()
                    if "error" not in res:
                        sink.done(k, res)
                        continue
                    message, log, data = res["error"], res.get("traceback", ""), bool(res.get("data_error"))
                else:  # the task itself failed: e.g. KilledWorker after repeated worker deaths
                    exc = fut.exception()
                    message, log, data = f"{type(exc).__name__}: {exc}", "", False
                if data:
                    sink.failed(k, message, log, data_error=True)
                elif attempts[k] <= self.max_retries:
                    sink.retry(k, message, log)
                    futures[submit(k)] = k
                else:
                    sink.failed(k, f"{message}; gave up after {attempts[k]} attempts", log)
            self._futures = list(futures)

    def cancel(self, spec: Any) -> None:
        if self._futures and self._client is not None:
            self._client.cancel(self._futures)

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
