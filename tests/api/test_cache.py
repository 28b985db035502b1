"""Caching: the response cache on its own, and the service never answering from an old version."""

from __future__ import annotations

import threading
import time

import pytest
from polars.testing import assert_frame_equal

import livecalc_lab as lc
from livecalc_lab.api._bodies import read_arrow
from livecalc_lab.api.cache import ResponseCache
from livecalc_lab.data.synthetic import synthetic_portfolio

ARROW = {"Accept": "application/vnd.apache.arrow.stream"}


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_entries_expire_after_the_ttl():
    clock = Clock()
    cache = ResponseCache(1_000, ttl_seconds=300, clock=clock)
    calls = []
    compute = lambda: calls.append(1) or b"v" * 10  # noqa: E731
    assert cache.get_or_compute("k", compute) == b"v" * 10
    clock.t = 299.0
    cache.get_or_compute("k", compute)
    assert len(calls) == 1
    clock.t = 300.5
    cache.get_or_compute("k", compute)
    assert len(calls) == 2 and cache.stats()["hits"] == 1


def test_the_byte_budget_evicts_the_least_recently_used():
    cache = ResponseCache(max_bytes=250, ttl_seconds=300)
    for k in "abc":
        cache.put(k, k.encode() * 100)
    assert cache.get("a") is None and cache.get("b") and cache.get("c")
    cache.get("b")  # b is now the most recently used
    cache.put("d", b"d" * 100)
    assert cache.get("c") is None and cache.get("b") and cache.get("d")
    assert cache.stats()["bytes"] == 200 <= cache.max_bytes


def test_a_value_larger_than_the_budget_is_returned_but_not_kept():
    cache = ResponseCache(max_bytes=10, ttl_seconds=300)
    assert cache.get_or_compute("big", lambda: b"x" * 11) == b"x" * 11
    assert cache.stats()["entries"] == 0


def test_concurrent_callers_share_one_computation():
    cache = ResponseCache(max_bytes=1_000, ttl_seconds=300)
    calls = []
    gate = threading.Event()

    def slow() -> bytes:
        calls.append(1)
        gate.wait(5)
        return b"done"

    out: list[bytes] = []
    threads = [threading.Thread(target=lambda: out.append(cache.get_or_compute("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(10)
    assert out == [b"done"] * 8 and len(calls) == 1


def test_a_failed_computation_is_not_kept():
    cache = ResponseCache(max_bytes=1_000, ttl_seconds=300)
    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute("k", lambda: bytes(1 // 0))
    assert cache.get_or_compute("k", lambda: b"ok") == b"ok"


# ---- versions in the live service -------------------------------------------------------------


@pytest.fixture
def changing(start_service, tmp_path):
    """A service over a Parquet file the test rewrites, and a broken dataset whose file is gone."""
    path = tmp_path / "data" / "book.parquet"
    path.parent.mkdir()
    synthetic_portfolio(3_000, 1, path)
    gone = tmp_path / "data" / "gone.csv"
    svc = start_service(f'[datasets.book]\nuri = "{path}"\n[datasets.gone]\nuri = "{gone}"\n', folder=tmp_path)
    return svc, path


def test_a_new_version_is_never_served_a_stale_sample(changing):
    svc, path = changing
    before, fields = read_arrow(svc.get("/datasets/book/sample?n=50&seed=9", headers=ARROW).content)
    old_version = fields["version"]
    assert_frame_equal(before, lc.open_dataset(path).sample(50, 9))
    synthetic_portfolio(4_000, 2, path)  # same name, new content
    after, fields = read_arrow(svc.get("/datasets/book/sample?n=50&seed=9", headers=ARROW).content)
    local = lc.open_dataset(path)
    assert fields["version"] == local.version != old_version
    assert fields["totalRows"] == 4_000
    assert_frame_equal(after, local.sample(50, 9))
    body = svc.get("/datasets/book/sample?n=50&seed=9").json()
    assert body["version"] == local.version and len(body["data"]) == 50
    meta = svc.get("/datasets/book/metadata").json()
    assert (meta["rows"], meta["version"]) == (4_000, local.version)


def test_an_unreadable_dataset_is_a_503_that_does_not_name_the_servers_files(changing, tmp_path):
    svc, _ = changing
    resp = svc.get("/datasets/gone/metadata")
    assert resp.status_code == 503 and "dataset 'gone'" in resp.json()["detail"]
    assert str(tmp_path) not in resp.text
    listed = {d["id"]: d for d in svc.get("/datasets").json()["datasets"]}
    assert listed["gone"]["rows"] is None and "dataset 'gone'" in listed["gone"]["error"]
    assert str(tmp_path) not in svc.get("/datasets").text
    assert listed["book"]["error"] is None
