"""Each endpoint against the live service, on a local Parquet file, the same file in Azurite, and a CSV.

Every answer is checked against the data layer in this process: the same metadata, schema and
version, and the same sample rows as ``ds.sample(n, seed)``, in JSON and in Arrow alike.
"""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import livecalc_lab as lc
from livecalc_lab.api._bodies import read_arrow
from livecalc_lab.api.client import inline_assumptions

from api_support import BOOK_ROWS, MAX_SAMPLE

ARROW = {"Accept": "application/vnd.apache.arrow.stream"}
DATASETS = ["book", pytest.param("blob", marks=pytest.mark.azurite), "demo"]
SAMPLES = [(0, 1), (1, 42), (1_000, 42), (1_000, 7), (12_000, 3)]


def rows_frame(rows: list[dict], schema: pl.Schema) -> pl.DataFrame:
    """JSON rows as a frame of ``schema``: dates come as ISO text, everything else as its JSON value."""
    text = {c: (pl.String if dt.is_temporal() else dt) for c, dt in schema.items()}
    frame = pl.DataFrame(rows, schema=text)
    return frame.with_columns(pl.col(c).str.to_date() for c, dt in schema.items() if dt == pl.Date)


@pytest.fixture(params=DATASETS)
def dsid(request: pytest.FixtureRequest, service) -> str:
    if request.param == "blob":
        request.getfixturevalue("blob_env_for")
    return request.param


@pytest.fixture
def local(dsid: str, service):
    """The same dataset opened in this process by the data layer."""
    return lc.open_dataset(service.local[dsid])


def test_metadata_is_the_data_layers(service, dsid, local):
    body = service.get(f"/datasets/{dsid}/metadata").json()
    meta = local.metadata
    assert body["datasetId"] == dsid
    assert (body["rows"], body["bytes"], body["format"], body["parts"]) == (meta.rows, meta.bytes, meta.format, meta.parts)
    assert body["filteredRows"] == meta.rows  # no filter
    assert body["columns"] == [{"name": k, "dtype": str(v)} for k, v in meta.columns.items()]
    assert body["version"] == local.version and body["version"]
    assert body["sourceType"] == local.source.type


def test_metadata_as_arrow_has_the_exact_column_types(service, dsid, local):
    resp = service.get(f"/datasets/{dsid}/metadata", headers=ARROW)
    assert resp.headers["content-type"] == "application/vnd.apache.arrow.stream"
    frame, fields = read_arrow(resp.content)
    assert frame.height == 0 and dict(frame.schema) == local.metadata.columns
    assert fields == service.get(f"/datasets/{dsid}/metadata").json()


def test_schema_reports_where_each_policy_column_comes_from(service, dsid, local):
    body = service.get(f"/datasets/{dsid}/schema").json()
    report = local.schema()
    by_name = {c["name"]: c for c in body["columns"]}
    assert body["ok"] is report.ok and body["missing"] == report.missing
    for name, how in report.sources.items():
        assert by_name[name]["source"] == how
    assert by_name["policy_term"]["required"] and (by_name["policy_term"]["minimum"], by_name["policy_term"]["maximum"]) == (1, 150)
    assert not by_name["duration_mth"]["required"]
    assert by_name["product"]["codes"] == lc.demo_assumptions().products
    assert body["sourceColumns"] == [{"name": k, "dtype": str(v)} for k, v in report.columns.items()]
    assert body["version"] == local.version


@pytest.mark.parametrize("n, seed", SAMPLES, ids=[f"n{n}-seed{s}" for n, s in SAMPLES])
def test_sample_is_ds_sample_in_json_and_arrow(service, dsid, local, n, seed):
    expected = local.sample(n, seed)
    arrow = service.get(f"/datasets/{dsid}/sample", params={"n": n, "seed": seed}, headers=ARROW)
    assert arrow.status_code == 200, arrow.text
    frame, fields = read_arrow(arrow.content)
    assert_frame_equal(frame, expected)
    body = service.get(f"/datasets/{dsid}/sample", params={"n": n, "seed": seed}).json()
    assert {k: v for k, v in body.items() if k != "data"} == fields == {
        "datasetId": dsid, "totalRows": local.metadata.rows, "sampleSize": expected.height, "seed": seed,
        "version": local.version,
    }
    assert_frame_equal(rows_frame(body["data"], expected.schema), frame)  # JSON and Arrow agree value for value


def test_sample_defaults_are_10000_policies_seed_42(service, local, dsid):
    frame, fields = read_arrow(service.get(f"/datasets/{dsid}/sample", headers=ARROW).content)
    assert (fields["sampleSize"], fields["seed"]) == (min(10_000, local.metadata.rows), 42)
    assert_frame_equal(frame, local.sample(10_000, 42))


def test_the_largest_seed_is_accepted_and_one_more_is_not(service, local, dsid):
    top = 2**64 - 1
    frame, _ = read_arrow(service.get(f"/datasets/{dsid}/sample", params={"n": 3, "seed": top}, headers=ARROW).content)
    assert_frame_equal(frame, local.sample(3, top))
    assert service.get(f"/datasets/{dsid}/sample", params={"n": 3, "seed": top + 1}).status_code == 422


def test_datasets_lists_each_with_its_figures(service):
    body = service.get("/datasets").json()
    items = {d["id"]: d for d in body["datasets"]}
    assert {"book", "demo", "restricted", "older"} <= set(items) <= {"book", "demo", "restricted", "older", "blob"}
    book = lc.open_dataset(service.local["book"])
    assert items["book"] == {
        "id": "book", "title": "Synthetic term book, 20,000 policies", "sourceType": "local", "rows": BOOK_ROWS,
        "bytes": book.metadata.bytes, "version": book.version, "error": None,
    }
    if "blob" in items:
        assert items["blob"]["sourceType"] == "blob" and items["blob"]["version"].startswith("etag:")


# ---- bad requests ---------------------------------------------------------------------------


def test_n_over_the_limit_is_a_422_naming_the_limit(service):
    resp = service.get("/datasets/book/sample", params={"n": MAX_SAMPLE + 1})
    assert resp.status_code == 422
    assert f"{MAX_SAMPLE:,}" in resp.json()["detail"] and resp.json()["errors"][0]["loc"] == ["query", "n"]
    assert service.get("/datasets/book/sample", params={"n": MAX_SAMPLE}).status_code == 200


@pytest.mark.parametrize("params, loc", [
    ({"seed": "abc"}, ["query", "seed"]),
    ({"seed": "1.5"}, ["query", "seed"]),
    ({"seed": -1}, ["query", "seed"]),
    ({"n": -1}, ["query", "n"]),
    ({"n": "ten"}, ["query", "n"]),
], ids=["seed-text", "seed-fraction", "seed-negative", "n-negative", "n-text"])
def test_bad_query_parameters_are_422(service, params, loc):
    resp = service.get("/datasets/book/sample", params=params)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == loc


def test_unregistered_and_malformed_ids(service):
    resp = service.get("/datasets/nope/metadata")
    assert resp.status_code == 404 and resp.json() == {"detail": "no dataset 'nope' is registered"}
    for path in ("/datasets/nope/sample", "/datasets/nope/schema"):
        assert service.get(path).status_code == 404
    assert service.request("POST", "/datasets/nope/validate", json={}).status_code == 404
    # Ids are names, never paths: anything else is refused before it could reach a file.
    assert service.get("/datasets/..%2Fetc/metadata").status_code in (404, 422)
    assert service.get("/datasets/%2Fetc%2Fpasswd/metadata").status_code in (404, 422)
    assert service.get("/datasets/a b/metadata").status_code == 422


# ---- validation -----------------------------------------------------------------------------


def test_validate_against_a_registered_set(service):
    body = service.request("POST", "/datasets/book/validate", json={"assumptionSet": "basis"}).json()
    local = lc.open_dataset(service.local["book"]).validate(lc.demo_assumptions())
    assert body["ok"] is local.ok and body["nProblems"] == len(local)
    assert body["assumptionSet"] == "basis" and body["assumptionsVersion"] == lc.demo_assumptions().version
    default = service.request("POST", "/datasets/book/validate", json={}).json()
    assert default["assumptionSet"] == "demo" and default["assumptionsVersion"] == body["assumptionsVersion"]


def test_validate_with_inline_assumptions_reports_what_they_do_not_cover(service, tmp_path):
    folder = tmp_path / "short"
    shutil.copytree(lc.demo_assumptions().path, folder)
    mort = folder / "mort_table.csv"
    lines = mort.read_text().splitlines()
    mort.write_text("\n".join(lines[:40]) + "\n")  # attained ages up to 56 only
    short = lc.load_assumptions(folder)
    payload = {"assumptions": inline_assumptions(short), "product": "basic_term_s", "limit": 5}
    body = service.request("POST", "/datasets/book/validate", json=payload).json()
    local = lc.open_dataset(service.local["book"]).validate(short, "basic_term_s", limit=5)
    assert not body["ok"] and body["nProblems"] == len(local) > 5
    assert body["assumptionsVersion"] == short.version
    assert [p["message"] for p in body["problems"]] == [
        p.message.replace(service.local["book"], "dataset 'book'") for p in local.problems
    ]
    assert service.local["book"] not in json.dumps(body)  # the server's paths never leave it


@pytest.mark.parametrize("payload, status, fragment", [
    ({"assumptionSet": "nope"}, 404, "no assumption set 'nope'"),
    ({"assumptionSet": "basis", "product": "nope"}, 422, "product 'nope' is not in the assumption set"),
    ({"assumptionSet": "basis", "assumptions": {"manifest": {}, "tables": {}}}, 422, "not both"),
    ({"assumptions": {"manifest": {"format": "livecalc-assumptions/1", "tables": {
        "mortality": {"file": "../../../etc/passwd", "type": "select_ultimate"}}}, "tables": {}}}, 422,
     "is not among assumptions.tables"),
    ({"assumptions": {"manifest": {}, "tables": {"../x.csv": "a\n1\n"}}}, 422, "is not a plain .csv file name"),
    ({"assumptions": {"manifest": {"format": "nope"}, "tables": {}}}, 422, "'format' must be"),
    ({"limit": 0}, 422, "limit"),
    ({"unknownField": 1}, 422, "unknownField"),
], ids=["unknown-set", "unknown-product", "both", "file-outside", "table-name", "bad-manifest", "limit", "unknown-field"])
def test_bad_validation_requests(service, payload, status, fragment):
    resp = service.request("POST", "/datasets/book/validate", json=payload)
    assert resp.status_code == status, resp.text
    assert fragment in json.dumps(resp.json())
    assert "/tmp/livecalc-api-" not in resp.text


def test_a_body_over_the_limit_is_refused(service):
    resp = service.request("POST", "/datasets/book/validate", content=b" " * (17 << 20),
                           headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_invalid_json_is_422_without_echoing_the_body(service):
    resp = service.request("POST", "/datasets/book/validate", content=b'{"assumptionSet": "s3cret-looking',
                           headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "s3cret" not in resp.text


# ---- no auth needed -------------------------------------------------------------------------


def test_healthz_and_openapi_need_no_token(service):
    assert service.get("/healthz", token=None).json() == {"status": "ok", "version": lc.__version__}
    spec = service.get("/openapi.json", token=None).json()
    assert set(spec["paths"]) == {"/healthz", "/datasets", "/datasets/{dataset_id}/metadata", "/datasets/{dataset_id}/schema",
                                  "/datasets/{dataset_id}/sample", "/datasets/{dataset_id}/validate",
                                  "/assumptions", "/assumptions/{name}", "/assumptions/{name}/versions",
                                  "/assumptions/{name}/audit", "/assumptions/{name}/{version}",
                                  "/assumptions/{name}/{version}/info", "/assumptions/{name}/{version}/approve",
                                  "/assumptions/{name}/{version}/reject"}
    sample = spec["paths"]["/datasets/{dataset_id}/sample"]["get"]
    n = next(p for p in sample["parameters"] if p["name"] == "n")
    assert n["schema"]["maximum"] == MAX_SAMPLE
    assert "application/vnd.apache.arrow.stream" in sample["responses"]["200"]["content"]
    assert {"401", "403", "404", "422"} <= set(sample["responses"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
