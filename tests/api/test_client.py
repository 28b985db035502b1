"""The client: ``lc.open_dataset("livecalc+http://...")`` behaves like the local dataset it stands for."""

from __future__ import annotations

import shutil

import pytest
from polars.testing import assert_frame_equal

import livecalc_lab as lc
from livecalc_lab.api.client import DataApiClient, RemoteDataset, split_dataset_url
from livecalc_lab.errors import AuthError, DataError

from api_support import BOOK_ROWS, MAX_SAMPLE, OLDER_FILTER

REMOTE = ["book", pytest.param("blob", marks=pytest.mark.azurite), "demo"]


@pytest.fixture(params=REMOTE)
def pair(request: pytest.FixtureRequest, service):
    """``(remote dataset, the same dataset opened locally)``."""
    if request.param == "blob":
        request.getfixturevalue("blob_env_for")
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/{request.param}", token=service.token())
    yield remote, lc.open_dataset(service.local[request.param])
    remote.client.close()


def test_metadata_is_the_local_metadata(pair):
    remote, local = pair
    assert isinstance(remote, RemoteDataset)
    a, b = remote.metadata, local.metadata
    assert (a.rows, a.bytes, a.columns, a.format, a.parts) == (b.rows, b.bytes, b.columns, b.format, b.parts)
    assert remote.version == local.version == a.version
    assert remote.columns == local.columns
    assert remote.source_type == local.source.type
    assert remote.source.to_dict() == {"type": "dataApi", "uri": remote.label, "version": local.version}
    assert repr(a).startswith("Metadata(rows=")


def test_schema_is_the_local_schema(pair):
    remote, local = pair
    a, b = remote.schema(), local.schema()
    assert (a.ok, a.sources, a.missing, a.extra) == (b.ok, b.sources, b.missing, b.extra)
    assert a.columns == b.columns
    assert str(a).splitlines()[1:] == str(b).splitlines()[1:]  # the first line names the dataset


@pytest.mark.parametrize("n, seed", [(10, 1), (2_500, 42), (10_000, 42)])
def test_sample_is_the_local_sample(pair, n, seed):
    remote, local = pair
    assert_frame_equal(remote.sample(n, seed), local.sample(n, seed))


def test_validate_through_the_service(service, tmp_path):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/book", token=service.token())
    local = lc.open_dataset(service.local["book"])
    assert remote.validate().ok == local.validate().ok
    folder = tmp_path / "short"
    shutil.copytree(lc.demo_assumptions().path, folder)
    mort = folder / "mort_table.csv"
    mort.write_text("\n".join(mort.read_text().splitlines()[:40]) + "\n")
    a = remote.validate(folder, "basic_term_s", limit=3)
    b = local.validate(lc.load_assumptions(folder), "basic_term_s", limit=3)
    assert len(a) == len(b) and not a.ok
    assert [p.row for p in a.problems] == [p.row for p in b.problems]
    assert remote.validate(assumption_set="basis").ok == local.validate().ok


def _same_preview(a, b) -> None:
    """Two previews with the same numbers, bit for bit (they differ only in the source's label and timings)."""
    skip = {"source", "elapsed_seconds", "engine_seconds"}
    da, db = a.to_dict(), b.to_dict()
    assert {k: v for k, v in da.items() if k not in skip} == {k: v for k, v in db.items() if k not in skip}
    assert a.ci95 == b.ci95 and a.std_error == b.std_error and a.pv_net_cf == b.pv_net_cf
    if a.per_scenario is not None:
        assert_frame_equal(a.per_scenario, b.per_scenario, check_exact=True)


def test_preview_of_a_served_dataset_is_the_local_preview(service):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/book", token=service.token())
    spec = lc.hull_white(n=5, seed=2)
    a = lc.preview(remote, scenarios=spec, n=2_000, sample_seed=11)
    b = lc.preview(service.local["book"], scenarios=spec, n=2_000, sample_seed=11)
    _same_preview(a, b)
    assert (a.sample_size, a.total_rows, a.n_model_points) == (2_000, BOOK_ROWS, BOOK_ROWS)
    assert a.std_error > 0 and a.source == remote.label
    assert remote.filtered_rows() == remote.metadata.rows == BOOK_ROWS


def test_preview_of_a_filtered_served_dataset_scales_by_the_filtered_rows(service):
    import polars as pl

    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/older", token=service.token())
    counted = pl.scan_parquet(service.local["book"]).filter(pl.col("age_at_entry") >= 40).select(pl.len()).collect().item()
    assert 0 < counted < BOOK_ROWS
    assert remote.metadata.rows == BOOK_ROWS and remote.filtered_rows() == counted
    a = lc.preview(remote, n=1_000, sample_seed=5)
    assert a.total_rows == a.n_model_points == counted and a.sample_size == 1_000
    _same_preview(a, lc.preview(lc.open_dataset(service.local["book"], filter=OLDER_FILTER), n=1_000, sample_seed=5))


def test_a_service_without_filtered_rows_cannot_give_the_population(service):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/demo", token=service.token())
    _ = remote.metadata
    del remote._fields["filteredRows"]  # as a service older than the client answers
    with pytest.raises(DataError, match="does not report filteredRows"):
        lc.preview(remote, n=10)


def test_the_client_lists_datasets_in_snake_case(service):
    with DataApiClient(service.url, token=lambda: service.token(["datasets:book:read"])) as api:
        assert api.health()["status"] == "ok"
        (item,) = api.datasets()
        assert item["id"] == "book" and item["source_type"] == "local" and item["rows"] > 0


def test_the_token_can_come_from_the_environment(service, monkeypatch):
    monkeypatch.setenv("LIVECALC_TOKEN", service.token())
    assert lc.open_dataset(f"livecalc+{service.url}/datasets/demo").metadata.rows == 10_000


def test_open_dataset_passes_a_remote_dataset_through(service):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/demo", token=service.token())
    assert lc.open_dataset(remote) is remote
    with pytest.raises(DataError, match="no version, filter or read options"):
        lc.open_dataset(remote, filter="age_at_entry > 40")


@pytest.mark.parametrize("token, status", [("not-a-token", 401), (None, 401)], ids=["bad", "none"])
def test_auth_errors(service, monkeypatch, token, status):
    monkeypatch.delenv("LIVECALC_TOKEN", raising=False)
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/book", token=token)
    with pytest.raises(AuthError) as err:
        _ = remote.metadata
    assert err.value.status == status and "not-a-token" not in str(err.value)


def test_scope_and_not_found_errors(service):
    token = service.token(["datasets:book:read"])
    with pytest.raises(AuthError) as err:
        lc.open_dataset(f"livecalc+{service.url}/datasets/demo", token=token).sample(5)
    assert err.value.status == 403
    with pytest.raises(DataError, match="HTTP 404: no dataset 'nope' is registered"):
        lc.open_dataset(f"livecalc+{service.url}/datasets/nope", token=service.token()).sample(5)


def test_n_over_the_limit_names_it(service):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/book", token=service.token())
    with pytest.raises(DataError, match=f"HTTP 422: .*at most {MAX_SAMPLE:,}"):
        remote.sample(MAX_SAMPLE + 1)


def test_the_data_itself_is_not_served(service):
    remote = lc.open_dataset(f"livecalc+{service.url}/datasets/book", token=service.token())
    for call in (remote.read, lambda: list(remote.iter_chunks()), lambda: remote.read_chunk("x")):
        with pytest.raises(DataError, match="not served by the Data API"):
            call()


def test_an_unreachable_service_is_a_data_error():
    from _servers import free_port

    remote = lc.open_dataset(f"livecalc+http://127.0.0.1:{free_port()}/datasets/book", token="t")
    with pytest.raises(DataError, match="cannot reach the Data API"):
        _ = remote.metadata


@pytest.mark.parametrize("url, fragment", [
    ("livecalc+http://data.example.com/datasets/book", "only for a loopback host"),
    ("livecalc+https://user:pw@data.example.com/datasets/book", "never in the URL"),
    ("livecalc+https://data.example.com/datasets/book?token=abc", "never in the URL"),
    ("livecalc+https://data.example.com/book", "expected livecalc+https://host/datasets/<id>"),
    ("livecalc+ftp://data.example.com/datasets/book", "a Data API URL is"),
])
def test_urls_that_are_refused(url, fragment):
    with pytest.raises(DataError, match=fragment.replace("+", r"\+")) as err:
        lc.open_dataset(url, token="t")
    assert "pw" not in str(err.value) and "abc" not in str(err.value)


def test_url_forms():
    assert split_dataset_url("livecalc+https://h.example:8443/api/v1/datasets/b-1") == ("https://h.example:8443/api/v1", "b-1")
    assert split_dataset_url("livecalc+http://[::1]:8765/datasets/demo") == ("http://[::1]:8765", "demo")
    assert split_dataset_url("livecalc+http://localhost/datasets/demo/") == ("http://localhost", "demo")
    with pytest.raises(DataError, match="takes no version"):
        lc.open_dataset("livecalc+https://h.example/datasets/b", filter="x > 1")
