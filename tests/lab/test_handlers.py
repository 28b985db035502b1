"""The server extension's routes on a real (in-process) Jupyter server, against real data and real jobs.

A private ``$LIVECALC_HOME`` holds a ``config.toml`` that registers the bundled demo
CSV and a catalog folder, and the record of a small job finished on the local
backend. Requests go through pytest-jupyter's server at base URL ``/a%40b/``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

import pytest
from tornado.httpclient import HTTPResponse

import livecalc_lab as lc
from livecalc_lab.catalog import find
from livecalc_lab.lab import handlers, payloads
from livecalc_lab.model.policies import demo_policies_path

from _lab_data import make_lab_home, orphan_job

ROUTES = [("GET", "datasets"), ("GET", "datasets/{ds}/metadata"), ("GET", "jobs"), ("GET", "jobs/{job}"),
          ("POST", "jobs/{job}/cancel")]


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A LIVECALC_HOME with a configured dataset, a catalog folder and one finished local job."""
    root = tmp_path_factory.mktemp("lab")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIVECALC_HOME", str(root / "home"))
        yield make_lab_home(root)


@pytest.fixture
def home(lab_home: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The module's LIVECALC_HOME, set for this test (pytest-jupyter resets the environment per test)."""
    monkeypatch.setenv("LIVECALC_HOME", str(lab_home["home"]))
    return lab_home


@pytest.fixture
def api(http_server_client, jp_base_url, jp_auth_header):
    """``await api(method, path)`` with ``path`` already URL-encoded below ``livecalc/api/``; no error raised."""

    async def fetch(method: str, path: str, token: bool = True) -> HTTPResponse:
        url = f"{jp_base_url}{handlers.API_PREFIX}/{path}"
        return await http_server_client.fetch(url, method=method, headers=dict(jp_auth_header) if token else {},
                                              body=b"" if method == "POST" else None, raise_error=False,
                                              request_timeout=60)

    return fetch


def enc(ident: str) -> str:
    return urllib.parse.quote(ident, safe="")


def body(response: HTTPResponse) -> Any:
    assert response.headers["Content-Type"].startswith("application/json"), response.headers["Content-Type"]
    return json.loads(response.body)


def test_extension_points_name_this_package():
    assert lc._jupyter_server_extension_points() == [{"module": "livecalc_lab.lab"}]
    assert lc._jupyter_labextension_paths() == [{"src": "labextension", "dest": "livecalc-lab"}]


async def test_datasets_lists_the_catalog(home, api):
    r = await api("GET", "datasets")
    assert r.code == 200
    got = body(r)
    assert got["problems"] == []
    ids = [d["id"] for d in got["datasets"]]
    books = home["books"]
    assert ids == ["bundled:demo", "config:book", "config:gone", f"file:{books / 'demo.csv'}",
                   f"file:{books / 'small.parquet'}"]
    assert got["datasets"] == [e.to_dict() for e in lc.catalog.list_datasets()]
    assert {d["group"] for d in got["datasets"]} == {"Bundled", "Configured", str(books)}


@pytest.mark.parametrize("which", ["folder", "configured"])
async def test_metadata_of_the_demo_csv(home, api, which):
    ident = f"file:{home['books'] / 'demo.csv'}" if which == "folder" else "config:book"
    r = await api("GET", f"datasets/{enc(ident)}/metadata")
    assert r.code == 200, r.body
    got = body(r)
    assert got["id"] == ident
    assert got["rows"] == 10_000
    assert got["bytes"] == demo_policies_path().stat().st_size
    assert got["format"] == "csv" and got["parts"] == 1
    assert {"policy_id", "age_at_entry", "policy_term", "policy_count", "sum_assured"} <= set(got["columns"])
    entry = find(ident)
    ds = entry.open()
    assert got["version"] == ds.version and got["version"]
    assert got["recommendation"] == lc.catalog.recommendation(ds)
    assert got["recommendation"].startswith("10.0K model points")


async def test_metadata_of_a_parquet_file(home, api):
    r = await api("GET", f"datasets/{enc('file:' + str(home['small']))}/metadata")
    got = body(r)
    assert r.code == 200 and got["rows"] == 400 and got["format"] == "parquet"


@pytest.mark.parametrize("ident", ["file:/etc/passwd", "config:nope", "bundled:other", "nonsense", "blob:azure://x/y.csv"])
async def test_unknown_dataset_is_a_404_with_the_message(home, api, ident):
    r = await api("GET", f"datasets/{enc(ident)}/metadata")
    assert r.code == 404
    assert body(r) == {"message": f"no dataset {ident!r} in the catalog (see [catalog] and [datasets] in config.toml)"}


async def test_unreadable_dataset_is_a_400_naming_the_file(home, api):
    r = await api("GET", f"datasets/{enc('config:gone')}/metadata")
    assert r.code == 400
    msg = body(r)["message"]
    assert "missing.csv" in msg and "Traceback" not in msg


async def test_malformed_configuration_is_a_400(home, api, tmp_path, monkeypatch):
    bad = tmp_path / "bad-livecalc-home"
    bad.mkdir()
    (bad / "config.toml").write_text("[catalog]\nfolders = 3\n")
    monkeypatch.setenv("LIVECALC_HOME", str(bad))
    for path in ("datasets", f"datasets/{enc('config:book')}/metadata"):
        r = await api("GET", path)
        assert r.code == 400, path
        assert "folders must be a list" in body(r)["message"]


async def test_jobs_lists_the_finished_job(home, api):
    job = home["job"]
    r = await api("GET", "jobs")
    assert r.code == 200
    jobs = body(r)["jobs"]
    assert [j["id"] for j in jobs] == [job.id]
    j = jobs[0]
    assert j["state"] == "finished" and j["backend"] == "local" and j["product"] == "basic_term_s"
    assert j["rows_done"] == j["rows_total"] == 400 and j["fraction"] == 1.0
    assert j["chunks_done"] == j["chunks_total"] >= 1
    assert j["eta"] is None and j["error"] is None and j["cancel_requested"] is False
    assert j["started"] <= j["finished"] and j["elapsed"] == pytest.approx(j["finished"] - j["started"], abs=1e-3)
    assert j["dataset"] == job.spec.label


async def test_one_job_by_id(home, api):
    job = home["job"]
    r = await api("GET", f"jobs/{job.id}")
    assert r.code == 200
    assert body(r) == payloads.job_summary(lc.attach(job.id))


@pytest.mark.parametrize("ident", ["jdoesnotexist", "..", "a b"])
async def test_unknown_job_is_a_404(home, api, ident):
    for method, path in (("GET", f"jobs/{enc(ident)}"), ("POST", f"jobs/{enc(ident)}/cancel")):
        r = await api(method, path)
        assert r.code == 404, (method, path)
        assert ident in body(r)["message"]


async def test_unknown_route_is_a_json_404(home, api):
    r = await api("GET", "nothing/here")
    assert r.code == 404 and body(r) == {"message": "no LiveCalc route livecalc/api/nothing/here"}


async def test_every_route_needs_the_token(home, api):
    ids = {"ds": enc("config:book"), "job": home["job"].id}
    for method, pattern in [*ROUTES, ("GET", "nothing/here")]:
        path = pattern.format(**ids)
        r = await api(method, path, token=False)
        assert r.code in (401, 403), (method, path, r.code)
        assert b"10,000" not in r.body and b"jobs" not in r.body
    # ...and each of them answers with the token.
    for method, pattern in ROUTES:
        assert (await api(method, pattern.format(**ids))).code == 200, pattern


async def test_cancel_a_job_nobody_drives(home, api, tmp_path):
    """A job whose driving kernel is gone: cancelling marks it cancelled at once."""
    from livecalc_lab.jobs.store import JobRecord

    job_id = orphan_job(lc.synthetic_portfolio(300, seed=11, out=tmp_path / "orphan.csv"))
    try:
        r = await api("POST", f"jobs/{job_id}/cancel")
        assert r.code == 200
        got = body(r)
        assert got["id"] == job_id and got["state"] == "cancelled" and got["rows_done"] == 0
        assert lc.attach(job_id).state == "cancelled"
        again = await api("POST", f"jobs/{job_id}/cancel")  # an ended job is left as it is
        assert again.code == 200 and body(again)["state"] == "cancelled"
    finally:
        JobRecord(job_id).remove()


async def test_cancel_a_running_job_driven_by_a_kernel(home, api, tmp_path, monkeypatch):
    """The panel asks through the record; the driving process stops the job."""
    from livecalc_lab.jobs.backends.local import LocalBackend
    from livecalc_lab.jobs.store import JobRecord

    marker = tmp_path / "paused"
    monkeypatch.setenv("LIVECALC_TEST_FAULT", json.dumps({"chunk": 0, "point": "read", "action": "pause",
                                                          "seconds": 30, "marker": str(marker)}))
    src = lc.synthetic_portfolio(300, seed=12, out=tmp_path / "running.csv")
    backend = LocalBackend(workers=1, shared=False)
    try:
        job = lc.submit(src, backend=backend)
        for _ in range(600):
            if marker.exists():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), "the worker never reached the pause"
        listed = {j["id"]: j for j in body(await api("GET", "jobs"))["jobs"]}
        assert listed[job.id]["state"] == "running" and listed[job.id]["rows_done"] == 0
        r = await api("POST", f"jobs/{job.id}/cancel")
        assert r.code == 200
        got = body(r)
        assert got["cancel_requested"] is True or got["state"] == "cancelled"
        await asyncio.get_running_loop().run_in_executor(None, job.wait, 60)
        assert job.state == "cancelled"
        assert body(await api("GET", f"jobs/{job.id}"))["state"] == "cancelled"
    finally:
        backend.close()
        JobRecord(job.id).remove()


async def test_slow_metadata_does_not_block_the_server(home, api, monkeypatch):
    """While one request reads a dataset's metadata in the executor, the server answers others."""
    release = threading.Event()
    started = threading.Event()
    real = payloads.metadata_payload

    def slow(entry: Any) -> dict[str, Any]:
        started.set()
        if not release.wait(30):
            raise AssertionError("never released")
        return real(entry)

    monkeypatch.setattr(payloads, "metadata_payload", slow)
    pending = asyncio.ensure_future(api("GET", f"datasets/{enc('config:book')}/metadata"))
    for _ in range(600):
        if started.is_set():
            break
        await asyncio.sleep(0.05)
    assert started.is_set()
    other = await api("GET", "jobs")  # served while the metadata request is still waiting
    assert other.code == 200 and not pending.done()
    release.set()
    r = await pending
    assert r.code == 200 and body(r)["rows"] == 10_000
