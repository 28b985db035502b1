"""Chunked full runs: job plans, the worker entry point, aggregation, records and backends.

``lc.submit(dataset, ...)`` plans a job (:mod:`~livecalc_lab.jobs.spec`), runs one
task per chunk on a backend (:mod:`~livecalc_lab.jobs.backends`) with the worker
entry point (:mod:`~livecalc_lab.jobs.worker`), and merges the partial results
exactly (:mod:`~livecalc_lab.jobs.aggregate`); the job's record on disk
(:mod:`~livecalc_lab.jobs.store`) lets any process re-attach (``lc.attach``).
"""

from livecalc_lab.jobs.job import Job, attach, jobs, prune, submit
from livecalc_lab.jobs.progress import ProgressEvent
from livecalc_lab.jobs.spec import JobSpec

__all__ = ["Job", "JobSpec", "ProgressEvent", "attach", "jobs", "prune", "submit"]
