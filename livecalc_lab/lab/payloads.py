"""The JSON the side panel's routes answer with, built from the Python API (no second implementation).

Each function is blocking (it reads configuration, job records or a dataset's
metadata): the handlers run them in an executor, never on the server's event loop.

========================  ===============================================================
``datasets_payload()``    ``{"datasets": [CatalogEntry.to_dict(), ...], "problems": [...]}``
``metadata_payload(e)``   the entry's fields, ``Metadata.to_dict()`` and the recommendation line
``jobs_payload()``        ``{"jobs": [job_summary(job), ...]}``, newest first
``job_summary(job)``      one job: state, backend, progress (rows and chunks), times, ETA, error
========================  ===============================================================
"""

from __future__ import annotations

from typing import Any

from livecalc_lab.jobs.progress import eta_seconds

__all__ = ["datasets_payload", "find_entry", "metadata_payload", "jobs_payload", "job_summary", "find_job", "cancel_job"]


def datasets_payload() -> dict[str, Any]:
    """The catalog of the user's configuration (``$LIVECALC_HOME/config.toml``).

    A source that cannot be listed (a missing folder, an unreachable container
    or service) is reported under ``problems`` and the others are still listed.

    Raises
    ------
    ConfigError
        A malformed configuration file or ``[catalog]`` section.
    """
    from livecalc_lab.catalog import list_datasets

    problems: list[str] = []
    entries = list_datasets(problems=problems)
    return {"datasets": [e.to_dict() for e in entries], "problems": problems}


def find_entry(entry_id: str) -> Any:
    """The catalog entry ``entry_id`` (a :class:`~livecalc_lab.catalog.CatalogEntry`).

    Raises
    ------
    DataError
        No such entry in what the configuration lists.
    ConfigError
        A malformed configuration file.
    """
    from livecalc_lab.catalog import find

    return find(entry_id)


def metadata_payload(entry: Any) -> dict[str, Any]:
    """A catalog entry's metadata: ``rows``, ``bytes``, ``columns`` (name -> dtype), ``format``,
    ``parts``, ``version``, ``source``, plus the entry's ``id``, ``name``, ``group``, ``kind``,
    ``uri`` and the ``recommendation`` line.

    Raises
    ------
    DataError, ConfigError
        The dataset cannot be opened or read (the message names the source).
    """
    ds = entry.open()
    meta = ds.metadata
    from livecalc_lab.catalog import recommendation

    return entry.to_dict() | meta.to_dict() | {"recommendation": recommendation(ds)}


def find_job(job_id: str) -> Any:
    """The :class:`~livecalc_lab.jobs.Job` with this id (or unique prefix) in ``$LIVECALC_HOME/jobs``.

    Raises
    ------
    JobError
        No such job, or an ambiguous prefix.
    """
    from livecalc_lab.jobs import attach

    return attach(job_id)


def job_summary(job: Any) -> dict[str, Any]:
    """One job as the side panel lists it.

    Parameters
    ----------
    job : livecalc_lab.jobs.Job

    Returns
    -------
    dict
        ``id``, ``state``, ``backend`` (name or None), ``dataset`` (the source's label),
        ``product``, ``created``/``started``/``finished`` (epoch seconds or None),
        ``chunks_done``/``chunks_total``, ``rows_done``/``rows_total`` (model points),
        ``fraction`` (0..1), ``elapsed`` (s, to the end for an ended job), ``eta``
        (s left at the rate so far, running jobs only, else None), ``cancel_requested``
        and ``error`` (the failure's message or None).
    """
    st = job.info
    spec = job.spec
    ev = job.progress
    eta = eta_seconds(ev.elapsed, ev.rows_done, ev.rows_total - ev.rows_done) if st["state"] == "running" else None
    return {
        "id": job.id,
        "state": st["state"],
        "backend": (st.get("backend") or {}).get("name"),
        "dataset": spec.label,
        "product": spec.product,
        "created": st.get("created"),
        "started": st.get("started"),
        "finished": st.get("finished"),
        "chunks_done": ev.chunks_done,
        "chunks_total": ev.chunks_total,
        "rows_done": ev.rows_done,
        "rows_total": ev.rows_total,
        "fraction": ev.fraction,
        "elapsed": round(ev.elapsed, 3),
        "eta": None if eta is None else round(eta, 3),
        "cancel_requested": job.record.cancel_requested,
        "error": st.get("error"),
    }


def jobs_payload() -> dict[str, Any]:
    """Every job on record, newest first: ``{"jobs": [job_summary(job), ...]}``."""
    from livecalc_lab.jobs import jobs

    return {"jobs": [job_summary(j) for j in jobs()]}


def cancel_job(job: Any) -> dict[str, Any]:
    """Cancel a job (see :meth:`livecalc_lab.jobs.Job.cancel`) and return its summary.

    A job driven by another process (a kernel) is asked to stop: its state
    changes when that process notices, and ``cancel_requested`` is true
    meanwhile. A job nobody drives is marked cancelled at once. An ended job is
    left as it is.
    """
    job.cancel()
    return job_summary(job)
