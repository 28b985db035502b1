"""Fixtures for jobs: a private LIVECALC_HOME, small datasets, a shared local pool and a Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import livecalc_lab as lc


@pytest.fixture(autouse=True)
def _own_home(home: Path) -> Path:
    """Job records and partials of each test in their own $LIVECALC_HOME."""
    return home


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic term policies as CSV (256 scan units: any chunk count up to ~250)."""
    return lc.synthetic_portfolio(3_000, seed=5, out=tmp_path_factory.mktemp("book") / "book.csv")


@pytest.fixture(scope="session")
def local() -> Iterator[object]:
    """The local backend with 2 worker processes (one pool shared by the session's tests)."""
    from livecalc_lab.jobs.backends.local import LocalBackend

    backend = LocalBackend(workers=2, max_retries=2)
    yield backend


@pytest.fixture(scope="session")
def dask_client() -> Iterator[object]:
    """A Dask LocalCluster of 2 single-threaded worker processes on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                                       host="127.0.0.1")
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
