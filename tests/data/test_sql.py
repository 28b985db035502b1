"""SQL tables (SQLite, and a real PostgreSQL server): catalogue metadata, pushdown, key-range chunks, samples."""

from __future__ import annotations

import polars as pl
import pytest

import livecalc_lab as lc

from _data_helpers import portfolio, write_postgres, write_sqlite


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """``put(frame) -> (uri, table)`` for SQLite or PostgreSQL."""
    if request.param == "sqlite":
        def put(frame: pl.DataFrame, table: str = "policies") -> tuple[str, str]:
            path = tmp_path / f"{table}.db"
            return write_sqlite(path, frame, table), table
    else:
        server = request.getfixturevalue("postgres")

        def put(frame: pl.DataFrame, table: str | None = None) -> tuple[str, str]:
            return server, write_postgres(server, frame, table)
    put.kind = request.param
    return put


def test_metadata_from_count_and_catalogue(db):
    uri, table = db(portfolio(700))
    ds = lc.open_dataset(uri, table=table)
    m = ds.metadata
    assert (m.rows, m.format, m.parts) == (700, "sql", 1) and m.bytes > 0
    assert m.columns["policy_id"] == pl.Int64 and m.columns["region"] == pl.String
    assert m.columns["age_at_entry"] == pl.Int32
    assert ds.version is None and m.version is None
    assert lc.open_dataset(uri, table=table, version="2026-Q1").version == "2026-Q1"


def test_unknown_table_and_missing_option(db):
    uri, _ = db(portfolio(3))
    with pytest.raises(lc.DataError, match="no table 'nope'"):
        lc.open_dataset(uri, table="nope").metadata
    with pytest.raises(lc.DataError, match="name the table"):
        lc.open_dataset(uri)


def test_filter_is_pushed_down_with_parameters(db):
    frame = portfolio(600)
    uri, table = db(frame)
    ds = lc.open_dataset(uri, table=table, filter="region = 'UK' AND age_at_entry >= 40")
    want = frame.filter((pl.col("region") == "UK") & (pl.col("age_at_entry") >= 40))
    got = ds.read().frame
    assert sorted(got["policy_id"].to_list()) == sorted(want["policy_id"].to_list())
    hostile = lc.open_dataset(uri, table=table, filter="region = 'UK'' OR ''1''=''1'")
    assert hostile.read().frame.height == 0  # a value, not SQL
    with pytest.raises(lc.DataError, match="unknown column"):
        lc.open_dataset(uri, table=table, filter="nope = 1").read()


@pytest.mark.parametrize("string_ids", [False, True])
@pytest.mark.parametrize("target", [1, 5_000, 10**9])
def test_key_range_chunks_cover_every_row_once(db, string_ids, target):
    n = 450 if db.kind == "sqlite" else 120  # each chunk read below opens the dataset afresh, as a worker does
    frame = portfolio(n, string_ids=string_ids)
    uri, table = db(frame)
    ds = lc.open_dataset(uri, table=table)
    chunks = list(ds.iter_chunks(target))
    assert sum(c.rows for c in chunks) == n
    parts = [lc.data.read_chunk(ds.source.to_json(), c.id).frame for c in chunks]
    got = pl.concat(parts)["policy_id"].to_list()
    assert sorted(got) == sorted(frame["policy_id"].to_list()) and len(got) == n
    if target == 1:
        assert len(chunks) == n


def test_sample_matches_the_same_data_in_a_file(db, tmp_path):
    frame = portfolio(2000)
    uri, table = db(frame.sample(fraction=1.0, shuffle=True, seed=4))
    frame.write_csv(tmp_path / "same.csv")
    want = lc.open_dataset(tmp_path / "same.csv").sample(300, seed=11)
    got = lc.open_dataset(uri, table=table).sample(300, seed=11)
    cols = ["policy_id", "age_at_entry", "policy_term", "policy_count", "sum_assured", "region"]
    assert got.select(cols).equals(want.select(cols))


def test_text_ids_holding_integers_are_int64_like_everywhere(db, tmp_path):
    frame = portfolio(100).with_columns(pl.col("policy_id").cast(pl.String))
    uri, table = db(frame)
    ds = lc.open_dataset(uri, table=table)
    assert ds.columns["policy_id"] == pl.Int64
    frame.write_csv(tmp_path / "x.csv")
    assert ds.sample(10, seed=2)["policy_id"].to_list() == lc.open_dataset(tmp_path / "x.csv").sample(10, seed=2)["policy_id"].to_list()


def test_null_ids_and_bad_values_are_reported(db):
    frame = portfolio(20).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("sum_assured")).alias("sum_assured"))
    uri, table = db(frame)
    report = lc.open_dataset(uri, table=table).validate()
    assert len(report.problems) == 1 and "column 'sum_assured': value is empty" in report.problems[0].message
    with_null_id = portfolio(5).with_columns(pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("policy_id")).alias("policy_id"))
    uri2, table2 = db(with_null_id, "nullids")
    with pytest.raises(lc.DataError, match="1 row with no id"):
        list(lc.open_dataset(uri2, table=table2).iter_chunks())


def test_lc_run_values_a_table_like_the_file(db):
    from livecalc_lab.model.policies import demo_policies

    frame = demo_policies()
    uri, table = db(frame)
    result = lc.run(lc.open_dataset(uri, table=table))
    assert round(result.pv_net_cf, 4) == 14489630.5346


@pytest.mark.postgres
def test_postgres_password_comes_from_the_credential_not_the_source(postgres):
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(postgres) as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE ROLE actuary LOGIN PASSWORD 's3cret'")
            cur.execute("GRANT pg_read_all_data TO actuary")
        conn.commit()
    table = write_postgres(postgres, portfolio(30))
    host = postgres.split("@", 1)[1]
    ds = lc.open_dataset(f"postgresql://actuary:s3cret@{host}", table=table)
    assert ds.metadata.rows == 30
    assert "s3cret" not in ds.source.to_json()
    worker = lc.data.read_chunk(ds.source, next(ds.iter_chunks()).id, credential="s3cret")
    assert worker.frame.height == 30
    with pytest.raises(lc.DataError, match="cannot connect"):
        lc.open_dataset(ds.source, credential="wrong").metadata
