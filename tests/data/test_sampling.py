"""Reproducible samples: the documented key, and invariance under row order, file split, layout and source."""

from __future__ import annotations

import struct

import polars as pl
import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.data.sampling import TopN, sample_keys

from _data_helpers import portfolio, write_sqlite

SLOW_OK = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def reference_sample(ids: list, n: int, seed: int) -> list:
    """The documented rule, written out with the xxhash package and nothing of ours."""
    prefix = struct.pack("<Q", seed)

    def key(i):
        data = prefix + (struct.pack("<q", i) if isinstance(i, int) else i.strip().encode("utf-8"))
        return (xxhash.xxh64_intdigest(data), i)

    return [i for _, i in sorted(key(i) for i in ids)[:n]]


@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=50), st.integers(0, 2**64 - 1))
def test_integer_keys_match_xxh64_of_seed_and_id(ids, seed):
    want = [xxhash.xxh64_intdigest(struct.pack("<Qq", seed, i)) for i in ids]
    assert [int(k) for k in sample_keys(ids, seed)] == want


@given(st.lists(st.text(min_size=1, max_size=10).filter(lambda s: s.strip()), min_size=1, max_size=30), st.integers(0, 2**64 - 1))
def test_text_keys_match_xxh64_of_seed_and_utf8(ids, seed):
    want = [xxhash.xxh64_intdigest(struct.pack("<Q", seed) + i.strip().encode()) for i in ids]
    assert [int(k) for k in sample_keys(pl.Series(ids, dtype=pl.String), seed)] == want


@given(st.lists(st.integers(0, 10**6), unique=True, max_size=300), st.integers(0, 40), st.integers(0, 2**32),
       st.integers(1, 50))
def test_top_n_over_batches_is_the_reference(ids, n, seed, batch):
    top = TopN(n, seed)
    for k in range(0, len(ids), batch):
        top.offer(pl.DataFrame({"policy_id": pl.Series(ids[k:k + batch], dtype=pl.Int64)}))
    got = [] if top.result() is None else top.result()["policy_id"].to_list()
    assert got == reference_sample(ids, n, seed)


def test_sample_of_the_demo_portfolio_is_pinned():
    """Frozen values: another implementation of the documented rule must draw these."""
    from livecalc_lab.model.policies import demo_policies_path

    got = lc.open_dataset(demo_policies_path()).sample(5, seed=42)["policy_id"].to_list()
    assert got == reference_sample(list(range(1, 10001)), 5, 42)
    assert got == PINNED_DEMO_SAMPLE


PINNED_DEMO_SAMPLE = [1339, 7266, 8872, 3638, 11]


@pytest.mark.parametrize("string_ids", [False, True], ids=["int-ids", "text-ids"])
@SLOW_OK
@given(
    n_rows=st.integers(1, 300),
    n=st.integers(0, 80),
    seed=st.integers(0, 2**64 - 1),
    order=st.randoms(use_true_random=False),
    cuts=st.lists(st.integers(1, 299), max_size=3),
    row_group=st.integers(7, 120),
)
def test_sample_is_invariant_under_order_split_layout_and_source(tmp_path_factory, string_ids, n_rows, n, seed, order, cuts, row_group):
    frame = portfolio(n_rows, seed=n_rows, string_ids=string_ids)
    want = reference_sample(frame["policy_id"].to_list(), n, seed)
    base = tmp_path_factory.mktemp("s")
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=order.randrange(2**32))
    one = base / "one.csv"
    frame.write_csv(one)
    parts = base / "parts"
    parts.mkdir()
    bounds = [0, *sorted({c for c in cuts if c < n_rows}), n_rows]
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        shuffled.slice(a, b - a).write_parquet(parts / f"p{k}.parquet", row_group_size=row_group)
    db = write_sqlite(base / "s.db", shuffled)
    sources = [lc.open_dataset(one), lc.open_dataset(parts), lc.open_dataset(db, table="policies")]
    samples = [ds.sample(n, seed) for ds in sources]
    for s in samples:
        assert s["policy_id"].to_list() == want
        assert s.select("policy_id", "age_at_entry", "policy_term", "policy_count", "sum_assured").equals(
            samples[0].select("policy_id", "age_at_entry", "policy_term", "policy_count", "sum_assured"))


def test_sample_with_a_filter_draws_from_the_filtered_set(tmp_path):
    frame = portfolio(1000)
    frame.write_parquet(tmp_path / "f.parquet", row_group_size=128)
    ds = lc.open_dataset(tmp_path / "f.parquet", filter="region IN ('UK', 'IE') AND sum_assured > 300000")
    subset = frame.filter(pl.col("region").is_in(["UK", "IE"]) & (pl.col("sum_assured") > 300000))
    assert ds.sample(50, seed=9)["policy_id"].to_list() == reference_sample(subset["policy_id"].to_list(), 50, 9)


def test_sample_reads_only_needed_columns_then_needed_row_groups(tmp_path, monkeypatch):
    from livecalc_lab.data import _parquet

    p = tmp_path / "w.parquet"
    portfolio(1000).with_columns(pl.lit("x" * 50).alias("wide")).write_parquet(p, row_group_size=100)
    calls = []
    real = _parquet.read_row_groups
    monkeypatch.setattr(_parquet, "read_row_groups", lambda fp, a, b, cols, *rest: calls.append((a, cols)) or real(fp, a, b, cols, *rest))
    s = lc.open_dataset(p).sample(3, seed=1)
    first = [c for c in calls if c[1] is not None]
    second = [c for c in calls if c[1] is None]
    assert len(first) == 10 and all("wide" not in c[1] for c in first)
    assert 1 <= len(second) <= 3 and s["wide"].to_list() == ["x" * 50] * 3


def test_sample_larger_than_the_data_returns_everything(tmp_path):
    portfolio(20).write_csv(tmp_path / "a.csv")
    s = lc.open_dataset(tmp_path / "a.csv").sample(100, seed=3)
    assert s.height == 20 and s["policy_id"].n_unique() == 20


# ---- the sample cache ------------------------------------------------------------------------------------------------


def _draws(monkeypatch) -> list[tuple[int, int]]:
    """Every sample drawn from the data (not taken from the cache): ``(n, seed)``."""
    from livecalc_lab.data.dataset import Dataset

    calls: list[tuple[int, int]] = []
    real = Dataset._draw
    monkeypatch.setattr(Dataset, "_draw", lambda self, n, seed: calls.append((n, seed)) or real(self, n, seed))
    return calls


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_sample_is_drawn_once_per_source_version_filter_n_and_seed(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"book.{fmt}"
    frame = portfolio(600)
    frame.write_parquet(path, row_group_size=100) if fmt == "parquet" else frame.write_csv(path)
    draws = _draws(monkeypatch)
    first = lc.open_dataset(path).sample(40, seed=3)
    again = lc.open_dataset(path).sample(40, seed=3)  # another Dataset of the same file: the cached sample
    assert again.equals(first) and draws == [(40, 3)]
    assert first.equals(lc.open_dataset(path).sample(40, 3, cache=False)) and len(draws) == 2
    ds = lc.open_dataset(path)
    others = [ds.sample(41, 3), ds.sample(40, 4), lc.open_dataset(path, filter="region = 'UK'").sample(40, 3)]
    assert len(draws) == 5 and not any(o.equals(first) for o in others)
    assert [o.equals(p) for o, p in zip(others, [ds.sample(41, 3), ds.sample(40, 4)])] == [True, True]
    assert len(draws) == 5


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_new_content_never_gets_the_old_sample(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"book.{fmt}"

    def write(frame: pl.DataFrame) -> None:
        frame.write_parquet(path, row_group_size=100) if fmt == "parquet" else frame.write_csv(path)

    write(portfolio(600, seed=1))
    held = lc.open_dataset(path)  # a dataset kept open across the change, as the workbench keeps one
    old = held.sample(40, seed=3)
    write(portfolio(700, seed=2))  # same name, new content
    draws = _draws(monkeypatch)
    ds = lc.open_dataset(path)
    new = ds.sample(40, seed=3)
    assert ds.version != held.version and draws == [(40, 3)]
    assert new.equals(ds.sample(40, 3, cache=False)) and not new.equals(old)
    assert ds.sample(40, seed=3).equals(new) and len(draws) == 2
    # The dataset opened before the change is not served its old sample either: it reads the file again
    # (which, its layout having moved, fails loudly or reads other rows, as before the cache).
    try:
        stale = held.sample(40, seed=3)
    except lc.DataError:
        stale = None
    assert len(draws) == 3 and (stale is None or not stale.equals(old))


def test_changing_a_returned_sample_leaves_the_cached_one_as_it_was(tmp_path):
    portfolio(300).write_parquet(tmp_path / "a.parquet")
    ds = lc.open_dataset(tmp_path / "a.parquet")
    pristine = ds.sample(30, seed=5, cache=False)
    mine = ds.sample(30, seed=5)
    mine.insert_column(0, pl.Series("x", range(30)))
    mine.drop_in_place("sum_assured")
    mine.columns = [c.upper() for c in mine.columns]
    mine.extend(mine)
    assert ds.sample(30, seed=5).equals(pristine)


def test_the_cache_holds_at_most_its_budget(tmp_path, monkeypatch):
    from livecalc_lab.data._cache import sample_cache

    portfolio(2000).write_parquet(tmp_path / "a.parquet")
    ds = lc.open_dataset(tmp_path / "a.parquet")
    one = ds.sample(500, seed=1, cache=False).estimated_size()
    sample_cache().resize(int(2.5 * one))
    draws = _draws(monkeypatch)
    for seed in (1, 2, 3, 1):  # 1 was dropped to keep 2 and 3
        ds.sample(500, seed=seed)
    assert draws == [(500, 1), (500, 2), (500, 3), (500, 1)]
    assert sample_cache().stats()["entries"] == 2 and sample_cache().stats()["bytes"] <= 2.5 * one
    ds.sample(500, seed=1)
    assert len(draws) == 4


def test_a_database_table_is_cached_only_with_a_version_and_by_credential(tmp_path, monkeypatch):
    uri = write_sqlite(tmp_path / "p.db", portfolio(300), "policies")
    draws = _draws(monkeypatch)
    for _ in range(2):
        lc.open_dataset(uri, table="policies").sample(20, seed=1)  # unversioned: the table may change at any time
    assert len(draws) == 2
    for _ in range(2):
        lc.open_dataset(uri, table="policies", version="2026-Q1").sample(20, seed=1)
    assert len(draws) == 3
    lc.open_dataset(uri, table="policies", version="2026-Q1", credential="another").sample(20, seed=1)
    assert len(draws) == 4
