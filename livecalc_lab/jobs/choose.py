"""``backend="auto"``: local below a size threshold, and plain advice when a cluster would do better.

The estimate is deliberately simple and stated with its basis: time per model
point per core measured by ``bench/full_run.py`` on the 2-core reference machine
(term products: the engine's monthly cashflow projection plus reading; savings:
per policy × scenario × month lane), divided over the local cores, and memory
of one chunk per worker. Above :data:`LOCAL_SECONDS` of estimated local time a
configured cluster (``[backends.dask]``, then ``[backends.azure_batch]``) is
chosen; without one the job runs locally and the advice says what to configure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from livecalc_lab.jobs.spec import plan_chunk_bytes

__all__ = ["BackendChoice", "choose_backend", "estimate", "LOCAL_SECONDS", "TERM_SECONDS_PER_ROW",
           "SAVINGS_SECONDS_PER_LANE_MONTH"]

LOCAL_SECONDS = 600.0
TERM_SECONDS_PER_ROW = 6e-6  # bench/full_run.py: read + value, per model point, one core
SAVINGS_SECONDS_PER_LANE_MONTH = 1e-9  # engine savings kernel, per policy x scenario x month
_MEMORY_PER_BYTE = 3.0  # peak worker memory per byte of chunk source data (decoded columns + engine buffers)
_WORKER_BASE = 250 << 20  # interpreter, numpy, polars, pyarrow and the compiled engine


@dataclass(frozen=True)
class BackendChoice:
    """The backend chosen, and why.

    Attributes
    ----------
    name : str
        ``local``, ``dask`` or ``azure_batch``.
    seconds_local : float
        Estimated wall time on this machine's cores.
    memory_per_worker : int
        Estimated peak bytes per local worker.
    advice : str or None
        Said to the user when the dataset is better sent to a cluster.
    """

    name: str
    seconds_local: float
    memory_per_worker: int
    advice: str | None


def estimate(rows: int, nbytes: int, kind: str, scenarios: int = 0, months: int = 240,
             cores: int | None = None) -> tuple[float, int]:
    """``(seconds on the local cores, peak bytes per worker)`` for a dataset (see the module docstring)."""
    cores = cores or os.cpu_count() or 1
    if kind == "savings":
        per_row = SAVINGS_SECONDS_PER_LANE_MONTH * max(scenarios, 1) * months + TERM_SECONDS_PER_ROW
    else:
        per_row = TERM_SECONDS_PER_ROW
    chunk = min(plan_chunk_bytes(nbytes), nbytes) if nbytes else 0
    return rows * per_row / cores, int(_WORKER_BASE + _MEMORY_PER_BYTE * chunk)


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def choose_backend(ds: Any, kind: str, scenarios: int = 0, config: dict[str, Any] | None = None) -> BackendChoice:
    """Pick a backend for ``ds`` (a Dataset) as ``backend="auto"`` does."""
    from livecalc_lab.config import load_settings

    meta = ds.metadata
    cores = os.cpu_count() or 1
    seconds, memory = estimate(meta.rows, meta.bytes, kind, scenarios, cores=cores)
    cfg = load_settings() if config is None else config
    configured = [b for b in ("dask", "azure_batch") if b in cfg.get("backends", {})]
    if seconds <= LOCAL_SECONDS:
        return BackendChoice("local", seconds, memory, None)
    facts = (f"{ds.label}: {meta.rows:,} rows, {meta.bytes / 1e9:.1f} GB; about {seconds / 60:.0f} min on "
             f"{cores} local cores, ~{_gib(memory)} per worker")
    if configured:
        return BackendChoice(configured[0], seconds, memory,
                             f"{facts}: sending it to the {configured[0]} cluster configured in config.toml")
    return BackendChoice("local", seconds, memory,
                         f"{facts}: better sent to a cluster. Preview locally, full run in the cloud: configure "
                         "[backends.dask] or [backends.azure_batch] in $LIVECALC_HOME/config.toml "
                         "(see the README); running locally for now")
