"""The aggregator: partial results merged in chunk-id order, after checking that they add up.

:func:`collect` reads every chunk's partial and sorts them into the valid and
the unusable (missing, truncated, corrupted, of another job version); the job
driver recomputes the unusable ones. :func:`aggregate` then refuses to merge
anything that does not account for the dataset exactly:

* every chunk of the plan is present exactly once (a partial names its chunk
  index, id and key);
* each chunk's rows are the rows its plan says it holds (without a filter), and
  the rows add up to the dataset's rows;
* each chunk's policy-id checksum is the one recorded when the chunk was valued
  (a recomputed chunk that read other rows is caught);
* engine, assumption-set, data-part and scenario versions are the job's.

A missing, duplicated or inconsistent chunk is a :class:`~livecalc_lab.errors.JobError`,
never a silently smaller total. Merging is exact (:func:`livecalc_lab.partials.merge`),
so the totals do not depend on the chunking; partials are still merged in
chunk-id order so every accumulator sees the same sequence everywhere.
"""

from __future__ import annotations

from typing import Any

from livecalc_lab.errors import JobError
from livecalc_lab.jobs import _storage
from livecalc_lab.jobs.partial_io import PartialError, check_meta, loads
from livecalc_lab.jobs.spec import JobSpec
from livecalc_lab.partials import Partial, merge

__all__ = ["collect", "aggregate"]


def collect(spec: JobSpec, indices: list[int] | None = None) -> tuple[dict[int, Partial], dict[int, str]]:
    """``(valid partials by chunk index, reason each other chunk is unusable)``."""
    parts: dict[int, Partial] = {}
    bad: dict[int, str] = {}
    for k in range(len(spec.chunks)) if indices is None else indices:
        uri = spec.partial_uri(k)
        data = _storage.read_bytes(uri)
        if data is None:
            bad[k] = f"chunk {k}: no partial result at {uri}"
            continue
        try:
            part, meta = loads(data, uri)
            check_meta(meta, spec, k, uri)
            if int(meta.get("chunk_index", k)) != k:
                raise PartialError(f"{uri}: holds chunk {meta.get('chunk_index')}, not chunk {k}")
        except PartialError as exc:
            bad[k] = str(exc)
            continue
        parts[k] = part
    return parts, bad


def aggregate(spec: JobSpec, parts: dict[int, Partial], checksums: dict[int, str] | None = None) -> Partial:
    """Check ``parts`` against the plan and merge them in chunk-id order.

    Parameters
    ----------
    spec : JobSpec
    parts : dict of int to Partial
        One partial per chunk index.
    checksums : dict of int to str, optional
        Policy-id checksums recorded when each chunk was valued.

    Raises
    ------
    JobError
        A chunk missing or unknown, rows that do not match the plan or add up to
        the dataset's rows, or a checksum that changed.
    """
    n = len(spec.chunks)
    missing = [k for k in range(n) if k not in parts]
    extra = sorted(k for k in parts if not 0 <= k < n)
    if missing or extra:
        what = (f"missing chunk(s) {missing[:10]}" if missing else "") + \
               (f"{'; ' if missing else ''}unknown chunk(s) {extra[:10]}" if extra else "")
        raise JobError(f"job {spec.job_id}: cannot aggregate: {what} of a plan of {n} chunks", job_id=spec.job_id)
    for k in range(n):
        c, p = spec.chunks[k], parts[k]
        if not spec.filtered and p.n_model_points != c.rows:
            raise JobError(f"job {spec.job_id}: chunk {k} ({c.id}) holds {p.n_model_points:,} rows, its plan "
                           f"{c.rows:,}", job_id=spec.job_id, chunk=k)
        if spec.filtered and p.n_model_points > c.rows:
            raise JobError(f"job {spec.job_id}: chunk {k} ({c.id}) holds {p.n_model_points:,} rows after the "
                           f"filter, more than the {c.rows:,} stored", job_id=spec.job_id, chunk=k)
        want = (checksums or {}).get(k)
        if want is not None and str(p.id_checksum) != str(want):
            raise JobError(f"job {spec.job_id}: chunk {k} ({c.id}): policy-id checksum {p.id_checksum} differs "
                           f"from the {want} recorded when it was valued", job_id=spec.job_id, chunk=k)
    rows = sum(p.n_model_points for p in parts.values())
    if not spec.filtered and rows != spec.total_rows:
        raise JobError(f"job {spec.job_id}: partials hold {rows:,} rows, the dataset {spec.total_rows:,}",
                       job_id=spec.job_id)
    return merge([parts[k] for k in range(n)])


def merged_meta(spec: JobSpec, merged: Partial, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metadata stored with a job's merged partial."""
    return {"job_id": spec.job_id, "chunks": len(spec.chunks), "engine_version": spec.engine_version,
            "assumptions_version": spec.assumptions["version"], "data_version": spec.data_version,
            "scenarios_version": spec.scenarios_version, **(extra or {})}
