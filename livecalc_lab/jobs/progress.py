"""Progress events of a job, and a terminal progress bar that subscribes to them.

A job calls its subscribers with a :class:`ProgressEvent` when it starts, when
each chunk finishes (or is retried or fails), and when it ends. The Jupyter
widgets subscribe to the same events.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

__all__ = ["ProgressEvent", "ProgressCallback", "TerminalProgress", "eta_seconds"]


@dataclass(frozen=True)
class ProgressEvent:
    """Where a job stands.

    Attributes
    ----------
    job_id : str
    kind : str
        ``started``, ``chunk_done``, ``chunk_retry``, ``chunk_failed``, ``finished``,
        ``failed`` or ``cancelled``.
    state : str
        The job's state (``running``, ``finished``, ``failed``, ``cancelled``).
    chunks_done, chunks_total : int
        Chunks with a partial result (valued now, or reused), of the plan.
    rows_done, rows_total : int
        Model points in those chunks, of the dataset's rows.
    elapsed : float
        Seconds since the job (or this re-attachment) started driving.
    eta : float or None
        Estimated seconds left: the time per model point valued so far in this
        run times the model points left (None until a chunk has been valued).
    chunk : int or None
        The chunk the event is about.
    message : str
    """

    job_id: str
    kind: str
    state: str
    chunks_done: int
    chunks_total: int
    rows_done: int
    rows_total: int
    elapsed: float
    eta: float | None = None
    chunk: int | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        """Share of the model points done (chunks when the row count is unknown)."""
        if self.rows_total:
            return min(self.rows_done / self.rows_total, 1.0)
        return self.chunks_done / self.chunks_total if self.chunks_total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"fraction": self.fraction}

    def __str__(self) -> str:
        eta = f", ETA {self.eta:.0f} s" if self.eta is not None and self.state == "running" else ""
        return (f"{self.job_id}: {self.rows_done:,} / {self.rows_total:,} model points, {self.fraction:.0%} "
                f"({self.chunks_done}/{self.chunks_total} chunks), {self.elapsed:.1f} s{eta}")


ProgressCallback = Callable[[ProgressEvent], None]


def eta_seconds(elapsed_valuing: float, rows_valued: int, rows_left: int) -> float | None:
    """Seconds left at the observed rate; None before anything was valued."""
    if rows_valued <= 0 or elapsed_valuing <= 0:
        return None
    return elapsed_valuing / rows_valued * max(rows_left, 0)


class TerminalProgress:
    """A rich progress bar fed by progress events (``job.result(progress=True)``, ``livecalc submit --wait``)."""

    def __init__(self, console: Any = None):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                  TextColumn("{task.completed:,.0f}/{task.total:,.0f} model points"),
                                  TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False)
        self._task: Any = None
        self._started = time.monotonic()

    def __call__(self, event: ProgressEvent) -> None:
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task(event.job_id, total=max(event.rows_total, 1))
        self._progress.update(self._task, completed=event.rows_done,
                              description=f"{event.job_id} {event.chunks_done}/{event.chunks_total} chunks")
        if event.kind in ("finished", "failed", "cancelled"):
            self.close()

    def close(self) -> None:
        if self._task is not None:
            self._progress.stop()
