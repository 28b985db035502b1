"""Backends run a job's chunks; they share one interface and the same worker code.

:class:`Backend` is what the job driver (:mod:`livecalc_lab.jobs.job`) talks to:
``run(spec, indices, sink)`` runs the given chunks, reporting each one through
the :class:`TaskSink` (done, retried, failed), retries chunks whose worker died
or failed for a reason other than their data, and returns when every chunk has
ended or the sink says the job was cancelled.

- :class:`~livecalc_lab.jobs.backends.local.LocalBackend`: a process pool here;
- :class:`~livecalc_lab.jobs.backends.dask.DaskBackend`: any ``distributed`` cluster;
- :class:`~livecalc_lab.jobs.backends.azure_batch.AzureBatchBackend`: Azure Batch.

:func:`make_backend` builds one from a name and ``$LIVECALC_HOME/config.toml``.
"""

from __future__ import annotations

from typing import Any, Protocol

from livecalc_lab.errors import JobError

__all__ = ["Backend", "TaskSink", "HomePartials", "make_backend", "DEFAULT_RETRIES"]

DEFAULT_RETRIES = 3


class TaskSink(Protocol):
    """How a backend reports on chunks (implemented by the job driver)."""

    def started(self, index: int) -> None: ...

    def done(self, index: int, info: dict[str, Any]) -> None: ...

    def retry(self, index: int, message: str, log: str = "") -> None: ...

    def failed(self, index: int, message: str, log: str = "", data_error: bool = False) -> None: ...

    def cancelled(self) -> bool: ...


class Backend(Protocol):
    """The interface every backend implements (see the module docstring)."""

    name: str

    def describe(self) -> dict[str, Any]:
        """Settings to record with the job (no secrets), enough to rebuild the backend on re-attach."""

    def partials_root(self) -> str:
        """Folder or blob prefix for partial results."""

    def run(self, spec: Any, indices: list[int], sink: TaskSink) -> None:
        """Run chunks ``indices`` of ``spec`` to completion, failure or cancellation."""

    def cancel(self, spec: Any) -> None:
        """Stop whatever still runs for ``spec`` (called when a job is cancelled)."""


class HomePartials:
    """For backends whose partials go to a given folder or prefix, by default ``$LIVECALC_HOME/partials``."""

    name: str
    max_retries: int
    _partials: str | None

    def partials_root(self) -> str:
        from livecalc_lab.jobs.store import partials_root

        return self._partials or str(partials_root())

    def _describe(self, **settings: Any) -> dict[str, Any]:
        return {"name": self.name, **settings, "max_retries": self.max_retries,
                **({"partials": self._partials} if self._partials else {})}


def make_backend(name: str, settings: dict[str, Any] | None = None, **overrides: Any) -> Any:
    """A backend by name, from ``settings`` (default: ``[backends.<name>]`` of the config file).

    Raises
    ------
    JobError
        Unknown name or missing settings.
    """
    from livecalc_lab.config import backend_config

    if name not in ("local", "dask", "azure_batch"):
        raise JobError(f"unknown backend {name!r}; expected local, dask, azure_batch or auto")
    opts = dict(backend_config(name) if settings is None else settings)
    opts.update({k: v for k, v in overrides.items() if v is not None})
    if name == "local":
        from livecalc_lab.jobs.backends.local import LocalBackend

        return LocalBackend(**{k: opts[k] for k in ("workers", "max_retries", "partials") if k in opts})
    if name == "dask":
        from livecalc_lab.jobs.backends.dask import DaskBackend

        return DaskBackend(**{k: opts[k] for k in ("scheduler", "client", "max_retries", "partials") if k in opts})
    from livecalc_lab.jobs.backends.azure_batch import AzureBatchBackend

    return AzureBatchBackend.from_settings(opts)
