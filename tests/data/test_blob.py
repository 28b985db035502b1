"""Azure Blob Storage and data lake folders, against a real Azurite: range reads, versions, chunks, samples."""

from __future__ import annotations

import io
import uuid

import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.data import _store

from _data_helpers import portfolio

pytestmark = pytest.mark.azurite


def put(container, name: str, frame: pl.DataFrame, row_group: int = 100) -> None:
    buf = io.BytesIO()
    if name.endswith(".csv"):
        frame.write_csv(buf)
    else:
        frame.write_parquet(buf, row_group_size=row_group)
    container.upload_blob(name, buf.getvalue(), overwrite=True)


@pytest.fixture
def readers(monkeypatch):
    """Every BlobRangeReader opened during the test (to count requests and bytes)."""
    from livecalc_lab.data import _azure

    opened = []
    real = _store.BlobStore.open

    def spy(self, part):
        reader = real(self, part)
        opened.append(reader)
        return reader

    monkeypatch.setattr(_store.BlobStore, "open", spy)
    assert _azure.BlobRangeReader
    return opened


def test_parquet_metadata_is_a_footer_range_read(container, readers):
    frame = portfolio(20_000).with_columns(pl.Series("wide", [uuid.uuid4().hex * 2 for _ in range(20_000)]))
    put(container, "book/p.parquet", frame, row_group=2_000)
    size = container.get_blob_client("book/p.parquet").get_blob_properties().size
    ds = lc.open_dataset(f"azure://{container.container_name}/book/p.parquet")
    m = ds.metadata
    assert (m.rows, m.bytes, m.format) == (20_000, size, "parquet")
    assert m.columns["wide"] == pl.String
    assert sum(r.bytes_read for r in readers) <= 128 << 10 < size / 4
    assert all(r.requests <= 2 for r in readers)
    etag = container.get_blob_client("book/p.parquet").get_blob_properties().etag.strip('"')
    assert ds.version == f"etag:{etag}"


def test_blob_sample_and_chunks_match_local(container, tmp_path):
    frame = portfolio(3000)
    put(container, "p.parquet", frame, row_group=250)
    put(container, "p.csv", frame)
    frame.write_parquet(tmp_path / "p.parquet")
    local = lc.open_dataset(tmp_path / "p.parquet").sample(200, seed=7)
    for name in ("p.parquet", "p.csv"):
        ds = lc.open_dataset(f"azure://{container.container_name}/{name}")
        assert ds.sample(200, seed=7).select(local.columns[:6]).equals(local.select(local.columns[:6]))
        chunks = list(ds.iter_chunks(20_000))
        assert len(chunks) > 1
        worker = [lc.data.read_chunk(ds.source.to_json(), c.id).frame for c in chunks]
        assert sorted(pl.concat(worker)["policy_id"].to_list()) == sorted(frame["policy_id"].to_list())


def test_changed_blob_fails_instead_of_mixing_versions(container):
    put(container, "p.parquet", portfolio(500), row_group=50)
    ds = lc.open_dataset(f"azure://{container.container_name}/p.parquet")
    chunks = list(ds.iter_chunks(1))
    put(container, "p.parquet", portfolio(500, seed=3), row_group=50)
    with pytest.raises(lc.DataError, match="ConditionNotMet|412"):
        ds.read_chunk(chunks[-1].id)


def test_https_url_form(container, blob_env):
    put(container, "p.csv", portfolio(10))
    account = "devstoreaccount1"
    port = blob_env.split("127.0.0.1:")[1].split("/")[0]
    ds = lc.open_dataset(f"http://127.0.0.1:{port}/{account}/{container.container_name}/p.csv")
    assert ds.source.type == "blob" and ds.metadata.rows == 10


def test_data_lake_folder_of_parts_and_snapshots(container):
    c = container.container_name
    frame = portfolio(900)
    for k in range(3):
        put(container, f"lake/policies/2026-01-31/part-{k}.parquet", frame.slice(300 * k, 300), row_group=64)
    newer = portfolio(500, seed=5)
    put(container, "lake/policies/2026-02-28/part-0.parquet", newer)
    container.upload_blob("lake/policies/2026-02-28/_SUCCESS", b"")
    uri = f"abfss://{c}@devstoreaccount1.dfs.core.windows.net/lake/policies"
    latest = lc.open_dataset(uri)
    assert latest.metadata.rows == 500 and latest.version.startswith("2026-02-28@parts:")
    jan = lc.open_dataset(uri, version="2026-01-31")
    assert (jan.metadata.rows, jan.metadata.parts) == (900, 3)
    assert jan.sample(40, seed=1)["policy_id"].to_list() == lc.read_policies(frame).frame.pipe(
        lambda f: lc.data.sampling.TopN.merge([_keyed(f, 1)], 40))["policy_id"].to_list()
    chunks = list(jan.iter_chunks(1))
    assert len(chunks) == sum(-(-300 // 64) for _ in range(3))
    assert sorted(pl.concat([jan.read_chunk(ch.id).frame for ch in chunks])["policy_id"].to_list()) == sorted(
        frame["policy_id"].to_list())
    assert lc.open_dataset(uri.replace("abfss://", "adl://"), version="2026-01-31").metadata.rows == 900
    with pytest.raises(lc.DataError, match="no .csv or .parquet blobs"):
        lc.open_dataset(uri, version="2025-12-31")


def _keyed(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    from livecalc_lab.data.sampling import KEY, sample_keys

    return frame.with_columns(pl.Series(KEY, sample_keys(frame["policy_id"], seed)))


def test_missing_blob_and_wrong_account(container, monkeypatch):
    with pytest.raises(lc.DataError, match="no such blob"):
        lc.open_dataset(f"azure://{container.container_name}/nope.parquet")
    with pytest.raises(lc.DataError, match="is for account 'devstoreaccount1', not 'other'"):
        lc.open_dataset(f"abfss://{container.container_name}@other.dfs.core.windows.net/x")
