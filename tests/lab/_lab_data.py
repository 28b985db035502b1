"""Data the JupyterLab tests serve: a LIVECALC_HOME with datasets and jobs.

``make_lab_home`` writes a ``config.toml`` registering the bundled demo CSV (and one
dataset whose file is missing) plus a catalog folder holding a copy of the demo CSV
and a small Parquet portfolio, and finishes a small job on the local backend.
``orphan_job`` records a job that no process drives, as one whose kernel died.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import livecalc_lab as lc
from livecalc_lab.model.policies import demo_policies_path


def make_lab_home(root: Path) -> dict[str, Any]:
    """Write ``root/home/config.toml`` and ``root/books/``; run one job. ``LIVECALC_HOME`` must be ``root/home``.

    Returns
    -------
    dict
        ``home``, ``books`` (paths), ``small`` (the Parquet file), ``job`` (the finished :class:`lc.Job`).
    """
    home = root / "home"
    books = root / "books"
    books.mkdir(parents=True)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_policies_path(), books / "demo.csv")
    small = lc.synthetic_portfolio(400, seed=3, out=books / "small.parquet")
    (home / "config.toml").write_text(
        f'[datasets.book]\nuri = {json.dumps(str(demo_policies_path()))}\ntitle = "Demo book"\n\n'
        f'[datasets.gone]\nuri = {json.dumps(str(root / "missing.csv"))}\n\n'
        f'[catalog]\nfolders = [{json.dumps(str(books))}]\n'
    )
    job = lc.submit(small, backend="local", workers=1, wait=True)
    return {"home": home, "books": books, "small": small, "job": job}


def orphan_job(policies_csv: Path) -> str:
    """Record a job on ``policies_csv`` in state ``submitted`` that no process drives; returns its id."""
    from livecalc_lab.jobs.job import _new_state
    from livecalc_lab.jobs.spec import JobSpec
    from livecalc_lab.jobs.store import JobRecord, partials_root

    spec = JobSpec.create(lc.open_dataset(policies_csv), lc.demo_assumptions(), "basic_term_s", None,
                          partials=str(partials_root()))
    JobRecord(spec.job_id).create(spec, _new_state(spec, {"name": "local"}, None))
    return spec.job_id
