"""Dataset over local files: metadata without loading, versions, chunks, workers, filters, validation, lc.run."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.data import _parquet
from livecalc_lab.model.policies import demo_policies_path

from _data_helpers import portfolio

POLICY = ["policy_id", "age_at_entry", "policy_term", "duration_mth", "policy_count", "sum_assured"]


def write_parts(folder, frame: pl.DataFrame, cuts: list[int], fmt: str, row_group: int = 50) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    bounds = [0, *sorted(set(cuts)), frame.height]
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        part = frame.slice(a, b - a)
        if fmt == "csv":
            part.write_csv(folder / f"part-{k:03d}.csv")
        else:
            part.write_parquet(folder / f"part-{k:03d}.parquet", row_group_size=row_group)


def test_parquet_metadata_reads_only_the_footer(tmp_path, monkeypatch):
    p = tmp_path / "p.parquet"
    portfolio(2000).write_parquet(p, row_group_size=300)
    monkeypatch.setattr(_parquet, "read_row_groups", lambda *a, **k: pytest.fail("metadata read data"))
    m = lc.open_dataset(p).metadata
    assert (m.rows, m.format, m.parts) == (2000, "parquet", 1)
    assert m.bytes == p.stat().st_size
    assert m.columns == {"policy_id": pl.Int64, "age_at_entry": pl.Int32, "policy_term": pl.Int32,
                         "duration_mth": pl.Int32, "policy_count": pl.Float64, "sum_assured": pl.Float64,
                         "region": pl.String}
    d = m.to_dict()
    assert d["version"].startswith("xxh3:") and json.loads(json.dumps(d)) == d


def test_version_is_a_content_hash(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    portfolio(100).write_csv(a)
    portfolio(100).write_csv(b)
    va = lc.open_dataset(a).version
    assert va == lc.open_dataset(b).version  # same bytes, same version, whatever the name
    portfolio(100, seed=1).write_csv(b)
    assert lc.open_dataset(b).version != va
    with pytest.raises(lc.DataError, match="not the requested"):
        lc.open_dataset(a, version="xxh3:0")
    assert lc.open_dataset(a, version=va).metadata.rows == 100


def test_schema_reports_what_is_missing(tmp_path):
    p = tmp_path / "s.csv"
    portfolio(5).drop("sum_assured").rename({"policy_id": "point_id"}).write_csv(p)
    report = lc.open_dataset(p).schema()
    assert not report.ok and report.missing == ["sum_assured"]
    assert report.sources["policy_id"] == "point_id" and report.sources["duration_mth"] == "default"
    assert "sum_assured    MISSING" in str(report)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(0, 400),
    cuts=st.lists(st.integers(0, 400), max_size=3),
    target=st.sampled_from([1, 700, 3000, 10**9]),
)
def test_chunks_cover_every_row_exactly_once(tmp_path_factory, fmt, n, cuts, target):
    frame = portfolio(n, seed=n)
    folder = tmp_path_factory.mktemp("parts")
    write_parts(folder, frame, [c for c in cuts if c < n], fmt, row_group=37)
    ds = lc.open_dataset(folder)
    chunks = list(ds.iter_chunks(target))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert sum(c.rows for c in chunks) == n
    # A worker knows only the source (as JSON) and the chunk id.
    source_json = ds.source.to_json()
    got = [lc.data.read_chunk(source_json, c.id).frame for c in chunks]
    ids = pl.concat(got)["policy_id"].to_list() if got else []
    assert sorted(ids) == sorted(frame["policy_id"].to_list())
    assert list(ds.iter_chunks(target)) == chunks  # deterministic


def test_chunk_errors_name_the_part_and_its_row(tmp_path):
    frame = portfolio(300).with_columns(pl.col("sum_assured").cast(pl.String))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 250).then(pl.lit("12a")).otherwise(pl.col("sum_assured")).alias("sum_assured"))
    write_parts(tmp_path / "d", frame, [200], "csv")
    ds = lc.open_dataset(tmp_path / "d")
    with pytest.raises(lc.DataError, match=r"part-001\.csv row 51 column 'sum_assured': '12a' is not a number"):
        for c in ds.iter_chunks(1):
            ds.read_chunk(c.id)


def test_filter_is_checked_and_applied(tmp_path):
    p = tmp_path / "f.parquet"
    frame = portfolio(500)
    frame.write_parquet(p, row_group_size=100)
    ds = lc.open_dataset(p, filter="region = 'UK' AND age_at_entry >= 40")
    want = frame.filter((pl.col("region") == "UK") & (pl.col("age_at_entry") >= 40))["policy_id"].sort().to_list()
    assert ds.read().frame["policy_id"].sort().to_list() == want
    assert sorted(pl.concat([ds.read_chunk(c.id).frame for c in ds.iter_chunks(1)])["policy_id"].to_list()) == want
    assert ds.filtered_rows() == len(want) < 500 and ds.metadata.rows == 500
    assert lc.open_dataset(p).filtered_rows() == 500
    with pytest.raises(lc.DataError, match="unknown column 'regio'"):
        lc.open_dataset(p, filter="regio = 'UK'").read()
    with pytest.raises(lc.DataError, match=r"cannot compare 'region' \(text\) with 3 \(number\)"):
        lc.open_dataset(p, filter="region = 3").sample(5)


def test_parquet_row_groups_are_skipped_by_statistics(tmp_path, monkeypatch):
    p = tmp_path / "s.parquet"
    portfolio(400).sort("age_at_entry").write_parquet(p, row_group_size=100)
    reads = []
    real = _parquet.read_row_groups
    monkeypatch.setattr(_parquet, "read_row_groups", lambda fp, a, b, *r: reads.append(a) or real(fp, a, b, *r))
    got = lc.open_dataset(p, filter="age_at_entry < 25").read().frame
    assert got["age_at_entry"].max() < 25 and reads == [0]


def test_read_is_the_same_for_csv_and_parquet(tmp_path):
    frame = portfolio(300)
    frame.write_csv(tmp_path / "a.csv")
    frame.write_parquet(tmp_path / "a.parquet")
    a = lc.open_dataset(tmp_path / "a.csv").read()
    b = lc.open_dataset(tmp_path / "a.parquet").read()
    assert a.frame.equals(b.frame)
    assert a.frame.columns == POLICY


def test_validate_reports_all_problems_up_to_a_limit(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text(
        "policy_id,age_at_entry,policy_term,policy_count,sum_assured,product\n"
        "1,47,10,1,622000,basic_term_s\n"
        "2,12a,20,1,752000,basic_term_s\n"
        "3,51,10,1,,basic_term_s\n"
        "1,30,10,1,1000,basic_term_s\n"
        "5,115,10,1,1000,basic_term_s\n"
        "6,40,10,1,1000,whole_life_x\n"
        "7,10,10,1,1000,basic_term_s\n"
    )
    report = lc.open_dataset(p).validate()
    assert not report.ok
    assert [(x.row, x.column) for x in report.problems] == [
        (2, "age_at_entry"), (3, "sum_assured"), (6, "product"), (7, "age_at_entry"), (5, "policy_term"),
        (4, "policy_id"),
    ]
    assert "'whole_life_x' is not a product of the assumption set" in str(report)
    short = lc.open_dataset(p).validate(limit=2)
    assert len(short.problems) == 2 and short.n_more == 4 and "... and 4 more" in str(short)
    assert lc.open_dataset(demo_policies_path()).validate().ok


def test_validate_catches_unreadable_files(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes(b"policy_id,age_at_entry\n1,\xff\n")
    report = lc.open_dataset(p).validate()
    assert len(report.problems) == 1 and "not valid UTF-8" in report.problems[0].message


@pytest.mark.parametrize("how", ["path", "str", "uri", "source", "dataset", "frame"])
def test_run_accepts_any_source(how):
    path = demo_policies_path()
    arg = {
        "path": path, "str": str(path), "uri": f"file://{path}", "source": lc.PolicySource.from_uri(str(path)),
        "dataset": lc.open_dataset(path), "frame": pl.read_csv(path),
    }[how]
    result = lc.run(arg)
    assert round(result.pv_net_cf, 4) == 14489630.5346
    if how != "frame":
        assert result.data_version == lc.open_dataset(path).version


def test_run_with_a_filter_values_the_subset(tmp_path):
    path = demo_policies_path()
    full = lc.run(path).per_policy
    sub = lc.run(lc.open_dataset(path, filter="policy_term = 10"))
    frame = pl.read_csv(path)
    ids = frame.filter(pl.col("policy_term") == 10)["point_id"]
    want = full.filter(pl.col("policy_id").is_in(ids.implode()))["pv_net_cf"].sum()
    assert sub.n_model_points == len(ids)
    assert sub.pv_net_cf == pytest.approx(want, rel=1e-12)


def test_read_chunk_rejects_foreign_ids(tmp_path):
    p = tmp_path / "a.csv"
    portfolio(10).write_csv(p)
    ds = lc.open_dataset(p)
    with pytest.raises(lc.DataError, match="is not a chunk id"):
        ds.read_chunk("nonsense")
    with pytest.raises(lc.DataError, match="names part 'b.csv'"):
        ds.read_chunk("csv/int/b.csv/0/10/0")


def test_rows_of_policies_follow_the_source(tmp_path):
    p = tmp_path / "a.csv"
    portfolio(20).write_csv(p)
    pols = lc.open_dataset(p, filter="region = 'UK'").read()
    expect = np.flatnonzero(pl.read_csv(p)["region"].to_numpy() == "UK") + 1
    assert np.array_equal(pols.rows, expect)


def test_a_worker_reads_a_csv_chunk_without_scanning_the_file(tmp_path, monkeypatch):
    from livecalc_lab.data import _csv

    p = tmp_path / "w.csv"
    portfolio(400).write_csv(p)
    ds = lc.open_dataset(p, filter="region = 'UK'")
    chunks = list(ds.iter_chunks(2000))
    from livecalc_lab.data import _cache

    _cache._MEMO.clear()
    monkeypatch.setenv("LIVECALC_CACHE_DIR", str(tmp_path / "elsewhere"))  # another machine: no cache
    monkeypatch.setattr(_csv, "scan", lambda *a, **k: pytest.fail("the worker scanned the whole file"))
    got = [lc.data.read_chunk(ds.source.to_json(), c.id).frame for c in chunks]
    assert sum(g.height for g in got) == pl.read_csv(p).filter(pl.col("region") == "UK").height
