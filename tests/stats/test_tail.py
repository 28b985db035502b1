"""Exact tail buffers: merged CTE equals the CTE of the full data, bit for bit."""

from __future__ import annotations

import itertools
import json
import math
import struct
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livecalc_lab.stats import CTE_LEVELS, StatsError, TailBuffer, cte, percentile, tail_capacity

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
# Few distinct values, so ties (and -0.0 against 0.0) are common.
tied = st.sampled_from([-0.0, 0.0, 1.0, -1.0, 2.5, 1e9])
values_st = st.lists(st.one_of(finite, tied), min_size=1, max_size=80)
levels = st.decimals(min_value=Decimal("0"), max_value=Decimal("99.99"), places=2)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@st.composite
def split(draw, values):
    """Contiguous pieces of ``values``, with empty and one-element pieces."""
    cuts = sorted(draw(st.lists(st.integers(0, len(values)), max_size=8)))
    bounds = [0, *cuts, len(values)]
    return [values[a:b] for a, b in itertools.pairwise(bounds)]


def merge_randomly(data, parts: list[TailBuffer]) -> TailBuffer:
    while len(parts) > 1:
        pair = st.lists(st.integers(0, len(parts) - 1), min_size=2, max_size=2, unique=True)
        i, j = data.draw(pair)
        merged = parts[i].merge(parts[j])
        parts = [p for k, p in enumerate(parts) if k not in (i, j)] + [merged]
    return parts[0]


class TestCapacity:
    @pytest.mark.parametrize(
        ("n", "capacity"), [(0, 0), (1, 1), (7, 3), (10, 3), (1000, 300), (1001, 301)]
    )
    def test_default_levels(self, n, capacity):
        assert tail_capacity(n) == capacity  # ceil(0.3 n): CTE70 is the widest

    def test_percentiles_widen_it(self):
        assert tail_capacity(1000, cte_levels=["99"], percentiles=["5", "1"]) == 50
        assert tail_capacity(1000, cte_levels=[], percentiles=[]) == 0

    @pytest.mark.parametrize("n", [-1, 1.5, True])
    def test_bad_n_total(self, n):
        with pytest.raises(StatsError):
            tail_capacity(n)


class TestAgainstTheFullData:
    @settings(max_examples=200)
    @given(data=st.data(), values=values_st)
    def test_merged_cte_equals_summary_cte(self, data, values):
        n = len(values)
        capacity = tail_capacity(n)
        pieces = data.draw(split(values), label="pieces")
        merged = merge_randomly(data, [TailBuffer.from_values(p, capacity) for p in pieces])
        assert merged.count == n
        for alpha in CTE_LEVELS:
            assert bits(merged.cte(alpha, n_total=n)) == bits(cte(values, alpha))

    @given(data=st.data(), values=values_st, alpha=levels, p=levels)
    def test_any_level_within_capacity(self, data, values, alpha, p):
        if p == 0:
            p = Decimal("0.01")
        n = len(values)
        capacity = tail_capacity(n, cte_levels=[alpha], percentiles=[p])
        pieces = data.draw(split(values), label="pieces")
        merged = TailBuffer.merge_all([TailBuffer.from_values(x, capacity) for x in pieces])
        assert bits(merged.cte(alpha)) == bits(cte(values, alpha))
        assert bits(merged.percentile(p)) == bits(percentile(values, p))

    def test_large(self):
        rng = np.random.default_rng(7)
        values = rng.normal(1e6, 2e5, size=50_000)
        capacity = tail_capacity(values.size)
        chunks = np.array_split(values, 61)
        buffers = [TailBuffer.from_values(c, capacity) for c in chunks]
        merged = TailBuffer.merge_all(reversed(buffers))
        assert merged.values.size == capacity == 15_000
        for alpha in CTE_LEVELS:
            assert merged.cte(alpha) == cte(values, alpha)


class TestMergeIsExact:
    @given(a=values_st, b=values_st, c=values_st, capacity=st.integers(0, 30))
    def test_associative_and_commutative(self, a, b, c, capacity):
        ta, tb, tc = (TailBuffer.from_values(v, capacity) for v in (a, b, c))
        left = ta.merge(tb).merge(tc)
        assert left == ta.merge(tb.merge(tc)) == tc.merge(ta).merge(tb)
        assert left == TailBuffer.merge_all([tc, tb, ta])
        assert left == TailBuffer.from_values(a + b + c, capacity)

    def test_empty_and_one_element(self):
        empty, one = TailBuffer(3), TailBuffer.from_values([5.0], 3)
        assert empty.merge(empty) == empty and empty.count == 0
        assert empty.merge(one) == one == one.merge(empty)
        assert one.cte("99") == 5.0 and one.percentile("50") == 5.0
        assert TailBuffer.merge_all([], capacity=3) == empty

    def test_negative_zero_ties(self):
        a = TailBuffer.from_values([-0.0, 1.0], 1)
        b = TailBuffer.from_values([0.0, 2.0], 1)
        assert a.merge(b) == b.merge(a)
        assert bits(a.merge(b).values[0]) == bits(0.0)


class TestSerialisationAndErrors:
    @given(values=st.lists(finite, max_size=40), capacity=st.integers(0, 20))
    def test_json_round_trip(self, values, capacity):
        buf = TailBuffer.from_values(values, capacity)
        back = TailBuffer.from_dict(json.loads(json.dumps(buf.to_dict(), allow_nan=False)))
        assert back == buf

    def test_values_are_read_only(self):
        buf = TailBuffer.from_values([3.0, 1.0, 2.0], 2)
        assert buf.values.tolist() == [1.0, 2.0]
        with pytest.raises(ValueError):
            buf.values[0] = 0.0

    def test_capacity_too_small(self):
        buf = TailBuffer.from_values(np.arange(100.0), tail_capacity(100, cte_levels=["95"]))
        assert buf.cte("95") == 2.0
        with pytest.raises(StatsError, match="CTE90 of 100 values needs the lowest 10"):
            buf.cte("90")
        with pytest.raises(StatsError, match="rank 50"):
            buf.percentile("50")

    def test_missing_chunk_is_detected(self):
        buf = TailBuffer.from_values([1.0, 2.0], 2)
        with pytest.raises(StatsError, match="a chunk is missing or was merged twice"):
            buf.cte("70", n_total=3)

    def test_empty_buffer(self):
        with pytest.raises(StatsError, match="empty"):
            TailBuffer(5).cte("95")

    def test_capacity_mismatch(self):
        with pytest.raises(StatsError, match="different capacities"):
            TailBuffer(3).merge(TailBuffer(4))
        with pytest.raises(StatsError, match="explicit capacity"):
            TailBuffer.merge_all([])

    @pytest.mark.parametrize(
        "data",
        [{"capacity": 2, "count": 3, "values": [2.0, 1.0]},
         {"capacity": 2, "count": 3, "values": [1.0]},
         {"capacity": 2, "count": 1, "values": [math.nan]},
         {"capacity": -1, "count": 0, "values": []},
         {"capacity": 2, "values": []}],
        ids=["unsorted", "short", "nan", "negative capacity", "no count"],
    )  # fmt: skip
    def test_bad_dict(self, data):
        with pytest.raises(StatsError):
            TailBuffer.from_dict(data)
